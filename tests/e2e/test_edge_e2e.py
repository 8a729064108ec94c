"""Issue 19 in the browser: the server's edge (``ui/server.py``, started as ``make run`` starts it).

* a local account logs in once: a reload, a deep link in a new tab open with no second login;
* «Esci», then back and reload: the login form;
* the user disabled from the CLI while a tab is open: the next interaction shows the login form;
* the Content-Security-Policy: no violation (``securitypolicyviolation`` events and console reports) on any page;
* the security headers on the page, a static asset and the API; the API answers a token made with the CLI.

Screenshots in ``tests/artifacts/edge-*.png``.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import (ARTIFACTS, DEMO, EXPECT_TIMEOUT_MS, NAV_TIMEOUT_MS, PYTHON, StreamlitServer, _run,
                                assert_no_exception, expect, full_screenshot, open_page, wait_for_app)

pytestmark = pytest.mark.e2e

PW = "password di prova edge"
ENTE_A = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"
FILES = ("002_cissa_pianezza_2023.xlsx", "004_cisa31_2023.xlsx")
PAGES = ("panoramica", "obiettivo", "cascata", "scadenze", "indicatori", "persone", "confronto", "presentazione",
         "carica", "qualita", "sistema", "enti", "registro", "utenti")
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
});"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """Two enti, a direttore of ente A and an amministratore (through the CLI), a server on them."""
    tmp = tmp_path_factory.mktemp("edge_e2e")
    db = tmp / "edge.duckdb"
    _run([PYTHON, "-m", "loaders", "import", *(str(DEMO / f) for f in FILES), "--db", str(db), "--user", "e2e"])
    for name, role, entes in (("direttrice", "direttore", ENTE_A), ("capo", "amministratore", "")):
        _run([PYTHON, "-m", "store", "users", "add", name, "--ruolo", role, *(["--enti", entes] if entes else []),
              "--db", str(db)], input=f"{PW}\n{PW}\n")
    from store import Database

    d = Database(db)
    try:
        plan_a = int(d.scalar("SELECT plan_id FROM plans WHERE ente = ?", [ENTE_A]))
        objective = str(d.scalar("SELECT o.code FROM objectives o JOIN plans p ON p.current_import_id = o.import_id "
                                 "WHERE p.plan_id = ? ORDER BY o.ord LIMIT 1", [plan_a]))
        title = str(d.scalar("SELECT o.title FROM objectives o JOIN plans p ON p.current_import_id = o.import_id "
                             "WHERE p.plan_id = ? ORDER BY o.ord LIMIT 1", [plan_a]))
    finally:
        d.close()
    srv = StreamlitServer(db, tmp / "streamlit-edge.log")
    try:
        yield {"url": srv.url, "db": db, "plan": plan_a, "objective": objective, "title": title}
    finally:
        srv.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit-edge.log").write_text(srv.log(), encoding="utf-8")


@pytest.fixture
def ctx(browser):
    """A browser context of its own (its own cookies), recording CSP violations in every tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="it-IT", timezone_id="Europe/Rome")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    context.add_init_script(CSP_PROBE)
    try:
        yield context
    finally:
        context.close()


def fill_login(page, name: str) -> None:
    page.get_by_role("textbox", name="Nome utente").fill(name)
    page.get_by_role("textbox", name="Password").fill(PW)
    page.get_by_role("button", name="Accedi").click()


def signed_in(page, name: str):
    return page.get_by_test_id("stSidebar").get_by_text(f"{name} ·")


def test_login_survives_reload_and_deep_link_in_a_new_tab_then_logout(ctx, edge):
    deep = f"{edge['url']}/obiettivo?piano={edge['plan']}&obiettivo={edge['objective']}"
    page = ctx.new_page()
    open_page(page, deep)
    expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Selezione")).to_have_count(0)
    full_screenshot(page, ARTIFACTS / "edge-login-1280x720.png")
    fill_login(page, "direttrice")
    page.wait_for_url(f"{edge['url']}/obiettivo?**")
    wait_for_app(page)
    expect(signed_in(page, "direttrice")).to_be_visible()
    expect(page.get_by_text(edge["title"][:40]).first).to_be_visible()          # the objective asked for
    cookie = next(c for c in ctx.cookies() if c["name"] == "cruscotto_sessione")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    page.reload()
    wait_for_app(page)
    expect(signed_in(page, "direttrice")).to_be_visible()                      # F5: no second login
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    other = ctx.new_page()                                                     # the link from an email
    open_page(other, deep)
    expect(signed_in(other, "direttrice")).to_be_visible()
    expect(other.get_by_role("textbox", name="Password")).to_have_count(0)
    expect(other.get_by_text(edge["title"][:40]).first).to_be_visible()
    full_screenshot(other, ARTIFACTS / "edge-deep-link-new-tab.png")
    assert_no_exception(other)
    other.close()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Esci").click()
    page.wait_for_url(f"{edge['url']}/accesso?**")
    expect(page.get_by_text("Sei uscito dal cruscotto.")).to_be_visible()
    assert not [c for c in ctx.cookies() if c["name"] == "cruscotto_sessione"]
    page.go_back()
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()     # the login form again
    expect(signed_in(page, "direttrice")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text("Selezione")).to_have_count(0)
    assert page.evaluate("window.__csp") == []


