"""Browser end-to-end fixtures: a real ``streamlit run ui/server.py`` (as ``make run``) on a free localhost port, driven
by Playwright through Debian's headless Chromium (``playwright install`` is never used).

Session order: build a temporary DuckDB from ``data/demo/*.xlsx`` (plus the small test
plan of ``tests/workbooks.py``) with the project's own CLI → compute the expected figures
with :mod:`metrics` and close the file (DuckDB locks it per process) → start the server
on that file → poll ``/_stcore/health``. One browser context for the session; every test
opens its own tab, i.e. a fresh Streamlit session. Screenshots go to ``tests/artifacts/`` (ignored by git); a
failing test leaves ``tests/artifacts/FAILED-<test>.png`` and prints the server log.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.workbooks import xlsx  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"
DEMO = ROOT / "data" / "demo"
PYTHON = sys.executable
STARTUP_TIMEOUT_S = 60
EXPECT_TIMEOUT_MS = 25_000          # Playwright expect() and actions
NAV_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
SMALL_PLAN_FILE = "piano_test_e2e.xlsx"   # tests/workbooks.py BASE, imported as version 1

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - the dev requirements pin playwright
    expect = sync_playwright = None


def chromium_path() -> str | None:
    """Debian's headless shell, else a full chromium (``make browser`` installs the shell): the project's
    one browser lookup, ``exports.images.browser_path``."""
    from exports.images import browser_path
    return browser_path()


# ----------------------------------------------------------------------------- data
@dataclass
class Expected:
    """Figures computed with metrics/ on the same database, before the server opens it."""
    default_plan: int
    achievement: dict[int, str]                          # plan_id → "68,4%" (fmt_pct)
    titles: dict[int, dict[str, str]]                    # plan_id → {objective code: title}
    plan_titles: dict[int, tuple[str, str]] = field(default_factory=dict)   # plan_id → (ente, titolo)
    small_plan: int = 0                                  # plan id of tests/workbooks.py BASE
    slides: dict[int, int] = field(default_factory=dict)         # plan_id → slides of the Presentazione page
    pptx_slides: dict[int, int] = field(default_factory=dict)    # plan_id → slides of the PowerPoint


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, **kw)
    assert r.returncode == 0, f"{' '.join(args)} → {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory) -> Path:
    """A database file with the four demo plans and the small test plan, via the CLI."""
    tmp = tmp_path_factory.mktemp("e2e")
    small = tmp / SMALL_PLAN_FILE
    small.write_bytes(xlsx())
    path = tmp / "e2e.duckdb"
    _run([PYTHON, "-m", "loaders", "import", *map(str, sorted(DEMO.glob("*.xlsx"))), str(small),
          "--db", str(path), "--user", "e2e"])
    for suffix in ("", ".wal"):            # a pristine copy for a second server (see fresh_db)
        if Path(f"{path}{suffix}").exists():
            shutil.copyfile(f"{path}{suffix}", tmp / f"fresh.duckdb{suffix}")
    return path


@pytest.fixture(scope="session")
def fresh_db(e2e_db) -> Path:
    """A copy of the e2e database taken before any server opened it (DuckDB locks a file per process)."""
    return e2e_db.parent / "fresh.duckdb"


@pytest.fixture(scope="session")
def expected(e2e_db) -> Expected:
    from exports.deck import build_deck
    from exports.paginate import POWERPOINT
    from metrics import list_plans, make_context, plan_metrics
    from metrics.explain import metric_value_text, plan_waiting_text
    from store import get_db

    db = get_db(e2e_db)
    try:
        plans = list_plans(db)
        # the sidebar's default: the plan with the richest monitoring (ui/state.py)
        default = int(plans.sort_values(["n_verifications", "n_steps"], ascending=False, kind="stable")
                      ["plan_id"].iloc[0])
        ach, titles, names, slides, pptx_slides = {}, {}, {}, {}, {}
        for pid in map(int, plans["plan_id"]):
            year = make_context(db, pid).year        # the sidebar's default year for the plan
            pm = plan_metrics(db, pid, year=year)
            # the KPI tile: a percentage, or «in attesa» for a plan with nothing measured yet (spec revision 2)
            ach[pid] = metric_value_text(pm.achievement, plan_waiting_text(pm))[0]
            titles[pid] = {str(c): str(t) for c, t in zip(pm.objectives["code"], pm.objectives["title"])}
            names[pid] = (pm.ctx.ente, pm.ctx.titolo)
            slides[pid], pptx_slides[pid] = len(build_deck(pm)), len(build_deck(pm, POWERPOINT))
        small = int(db.scalar("SELECT plan_id FROM imports WHERE file_name = ?", [SMALL_PLAN_FILE]))
    finally:
        db.close()                                   # release DuckDB's file lock for the server
    return Expected(default, ach, titles, names, small, slides, pptx_slides)


# ----------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class StreamlitServer:
    """``streamlit run ui/server.py`` on a free port against ``db_path``, in its own process group: the app as
    ``make run`` (``python -m ui.serve``) starts it, behind the edge (cookie sessions, security headers, API)."""

    def __init__(self, db_path: Path, log_path: Path, port: int | None = None, extra_args: tuple[str, ...] = (),
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w+", encoding="utf-8")
        env = {**os.environ, "CRUSCOTTO_DB": str(db_path), "CRUSCOTTO_USER": "e2e", "PYTHONUNBUFFERED": "1",
               "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(extra_env or {})}
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "streamlit", "run", "ui/server.py", "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false", *extra_args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"streamlit run non è partito entro {STARTUP_TIMEOUT_S} s "
                            f"(exit {self.proc.returncode}):\n{self.log()}")
            time.sleep(0.25)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM to the process group (SIGKILL after 10 s)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


@pytest.fixture(scope="session")
def server(request, e2e_db, expected, tmp_path_factory):
    """The session's server (``expected`` first: the figures are computed before it locks the file)."""
    srv = StreamlitServer(e2e_db, tmp_path_factory.mktemp("server") / "streamlit.log")
    try:
        yield srv
    finally:
        srv.stop()
        text = srv.log()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit.log").write_text(text, encoding="utf-8")
        if request.session.testsfailed:
            print(f"\n----- streamlit log ({srv.url}) -----\n{text[-20000:]}\n----- end of streamlit log -----")


