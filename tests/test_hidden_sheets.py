"""Spec revision 3, sheet choice (issue 18): a visible sheet always wins over a hidden one matching the
same name; two visible sheets matching one name are refused, naming both. Real workbooks keep old copies
hidden («step » before «Step»)."""
from __future__ import annotations

import io

from openpyxl import Workbook

from loaders.validate import validate_workbook_here
from tests.workbooks import BASE


def _book(order: list[tuple[str, str, list[list]]]) -> bytes:
    """Sheets in the given order: (name, state «visible»/«hidden»/«veryHidden», rows)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, state, rows in order:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


OLD_STEPS = [BASE["Step"][0], ["A", "A.9", "Copia vecchia", "31/03/2024", "100%"],
             ["B", "B.9", "Copia vecchia", "31/03/2024", "100%"]]


def _base_with(step_sheets: list[tuple[str, str, list[list]]]) -> bytes:
    order = [(n, "visible", rows) for n, rows in BASE.items() if n not in ("Step", "Verifiche")]
    return _book(order + step_sheets + [("Verifiche", "visible", BASE["Verifiche"])])


def test_hidden_step_before_visible_step_the_visible_wins():
    data = _base_with([("step ", "hidden", OLD_STEPS), ("Step", "visible", BASE["Step"])])
    parsed = validate_workbook_here(data, "nascosto.xlsx")
    assert parsed.ok, [str(p) for p in parsed.problems.errors]
    assert sorted(parsed.tables["steps"]["code"]) == ["A.1", "A.2", "B.1"]
    texts = [str(p) for p in parsed.problems.warnings]
    assert any("foglio nascosto «step » ignorato: vale il foglio visibile «Step»" in t for t in texts), texts
    assert not any("duplicato" in t for t in texts)


def test_very_hidden_copy_after_the_visible_one_is_ignored_too():
    data = _base_with([("Step", "visible", BASE["Step"]), ("STEP", "veryHidden", OLD_STEPS)])
    parsed = validate_workbook_here(data, "nascosto.xlsx")
    assert parsed.ok
    assert sorted(parsed.tables["steps"]["code"]) == ["A.1", "A.2", "B.1"]


def test_only_a_hidden_sheet_is_still_read():
    data = _base_with([("Step", "hidden", BASE["Step"])])
    parsed = validate_workbook_here(data, "solo_nascosto.xlsx")
    assert parsed.ok
    assert sorted(parsed.tables["steps"]["code"]) == ["A.1", "A.2", "B.1"]


def test_two_visible_sheets_matching_one_name_are_refused_naming_both():
    data = _base_with([("step ", "visible", OLD_STEPS), ("Step", "visible", BASE["Step"])])
    parsed = validate_workbook_here(data, "doppio.xlsx")
    assert not parsed.ok
    errors = [str(p) for p in parsed.problems.errors]
    assert any("«step »" in e and "«Step»" in e and "due fogli visibili" in e for e in errors), errors
    assert not any("mancante" in e for e in errors), errors
