"""Issue 12: nothing a workbook contains takes the process down or reaches DuckDB unchecked."""
from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest
from openpyxl import load_workbook

from loaders import REFUSED, import_bytes, validate_workbook
from loaders import isolate
from loaders import parsing as P
from loaders.validate import validate_workbook_here
from tests.workbooks import BASE, sheets, xlsx


def with_cell(ref: str, sheet: str = "Step", value="x") -> bytes:
    wb = load_workbook(io.BytesIO(xlsx()))
    wb[sheet][ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, change) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for i in zin.infolist():
            zo.writestr(i.filename, change(i.filename, zin.read(i.filename)))
    return out.getvalue()


def set_dimension(data: bytes, sheet_part: str, ref: str | None) -> bytes:
    repl = b"" if ref is None else b'<dimension ref="%s"/>' % ref.encode()
    return rezip(data, lambda fn, b: re.sub(rb'<dimension ref="[^"]*"/>', repl, b) if fn == sheet_part else b)


STEP_PART = "xl/worksheets/sheet5.xml"   # tests/workbooks.py: Piano, Aree, Obiettivi strategici, Obiettivi, Step


def errors(parsed) -> list[str]:
    return [str(p) for p in parsed.problems.errors]


# ----------------------------------------------------------------------------- per-value rules
def test_ambiguous_percent_is_refused_never_guessed():
    for bad in ("5%%", "5 %%", "5%%%"):
        w, err = P.parse_weight(bad)
        assert w is None and "simbolo % ripetuto" in err
        p, err = P.parse_percent(bad)
        assert p is None and "simbolo % ripetuto" in err
    assert P.parse_weight("5%") == (P.Weight(5.0, True), None)


def test_numbers_have_ranges():
    for huge in (1e308, -1e308, float("inf"), 1e13):
        assert P.parse_weight(huge)[0] is None and P.parse_weight(huge)[1]
    assert P.parse_weight(2_000_000)[1].startswith("peso 2e+06 fuori misura")
    assert P.parse_weight("10 punti su 0")[1] and P.parse_weight("60 punti su 50")[1]
    for year in (99999999999, 2147483648, 1e300, "1e300", 1899, 2101, "2020,5"):
        value, err = P.parse_year(year)
        assert value is None and err, year
    assert P.parse_year(2020) == (2020, None) and P.parse_year("2020") == (2020, None)
    assert P.parse_date("31/12/9999")[1] and P.parse_deadline("Entro marzo 3023").error
    assert P.cell_text(1e300) == "1e+300"        # not three hundred digits in a message


def test_empty_list_items_are_counted():
    assert P.split_codes("4A;;") == (["4A"], 2)
    assert P.split_codes("4A, 5A") == (["4A", "5A"], 0)
    assert P.split_codes("4A 5A; 6B") == (["4A", "5A", "6B"], 0)
    assert P.split_codes("1A, ,2A") == (["1A", "2A"], 1)


def located(parsed, sheet: str, column: str) -> list:
    return [p for p in parsed.problems.errors if p.sheet == sheet and p.column == column and p.row]


def test_year_added_overflow_is_a_located_error_not_a_database_exception(db):
    for value in (99999999999, 2147483648, 1e300):
        rows = [r[:] for r in BASE["Obiettivi"]]
        rows[0] = rows[0] + ["Anno inserimento"]
        rows[1] = rows[1] + [value]
        rows[2] = rows[2] + [2020]
        res = import_bytes(db, xlsx(sheets(Obiettivi=rows)), "anno.xlsx")
        assert res.status == REFUSED
        (p,) = res.problems.errors
        assert (p.sheet, p.row, p.column) == ("Obiettivi", 2, "Anno inserimento")
        assert "1900–2100" in p.message and "Transaction" not in res.message
    assert db.scalar("SELECT count(*) FROM imports") == 0


