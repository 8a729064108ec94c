"""«Chiusura dell'anno» through AppTest (issue 16): three accounts close CISSA 2023 — the referente proposes a cause,
the direttore records the act and approves, the valutatore fills a carta di lavoro and validates; a later import of
a changed workbook leaves the validated figures on the Panoramica; riapri needs a reason and lands in the Registro;
a lettore sees the state and no buttons."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from loaders import import_bytes, import_file
from store import Database, users
from tests.apptest import metrics_of, read
from tests.conftest import DEMO
from tests.test_page_login_utenti import CISSA, PW, app, login, page_text

YEAR = "2023"


@pytest.fixture
def closing_db(tmp_path):
    path = tmp_path / "closing.duckdb"
    d = Database(path)
    assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
    for name, role in (("rita", "referente"), ("dario", "direttore"), ("vera", "valutatore"), ("luca", "lettore"),
                       ("anna", "amministratore")):
        users.add_user(d, name, PW, role, [CISSA] if role != "amministratore" else [], by="test")
    pid = int(d.scalar("SELECT plan_id FROM plans"))
    d.close()
    return path, pid


def open_closing(monkeypatch, path, pid, who):
    at = login(app(monkeypatch, path, piano=pid, anno=YEAR), who)
    at.switch_page("pages/chiusura.py")
    at.run()
    assert not at.exception, at.exception
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def changed_cissa() -> bytes:
    """CISSA 2023 with step 5.4 reached at the year end (objective 5: 80% → 100%)."""
    wb = load_workbook(DEMO / "002_cissa_pianezza_2023.xlsx")
    ws = wb["Verifiche"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    for row in ws.iter_rows(min_row=2):
        if str(row[col["Step"]].value).strip() == "5.4":
            row[col["Stato"]].value = "Obiettivo realizzato"
            if "Raggiungimento" in col:
                row[col["Raggiungimento"]].value = "100%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_three_accounts_close_the_year(monkeypatch, closing_db):
    path, pid = closing_db
    # the lettore: the state, no buttons, no forms
    at = open_closing(monkeypatch, path, pid, "luca")
    text = page_text(at)
    assert "Chiusura dell'anno" in text and "Stato dell'anno 2023:" in text and "in lavorazione" in text
    assert "Obiettivo 1" in text and "Obiettivo 5" in text          # the register: objectives 1 and 5
    assert not [b for b in at.button if b.label in ("Proponi", "Registra l'approvazione", "Riapri")]

    # the referente proposes a neutralisation of objective 1
    at = open_closing(monkeypatch, path, pid, "rita")
    assert "Indica la causa" in page_text(at)
    rows = at.selectbox(key="cl_row")      # options: register rows by position, shown as «Obiettivo 1 — …»
    rows.set_value(next(k for k, label in enumerate(rows.options) if label.startswith("Obiettivo 1 ")))
    at.selectbox(key="cl_cause").set_value("esogena")
    at.selectbox(key="cl_imp").set_value("no")
    at.text_area(key="cl_desc").input("Decreto di riparto del Ministero arrivato a novembre")
    at.selectbox(key="cl_treat").set_value("neutralizzazione")
    button(at, "Proponi").click()
    at.run()
    assert not at.exception, at.exception
    assert "Proposta registrata per obiettivo 1" in page_text(at)
    assert not [b for b in at.button if b.label == "Registra l'approvazione"]      # not the referente's

    # the direttore records the act, then approves and sends to the valutatore
    at = open_closing(monkeypatch, path, pid, "dario")
    at.text_input(key="cl_act").input("Delibera CdA n. 5 del 10/03/2024")
    button(at, "Registra la decisione").click()
    at.run()
    assert "Decisione registrata" in page_text(at)
    m = metrics_of(at)
    assert m["Lordo (come misurato)"] == "90,5%" and m["Netto (dopo i trattamenti decisi)"] == "96,5%"
    at.text_input(key="cl_approve_act").input("Delibera CdA n. 12 del 20/06/2024")
    button(at, "Registra l'approvazione").click()
    at.run()
    assert "Approvazione registrata" in page_text(at)
    button(at, "Invia al valutatore").click()
    at.run()
    assert "in validazione" in page_text(at)

    # the valutatore: carta di lavoro, then validata
    at = open_closing(monkeypatch, path, pid, "vera")
    assert "Tutti gli obiettivi del Piano sono rendicontati (6)" in page_text(at)
    items = at.selectbox(key="cl_wp_item")
    items.set_value(0)
    at.selectbox(key="cl_wp_method").set_value("ricalcolo")
    at.selectbox(key="cl_wp_outcome").set_value("conforme")
    at.text_area(key="cl_wp_note").input("Valori ricalcolati dal cruscotto: coincidono")
    button(at, "Salva la carta di lavoro").click()
    at.run()
    assert "Carta di lavoro salvata" in page_text(at)
    at.radio(key="cl_outcome").set_value("validata")
    button(at, "Registra l'esito").click()
    at.run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "Esito registrato: validata" in text and "Dati validati il" in text

    # a changed workbook for the same plan and year: the Panoramica keeps the validated figures
    d = Database(path)
    assert import_bytes(d, changed_cissa(), "cissa_2023_corretto.xlsx", user="test").ok
    d.close()
    at = login(app(monkeypatch, path, piano=pid, anno=YEAR), "luca")
    at.switch_page("pages/panoramica.py")
    at.run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "Dati validati il" in text
    assert metrics_of(at)["Raggiungimento del piano"] == "90,5%"     # the validated (lordo) figure, not 93,3%
    assert "netto 96,5%" in text

    # riapri: refused without a reason, recorded with one
    at = open_closing(monkeypatch, path, pid, "anna")
    button(at, "Riapri").click()
    at.run()
    assert "indicare il motivo" in page_text(at)
    at.text_input(key="cl_reason").input("Correzione della verifica dello step 5.4")
    button(at, "Riapri").click()
    at.run()
    assert "Anno riaperto" in page_text(at)
    rows = read(path, "SELECT who, detail, outcome FROM audit_log WHERE action = 'chiusura' ORDER BY audit_id")
    assert ("anna", "riapertura, anno 2023 (era «validata»): Correzione della verifica dello step 5.4", "ok") in rows
    assert any(w == "anna" and o == "rifiutato" and "motivo" in d for w, d, o in rows)
    # reopened: the Panoramica shows the current version again
    at = login(app(monkeypatch, path, piano=pid, anno=YEAR), "luca")
    at.switch_page("pages/panoramica.py")
    at.run()
    assert "Dati validati il" not in page_text(at)
    assert metrics_of(at)["Raggiungimento del piano"] != "90,5%"


def test_obiettivo_page_shows_lordo_and_netto_once_the_act_is_recorded(monkeypatch, closing_db):
    from metrics import variances as V
    from store.access import Principal

    path, pid = closing_db
    d = Database(path)
    V.propose(Principal("rita", "referente"), d, pid, 2023, "step", "5", step="5.4", cause="indicatore",
              imputabile="no", treatment="ripesatura", new_weight=0)
    d.close()
    at = login(app(monkeypatch, path, piano=pid, anno=YEAR, obiettivo="5"), "luca")
    at.switch_page("pages/obiettivo.py")
    at.run()
    assert not at.exception, at.exception
    assert "lordo" not in page_text(at)                      # proposed, not decided: one figure only
    d = Database(path)
    V.decide(Principal("dario", "direttore"), d, pid, 2023, "step", "5", step="5.4",
             act="Delibera CdA n. 6 del 10/03/2024")
    d.close()
    at = login(app(monkeypatch, path, piano=pid, anno=YEAR, obiettivo="5"), "luca")
    at.switch_page("pages/obiettivo.py")
    at.run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "Raggiungimento dell'obiettivo: **lordo 80,0%**" in text and "**netto 100,0%**" in text