@pytest.fixture(scope="session")
def app_url(server, browser_context) -> str:
    """Base URL of the session's server, after one browser session has run app.py.

    The warm-up makes the tests independent of their order: until the first run of
    app.py calls st.navigation, Streamlit treats the ``pages/`` folder as an old-style
    multipage app and a deep link may run the page file alone (the pages guard against
    it with ui.common.ensure_app_navigation; test_journeys.py::test_deep_link_on_fresh_server
    checks that on a server of its own)."""
    warm = browser_context.new_page()
    try:
        open_page(warm, server.url + "/")
    finally:
        warm.close()
    return server.url


# ----------------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if sync_playwright is None or exe is None:
        pytest.fail("Serve Chromium di Debian (`make browser`) e il pacchetto pip playwright "
                    "(`playwright install` non è usato).")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for the session (its HTTP cache spares reloading the front-end for every
    test); every test opens its own tab, i.e. its own Streamlit session."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="it-IT",
                                  timezone_id="Europe/Rome", accept_downloads=True)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(request, browser_context):
    """A fresh tab (= a fresh Streamlit session), 1440×900, Italian locale; a screenshot on failure."""
    pg = browser_context.new_page()
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = ARTIFACTS / f"FAILED-{_slug(request.node.name)}.png"
                full_screenshot(pg, shot)
                print(f"\nscreenshot: {shot}\nURL: {pg.url}")
            except Exception as exc:  # noqa: BLE001 - the failure itself is what matters
                print(f"\n(screenshot non riuscito: {exc})")
        pg.close()


# ----------------------------------------------------------------------------- helpers
APP = "[data-testid='stApp']"


def wait_for_app(page, timeout_ms: int = NAV_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished running the script (as streamlit's own
    e2e_playwright/conftest.py does): websocket connected, script state ``notRunning``,
    no running indicator, the main block rendered and no loading skeleton left."""
    page.locator(f"{APP}[data-test-connection-state='CONNECTED']").wait_for(state="attached", timeout=timeout_ms)
    page.locator(f"{APP}[data-test-script-state='notRunning']").wait_for(state="attached", timeout=timeout_ms)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=timeout_ms)
    page.locator("[data-testid='stMainBlockContainer']").wait_for(state="attached", timeout=timeout_ms)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=timeout_ms)


def open_page(page, url: str):
    """Navigate and wait for the first script run to finish."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    return page


def assert_no_exception(page) -> None:
    """No Streamlit exception box and no Python traceback text on the page."""
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in body, body[:2000]


def full_screenshot(page, path: Path, max_height: int = 8000) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its own container, so the
    viewport is stretched to the content height for the shot and then restored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vp = page.viewport_size or {"width": 1440, "height": 900}
    height = page.evaluate("""() => {
        const els = [document.querySelector("[data-testid='stMain']"),
                     document.querySelector("[data-testid='stAppViewContainer']"), document.scrollingElement];
        return Math.max(...els.filter(Boolean).map(e => e.scrollHeight));
    }""")
    tall = max(vp["height"], min(int(height) + 40, max_height))
    try:
        if tall > vp["height"]:
            page.set_viewport_size({"width": vp["width"], "height": tall})
            page.wait_for_timeout(300)     # let charts re-layout to the new size (not a sync wait)
        page.screenshot(path=str(path))
    finally:
        if tall > vp["height"]:
            page.set_viewport_size(vp)
    return path


def dataframe_rows(frame_locator) -> list[list[str]]:
    """The visible rows of an ``st.dataframe`` (read from the grid's accessible table:
    the cells are drawn on a canvas)."""
    rows = []
    for row in frame_locator.locator("tbody [role='row']").all():
        rows.append([c.inner_text().strip() for c in row.locator("td").all()])
    return rows


def dataframe_header(frame_locator) -> list[str]:
    return [h.inner_text().strip() for h in frame_locator.locator("thead [role='columnheader']").all()]
