"""The audit trail: append-only in the code, one record per action (with who, when, what, plan/version,
outcome), a refused import leaves a record but no data, only data-changing actions move the data version.
The page actions (preview, downloads, merge from the Enti page) are in tests/test_page_registro.py."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from exports.registro import trail_xlsx
from loaders import IMPORTED, REFUSED, UNCHANGED, import_bytes, restore_version
from metrics.registro import audit_trail
from store import audit, enti
from tests.conftest import ROOT
from tests.workbooks import BASE, sheets, xlsx

SOURCE_DIRS = ["app.py", "pages", "ui", "store", "loaders", "metrics", "exports", "charts", "bench"]
DATA_TABLES = ["plans", "imports", "objectives", "steps", "verifications", "enti", "ente_aliases", "ente_merges"]


def records(db, since: int = 0) -> list[tuple]:
    return db.rows("SELECT action, outcome, who, plan_id, import_id FROM audit_log WHERE audit_id > ? "
                   "ORDER BY audit_id", [since])


def last_id(db) -> int:
    return db.scalar("SELECT coalesce(max(audit_id), 0) FROM audit_log")


def data(db) -> dict:
    return {t: sorted(map(repr, db.rows(f"SELECT * FROM {t}"))) for t in DATA_TABLES}


def source_files():
    for entry in SOURCE_DIRS:
        p = ROOT / entry
        yield from ([p] if p.is_file() else sorted(p.rglob("*.py")))
    yield ROOT / "store" / "schema.sql"


def test_the_code_never_updates_or_deletes_the_audit_trail():
    pattern = re.compile(r"\b(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+(TABLE\s+)?audit_log|"
                         r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?audit_log|INSERT\s+OR\s+REPLACE\s+INTO\s+audit_log)\b",
                         re.IGNORECASE)
    files = list(source_files())
    assert len(files) > 40
    offending = [f"{f.relative_to(ROOT)}: {m.group(0)}" for f in files
                 for m in pattern.finditer(f.read_text(encoding="utf-8"))]
    assert offending == []
    writers = [f.relative_to(ROOT).as_posix() for f in files if f.suffix == ".py"
               and re.search(r"INSERT\s+INTO\s+audit_log", f.read_text(encoding="utf-8"), re.IGNORECASE)]
    assert writers == ["store/audit.py"], "store/audit.py is the only writer of the trail"


def test_the_grep_would_catch_an_update():  # the test above can fail
    pattern = re.compile(r"\bUPDATE\s+audit_log\b", re.IGNORECASE)
    assert pattern.search('cur.execute("update  audit_log SET who = ?")')


def test_each_import_outcome_leaves_exactly_one_record(db):
    wb = xlsx()  # the same bytes twice (openpyxl stamps the time of writing into the file)
    first = import_bytes(db, wb, "p.xlsx", user="mario")
    assert first.status == IMPORTED
    assert records(db) == [("import", "ok", "mario", first.plan_id, first.import_id)]
    mark = last_id(db)
    again = import_bytes(db, wb, "copia.xlsx", user="mario")
    assert again.status == UNCHANGED
    assert records(db, mark) == [("importazione invariata", "ok", "mario", first.plan_id, first.import_id)]
    mark, before = last_id(db), data(db)
    rows = [r[:] for r in BASE["Verifiche"]]
    rows[1][3] = "130%"
    bad = import_bytes(db, xlsx(sheets(Verifiche=rows)), "rotto.xlsx", user="mario")
    assert bad.status == REFUSED
    assert records(db, mark) == [("importazione rifiutata", "rifiutato", "mario", None, None)]
    assert data(db) == before, "a failed import leaves a record but no data"
    detail = db.scalar("SELECT detail FROM audit_log WHERE audit_id = ?", [mark + 1])
    assert "rotto.xlsx" in detail and "1 errore" in detail


def test_restore_ok_and_refused(db):
    first = import_bytes(db, xlsx(), "p.xlsx", user="mario")
    import_bytes(db, xlsx(sheets(Step=BASE["Step"] + [["B", "B.2", "Altro", "31/12/2025", "10%"]])), "v2.xlsx")
    mark = last_id(db)
    restore_version(db, first.import_id, user="anna")
    assert records(db, mark) == [("ripristino", "ok", "anna", first.plan_id, first.import_id)]
    mark, v = last_id(db), db.version()
    with pytest.raises(ValueError):
        restore_version(db, 999, user="anna")
    assert records(db, mark) == [("ripristino", "rifiutato", "anna", None, 999)]
    assert db.version() == v   # a refused restore changes nothing, not even the pages' cache key


def test_without_an_identity_the_machine_owner_acts(db, monkeypatch):
    monkeypatch.setenv("CRUSCOTTO_USER", "proprietario")
    import_bytes(db, xlsx(), "p.xlsx")
    assert db.rows("SELECT who FROM audit_log") == [("proprietario",)]
    assert db.rows("SELECT imported_by FROM imports") == [("proprietario",)]


def test_only_data_changing_actions_move_the_data_version(db):
    import_bytes(db, xlsx(), "p.xlsx")
    v = db.version()
    for action in ("accesso", "accesso negato", "uscita", "lettura API", "anteprima", "esportazione", "scaricamento",
                   "importazione rifiutata", "importazione invariata", "calcolo premi", "carta di lavoro", "calendario"):
        audit.record(db, "mario", action, detail="prova")
        assert db.version() == v, action
    assert set(audit.ACTIONS) - set(audit.DATA_ACTIONS) == {
        "accesso", "accesso negato", "uscita", "lettura API", "anteprima", "esportazione", "scaricamento",
        "importazione rifiutata", "importazione invariata", "calcolo premi", "carta di lavoro", "calendario"}
    for action in ("profilo", "ente", "utente", "scostamento", "chiusura"):   # who sees what (9A); netto, validated record (16)
        audit.record(db, "mario", action, detail="prova")
        assert db.version() > v, action
        v = db.version()
    with pytest.raises(ValueError, match="sconosciuta"):
        audit.record(db, "mario", "cancellazione")


def test_record_inside_a_transaction_rolls_back_with_it(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as cur:
            audit.record(cur, "mario", "profilo", detail="non salvato")
            raise RuntimeError("annullato")
    assert records(db) == []


def test_cli_export_is_recorded_as_the_machine_owner(tmp_path, db):
    res = import_bytes(db, xlsx(), "p.xlsx", user="mario")
    path = db.path
    db.close()
    env = {**os.environ, "CRUSCOTTO_USER": "proprietario"}
    out = tmp_path / "risultati.xlsx"
    cmd = [sys.executable, "-m", "metrics", "export", "--db", path, "--format", "xlsx", "--out", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)
    assert run.returncode == 0, run.stderr
    bad = subprocess.run(cmd[:-1] + [str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)
    assert bad.returncode == 2          # a folder, not a file: cannot be written
    from store import Database
    d = Database(path)
    try:
        assert records(d, 1) == [("esportazione", "ok", "proprietario", res.plan_id, res.import_id),
                                 ("esportazione", "errore", "proprietario", res.plan_id, res.import_id)]
        assert "risultati.xlsx" in d.scalar("SELECT detail FROM audit_log WHERE audit_id = 2")
    finally:
        d.close()


def test_trail_filters_and_excel_export(db):
    a = import_bytes(db, xlsx(), "p.xlsx", user="mario")
    other = sheets(Piano=[["Campo", "Valore"], ["Ente", "Altro Consorzio"], ["Titolo", "Piano X"],
                          ["Anno inizio", 2025], ["Anno fine", 2025]])
    b = import_bytes(db, xlsx(other), "=HYPERLINK(\"http://x\").xlsx", user="anna")
    audit.record(db, "anna", "scaricamento", plan_id=b.plan_id, detail="=1+1 report")
    df = audit_trail(db)
    assert list(df["audit_id"]) == [3, 2, 1]                               # newest first
    assert list(audit_trail(db, who=["mario"])["action"]) == ["import"]
    assert list(audit_trail(db, actions=["scaricamento"])["who"]) == ["anna"]
    assert list(audit_trail(db, ente_id=enti.lookup(db, "Consorzio Test"))["audit_id"]) == [1]
    assert list(audit_trail(db, plan_id=b.plan_id)["audit_id"]) == [3, 2]
    assert audit_trail(db, outcomes=["rifiutato"]).empty
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert audit_trail(db, since=tomorrow).empty and len(audit_trail(db, until=dt.date.today())) == 3
    assert list(audit_trail(db)["ente"]) == ["Altro Consorzio", "Altro Consorzio", "Consorzio Test"]
    assert a.plan_id != b.plan_id

    wb = load_workbook(io.BytesIO(trail_xlsx(df, "chi: anna")))
    ws = wb["Registro"]
    header = [c.value for c in ws[1]]
    assert header == ["N.", "Quando", "Chi", "Azione", "Esito", "Ente", "Piano", "Versione", "Dettaglio"]
    first = [c for c in ws[2]]
    assert first[0].value == 3 and isinstance(first[1].value, dt.datetime)
    assert first[1].number_format == "DD/MM/YYYY HH:MM:SS"
    assert first[8].value == "'=1+1 report" and first[8].data_type == "s"   # formula injection neutralised
    assert ws.cell(3, 9).value.startswith("'=HYPERLINK")
    info = {r[0].value: r[1].value for r in wb["Informazioni"].iter_rows(min_row=2)}
    assert info["Filtri"] == "chi: anna" and info["Eventi"] == 3


def test_acting_user_is_the_login_principal_when_there_is_one(monkeypatch):
    import types

    from ui import identity
    import ui
    monkeypatch.delattr(ui, "auth", raising=False)
    monkeypatch.setitem(sys.modules, "ui.auth", None)           # no login module: local mode
    assert identity.acting_user() == identity.LOCAL_ADMIN == "amministratore locale"
    fake = types.ModuleType("ui.auth")
    fake.current_user_name = lambda: "maria.rossi"
    monkeypatch.setitem(sys.modules, "ui.auth", fake)
    monkeypatch.setattr(ui, "auth", fake, raising=False)
    assert identity.acting_user() == "maria.rossi"


def test_a_download_writes_one_record_each_time_the_file_is_delivered(db, monkeypatch):
    from ui import identity
    monkeypatch.setattr("store.get_db", lambda *a, **k: db)
    res = import_bytes(db, xlsx(), "p.xlsx", user="mario")
    v, mark = db.version(), last_id(db)
    built = []
    deliver = identity.audited(lambda: built.append(1) or b"file", "anna", "risultati.xlsx", res.plan_id,
                               res.import_id)
    assert records(db, mark) == []                       # rendering the button records nothing
    assert deliver() == b"file" and built == [1]
    assert records(db, mark) == [("scaricamento", "ok", "anna", res.plan_id, res.import_id)]
    assert identity.audited(b"bytes", "anna", "modello vuoto")() == b"bytes"
    assert len(records(db, mark)) == 2
    assert db.version() == v


def test_the_memoised_trail_sees_every_new_record_at_once(db):
    """The Registro's queries are memoised by the file's token, not by the data version: a login or a
    download (no data version move) written here or by another process shows on the next read."""
    from metrics.registro import trail_choices

    import_bytes(db, xlsx(), "p.xlsx", user="mario")
    version = db.version()
    assert len(audit_trail(db)) == 1 and trail_choices(db)["who"] == ["mario"]
    df = audit_trail(db)
    df.loc[0, "who"] = "alterato"                                   # callers get copies
    assert list(audit_trail(db)["who"]) == ["mario"]
    audit.record(db, "anna", "scaricamento", detail="report")        # this process
    assert list(audit_trail(db)["who"]) == ["anna", "mario"] and "anna" in trail_choices(db)["who"]
    db.close()
    code = ("from store import Database, audit; d = Database(%r); audit.record(d, 'piero', 'accesso'); d.close()"
            % str(db.path))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)  # another process
    assert list(audit_trail(db)["who"]) == ["piero", "anna", "mario"]
    assert list(audit_trail(db, who=["piero"])["action"]) == ["accesso"]
    assert db.version() == version                                   # none of them moved the data version