def test_a_user_disabled_from_the_cli_meets_the_login_form_at_the_next_interaction(ctx, edge):
    page = ctx.new_page()
    open_page(page, f"{edge['url']}/panoramica?piano={edge['plan']}")
    fill_login(page, "direttrice")
    page.wait_for_url(f"{edge['url']}/panoramica?**")
    wait_for_app(page)
    expect(signed_in(page, "direttrice")).to_be_visible()
    _run([PYTHON, "-m", "store", "users", "disable", "direttrice", "--db", str(edge["db"])])
    try:
        page.get_by_test_id("stSidebar").get_by_role("link", name="Scadenze e ritardi").click()
        wait_for_app(page)
        expect(page.get_by_role("textbox", name="Password")).to_be_visible()
        expect(page.get_by_text("La sessione è stata chiusa")).to_be_visible()
        expect(signed_in(page, "direttrice")).to_have_count(0)
        full_screenshot(page, ARTIFACTS / "edge-disabled-next-interaction.png")
        page.reload()
        wait_for_app(page)
        expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    finally:
        _run([PYTHON, "-m", "store", "users", "enable", "direttrice", "--db", str(edge["db"])])


def test_no_csp_violation_on_any_page(ctx, edge):
    """Every page as the amministratore (all pages offered), plus the login pages: the policy reports nothing,
    neither as ``securitypolicyviolation`` events nor in the console."""
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    open_page(page, edge["url"] + "/")
    fill_login(page, "capo")
    page.wait_for_url(edge["url"] + "/**")
    wait_for_app(page)
    expect(signed_in(page, "capo")).to_be_visible()
    seen: dict[str, list] = {}
    for name in PAGES:
        open_page(page, f"{edge['url']}/{name}?piano={edge['plan']}")
        expect(signed_in(page, "capo")).to_be_visible()
        page.wait_for_timeout(500)                     # late charts and components
        assert_no_exception(page)
        seen[name] = page.evaluate("window.__csp")
    page.goto(edge["url"] + "/accesso")
    seen["accesso"] = page.evaluate("window.__csp")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "edge-csp-report.json").write_text(json.dumps({"pages": seen, "console": console}, indent=2,
                                                               ensure_ascii=False), encoding="utf-8")
    assert all(v == [] for v in seen.values()), seen
    assert console == []


def _get(url: str, headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def test_headers_on_page_static_asset_and_api_and_a_cli_token(edge):
    status, headers, body = _get(edge["url"] + "/panoramica")
    assert status == 200
    asset = "/static/" + body.decode().split('src="./static/', 1)[1].split('"', 1)[0]
    results = {"page": headers, "asset": _get(edge["url"] + asset)[1],
               "api": _get(edge["url"] + "/api/v1/piani")[1]}
    for what, h in results.items():
        h = {k.lower(): v for k, v in h.items()}
        assert "frame-ancestors 'none'" in h["content-security-policy"], what
        assert h["x-content-type-options"] == "nosniff", what
        assert h["referrer-policy"] == "no-referrer", what
    out = _run([PYTHON, "-m", "store", "tokens", "add", "direttrice", "--db", str(edge["db"])]).stdout
    token = out.strip().splitlines()[-1]
    status, _h, body = _get(edge["url"] + "/api/v1/piani", {"Authorization": f"Bearer {token}"})
    assert status == 200
    assert [p["ente"] for p in json.loads(body)["piani"]] == [ENTE_A]
    status, _h, body = _get(edge["url"] + "/api/v1/piani", {"Authorization": "Bearer crp_falso"})
    assert status == 401 and json.loads(body)["errore"]["stato"] == 401
