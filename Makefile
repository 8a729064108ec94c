# Cruscotto Performance — the two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# `CRUSCOTTO_DB=altro.duckdb make run` builds the demo into that file and opens it; `make run PORT=8611`;
# `make run ADDRESS=0.0.0.0` opens the app to the network (refused until accounts or single sign-on exist).
DB      := $(or $(CRUSCOTTO_DB),data/cruscotto.duckdb)
PORT    ?= 8501
ADDRESS ?= 127.0.0.1
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: setup chromium office browser node demo run test test-fast e2e bench fuzz backup clean-demo

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@

setup: $(STAMP)

# Debian's headless Chromium: the app draws the Word Relazione's charts with it (kaleido; its own browser
# download is blocked here). Installed by `make run` too, without the test-only packages below.
chromium:
	@command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends chromium-headless-shell )

# LibreOffice Writer: the app turns the Relazione and the documento di validazione into tagged PDF/A-2 with it
# (exports/pdf.py). Installed by `make run` too. The full package, not -nogui: the tests' LibreOffice set
# (APT_PKGS below) conflicts with the -nogui variants.
office:
	@command -v soffice >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends libreoffice-writer fonts-dejavu-core )

# Debian's packages for the tests: headless Chromium (playwright's own browser download is blocked here),
# LibreOffice (exports rendered to images; Relazione PDF/A + ODT and ODS checks of the premi package;
# Calc for the monitoring rounds' workbooks) and poppler (PDF -> PNG, pdftotext).
APT_PKGS := chromium-headless-shell libreoffice-impress libreoffice-writer libreoffice-calc poppler-utils fonts-dejavu-core
browser:
	@command -v chromium-headless-shell >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 && \
	  command -v pdftoppm >/dev/null 2>&1 && dpkg -s libreoffice-calc >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $(APT_PKGS) )

# Test tools from the npm registry (axe-core, oidc-provider), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

node: node_modules/.installed

# The demo database is built from data/demo/*.xlsx only when absent (your imports are never overwritten).
$(DB): | $(STAMP)
	$(PY) -m loaders import data/demo/*.xlsx --db $(DB) --user demo

demo: $(DB)

clean-demo:
	rm -f $(DB) $(DB).wal

# One consistent copy of the database a day, next to it; the last 7 are kept (python -m store backup).
backup: setup
	$(PY) -m store backup --daily --keep 7 --db $(DB)

run: setup chromium office demo backup
	CRUSCOTTO_DB=$(DB) $(PY) -m ui.serve --port $(PORT) --address $(ADDRESS)

test: setup browser node
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not e2e"

e2e: setup browser node
	$(PY) -m pytest -m e2e

bench: setup browser
	$(PY) -m bench

# The importer against thousands of seeded bad and odd workbooks (tests/fuzz.py); make test runs a few hundred.
FUZZ_FILES ?= 3000
fuzz: setup
	$(PY) -m tests.fuzz --files $(FUZZ_FILES) --seed 12 --json tests/artifacts/fuzz.json
