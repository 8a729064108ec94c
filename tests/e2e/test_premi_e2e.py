"""Page Premi in the browser (issue 17): a lettore and a valutatore of CISA 31 see the aggregates only (no name
of the Personale sheet anywhere on the page, no payroll button), the direttore sees the names; the page says
PROVVISORIO before validation (also once the CdA's act is recorded); the valutatore validates the year on «Chiusura
dell'anno», then the direttore downloads the payroll file, dated with the validation. Screenshots in ``tests/artifacts/premi-*.png`` (1280×720)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, DEMO, StreamlitServer, assert_no_exception, expect, full_screenshot, wait_for_app
from tests.e2e.test_access_e2e import PW, open_as   # one login helper: it clears the previous account's session

pytestmark = pytest.mark.e2e

CISA = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"


@pytest.fixture(scope="module")
def premi_server(tmp_path_factory):
    from domain.profile import BONUS_PRESETS
    from loaders import import_file
    from metrics import premi
    from store import Database, users

    tmp = tmp_path_factory.mktemp("premi_e2e")
    path = tmp / "premi.duckdb"
    d = Database(path)
    try:
        assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="e2e").ok
        premi.save_rules(d, CISA, 2023, dataclasses.replace(BONUS_PRESETS["percentuali"], fund_organisational=4000.0,
                                                            fund_individual=6000.0), "e2e")
        for name, role in (("lettore_a", "lettore"), ("valutatore_a", "valutatore"), ("direttore_a", "direttore"),
                           ("capo", "amministratore")):
            users.add_user(d, name, PW, role, [CISA], by="e2e")
        names = sorted({r[0] for r in d.rows("SELECT DISTINCT name FROM staff")})
    finally:
        d.close()
    srv = StreamlitServer(path, tmp / "streamlit.log")
    try:
        yield srv, names
    finally:
        srv.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit-premi.log").write_text(srv.log(), encoding="utf-8")




@pytest.mark.parametrize("who", ["lettore_a", "valutatore_a"])
def test_lettore_and_valutatore_see_aggregates_only(page, premi_server, who):
    srv, names = premi_server
    assert len(names) == 14
    page.set_viewport_size({"width": 1280, "height": 720})
    open_as(page, srv.url + "/premi", who)
    main = page.get_by_test_id("stMain")
    expect(page.get_by_role("heading", name="Premi", exact=True)).to_be_visible()
    expect(main).to_contain_text("PROVVISORIO — relazione non validata")
    expect(main).to_contain_text("solo dati aggregati")
    expect(main).to_contain_text("10.000,00 €")
    expect(main).to_contain_text("Dati relativi ai premi")
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    body = page.locator("body").inner_text()
    assert not [n for n in names if n in body]
    assert "P008" not in body and "Distribuzione per persona" not in body
    expect(page.get_by_role("button", name="File per gli stipendi (CSV)")).to_have_count(0)
    full_screenshot(page, ARTIFACTS / f"premi-{who}.png")
    assert_no_exception(page)


def test_direttore_sees_the_distribution_per_person(page, premi_server):
    srv, _ = premi_server
    page.set_viewport_size({"width": 1280, "height": 720})
    open_as(page, srv.url + "/premi", "direttore_a")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Distribuzione per persona")
    expect(main.get_by_test_id("stDataFrame").first).to_contain_text("Dipendente 08")
    expect(page.get_by_role("button", name="File per gli stipendi (CSV)")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "premi-direttore-1280x720.png"))
    full_screenshot(page, ARTIFACTS / "premi-direttore.png")
    assert_no_exception(page)


def test_year_closed_on_chiusura_then_direttore_downloads_the_payroll(page, premi_server):
    """Last but one in the module: it validates the year. The rules form offers no «validata» flag; on
    «Chiusura dell'anno» the direttore records the CdA's act and submits (the payroll stays off), the valutatore
    validates; then the Premi page says on which figures the amounts rest and the payroll file carries the date."""
    import datetime as dt

    from tests.e2e.test_closing_e2e import type_and_commit

    srv, names = premi_server
    page.set_viewport_size({"width": 1280, "height": 720})
    open_as(page, srv.url + "/premi", "capo")
    main = page.get_by_test_id("stMain")
    main.get_by_text("Salva le regole dei premi per l'ente e l'anno").click()
    expect(main).to_contain_text("Chiusura dell'anno")
    expect(main.get_by_role("checkbox", name="Relazione validata")).to_have_count(0)
    # the direttore: act of approval, sent to the valutatore
    open_as(page, srv.url + "/chiusura?piano=1&anno=2023", "direttore_a")
    type_and_commit(page, "Atto di approvazione", "Delibera CdA n. 12 del 20/06/2024")
    page.get_by_role("button", name="Registra l'approvazione").click()
    wait_for_app(page)
    expect(page.get_by_text("Approvazione registrata.")).to_be_visible()
    page.get_by_role("button", name="Invia al valutatore").click()
    wait_for_app(page)
    expect(page.get_by_text("Relazione inviata al valutatore.")).to_be_visible()
    open_as(page, srv.url + "/premi", "direttore_a")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("PROVVISORIO — relazione non validata")      # approved is not validated
    expect(page.get_by_role("button", name="File per gli stipendi (CSV)")).to_be_disabled()
    # the valutatore (OIV / Nucleo): «validata»
    open_as(page, srv.url + "/chiusura?piano=1&anno=2023", "valutatore_a")
    page.get_by_role("button", name="Registra l'esito").click()
    wait_for_app(page)
    expect(page.get_by_text("Esito registrato: validata.")).to_be_visible()
    today = dt.date.today().strftime("%d/%m/%Y")
    open_as(page, srv.url + "/premi", "direttore_a")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(f"Dati validati il {today} da valutatore_a")
    expect(main).to_contain_text(f"definitivo — dati validati il {today}")
    expect(main).not_to_contain_text("PROVVISORIO")
    full_screenshot(page, ARTIFACTS / "premi-validata.png")
    button = page.get_by_role("button", name="File per gli stipendi (CSV)")
    expect(button).to_be_enabled()
    with page.expect_download() as dl:
        button.click()
    assert dl.value.suggested_filename == "premi_2023_stipendi.csv"
    text = Path(dl.value.path()).read_text("utf-8")
    assert text.startswith("Identificativo,") and text.splitlines()[0].endswith(",Dati validati il")
    assert f"TOTALE,4000.00,5871.42,128.58,10000.00,2023,{today}" in text
    assert not [n for n in names if n in text]
    assert_no_exception(page)


def test_premi_page_is_accessible_and_italian(page, premi_server):
    """axe-core on the page as the direttore sees it (the fullest view): no critical or serious violation
    beyond Streamlit's own menu markup, and none of the English strings the app's other pages are checked for."""
    from tests.e2e.test_italian_a11y import AXE_RUN, ENGLISH_TEXT, STREAMLIT_OWN, WHERE, inject_axe

    srv, _ = premi_server
    page.set_viewport_size({"width": 1280, "height": 720})
    open_as(page, srv.url + "/premi", "direttore_a")
    page.wait_for_timeout(300)
    inject_axe(page)
    bad = []
    for v in page.evaluate(AXE_RUN):
        if v["impact"] not in ("critical", "serious"):
            continue
        own = STREAMLIT_OWN.get(v["id"])
        bad += [(v["id"], n["target"], n["html"]) for n in v["nodes"]
                if not (own is not None and page.evaluate(WHERE, [n["target"], own[0]]))]
    assert bad == []
    text = page.locator("body").inner_text()
    assert not [w for w in ENGLISH_TEXT if w in text]
    assert page.evaluate("document.documentElement.lang") == "it"
