"""Scadenze e ritardi: roll-ups of the slippage (rule 5) by month, area and responsible,
and the window of steps *in scadenza*. Pure pandas on the frames of
:class:`metrics.engine.PlanMetrics`; the per-step formulas live in :mod:`metrics.formulas`
(``slippage``) and every roll-up reuses :func:`metrics.formulas.slippage_summary`.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from domain.text import MONTHS
from metrics import formulas as F

#: Gruppo degli step il cui obiettivo non è collegato ad alcun obiettivo strategico.
UNLINKED = "Senza collegamento strategico"
#: Gruppo degli obiettivi strategici senza area.
NO_AREA = "Senza area"
#: Responsabile non indicato.
NOT_GIVEN = "(non indicato)"
#: Esiti di rule 5 per i quali si calcola un ritardo o un anticipo.
JUDGED = ("in tempo", "in ritardo", "scaduto")
MONTH_ABBR = {n: name[:3] for name, n in MONTHS.items()}

ROLLUP_COLUMNS = ["steps", "upcoming", "undetermined", "judged", "on_time", "late", "overdue", "on_time_pct",
                  "late_pct", "overdue_pct", "median_delay", "max_delay", "to_verify", "on_time_on_bounds",
                  "late_on_bounds"]


def month_label(d: dt.date | pd.Timestamp) -> str:
    """``date(2025, 3, 1)`` → ``mar 2025``."""
    return f"{MONTH_ABBR[d.month]} {d.year}"


def scope(steps: pd.DataFrame, all_years: bool = False) -> pd.DataFrame:
    """The steps of the selected year (``due_in_year``, as the plan's roll-ups), or all of them."""
    return steps if all_years else steps[steps["due_in_year"].astype(bool)]


def dated_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps with a real deadline (not *continuativi*), ordered as in the sheet."""
    return steps[steps["deadline"].notna() & ~steps["continuous"].astype(bool)]


def continuous_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Attività continuative: deadline not a date (excluded from slippage)."""
    return steps[steps["continuous"].astype(bool)]


def delay_days(steps: pd.DataFrame) -> pd.Series:
    """Giorni di ritardo of each late (Data completamento − Termine) or overdue (as-of − Termine)
    step, as rule 5 computes them (a late step bounded by its verifications: the lower bound, the delay
    that is certain); <NA> for the others."""
    late = steps["timing"] == "in ritardo"
    overdue = steps["timing"] == "scaduto"
    out = pd.Series(pd.NA, index=steps.index, dtype="Int64")
    slip = steps["slip_days"] if "slip_min_days" not in steps else steps["slip_days"].fillna(steps["slip_min_days"])
    out[late] = slip[late]
    out[overdue] = steps.loc[overdue, "overdue_days"]
    return out


def late_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps completed after their deadline, the worst first, with ``delay``."""
    df = steps[steps["timing"] == "in ritardo"].assign(delay=delay_days)
    return df.sort_values("delay", ascending=False, kind="stable")


def overdue_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps not completed past their deadline (*scaduti*), the oldest first, with ``delay``."""
    df = steps[steps["timing"] == "scaduto"].assign(delay=delay_days)
    return df.sort_values("delay", ascending=False, kind="stable")


def due_soon(steps: pd.DataFrame, as_of: dt.date, days: int) -> pd.DataFrame:
    """Steps *in scadenza*: not completed, not neutralised, with a dated deadline (the Nuovo termine
    when there is one) after the as-of date and within ``days`` days. Adds ``next_deadline`` and
    ``days_left``; the nearest first."""
    df = dated_steps(steps)
    df = df[~df["completed"].astype(bool) & ~df["neutralized"].astype(bool)]
    nxt = pd.to_datetime(df["revised_deadline"]).fillna(pd.to_datetime(df["deadline"]))
    left = (nxt - pd.Timestamp(as_of)).dt.days
    keep = (left > 0) & (left <= days)
    out = df[keep].assign(next_deadline=nxt[keep].dt.date, days_left=left[keep].astype(int))
    return out.sort_values(["days_left"], kind="stable")


# ----------------------------------------------------------------------------- roll-ups
def rollup(steps: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rule 5 roll-up per value of column ``by`` (in order of first appearance): number of dated
    steps, not yet due (``upcoming``), undetermined (``n.d.``), then :func:`F.slippage_summary`."""
    rows = []
    for key, g in steps.groupby(by, sort=False, dropna=False):
        s = F.slippage_summary(g)
        rows.append({by: key, "steps": len(g), "upcoming": int((g["timing"] == "in scadenza").sum()),
                     "undetermined": int((g["timing"] == "n.d.").sum()), **s})
    return pd.DataFrame(rows, columns=[by] + ROLLUP_COLUMNS)


def by_month(steps: pd.DataFrame) -> pd.DataFrame:
    """Roll-up by month of the (original) deadline, chronological; ``month`` is the first day of
    the month, ``label`` e.g. ``mar 2025``."""
    df = dated_steps(steps)
    month = pd.to_datetime(df["deadline"]).dt.to_period("M").dt.start_time.dt.date
    out = rollup(df.assign(month=month).sort_values("month", kind="stable"), "month")
    out.insert(1, "label", [month_label(m) for m in out["month"]])
    return out.reset_index(drop=True)


def step_areas(steps: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame,
               areas: pd.DataFrame) -> pd.DataFrame:
    """Steps with their strategic area through objective → strategic objective → area (rule 4): a step
    whose objective reaches several areas appears once in each; ``area`` is «code · name»,
    :data:`UNLINKED` when the objective has no link, :data:`NO_AREA` for strategic objectives
    without area."""
    area_name = {str(c): f"{c} · {n}" for c, n in zip(areas["code"], areas["name"])}
    s_area = {str(c): (area_name.get(str(a), NO_AREA) if pd.notna(a) else NO_AREA)
              for c, a in zip(strategic["code"], strategic["area_code"])}
    pairs = links.assign(area=links["strategic_code"].astype(str).map(s_area).fillna(NO_AREA))
    pairs = pairs[["objective_code", "area"]].drop_duplicates()
    out = steps.merge(pairs, how="left", on="objective_code")
    out["area"] = out["area"].fillna(UNLINKED)
    order = list(area_name.values()) + [NO_AREA, UNLINKED]
    out["area_order"] = out["area"].map({a: i for i, a in enumerate(order)})
    return out.sort_values("area_order", kind="stable").drop(columns="area_order")


def by_area(steps: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Roll-up by strategic area (a step counts in every area its objective reaches)."""
    return rollup(step_areas(dated_steps(steps), links, strategic, areas), "area").reset_index(drop=True)


def step_responsible(steps: pd.DataFrame, objectives: pd.DataFrame, source: str = "objective") -> pd.Series:
    """The responsible of each step: the objective's (``source="objective"``) or the step's own,
    falling back to the objective's (``source="step"``); :data:`NOT_GIVEN` when missing."""
    def clean(s: pd.Series) -> pd.Series:
        s = s.astype("object").where(s.notna(), None)
        return s.map(lambda v: " ".join(str(v).split()) if v is not None and str(v).strip() else None)

    obj = clean(steps["objective_code"].map(dict(zip(objectives["code"], objectives["responsible"]))))
    if source == "step":
        own = clean(steps["responsible"])
        obj = own.where(own.notna(), obj)
    return obj.fillna(NOT_GIVEN)


def by_responsible(steps: pd.DataFrame, objectives: pd.DataFrame, source: str = "objective") -> pd.DataFrame:
    """Roll-up by responsible (see :func:`step_responsible`), the most delayed first."""
    df = dated_steps(steps)
    out = rollup(df.assign(responsible=step_responsible(df, objectives, source)), "responsible")
    out["_bad"] = out["late"] + out["overdue"]
    out = out.sort_values(["_bad", "steps"], ascending=False, kind="stable").drop(columns="_bad")
    return out.reset_index(drop=True)


def has_responsible(steps: pd.DataFrame, objectives: pd.DataFrame, source: str) -> bool:
    """Whether the sheet fills the responsible at that level (objective or step)."""
    col = objectives["responsible"] if source == "objective" else steps["responsible"]
    return bool(col.dropna().astype(str).str.strip().ne("").any())
