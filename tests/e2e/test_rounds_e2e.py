"""Issue 18, the round in a browser: CISSA 2023 without verifications on a server of its own; the direttore
(local mode) opens a round at 31/08/2023 on «Giri di monitoraggio», downloads every workbook as a zip,
uploads all answers but one (copied from the demo's 31/08 verifications), prepares the closing (the diff,
the missing steps named) and closes it: a new version of the plan with the answers."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from loaders import import_bytes
from store import Database
from tests.conftest import DEMO
from tests.e2e.conftest import (ARTIFACTS, StreamlitServer, assert_no_exception, expect, full_screenshot,
                                open_page, wait_for_app)
from tests.e2e.test_italian_a11y import AXE, ENGLISH_TEXT, _visit
from tests.test_rounds import _verifs, _with_verifications, fill

pytestmark = pytest.mark.e2e
AUG31 = dt.date(2023, 8, 31)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSING = "Responsabile progetti famiglie in difficoltà"


def test_round_open_download_answer_close(browser_context, tmp_path):
    assert AXE.exists(), "`make node` installa axe-core"
    demo = (DEMO / "002_cissa_pianezza_2023.xlsx").read_bytes()
    path = tmp_path / "giro.duckdb"
    d = Database(path)
    base = import_bytes(d, _with_verifications(demo, lambda rec: False), "cissa_senza_verifiche.xlsx", user="e2e")
    assert base.ok
    d.close()
    srv = StreamlitServer(path, tmp_path / "streamlit.log")
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 720})
    try:
        open_page(page, f"{srv.url}/giri?piano={base.plan_id}")
        expect(page.get_by_role("heading", name="Giri di monitoraggio")).to_be_visible()
        page.get_by_role("button", name="Apri il giro").click()
        expect(page.get_by_text("Giro n. 1 aperto")).to_be_visible()
        wait_for_app(page)
        with page.expect_download() as info:
            page.get_by_role("button", name="Scarica tutti i fogli (zip)").click()
        with zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read())) as zf:
            books = {n: zf.read(n) for n in zf.namelist()}
        assert len(books) > 10
        aug = _verifs(demo, AUG31)
        answers = [{"name": n, "mimeType": XLSX_MIME, "buffer": fill(b, aug)}
                   for n, b in books.items() if f" - {MISSING} - " not in n]
        assert len(answers) == len(books) - 1
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files=answers)
        page.get_by_role("button", name="Registra le risposte").click()
        expect(page.get_by_text(f"{len(answers)} risposte registrate senza problemi.")).to_be_visible(timeout=240_000)
        wait_for_app(page)
        expect(page.get_by_text("Risposta rifiutata")).to_have_count(0)
        expect(page.get_by_text(f"Promemoria per «{MISSING}»")).to_be_visible()
        full_screenshot(page, ARTIFACTS / "giri" / "giro_risposte.png")
        # the page as a fresh session finds it (status table, reminders): axe-core and no English text
        v = _visit(page, f"{srv.url}/giri?piano={base.plan_id}")
        bad = [x for x in v.violations if x[1] in ("critical", "serious") and not x[4]]
        assert not bad, bad
        assert v.lang == "it" and not [w for w in ENGLISH_TEXT if w in v.text or any(w in a for a in v.attrs)]
        page.get_by_role("button", name="Prepara la chiusura").click()
        expect(page.get_by_role("button", name="Conferma e chiudi il giro")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Modifiche rispetto alla versione 1")).to_be_visible()
        full_screenshot(page, ARTIFACTS / "giri" / "giro_chiusura.png")
        page.get_by_role("button", name="Conferma e chiudi il giro").click()
        expect(page.get_by_text("Giro n. 1 chiuso").first).to_be_visible(timeout=120_000)
        wait_for_app(page)
        assert_no_exception(page)
    finally:
        page.close()
        srv.stop()
    d = Database(path)
    try:
        assert d.scalar("SELECT max(version) FROM imports") == 2
        assert d.scalar("SELECT n_verifications FROM imports WHERE version = 2") == 34
        assert d.scalar("SELECT count(*) FROM rounds WHERE closed_import_id IS NOT NULL") == 1
    finally:
        d.close()