def test_weight_1e308_and_5_percent_percent_are_refused_with_location():
    rows = [r[:] for r in BASE["Obiettivi"]]
    rows[1][3], rows[2][3] = 1e308, "5%%"
    parsed = validate_workbook(xlsx(sheets(Obiettivi=rows)), "pesi.xlsx")
    assert {(p.row, p.column) for p in located(parsed, "Obiettivi", "Peso")} == {(2, "Peso"), (3, "Peso")}


def test_empty_link_items_are_a_warning_with_location():
    rows = [r[:] for r in BASE["Obiettivi"]]
    rows[1][4] = "1A;;2A"
    parsed = validate_workbook(xlsx(sheets(Obiettivi=rows)), "elenco.xlsx")
    assert parsed.ok
    (w,) = [p for p in parsed.problems.warnings if "vuot" in p.message]
    assert (w.sheet, w.row, w.column) == ("Obiettivi", 2, "Obiettivi strategici") and "1 elemento vuoto" in w.message
    assert sorted(parsed.tables["objective_links"]["strategic_code"]) == ["1A", "2A", "2B"]


def test_text_longer_than_its_limit_is_refused_with_location():
    rows = [r[:] for r in BASE["Step"]]
    rows[1][1] = "C" * 60                 # a step code over 50
    objectives = [r[:] for r in BASE["Obiettivi"]]
    objectives[2][1] = "T" * 2_500        # a title over 2.000
    parsed = validate_workbook_here(xlsx(sheets(Step=rows, Obiettivi=objectives)), "lungo.xlsx")
    found = {(p.sheet, p.row, p.column): p.message for p in parsed.problems.errors}
    assert found[("Obiettivi", 3, "Titolo")] == "testo troppo lungo (2.500 caratteri, massimo 2.000)"
    assert found[("Step", 2, "Codice")] == "testo troppo lungo (60 caratteri, massimo 50)"
    piano = [r[:] for r in BASE["Piano"]]
    piano[1][1] = "E" * 301
    (p,) = validate_workbook_here(xlsx(sheets(Piano=piano))).problems.errors
    assert (p.sheet, p.row, p.column) == ("Piano", 2, "Valore") and "massimo 300" in p.message


# ----------------------------------------------------------------------------- isolation and extents
@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576"])
def test_last_cell_and_last_row_are_refused_naming_sheet_and_extent(ref):
    parsed = validate_workbook(with_cell(ref), "enorme.xlsx")
    (p,) = parsed.problems.errors
    assert p.sheet == "Step" and re.search(rf"A1:[A-Z]+{ref[-7:]}\b", p.message)
    assert "file troppo grande o danneggiato" in p.message and (ref != "XFD1048576" or "A1:XFD1048576" in p.message)
    assert "1.048.576 righe" in p.message


@pytest.mark.parametrize("dimension", ["A1:E4", None])
def test_a_lying_or_missing_extent_is_caught_by_the_memory_ceiling(dimension):
    """The declared extent says A1:E4 (or nothing) but a value sits in XFD1048576: the reading library
    asks for 549.755.813.888 bytes in the child, which dies; this process gets a refusal."""
    data = set_dimension(with_cell("XFD1048576"), STEP_PART, dimension)
    pid = os.getpid()
    parsed = validate_workbook(data, "bugiardo.xlsx")
    assert os.getpid() == pid
    (p,) = parsed.problems.errors
    assert p.message.startswith("File troppo grande o danneggiato: «bugiardo.xlsx» richiede più di")
    assert isolate.last_stats.outcome == "memoria"
    assert validate_workbook(xlsx(), "ok.xlsx").ok          # and the next file is read as usual


