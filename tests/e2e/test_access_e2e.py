"""Issue 9A in the browser: two local accounts (a ``lettore`` of ente A, a ``referente`` of ente B) on a
server of their own, and single sign-on through ``st.login`` against a real OIDC provider (``oidc-provider``
from npm, started by the test on 127.0.0.1).

Every test clears the shared context's cookies, so each ``page.goto`` starts logged out: a login form first
(posted to the edge's ``/accesso``), then the URL asked for (query parameters included). Screenshots in ``tests/artifacts/access-*.png``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import (ARTIFACTS, DEMO, EXPECT_TIMEOUT_MS, NAV_TIMEOUT_MS, PYTHON, ROOT, StreamlitServer,
                                _run, assert_no_exception, expect, free_port, full_screenshot, open_page,
                                wait_for_app)

from ui.state import short_ente  # noqa: E402

pytestmark = pytest.mark.e2e

PW = "password di prova e2e"
ENTE_A = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"     # staff with names
ENTE_B = "Consorzio Intercomunale dei Servizi Socio Assistenziali di Pianezza (C.I.S.S.A.)"
FILES = ("002_cissa_pianezza_2023.xlsx", "004_cisa31_2023.xlsx")


def add_user(db: Path, name: str, role: str, entes: str = "") -> None:
    _run([PYTHON, "-m", "store", "users", "add", name, "--ruolo", role, *(["--enti", entes] if entes else []),
          "--db", str(db)], input=f"{PW}\n{PW}\n")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """Demo plans of ente A and B, the two accounts (through the CLI) and what the browser must not show."""
    tmp = tmp_path_factory.mktemp("accounts_e2e")
    db = tmp / "accounts.duckdb"
    _run([PYTHON, "-m", "loaders", "import", *(str(DEMO / f) for f in FILES), "--db", str(db), "--user", "e2e"])
    add_user(db, "lettore_a", "lettore", ENTE_A)
    add_user(db, "referente_b", "referente", ENTE_B)
    add_user(db, "capo", "amministratore")
    from store import Database

    d = Database(db)
    try:
        plans = dict(d.rows("SELECT ente, plan_id FROM plans"))
        names = [r[0] for r in d.rows("SELECT DISTINCT s.name FROM staff s JOIN plans p "
                                      "ON p.current_import_id = s.import_id WHERE p.ente = ?", [ENTE_A])]
        first_objective = ("SELECT o.code FROM objectives o JOIN plans p ON p.current_import_id = o.import_id "
                           "WHERE p.ente = ? ORDER BY o.ord LIMIT 1")
        objective_a, objective_b = d.scalar(first_objective, [ENTE_A]), d.scalar(first_objective, [ENTE_B])
        title_a = d.scalar("SELECT titolo FROM plans WHERE ente = ?", [ENTE_A])
        title_b = d.scalar("SELECT titolo FROM plans WHERE ente = ?", [ENTE_B])
    finally:
        d.close()
    return {"db": db, "a": int(plans[ENTE_A]), "b": int(plans[ENTE_B]), "names_a": names,
            "objective_a": str(objective_a), "objective_b": str(objective_b), "title_a": title_a, "title_b": title_b}


@pytest.fixture(scope="module")
def accounts_server(accounts, tmp_path_factory):
    srv = StreamlitServer(accounts["db"], tmp_path_factory.mktemp("accounts_srv") / "streamlit.log")
    try:
        yield srv
    finally:
        srv.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit-accounts.log").write_text(srv.log(), encoding="utf-8")


def login(page, name: str) -> None:
    expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    expect(page.get_by_text("Selezione")).to_have_count(0)           # nothing of the plans before the login
    page.get_by_role("textbox", name="Nome utente").fill(name)
    page.get_by_role("textbox", name="Password").fill(PW)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(f"{name} ·")).to_be_visible()
    wait_for_app(page)


def open_as(page, url: str, name: str) -> None:
    page.context.clear_cookies()          # the session cookie of the previous test's user (one shared context)
    open_page(page, url)
    login(page, name)


def ente_options(page) -> list[str]:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first
    box.scroll_into_view_if_needed()     # with every page listed the selection can sit below the fold
    page.wait_for_timeout(300)           # the sidebar's scroll settles before the click opens the list
    box.click()
    expect(page.get_by_role("option").first).to_be_visible()     # the list opens after a round trip
    options = [o.inner_text().strip() for o in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    return options


@pytest.mark.parametrize("size", [(1280, 720), (1440, 900)], ids=["1280x720", "1440x900"])
def test_login_form(page, accounts_server, size):
    page.context.clear_cookies()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_page(page, accounts_server.url + "/")
    for label in ("Nome utente", "Password"):
        expect(page.get_by_role("textbox", name=label)).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Accedi")).to_be_in_viewport()
    assert ENTE_A not in page.locator("body").inner_text() and ENTE_B not in page.locator("body").inner_text()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / f"access-login-{size[0]}x{size[1]}.png")
    page.get_by_role("textbox", name="Nome utente").fill("lettore_a")
    page.get_by_role("textbox", name="Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    # the edge's own page /accesso answers a wrong password (401), with the form again
    expect(page.get_by_text("Nome utente o password non corretti.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    assert ENTE_A not in page.locator("body").inner_text() and ENTE_B not in page.locator("body").inner_text()
    full_screenshot(page, ARTIFACTS / f"access-login-errata-{size[0]}x{size[1]}.png")


def test_admin_manages_users(page, accounts_server):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_as(page, accounts_server.url + "/utenti", "capo")
    expect(page.get_by_role("heading", name="Utenti")).to_be_visible()
    expect(page.get_by_role("button", name="Crea utente")).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("referente_b")
    full_screenshot(page, ARTIFACTS / "access-utenti-1280x720.png")
    assert_no_exception(page)


@pytest.mark.parametrize("who,ente,other", [("lettore_a", ENTE_A, ENTE_B), ("referente_b", ENTE_B, ENTE_A)],
                         ids=["lettore_a", "referente_b"])
def test_each_sees_only_own_ente(page, accounts_server, who, ente, other):
    open_as(page, accounts_server.url + "/", who)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Selezione")
    assert ente_options(page) == [short_ente(ente)]                    # the label: acronym first (issue 10)
    assert other not in page.locator("body").inner_text()
    full_screenshot(page, ARTIFACTS / f"access-{who}-panoramica.png")
    assert_no_exception(page)


@pytest.mark.parametrize("who,link", [("lettore_a", ""), ("lettore_a", "obiettivo"), ("referente_b", "obiettivo")])
def test_deep_links_to_the_other_ente_are_refused(page, accounts, accounts_server, who, link):
    other = "b" if who == "lettore_a" else "a"
    objective = accounts["objective_b"] if other == "b" else accounts["objective_a"]
    query = f"?piano={accounts[other]}" + (f"&obiettivo={objective}" if link else "")
    open_as(page, f"{accounts_server.url}/{link}{query}", who)
    expect(page.get_by_text("Non autorizzato: il contenuto richiesto non è tra quelli a cui hai accesso.")).to_be_visible()
    body = page.locator("body").inner_text()
    for secret in (ENTE_B, accounts["title_b"], "Pianezza") if other == "b" else (ENTE_A, accounts["title_a"],
                                                                                   "C.I.S.A. 31"):
        assert secret not in body, secret
    full_screenshot(page, ARTIFACTS / f"access-{who}-link-rifiutato-{link or 'panoramica'}.png")
    assert_no_exception(page)


def test_only_the_referente_gets_the_upload_page(page, accounts_server):
    open_as(page, accounts_server.url + "/", "lettore_a")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Panoramica")).to_be_visible()
    expect(nav.get_by_role("link", name="Carica foglio")).to_have_count(0)
    page.goto(accounts_server.url + "/carica", wait_until="domcontentloaded")   # typed by hand: still no uploader
    wait_for_app(page)
    # the session cookie: no second login (issue 19), and still lettore_a's grants
    expect(page.get_by_test_id("stSidebar").get_by_text("lettore_a ·")).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    page.close()

    second = page.context.new_page()
    try:
        open_as(second, accounts_server.url + "/", "referente_b")
        link = second.get_by_test_id("stSidebarNav").get_by_role("link", name="Carica foglio")
        expect(link).to_be_visible()
        link.click()
        wait_for_app(second)
        expect(second.get_by_test_id("stFileUploader")).to_be_visible()
        expect(second.get_by_text("registrati a nome di")).to_be_visible()
        expect(second.get_by_role("button", name="Ripristina questa versione")).to_have_count(0)
        full_screenshot(second, ARTIFACTS / "access-referente-carica.png")
        assert_no_exception(second)
    finally:
        second.close()


def test_lettore_sees_no_names_on_persone(page, accounts, accounts_server):
    assert accounts["names_a"]
    open_as(page, f"{accounts_server.url}/persone?piano={accounts['a']}", "lettore_a")
    expect(page.get_by_text("solo dati aggregati")).to_be_visible()
    expect(page.get_by_role("heading", name="Personale per obiettivo")).to_be_visible()
    body = page.locator("body").inner_text()
    grid = " ".join(t.inner_text() for t in page.get_by_test_id("stDataFrame").all())
    for name in accounts["names_a"]:
        assert name not in body and name not in grid, name
    full_screenshot(page, ARTIFACTS / "access-lettore-persone.png")
    assert_no_exception(page)


# ----------------------------------------------------------------------------- single sign-on
def _wait_ready(proc, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "ready" in log.read_text(encoding="utf-8", errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"oidc-provider non è partito:\n{log.read_text(encoding='utf-8', errors='replace')}")


@pytest.fixture(scope="module")
def oidc(tmp_path_factory):
    """oidc-provider on 127.0.0.1 and a Streamlit server whose secrets.toml points at it."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.fail("Servono Node.js e `npm ci` (oidc-provider in package.json): `make node`.")
    tmp = tmp_path_factory.mktemp("oidc")
    op_port, app_port = free_port(), free_port()
    log = tmp / "oidc-provider.log"
    accounts_claims = {"dora": {"groups": ["cruscotto-direttori"], "enti": [ENTE_A]},
                       "ugo": {"groups": ["altri"]}}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([node, str(ROOT / "tests" / "e2e" / "oidc" / "provider.mjs"), str(op_port),
                                 str(app_port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "OIDC_ACCOUNTS": json.dumps(accounts_claims)},
                                start_new_session=True)
    try:
        _wait_ready(proc, log)
        secrets = tmp / "secrets.toml"
        secrets.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "segreto dei cookie del test, lungo abbastanza"
client_id = "cruscotto"
client_secret = "segreto-solo-per-il-test"
server_metadata_url = "http://127.0.0.1:{op_port}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid email profile cruscotto", prompt = "login" }}

