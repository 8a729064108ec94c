"""The metric rules of the workbook spec (rules 1–10, revision 3), each written once.

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

from domain.codes import natural_sorted
from domain.profile import (PLAN_SCORE_FROM_ACHIEVEMENT, SCORING_BANDS, SCORING_LINEAR)
from domain.status import (STATUS_ACHIEVED, STATUS_IN_PROGRESS, STATUS_NOT_ACHIEVED, STATUS_PARTIAL,
                           STATUS_POSTPONED)
from domain.text import find_dates, parse_number_it, strip_accents
from metrics.settings import BAND_GREEN, BAND_NONE, BAND_RED, BAND_YELLOW, DEFAULT, Settings


def default_achievements(profile: Settings = DEFAULT) -> dict[str, float]:
    """Raggiungimento implicito quando la cella è vuota (spec, «Value formats»), per il profilo:
    raggiunto 100, non raggiunto 0, in corso / rinviato / parziale secondo il profilo (predefinito 0)."""
    return {STATUS_ACHIEVED: 100.0, STATUS_NOT_ACHIEVED: 0.0, STATUS_IN_PROGRESS: profile.in_progress_value,
            STATUS_POSTPONED: profile.postponed_value, STATUS_PARTIAL: profile.partial_default}


#: Raggiungimento implicito del profilo predefinito (kept for callers).
DEFAULT_ACHIEVEMENT = default_achievements(DEFAULT)


def effective_weights(weights: pd.Series, groups: pd.Series) -> pd.Series:
    """Peso effettivo: the weight as given; a missing one takes the mean of its siblings
    (all missing → equal weights, 1 each)."""
    mean = weights.groupby(groups, dropna=False).transform("mean")
    return weights.fillna(mean).fillna(1.0)


def step_achievement(status: pd.Series, achievement: pd.Series, continuous: pd.Series | None = None,
                     profile: Settings = DEFAULT) -> pd.Series:
    """Raggiungimento dello step: the given % or, when empty, the default of its status for the profile
    (raggiunto 100, non raggiunto 0, in corso / rinviato / parziale per il profilo; no verification 0).
    A *continuativo* step verified ``in corso`` counts as the profile's «continuativo in corso»
    (default 100%: the recurring activity is being carried out)."""
    default = status.map(default_achievements(profile)).astype("float64")
    if continuous is not None:
        cont = continuous.astype(bool) & (status == STATUS_IN_PROGRESS)
        default = default.where(~cont, float(profile.continuous_in_progress))
    return achievement.astype("float64").fillna(default).fillna(0.0)


def year_weights(weight: pd.Series, objective: pd.Series, due_in_year: pd.Series,
                 neutralized: pd.Series) -> pd.Series:
    """Peso step/anno (rule 1): ``peso / Σ peso`` over the objective's non-neutralised
    steps due in the year, in percent; 0 for the others."""
    counted = due_in_year & ~neutralized
    w = weight.where(counted, 0.0)
    total = w.groupby(objective).transform("sum")
    return (w / total.replace(0.0, np.nan) * 100.0).fillna(0.0)


def status_at_verification(status: pd.Series, deadline: pd.Series, revised_deadline: pd.Series,
                           verified_on: pd.Series) -> pd.Series:
    """Stato alla data della verifica (spec revision 3, «Stato»): a step read as ``non raggiunto`` whose
    effective deadline (``Nuovo termine`` if given, else ``Termine``) is after the verification's date is
    ``in corso`` («non ancora scaduto»): *not yet*, not *failed*. From its deadline on it stays
    ``non raggiunto``. Verifications without a date, or steps without a deadline, keep their status."""
    eff = pd.to_datetime(revised_deadline).fillna(pd.to_datetime(deadline))
    ver = pd.to_datetime(verified_on)
    not_yet = (status == STATUS_NOT_ACHIEVED) & eff.notna() & ver.notna() & (eff > ver)
    return status.where(~not_yet, STATUS_IN_PROGRESS)


def step_due(deadline: pd.Series, revised_deadline: pd.Series, continuous: pd.Series, as_of: dt.date) -> pd.Series:
    """Step già dovuto alla data (rule 10): its effective deadline (``Nuovo termine`` if given, else
    ``Termine``) is on or before the as-of date; a *continuativo* step is always due. A dated step not yet
    due is *non ancora scaduto*: neither done nor failed."""
    eff = pd.to_datetime(revised_deadline).fillna(pd.to_datetime(deadline))
    return continuous.astype(bool) | (eff.notna() & (eff <= pd.Timestamp(as_of)))


def schedule_adherence(year_weight: pd.Series, achievement: pd.Series, due: pd.Series,
                       counted: pd.Series) -> float | None:
    """Rispetto del cronoprogramma (rule 10) of an objective at the as-of date:
    ``Σ peso_anno × raggiungimento_step / Σ peso_anno`` over its counted (non-neutralised, of the year)
    steps that are already due, *continuativi* included. None when nothing is due yet («nessuna
    scadenza ancora»: grey, never red)."""
    m = counted.astype(bool) & due.astype(bool)
    total = float(year_weight[m].sum())
    if not m.any() or total <= 0:
        return None
    return float((year_weight[m] * achievement[m]).sum() / total)


@dataclass(frozen=True)
class ObjectiveResult:
    achievement: float | None
    neutralized: bool
    evaluable: bool
    monitored: bool = True


def objective_achievement(year_weight: pd.Series, achievement: pd.Series, due_in_year: pd.Series,
                          neutralized: pd.Series, verified: pd.Series | None = None) -> ObjectiveResult:
    """Raggiungimento obiettivo (rule 2): ``Σ peso_anno × raggiungimento_step``.

    Neutralised steps leave numerator and denominator; all due steps neutralised →
    *neutralizzato*; no step due in the year → *non valutabile*. An objective none of whose
    steps has a verification up to the as-of date (``verified``) is *non monitorato*: null, never 0%.
    """
    monitored = True if verified is None else bool(verified.any())
    if not due_in_year.any():
        return ObjectiveResult(None, False, False, monitored)
    counted = due_in_year & ~neutralized
    if not counted.any():
        return ObjectiveResult(None, True, True, monitored)
    if not monitored:
        return ObjectiveResult(None, False, True, False)
    value = float((year_weight[counted] * achievement[counted]).sum() / 100.0)
    return ObjectiveResult(value, False, True, True)


def indicator_objective_achievement(indicator_achievements: pd.Series) -> float | None:
    """Raggiungimento di un obiettivo a soli indicatori (rule 2 with rule 6): the mean of its
    indicators' achievements; None (*in attesa di rilevazione*) while no indicator has a value."""
    v = indicator_achievements.dropna().astype(float)
    return float(v.mean()) if len(v) else None


def weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    """Raggiungimento del piano / di un gruppo (rule 3): mean of the objectives'
    achievement weighted by their normalised weight, over the evaluable ones."""
    mask = values.notna() & weights.notna()
    total = float(weights[mask].sum())
    if not mask.any() or total <= 0:
        return None
    return float((values[mask] * weights[mask]).sum() / total)


def points_total(weights: pd.Series, raw: pd.Series | None = None) -> int | None:
    """Pesi in punti (spec revision 3, «Value formats»): weights written as whole points summing to a round
    total other than 100 (CISSA's 10/10/8/7/7/8 «punti su 50») are the ente's format, not an error. Returns the
    total (50) or None: a weight with decimals, a ``%`` or a ``,`` in its text, or a total that is not a
    multiple of 10, is no points format."""
    w = weights.dropna().astype(float)
    if len(w) < 2 or (w < 0).any() or not all(float(x).is_integer() for x in w):
        return None
    if raw is not None and raw.dropna().astype(str).str.contains(r"[%,.]", regex=True).any():
        return None
    total = int(round(float(w.sum())))
    return total if total != 100 and total > 0 and total % 10 == 0 else None


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
                       "objectives": natural_sorted(set(g["objective_code"]))})
    s_df = pd.DataFrame(s_rows, columns=["code", "name", "area_code", "achievement", "objectives"])
    a_rows = []
    for _, a in areas.iterrows():
        s_codes = set(strategic.loc[strategic["area_code"] == a["code"], "code"])
        o_codes = set(links.loc[links["strategic_code"].isin(s_codes), "objective_code"])
        g = obj[obj.index.isin(o_codes)]
        a_rows.append({"code": a["code"], "name": a["name"],
                       "achievement": weighted_mean(g["achievement"], g["weight_eff"]),
                       "objectives": natural_sorted(o_codes)})
    return s_df, pd.DataFrame(a_rows, columns=["code", "name", "achievement", "objectives"])


