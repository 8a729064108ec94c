"""Italian display formats: ``83,5%``, ``1.234``, ``31/12/2025``. Only for display."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from domain.text import parse_it_date  # noqa: F401 (the CLI's and the URL's dates; lives in domain)

PLOTLY_SEPARATORS = ",."   # Plotly layout.separators: decimal comma, thousands dot


def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


def fmt_num(x: Any, decimals: int = 1, empty: str = "—") -> str:
    """``1234.56`` → ``1.234,6``."""
    if _missing(x):
        return empty
    s = f"{float(x):,.{decimals}f}"
    return s.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def fmt_pct(x: Any, decimals: int = 1, empty: str = "—") -> str:
    """``83.456`` → ``83,5%`` (values on the 0–100 scale)."""
    return empty if _missing(x) else fmt_num(x, decimals) + "%"


def fmt_delta(x: Any, decimals: int = 1, unit: str = " punti", empty: str = "—") -> str:
    """A signed difference: ``27.63`` → ``+27,6 punti``, ``-4`` → ``-4,0 punti``, ``0`` → ``0,0 punti``."""
    if _missing(x):
        return empty
    v = round(float(x), decimals)
    sign = "+" if v > 0 else "-" if v < 0 else ""  # ASCII minus: st.metric colours deltas by it
    return sign + fmt_num(abs(v), decimals) + unit


def fmt_int(x: Any, empty: str = "—") -> str:
    return empty if _missing(x) else fmt_num(x, 0)


def fmt_date(d: Any, empty: str = "—") -> str:
    """``date(2025, 12, 31)`` → ``31/12/2025``."""
    if _missing(d):
        return empty
    if isinstance(d, str):
        return d
    if isinstance(d, pd.Timestamp):
        d = d.date()
    return d.strftime("%d/%m/%Y") if isinstance(d, (dt.date, dt.datetime)) else str(d)


def fmt_datetime(d: Any, empty: str = "—") -> str:
    """``datetime(2025, 12, 31, 9, 5, 0)`` → ``31/12/2025 09:05:00``."""
    if _missing(d):
        return empty
    return pd.Timestamp(d).strftime("%d/%m/%Y %H:%M:%S")


def fmt_days(x: Any, empty: str = "—") -> str:
    if _missing(x):
        return empty
    if not float(x).is_integer():  # a median of days: ``12.5`` → ``12,5 giorni`` (not truncated)
        return f"{fmt_num(x, 1)} giorni"
    n = int(x)
    return f"{n} {'giorno' if abs(n) == 1 else 'giorni'}"


#: The one helper for plurals (metrics, charts, ui and exports; loaders use :mod:`domain.words` directly):
#: ``plural(1, "indicatore", "indicatori")`` → «1 indicatore».
from domain.words import plural  # noqa: E402,F401


def as_of_label(as_of: Any) -> str:
    """How a chart names the as-of date: «oggi» only when it is today (:func:`domain.clock.today`), else
    «al 31/08/2023»."""
    from domain.clock import today
    if _missing(as_of):
        return "oggi"
    return "oggi" if pd.Timestamp(as_of).date() == today() else f"al {fmt_date(as_of)}"