[cruscotto_oidc]
role_claim = "groups"
ente_claim = "enti"
[cruscotto_oidc.roles]
"cruscotto-direttori" = "direttore"
""", encoding="utf-8")
        db = tmp / "oidc.duckdb"                  # its own file: DuckDB locks a file per process
        _run([PYTHON, "-m", "loaders", "import", *(str(DEMO / f) for f in FILES), "--db", str(db), "--user", "e2e"])
        srv = StreamlitServer(db, tmp / "streamlit-oidc.log", port=app_port,
                              extra_args=("--secrets.files", str(secrets)))
        try:
            yield {"url": srv.url, "db": db, "issuer": f"http://127.0.0.1:{op_port}", "server": srv}
        finally:
            srv.stop()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "streamlit-oidc.log").write_text(srv.log(), encoding="utf-8")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=10)


@pytest.fixture
def sso_page(browser):
    """A tab in a browser context of its own: the login cookies of one test never reach another."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="it-IT", timezone_id="Europe/Rome")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def sso_login(page, url: str, issuer: str, who: str) -> None:
    open_page(page, url)
    page.get_by_role("button", name="Accedi con l'account dell'ente").click()
    page.wait_for_url(f"{issuer}/**")
    page.locator("input[name=login]").fill(who)
    page.locator("input[name=password]").fill("qualsiasi")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()              # the provider's consent screen
    page.wait_for_url(url.rstrip("/") + "/**")
    wait_for_app(page)