@pytest.mark.parametrize("ref, area", [("A1048576", "A1:E1048576"), ("B200001", "A1:E200001"), ("XFD2", "A1:XFD")])
@pytest.mark.parametrize("dimension", ["A1:C3", None])
def test_a_lying_or_missing_extent_is_refused_from_the_real_cells(ref, area, dimension):
    """The declared extent lies (or is missing) and one value sits far away: the real extent of the cells is
    checked before a Python object is made for each of them (issue 12: such a file took 60 s under load).
    Refused naming the sheet and the area, quickly, in this process as in the isolated one."""
    data = set_dimension(with_cell(ref), STEP_PART, dimension)
    for validate in (validate_workbook_here, validate_workbook):
        t0 = time.monotonic()
        (p,) = validate(data, "bugiardo.xlsx").problems.errors
        assert time.monotonic() - t0 < 10
        assert p.sheet == "Step" and "file troppo grande o danneggiato" in p.message
        assert f"ha celle scritte nell'area {area}" in p.message, p.message
    assert validate_workbook(xlsx(), "ok.xlsx").ok


def test_a_child_over_time_is_stopped_and_refused():
    t0 = time.monotonic()
    parsed = isolate.run_isolated(lambda data, name: time.sleep(30), b"", "lento.xlsx", time_s=1)
    assert time.monotonic() - t0 < 10
    (p,) = parsed.problems.errors
    assert "ha richiesto più di 1 secondi" in p.message and isolate.last_stats.outcome == "tempo"


def test_an_exception_in_the_child_is_an_incident_with_a_code(tmp_path, monkeypatch):
    from store import incident

    monkeypatch.setenv("CRUSCOTTO_INCIDENT_LOG", str(tmp_path / "incidenti.log"))
    monkeypatch.setattr(incident, "_logger", None)

    def broken(data, name):
        raise KeyError("bug")

    parsed = isolate.run_isolated(broken, b"", "x.xlsx")
    (p,) = parsed.problems.errors
    assert "codice incidente INC-" in p.message and "KeyError" not in p.message
    code = p.message.split("codice incidente ")[1].split(")")[0]
    log = (tmp_path / "incidenti.log").read_text(encoding="utf-8")
    assert code in log and "KeyError: 'bug'" in log and "Traceback" in log


def test_unknown_zip_version_is_refused_in_italian():
    b = bytearray(xlsx())
    i = b.find(b"PK\x01\x02")
    while i >= 0:
        b[i + 6] = 176                      # "version needed to extract" 17.6
        i = b.find(b"PK\x01\x02", i + 4)
    (p,) = validate_workbook(bytes(b), "versione.xlsx").problems.errors
    assert p.message == ("Il file «versione.xlsx» è danneggiato e non si apre come .xlsx (archivio non leggibile: "
                         "versione o compressione dello zip non supportata).")


def test_damaged_cells_in_a_readable_archive_name_the_sheet():
    data = rezip(xlsx(), lambda fn, b: b[: len(b) * 2 // 3] if fn == STEP_PART else b)
    (p,) = validate_workbook(data, "rotto.xlsx").problems.errors
    assert p.sheet == "Step" and "il foglio «Step» non si legge" in p.message


def test_file_names_are_made_safe():
    from loaders.importer import safe_file_name

    assert safe_file_name("a\udcffb.xlsx") == "a\ufffdb.xlsx"      # undecodable bytes from a CLI argument
    assert safe_file_name("a\x00b\n.xlsx") == "a\ufffdb\ufffd.xlsx"
    long = safe_file_name("x" * 400 + ".xlsx")
    assert len(long) == 255 and long.endswith("….xlsx")


def test_markdown_from_a_workbook_is_escaped():
    from ui.common import plain

    s = plain("![x](http://127.0.0.1:9/leak.png) [a](javascript:alert(1)) <img src=x onerror=alert(1)> *b* $x$")
    assert s == ("!\\[x\\](http://127.0.0.1:9/leak.png) \\[a\\](javascript:alert(1)) \\<img src=x onerror=alert(1)\\>"
                 " \\*b\\* \\$x\\$")
    assert plain("- a\n1. b\n===") == "\\- a\n1\\. b\n\\==="
    assert plain("3.2, 5.1 (CCNL).") == "3.2, 5.1 (CCNL)."     # ordinary text unchanged
    assert plain(None) == ""
