"""The domain's text language: how Italian performance documents write months, numbers, dates and
step statuses. Pure functions of a string, shared by the loaders (reading a workbook) and the metrics
(reading stored rows), so that metrics never import the loader. Moved from ``loaders.parsing``, which
re-exports every name for old imports.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from domain.status import (STATUS_ACHIEVED, STATUS_IN_PROGRESS, STATUS_NEUTRALIZED, STATUS_NOT_ACHIEVED,
                           STATUS_PARTIAL, STATUS_POSTPONED, STATUS_UNKNOWN, STATUS_UNVERIFIED)

MONTHS = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}
_MONTH_RE = "|".join(MONTHS)

YEAR_MIN, YEAR_MAX = 1900, 2100      # years and dates


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))




# --------------------------------------------------------------------------- numbers
_NUM_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)*$")


def parse_number_it(text: str) -> float | None:
    """``1.234,5`` → 1234.5, ``0,05`` → 0.05, ``20.5`` → 20.5. None when not a number."""
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUM_RE.match(s):
        return None
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if s.count(",") > 1:
            return None
        s = s.replace(",", ".")
    elif s.count(".") > 1:  # 1.234.567
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None




# --------------------------------------------------------------------------- dates
_D_NUM = r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\d/])"
_D_ISO = r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"
_D_TXT = rf"(?<!\d)(\d{{1,2}})\s*(?:°\s*)?({_MONTH_RE})\s*(\d{{4}})?"
_D_MON = rf"({_MONTH_RE})(?:\s*[-/]?\s*(\d{{4}}))?"
_DATE_RE = re.compile(rf"{_D_ISO}|{_D_NUM}|{_D_TXT}|{_D_MON}", re.I)


@dataclass(frozen=True)
class DateHit:
    date: dt.date | None
    text: str
    error: str | None = None
    year_missing: bool = False


def _mk_date(y: int, m: int, d: int, text: str) -> DateHit:
    if not YEAR_MIN <= y <= YEAR_MAX:
        return DateHit(None, text, f"«{text}»: anno {y} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}")
    try:
        return DateHit(dt.date(y, m, d), text)
    except ValueError:
        return DateHit(None, text, f"«{text}» non è una data possibile")


def find_dates(text: str, default_year: int | None = None) -> list[DateHit]:
    """Every date mentioned in an Italian text, in order.

    ``31/12/25``, ``31.12.2025``, ``2025-12-31``, ``30 aprile 2023``, ``marzo 2023`` (last day),
    ``agosto-2023``; a month without year takes ``default_year`` (flagged).
    """
    hits: list[DateHit] = []
    low = strip_accents(text).lower()
    for m in _DATE_RE.finditer(low):
        g = m.groups()
        raw = text[m.start():m.end()].strip()
        if g[0]:  # ISO
            hits.append(_mk_date(int(g[0]), int(g[1]), int(g[2]), raw))
        elif g[3]:  # d/m/y
            y = int(g[5])
            if y < 100:
                y += 2000
            hits.append(_mk_date(y, int(g[4]), int(g[3]), raw))
        elif g[6]:  # 30 aprile 2023
            year = g[8]
            if year is None and default_year is None:
                hits.append(DateHit(None, raw, f"«{raw}»: manca l'anno"))
                continue
            hit = _mk_date(int(year or default_year), MONTHS[g[7]], int(g[6]), raw)
            hits.append(DateHit(hit.date, hit.text, hit.error, year_missing=year is None))
        else:  # marzo 2023 -> end of month
            month, year = MONTHS[g[9]], g[10]
            if year is None and default_year is None:
                hits.append(DateHit(None, raw, f"«{raw}»: manca l'anno"))
                continue
            y = int(year or default_year)
            if not YEAR_MIN <= y <= YEAR_MAX:
                hits.append(DateHit(None, raw, f"«{raw}»: anno {y} fuori dall'intervallo {YEAR_MIN}–{YEAR_MAX}"))
                continue
            last = calendar.monthrange(y, month)[1]
            hits.append(DateHit(dt.date(y, month, last), raw, year_missing=year is None))
    return hits




# --------------------------------------------------------------------------- status
STATUS_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (STATUS_NEUTRALIZED, ("non realizzabile", "non imputabil", "cause esterne")),
    (STATUS_POSTPONED, ("dilazione", "rinvi", "proroga", "posticip")),
    (STATUS_PARTIAL, ("parzial",)),
    (STATUS_NOT_ACHIEVED, ("non realizzat", "non raggiunt", "non avviat")),
    (STATUS_IN_PROGRESS, ("in itinere", "in fase", "in corso", "in lavorazione", "da realizzare", "avviat")),
    (STATUS_ACHIEVED, ("realizzat", "raggiunt", "completat", "conclus")),
)

# Raggiungimento when the cell is empty (rule of the spec); None = warn, count 0.
DEFAULT_ACHIEVEMENT = {
    STATUS_ACHIEVED: 100.0,
    STATUS_NOT_ACHIEVED: 0.0,
    STATUS_IN_PROGRESS: 0.0,
    STATUS_POSTPONED: 0.0,
    STATUS_PARTIAL: None,
}


#: Statuses that win wherever they appear in the text (spec, revision 2), in this order.
_STATUS_ANYWHERE = STATUS_RULES[:2]
#: The others: the earliest expression of the text decides.
_STATUS_EARLIEST = STATUS_RULES[2:]


@lru_cache(maxsize=4096, typed=True)
def normalize_status(raw: str | None, not_attributable: bool = False) -> str:
    """Stato normalizzato (spec revision 2): *neutralizzato*, then *rinviato*, win wherever they
    appear; otherwise the **earliest** status expression of the text decides (the headline of the
    sentence: «Obiettivo raggiunto e con realizzazione in itinere» → raggiunto). A negated expression
    («non realizzato») is one expression: it starts before its inner «realizzat», so it wins.
    No expression → ``sconosciuto``."""
    if not_attributable:
        return STATUS_NEUTRALIZED
    if not raw:
        return STATUS_UNVERIFIED
    low = re.sub(r"\s+", " ", strip_accents(raw).lower())
    for status, needles in _STATUS_ANYWHERE:
        if any(n in low for n in needles):
            return status
    best: tuple[int, int, str] | None = None   # (position, -length, status)
    for status, needles in _STATUS_EARLIEST:
        for n in needles:
            i = low.find(n)
            if i >= 0 and (best is None or (i, -len(n)) < best[:2]):
                best = (i, -len(n), status)
    return best[2] if best else STATUS_UNKNOWN


def parse_it_date(text: str) -> dt.date:
    """``31/12/2025`` → date (CLI and URL parameters); raises ValueError in Italian."""
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"data «{text}» non valida: usare gg/mm/aaaa (es. 31/12/2025)") from None
