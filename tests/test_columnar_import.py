"""The columnar import (issue 20: ``_Validator._steps_columnar`` / ``_verifications_columnar``,
``loaders/columnar.py``) against the row-by-row reference path (``_Sheet.columns`` → None): on
workbooks whose «Step» and «Verifiche» mix every kind of cell — clean and faulty, typed alike
(``1``, ``1.0``, ``True``), texts with spaces, unknown and ambiguous codes, recurring deadlines,
duplicates, a «Peso step/2025» control column, unknown columns kept as notes — the same tables and
the same problems, in the same order, with the same Italian texts, sheets, rows and columns."""
from __future__ import annotations

import datetime as dt
import random

import pytest

import loaders.validate as V
from loaders import columnar as C
from loaders.validate import validate_rows
from tests.workbooks import sheets

OBJ = ["A", "B", " A ", "Z", "A  B", 1, 1.0, True, None, ""]
CODES = ["A.1", "A.2", "B.1", "A.1 ", "X.9", "A  .3", 2, 2.0, None, "", "  "]
DATES = ["31/08/2025", "31/12/2025", "32/13/2025", "agosto", dt.date(2025, 8, 31), dt.datetime(2025, 12, 31),
         45900, 45900.0, True, None, "", "  ", "31-08-25"]
DEADLINES = ["31/03/2025", "Entro settembre 2025", "Al bisogno", "continuativo", "30/06/2025 31/10/2025",
             dt.date(2025, 6, 30), "boh", 45900, "31/02/2025", "31/12/2190", -5, None, ""]
WEIGHTS = ["50%", "0,5", 0.5, 50, 1, 1.0, True, "-5%", "10 punti su 50", "tanto", None, ""]
PERCENTS = ["40%", "100,00%", "130%", 0.4, 1, 1.0, True, "abc", "-3", None, ""]
STATUSES = ["Obiettivo realizzato", "In fase di realizzazione", "Parzialmente raggiunto", "Rinviato", "Neutralizzato",
            "boh", "  Obiettivo realizzato  ", 3, None, ""]
BOOLS = ["sì", "no", "x", "forse", 1, 0, 1.0, True, False, None, ""]
TEXTS = ["Fatto", "  con spazi  ", "", None, 12, 12.5, dt.date(2025, 1, 1)]


def _plan(seed: int, n_steps: int = 40, n_verif: int = 90, objective_col: bool = False) -> dict:
    rnd = random.Random(seed)
    pick = lambda xs, clean, p=0.75: clean if rnd.random() < p else rnd.choice(xs)  # noqa: E731
    steps = [["Obiettivo", "Codice", "Descrizione", "Inizio", "Termine", "KPI", "Peso", "Responsabile",
              "Peso step/2025", "Nota ufficio"]]
    own = []
    for i in range(n_steps):
        obj = rnd.choice(["A", "B"])
        code = rnd.choice(own) if own and rnd.random() < 0.1 else f"{obj}.{i}"   # some repeat: duplicates, ambiguity
        own.append(code)
        steps.append([pick(OBJ, obj), pick(CODES, code, 0.85), pick(TEXTS, f"Step {i}"), pick(DATES, None, 0.6),
                      pick(DEADLINES, "31/12/2025", 0.6), pick(TEXTS, None, 0.6), pick(WEIGHTS, "10%", 0.5),
                      pick(TEXTS, "Ufficio", 0.7), pick(PERCENTS, None, 0.6), pick(TEXTS, None, 0.6)])
    head = ["Step", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Nuovo termine",
            "Verifica", "Causa non imputabile"] + (["Obiettivo"] if objective_col else [])
    verif = [head]
    for i in range(n_verif):
        code = rnd.choice(own)
        row = [pick(CODES, code, 0.85), pick(DATES, "31/08/2025"), pick(STATUSES, "Obiettivo realizzato", 0.6),
               pick(PERCENTS, None, 0.5), pick(DATES, None, 0.6), pick(DATES, None, 0.7), pick(TEXTS, "Nota", 0.6),
               pick(BOOLS, None, 0.7)]
        if objective_col:
            row.append(pick(OBJ, None, 0.5))
        verif.append(row)
    verif.insert(rnd.randrange(1, len(verif)), [None] * len(head))    # an empty row in the middle
    return sheets(Step=steps, Verifiche=verif)


