"""Carica foglio, driven through AppTest (streamlit 1.67 supports ``file_uploader.upload``):
empty database, refused file (DB untouched), preview → confirm → new version, identical
re-upload, uploader cleared, restore of an earlier version, fresh data on every page."""
from __future__ import annotations

import copy
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from metrics import list_plans, plan_metrics
from metrics.fmt import fmt_pct
from store import Database
from tests.apptest import read
from tests.conftest import ROOT
from tests.workbooks import BASE, sheets, xlsx

PAGE = "pages/carica.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = ["plans", "imports", "objectives", "steps", "verifications", "enti"]  # data; the audit trail apart
LOCAL = "amministratore locale"   # the acting identity in local mode (ui.identity)
PROBLEM_COLUMNS = ["Gravità", "Foglio", "Riga", "Colonna", "Valore", "Messaggio"]


def open_page(monkeypatch, db_path, user: str | None = None) -> AppTest:
    monkeypatch.setenv("CRUSCOTTO_DB", str(db_path))
    if user:
        monkeypatch.setenv("CRUSCOTTO_USER", user)
    else:
        monkeypatch.delenv("CRUSCOTTO_USER", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, data: bytes, name: str = "piano.xlsx") -> AppTest:
    at.file_uploader[0].set_value((name, data, XLSX))
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def restore_choice(at: AppTest):
    return next(s for s in at.selectbox if s.label == "Versione da ripristinare")


def texts(elements) -> str:
    return " | ".join(e.value for e in elements)


def snapshot(path) -> dict:
    d = Database(path)
    try:
        return {t: sorted(map(repr, d.rows(f"SELECT * FROM {t}"))) for t in TABLES}
    finally:
        d.close()


def changed_workbook() -> bytes:
    """BASE with objective A retitled, reweighted and relinked, B removed, C added, a step moved."""
    ob = copy.deepcopy(BASE["Obiettivi"])
    ob[1][1], ob[1][3], ob[1][4] = "Obiettivo A rivisto", "70%", "1A"
    ob.pop(2)
    ob.append(["C", "Obiettivo C", "performance", "30%", "2B"])
    st = [r[:] for r in BASE["Step"] if r[0] != "B"]
    st[1][3] = "30/04/2025"
    st.append(["C", "C.1", "Nuovo step", "30/11/2025", "100%"])
    ver = [r for r in BASE["Verifiche"] if r[0] != "B.1"]
    return xlsx(sheets(Obiettivi=ob, Step=st, Verifiche=ver))


def test_empty_database_is_where_the_first_upload_happens(monkeypatch, tmp_path):
    at = open_page(monkeypatch, tmp_path / "vuoto.duckdb")
    assert at.title[0].value == "Carica foglio"
    up = at.file_uploader[0]
    # any file is accepted by the widget and refused by the page in Italian (Streamlit's refusal is English)
    assert up.label == "Foglio di monitoraggio (.xlsx)" and up.allowed_type == []
    assert [d.label for d in at.get("download_button")] == ["Scarica il modello vuoto"]
    assert "Storico delle importazioni" in texts(at.header)
    assert "Nessuna importazione" in texts(at.info)
    assert not at.text_input  # no free-text identity: the session's user acts
    assert f"a nome di **{LOCAL}**" in texts(at.caption)


