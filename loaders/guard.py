"""The last check before DuckDB (issue 12): every value of the validated tables within its limits.

The per-value parsers (:mod:`loaders.parsing`) already refuse numbers out of range, impossible
dates and ambiguous syntax. This pass, vectorised over the finished tables, makes the promise
"nothing reaches DuckDB that DuckDB can refuse" hold whatever path produced a row: text lengths
(limits as data in :mod:`loaders.spec`), finite numbers, integers that fit DuckDB's INTEGER, dates
within the years of :data:`loaders.parsing.YEAR_MIN`–``YEAR_MAX``. Each fault is an error naming
sheet, row and column.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

import numpy as np
import pandas as pd

from loaders.parsing import YEAR_MAX, YEAR_MIN
from loaders.problems import ProblemList
from loaders.spec import SOURCE_COLUMN, TABLE_SHEET, TEXT_LIMITS, TEXT_MAX_PLAN, TEXT_MAX_SHORT

INT32_MAX = 2**31 - 1
MAX_ERRORS_PER_COLUMN = 20        # then one summary line: the report stays readable

Locate = Callable[[str, str], tuple[str | None, str | None]]   # (table, column) → (sheet name, header)


def _n(x: int) -> str:
    return f"{x:,}".replace(",", ".")


def check_tables(tables: dict[str, pd.DataFrame], locate: Locate, problems: ProblemList) -> None:
    """Add an error for every stored value outside its limits."""
    for table, df in tables.items():
        if df is None or df.empty or "row_no" not in df.columns:
            continue
        rows = df["row_no"].tolist()
        for col in df.columns:
            if col == "row_no":
                continue
            s = df[col]
            bad: list[tuple[int, Any, str]] = []
            if s.dtype == object:   # mixed columns: texts, and dates and numbers that get the checks below
                limit = TEXT_LIMITS.get(col, TEXT_MAX_SHORT)
                bad += _object_faults(s.tolist(), limit)
            elif pd.api.types.is_string_dtype(s):
                limit = TEXT_LIMITS.get(col, TEXT_MAX_SHORT)
                over = np.flatnonzero(s.str.len().fillna(0).to_numpy() > limit)
                bad += [(i, s.iat[i], _too_long(s.iat[i], limit)) for i in over]
            elif pd.api.types.is_float_dtype(s):
                a = s.to_numpy(dtype=float, na_value=np.nan)
                over = np.flatnonzero(np.isinf(a) | (np.abs(np.nan_to_num(a)) > 1e12))
                bad += [(i, s.iat[i], "numero non finito o fuori misura") for i in over]
            elif pd.api.types.is_integer_dtype(s):
                a = s.to_numpy()
                over = np.flatnonzero(np.abs(a.astype(float)) > INT32_MAX)
                bad += [(i, s.iat[i], "numero intero fuori misura") for i in over]
            if not bad:
                continue
            sheet, header = locate(table, col)
            for n, (i, value, msg) in enumerate(sorted(bad, key=lambda b: b[0])):
                if n == MAX_ERRORS_PER_COLUMN:
                    problems.error(f"{len(bad) - n} altri valori con lo stesso problema in questa colonna", sheet,
                                   None, header)
                    break
                row = rows[i]
                problems.error(msg, sheet, int(row) if row is not None and row == row else None, header,
                               value if not isinstance(value, str) else value[:120])


def _too_long(text: str, limit: int) -> str:
    return f"testo troppo lungo ({_n(len(text))} caratteri, massimo {_n(limit)})"


_PLAIN = frozenset({str, type(None), bool})
_DATES = frozenset({dt.date, dt.datetime, pd.Timestamp})


def _object_faults(values: list, limit: int) -> list[tuple[int, Any, str]]:
    """Faults of a mixed column: texts over ``limit``, dates outside the years, numbers not finite or
    out of measure. The types present are found first (in C): a column of texts and empty cells, or of
    dates, is checked without a Python step per value."""
    types = set(map(type, values))
    out = []
    if str in types:
        lengths = [len(v) if v.__class__ is str else 0 for v in values]
        if max(lengths) > limit:
            out += [(i, values[i], _too_long(values[i], limit)) for i, n in enumerate(lengths) if n > limit]
    if types <= _PLAIN:
        return out
    if types <= _PLAIN | _DATES:   # a date column: only the extreme years matter
        years = [v.year for v in values if v.__class__ in _DATES]
        if YEAR_MIN <= min(years) and max(years) <= YEAR_MAX:
            return out
    for i, v in enumerate(values):
        t = v.__class__
        if t is str or v is None or t is bool:
            continue
        if isinstance(v, (dt.date, pd.Timestamp)):
            if not YEAR_MIN <= v.year <= YEAR_MAX:
                out.append((i, v, f"anno {v.year} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}"))
        elif isinstance(v, float):
            if not math.isfinite(v) or abs(v) > 1e12:
                out.append((i, v, "numero non finito o fuori misura"))
        elif isinstance(v, int) and abs(v) > INT32_MAX:
            out.append((i, v, "numero intero fuori misura"))
    return out


def check_meta(meta: dict[str, Any], locate_field: Callable[[str], tuple[str | None, int | None, str | None]],
               problems: ProblemList) -> None:
    """Ente and Titolo of the sheet «Piano» within :data:`TEXT_MAX_PLAN` characters."""
    for key, label in (("ente", "Ente"), ("titolo", "Titolo")):
        v = meta.get(key)
        if isinstance(v, str) and len(v) > TEXT_MAX_PLAN:
            sheet, row, header = locate_field(key)
            problems.error(f"«{label}» troppo lungo ({len(v)} caratteri, massimo {TEXT_MAX_PLAN})", sheet, row, header,
                           v[:120])


def source_column(table: str, col: str) -> tuple[str, str]:
    """(sheet key, workbook column key) a stored column comes from."""
    return TABLE_SHEET.get(table, table), SOURCE_COLUMN.get(col, col)
