"""Issue 16 in the browser: three accounts close CISSA 2023 on «Chiusura dell'anno» — the referente proposes a
cause, the direttore records the act and approves, the valutatore fills a carta di lavoro and validates. Then a
changed workbook is imported from the CLI: the Panoramica and the exports keep the validated figures. Riapri
without a reason is refused; with a reason it is in the Registro. Screenshots: ``tests/artifacts/closing-*.png``."""
from __future__ import annotations

import io
import json
import subprocess

import pytest

from tests.e2e.conftest import (ARTIFACTS, DEMO, PYTHON, ROOT, StreamlitServer, _run, assert_no_exception, expect,
                                full_screenshot, wait_for_app)
from tests.e2e.test_access_e2e import add_user
from tests.e2e.test_access_e2e import open_as as login_as
from tests.e2e.test_registro_e2e import table_rows

pytestmark = pytest.mark.e2e

CISSA = "Consorzio Intercomunale dei Servizi Socio Assistenziali di Pianezza (C.I.S.S.A.)"


@pytest.fixture(scope="module")
def closing_setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("closing_e2e")
    db = tmp / "closing.duckdb"
    _run([PYTHON, "-m", "loaders", "import", str(DEMO / "002_cissa_pianezza_2023.xlsx"), "--db", str(db),
          "--user", "e2e"])
    for name, role in (("rita", "referente"), ("dario", "direttore"), ("vera", "valutatore")):
        add_user(db, name, role, CISSA)
    add_user(db, "anna", "amministratore")
    srv = StreamlitServer(db, tmp / "streamlit.log")
    try:
        yield srv, db, tmp
    finally:
        srv.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit-closing.log").write_text(srv.log(), encoding="utf-8")


