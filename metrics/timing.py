"""One vocabulary for a step's timing at any date (spec rules 5 and 10), written once.

Every step of the year falls in exactly one *category*: neutralizzato, continuativo, completato in tempo,
completato in ritardo (exact, or bounded by the verifications «tra X e Y giorni»), completato con ritardo da
verificare, completato senza data, scaduto (past its deadline, not completed), al termine senza completamento (due
on the as-of date itself, not yet overdue), non ancora scaduto (due later). The pages,
«Perché questo valore», the Relazione and the Excel «Ritardi» sheet all word a step with these functions, so no
two places disagree. Pure: rows of ``PlanMetrics.steps`` (after :func:`metrics.formulas.slippage`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from metrics.fmt import fmt_date, fmt_days, fmt_int, plural

CAT_NEUTRALIZED = "neutralizzato"
CAT_CONTINUOUS = "continuativo"
CAT_ON_TIME = "in tempo"
CAT_LATE = "in ritardo"
CAT_TO_VERIFY = "da verificare"
CAT_DONE_UNDATED = "completato senza data"
CAT_OVERDUE = "scaduto"
CAT_DUE_NOW = "termine raggiunto"
CAT_NOT_DUE = "non ancora scaduto"
CAT_NO_DEADLINE = "senza termine"

#: The categories in reading order, with (singular, plural) wording for a sentence.
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    CAT_ON_TIME: ("completato in tempo", "completati in tempo"),
    CAT_LATE: ("completato in ritardo", "completati in ritardo"),
    CAT_TO_VERIFY: ("completato con ritardo da verificare", "completati con ritardo da verificare"),
    CAT_DONE_UNDATED: ("completato senza una data che dica quando", "completati senza una data che dica quando"),
    CAT_OVERDUE: ("scaduto senza completamento", "scaduti senza completamento"),
    CAT_DUE_NOW: ("al termine senza completamento", "al termine senza completamento"),
    CAT_NOT_DUE: ("non ancora scaduto", "non ancora scaduti"),
    CAT_NEUTRALIZED: ("neutralizzato per cause non imputabili all'ente", "neutralizzati per cause non imputabili all'ente"),
    CAT_CONTINUOUS: ("continuativo (termine non datato)", "continuativi (termine non datato)"),
    CAT_NO_DEADLINE: ("senza termine", "senza termine"),
}
DONE_CATEGORIES = (CAT_ON_TIME, CAT_LATE, CAT_TO_VERIFY, CAT_DONE_UNDATED)


def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x)


def _get(s: Any, key: str) -> Any:
    try:
        return s[key]
    except (KeyError, IndexError):
        return None


def category(s: Any) -> str:
    """The one timing category of a step (see the module docstring)."""
    if bool(_get(s, "neutralized")):
        return CAT_NEUTRALIZED
    if bool(_get(s, "continuous")):
        return CAT_CONTINUOUS
    t = _get(s, "timing")
    if t in (CAT_ON_TIME, CAT_LATE, CAT_TO_VERIFY, CAT_OVERDUE):
        return t
    if t == "in scadenza":
        # due (rule 10: its deadline is the as-of date itself) but not yet overdue (rule 5: as-of > Termine)
        return CAT_DUE_NOW if bool(_get(s, "due")) and not bool(_get(s, "continuous")) else CAT_NOT_DUE
    if bool(_get(s, "completed")):
        return CAT_DONE_UNDATED
    return CAT_NO_DEADLINE


def delay_bounds(s: Any) -> tuple[int | None, int | None]:
    """(lowest, highest) delay in days of a step completed late or *da verificare*: equal for an exact
    completion date, the verification bounds otherwise (the lowest never below 0)."""
    if not _missing(_get(s, "slip_days")):
        d = int(s["slip_days"])
        return d, d
    hi = _get(s, "slip_max_days")
    if _missing(hi):
        return None, None
    lo = _get(s, "slip_min_days")
    return (0 if _missing(lo) else max(0, int(lo))), int(hi)


def days_text(lo: int | None, hi: int | None) -> str:
    """«12 giorni», «1 giorno», «tra 31 e 153 giorni»; «—» when unknown."""
    if lo is None and hi is None:
        return "—"
    if lo is None or lo == hi:
        return fmt_days(hi)
    return f"tra {lo} e {hi} giorni"


def delay_text(s: Any) -> str:
    """A step's delay in words, for late and overdue steps: «+12 giorni», «tra 31 e 153 giorni (verifiche)»,
    «fino a 92 giorni (da verificare)», «scaduto da 5 giorni»; «» for the others."""
    c = category(s)
    if c in (CAT_LATE, CAT_TO_VERIFY):
        lo, hi = delay_bounds(s)
        if hi is None:
            return ""
        if lo == hi and not _missing(_get(s, "slip_days")):
            return f"+{fmt_days(hi)}"
        if c == CAT_TO_VERIFY:
            return f"tra 0 e {hi} giorni (da verificare)" if (lo or 0) == 0 else f"{days_text(lo, hi)} (da verificare)"
        return f"{days_text(lo, hi)} (verifiche)"
    if c == CAT_OVERDUE and not _missing(_get(s, "overdue_days")):
        return f"scaduto da {fmt_days(int(s['overdue_days']))}"
    return ""


def short_text(s: Any) -> str:
    """The «Tempi» of a step in a few words: ``in tempo``, ``+12 giorni``, ``tra 31 e 153 giorni (verifiche)``,
    ``scaduto da 5 giorni``, ``non ancora scaduto``, ``continuativo``, ``neutralizzato``, ``data n.d.``."""
    if d := delay_text(s):
        return d
    c = category(s)
    return {CAT_ON_TIME: "in tempo", CAT_NOT_DUE: "non ancora scaduto", CAT_DUE_NOW: "termine raggiunto, non completato", CAT_NEUTRALIZED: "neutralizzato",
            CAT_CONTINUOUS: "continuativo", CAT_DONE_UNDATED: "data n.d.", CAT_TO_VERIFY: "da verificare"}.get(c, "—")


def sentence(s: Any, as_of: Any = None) -> str:
    """What a step's timing rests on, in one sentence («Perché questo valore»)."""
    c = category(s)
    deadline = _get(s, "deadline")
    revised = _get(s, "revised_deadline")
    if c == CAT_NOT_DUE:
        eff = revised if not _missing(revised) else deadline
        return (f"termine {fmt_date(eff)} non ancora scaduto"
                + (f" (nuovo termine; originario {fmt_date(deadline)})" if not _missing(revised) else ""))
    if c == CAT_DUE_NOW:
        eff = revised if not _missing(revised) else deadline
        return f"termine {fmt_date(eff)} raggiunto alla data di monitoraggio: non risulta completato"
    if c in (CAT_NEUTRALIZED, CAT_CONTINUOUS, CAT_NO_DEADLINE):
        return "slittamento non applicabile (continuativo, neutralizzato o senza termine)"
    if c == CAT_OVERDUE:
        when = _get(s, "as_of") if as_of is None else as_of
        since = f"scaduto da {fmt_days(int(s['overdue_days']))}"
        return (f"non completato al {fmt_date(when)}: {since}" if not _missing(when)
                else f"non completato: {since}")
    basis = _get(s, "slip_basis")
    if basis == "completion_date":
        d = int(s["slip_days"])
        what = f"ritardo di {fmt_days(d)}" if d > 0 else "in tempo" if d == 0 else f"in anticipo di {fmt_days(-d)}"
        return f"completato il {fmt_date(s['completed_on'])} (data completamento), termine {fmt_date(deadline)}: {what}"
    if basis == "verifications":
        v0, v1 = _get(s, "done_after"), _get(s, "done_by")
        when = (f"completato tra il {fmt_date(v0)} e il {fmt_date(v1)}" if not _missing(v0)
                else f"completato entro il {fmt_date(v1)}")
        if c == CAT_ON_TIME:
            return f"{when} (verifiche), termine {fmt_date(deadline)}: in tempo"
        lo, hi = delay_bounds(s)
        if lo == hi:
            return f"{when} (verifiche): ritardo di {fmt_days(hi)}"
        return f"{when} (verifiche): ritardo {days_text(lo, hi)}"
    return "completato, ma nessuna verifica datata dice quando: slittamento sconosciuto"


