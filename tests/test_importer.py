"""Importer: all-or-nothing, versions, idempotence, Italian row-level problems."""
import io
import zipfile

import pytest

from loaders import IMPORTED, REFUSED, UNCHANGED, import_bytes, import_history, restore_version, validate_workbook
from loaders import importer as importer_mod
from tests.workbooks import BASE, sheets, xlsx

TABLES = ["plans", "imports", "areas", "strategic_objectives", "objectives", "objective_links", "steps",
          "verifications", "indicators", "staff", "enti", "ente_aliases", "ente_merges"]


def snapshot(db):
    """Every data table (the audit trail is checked apart: each attempt adds exactly one record)."""
    return {t: sorted(map(repr, db.rows(f"SELECT * FROM {t}"))) for t in TABLES}


def audit_since(db, last_id):
    return db.rows("SELECT action, outcome, who, plan_id FROM audit_log WHERE audit_id > ? ORDER BY audit_id",
                   [last_id])


def last_audit_id(db):
    return db.scalar("SELECT coalesce(max(audit_id), 0) FROM audit_log")


def test_valid_workbook_imports_everything(db):
    res = import_bytes(db, xlsx(), "piano.xlsx", user="mario")
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    assert res.version == 1
    assert db.scalar("SELECT count(*) FROM steps") == 3
    assert db.scalar("SELECT count(*) FROM verifications") == 4
    assert db.scalar("SELECT count(*) FROM objective_links") == 3
    row = db.rows("SELECT imported_by, file_name, length(sha256) FROM imports")[0]
    assert row == ("mario", "piano.xlsx", 64)
    assert "versione 1" in res.message


def test_reimport_identical_file_is_a_noop(db):
    data = xlsx()
    import_bytes(db, data, "piano.xlsx")
    before, last = snapshot(db), last_audit_id(db)
    res = import_bytes(db, data, "copia.xlsx", user="mario")
    assert res.status == UNCHANGED and "già importato" in res.message
    assert snapshot(db) == before
    assert audit_since(db, last) == [("importazione invariata", "ok", "mario", res.plan_id)]


def test_reimport_same_plan_creates_a_version_and_restore_brings_back_the_old(db):
    first = import_bytes(db, xlsx(), "v1.xlsx")
    changed = sheets(Step=BASE["Step"] + [["B", "B.2", "Nuovo step", "31/12/2025", "10%"]])
    second = import_bytes(db, xlsx(changed), "v2.xlsx")
    assert second.status == IMPORTED and second.version == 2 and second.plan_id == first.plan_id
    assert db.scalar("SELECT count(*) FROM plans") == 1
    assert db.scalar("SELECT current_import_id FROM plans") == second.import_id
    hist = import_history(db)
    assert list(hist["version"]) == [2, 1] and hist["is_current"].tolist() == [True, False]
    msg = restore_version(db, first.import_id, user="anna")
    assert "versione 1" in msg
    assert db.scalar("SELECT current_import_id FROM plans") == first.import_id
    assert db.scalar("SELECT count(*) FROM steps WHERE import_id = ?", [second.import_id]) == 4  # kept
    assert db.rows("SELECT action, who FROM audit_log ORDER BY audit_id")[-1] == ("ripristino", "anna")


def _refused(db, data, name="rotto.xlsx"):
    import_bytes(db, xlsx(), "buono.xlsx")
    before, last = snapshot(db), last_audit_id(db)
    res = import_bytes(db, data, name, user="mario")
    assert res.status == REFUSED
    assert snapshot(db) == before, "a refused import must leave the data exactly as before"
    assert "non è stato modificato" in res.message
    assert audit_since(db, last) == [("importazione rifiutata", "rifiutato", "mario", None)], \
        "a refused import leaves exactly one record in the audit trail"
    assert name in db.scalar("SELECT detail FROM audit_log WHERE audit_id = ?", [last + 1])
    return res


def test_not_a_workbook_is_refused(db):
    res = _refused(db, b"questo non e un excel", "finto.xlsx")
    assert "non è una cartella di lavoro Excel" in str(res.problems[0])


