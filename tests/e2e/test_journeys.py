"""The main journeys in a real browser: read the plan achievement, drill down to an
objective (table row, chart bar, direct link), upload a broken workbook and read its
Italian errors, upload a new version and see it in the dashboard."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote_plus

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (ARTIFACTS, SMALL_PLAN_FILE, StreamlitServer, assert_no_exception, dataframe_header,
                                dataframe_rows, full_screenshot, open_page, wait_for_app)
from tests.workbooks import BASE, sheets, xlsx

pytestmark = pytest.mark.e2e

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM_COLUMNS = ["Gravità", "Foglio", "Riga", "Colonna", "Valore", "Messaggio"]


def metric_value(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def objective_header(page, plan_titles: dict[str, str], code: str):
    return page.get_by_test_id("stHeading").filter(has_text=f"{code} · {plan_titles[code]}")


def code_from_url(url: str) -> str:
    m = re.search(r"[?&]obiettivo=([^&#]+)", url)
    assert m, f"obiettivo= manca nell'URL {url}"
    return unquote_plus(m.group(1))


# ----------------------------------------------------------------------------- 1. Panoramica
def test_dashboard_reads_plan_achievement(page, app_url, expected):
    open_page(page, app_url + "/")
    pid = expected.default_plan
    expect(page).to_have_url(re.compile(rf"[?&]piano={pid}(&|$)"))
    value = metric_value(page, "Raggiungimento del piano")
    expect(value).to_have_text(expected.achievement[pid])
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d%", value.inner_text().strip()), value.inner_text()
    ente, titolo = expected.plan_titles[pid]
    expect(page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer")
           .filter(has_text=ente).filter(has_text=titolo)).to_be_visible()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "journey-1-panoramica.png")


def test_every_plan_opens_from_its_url(page, app_url, expected):
    for pid, value in expected.achievement.items():
        open_page(page, f"{app_url}/?piano={pid}")
        expect(metric_value(page, "Raggiungimento del piano")).to_have_text(value)
        assert_no_exception(page)


# ----------------------------------------------------------------------------- 2. drill-down
def test_click_objectives_table_row_opens_drilldown(page, app_url, expected):
    pid = expected.default_plan
    open_page(page, f"{app_url}/?piano={pid}")
    table = page.locator(".st-key-obj_table [data-testid='stDataFrame']")
    table.scroll_into_view_if_needed()
    expect(table.locator("tbody [role='row']").first).to_be_attached()
    assert dataframe_header(table)[0] == "Codice"
    first_code = dataframe_rows(table)[0][0]
    # the row marker (checkbox column) of the first data row: header and rows are 35 px high
    table.click(position={"x": 18, "y": 35 + 17})
    page.wait_for_url(re.compile(r"/obiettivo\?.*obiettivo="))
    wait_for_app(page)
    assert code_from_url(page.url) == first_code
    expect(page).to_have_url(re.compile(rf"[?&]piano={pid}(&|$)"))
    expect(objective_header(page, expected.titles[pid], first_code)).to_be_visible()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "journey-2-obiettivo-da-tabella.png")


def test_click_ranking_bar_opens_drilldown(page, app_url, expected):
    pid = expected.default_plan
    open_page(page, f"{app_url}/?piano={pid}")
    chart = page.locator(".st-key-ranking [data-testid='stPlotlyChart']")
    chart.scroll_into_view_if_needed()
    bar = chart.locator("g.point path").first
    expect(bar).to_be_visible()
    bar.click(force=True)   # Plotly's drag layer sits over the bars and receives the click
    page.wait_for_url(re.compile(r"/obiettivo\?.*obiettivo="))
    wait_for_app(page)
    code = code_from_url(page.url)
    assert code in expected.titles[pid], (code, list(expected.titles[pid]))
    expect(objective_header(page, expected.titles[pid], code)).to_be_visible()
    assert_no_exception(page)


def test_objective_direct_link(page, app_url, expected):
    pid = expected.default_plan
    code = list(expected.titles[pid])[-1]          # not the page's default (the first objective)
    open_page(page, f"{app_url}/obiettivo?piano={pid}&obiettivo={code}")
    expect(objective_header(page, expected.titles[pid], code)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]obiettivo={re.escape(code)}(&|$)"))
    expect(page.get_by_role("combobox", name="Obiettivo")).to_have_value(
        re.compile(rf"^{re.escape(code)} — "))
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "journey-2-obiettivo-link.png")


@pytest.mark.parametrize("link", ["obiettivo", "carica"])
def test_deep_link_on_fresh_server(page, fresh_db, expected, tmp_path, link):
    """A bookmarked link is the first request after a restart: it must open inside the app
    (Streamlit runs a ``pages/`` file on its own until the first st.navigation call)."""
    pid = expected.default_plan
    srv = StreamlitServer(fresh_db, tmp_path / "streamlit-fresh.log")
    try:
        open_page(page, f"{srv.url}/{link}?piano={pid}")
        full_screenshot(page, ARTIFACTS / f"journey-link-dopo-riavvio-{link}.png")
        nav = page.get_by_test_id("stSidebarNav")
        # the script has finished: the navigation is there or it will never be (short timeouts)
        expect(nav.get_by_role("link", name="Panoramica")).to_be_visible(timeout=5000)
        expect(page.get_by_test_id("stSidebar").get_by_role("heading", name="Selezione")).to_be_visible(timeout=5000)
        expect(page.get_by_text("non contiene ancora alcun piano")).to_have_count(0)
        if link == "obiettivo":
            code = next(iter(expected.titles[pid]))
            expect(objective_header(page, expected.titles[pid], code)).to_be_visible()
        else:
            expect(page.get_by_test_id("stFileUploader")).to_be_visible()
        assert_no_exception(page)
    finally:
        srv.stop()


# ----------------------------------------------------------------------------- 3-4. Carica foglio
def upload(page, name: str, data: bytes) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": XLSX_MIME, "buffer": data}])


def problems_table(page):
    """The st.dataframe whose header is the contract's problem columns."""
    frames = page.get_by_test_id("stDataFrame")
    expect(frames.filter(has_text="Messaggio").first).to_be_attached()
    for i in range(frames.count()):
        if dataframe_header(frames.nth(i))[:len(PROBLEM_COLUMNS)] == PROBLEM_COLUMNS:
            return frames.nth(i)
    raise AssertionError(f"nessuna tabella con le colonne {PROBLEM_COLUMNS}")


