"""Cell parsers for the monitoring workbook: Italian numbers, percentages, weights,
dates, fuzzy deadlines, statuses and yes/no flags.

Every parser is a pure function of the cell value. The expensive ones are cached
on the raw value (real sheets repeat the same dates and percentages thousands of
times). Parsers never raise on user input: they return a value and an Italian
error message (``None`` when the value is fine).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The domain's text language (months, numbers, dates, statuses) lives in domain/text.py; re-exported here.
from domain.text import (_D_ISO, _D_MON, _D_NUM, _D_TXT, _DATE_RE, _MONTH_RE, _NUM_RE,  # noqa: F401
                         _STATUS_ANYWHERE, _STATUS_EARLIEST, DEFAULT_ACHIEVEMENT, MONTHS, STATUS_RULES, YEAR_MAX,
                         YEAR_MIN, DateHit, _mk_date, find_dates, normalize_status, parse_number_it, strip_accents)

# --------------------------------------------------------------------------- limits (issue 12)
# Every number read from a workbook has a range; text lengths are per column in loaders/spec.py.
NUMBER_MAX = 1e12                    # any number (beyond: a typo or a hostile file; keeps sums finite)
WEIGHT_MAX = 1_000_000               # a relative weight (points or percent): sums of 10⁵ stay finite


_KEY_SEP_RE = re.compile(r"[\s_.]+")


@lru_cache(maxsize=4096, typed=True)
def _norm_key(text: Any) -> str:
    s = strip_accents(str(text or "")).lower().strip()
    s = s.rstrip("%").strip()
    return _KEY_SEP_RE.sub("", s)


def norm_key(text: Any) -> str:
    """Header/sheet matching key: lower case, no accents, no spaces, underscores, dots, trailing %."""
    try:  # cached: header matching compares the same few strings thousands of times
        return _norm_key(text)
    except TypeError:  # unhashable
        return _norm_key.__wrapped__(text)


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text (None when empty). Whole floats lose their ``.0``."""
    if value is None:
        return None
    if value.__class__ is str:  # fast path: most cells are plain text
        return value.strip() or None
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)  # 1e+300, not three hundred digits
    # f-strings instead of strftime (4× faster; same text: glibc's %Y does not pad years either)
    if isinstance(value, dt.datetime):
        day = f"{value.day:02d}/{value.month:02d}/{value.year}"
        return day if value.time() == dt.time() else f"{day} {value.hour:02d}:{value.minute:02d}"
    if isinstance(value, dt.date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    s = str(value).strip()
    return s or None


# --------------------------------------------------------------------------- numbers
def _as_number(value: Any) -> tuple[float | None, bool, str | None]:
    """(number, had_percent_sign, error)."""
    if isinstance(value, bool):
        return None, False, "atteso un numero, trovato un valore sì/no"
    if isinstance(value, (int, float)):
        if value != value:
            return None, False, None
        if not math.isfinite(value) or abs(value) > NUMBER_MAX:
            return None, False, f"«{cell_text(value)}» non è un numero ammesso (oltre {fmt_num(NUMBER_MAX)})"
        return float(value), False, None
    text = cell_text(value)
    if text is None:
        return None, False, None
    had_pct = text.endswith("%")
    body = text[:-1].strip() if had_pct else text
    if had_pct and "%" in body:  # «5%%», «5 % %»: ambiguous, never guessed
        return None, had_pct, f"«{text}»: simbolo % ripetuto, scrivere un solo % (es. 5%)"
    num = parse_number_it(body)
    if num is None:
        return None, had_pct, f"«{text}» non è un numero"
    if not math.isfinite(num) or abs(num) > NUMBER_MAX:
        return None, had_pct, f"«{text}» non è un numero ammesso (oltre {fmt_num(NUMBER_MAX)})"
    return num, had_pct, None


@lru_cache(maxsize=8192, typed=True)
def _parse_percent_cached(value: Any) -> tuple[float | None, str | None]:
    num, had_pct, err = _as_number(value)
    if err or num is None:
        return None, (f"{err}: scrivere una percentuale come 20%, 20 o 0,2" if err else None)
    pct = num if had_pct or num > 1 else num * 100.0
    if pct < 0 or pct > 100 + 1e-9:
        return None, f"percentuale {fmt_num(pct)}% fuori dall'intervallo 0–100%"
    return pct, None


def parse_percent(value: Any) -> tuple[float | None, str | None]:
    """Percentuale: ``20,00%``, ``20%``, 0.2 (cella percentuale), 20 (punti) → 20.0 (scala 0–100)."""
    try:
        return _parse_percent_cached(value)
    except TypeError:  # unhashable
        return _parse_percent_cached.__wrapped__(value)


_POINTS_RE = re.compile(r"^\s*([\d.,]+)\s*punt[io]\s+su\s+([\d.,]+)\s*$", re.I)


@dataclass(frozen=True)
class Weight:
    value: float          # as written (or percent for "x punti su y" and "x%")
    explicit_pct: bool    # the cell said it is a percentage


@lru_cache(maxsize=4096, typed=True)
def parse_weight(value: Any) -> tuple[Weight | None, str | None]:
    """Peso relativo: ``5%``, ``0,05``, ``5``, ``10 punti su 50``. Negative weights are an error.

    Fractions (≤ 1 without a % sign) are scaled to percent by :func:`scale_weights`,
    which decides per parent whether the numbers are fractions or points.
    """
    if isinstance(value, str):
        m = _POINTS_RE.match(value)
        if m:
            a, b = parse_number_it(m.group(1)), parse_number_it(m.group(2))
            if a is None or not b:
                return None, f"«{value}»: peso in punti non leggibile (es. «10 punti su 50»)"
            if a > b or not math.isfinite(a / b):
                return None, f"«{value}»: i punti superano il totale"
            return Weight(a / b * 100.0, True), None
    num, had_pct, err = _as_number(value)
    if err:
        return None, f"{err}: scrivere un peso come 5%, 0,05, 5 o «10 punti su 50»"
    if num is None:
        return None, None
    if num < 0:
        return None, f"peso negativo ({fmt_num(num)}): i pesi devono essere positivi o zero"
    if num > WEIGHT_MAX:
        return None, f"peso {fmt_num(num)} fuori misura: i pesi vanno da 0 a {fmt_num(WEIGHT_MAX)}"
    return Weight(num, had_pct), None


def scale_weights(weights: list[Weight | None]) -> list[float | None]:
    """Weights of one parent in percent scale: plain numbers ≤ 1 are fractions unless a sibling is > 1."""
    plain_over_one = any(w is not None and not w.explicit_pct and w.value > 1 for w in weights)
    out: list[float | None] = []
    for w in weights:
        if w is None:
            out.append(None)
        elif w.explicit_pct or plain_over_one:
            out.append(w.value)
        else:
            out.append(w.value * 100.0)
    return out


def fmt_num(x: float) -> str:
    """Number for an error message, Italian style (display formatting lives in metrics.fmt)."""
    return f"{x:g}".replace(".", ",")


# --------------------------------------------------------------------------- dates
_YEAR_ONLY_RE = re.compile(r"^(?:entro\s+(?:il\s+|l'anno\s+)?)?(?:anno\s+)?(\d{4})$", re.I)


def _excel_serial(x: float) -> dt.date | None:
    if 20000 <= x <= 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(x))
    return None