def _both(data: dict, monkeypatch, reference_rows: list | None = None):
    def counted(real):
        def call(self, sh, row, *a, **k):
            if reference_rows is not None:
                reference_rows.append(row)
            return real(self, sh, row, *a, **k)
        return call

    with monkeypatch.context() as m:    # count the rows the columnar path hands to the reference rows
        for name in ("_step", "_verification"):
            m.setattr(V._Validator, name, counted(getattr(V._Validator, name)))
        fast = validate_rows(data)
    with monkeypatch.context() as m:
        m.setattr(V._Sheet, "columns", lambda self: None)
        ref = validate_rows(data)
    assert [p.to_dict() for p in fast.problems] == [p.to_dict() for p in ref.problems]
    assert set(fast.tables) == set(ref.tables)
    for k in ref.tables:
        assert list(fast.tables[k].dtypes) == list(ref.tables[k].dtypes), k
        assert fast.tables[k].equals(ref.tables[k]), k
    return fast


@pytest.mark.parametrize("seed", range(40))
def test_columnar_steps_and_verifications_equal_the_reference(seed, monkeypatch):
    handed: list = []
    data = _plan(seed, objective_col=seed % 2 == 1)
    parsed = _both(data, monkeypatch, handed)
    assert parsed.problems.errors            # the cases are faulty: the comparison covers the problems too
    n_rows = len(parsed.tables["steps"]) + len(parsed.tables["verifications"])
    assert 0 < len(handed) < n_rows          # both paths are taken: clean rows by columns, faulty ones row by row


def test_the_random_cases_reach_every_kind_of_problem(monkeypatch):
    """A test that cannot fail is a defect: the mixed cases do produce the problems the columnar
    path must hand to the reference path."""
    texts = " | ".join(str(p) for seed in range(40) for p in validate_rows(_plan(seed, objective_col=seed % 2 == 1)).problems)
    for needle in ("data non valida", "termine non valido", "non trovato nel foglio «Step»", "codice duplicato",
                   "campo obbligatorio vuoto", "scrivere «sì» o «no»", "stato non riconosciuto",
                   "colonna di controllo", "senza peso", "non trovato nel foglio «Obiettivi»", "ambiguo",
                   "stato parziale senza «Raggiungimento»", "«Stato» e «Raggiungimento» vuoti", "step continuativo"):
        assert needle in texts, needle


def test_clean_plan_takes_no_row_by_row_step(monkeypatch):
    """On a clean plan the reference rows are not called at all (the columns do the work)."""
    calls = []
    monkeypatch.setattr(V._Validator, "_step", lambda *a, **k: calls.append(a) or (_ for _ in ()).throw(AssertionError))
    monkeypatch.setattr(V._Validator, "_verification", lambda *a, **k: calls.append(a) or (_ for _ in ()).throw(AssertionError))
    parsed = validate_rows(sheets())
    assert not calls and len(parsed.tables["verifications"]) == 4 and not parsed.problems.errors


def test_values_equal_across_types_are_kept_apart():
    assert C.by_value([1, 1.0, True, "1"], repr) == ["1", "1.0", "True", "'1'"]
    values, bad = C.parse_column([True, 1, 1.0, None], lambda v: (v, "no" if v is True else None))
    assert values == [True, 1, 1.0, None] and bad == [0]
    assert C.not_of_types(["a", None, 3], C.STR_OR_NONE) == [2]


def test_an_unhashable_cell_takes_the_reference_path(monkeypatch):
    data = sheets()
    data["Verifiche"][2][5] = ["una", "lista"]          # not a cell calamine can give; rows given as a dict can
    data["Step"][1][2] = {"x": 1}
    _both(data, monkeypatch)


def test_limits_of_the_first_tables_keep_their_place_among_the_others():
    """The limits of «Obiettivi»…«Step» are checked before «Verifiche» is read (validate_rows): their
    errors still come after the plan's and before those of «Verifiche» and «Personale», in table order,
    each with its sheet, row and column."""
    from loaders.validate import validate_workbook_here
    from tests.workbooks import xlsx

    data = sheets()
    data["Piano"][1][1] = "E" * 301
    data["Obiettivi"][2][1] = "T" * 2_500
    data["Step"][1][1] = "C" * 60
    data["Verifiche"][1][0] = "S" * 60            # a step code over 50 (also not found: its own error)
    data["Personale"] = [["Obiettivo", "Nome", "Qualifica"], ["A", "P" * 2_100, "Educatore"]]
    for parsed in (validate_rows(data), validate_workbook_here(xlsx(data), "lunghi.xlsx")):
        long = [(p.sheet, p.row, p.column) for p in parsed.problems.errors if "troppo lungo" in p.message
                or "massimo" in p.message]
        assert long == [("Piano", 2, "Valore"), ("Obiettivi", 3, "Titolo"), ("Step", 2, "Codice"),
                        ("Verifiche", 2, "Step"), ("Personale", 2, "Nome")], long
