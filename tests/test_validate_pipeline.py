"""The background sheet reader (loaders.workbook.SheetReader) gives exactly what reading everything
first gives: same rows, same tables, same problems in the same order, whatever the sheet order and
wherever the problems are (the sheets after «Step» are located while they are still being read)."""
from __future__ import annotations

from pathlib import Path

import pytest

from loaders.validate import validate_rows, validate_workbook_here
from loaders.workbook import SheetReader, read_rows
from tests.workbooks import BASE, sheets, xlsx


def _reference(data: bytes):
    return validate_rows(read_rows(data).sheets)


def _same(data: bytes) -> list[str]:
    a, b = validate_workbook_here(data, "f.xlsx"), _reference(data)
    assert [p.to_dict() for p in a.problems] == [p.to_dict() for p in b.problems]
    assert a.meta == b.meta
    assert set(a.tables) == set(b.tables)
    for k in a.tables:
        assert a.tables[k].equals(b.tables[k]), k
    return [str(p) for p in a.problems]


def _reordered(order: list[str], data: dict | None = None) -> dict:
    data = data or sheets()
    return {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}


VERIF_BAD = [BASE["Verifiche"][0] + ["Colonna strana"]] + [r[:] for r in BASE["Verifiche"][1:]]
VERIF_BAD[2][3] = "130%"
STEP_BAD = BASE["Step"] + [["Z", "Z.1", "Step orfano", "31/12/2025", "10%"]]