def broken_workbook() -> bytes:
    """The small test plan with a step of an unknown objective and a 130% achievement."""
    verif = [r[:] for r in BASE["Verifiche"]]
    verif[2][3] = "130%"                                   # Excel row 3, column Raggiungimento
    return xlsx(sheets(Step=BASE["Step"] + [["Z", "Z.1", "Step orfano", "31/12/2025", "10%"]],   # Excel row 5
                       Verifiche=verif))


def new_version_workbook() -> bytes:
    """The small test plan (imported as version 1 by the fixture) with one verification changed."""
    verif = [r[:] for r in BASE["Verifiche"]]
    verif[3] = ["B.1", "31/12/2025", "Obiettivo realizzato", "", "20/09/2025", "Concluso a settembre"]
    return xlsx(sheets(Verifiche=verif))


def expected_new_achievement() -> str:
    """The plan achievement of the new version, computed with metrics/ on an in-memory copy."""
    from loaders import import_bytes
    from metrics import make_context, plan_metrics
    from metrics.fmt import fmt_pct
    from store import Database

    db = Database(":memory:")
    try:
        import_bytes(db, xlsx(), SMALL_PLAN_FILE, user="e2e")
        res = import_bytes(db, new_version_workbook(), "nuova_versione.xlsx", user="e2e")
        assert res.ok and res.version == 2, res.message
        return fmt_pct(plan_metrics(db, res.plan_id, year=make_context(db, res.plan_id).year).achievement)
    finally:
        db.close()


def test_upload_broken_workbook_shows_italian_errors(page, app_url):
    open_page(page, f"{app_url}/carica")
    expect(page.get_by_test_id("stFileUploader").get_by_text("Foglio di monitoraggio (.xlsx)")).to_be_visible()
    upload(page, "foglio_rotto.xlsx", broken_workbook())
    error = page.get_by_test_id("stAlert").filter(has_text="Importazione non possibile")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"\b2\b"))    # how many errors
    wait_for_app(page)
    table = problems_table(page)
    table.scroll_into_view_if_needed()
    rows = [dict(zip(PROBLEM_COLUMNS, r)) for r in dataframe_rows(table)]
    step = [r for r in rows if r["Foglio"] == "Step" and r["Riga"] == "5" and r["Colonna"] == "Obiettivo"]
    assert step and "non trovato" in step[0]["Messaggio"] and step[0]["Valore"] == "Z", rows
    assert step[0]["Gravità"].lower().startswith("errore"), rows
    pct = [r for r in rows if r["Foglio"] == "Verifiche" and r["Riga"] == "3" and r["Colonna"] == "Raggiungimento"]
    assert pct and "fuori dall'intervallo" in pct[0]["Messaggio"] and "130" in pct[0]["Valore"], rows
    report_button = page.get_by_test_id("stDownloadButton").filter(has_text="Scarica il rapporto di validazione")
    expect(report_button).to_be_visible()
    with page.expect_download() as dl:
        report_button.get_by_role("button").click()
    assert dl.value.suggested_filename.endswith(".xlsx"), dl.value.suggested_filename
    report = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()), read_only=True)
    report_rows = [[("" if v is None else str(v)) for v in r] for r in report.worksheets[0].iter_rows(values_only=True)]
    assert report_rows[0][:len(PROBLEM_COLUMNS)] == PROBLEM_COLUMNS, report_rows[0]
    assert {(r[1], r[2], r[3]) for r in report_rows[1:]} >= {("Step", "5", "Obiettivo"),
                                                             ("Verifiche", "3", "Raggiungimento")}, report_rows
    expect(page.get_by_role("button", name="Conferma importazione")).to_have_count(0)
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "journey-3-carica-errori.png")


