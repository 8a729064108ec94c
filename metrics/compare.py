"""Confronto: two results of :func:`metrics.engine.plan_metrics` side by side — two
monitoring dates of one version (``as_of=``) or two versions of the plan (``import_id=``).

Pure pandas on two :class:`~metrics.engine.PlanMetrics`: no database, no Streamlit.
Columns ending in ``_before`` come from the first result, ``_after`` from the second.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.engine import PlanMetrics

STEP_KEY = ["objective_code", "code"]
ADDED, REMOVED = "aggiunto", "rimosso"

#: Counts compared, in display order (keys of ``PlanMetrics.counts``).
COUNT_KEYS = ["objectives_evaluable", "steps_due", "completed", "late", "overdue", "neutralized", "verifications"]


@dataclass
class Comparison:
    achievement_before: float | None
    achievement_after: float | None
    achievement_delta: float | None
    objectives: pd.DataFrame        # one row per objective in either result
    counts: pd.DataFrame            # key, before, after, delta
    status_changes: pd.DataFrame    # steps in both whose status or achievement changed
    deadline_changes: pd.DataFrame  # steps in both whose deadline or revised deadline changed (rimodulazioni)
    steps_added: pd.DataFrame
    steps_removed: pd.DataFrame


def _delta(after: float | None, before: float | None) -> float | None:
    if after is None or before is None or pd.isna(after) or pd.isna(before):
        return None
    return float(after) - float(before)


def _differs(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise «different», where two missing values are equal."""
    both_missing = a.isna() & b.isna()
    return ~both_missing & (a.isna() | b.isna() | (a != b))


def objective_deltas(before: PlanMetrics, after: PlanMetrics) -> pd.DataFrame:
    """Raggiungimento of every objective in the two results and its change (``delta``, in
    percentage points; None when either side is not evaluable). ``change`` says whether the
    objective was added or removed between the two (versions only). Order: the second
    result's, then the removed objectives."""
    cols = ["code", "title", "weight_pct", "achievement", "status", "band"]
    b = before.objectives[cols].rename(columns={c: f"{c}_before" for c in cols[1:]})
    a = after.objectives[cols].rename(columns={c: f"{c}_after" for c in cols[1:]})
    df = a.merge(b, on="code", how="outer", sort=False, indicator=True)
    order = {c: i for i, c in enumerate(list(a["code"]) + [c for c in b["code"] if c not in set(a["code"])])}
    df = df.sort_values("code", key=lambda s: s.map(order)).reset_index(drop=True)
    df["title"] = df["title_after"].where(df["title_after"].notna(), df["title_before"])
    df["change"] = df["_merge"].map({"left_only": ADDED, "right_only": REMOVED, "both": None}).astype(object)
    df["delta"] = (df["achievement_after"] - df["achievement_before"]).astype("float64")
    return df[["code", "title", "achievement_before", "achievement_after", "delta", "status_before", "status_after",
               "band_before", "band_after", "weight_pct_before", "weight_pct_after", "change"]]


def count_deltas(before: PlanMetrics, after: PlanMetrics, keys: list[str] = COUNT_KEYS) -> pd.DataFrame:
    """The counts of the two results (objectives evaluable, steps due, completed, …) and their change."""
    rows = [{"key": k, "before": before.counts.get(k), "after": after.counts.get(k)} for k in keys]
    df = pd.DataFrame(rows, columns=["key", "before", "after"])
    df["delta"] = df["after"] - df["before"]
    return df


def _steps_pair(before: PlanMetrics, after: PlanMetrics) -> pd.DataFrame:
    cols = ["description", "status", "status_raw", "achievement", "verified_on", "deadline", "revised_deadline",
            "deadline_raw", "completed_on", "timing", "note"]
    b = before.steps[STEP_KEY + cols].rename(columns={c: f"{c}_before" for c in cols})
    a = after.steps[STEP_KEY + cols].rename(columns={c: f"{c}_after" for c in cols})
    df = a.merge(b, on=STEP_KEY, how="inner", sort=False)
    df["description"] = df["description_after"]
    return df


def step_status_changes(before: PlanMetrics, after: PlanMetrics) -> pd.DataFrame:
    """Steps present in both whose normalised status or achievement changed; ``status_changed``
    tells the two apart, ``delta`` is the change of the step's achievement (points)."""
    df = _steps_pair(before, after)
    status_changed = df["status_before"] != df["status_after"]
    ach_changed = (df["achievement_after"] - df["achievement_before"]).abs() > 1e-9
    df = df[status_changed | ach_changed].copy()
    df["status_changed"] = status_changed[df.index]
    df["delta"] = (df["achievement_after"] - df["achievement_before"]).astype("float64")
    return df[STEP_KEY + ["description", "status_before", "status_after", "status_raw_before", "status_raw_after",
                          "achievement_before", "achievement_after", "delta", "status_changed", "verified_on_before",
                          "verified_on_after", "completed_on_after", "note_after"]].reset_index(drop=True)


def deadline_changes(before: PlanMetrics, after: PlanMetrics) -> pd.DataFrame:
    """Rimodulazioni: steps present in both whose ``Termine`` or ``Nuovo termine`` differs.
    ``shift_days`` = effective deadline after − before (the revised one when given), positive
    when the deadline moved later."""
    df = _steps_pair(before, after)
    d_b, d_a = pd.to_datetime(df["deadline_before"]), pd.to_datetime(df["deadline_after"])
    r_b, r_a = pd.to_datetime(df["revised_deadline_before"]), pd.to_datetime(df["revised_deadline_after"])
    moved = _differs(d_b, d_a) | _differs(r_b, r_a)
    eff_b, eff_a = r_b.fillna(d_b), r_a.fillna(d_a)
    df["shift_days"] = (eff_a - eff_b).dt.days.astype("Int64")
    df = df[moved]
    return df[STEP_KEY + ["description", "deadline_before", "revised_deadline_before", "deadline_after",
                          "revised_deadline_after", "shift_days", "deadline_raw_before", "deadline_raw_after",
                          "status_after"]].reset_index(drop=True)


def _anti(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    keys = pd.MultiIndex.from_frame(right[STEP_KEY])
    mask = ~pd.MultiIndex.from_frame(left[STEP_KEY]).isin(keys)
    return left.loc[mask, STEP_KEY + ["description", "deadline", "deadline_raw", "weight"]].reset_index(drop=True)


def compare(before: PlanMetrics, after: PlanMetrics) -> Comparison:
    """Everything the «Confronto» page shows, from two results of ``plan_metrics``."""
    return Comparison(
        achievement_before=before.achievement,
        achievement_after=after.achievement,
        achievement_delta=_delta(after.achievement, before.achievement),
        objectives=objective_deltas(before, after),
        counts=count_deltas(before, after),
        status_changes=step_status_changes(before, after),
        deadline_changes=deadline_changes(before, after),
        steps_added=_anti(after.steps, before.steps),
        steps_removed=_anti(before.steps, after.steps),
    )
