"""The blank template (issue 10, defect 10): drop-down lists for Tipo, Stato, Causa non imputabile and
Direzione, a comment on every header, and a filled example that the importer accepts as it is."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from loaders import template_bytes, validate_workbook
from loaders.parsing import normalize_status
from loaders.spec import SHEETS
from loaders.template import CHOICES, EXAMPLE_SHEET


@pytest.fixture(scope="module")
def wb():
    return load_workbook(io.BytesIO(template_bytes()))


def _validations(ws) -> dict[str, tuple[list[str], str]]:
    """Column letter → (list values, error style) of the sheet's list validations."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        values = dv.formula1.strip('"').split(",")
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0].rstrip("0123456789")] = (values, dv.errorStyle, rng)
    return out


@pytest.mark.parametrize("sheet,header,values,style", [
    ("Obiettivi", "Tipo", ["performance", "PEG", "individuale"], "warning"),
    ("Verifiche", "Stato", ["Raggiunto", "In corso", "Parzialmente raggiunto", "Non raggiunto", "Rinviato",
                            "Non realizzabile per cause esterne"], "warning"),
    ("Verifiche", "Causa non imputabile", ["sì", "no"], "stop"),
    ("Indicatori", "Direzione", ["crescente", "decrescente"], "stop"),
])
def test_drop_down_lists(wb, sheet, header, values, style):
    ws = wb[sheet]
    letter = next(c.column_letter for c in ws[1] if c.value == header)
    got_values, got_style, rng = _validations(ws)[letter]
    assert got_values == values and got_style == style
    assert rng == f"{letter}2:{letter}1001"


def test_every_state_in_the_list_is_recognised():
    """Each proposed Stato is normalised to a different state (none falls to «sconosciuto»)."""
    values, _ = CHOICES[("verifications", "status_raw")]
    states = [normalize_status(v) for v in values]
    assert states == ["raggiunto", "in corso", "parziale", "non raggiunto", "rinviato", "neutralizzato"]


def test_every_header_has_a_comment_with_its_example(wb):
    for spec in SHEETS:
        if spec.key == "plan":
            comments = [wb["Piano"].cell(r, 1).comment for r in range(2, 7)]
            assert all(c is not None and "Esempio:" in c.text for c in comments)
            continue
        for cell in wb[spec.name][1]:
            assert cell.comment is not None, (spec.name, cell.value)
            assert cell.comment.text.split("\n")[1] in ("Obbligatoria.", "Facoltativa.")


def _example_rows(ws) -> dict[str, list[list]]:
    """The «Esempio» sheet read back: sheet name → [header row, example row(s)]."""
    blocks, current = {}, None
    for row in ws.iter_rows(min_row=3, values_only=True):
        first = row[0]
        if isinstance(first, str) and first.startswith("Foglio «"):
            current = blocks.setdefault(first[len("Foglio «"):-1], [])
        elif current is not None and any(v not in (None, "") for v in row):
            current.append([v for v in row])
    return blocks


def test_the_example_imports_without_errors(wb):
    """Copy the example rows into their sheets: the importer accepts them as they are (codes consistent)."""
    blocks = _example_rows(wb[EXAMPLE_SHEET])
    assert set(blocks) == {s.name for s in SHEETS}
    for name, rows in blocks.items():
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert [v for v in rows[0] if v is not None] == [v for v in header if v is not None] or name == "Piano"
        if name == "Piano":
            for i, (field, value) in enumerate((r[0], r[1]) for r in rows[1:]):
                assert ws.cell(i + 2, 1).value == field
                ws.cell(i + 2, 2, value)
        else:
            for j, v in enumerate(rows[1], start=1):
                ws.cell(2, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    parsed = validate_workbook(buf.getvalue(), "modello_compilato.xlsx")
    assert parsed.ok, [str(p) for p in parsed.problems]
    assert not [p for p in parsed.problems if "Esempio" in str(p)]        # the example sheet is ignored silently
    assert len(parsed.tables["objectives"]) == 1 and len(parsed.tables["steps"]) == 1
    assert len(parsed.tables["verifications"]) == 1 and len(parsed.tables["indicators"]) == 1


def test_the_blank_template_imports_no_example_row():
    parsed = validate_workbook(template_bytes(), "modello.xlsx")
    assert all(len(t) == 0 for t in parsed.tables.values())
    assert not [p for p in parsed.problems if "Esempio" in str(p)]