def open_as(page, url: str, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    login_as(page, url, name)              # a fresh login: the previous account's session cookie is cleared
    assert_no_exception(page)


def choose(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stMain").get_by_role("combobox", name=label)
    box.click()
    box.press_sequentially(option)        # the select filters its options as one types
    box.press("Enter")                    # (the choice shows in the later figures: netto after the decision)


def type_and_commit(page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    box.press("Enter")
    wait_for_app(page)


def changed_cissa(path) -> None:
    """CISSA 2023 with step 5.4 reached at the year end (objective 5: 80% → 100%)."""
    from openpyxl import load_workbook

    wb = load_workbook(DEMO / "002_cissa_pianezza_2023.xlsx")
    ws = wb["Verifiche"]
    col = {c.value: i for i, c in enumerate(ws[1])}
    for row in ws.iter_rows(min_row=2):
        if str(row[col["Step"]].value).strip() == "5.4":
            row[col["Stato"]].value = "Obiettivo realizzato"
            if "Raggiungimento" in col:
                row[col["Raggiungimento"]].value = "100%"
    wb.save(path)


def test_three_accounts_close_the_year_and_the_figures_stay(browser_context, closing_setup):
    srv, db, tmp = closing_setup
    url = f"{srv.url}/chiusura?piano=1&anno=2023"
    page = browser_context.new_page()
    try:
        # referente: proposes the neutralisation of objective 1 (the register's first row)
        open_as(page, url, "rita")
        expect(page.get_by_role("heading", name="Chiusura dell'anno")).to_be_visible()
        expect(page.get_by_text("Indica la causa di ogni scostamento")).to_be_visible()
        choose(page, "Trattamento proposto", "neutralizzazione")
        page.get_by_role("textbox", name="Descrizione").fill("Decreto di riparto del Ministero arrivato a novembre")
        page.get_by_role("button", name="Proponi").click()
        wait_for_app(page)
        expect(page.get_by_text("Proposta registrata per obiettivo 1.")).to_be_visible()
        full_screenshot(page, ARTIFACTS / "closing-1-referente.png")
    finally:
        page.close()

    page = browser_context.new_page()
    try:
        # direttore: records the act (netto moves, lordo stays), approves, sends to the valutatore
        open_as(page, url, "dario")
        page.get_by_role("textbox", name="Atto (numero e data)").fill("Delibera CdA n. 5 del 10/03/2024")
        page.get_by_role("button", name="Registra la decisione").click()
        wait_for_app(page)
        expect(page.get_by_text("Decisione registrata")).to_be_visible()
        expect(page.get_by_test_id("stMetric").filter(has_text="Netto")).to_contain_text("96,5%")
        expect(page.get_by_test_id("stMetric").filter(has_text="Lordo")).to_contain_text("90,5%")
        type_and_commit(page, "Atto di approvazione", "Delibera CdA n. 12 del 20/06/2024")
        page.get_by_role("button", name="Registra l'approvazione").click()
        wait_for_app(page)
        expect(page.get_by_text("Approvazione registrata.")).to_be_visible()
        page.get_by_role("button", name="Invia al valutatore").click()
        wait_for_app(page)
        expect(page.get_by_text("Relazione inviata al valutatore.")).to_be_visible()
        full_screenshot(page, ARTIFACTS / "closing-2-direttore.png")
    finally:
        page.close()

    page = browser_context.new_page()
    try:
        # valutatore: a carta di lavoro, then «validata»
        open_as(page, url, "vera")
        expect(page.get_by_text("Tutti gli obiettivi del Piano sono rendicontati (6).")).to_be_visible()
        choose(page, "Metodo", "ricalcolo")
        page.get_by_role("textbox", name="Nota").fill("Valori ricalcolati: coincidono con quelli del cruscotto")
        page.get_by_role("button", name="Salva la carta di lavoro").click()
        wait_for_app(page)
        expect(page.get_by_text("Carta di lavoro salvata")).to_be_visible()
        page.get_by_role("button", name="Registra l'esito").click()
        wait_for_app(page)
        expect(page.get_by_text("Esito registrato: validata.")).to_be_visible()
        expect(page.get_by_text("Dati validati il").first).to_be_visible()
        full_screenshot(page, ARTIFACTS / "closing-3-valutatore.png")
    finally:
        page.close()

    # a changed workbook for the same plan and year, imported from the command line
    changed = tmp / "cissa_2023_corretto.xlsx"
    changed_cissa(changed)
    _run([PYTHON, "-m", "loaders", "import", str(changed), "--db", str(db), "--user", "e2e"])
    page = browser_context.new_page()
    try:
        open_as(page, f"{srv.url}/panoramica?piano=1&anno=2023", "vera")
        expect(page.get_by_text("Dati validati il").first).to_be_visible()
        expect(page.get_by_test_id("stMetric").filter(has_text="Raggiungimento del piano").first) \
            .to_contain_text("90,5%")
        full_screenshot(page, ARTIFACTS / "closing-4-panoramica-validata.png")
    finally:
        page.close()
    report = subprocess.run([PYTHON, "-m", "metrics", "report", "--db", str(db), "--plan", "1", "--year", "2023",
                             "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    doc = json.loads(report.stdout)
    assert round(doc["achievement"], 1) == 90.5 and round(doc["achievement_net"], 1) == 96.5
    assert doc["validation"]["state"] == "validata" and doc["validation"]["by"] == "vera"
    out = tmp / "risultati.xlsx"
    _run([PYTHON, "-m", "metrics", "export", "--format", "xlsx", "--out", str(out), "--db", str(db), "--plan", "1",
          "--year", "2023"])
    from openpyxl import load_workbook

    cells = {r[0].value: r[1].value for r in load_workbook(io.BytesIO(out.read_bytes()))["Riepilogo"].iter_rows()
             if r[0].value}
    assert round(cells["Raggiungimento del piano"], 3) == 0.905 and cells["Validato da"] == "vera"

    page = browser_context.new_page()
    try:
        # riapri: refused without a reason, then with one; the Registro shows it
        open_as(page, url, "anna")
        page.get_by_role("button", name="Riapri").click()
        wait_for_app(page)
        expect(page.get_by_text("Per riaprire l'anno indicare il motivo.")).to_be_visible()
        type_and_commit(page, "Motivo della riapertura", "Correzione della verifica dello step 5.4")
        page.get_by_role("button", name="Riapri").click()
        wait_for_app(page)
        expect(page.get_by_text("Anno riaperto")).to_be_visible()
        open_as(page, f"{srv.url}/registro", "anna")     # a new address: a new session, a new login
        rows = table_rows(page)     # the newest first; the Dettaglio column is beyond the grid's visible part
        assert any(r.get("Chi") == "anna" and r.get("Azione") == "chiusura" for r in rows), rows[:4]
        from tests.apptest import read

        events = read(db, "SELECT who, detail, outcome FROM audit_log WHERE action = 'chiusura' ORDER BY audit_id")
        assert ("anna", "riapertura, anno 2023 (era «validata»): Correzione della verifica dello step 5.4", "ok") \
            in events
        assert any(w == "anna" and o == "rifiutato" and "motivo" in d for w, d, o in events)
        full_screenshot(page, ARTIFACTS / "closing-5-registro.png")
    finally:
        page.close()
