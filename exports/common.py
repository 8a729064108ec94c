"""Small helpers every export shares: display text from a cell value, clipping on a word, the
steps of each objective, and the export file name. :func:`neutralize` makes a text safe for a
spreadsheet cell (no formula injection).

The Italian phrasing of figures is in :mod:`exports.phrasing`, the tables in :mod:`exports.tables`,
the board deck in :mod:`exports.deck` and its pagination in :mod:`exports.paginate`."""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import pandas as pd

from metrics import formulas as F
from metrics.engine import PlanMetrics

#: Characters that make a spreadsheet read a cell as a formula (OWASP «CSV injection»).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe, so it
    stays text: ``=HYPERLINK(...)`` → ``'=HYPERLINK(...)``. Other values are returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(s: str) -> str:
    """Without the control characters that Office XML cannot hold."""
    return _XML_ILLEGAL.sub("", s)


def text(x: Any) -> str:
    """A cell value as display text ('' for missing), safe for Office XML."""
    return "" if missing(x) else xml_safe(str(x).strip())


def clip(s: str, n: int) -> str:
    """At most ``n`` characters, cut on a word with an ellipsis."""
    s = " ".join(str(s).split())
    if len(s) <= n:
        return s
    cut = s[: n - 1]
    if " " in cut[n // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;.:-") + "…"


def fraction(x: Any) -> float | None:
    """0–100 value → 0–1 fraction for percent-formatted cells and charts (None if missing)."""
    return None if missing(x) else float(x) / 100.0


def step_weight_pct(steps: pd.DataFrame) -> pd.Series:
    """Peso step/obiettivo: the step's effective weight normalised within its objective (0–100)."""
    return steps.groupby("objective_code", sort=False)["weight_eff"].transform(
        lambda w: F.normalised_weights(w)).astype("float64")


def objective_steps(pm: PlanMetrics) -> dict[str, pd.DataFrame]:
    """The steps of each objective (computed once: boolean indexing of the wide frame is slow)."""
    groups = {str(k): g for k, g in pm.steps.groupby("objective_code", sort=False)}
    return {str(c): groups.get(str(c), pm.steps.iloc[0:0]) for c in pm.objectives["code"]}


def steps_of(pm: PlanMetrics, code: str, steps: pd.DataFrame | None) -> pd.DataFrame:
    return pm.steps[pm.steps["objective_code"] == code] if steps is None else steps


#: Longest ente part of an export file name: a longer name gives way to its short name.
FILE_NAME_ENTE = 60


def ente_short(ente: str, n: int = 40) -> str:
    """The ente's name when it has at most ``n`` characters, else its short name, never a name cut in
    the middle: the acronym in brackets («… di Pianezza (C.I.S.S.A.)» → «C.I.S.S.A.»), else a first word
    written as an acronym («COeSO Società della Salute …» → «COeSO»), else the name cut on a word."""
    ente = " ".join(text(ente).split())
    if len(ente) <= n:
        return ente
    if (m := re.search(r"\(([^()]{2,30})\)\s*$", ente)) and sum(ch.isupper() for ch in m.group(1)) >= 2:
        return m.group(1).strip()
    first = ente.split()[0]
    if sum(ch.isupper() for ch in first) >= 2 and len(first) <= n:
        return first
    return clip(ente, n)


def export_file_name(pm: PlanMetrics, ext: str) -> str:
    """``performance_<ente>_<anno>_<data>.<ext>``: the ente's words (accented letters kept, NFC) joined
    by ``_``; a name too long for that gives way to its short name (:func:`ente_short`: the acronym, dots
    dropped), never a name cut in the middle; anything a file system could not hold becomes ``_``."""
    ente = unicodedata.normalize("NFC", text(pm.ctx.ente))
    words = [w for w in re.split(r"[\W_]+", ente) if w]
    if len("_".join(words)) > FILE_NAME_ENTE:
        short = ente_short(ente, FILE_NAME_ENTE).replace(".", "")
        words = [w for w in re.split(r"[\W_]+", short) if w]
    kept: list[str] = []
    for w in words:
        if kept and len("_".join(kept + [w])) > FILE_NAME_ENTE:
            break
        kept.append(w[:FILE_NAME_ENTE])
    name = "_".join(kept) or "piano"
    return f"performance_{name}_{pm.ctx.year}_{pm.ctx.as_of:%Y%m%d}.{ext}"