@lru_cache(maxsize=8192, typed=True)
def parse_date(value: Any, default_year: int | None = None) -> tuple[dt.date | None, str | None]:
    """Data singola (verifica, completamento, nuovo termine). Text without a date is an error."""
    if value is None:
        return None, None
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if not YEAR_MIN <= day.year <= YEAR_MAX:
            return None, f"«{cell_text(value)}»: anno {day.year} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}"
        return day, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        d = _excel_serial(float(value))
        return (d, None) if d else (None, f"«{cell_text(value)}» non è una data (usare gg/mm/aaaa)")
    text = cell_text(value)
    if text is None:
        return None, None
    hits = find_dates(text, default_year)
    if not hits:
        return None, f"«{text}» non è una data (usare gg/mm/aaaa, es. 31/12/2025)"
    first = hits[0]
    if first.error:
        return None, first.error
    return first.date, None


@dataclass(frozen=True)
class Deadline:
    deadline: dt.date | None
    revised: dt.date | None
    continuous: bool
    error: str | None = None
    warning: str | None = None


@lru_cache(maxsize=8192, typed=True)
def parse_deadline(value: Any, default_year: int | None = None) -> Deadline:
    """Termine: a date, two dates (original + revised), or a recurring text (continuativo).

    ``Entro marzo 2023`` = 31/03/2023; ``Entro agosto-2023 entro ottobre 2023`` = 31/08/2023
    revised to 31/10/2023; ``Al bisogno``, ``Cadenza mensile`` → continuativo.
    """
    if value is None:
        return Deadline(None, None, False)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and 1990 <= value <= 2100:  # a bare year: end of that year
        return Deadline(dt.date(int(value), 12, 31), None, False)
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        d, err = parse_date(value)
        return Deadline(d, None, False, err)
    text = cell_text(value)
    if text is None:
        return Deadline(None, None, False)
    m = _YEAR_ONLY_RE.match(text.strip())
    if m:
        y = int(m.group(1))
        if not YEAR_MIN <= y <= YEAR_MAX:
            return Deadline(None, None, False, error=f"«{text}»: anno {y} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}")
        return Deadline(dt.date(y, 12, 31), None, False)
    hits = find_dates(text, default_year)
    if not hits:
        return Deadline(None, None, True,
                        warning=f"«{text}» non è una data: step continuativo (escluso dagli slittamenti)")
    bad = next((h for h in hits if h.error), None)
    if bad:
        return Deadline(None, None, False, error=bad.error)
    warning = None
    if any(h.year_missing for h in hits):
        warning = f"«{text}»: anno non indicato, assunto {default_year}"
    if len(hits) > 2:
        warning = f"«{text}»: più di due date, usate la prima come termine e l'ultima come nuovo termine"
    revised = hits[-1].date if len(hits) >= 2 else None
    return Deadline(hits[0].date, revised, False, warning=warning)


