"""The validation report: problems as a table and as a downloadable .xlsx.

Cell values come from the uploaded file, so a text such as ``=HYPERLINK(…)`` would
become a live formula when the report is opened in a spreadsheet: every text that
starts with ``= + - @`` (or a tab / carriage return), unless it is a plain number
such as ``-5``, is neutralised with a leading
apostrophe and written as plain text.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from loaders.problems import ERROR, Problem

COLUMNS = ["Gravità", "Foglio", "Riga", "Colonna", "Valore", "Messaggio"]
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?%?")  # "-5", "+2,5%": a number, not a formula
_WIDTHS = [10, 22, 7, 26, 40, 90]
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_ERROR_FONT = Font(color="C00000", bold=True)


def neutralize(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula, made inert (apostrophe prefix)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as rows with the Italian columns of :data:`COLUMNS` (errors first, then reading order);
    text values are neutralised so the table can be exported safely too."""
    rows = [(p.severity, neutralize(p.sheet or ""), p.row, neutralize(p.column or ""), neutralize(p.value or ""),
             neutralize(p.message))
            for p in sorted(problems, key=lambda p: 0 if p.severity == ERROR else 1)]
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["Riga"] = df["Riga"].astype("Int64")
    return df


def report_xlsx(problems: Iterable[Problem], file_name: str = "", sha256: str = "",
                when: dt.datetime | None = None) -> bytes:
    """The validation report as an .xlsx (sheet «Problemi» + sheet «Informazioni»)."""
    problems = list(problems)
    df = problems_frame(problems)
    wb = Workbook()
    ws = wb.active
    ws.title = "Problemi"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
    for rec in df.itertuples(index=False):
        ws.append([_cell(v) for v in rec])
        if rec[0] == ERROR:
            ws.cell(ws.max_row, 1).font = _ERROR_FONT
    for cell in ws.iter_rows(min_row=2):  # never a formula, whatever the text
        for c in cell:
            if isinstance(c.value, str):
                c.data_type = "s"
            c.alignment = Alignment(vertical="top", wrap_text=c.column in (5, 6))
    for i, w in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 1)}"

    info = wb.create_sheet("Informazioni")
    n_err = sum(1 for p in problems if p.severity == ERROR)
    for label, value in [
        ("Rapporto di validazione del foglio di monitoraggio", None),
        ("File", neutralize(file_name) or "—"),
        ("SHA-256", sha256 or "—"),
        ("Creato il", (when or dt.datetime.now()).strftime("%d/%m/%Y %H:%M")),
        ("Errori", n_err),
        ("Avvisi", len(problems) - n_err),
        ("Esito", "Importazione non possibile: correggere gli errori e ricaricare il file." if n_err
         else "Nessun errore: il file si può importare."),
    ]:
        info.append([label, value])
        if isinstance(value, str):
            info.cell(info.max_row, 2).data_type = "s"
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    return int(v) if hasattr(v, "item") and not isinstance(v, str) else v


__all__ = ["COLUMNS", "neutralize", "problems_frame", "report_xlsx"]
