"""Issue 15: a missing required column no longer hides the other faults of the file: all are reported together."""
from __future__ import annotations

import pytest

from loaders.validate import validate_rows
from tests.workbooks import BASE, sheets


def _bad_values() -> dict:
    """BASE with three bad values: an impossible date, a negative weight, a percentage above 100%."""
    steps = [r[:] for r in BASE["Step"]]
    steps[1][3] = "31/02/2025"
    steps[2][4] = "-5"
    verifs = [r[:] for r in BASE["Verifiche"]]
    verifs[2][3] = "140%"
    return {"Step": steps, "Verifiche": verifs}


def _errors(data) -> list[str]:
    return [str(p) for p in validate_rows(data).problems.errors]


def test_the_three_bad_values_alone_are_three_errors():
    assert len(_errors(sheets(**_bad_values()))) == 3


@pytest.mark.parametrize("sheet,column", [("Obiettivi", "Titolo"), ("Step", "Descrizione"), ("Obiettivi", "Codice")])
def test_a_missing_required_column_and_three_bad_values_report_all_four(sheet, column):
    data = sheets(**_bad_values())
    i = data[sheet][0].index(column)
    data[sheet] = [r[:i] + r[i + 1:] for r in data[sheet]]
    errors = _errors(data)
    assert len(errors) == 4, errors
    assert sum(f"colonna obbligatoria «{column}» mancante" in e for e in errors) == 1
    assert any("31/02/2025" in e for e in errors) and any("140" in e for e in errors)