def parse_year(value: Any) -> tuple[int | None, str | None]:
    """Anno (es. «Anno inserimento»): an integer from 1900 to 2100; anything else is an error."""
    text = cell_text(value)
    if text is None:
        return None, None
    n = parse_number_it(text) if not isinstance(value, (int, float)) or isinstance(value, bool) else float(value)
    if n is None or not math.isfinite(n) or not float(n).is_integer():
        return None, f"«{text}» non è un anno (es. 2025)"
    if not YEAR_MIN <= n <= YEAR_MAX:
        return None, f"anno {text} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}"
    return int(n), None


_LIST_SEP_RE = re.compile(r"[,;]")
_LIST_SPACE_RE = re.compile(r"\s+")


def split_codes(text: str | None) -> tuple[list[str], int]:
    """A list of codes («4A, 5A», «4A; 5A», «4A 5A») → (codes in order, without repeats; number of empty
    items). ``4A;;`` has one empty item: the caller warns about it instead of dropping it silently."""
    if not text:
        return [], 0
    codes: list[str] = []
    empty = 0
    parts = _LIST_SEP_RE.split(text)
    for part in parts:
        tokens = [t for t in _LIST_SPACE_RE.split(part) if t]
        if not tokens and len(parts) > 1:
            empty += 1
        codes.extend(tokens)
    return list(dict.fromkeys(codes)), empty


# --------------------------------------------------------------------------- status
# The status vocabulary lives in domain/status.py (the domain's language); re-exported here for the
# modules that still import it from loaders.parsing.
from domain.status import (STATUS_ACHIEVED, STATUS_IN_PROGRESS, STATUS_NEUTRALIZED,  # noqa: E402,F401
                           STATUS_NOT_ACHIEVED, STATUS_PARTIAL, STATUS_POSTPONED, STATUS_UNKNOWN,
                           STATUS_UNVERIFIED)

_YES = {"si", "s", "sì", "yes", "y", "x", "vero", "true", "1"}
_NO = {"no", "n", "falso", "false", "0"}


def parse_bool(value: Any) -> tuple[bool, str | None]:
    """Sì/no: ``sì``, ``si``, ``x``, ``vero``, 1 → True; empty, ``no``, 0 → False."""
    if value is None:
        return False, None
    if isinstance(value, bool):
        return value, None
    text = strip_accents(cell_text(value) or "").lower()
    if text == "" or text in _NO:
        return False, None
    if text in _YES or text == "si":
        return True, None
    return False, f"«{cell_text(value)}»: scrivere «sì» o «no»"