def late_detail(s: Any) -> str:
    """«4.3: tra 31 e 153 giorni (verifiche)», «A.1: 10 giorni»: a late step and its delay."""
    lo, hi = delay_bounds(s)
    if hi is None:
        return str(s["code"])
    exact = not _missing(_get(s, "slip_days"))
    return f"{s['code']}: {days_text(lo, hi)}" + ("" if exact else " (verifiche)")


def breakdown(steps: pd.DataFrame) -> dict[str, int]:
    """How many steps fall in each category (every step in exactly one: the counts add up to ``len(steps)``),
    in reading order, zeros left out."""
    cats = [category(s) for _, s in steps.iterrows()]
    return {c: cats.count(c) for c in CATEGORY_WORDS if cats.count(c)}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]


def year_sentence(steps: pd.DataFrame, year: int) -> str:
    """«Dei 33 step con termine nel 2023: 22 completati (di cui 8 in tempo, 2 in ritardo, 12 con ritardo da verificare),
    2 scaduti senza completamento, 1 neutralizzato … e 7 continuativi.» — the parts add up to the total."""
    n = len(steps)
    if n == 0:
        return f"Nessuno step con termine nel {year}."
    b = breakdown(steps)
    done = sum(b.get(c, 0) for c in DONE_CATEGORIES)
    items = []
    if done:
        parts = [plural(b[c], *(w.replace("completato ", "").replace("completati ", "") for w in CATEGORY_WORDS[c]))
                 for c in DONE_CATEGORIES if b.get(c)]
        items.append(plural(done, "completato", "completati") + f" (di cui {', '.join(parts)})")
    items += [plural(b[c], *CATEGORY_WORDS[c]) for c in CATEGORY_WORDS if c not in DONE_CATEGORIES and b.get(c)]
    head = f"Dei {fmt_int(n)} step con termine nel {year}" if n > 1 else f"Dell'unico step con termine nel {year}"
    return f"{head}: {_join(items)}."