def test_upload_new_version_then_see_it(page, app_url, expected):
    new_value = expected_new_achievement()
    assert new_value != expected.achievement[expected.small_plan]   # the change is visible
    open_page(page, f"{app_url}/carica")
    data = new_version_workbook()
    upload(page, "piano_test_v2.xlsx", data)
    expect(page.get_by_test_id("stHeading").filter(has_text="Modifiche rispetto alla versione corrente")).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(has_text="Importazione non possibile")).to_have_count(0)
    wait_for_app(page)
    full_screenshot(page, ARTIFACTS / "journey-4-carica-anteprima.png")
    page.get_by_role("button", name="Conferma importazione").click()
    success = page.get_by_test_id("stAlert").filter(has_text="Importato")
    expect(success).to_be_visible()
    expect(success).to_contain_text("versione 2")
    wait_for_app(page)
    assert_no_exception(page)
    # the page switches the selection to the imported plan: the sidebar shows the new version
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"Versione 2 del piano"))).to_be_visible()
    # the plan's label in the sidebar: its years first (ui.state.plan_label), then the title
    expect(page.get_by_role("combobox", name="Piano")).to_have_value(
        re.compile(r"^\d{4}(–\d{4})? · " + re.escape(expected.plan_titles[expected.small_plan][1]) + "$"))
    full_screenshot(page, ARTIFACTS / "journey-4-carica-importato.png")

    # the same file again: nothing to do
    open_page(page, f"{app_url}/carica")
    upload(page, "piano_test_v2_copia.xlsx", data)
    expect(page.get_by_test_id("stAlert").filter(has_text="già importato")).to_be_visible()

    # a new session on the plan: the sidebar and the dashboard show the new version
    pid = expected.small_plan
    open_page(page, f"{app_url}/?piano={pid}")
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Versione 2 del piano"))).to_be_visible()
    expect(metric_value(page, "Raggiungimento del piano")).to_have_text(new_value)
    assert_no_exception(page)


# ----------------------------------------------------------------------------- lazy tabs
def test_lazy_tab_runs_on_click_and_is_bookmarkable(page, app_url, expected):
    """Scadenze computes only the open tab: clicking «Per mese di scadenza» reruns the page, shows
    the monthly table and puts the tab in the URL; the bookmarked URL opens on it."""
    pid = expected.default_plan
    open_page(page, f"{app_url}/scadenze?piano={pid}")
    month_chart = page.locator(".st-key-dl_month [data-testid='stPlotlyChart']")
    expect(month_chart).to_have_count(0)                      # closed tab: not computed, not sent
    page.get_by_role("tab", name="Per mese di scadenza").click()
    wait_for_app(page)
    expect(month_chart).to_have_count(1)
    tables = page.get_by_test_id("stDataFrame")
    month_table = tables.nth(tables.count() - 1)              # the open tab's table, last on the page
    month_table.scroll_into_view_if_needed()
    expect(month_table.locator("tbody [role='row']").first).to_be_attached()
    assert dataframe_header(month_table)[0] == "Mese"
    expect(page).to_have_url(re.compile(r"[?&]dl_rollup=Per(\+|%20)mese(\+|%20)di(\+|%20)scadenza(&|$)"))
    bookmarked = page.url
    assert_no_exception(page)
    open_page(page, bookmarked)
    expect(page.get_by_role("tab", name="Per mese di scadenza")).to_have_attribute("aria-selected", "true")
    expect(month_chart).to_have_count(1)