def slippage(steps: pd.DataFrame, as_of: dt.date, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Slittamento (rule 5), per dated step. Adds:

    * ``slip_days`` = Data completamento − Termine (positive = late) for completed steps with a
      recorded completion date (exact value only); ``slip_revised_days`` against the Nuovo termine;
    * ``overdue_days`` = as-of − Termine for steps not completed past their deadline
      (*scaduto*), ``overdue_revised_days`` against the Nuovo termine (a step whose deadline is the as-of date
      itself is due, rule 10, but not yet overdue: :mod:`metrics.timing` calls it «termine raggiunto»);
    * for steps completed without a date, the bounds of the verification history (optional columns
      ``done_after`` = V0, the last verification that saw the step not completed, and ``done_by`` =
      V1, the first that saw it completed): V1 ≤ Termine → *in tempo*; V0 ≥ Termine → *in ritardo*
      by V0 − Termine … V1 − Termine; otherwise *da verificare* (late by 0 … V1 − Termine);
    * ``slip_min_days`` / ``slip_max_days``: the bounds of the delay (equal for an exact date; for a
      *scaduto* step the minimum is the days overdue so far) and ``slip_basis``: ``completion_date``,
      ``verifications`` or ``unknown`` (None where slippage does not apply: continuativo,
      neutralised, no deadline, not yet due);
    * ``timing``: ``in tempo`` / ``in ritardo`` / ``da verificare`` / ``scaduto`` / ``in scadenza``
      (not due yet) / ``n.d.`` (completed without any dated verification, continuativo, neutralised,
      no deadline).

    Needs ``deadline``, ``revised_deadline``, ``completed``, ``completed_on``, ``continuous``,
    ``neutralized``."""
    out = steps.copy()
    tol = settings.slip_tolerance_days
    as_of_ts = pd.Timestamp(as_of)
    deadline = pd.to_datetime(out["deadline"])
    revised = pd.to_datetime(out["revised_deadline"])
    completed_on = pd.to_datetime(out["completed_on"])
    v0 = pd.to_datetime(out["done_after"]) if "done_after" in out else pd.Series(pd.NaT, index=out.index)
    v1 = pd.to_datetime(out["done_by"]) if "done_by" in out else pd.Series(pd.NaT, index=out.index)
    dated = deadline.notna() & ~out["continuous"].astype(bool) & ~out["neutralized"].astype(bool)
    done = out["completed"].astype(bool)
    exact = dated & done & completed_on.notna()
    out["slip_days"] = ((completed_on - deadline).dt.days).where(exact)
    out["slip_revised_days"] = ((completed_on - revised).dt.days).where(exact)
    open_past = dated & ~done & (as_of_ts > deadline)
    out["overdue_days"] = ((as_of_ts - deadline).dt.days).where(open_past)
    out["overdue_revised_days"] = ((as_of_ts - revised).dt.days).where(open_past & revised.notna())
    bounded = dated & done & completed_on.isna() & v1.notna()
    lo = (v0 - deadline).dt.days.where(bounded & v0.notna())
    hi = (v1 - deadline).dt.days.where(bounded)
    on_time_b = bounded & (hi <= tol)
    late_b = bounded & ~on_time_b & lo.notna() & (lo >= tol)
    lo = lo.where(on_time_b | lo.isna() | (lo >= 0), 0)   # a possible delay starts at 0, never «ritardo minimo −30»
    timing = np.select(
        [~dated, exact & (out["slip_days"] > tol), exact, on_time_b, late_b, bounded, done,
         open_past, ~done],
        ["n.d.", "in ritardo", "in tempo", "in tempo", "in ritardo", "da verificare", "n.d.", "scaduto",
         "in scadenza"], default="n.d.")
    out["timing"] = timing
    out["slip_min_days"] = out["slip_days"].where(exact, lo.where(bounded, out["overdue_days"]))
    out["slip_max_days"] = out["slip_days"].where(exact, hi.where(bounded))
    has_verification = out["verified_on"].notna() if "verified_on" in out else pd.Series(False, index=out.index)
    applies = dated & (done | open_past)
    out["slip_basis"] = np.select(
        [~applies, exact, bounded, open_past & has_verification],
        [None, "completion_date", "verifications", "verifications"], default="unknown")
    out["slip_basis"] = out["slip_basis"].where(applies, None)
    for c in ("slip_days", "slip_revised_days", "overdue_days", "overdue_revised_days", "slip_min_days",
              "slip_max_days"):
        out[c] = out[c].astype("Int64")
    return out


def slippage_summary(steps: pd.DataFrame) -> dict:
    """Roll-up of rule 5: share of steps on time, late, overdue (each with how many rest on the
    verification bounds), steps *da verificare*; median and maximum delay (a bounded late step counts
    with its lower bound, the delay that is certain)."""
    judged = steps[steps["timing"].isin(["in tempo", "in ritardo", "scaduto"])]
    n = len(judged)
    basis = steps["slip_basis"] if "slip_basis" in steps else pd.Series(None, index=steps.index, dtype=object)
    late = steps["timing"] == "in ritardo"
    late_delay = steps["slip_days"] if "slip_min_days" not in steps else steps["slip_min_days"]
    delays = pd.concat([late_delay[late], steps.loc[steps["timing"] == "scaduto", "overdue_days"]]).dropna().astype(float)
    share = lambda t: (float((judged["timing"] == t).sum()) / n * 100.0) if n else None  # noqa: E731
    on_bounds = lambda t: int(((steps["timing"] == t) & (basis == "verifications")).sum())  # noqa: E731
    return {
        "judged": n,
        "on_time": int((judged["timing"] == "in tempo").sum()),
        "late": int((judged["timing"] == "in ritardo").sum()),
        "overdue": int((judged["timing"] == "scaduto").sum()),
        "on_time_pct": share("in tempo"), "late_pct": share("in ritardo"), "overdue_pct": share("scaduto"),
        "median_delay": float(delays.median()) if len(delays) else None,
        "max_delay": float(delays.max()) if len(delays) else None,
        "on_time_on_bounds": on_bounds("in tempo"), "late_on_bounds": on_bounds("in ritardo"),
        "to_verify": int((steps["timing"] == "da verificare").sum()),
        "basis_unknown": int((basis == "unknown").sum()),
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


#: Bands of the individual score (0–10) for the Relazione: (label, lower bound inclusive), best first.
EVALUATION_BANDS = (("10 (punteggio pieno)", 10.0), ("da 9 a meno di 10", 9.0), ("da 8 a meno di 9", 8.0),
                    ("da 6 a meno di 8", 6.0), ("meno di 6", float("-inf")))


def evaluation_distribution(people: pd.DataFrame) -> pd.DataFrame:
    """Distribuzione delle valutazioni individuali (Relazione, performance individuale): how many people
    have an overall score (rule 7, :func:`individual_scores`) in each band of :data:`EVALUATION_BANDS`, and
    their share of the people evaluated. Aggregated: no names. Columns ``band``, ``people``, ``share``
    (0–100; None when nobody is evaluated); a last row ``non valutati`` counts people without a score."""
    scores = pd.to_numeric(people["score"], errors="coerce") if len(people) else pd.Series(dtype="float64")
    graded = scores.dropna()
    rows, upper = [], float("inf")
    for label, low in EVALUATION_BANDS:
        n = int(((graded >= low) & (graded < upper)).sum()) if low < 10 else int((graded >= low).sum())
        rows.append({"band": label, "people": n, "share": 100.0 * n / len(graded) if len(graded) else None})
        upper = low
    rows.append({"band": "non valutati", "people": int(scores.isna().sum()), "share": None})
    return pd.DataFrame(rows, columns=["band", "people", "share"])


def band(value: float | None, settings: Settings = DEFAULT) -> str:
    """Fascia di colore: verde ≥ 90%, giallo ≥ 60%, rosso sotto (parametri in :class:`Settings`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return BAND_NONE
    if value >= settings.green_from:
        return BAND_GREEN
    if value >= settings.yellow_from:
        return BAND_YELLOW
    return BAND_RED


# ----------------------------------------------------------------------------- rule 8
def forecast_steps(steps: pd.DataFrame, as_of: dt.date, expected_rate: float) -> pd.DataFrame:
    """Previsione a fine anno per step (rule 8): columns ``fc_low``, ``fc_expected``, ``fc_high``.

    Completed and *continuativo* steps keep their achievement; a step past its deadline (and past its
    revised deadline, if any) keeps what it has (0 when nothing is given); an open step whose deadline
    (or revised deadline) is still ahead counts, for the *high* bound, 100%, for the *low* bound what
    it has (0), and for the *expected* value what it has plus ``expected_rate`` of the rest.
    Needs ``achievement``, ``completed``, ``continuous``, ``deadline``, ``revised_deadline``."""
    out = steps.copy()
    ach = out["achievement"].astype("float64").fillna(0.0)
    as_of_ts = pd.Timestamp(as_of)
    end = pd.to_datetime(out["revised_deadline"]).fillna(pd.to_datetime(out["deadline"]))
    open_ahead = ~out["completed"].astype(bool) & ~out["continuous"].astype(bool) & (end.isna() | (end > as_of_ts))
    out["fc_low"] = ach
    out["fc_high"] = ach.where(~open_ahead, 100.0)
    out["fc_expected"] = ach.where(~open_ahead, ach + (100.0 - ach) * expected_rate / 100.0)
    return out


def forecast_rate(steps_due: pd.DataFrame, as_of: dt.date, default_rate: float) -> tuple[float, str]:
    """Tasso atteso della previsione (rule 8): the plan's own rate so far, i.e. the share of the dated
    steps due by the as-of date that were completed by their deadline (*in tempo*; a bounded step
    *da verificare* counts one half); the profile's default when nothing is due yet.
    Returns (rate, Italian sentence)."""
    t = steps_due["timing"]
    due = steps_due[t.isin(["in tempo", "in ritardo", "scaduto", "da verificare"])]
    if due.empty:
        return float(default_rate), f"nessuno step ancora scaduto: tasso predefinito del profilo, {default_rate:g}%"
    on = float((due["timing"] == "in tempo").sum()) + 0.5 * float((due["timing"] == "da verificare").sum())
    rate = on / len(due) * 100.0
    return rate, (f"tasso di puntualità finora: {on:g} step in tempo su {len(due)} già scaduti; "
                  "uno step «da verificare» conta metà").replace(".", ",")


# ----------------------------------------------------------------------------- rule 9
def score(achievement: float | None, profile: Settings = DEFAULT) -> float | None:
    """Punteggio (rule 9) from achievement, per the profile's scoring function: ``grezzo`` (score =
    achievement), ``fasce`` (the points of the highest band whose threshold is reached), ``lineare con
    soglia`` (0 below the threshold, then linear from the threshold's points to 100 at 100%)."""
    if achievement is None or (isinstance(achievement, float) and math.isnan(achievement)):
        return None
    a = float(achievement)
    if profile.scoring == SCORING_BANDS:
        pts = 0.0
        for threshold, points in profile.score_bands:
            if a >= threshold - 1e-9:
                pts = float(points)
        return pts
    if profile.scoring == SCORING_LINEAR:
        t, p = float(profile.linear_threshold), float(profile.linear_threshold_points)
        if a < t - 1e-9:
            return 0.0
        if t >= 100.0:
            return 100.0
        return p + (min(a, 100.0) - t) / (100.0 - t) * (100.0 - p)
    return a


def plan_score(objective_scores: pd.Series, weights: pd.Series, plan_achievement: float | None,
               profile: Settings = DEFAULT) -> float | None:
    """Punteggio del piano (rule 9): the weighted mean of the objectives' scores (rule 3 applied to
    scores), or the score of the plan's achievement, as the profile says."""
    if profile.plan_score == PLAN_SCORE_FROM_ACHIEVEMENT:
        return score(plan_achievement, profile)
    return weighted_mean(objective_scores.astype("float64"), weights)