CASES = {
    "base": sheets(),
    "problems in Step and in Verifiche, unknown column in Verifiche": sheets(Step=STEP_BAD, Verifiche=VERIF_BAD),
    "unknown sheet after Step": sheets(Altro=[["x"], ["y"]]) | {"Verifiche": VERIF_BAD},
    "Verifiche before Step": _reordered(["Piano", "Aree", "Obiettivi strategici", "Obiettivi", "Verifiche", "Step"],
                                        sheets(Step=STEP_BAD, Verifiche=VERIF_BAD)),
    "Piano last": _reordered(["Aree", "Obiettivi strategici", "Obiettivi", "Step", "Verifiche", "Piano"]),
    "Verifiche without headers": sheets(Verifiche=[["a", "b"], ["c", "d"]]),
    "Verifiche missing a required column": sheets(Verifiche=[r[1:] for r in BASE["Verifiche"]]),
    "duplicate Verifiche sheet": sheets() | {"Verifiche (2)": VERIF_BAD},
    "no Step sheet": sheets(Step=None, Verifiche=VERIF_BAD),
    "no Obiettivi sheet": sheets(Obiettivi=None),
    # the sheets after «Verifiche» are located after it has been validated (finish_locate(until=…))
    "unknown sheet and a copy after Verifiche": sheets(Step=STEP_BAD, Verifiche=VERIF_BAD) | {"Altro": [["x"], ["y"]],
                                                                              "Verifiche (2)": VERIF_BAD},
    "Verifiche without headers, a good copy after it": sheets(Verifiche=[["a", "b"], ["c", "d"]])
    | {"Verifiche (2)": VERIF_BAD, "Personale": [["Obiettivo", "Nome"], ["Z", "Ignoto"]]},
    "no Verifiche sheet, Personale last": sheets(Verifiche=None) | {"Personale": [["Obiettivo", "Nome"], ["A", "Rossi"]]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_background_reading_gives_the_same_result(name):
    problems = _same(xlsx(CASES[name]))
    if "problems" in name:
        assert any("Z" in p for p in problems) and any("130" in p for p in problems), problems


def test_the_reader_gives_the_same_rows_as_a_plain_read():
    data = xlsx(CASES["problems in Step and in Verifiche, unknown column in Verifiche"])
    reader = SheetReader(data)
    assert list(reader) == list(read_rows(data).sheets)
    assert {k: reader[k] for k in reader} == read_rows(data).sheets
    reader.wait()
    assert reader.read_s is not None and reader.read_s > 0


def test_an_unreadable_file_is_refused_with_the_same_italian_message():
    res = validate_workbook_here(b"PK\x03\x04" + b"\x00" * 64, "rotto.xlsx")
    assert len(res.problems) == 1 and not res.tables
    assert "non è una cartella di lavoro Excel" in str(res.problems[0]) or "non si legge" in str(res.problems[0])


@pytest.mark.parametrize("damaged", ["Verifiche", "Step", "Verifiche and Step", "Altro"])
def test_a_damaged_late_sheet_names_the_sheet_as_a_plain_read_does(monkeypatch, damaged):
    """A sheet the library refuses, after the first ones were validated: the same single problem
    naming the sheet (issue 12's message) as when everything is read first."""
    import python_calamine

    from loaders import validate as V

    data = xlsx(sheets(Verifiche=VERIF_BAD) | {"Altro": [["x"], ["y"]]})   # «Altro»: a sheet never validated
    real = python_calamine.CalamineWorkbook.get_sheet_by_name

    def broken(self, name):
        if name in damaged.split(" and "):
            raise python_calamine.CalamineError("celle rotte")
        return real(self, name)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "get_sheet_by_name", broken)
    lazy = validate_workbook_here(data, "f.xlsx")
    monkeypatch.setattr(V, "SheetReader", lambda d: read_rows(d).sheets)   # the plain read, same function
    eager = validate_workbook_here(data, "f.xlsx")
    assert [p.to_dict() for p in lazy.problems] == [p.to_dict() for p in eager.problems]
    first = "Step" if "Step" in damaged else damaged.split(" and ")[0]   # Step comes first in the workbook
    assert len(lazy.problems) == 1 and f"«{first}»" in str(lazy.problems[0]) and not lazy.tables


# ----------------------------------------------------------------------------- fast paths = reference path
def _fast_and_reference(data: bytes, monkeypatch):
    """The columnar fast paths of the big sheets (``_Sheet.columns``: «Step», «Verifiche») against the
    row-by-row reference path (``columns`` → None): same tables, same problems in the same order."""
    import loaders.validate as V

    raw = read_rows(data).sheets
    fast = validate_rows(raw)
    with monkeypatch.context() as m:
        m.setattr(V._Sheet, "columns", lambda self: None)
        ref = validate_rows(raw)
    assert [p.to_dict() for p in fast.problems] == [p.to_dict() for p in ref.problems]
    for k in ref.tables:
        assert fast.tables[k].equals(ref.tables[k]), k
    return fast


STEP_NOTES = [BASE["Step"][0] + ["Nota ufficio", "Altro"]] + [
    r + ([" scritta a mano ", None] if i % 2 else [3.0, "x"]) for i, r in enumerate(BASE["Step"][1:])]


@pytest.mark.parametrize("name", [*CASES, "unknown columns in Step (notes)"])
def test_fast_paths_give_the_reference_rows_and_problems(name, monkeypatch):
    data = sheets(Step=STEP_NOTES) if name == "unknown columns in Step (notes)" else CASES[name]
    parsed = _fast_and_reference(xlsx(data), monkeypatch)
    if name == "unknown columns in Step (notes)":
        notes = parsed.tables["steps"]["notes"].tolist()
        assert "Nota ufficio: scritta a mano" in notes and "Nota ufficio: 3\nAltro: x" in notes


@pytest.mark.parametrize("demo", sorted((Path(__file__).parent.parent / "data" / "demo").glob("*.xlsx")),
                         ids=lambda p: p.stem[:12])
def test_fast_paths_on_the_demo_workbooks(demo, monkeypatch):
    _fast_and_reference(demo.read_bytes(), monkeypatch)


def test_fast_paths_on_a_synthetic_plan(tmp_path, monkeypatch):
    from bench import synth

    shape = synth.Shape(objectives=30, steps_per_objective=6, verifications_per_step=2, seed=7)
    path, _ = synth.workbook(shape, tmp_path, "sintetico")
    parsed = _fast_and_reference(path.read_bytes(), monkeypatch)
    assert len(parsed.tables["verifications"]) == 30 * 6 * 2