def test_oidc_identity_without_a_role_gets_nothing(sso_page, oidc):
    page = sso_page
    sso_login(page, oidc["url"] + "/", oidc["issuer"], "ugo")
    expect(page.get_by_text("non ha un ruolo nel cruscotto")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Selezione")).to_have_count(0)


def test_oidc_login_maps_the_role_then_logout(sso_page, oidc):
    page = sso_page
    sso_login(page, oidc["url"] + "/", oidc["issuer"], "dora")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("dora@ente.example · direttore")).to_be_visible()
    assert ente_options(page) == [short_ente(ENTE_A)]                  # the enti claim
    expect(sidebar.get_by_role("link", name="Carica foglio")).to_be_visible()   # direttore may upload
    expect(sidebar.get_by_role("link", name="Utenti")).to_have_count(0)
    full_screenshot(page, ARTIFACTS / "access-oidc-direttore.png")
    assert_no_exception(page)
    sidebar.get_by_role("button", name="Esci").click()
    page.wait_for_url(f"{oidc['issuer']}/**")                         # RP-initiated logout at the provider
    page.locator("button[autofocus], button[type=submit]").first.click()   # "Yes, sign me out"
    page.wait_for_url(oidc["url"] + "/**")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Accedi con l'account dell'ente")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("dora@ente.example")).to_have_count(0)
    from store import Database

    oidc["server"].stop()                                             # release the file to read the trail
    d = Database(oidc["db"])
    try:
        rows = d.rows("SELECT who, action, outcome FROM audit_log WHERE action IN ('accesso', 'uscita') "
                      "AND who LIKE 'dora%' ORDER BY audit_id")
    finally:
        d.close()
    assert rows == [("dora@ente.example", "accesso", "ok"), ("dora@ente.example", "uscita", "ok")]


def test_local_mode_refuses_requests_through_a_proxy(browser, app_url):
    """Local mode trusts whoever reaches 127.0.0.1: a reverse proxy on the same machine must not open it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="it-IT",
                                  extra_http_headers={"X-Forwarded-For": "192.0.2.77"})
    try:
        page = context.new_page()
        open_page(page, app_url + "/")
        expect(page.get_by_text("questa richiesta arriva attraverso un proxy")).to_be_visible()
        expect(page.get_by_text("Selezione")).to_have_count(0)
        full_screenshot(page, ARTIFACTS / "access-locale-via-proxy.png")
    finally:
        context.close()