def test_broken_workbook_shows_the_errors_and_leaves_the_database_untouched(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    before = snapshot(path)
    bad_steps = copy.deepcopy(BASE["Step"]) + [["Z", "Z.1", "Step orfano", "31/02/2025", "10%"]]
    upload(at, xlsx(sheets(Step=bad_steps)), "rotto.xlsx")
    assert len(at.error) == 1
    msg = at.error[0].value
    assert msg.startswith("Importazione non possibile") and "2 errori" in msg and "rotto.xlsx" in msg
    table = at.dataframe[0].value
    assert list(table.columns) == PROBLEM_COLUMNS
    errs = table[table["Gravità"] == "errore"]
    assert set(errs["Foglio"]) == {"Step"} and set(errs["Riga"]) == {"5"}
    assert {"Obiettivo", "Termine"} <= set(errs["Colonna"])
    assert {"Z", "31/02/2025"} <= set(errs["Valore"])
    assert "Scarica il rapporto di validazione" in [d.label for d in at.get("download_button")]
    assert not [b for b in at.button if b.label == "Conferma importazione"]
    assert snapshot(path) == before
    # the preview leaves exactly one record, refused, and no data
    assert read(path, "SELECT action, outcome, who FROM audit_log") == [("anteprima", "rifiutato", LOCAL)]
    assert "rotto.xlsx" in read(path, "SELECT detail FROM audit_log")[0][0]


def test_valid_upload_preview_confirm_then_identical_file(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path, user="Maria Rossi")   # local mode: the local administrator, so named
    data = xlsx()
    upload(at, data)
    assert "Modifiche rispetto alla versione corrente" in texts(at.header)
    assert "Nuovo piano" in texts(at.info)
    assert not at.error
    assert read(path, "SELECT count(*) FROM imports") == [(0,)]  # validated, not imported yet

    click(at, "Conferma importazione")
    success = texts(at.success)
    assert "Importato" in success and "versione 1" in success
    assert [e.proto.page for e in at.get("page_link")] == ["qualita"]  # link to «Qualità dei dati»
    assert read(path, "SELECT version, imported_by, file_name FROM imports") == [(1, "Maria Rossi", "piano.xlsx")]
    assert read(path, "SELECT action, outcome, who FROM audit_log ORDER BY audit_id") == [
        ("anteprima", "ok", "Maria Rossi"), ("import", "ok", "Maria Rossi")]
    # the sidebar shows the new plan at once, the uploader is empty again
    assert at.sidebar.selectbox(key="sel_plan").value == read(path, "SELECT plan_id FROM plans")[0][0]
    assert "Versione 1 del piano" in texts(at.sidebar.caption)
    assert at.file_uploader[0].value is None

    upload(at, data, "copia.xlsx")
    assert "già importato" in texts(at.info)
    assert not [b for b in at.button if b.label == "Conferma importazione"]
    assert read(path, "SELECT count(*) FROM imports") == [(1,)]


def test_new_version_preview_lists_the_changes_and_pages_show_the_new_data(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    upload(at, xlsx())
    click(at, "Conferma importazione")
    v1 = plan_metrics_of(path)

    upload(at, changed_workbook(), "piano_v2.xlsx")
    assert "Nuovo piano" not in texts(at.info)
    assert any("versione 2" in c.value for c in at.caption)
    frames = {tuple(d.value.columns): d.value for d in at.dataframe}
    objectives = frames[("Modifica", "Codice", "Obiettivo", "Campo", "Prima", "Dopo")]
    assert dict(zip(objectives["Codice"], objectives["Modifica"])) == {"A": "modificato", "B": "rimosso",
                                                                      "C": "aggiunto"}
    a = objectives[objectives["Codice"] == "A"]  # one row per changed field
    assert list(a["Campo"]) == ["Titolo", "Peso", "Obiettivi strategici"]
    assert list(a["Prima"]) == ["«Obiettivo A»", "60%", "1A, 2A"] and list(a["Dopo"]) == ["«Obiettivo A rivisto»",
                                                                                         "70%", "1A"]
    steps = frames[("Modifica", "Obiettivo", "Step", "Descrizione", "Campo", "Prima", "Dopo")]
    moved = steps[steps["Step"] == "A.1"].iloc[0]
    assert (moved["Modifica"], moved["Campo"], moved["Prima"], moved["Dopo"]) == (
        "modificato", "Termine", "31/03/2025", "30/04/2025")
    assert set(steps[steps["Modifica"] != "modificato"]["Step"]) == {"B.1", "C.1"}

    click(at, "Conferma importazione")
    assert "versione 2" in texts(at.success)
    assert "Versione 2 del piano" in texts(at.sidebar.caption)
    assert read(path, "SELECT i.version FROM plans p JOIN imports i ON i.import_id = p.current_import_id") == [(2,)]
    v2 = plan_metrics_of(path)
    assert v2.achievement != v1.achievement
    # every page reads the new version: the Panoramica shows the new plan achievement
    at.switch_page("pages/panoramica.py")
    at.run()
    assert not at.exception
    shown = next(m.value for m in at.metric if m.label == "Raggiungimento del piano")
    assert shown == fmt_pct(v2.achievement)


def plan_metrics_of(path):
    d = Database(path)
    try:
        pid = int(list_plans(d)["plan_id"].iloc[0])
        return plan_metrics(d, pid, year=2025, as_of=dt.date(2025, 12, 31))
    finally:
        d.close()


def test_restore_an_earlier_version(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    upload(at, xlsx())
    click(at, "Conferma importazione")
    v2_bytes = changed_workbook()
    upload(at, v2_bytes, "piano_v2.xlsx")
    click(at, "Conferma importazione")
    history = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert list(history["Versione"]) == [2, 1] and list(history["Corrente"]) == ["✓ corrente", ""]
    assert "SHA-256" not in history.columns            # an internal, not for the people who load the sheets

    choice = restore_choice(at)
    v1 = read(path, "SELECT import_id FROM imports WHERE version = 1")[0][0]
    assert choice.value == v1  # the earlier version is proposed
    assert not button(at, "Ripristina questa versione").disabled
    click(at, "Ripristina questa versione")
    assert "Ripristinata la versione 1" in texts(at.success)
    assert read(path, "SELECT current_import_id FROM plans") == [(v1,)]
    assert read(path, "SELECT action, who FROM audit_log ORDER BY audit_id DESC LIMIT 1") == [("ripristino", LOCAL)]
    assert "Versione 1 del piano" in texts(at.sidebar.caption)
    assert at.file_uploader[0].value is None
    upload(at, v2_bytes, "ancora_v2.xlsx")  # the restored-away file (same bytes): known, and restorable
    assert "già importato" in texts(at.info) and "Non è la versione corrente" in texts(at.info)
    assert read(path, "SELECT count(*) FROM imports") == [(2,)]
    at.switch_page("pages/panoramica.py")
    at.run()
    shown = next(m.value for m in at.metric if m.label == "Raggiungimento del piano")
    assert shown == fmt_pct(plan_metrics_of(path).achievement)
    assert plan_metrics_of(path).ctx.import_id == v1
    at.switch_page(PAGE)
    at.run()
    # the current version cannot be "restored" again
    choice = restore_choice(at)
    assert choice.value == read(path, "SELECT import_id FROM imports WHERE version = 2")[0][0]
    choice.set_value(v1).run()
    assert button(at, "Ripristina questa versione").disabled


def test_cleared_uploader_drops_the_pending_file(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    upload(at, xlsx(), "piano.xlsx")
    assert at.session_state["carica_pending"]["name"] == "piano.xlsx"
    at.file_uploader[0].clear()
    at.run()
    assert not at.exception
    assert "tolto dal caricamento" in texts(at.warning)
    assert "carica_pending" not in at.session_state
    assert not [b for b in at.button if b.label == "Conferma importazione"]
    assert read(path, "SELECT count(*) FROM imports") == [(0,)]


def test_not_an_excel_file_is_refused_with_a_message(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    upload(at, b"questo non e un foglio excel", "finto.xlsx")
    assert at.error[0].value.startswith("Importazione non possibile") and "1 errore" in at.error[0].value
    assert read(path, "SELECT count(*) FROM imports") == [(0,)]


@pytest.mark.parametrize("label", ["Scarica il modello vuoto"])
def test_template_download_is_offered_on_the_demo_data(monkeypatch, demo_db, label):
    at = open_page(monkeypatch, demo_db.path)
    assert label in [d.label for d in at.get("download_button")]
    history = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert len(history) == len(list_plans(demo_db))
    assert "non c'è ancora nulla da ripristinare" in texts(at.caption)


@pytest.mark.parametrize("name,what", [("dati.csv", "un file di testo CSV"), ("piano.pdf", "un documento PDF"),
                                       ("vecchio.xls", "un foglio Excel 97–2003 (.xls)"), ("senza", "senza estensione")])
def test_a_file_that_is_not_xlsx_is_refused_in_italian(monkeypatch, tmp_path, name, what):
    path = tmp_path / "db.duckdb"
    at = open_page(monkeypatch, path)
    at.file_uploader[0].set_value((name, b"a;b\n1;2\n", "text/csv"))
    at.run()
    assert not at.exception, at.exception
    msg = at.error[0].value
    assert msg.startswith(f"Il file «{name}» è ") and what in msg and "solo fogli Excel .xlsx" in msg, msg
    assert "Il database non è stato modificato" in msg
    assert not [b for b in at.button if b.label == "Conferma importazione"]
    assert read(path, "SELECT count(*) FROM imports") == [(0,)]