def test_old_xls_is_refused_with_advice(db):
    res = _refused(db, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "vecchio.xls")
    assert ".xls" in res.problems[0].message and "salvarlo come .xlsx" in res.problems[0].message


def test_zip_that_is_not_xlsx_is_refused(db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "ciao")
    res = _refused(db, buf.getvalue(), "archivio.xlsx")
    assert "zip" in res.problems[0].message


def test_zip_bomb_is_refused_before_parsing(db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/workbook.xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    res = _refused(db, buf.getvalue(), "bomba.xlsx")
    assert "zip bomb" in res.problems[0].message or "decompresso" in res.problems[0].message


def test_missing_required_sheet(db):
    res = _refused(db, xlsx(sheets(Step=None)))
    errs = res.problems.errors
    assert any("foglio obbligatorio «Step» mancante" in p.message for p in errs)


def test_step_pointing_to_unknown_objective(db):
    res = _refused(db, xlsx(sheets(Step=BASE["Step"] + [["Z", "Z.1", "Orfano", "31/12/2025", "10%"]])))
    err = res.problems.errors[0]
    assert (err.sheet, err.row, err.column, err.value) == ("Step", 5, "Obiettivo", "Z")
    assert "obiettivo «Z» non trovato" in err.message


def test_achievement_130_percent(db):
    rows = [r[:] for r in BASE["Verifiche"]]
    rows[2][3] = "130%"
    res = _refused(db, xlsx(sheets(Verifiche=rows)))
    err = res.problems.errors[0]
    assert (err.sheet, err.row, err.column, err.value) == ("Verifiche", 3, "Raggiungimento", "130%")
    assert "fuori dall'intervallo" in err.message


def test_every_problem_is_collected_and_names_sheet_row_column(db):
    steps = [r[:] for r in BASE["Step"]]
    steps[1][3] = "31/02/2025"            # impossible date
    steps[2][4] = "-10"                   # negative weight
    ver = [r[:] for r in BASE["Verifiche"]]
    ver[1][0] = "X.9"                     # unknown step
    ver[2][4] = "ieri"                    # not a date
    res = _refused(db, xlsx(sheets(Step=steps, Verifiche=ver)))
    errs = res.problems.errors
    assert len(errs) == 4
    for e in errs:
        assert e.sheet and e.row and e.column, str(e)
        assert str(e).startswith("Errore — foglio «")
    assert {(e.sheet, e.row, e.column) for e in errs} == {
        ("Step", 2, "Termine"), ("Step", 3, "Peso"), ("Verifiche", 2, "Step"), ("Verifiche", 3, "Data completamento")}


def test_duplicate_codes_are_errors_naming_both_rows(db):
    res = _refused(db, xlsx(sheets(Obiettivi=BASE["Obiettivi"] + [["A", "Ancora A", "", "10%", ""]])))
    err = res.problems.errors[0]
    assert err.row == 4 and "riga 2" in err.message


def test_missing_required_column_lists_accepted_headers(db):
    rows = [["Codice", "Peso"], ["A", "50%"]]
    res = _refused(db, xlsx(sheets(Obiettivi=rows)))
    assert any("colonna obbligatoria «Titolo» mancante" in p.message for p in res.problems.errors)


def test_unknown_strategic_link_is_an_error(db):
    rows = [r[:] for r in BASE["Obiettivi"]]
    rows[1][4] = "1A, 9Z"
    res = _refused(db, xlsx(sheets(Obiettivi=rows)))
    assert any("«9Z»" in p.message for p in res.problems.errors)


def test_crash_during_write_rolls_back(db, monkeypatch, tmp_path):
    from store import incident

    import_bytes(db, xlsx(), "buono.xlsx")
    before, last = snapshot(db), last_audit_id(db)
    changed = xlsx(sheets(Step=BASE["Step"] + [["B", "B.2", "Altro", "31/12/2025", "10%"]]))
    original = importer_mod.audit.record

    def boom(cur, who, action, **k):  # the import's record is written, then the write fails
        original(cur, who, action, **k)
        if action == "import":
            raise RuntimeError("disco pieno")

    monkeypatch.setattr(importer_mod.audit, "record", boom)
    monkeypatch.setenv("CRUSCOTTO_INCIDENT_LOG", str(tmp_path / "incidenti.log"))
    monkeypatch.setattr(incident, "_logger", None)
    res = import_bytes(db, changed, "v2.xlsx", user="mario")   # issue 12: an incident, never an exception
    assert res.status == REFUSED and "codice incidente INC-" in res.message and "non è stato modificato" in res.message
    assert "Traceback" not in res.message and "disco pieno" not in res.message
    log = (tmp_path / "incidenti.log").read_text(encoding="utf-8")
    code = res.message.split("codice incidente ")[1].split(")")[0]
    assert "RuntimeError: disco pieno" in log and code in log
    assert snapshot(db) == before
    # the record of the failure survives the rollback (own transaction); the rolled-back «import» does not.
    # It carries the incident code, not the technical detail (that stays in the server's incident log).
    assert audit_since(db, last) == [("importazione rifiutata", "errore", "mario", None)]
    detail = db.scalar("SELECT detail FROM audit_log WHERE audit_id > ?", [last])
    assert code in detail and "disco pieno" not in detail


def test_tolerant_headers_and_synonyms_of_the_seeds(db):
    data = sheets(
        Obiettivi=[["cod.", "titolo", "Obiettivi strategico-operativi collegati", "Incidenza obiettivo sul 1° anno del PIAO"],
                   ["A", "Obiettivo A", "1A", "60%"], ["B", "Obiettivo B", "2B", "40%"]],
        Step=[["Obiettivo", "step", "descrizione", "termine", "KPI (Key Performance Indicator)", "peso step/obiettivo",
               "peso step/2025"],
              ["A", "A.1", "Primo", "31/03/25", "kpi", "50,00%", "50,00%"],
              ["A", "A.2", "Secondo", "30/06/25", "kpi", "50,00%", "50,00%"],
              ["B", "B.1", "Unico", "31/12/25", "kpi", "100,00%", "100,00%"]],
        Verifiche=[["STEP", "Data_Verifica", "Stato", "% raggiungimento al 31/12", "Verifica finale"],
                   ["A.1", "31/12/2025", "Realizzato", "100%", "ok"]],
    )
    res = import_bytes(db, xlsx(data), "sinonimi.xlsx")
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    assert db.rows("SELECT printed_year, printed_year_weight FROM steps WHERE code = 'A.1'") == [(2025, 50.0)]
    assert db.scalar("SELECT achievement FROM verifications") == 100.0


def test_unknown_columns_are_kept_as_notes_with_a_warning(db):
    rows = [r[:] + [x] for r, x in zip(BASE["Obiettivi"], ["Centro di costo", "CC1", "CC2"])]
    res = import_bytes(db, xlsx(sheets(Obiettivi=rows)), "note.xlsx")
    assert res.status == IMPORTED
    assert any("«Centro di costo» non prevista" in p.message for p in res.problems.warnings)
    assert db.scalar("SELECT notes FROM objectives WHERE code = 'A'") == "Centro di costo: CC1"


def test_codes_stay_text(db):
    steps = [BASE["Step"][0], ["A", "1.10", "Dieci", "31/03/2025", 1], ["A", "1.1", "Uno", "30/06/2025", 1],
             ["B", "B.1", "Unico", "31/12/2025", 1]]
    res = import_bytes(db, xlsx(sheets(Step=steps, Verifiche=None)), "codici.xlsx")
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    assert sorted(r[0] for r in db.rows("SELECT code FROM steps")) == ["1.1", "1.10", "B.1"]


def test_missing_step_weights_warn_and_continuous_deadlines_warn(db):
    steps = [["Obiettivo", "Codice", "Descrizione", "Termine"], ["A", "A.1", "Uno", "Al bisogno"],
             ["A", "A.2", "Due", "31/12/2025"], ["B", "B.1", "Tre", "mensili"]]
    res = import_bytes(db, xlsx(sheets(Step=steps, Verifiche=None)), "w.xlsx")
    assert res.status == IMPORTED
    msgs = " ".join(p.message for p in res.problems.warnings)
    assert "senza peso: pesi uguali" in msgs and "continuativo" in msgs
    assert db.scalar("SELECT count(*) FROM steps WHERE continuous") == 2


def test_validate_workbook_never_raises_on_garbage():
    for data in (b"", b"PK\x03\x04garbage", xlsx({"Foglio1": [["a"]]})):
        parsed = validate_workbook(data, "x.xlsx")
        assert not parsed.ok and all(isinstance(str(p), str) for p in parsed.problems)


def test_ambiguous_step_with_an_objectiveless_duplicate_is_an_error_not_a_crash(db):
    steps = BASE["Step"] + [[None, "A.1", "Senza obiettivo", "31/12/2025", "10%"]]
    res = _refused(db, xlsx(sheets(Step=steps)))
    assert any("campo obbligatorio vuoto" in p.message for p in res.problems.errors)


def test_bool_cells_are_not_confused_with_numbers_by_the_parser_caches():
    from loaders import parsing as P
    assert P.parse_percent(1) == (100.0, None)
    value, err = P.parse_percent(True)
    assert value is None and err


def test_data_version_changes_at_every_import_and_restore_only(db):
    v0 = db.version()
    data = xlsx()            # once: openpyxl stamps the time, two calls a second apart differ
    first = import_bytes(db, data, "p.xlsx")
    v1 = db.version()
    import_bytes(db, data, "p.xlsx")                         # identical file: no-op
    assert db.version() == v1 > v0
    rows = [r[:] for r in BASE["Verifiche"]]
    rows[1][3] = "130%"
    import_bytes(db, xlsx(sheets(Verifiche=rows)), "rotto.xlsx")   # refused
    assert db.version() == v1
    import_bytes(db, xlsx(sheets(Step=BASE["Step"] + [["B", "B.2", "Altro", "31/12/2025", "10%"]])), "v2.xlsx")
    v2 = db.version()
    restore_version(db, first.import_id)
    assert v2 > v1 and db.version() > v2
    assert db.version() == db._read_version()


def test_catalogue_queries_are_never_stale_after_import_or_restore(db):
    from metrics import list_plans, monitoring_dates, plan_versions
    first = import_bytes(db, xlsx(), "p.xlsx")
    assert list(list_plans(db)["version"]) == [1]
    assert list(plan_versions(db, first.plan_id)["version"]) == [1]
    dates_v1 = monitoring_dates(db, first.import_id)
    ver = BASE["Verifiche"] + [["B.1", "15/10/2025", "Obiettivo realizzato", "", "", "Fatto"]]
    second = import_bytes(db, xlsx(sheets(Verifiche=ver)), "p2.xlsx")
    assert list(list_plans(db)["version"]) == [2]                        # not the cached version 1
    assert list(import_history(db)["version"]) == [2, 1]
    assert monitoring_dates(db, second.import_id) == sorted(set(dates_v1) | {__import__("datetime").date(2025, 10, 15)})
    restore_version(db, first.import_id)
    assert list(list_plans(db)["version"]) == [1]
    assert import_history(db)["is_current"].tolist() == [False, True]
    mine = list_plans(db)
    mine.loc[:, "ente"] = "modificato"                                    # callers get copies
    assert list(list_plans(db)["ente"]) == ["Consorzio Test"]
    dates = monitoring_dates(db, first.import_id)
    dates.append("modificato")
    assert monitoring_dates(db, first.import_id) == dates_v1


def test_problem_to_dict_is_asdict():
    """Problem.to_dict is written out by hand (speed): it must stay what dataclasses.asdict gives."""
    from dataclasses import asdict

    from loaders.problems import Problem

    p = Problem("avviso", "messaggio", "Step", 12, "Termine", "Al bisogno")
    assert p.to_dict() == asdict(p) and list(p.to_dict()) == list(asdict(p))
