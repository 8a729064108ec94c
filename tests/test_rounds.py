"""Monitoring rounds over Excel (issue 18): a round on CISSA 2023 at 31/08 (one workbook per responsible,
all but one answer copied from the demo's 31/08 verifications, closing through the import path: the same
figures as importing the full workbook with those verifications); a small plan where one responsible holds
steps alone (they show unverified); refusals row by row with nothing stored; status, conflicts, roles."""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from domain.responsibles import resp_key
from loaders import import_bytes
from loaders import rounds as R
from loaders.spec import match_sheet
from loaders.validate import validate_workbook_here
from metrics.engine import plan_metrics
from store import Database
from store.access import Principal, local_administrator
from tests.conftest import DEMO
from tests.workbooks import BASE, sheets, xlsx

CISSA = DEMO / "002_cissa_pianezza_2023.xlsx"
AUG31, DUE = dt.date(2023, 8, 31), dt.date(2023, 9, 15)
ADMIN = local_administrator("direttrice di prova")


def _with_verifications(data: bytes, keep) -> bytes:
    """The workbook with only the Verifiche rows for which ``keep(row values)`` is true (header kept)."""
    wb = load_workbook(io.BytesIO(data))
    ws = next(ws for ws in wb.worksheets if (s := match_sheet(ws.title)) is not None and s.key == "verifications")
    header = [c.value for c in ws[1]]
    drop = [i for i in range(ws.max_row, 1, -1) if not keep(dict(zip(header, [c.value for c in ws[i]])))]
    for i in drop:
        ws.delete_rows(i)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _is_aug31(rec: dict) -> bool:
    v = next((v for k, v in rec.items() if k and str(k).strip().lower().startswith("data")), None)
    return v is not None and (v.date() if isinstance(v, dt.datetime) else v) == AUG31


def _verifs(data: bytes, on: dt.date) -> dict[tuple[str, str], dict]:
    v = validate_workbook_here(data, "x.xlsx").tables["verifications"]
    v = v[v["verified_on"] == on]
    return {(r.objective_code, r.step_code): r._asdict() for r in v.itertuples()}


