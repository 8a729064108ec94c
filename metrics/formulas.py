"""The metric rules of the workbook spec (rules 1–7), each written once.

Pure functions on pandas objects: no database, no Streamlit. Every value is on the
0–100 scale and unrounded; rounding happens only for display (:mod:`metrics.fmt`).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.parsing import (STATUS_ACHIEVED, STATUS_IN_PROGRESS, STATUS_NEUTRALIZED, STATUS_NOT_ACHIEVED,
                             STATUS_PARTIAL, STATUS_POSTPONED, find_dates, parse_number_it, strip_accents)
from metrics.settings import BAND_GREEN, BAND_NONE, BAND_RED, BAND_YELLOW, DEFAULT, Settings

#: Raggiungimento implicito quando la cella è vuota (spec, «Value formats»). Parziale: 0 finché non indicato.
DEFAULT_ACHIEVEMENT = {
    STATUS_ACHIEVED: 100.0,
    STATUS_NOT_ACHIEVED: 0.0,
    STATUS_IN_PROGRESS: 0.0,
    STATUS_POSTPONED: 0.0,
    STATUS_PARTIAL: 0.0,
}


def effective_weights(weights: pd.Series, groups: pd.Series) -> pd.Series:
    """Peso effettivo: the weight as given; a missing one takes the mean of its siblings
    (all missing → equal weights, 1 each)."""
    mean = weights.groupby(groups, dropna=False).transform("mean")
    return weights.fillna(mean).fillna(1.0)


def step_achievement(status: pd.Series, achievement: pd.Series) -> pd.Series:
    """Raggiungimento dello step: the given % or, when empty, the default of its status
    (raggiunto 100, non raggiunto / in corso / rinviato / parziale 0; no verification 0)."""
    default = status.map(DEFAULT_ACHIEVEMENT).astype("float64")
    return achievement.astype("float64").fillna(default).fillna(0.0)


def year_weights(weight: pd.Series, objective: pd.Series, due_in_year: pd.Series,
                 neutralized: pd.Series) -> pd.Series:
    """Peso step/anno (rule 1): ``peso / Σ peso`` over the objective's non-neutralised
    steps due in the year, in percent; 0 for the others."""
    counted = due_in_year & ~neutralized
    w = weight.where(counted, 0.0)
    total = w.groupby(objective).transform("sum")
    return (w / total.replace(0.0, np.nan) * 100.0).fillna(0.0)


@dataclass(frozen=True)
class ObjectiveResult:
    achievement: float | None
    neutralized: bool
    evaluable: bool


def objective_achievement(year_weight: pd.Series, achievement: pd.Series, due_in_year: pd.Series,
                          neutralized: pd.Series) -> ObjectiveResult:
    """Raggiungimento obiettivo (rule 2): ``Σ peso_anno × raggiungimento_step``.

    Neutralised steps leave numerator and denominator; all due steps neutralised →
    *neutralizzato*; no step due in the year → *non valutabile*.
    """
    if not due_in_year.any():
        return ObjectiveResult(None, False, False)
    counted = due_in_year & ~neutralized
    if not counted.any():
        return ObjectiveResult(None, True, True)
    value = float((year_weight[counted] * achievement[counted]).sum() / 100.0)
    return ObjectiveResult(value, False, True)


def weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    """Raggiungimento del piano / di un gruppo (rule 3): mean of the objectives'
    achievement weighted by their normalised weight, over the evaluable ones."""
    mask = values.notna() & weights.notna()
    total = float(weights[mask].sum())
    if not mask.any() or total <= 0:
        return None
    return float((values[mask] * weights[mask]).sum() / total)


def normalised_weights(weights: pd.Series) -> pd.Series:
    """Peso normalizzato: each weight over the sum, in percent."""
    total = float(weights.sum())
    return weights * 0 if total <= 0 else weights / total * 100.0


def group_achievement(objectives: pd.DataFrame, by: str) -> pd.DataFrame:
    """Raggiungimento per gruppo (tipo, area, Missione/Programma, Responsabile, valore pubblico).

    ``objectives`` needs ``achievement`` and ``weight_eff`` and the ``by`` column."""
    rows = []
    for key, g in objectives.groupby(objectives[by].fillna("(non indicato)"), sort=True):
        rows.append({by: key, "achievement": weighted_mean(g["achievement"], g["weight_eff"]),
                     "objectives": len(g), "weight": float(g["weight_eff"].sum())})
    return pd.DataFrame(rows, columns=[by, "achievement", "objectives", "weight"])


def cascade(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame,
            areas: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cascata strategica (rule 4). An objective linked to several strategic objectives
    counts fully in each; a strategic objective's achievement is the weighted mean of its
    objectives; an area's is the weighted mean over the *distinct* objectives linked to
    its strategic objectives. Returns (strategic, areas) frames with ``achievement``."""
    obj = objectives.set_index("code")[["achievement", "weight_eff"]]
    lk = links.join(obj, on="objective_code", how="inner")
    s_rows = []
    for _, s in strategic.iterrows():
        g = lk[lk["strategic_code"] == s["code"]]
        s_rows.append({"code": s["code"], "name": s["name"], "area_code": s.get("area_code"),
                       "achievement": weighted_mean(g["achievement"], g["weight_eff"]),
                       "objectives": sorted(set(g["objective_code"]))})
    s_df = pd.DataFrame(s_rows, columns=["code", "name", "area_code", "achievement", "objectives"])
    a_rows = []
    for _, a in areas.iterrows():
        s_codes = set(strategic.loc[strategic["area_code"] == a["code"], "code"])
        o_codes = set(links.loc[links["strategic_code"].isin(s_codes), "objective_code"])
        g = obj[obj.index.isin(o_codes)]
        a_rows.append({"code": a["code"], "name": a["name"],
                       "achievement": weighted_mean(g["achievement"], g["weight_eff"]),
                       "objectives": sorted(o_codes)})
    return s_df, pd.DataFrame(a_rows, columns=["code", "name", "achievement", "objectives"])


