"""Preview of an upload against the current version of the same plan, and the validation
report as .xlsx (formula injection neutralised)."""
from __future__ import annotations

import copy
import datetime as dt
import io

import openpyxl
import pytest

from loaders import import_bytes, restore_version, validate_workbook
from loaders.diff import ADDED, CHANGED, REMOVED, has_changes, preview_changes
from loaders.problems import ERROR, WARNING, Problem
from loaders.report import COLUMNS, neutralize, problems_frame, report_xlsx
from metrics import plan_metrics
from tests.conftest import DEMO
from tests.workbooks import BASE, sheets, xlsx


def parse(data: bytes):
    parsed = validate_workbook(data, "piano.xlsx")
    assert parsed.ok, [str(p) for p in parsed.problems.errors]
    return parsed


def edited(set_: dict | None = None, delete: dict | None = None, add: dict | None = None) -> bytes:
    """BASE with cells replaced (``{sheet: {(row, col): value}}``), rows deleted (``{sheet: [row, …]}``)
    and rows appended (``{sheet: [[…], …]}``); row 0 is the header."""
    data = copy.deepcopy(BASE)
    for sheet, cells in (set_ or {}).items():
        for (r, c), v in cells.items():
            data[sheet][r][c] = v
    for sheet, rows in (delete or {}).items():
        for r in sorted(rows, reverse=True):
            data[sheet].pop(r)
    for sheet, rows in (add or {}).items():
        data[sheet].extend(rows)
    return xlsx(data)


def by_code(df, key="code"):
    return {row[key]: row for row in df.to_dict("records")}


# ----------------------------------------------------------------------------- preview
def test_new_plan_lists_everything_as_added(db):
    pv = preview_changes(db, parse(xlsx()))
    plan = pv["plan"].iloc[0]
    assert bool(plan["is_new"]) and plan["ente"] == "Consorzio Test" and plan["version"] is None
    assert list(pv["objectives"]["change"]) == [ADDED, ADDED]
    assert list(pv["objectives"]["code"]) == ["A", "B"]
    assert list(pv["steps"]["code"]) == ["A.1", "A.2", "B.1"] and set(pv["steps"]["change"]) == {ADDED}
    assert pv["verifications"].empty
    counts = pv["counts"].set_index("table")
    assert counts.loc["steps", "before"] == 0 and counts.loc["steps", "after"] == 3
    assert has_changes(pv)