def fill(data: bytes, answers: dict[tuple[str, str], dict]) -> bytes:
    """What a responsible does in Excel: the yellow cells of «Verifiche» filled from ``answers``."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Verifiche"]
    for row in range(2, ws.max_row + 1):
        key = (ws.cell(row, 2).value, ws.cell(row, 1).value)
        a = answers.get(key)
        if a is None:
            continue
        ws.cell(row, 4).value = a["status_raw"]
        if a["achievement"] is not None and a["achievement"] == a["achievement"]:
            ws.cell(row, 5).value = a["achievement"] / 100
        ws.cell(row, 6).value = a["completed_on"]
        ws.cell(row, 7).value = a["new_deadline"]
        ws.cell(row, 8).value = a["note"]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _none(x):
    return None if x is None or x != x else x        # NaN (not monitored) → None, comparable


def _figures(db, plan_id, as_of):
    pm = plan_metrics(db, plan_id, as_of=as_of)
    steps = {(r.objective_code, r.code): (r.status, _none(r.achievement), bool(r.verified)) for r in pm.steps.itertuples()}
    objs = {r.code: (_none(r.achievement), r.status) for r in pm.objectives.itertuples()}
    return _none(pm.achievement), objs, steps


@pytest.fixture(scope="module")
def cissa_round(tmp_path_factory):
    """CISSA 2023 imported without verifications, a round at 31/08, every responsible but one answering."""
    demo = CISSA.read_bytes()
    db = Database(tmp_path_factory.mktemp("round") / "round.duckdb")
    base = import_bytes(db, _with_verifications(demo, lambda rec: False), "cissa_senza_verifiche.xlsx", user="test")
    assert base.ok and base.counts["verifiche"] == 0
    rid = R.open_round(db, ADMIN, base.plan_id, AUG31, DUE)
    books = R.round_workbooks(db, ADMIN, rid)
    aug = _verifs(demo, AUG31)
    missing = "Responsabile progetti famiglie in difficoltà"
    results = {}
    for name, fname, data in books:
        if name == missing:
            continue
        a = R.assignments(db, rid)
        theirs = set(zip(a.loc[a.resp_key == resp_key(name), "objective_code"], a.loc[a.resp_key == resp_key(name), "step_code"]))
        mine = {k: v for k, v in aug.items() if k in theirs}
        results[name] = R.answer_bytes(db, ADMIN, fill(data, mine), fname)
    return {"db": db, "plan_id": base.plan_id, "round": rid, "books": books, "missing": missing,
            "results": results, "aug": aug, "demo": demo}


def test_one_workbook_per_responsible_present_in_the_plan(cissa_round):
    db, books = cissa_round["db"], cissa_round["books"]
    names = {resp_key(n) for n, _f, _d in books}
    expected = set()
    for s_resp, o_resp in db.rows("SELECT s.responsible, o.responsible FROM steps s JOIN objectives o ON "
                                  "o.import_id = s.import_id AND o.code = s.objective_code WHERE s.import_id = "
                                  "(SELECT current_import_id FROM plans WHERE plan_id = ?)", [cissa_round["plan_id"]]):
        from domain.responsibles import step_responsibles
        expected |= {resp_key(n) for n in step_responsibles(s_resp, o_resp)}
    assert names == expected and len(books) == len(expected) > 10
    assert len({f for _n, f, _d in books}) == len(books)
    # step 1.1 names six responsibles: it is in the workbook of each of them
    holders = [n for n, _f, d in books
               if any(r[0] == "1.1" for r in load_workbook(io.BytesIO(d))["Verifiche"].iter_rows(min_row=2, values_only=True))]
    assert len(holders) == 6 and "Direttrice" in holders


def test_prefilled_workbook_is_protected_with_checks_comments_and_round_id(cissa_round):
    name, fname, data = next(b for b in cissa_round["books"] if b[0] == "Direttore")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Istruzioni", "Verifiche", "Step assegnati", "Giro"]
    ws = wb["Verifiche"]
    assert [c.value for c in ws[1]] == R.HEADERS
    assert ws.protection.sheet and wb["Step assegnati"].protection.sheet and wb["Istruzioni"].protection.sheet
    assert wb["Giro"].sheet_state == "hidden"
    assert ws.cell(2, 1).protection.locked and ws.cell(2, 3).protection.locked
    assert all(not ws.cell(2, c).protection.locked for c in range(4, 9))
    assert ws.cell(2, 3).value.date() == AUG31
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"list", "decimal", "date"}
    assert "Raggiunto" in next(dv for dv in ws.data_validations.dataValidation if dv.type == "list").formula1
    assert "non modificare" in ws.cell(1, 1).comment.text
    assert wb["Giro"]["B1"].value == cissa_round["round"] and wb["Giro"]["B2"].value == "Direttore"
    assert R.looks_like_answer(data) and not R.looks_like_answer(cissa_round["demo"])
    # a filled answer is also a valid Verifiche sheet of the spec
    assert match_sheet("Verifiche").key == "verifications"


def test_all_but_one_answer_then_close_equals_importing_the_same_verifications(cissa_round):
    db, rid = cissa_round["db"], cissa_round["round"]
    assert all(r.ok for r in cissa_round["results"].values()), \
        {n: [str(p) for p in r.problems] for n, r in cissa_round["results"].items() if not r.ok}
    st = R.round_status(db, ADMIN, rid).set_index("responsible")
    miss = st.loc[cissa_round["missing"]]
    assert miss.esito == "in attesa" and miss.answered == 0
    assert "15/09/2023" in miss.promemoria and miss.mailto.startswith("mailto:?subject=")
    assert "15%2F09%2F2023" in miss.mailto
    assert (st.drop(index=cissa_round["missing"]).esito != "in attesa").all()
    assert st.drop(index=cissa_round["missing"]).promemoria.eq("").all()
    preview = R.close_preview(db, ADMIN, rid)
    assert preview["ok"] and any(len(df) for df in preview["changes"].values())
    result, missing = R.close_round(db, ADMIN, rid)
    assert result.ok and result.version == 2, result.message
    # the missing responsible's steps are all shared in CISSA: every step got an answer from someone else
    held_only = [k for k in cissa_round["aug"] if {resp_key(x) for x in db.rows(
        "SELECT resp_key FROM round_assignments WHERE round_id = ? AND objective_code = ? AND step_code = ?",
        [rid, *k])} == {(resp_key(cissa_round["missing"]),)}]
    assert missing == held_only == []
    # reference: the full demo workbook with only its 31/08 verifications, imported in another database
    ref_db = Database(":memory:")
    ref = import_bytes(ref_db, _with_verifications(cissa_round["demo"], _is_aug31), "cissa_31_08.xlsx", user="test")
    assert ref.ok and ref.counts["verifiche"] == 34
    got, want = _figures(db, cissa_round["plan_id"], AUG31), _figures(ref_db, ref.plan_id, AUG31)
    assert got[2] == want[2]
    assert got[1] == want[1]
    assert got[0] == pytest.approx(want[0])
    assert db.scalar("SELECT n_verifications FROM imports WHERE import_id = ?", [result.import_id]) == 34
    actions = [a for (a,) in db.rows("SELECT action FROM audit_log WHERE action IN ('giro di monitoraggio', 'import') "
                                     "ORDER BY audit_id")]
    assert actions[-2:] == ["import", "giro di monitoraggio"]
    with pytest.raises(R.RoundError, match="già chiuso"):
        R.close_round(db, ADMIN, rid)
    late = R.answer_bytes(db, ADMIN, cissa_round["books"][0][2], cissa_round["books"][0][1])
    assert not late.ok and "chiuso" in late.message + str(late.problems[0])


# ------------------------------------------------------------------------------ a small plan
STEP_RESP = [BASE["Step"][0] + ["Responsabile"], BASE["Step"][1] + ["Anna"], BASE["Step"][2] + ["Anna, Bruno"],
             BASE["Step"][3] + ["Carla"]]


@pytest.fixture
def small(db):
    res = import_bytes(db, xlsx(sheets(Step=STEP_RESP, Verifiche=None)), "piccolo.xlsx", user="test")
    assert res.ok
    rid = R.open_round(db, ADMIN, res.plan_id, dt.date(2025, 8, 31), dt.date(2025, 9, 10),
                       emails={"Carla": "carla@esempio.it"})
    books = {n: (f, d) for n, f, d in R.round_workbooks(db, ADMIN, rid)}
    assert set(books) == {"Anna", "Bruno", "Carla"}
    return db, res.plan_id, rid, books


ANSWERS = {("A", "A.1"): {"status_raw": "Obiettivo realizzato", "achievement": None, "completed_on": dt.date(2025, 4, 10),
                          "new_deadline": None, "note": "Fatto con delibera 1"},
           ("A", "A.2"): {"status_raw": "In fase di realizzazione", "achievement": 40.0, "completed_on": None,
                          "new_deadline": None, "note": "Avviato"},
           ("B", "B.1"): {"status_raw": "In corso", "achievement": None, "completed_on": None, "new_deadline": None,
                          "note": "In lavorazione"}}


def _answers_count(db) -> int:
    return db.scalar("SELECT count(*) FROM round_answers")


def test_missing_responsible_steps_show_unverified(small):
    db, plan_id, rid, books = small
    for who in ("Anna", "Bruno"):
        f, d = books[who]
        assert R.answer_bytes(db, ADMIN, fill(d, ANSWERS), f).ok
    st = R.round_status(db, ADMIN, rid).set_index("responsible")
    assert st.loc["Carla"].mailto.startswith("mailto:carla%40esempio.it?subject=")
    result, missing = R.close_round(db, ADMIN, rid)
    assert result.ok and missing == [("B", "B.1")]
    assert "B.1" in R.missing_note(missing)
    note = R.version_note(db, result.import_id)
    assert note.startswith(f"Versione scritta dal giro di monitoraggio n. {rid} al 31/08/2025") and "B.1" in note
    assert R.version_note(db, result.import_id - 1) == ""
    ref_db = Database(":memory:")
    aug = [r for r in BASE["Verifiche"] if r[1] == "31/08/2025" and r[0] != "B.1"]
    ref = import_bytes(ref_db, xlsx(sheets(Step=STEP_RESP, Verifiche=[BASE["Verifiche"][0]] + aug)), "r.xlsx")
    got, want = _figures(db, plan_id, dt.date(2025, 8, 31)), _figures(ref_db, ref.plan_id, dt.date(2025, 8, 31))
    assert got == want
    assert got[2][("B", "B.1")][2] is False                                   # unverified
    assert got[1]["B"] == (None, "non monitorato")


def test_answer_carrying_another_responsibles_step_is_refused_with_row_and_column(small):
    db, _plan, rid, books = small
    f, d = books["Anna"]
    wb = load_workbook(io.BytesIO(fill(d, ANSWERS)))
    ws = wb["Verifiche"]
    ws.protection.sheet = False                      # protection removed in Excel
    ws.append(["B.1", "B", dt.datetime(2025, 8, 31), "In corso", None, None, None, "Non è mio"])
    buf = io.BytesIO()
    wb.save(buf)
    res = R.answer_bytes(db, ADMIN, buf.getvalue(), f)
    assert not res.ok and _answers_count(db) == 0
    err = res.problems.errors[0]
    assert (err.sheet, err.row, err.column) == ("Verifiche", 4, "Step")
    assert "non è assegnato a «Anna»" in err.message
    assert "Nessuna risposta è stata registrata" in res.message
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'risposta al giro' AND outcome = 'rifiutato'") == 1


@pytest.mark.parametrize("cell, value, column", [
    ("C2", dt.datetime(2025, 9, 30), "Data verifica"),
    ("A3", "A.1", "Step"),
    ("J2", "scritto fuori", "colonna J"),
])
def test_answer_edited_outside_its_cells_is_refused_with_row_and_column(small, cell, value, column):
    db, _plan, rid, books = small
    f, d = books["Anna"]
    wb = load_workbook(io.BytesIO(fill(d, ANSWERS)))
    wb["Verifiche"].protection.sheet = False
    wb["Verifiche"][cell] = value
    buf = io.BytesIO()
    wb.save(buf)
    res = R.answer_bytes(db, ADMIN, buf.getvalue(), f)
    assert not res.ok and _answers_count(db) == 0
    err = res.problems.errors[0]
    assert err.row == int(cell[1:]) and err.column == column, str(err)
    assert "fuori dalle celle da compilare" in err.message


def test_changed_structure_and_forged_round_sheet_are_refused(small):
    db, _plan, rid, books = small
    f, d = books["Anna"]
    wb = load_workbook(io.BytesIO(fill(d, ANSWERS)))
    wb["Verifiche"].protection.sheet = False
    wb["Verifiche"]["D1"] = "Esito"
    buf = io.BytesIO()
    wb.save(buf)
    res = R.answer_bytes(db, ADMIN, buf.getvalue(), f)
    assert not res.ok and "struttura del foglio è cambiata" in str(res.problems[0]) and "colonna «Stato»" in str(res.problems[0])
    wb = load_workbook(io.BytesIO(fill(d, ANSWERS)))
    wb["Giro"]["B3"] = "carla"                       # «not your step» by relabelling the file
    buf = io.BytesIO()
    wb.save(buf)
    res = R.answer_bytes(db, ADMIN, buf.getvalue(), f)
    assert not res.ok and "«Giro» non corrisponde" in str(res.problems[0])
    wb = load_workbook(io.BytesIO(fill(d, ANSWERS)))
    wb["Verifiche"].protection.sheet = False
    wb["Verifiche"].delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    res = R.answer_bytes(db, ADMIN, buf.getvalue(), f)
    assert not res.ok and any(p.row == 3 and "eliminata" in p.message for p in res.problems.errors)
    assert _answers_count(db) == 0


def test_disagreeing_answers_wait_for_the_direttore(small):
    db, _plan, rid, books = small
    assert R.answer_bytes(db, ADMIN, fill(books["Anna"][1], ANSWERS), books["Anna"][0]).ok
    other = dict(ANSWERS)
    other[("A", "A.2")] = dict(ANSWERS[("A", "A.2")], achievement=60.0, note="Quasi finito")
    res = R.answer_bytes(db, ADMIN, fill(books["Bruno"][1], other), books["Bruno"][0])
    assert res.ok and res.conflicts == ["A/A.2"]
    assert any("sceglie il direttore" in p.message and p.row == 2 for p in res.problems.warnings)
    assert set(R.conflicts(db, ADMIN, rid)["responsible"]) == {"Anna", "Bruno"}
    # Bruno corrects his file to agree with Anna: no choice needed any more; then he disagrees again
    assert R.answer_bytes(db, ADMIN, fill(books["Bruno"][1], ANSWERS), books["Bruno"][0]).conflicts == []
    assert R.conflicts(db, ADMIN, rid).empty
    assert R.answer_bytes(db, ADMIN, fill(books["Bruno"][1], other), books["Bruno"][0]).conflicts == ["A/A.2"]
    with pytest.raises(R.RoundError, match="A.2"):
        R.close_round(db, ADMIN, rid)
    referente = Principal("rita", "referente", None)
    with pytest.raises(Exception, match="Non autorizzato"):
        R.choose_answer(db, referente, rid, "A", "A.2", "Bruno")
    R.choose_answer(db, ADMIN, rid, "A", "A.2", "Bruno")
    assert R.conflicts(db, ADMIN, rid).empty
    result, _missing = R.close_round(db, ADMIN, rid)
    assert result.ok
    a2 = db.rows("SELECT achievement, note FROM verifications WHERE import_id = ? AND step_code = 'A.2'", [result.import_id])
    assert a2 == [(60.0, "Quasi finito")]


def test_roles_in_the_data_layer(small):
    db, plan_id, rid, books = small
    ente = db.scalar("SELECT ente FROM plans WHERE plan_id = ?", [plan_id])
    referente = Principal("rita", "referente", frozenset({ente}))
    with pytest.raises(Exception, match="Non autorizzato"):
        R.open_round(db, referente, plan_id, dt.date(2025, 12, 31), dt.date(2026, 1, 15))
    with pytest.raises(Exception, match="Non autorizzato"):
        R.close_round(db, referente, rid)
    assert R.answer_bytes(db, referente, fill(books["Carla"][1], ANSWERS), books["Carla"][0]).ok
    stranger = Principal("ugo", "referente", frozenset({"Altro ente"}))
    res = R.answer_bytes(db, stranger, fill(books["Anna"][1], ANSWERS), books["Anna"][0])
    assert not res.ok and "Non autorizzato" in res.message
    lettore = Principal("lea", "lettore", frozenset({ente}))
    assert not R.answer_bytes(db, lettore, fill(books["Anna"][1], ANSWERS), books["Anna"][0]).ok
    assert _answers_count(db) == 1                                   # only Carla's


def test_cli_open_answer_status_close(tmp_path):
    path = tmp_path / "cli.duckdb"
    d = Database(path)
    assert import_bytes(d, xlsx(sheets(Step=STEP_RESP, Verifiche=None)), "piccolo.xlsx").ok
    plan_id = d.scalar("SELECT plan_id FROM plans")
    d.close()
    run = lambda *a: subprocess.run([sys.executable, "-m", "loaders", "round", *a, "--db", str(path)],  # noqa: E731
                                    capture_output=True, text=True, timeout=180)
    out = tmp_path / "fogli"
    res = run("open", "--plan", str(plan_id), "--date", "31/08/2025", "--due", "10/09/2025", "--out", str(out))
    assert res.returncode == 0, res.stderr
    rid = res.stdout.strip().splitlines()[-1]
    assert rid.isdigit()
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == 3
    anna = next(f for f in files if "Anna" in f.name)
    anna.write_bytes(fill(anna.read_bytes(), ANSWERS))
    res = run("answer", str(anna))
    assert res.returncode == 0 and "registrata" in res.stdout, res.stdout + res.stderr
    res = run("status", rid, "--format", "json")
    st = json.loads(res.stdout)
    assert {r["responsabile"]: r["esito"] for r in st["responsabili"]} == {
        "Anna": "risposto", "Bruno": "in attesa", "Carla": "in attesa"}
    res = subprocess.run([sys.executable, "-m", "loaders", "import", str(anna), "--db", str(path)],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 1 and "round answer" in res.stdout
    res = run("close", rid)
    assert res.returncode == 0 and "versione 2" in res.stdout, res.stdout + res.stderr
    assert "B.1" in res.stdout


def test_steps_without_responsible_go_to_their_own_group(db):
    res = import_bytes(db, xlsx(sheets(Verifiche=None)), "senza.xlsx", user="test")
    rid = R.open_round(db, ADMIN, res.plan_id, dt.date(2025, 8, 31), dt.date(2025, 9, 10))
    books = R.round_workbooks(db, ADMIN, rid)
    assert [n for n, _f, _d in books] == ["senza responsabile"]
    rows = list(load_workbook(io.BytesIO(books[0][2]))["Verifiche"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert rows == [("A.1", "A"), ("A.2", "A"), ("B.1", "B")]
    with pytest.raises(R.RoundError, match="non può precedere"):
        R.open_round(db, ADMIN, res.plan_id, dt.date(2025, 8, 31), dt.date(2025, 8, 1))
    with pytest.raises(R.RoundError, match="Responsabili non presenti nel piano: «Zorro»"):
        R.open_round(db, ADMIN, res.plan_id, dt.date(2025, 8, 31), dt.date(2025, 9, 10), ["Zorro"])


@pytest.mark.parametrize("data, expected", [
    (b"", "vuoto"),
    (b"non sono un file excel", "non è una cartella di lavoro"),
    (None, "non è un foglio di un giro di monitoraggio"),          # a plan, not an answer
    ("truncated", "non è una cartella di lavoro"),
])
def test_any_file_as_answer_is_refused_in_italian_never_raises(small, data, expected):
    db, _plan, _rid, books = small
    if data is None:
        data = xlsx()
    elif data == "truncated":
        data = fill(books["Anna"][1], ANSWERS)[:3000]
    res = R.answer_bytes(db, ADMIN, data, "risposta.xlsx")
    assert not res.ok and expected in (res.message + " " + " ".join(str(p) for p in res.problems))
    assert _answers_count(db) == 0


def test_the_calendar_carries_the_round_due_date_for_its_responsibles(small):
    import icalendar

    from metrics.calendar import build_calendar

    db, _plan, rid, _books = small

    def due_events(**kw):
        cal = icalendar.Calendar.from_ical(build_calendar(db, ADMIN, **kw))
        return [e for e in cal.walk("VEVENT") if str(e["UID"]) == f"giro-{rid}@cruscotto-performance"]

    (ev,) = due_events()
    assert ev.decoded("DTSTART") == dt.date(2025, 9, 10) and "31/08/2025" in str(ev["SUMMARY"])
    assert len(due_events(responsabile="carla")) == 1
    assert due_events(responsabile="Nessuno") == []
    R.close_round(db, ADMIN, rid)
    assert due_events() == []                 # a closed round expects nothing any more
