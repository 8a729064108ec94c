"""In a real browser, on a server of its own (a database with the CSSM 2025 plan only): upload the 2020 plan
of «C.S.S.M. - …», answer «È lo stesso ente di «CSSM»?», confirm; the sidebar shows one ente with two plans,
Confronto compares them; the Registro shows the preview and the import, the download of the Registro is
a real .xlsx and leaves its own record. Screenshots of Registro and Enti at 1280×720 and 1440×900."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (ARTIFACTS, DEMO, PYTHON, StreamlitServer, _run, assert_no_exception, dataframe_header,
                                dataframe_rows, full_screenshot, open_page, wait_for_app)
from tests.workbooks import CSSM_FULL_NAME, cssm_2020

pytestmark = pytest.mark.e2e

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cssm_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("registro_e2e")
    db = tmp / "cssm.duckdb"
    _run([PYTHON, "-m", "loaders", "import", str(DEMO / "000_cssm_piao_2025_2027.xlsx"), "--db", str(db)],
         env={**os.environ, "CRUSCOTTO_USER": "proprietario"})   # the CLI acts as the machine's owner
    srv = StreamlitServer(db, tmp / "streamlit.log")
    try:
        yield srv
    finally:
        srv.stop()


def table_rows(page) -> list[dict[str, str]]:
    """The rows of the page's first st.dataframe, by column header."""
    frame = page.get_by_test_id("stDataFrame").first
    expect(frame).to_be_visible()
    frame.scroll_into_view_if_needed()
    expect(frame.locator("tbody [role='row']").first).to_be_attached()
    header = dataframe_header(frame)
    return [dict(zip(header, r)) for r in dataframe_rows(frame)]


def test_same_ente_question_merge_confronto_and_registro(page, cssm_server, browser_context):
    url = cssm_server.url
    open_page(page, f"{url}/carica")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "cssm_2020.xlsx", "mimeType": XLSX_MIME, "buffer": cssm_2020(ROOT)}])
    question = page.get_by_test_id("stRadio").filter(has_text="È lo stesso ente di «CSSM»?")
    expect(question).to_be_visible()
    expect(page.get_by_role("button", name="Conferma importazione")).to_have_count(0)
    wait_for_app(page)
    full_screenshot(page, ARTIFACTS / "registro-1-domanda-ente.png")
    question.get_by_text("Sì, è lo stesso ente").click()
    wait_for_app(page)
    page.get_by_role("button", name="Conferma importazione").click()
    expect(page.get_by_test_id("stAlert").filter(has_text="Importato")).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_role("combobox", name="Ente")).to_have_value("CSSM")

    # Confronto: the two plans of CSSM, 2020 and 2025
    open_page(page, f"{url}/confronto")
    expect(page.get_by_test_id("stMetric").filter(has_text="Raggiungimento piano 2020")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Raggiungimento piano 2025")).to_be_visible()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "registro-2-confronto-anni.png")

    # Enti: one ente, the full name registered as an alternative name
    open_page(page, f"{url}/enti")
    rows = table_rows(page)
    assert [(r["Ente"], r["Piani"], r["Nomi alternativi"]) for r in rows] == [("CSSM", "2", CSSM_FULL_NAME)], rows

    # Registro: newest first, the import then the preview (and the CLI import of the demo plan)
    open_page(page, f"{url}/registro")
    rows = table_rows(page)
    assert [r["Azione"] for r in rows][:2] == ["import", "anteprima"], rows
    # local mode: the local administrator, named by CRUSCOTTO_USER in the test server (tests/e2e/conftest.py)
    assert rows[0]["Chi"] == "e2e" and rows[0]["Ente"] == "CSSM" and rows[0]["Versione"] == "1"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", rows[0]["Quando"]), rows[0]
    assert rows[-1]["Azione"] == "import" and rows[-1]["Chi"] == "proprietario"   # the CLI import
    n = len(rows)
    button = page.get_by_test_id("stDownloadButton").filter(has_text="Scarica il registro in Excel")
    with page.expect_download() as dl:
        button.get_by_role("button").click()
    assert dl.value.suggested_filename.startswith("registro_attivita_"), dl.value.suggested_filename
    wb = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert [c.value for c in wb["Registro"][1]][:5] == ["N.", "Quando", "Chi", "Azione", "Esito"]
    assert wb["Registro"].max_row == n + 1
    wait_for_app(page)
    open_page(page, f"{url}/registro")
    rows = table_rows(page)
    assert (rows[0]["Azione"], rows[0]["Chi"]) == ("scaricamento", "e2e"), rows[0]
    assert len(rows) == n + 1, rows
    assert_no_exception(page)
    for w, h in ((1280, 720), (1440, 900)):
        for name in ("registro", "enti"):
            shot = browser_context.new_page()
            try:
                shot.set_viewport_size({"width": w, "height": h})
                open_page(shot, f"{url}/{name}")
                shot.screenshot(path=str(ARTIFACTS / f"{name}-{w}x{h}.png"))
            finally:
                shot.close()