def slippage(steps: pd.DataFrame, as_of: dt.date, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Slittamento (rule 5), per dated step. Adds:

    * ``slip_days`` = Data completamento − Termine (positive = late) for completed steps;
      ``slip_revised_days`` against the Nuovo termine when there is one;
    * ``overdue_days`` = as-of − Termine for steps not completed past their deadline
      (*scaduto*), ``overdue_revised_days`` against the Nuovo termine;
    * ``timing``: ``in tempo`` / ``in ritardo`` / ``scaduto`` / ``in scadenza`` (not due yet) /
      ``n.d.`` (completed without a date, continuativo, neutralised, no deadline).

    Needs ``deadline``, ``revised_deadline``, ``completed``, ``completed_on``, ``continuous``,
    ``neutralized``."""
    out = steps.copy()
    tol = settings.slip_tolerance_days
    as_of_ts = pd.Timestamp(as_of)
    deadline = pd.to_datetime(out["deadline"])
    revised = pd.to_datetime(out["revised_deadline"])
    completed_on = pd.to_datetime(out["completed_on"])
    dated = deadline.notna() & ~out["continuous"].astype(bool) & ~out["neutralized"].astype(bool)
    done = out["completed"].astype(bool)
    out["slip_days"] = ((completed_on - deadline).dt.days).where(dated & done & completed_on.notna())
    out["slip_revised_days"] = ((completed_on - revised).dt.days).where(dated & done & completed_on.notna())
    open_past = dated & ~done & (as_of_ts > deadline)
    out["overdue_days"] = ((as_of_ts - deadline).dt.days).where(open_past)
    out["overdue_revised_days"] = ((as_of_ts - revised).dt.days).where(open_past & revised.notna())
    timing = np.select(
        [~dated, done & completed_on.isna(), done & (out["slip_days"] > tol), done, open_past & (out["overdue_days"] > tol),
         ~done],
        ["n.d.", "n.d.", "in ritardo", "in tempo", "scaduto", "in scadenza"], default="n.d.")
    out["timing"] = timing
    for c in ("slip_days", "slip_revised_days", "overdue_days", "overdue_revised_days"):
        out[c] = out[c].astype("Int64")
    return out


def slippage_summary(steps: pd.DataFrame) -> dict:
    """Roll-up of rule 5: share of steps on time, late, overdue; median and maximum delay."""
    judged = steps[steps["timing"].isin(["in tempo", "in ritardo", "scaduto"])]
    n = len(judged)
    delays = pd.concat([steps.loc[steps["timing"] == "in ritardo", "slip_days"],
                        steps.loc[steps["timing"] == "scaduto", "overdue_days"]]).dropna().astype(float)
    share = lambda t: (float((judged["timing"] == t).sum()) / n * 100.0) if n else None  # noqa: E731
    return {
        "judged": n,
        "on_time": int((judged["timing"] == "in tempo").sum()),
        "late": int((judged["timing"] == "in ritardo").sum()),
        "overdue": int((judged["timing"] == "scaduto").sum()),
        "on_time_pct": share("in tempo"), "late_pct": share("in ritardo"), "overdue_pct": share("scaduto"),
        "median_delay": float(delays.median()) if len(delays) else None,
        "max_delay": float(delays.max()) if len(delays) else None,
    }


def points_at_risk(year_weight: pd.Series, objective_weight_pct: pd.Series, achievement: pd.Series) -> pd.Series:
    """Punti a rischio: how many plan points a step costs,
    ``peso_anno × peso obiettivo × (100 − raggiungimento)`` (in plan percentage points)."""
    return year_weight / 100.0 * objective_weight_pct / 100.0 * (100.0 - achievement)


# ----------------------------------------------------------------------------- rule 6
@dataclass(frozen=True)
class IndicatorResult:
    achievement: float | None   # 0–100
    target: float | None
    direction: str | None       # "crescente" | "decrescente" | "scadenza"
    reason: str | None          # why non valutabile


_NUM = r"([+-]?\d+(?:[.,]\d+)*)"
_GE = re.compile(rf"^(?:≥|>=|>|almeno|non inferiore a|minimo)\s*{_NUM}\s*%?", re.I)
_LE = re.compile(rf"^(?:≤|<=|<|al massimo|non superiore a|massimo|entro)\s*{_NUM}\s*%?(?!\s*/)", re.I)
_PLUS = re.compile(rf"^\+\s*{_NUM}\s*%?$")
_MINUS = re.compile(rf"^-\s*{_NUM}\s*%?$")
_PLAIN = re.compile(rf"^{_NUM}\s*%?$")


def _text(x: object) -> str | None:
    """Missing values of any kind (None, NaN, pd.NA) → None; everything else → str."""
    return None if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else str(x)


def _num(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.search(_NUM, str(text).replace("\u00a0", " "))
    return parse_number_it(m.group(1)) if m else None


def indicator_number(text: object) -> float | None:
    """Numero letto da una cella di indicatore (valore, baseline: «57%», «1.234,5 ore»), come lo
    legge la regola 6; None quando la cella non contiene un numero."""
    return _num(_text(text))


def _lower_is_better(direction: str | None) -> bool:
    d = strip_accents(direction or "").lower()
    return any(k in d for k in ("decresc", "diminu", "ridu", "minore", "basso", "lower", "meno"))


def _higher(value: float, target: float) -> float:
    if target == 0:
        return 100.0 if value >= 0 else 0.0
    return max(0.0, min(value / target, 1.0)) * 100.0


def _lower(value: float, target: float) -> float:
    if target == 0:
        return 100.0 if value == 0 else 0.0
    return 100.0 if value <= target else max(0.0, target / value) * 100.0


def indicator_achievement(target_raw: str | None, value_raw: str | None, baseline_raw: str | None = None,
                          direction: str | None = None) -> IndicatorResult:
    """Raggiungimento indicatore (rule 6) from target and value.

    ``≥ X`` → ``min(valore / X, 1)``; ``≤ X`` → 1 if ``valore ≤ X`` else ``X / valore``;
    ``+N`` → target = baseline + N; ``Entro il DATE`` → 1 if done by then; ``mantenimento`` →
    target = baseline; a plain number → higher is better unless ``Direzione`` says otherwise."""
    target_raw, value_raw, baseline_raw, direction = (_text(x) for x in (target_raw, value_raw, baseline_raw, direction))
    t = (target_raw or "").strip()
    if not t:
        return IndicatorResult(None, None, None, "target non indicato")
    low = strip_accents(t).lower()
    baseline = _num(baseline_raw)
    lower_dir = _lower_is_better(direction)
    target: float | None = None
    mode: str | None = None
    if (re.match(r"^(entro|al|il)\b", low) or re.fullmatch(r"[\d/.\-]+", t)) and find_dates(t):
        hits = find_dates(t)
        due = hits[0].date
        if value_raw is None or not str(value_raw).strip():
            return IndicatorResult(None, None, "scadenza", "valore non rilevato")
        done = find_dates(str(value_raw))
        if not done or done[0].date is None:
            v = strip_accents(str(value_raw)).lower()
            if v in ("si", "sì", "fatto", "realizzato", "1"):
                return IndicatorResult(None, None, "scadenza", "indicata la realizzazione ma non la data")
            return IndicatorResult(None, None, "scadenza", f"valore «{value_raw}» non è una data")
        return IndicatorResult(100.0 if due and done[0].date <= due else 0.0, None, "scadenza", None)
    if "manteniment" in low:
        if baseline is None:
            return IndicatorResult(None, None, None, "mantenimento senza baseline")
        target, mode = baseline, ("decrescente" if lower_dir else "crescente")
    elif m := _GE.match(t):
        target, mode = parse_number_it(m.group(1)), "crescente"
    elif m := _LE.match(t):
        target, mode = parse_number_it(m.group(1)), "decrescente"
    elif m := _PLUS.match(t):
        if baseline is None:
            return IndicatorResult(None, None, None, "target «+N» senza baseline")
        target, mode = baseline + parse_number_it(m.group(1)), "crescente"
    elif m := _MINUS.match(t):
        if baseline is None:
            return IndicatorResult(None, None, None, "target «−N» senza baseline")
        target, mode = baseline - parse_number_it(m.group(1)), "decrescente"
    elif m := _PLAIN.match(t):
        target, mode = parse_number_it(m.group(1)), ("decrescente" if lower_dir else "crescente")
    else:
        return IndicatorResult(None, None, None, f"target «{t}» non interpretabile")
    if target is None:
        return IndicatorResult(None, None, None, f"target «{t}» non interpretabile")
    value = _num(value_raw)
    if value is None:
        return IndicatorResult(None, target, mode, "valore non rilevato")
    ach = _higher(value, target) if mode == "crescente" else _lower(value, target)
    return IndicatorResult(ach, target, mode, None)


# ----------------------------------------------------------------------------- rule 7
def individual_scores(staff: pd.DataFrame) -> pd.DataFrame:
    """Performance individuale (rule 7): per person, ``Σ partecipazione × valutazione /
    Σ partecipazione`` (0–10). Missing participation counts as 100%; rows without a grade
    are left out of the score."""
    df = staff.copy()
    df["participation"] = df["participation"].astype("float64").fillna(100.0)
    graded = df[df["grade"].notna()]
    rows = []
    for name, g in df.groupby("name", sort=True):
        gg = graded[graded["name"] == name]
        total = float(gg["participation"].sum())
        score = float((gg["participation"] * gg["grade"]).sum() / total) if total > 0 else None
        rows.append({"name": name, "role": g["role"].dropna().iloc[0] if g["role"].notna().any() else None,
                     "objectives": len(g), "participation_total": float(g["participation"].sum()),
                     "score": score})
    return pd.DataFrame(rows, columns=["name", "role", "objectives", "participation_total", "score"])


def band(value: float | None, settings: Settings = DEFAULT) -> str:
    """Fascia di colore: verde ≥ 90%, giallo ≥ 60%, rosso sotto (parametri in :class:`Settings`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return BAND_NONE
    if value >= settings.green_from:
        return BAND_GREEN
    if value >= settings.yellow_from:
        return BAND_YELLOW
    return BAND_RED