def test_same_content_has_no_changes(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    pv = preview_changes(db, parse(xlsx(sheets(Aree=BASE["Aree"]))))
    assert not bool(pv["plan"]["is_new"].iloc[0]) and int(pv["plan"]["version"].iloc[0]) == 1
    assert pv["objectives"].empty and pv["steps"].empty and pv["verifications"].empty
    assert not has_changes(pv)


@pytest.mark.parametrize("demo", sorted(p.name for p in DEMO.glob("*.xlsx")))
def test_demo_workbooks_compare_equal_to_their_own_import(db, demo):
    data = (DEMO / demo).read_bytes()
    import_bytes(db, data, demo)
    pv = preview_changes(db, parse(data))
    assert not has_changes(pv), {k: pv[k].head(3).to_dict("records") for k in ("objectives", "steps", "verifications")}


def test_objectives_added_removed_and_changed_fields(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    data = edited(set_={"Obiettivi": {(1, 1): "Obiettivo A rivisto", (1, 3): "70%", (1, 4): "1A"}},
                  delete={"Obiettivi": [2], "Step": [3], "Verifiche": [3]},
                  add={"Obiettivi": [["C", "Obiettivo C", "PEG", "30%", "2B"]],
                       "Step": [["C", "C.1", "Nuovo", "30/11/2025", "100%"]]})
    pv = preview_changes(db, parse(data))
    obj = by_code(pv["objectives"])
    assert obj["C"]["change"] == ADDED and obj["C"]["title"] == "Obiettivo C"
    assert obj["B"]["change"] == REMOVED and obj["B"]["title"] == "Obiettivo B"
    a = obj["A"]
    assert a["change"] == CHANGED
    assert a["fields"] == "Titolo, Peso, Obiettivi strategici"
    assert "Titolo: «Obiettivo A» → «Obiettivo A rivisto»" in a["details"]
    assert "Peso: 60% → 70%" in a["details"]
    assert "Obiettivi strategici: 1A, 2A → 1A" in a["details"]
    assert list(pv["objectives"]["change"]) == [ADDED, CHANGED, REMOVED]  # additions first, removals last
    steps = by_code(pv["steps"])
    assert steps["C.1"]["change"] == ADDED and steps["B.1"]["change"] == REMOVED and "A.1" not in steps
    ver = pv["verifications"]
    assert list(zip(ver["change"], ver["step_code"])) == [(REMOVED, "B.1")]
    assert ver["verified_on"].iloc[0] == dt.date(2025, 8, 31)
    assert has_changes(pv)


def test_step_field_changes_name_each_field(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    steps = [["Obiettivo", "Codice", "Descrizione", "Termine", "Peso", "KPI"],
             ["A", "A.1", "Primo step", "30/04/2025", "50%", "n. delibere"],   # deadline + kpi
             ["A", "A.2", "Secondo step rivisto", "30/06/2025", "40%", None],  # description + weight
             ["B", "B.1", "Unico step", "Al bisogno", "100%", None]]          # becomes continuativo
    pv = preview_changes(db, parse(xlsx(sheets(Step=steps))))
    s = by_code(pv["steps"])
    assert set(s) == {"A.1", "A.2", "B.1"} and {r["change"] for r in s.values()} == {CHANGED}
    assert s["A.1"]["fields"] == "Termine, KPI"
    assert "Termine: 31/03/2025 → 30/04/2025" in s["A.1"]["details"]
    assert "KPI: — → «n. delibere»" in s["A.1"]["details"]
    assert s["A.2"]["fields"] == "Descrizione, Peso" and "Peso: 50% → 40%" in s["A.2"]["details"]
    assert s["B.1"]["fields"] == "Termine"
    assert s["B.1"]["details"] == "Termine: 30/09/2025 → Al bisogno (continuativo)"
    assert s["A.1"]["objective_code"] == "A" and s["A.2"]["description"] == "Secondo step rivisto"


def test_same_weight_written_differently_is_not_a_change(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    pv = preview_changes(db, parse(edited(set_={"Obiettivi": {(1, 3): "60", (2, 3): 40}})))
    assert pv["objectives"].empty


def test_compares_with_the_current_version_after_a_restore(db):
    first = import_bytes(db, xlsx(), "v1.xlsx")
    import_bytes(db, edited(set_={"Obiettivi": {(1, 1): "Obiettivo A rivisto"}}), "v2.xlsx")
    v3 = parse(edited(set_={"Obiettivi": {(1, 1): "Obiettivo A rivisto"}, "Step": {(1, 3): "15/04/2025"}}))
    pv = preview_changes(db, v3)
    assert int(pv["plan"]["version"].iloc[0]) == 2 and pv["objectives"].empty
    restore_version(db, first.import_id, user="test")
    pv = preview_changes(db, v3)
    assert int(pv["plan"]["version"].iloc[0]) == 1
    assert list(pv["objectives"]["code"]) == ["A"] and list(pv["steps"]["code"]) == ["A.1"]


def test_same_plan_is_matched_by_normalised_ente_and_title(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    piano = copy.deepcopy(BASE["Piano"])
    piano[1][1], piano[2][1] = "CONSORZIO  TEST", "piano 2025"
    pv = preview_changes(db, parse(xlsx(sheets(Piano=piano))))
    assert not bool(pv["plan"]["is_new"].iloc[0])
    piano[2][1] = "Piano 2026"
    assert bool(preview_changes(db, parse(xlsx(sheets(Piano=piano))))["plan"]["is_new"].iloc[0])


def test_preview_writes_nothing(db):
    import_bytes(db, xlsx(), "piano.xlsx")
    before = db.version(), db.scalar("SELECT count(*) FROM imports")
    preview_changes(db, parse(edited(set_={"Obiettivi": {(1, 1): "Altro"}})))
    assert (db.version(), db.scalar("SELECT count(*) FROM imports")) == before


def test_metrics_cache_follows_imports_and_restores(db):
    """plan_metrics is cached on db.version(): every import and restore must give fresh numbers."""
    first = import_bytes(db, xlsx(), "v1.xlsx")
    m1 = plan_metrics(db, first.plan_id, year=2025, as_of=dt.date(2025, 12, 31))
    v0 = db.version()
    verif = [r[:] for r in BASE["Verifiche"]]
    verif[4][2], verif[4][3] = "In corso", "10%"  # A.2 no longer achieved at 31/12
    second = import_bytes(db, xlsx(sheets(Verifiche=verif)), "v2.xlsx")
    assert db.version() > v0
    m2 = plan_metrics(db, first.plan_id, year=2025, as_of=dt.date(2025, 12, 31))
    assert second.version == 2 and m2.ctx.import_id == second.import_id and m2.achievement < m1.achievement
    v1 = db.version()
    restore_version(db, first.import_id, user="test")
    assert db.version() > v1
    m3 = plan_metrics(db, first.plan_id, year=2025, as_of=dt.date(2025, 12, 31))
    assert m3.ctx.import_id == first.import_id and m3.achievement == pytest.approx(m1.achievement)


# ----------------------------------------------------------------------------- report
def test_report_xlsx_lists_every_problem_with_its_location():
    parsed = validate_workbook(xlsx(sheets(Step=BASE["Step"] + [["Z", "Z.1", "Orfano", "31/02/2025", "10%"]])))
    data = report_xlsx(parsed.problems, "rotto.xlsx", "ab" * 32)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Problemi"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    body = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    assert len(body) == len(parsed.problems)
    errors = [r for r in body if r["Gravità"] == ERROR]
    assert {(r["Foglio"], r["Riga"], r["Colonna"], r["Valore"]) for r in errors} == {
        ("Step", 5, "Obiettivo", "Z"), ("Step", 5, "Termine", "31/02/2025")}
    assert all(r["Messaggio"] for r in body)
    info = dict(wb["Informazioni"].iter_rows(values_only=True))
    assert info["File"] == "rotto.xlsx" and info["Errori"] == 2 and "non possibile" in info["Esito"]


def test_report_xlsx_neutralises_formulas():
    evil = '=HYPERLINK("http://x")'
    problems = [Problem(ERROR, "valore non valido", "Step", 3, "Peso", evil),
                Problem(WARNING, "colonna non prevista", "=Foglio", 1, "@SUM(A1)", "+1+cmd|' /C calc'!A0"),
                Problem(ERROR, "peso negativo", "Obiettivi", 2, "Peso", "-5")]
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(problems, "=evil.xlsx")))
    ws = wb["Problemi"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value not in ("-5",):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    values = [c.value for c in ws["E"][1:]]  # errors first, then warnings
    assert values == ["'" + evil, "-5", "'+1+cmd|' /C calc'!A0"]  # inert text, the original still readable;
    # a plain negative number is not a formula
    assert ws["B4"].value == "'=Foglio" and ws["D4"].value == "'@SUM(A1)"
    # and the same file opened with formulas evaluated as values: still text, nothing computed
    wb2 = openpyxl.load_workbook(io.BytesIO(report_xlsx(problems)), data_only=True)
    assert wb2["Problemi"]["E2"].value == "'" + evil
    info = dict(wb["Informazioni"].iter_rows(values_only=True))
    assert info["File"] == "'=evil.xlsx"


def test_problems_frame_columns_and_order():
    problems = [Problem(WARNING, "avviso", "Step", 4), Problem(ERROR, "errore", "Obiettivi", 2, "Peso", "=1+1")]
    df = problems_frame(problems)
    assert list(df.columns) == COLUMNS
    assert list(df["Gravità"]) == [ERROR, WARNING]
    assert df["Valore"].iloc[0] == "'=1+1" and int(df["Riga"].iloc[1]) == 4


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-A1", "'-A1"), ("@x", "'@x"), ("\t=1", "'\t=1"),
    ("-5", "-5"), ("+2,5%", "+2,5%"), ("testo", "testo"), ("a=b", "a=b"), (12, 12), (None, None),
])
def test_neutralize(text, expected):
    assert neutralize(text) == expected



def test_one_row_per_field(db):
    from loaders.diff import one_row_per_field

    import_bytes(db, xlsx(), "piano.xlsx")
    data = edited(set_={"Obiettivi": {(1, 1): "Obiettivo A rivisto", (1, 3): "70%"}},
                  delete={"Obiettivi": [2], "Step": [3], "Verifiche": [3]},
                  add={"Obiettivi": [["C", "Obiettivo C", "PEG", "30%", "2B"]]})
    long = one_row_per_field(preview_changes(db, parse(data))["objectives"])
    assert list(long.columns) == ["change", "code", "title", "field", "before", "after"]
    assert [tuple(r) for r in long[["change", "code", "field", "before", "after"]].itertuples(index=False)] == [
        (ADDED, "C", "", "", ""),
        (CHANGED, "A", "Titolo", "«Obiettivo A»", "«Obiettivo A rivisto»"),
        (CHANGED, "A", "Peso", "60%", "70%"),
        (REMOVED, "B", "", "", ""),
    ]
