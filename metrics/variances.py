"""Registro degli scostamenti (issue 16, item 1): the variance register of a plan-year, its edits, and the
figures *lordo* (as measured) and *netto* (after the decided treatments).

At the year-end verification every objective, step and indicator below 100%, late or overdue gets a row
(:func:`register`). Each row carries planned vs actual, the variance (absolute and in %), the cause family
(DFP Linee guida 2/2017: *esogena*, *endogena*, *indicatore o target non adeguato*), *imputabile*, a
description and evidence, the proposed treatment (*nessuno*, *neutralizzazione*, *ripesatura* with the new
weight) and the decision (organ, act, date). A treatment changes the figures **only once its act is recorded**
(:func:`net_figures`). Neutralisations that the workbook declares (spec rule 4) are already in the gross figures.

Roles are checked here, in the data layer: the referente (and above) proposes, the direttore (or the
amministratore) records the decision; every edit inserts a new row and an «scostamento» event in the Registro;
edits are refused once the year has left «in lavorazione» (:mod:`metrics.closing`).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from metrics import engine
from metrics import formulas as F
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_pct
from metrics.netto import indicator_key, net_figures  # noqa: F401 (part of this module's contract)
from store import audit
from store import closing as cs
from store.access import DECIDE, PROPOSE, Principal, require_plan

LEVELS = ("obiettivo", "step", "indicatore")
#: cause family key → Italian label (DFP Linee guida 2/2017)
CAUSES = {"esogena": "esogena", "endogena": "endogena", "indicatore": "indicatore o target non adeguato"}
IMPUTABILE = ("sì", "no", "in parte")
TREATMENTS = ("nessuno", "neutralizzazione", "ripesatura")

#: the columns of :func:`register` (a stable contract for the Relazione and the documento di validazione)
REGISTER_COLUMNS = ["level", "objective_code", "step_code", "indicator", "label", "planned", "actual",
                    "variance_abs", "variance_pct", "late", "overdue", "cause", "imputabile", "description",
                    "evidence", "treatment", "new_weight", "decision_organ", "decision_act", "decision_date",
                    "decided", "proposed_by", "decided_by", "in_scope"]


class VarianceError(ValueError):
    """A refused register edit; ``str()`` is the Italian message to show."""


def year_end(year: int) -> dt.date:
    return dt.date(int(year), 12, 31)


# ----------------------------------------------------------------------------- the rows
def candidates(pm: PlanMetrics) -> pd.DataFrame:
    """The rows the register must have at ``pm``'s date: objectives and indicators below 100%, steps of the year
    below 100%, late or overdue (neutralised ones excluded). Planned and actual are on the 0–100 scale (for
    indicators: the target and the measured value, in the indicator's unit)."""
    rows = []
    for o in pm.objectives.itertuples():
        a = o.achievement
        if pd.notna(a) and a < 100.0 - 1e-9:
            rows.append(dict(level="obiettivo", objective_code=str(o.code), step_code="", indicator="",
                             label=str(o.title), planned=100.0, actual=float(a), late=int(o.late),
                             overdue=int(o.overdue)))
    s = pm.steps
    if len(s):
        due = s[s["due_in_year"] & ~s["excluded"]]
        for r in due.itertuples():
            a = r.achievement
            late, overdue = r.timing == "in ritardo", r.timing == "scaduto"
            if (pd.notna(a) and a < 100.0 - 1e-9) or late or overdue:
                rows.append(dict(level="step", objective_code=str(r.objective_code), step_code=str(r.code),
                                 indicator="", label=str(r.description), planned=100.0,
                                 actual=None if pd.isna(a) else float(a), late=int(late), overdue=int(overdue)))
    ind = pm.indicators
    if len(ind) and "achievement" in ind:
        for r in ind.itertuples():
            if pd.notna(r.achievement) and r.achievement < 100.0 - 1e-9:
                rows.append(dict(level="indicatore", objective_code=str(r.objective_code), step_code="",
                                 indicator=indicator_key(r), label=str(r.name),
                                 planned=_num(r.target_value), actual=F.indicator_number(r.value_raw),
                                 late=0, overdue=0))
    out = pd.DataFrame(rows, columns=["level", "objective_code", "step_code", "indicator", "label", "planned",
                                      "actual", "late", "overdue"])
    out["planned"] = out["planned"].astype("float64")
    out["actual"] = out["actual"].astype("float64")
    out["variance_abs"] = out["actual"] - out["planned"]
    out["variance_pct"] = (out["variance_abs"] / out["planned"].where(out["planned"] != 0) * 100.0)
    return out


def _num(x) -> float | None:
    try:
        return None if x is None or pd.isna(x) else float(x)
    except (TypeError, ValueError):
        return None


def register(db, plan_id: int, year: int, as_of: dt.date | None = None) -> pd.DataFrame:
    """Il registro degli scostamenti of a plan-year (default: the year-end, 31/12): one row per objective, step or
    indicator in it, columns :data:`REGISTER_COLUMNS`. ``decided`` is True once the act is recorded; ``in_scope``
    False for a stored row whose item is no longer below target (kept: it may carry a decided re-weighting)."""
    pm = engine.plan_metrics(db, int(plan_id), year=int(year), as_of=as_of or year_end(year))
    return register_for(pm, cs.variance_entries(db, plan_id, year))


def register_for(pm: PlanMetrics, entries: pd.DataFrame) -> pd.DataFrame:
    cand = candidates(pm).assign(in_scope=True)
    key = list(cs.KEY)
    stored = entries[key + list(cs.VARIANCE_FIELDS)] if len(entries) else pd.DataFrame(
        columns=key + list(cs.VARIANCE_FIELDS))
    out = cand.merge(stored, how="outer", on=key, sort=False)
    out["in_scope"] = out["in_scope"].astype("boolean").fillna(False).astype(bool)
    out["treatment"] = out["treatment"].fillna("nessuno")
    out["decided"] = out["decision_act"].map(lambda x: isinstance(x, str) and bool(x.strip()))
    for c in ("late", "overdue"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype(int)
    labels = _labels(pm)
    out["label"] = [l if isinstance(l, str) else labels.get((lv, o, s, i), "")
                    for l, lv, o, s, i in zip(out["label"], out["level"], out["objective_code"], out["step_code"],
                                              out["indicator"])]
    order = {c: i for i, c in enumerate(pm.objectives["code"].astype(str))}
    out["_o"] = out["objective_code"].map(order).fillna(len(order))
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_o", "_l", "step_code", "indicator"], kind="stable").drop(columns=["_o", "_l"])
    return out[REGISTER_COLUMNS].reset_index(drop=True)


def _labels(pm: PlanMetrics) -> dict:
    d = {("obiettivo", str(o.code), "", ""): str(o.title) for o in pm.objectives.itertuples()}
    d.update({("step", str(s.objective_code), str(s.code), ""): str(s.description) for s in pm.steps.itertuples()})
    d.update({("indicatore", str(r.objective_code), "", indicator_key(r)): str(r.name)
              for r in pm.indicators.itertuples()})
    return d


# ----------------------------------------------------------------------------- lordo / netto
def plan_net_figures(db, pm: PlanMetrics) -> dict:
    """:func:`net_figures` of ``pm`` with the stored register of its plan-year."""
    return net_figures(pm, cs.variance_entries(db, pm.ctx.plan_id, pm.ctx.year))


# ----------------------------------------------------------------------------- edits (guarded)
_ACT = re.compile(r"n\.?\s*([\w/.-]+)", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_act(act: str) -> tuple[str | None, dt.date | None]:
    """«Delibera CdA n. 5 del 10/03/2024» → ("5", date(2024, 3, 10)); parts not found are None."""
    num = _ACT.search(act or "")
    d = _DATE.search(act or "")
    date = None
    if d:
        try:
            date = dt.date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
        except ValueError:
            date = None
    return (num.group(1) if num else None), date


def _key(level: str, objective: str, step: str | None = None, indicator: str | None = None) -> tuple:
    if level not in LEVELS:
        raise VarianceError(f"Livello «{level}» sconosciuto: usare obiettivo, step o indicatore.")
    return (level, str(objective), str(step or ""), str(indicator or ""))


def _check_open(db, plan_id: int, year: int) -> None:
    st = cs.current_state(db, plan_id, year)
    if st != cs.IN_PROGRESS:
        raise VarianceError(f"Il registro degli scostamenti del {year} è chiuso (stato: {st}): per modificarlo "
                            "l'amministratore deve prima riaprire l'anno.")


def _current(db, plan_id: int, year: int, key: tuple) -> dict:
    e = cs.variance_entries(db, plan_id, year)
    if len(e):
        m = (e["level"] == key[0]) & (e["objective_code"] == key[1]) & (e["step_code"] == key[2]) & \
            (e["indicator"] == key[3])
        if m.any():
            return {f: (None if pd.isna(v) else v) for f, v in e[m].iloc[-1][list(cs.VARIANCE_FIELDS)].items()}
    return {}


def propose(principal: Principal, db, plan_id: int, year: int, level: str, objective: str, *, step: str = "",
            indicator: str = "", cause: str | None = None, imputabile: str | None = None,
            description: str | None = None, evidence: str | None = None, treatment: str = "nessuno",
            new_weight: float | None = None, source: str = "pagina") -> int:
    """The referente's proposal for one row (cause, imputabile, description, evidence, treatment): a new row of
    ``variance_entries``; a recorded decision of that row is kept only if the treatment is unchanged."""
    principal.require(PROPOSE)
    pid = require_plan(db, principal, plan_id)
    key = _key(level, objective, step, indicator)
    if cause is not None and cause not in CAUSES:
        raise VarianceError("Causa non valida: usare esogena, endogena o indicatore (indicatore o target non "
                            "adeguato).")
    if imputabile is not None and imputabile not in IMPUTABILE:
        raise VarianceError("«Imputabile» non valido: usare sì, no o in parte.")
    if treatment not in TREATMENTS:
        raise VarianceError("Trattamento non valido: usare nessuno, neutralizzazione o ripesatura.")
    if treatment == "ripesatura" and (new_weight is None or float(new_weight) < 0):
        raise VarianceError("Per una ripesatura indicare il nuovo peso (un numero non negativo).")
    _check_open(db, pid, year)
    values = _current(db, pid, year, key)
    if values.get("treatment") != treatment or values.get("new_weight") != new_weight:
        for f in ("decision_organ", "decision_act", "decision_date", "decided_by"):
            values[f] = None      # a new treatment needs its own decision
    values.update(cause=cause, imputabile=imputabile, description=description, evidence=evidence,
                  treatment=treatment, new_weight=None if new_weight is None else float(new_weight),
                  proposed_by=principal.name)
    with db.transaction() as cur:
        entry = cs.insert_variance(cur, pid, year, key, values, source, principal.name)
        audit.record(cur, principal.name, "scostamento", plan_id=pid,
                     detail=f"proposta, anno {year}, {_what(key)}: causa {CAUSES.get(cause or '', '—')}, "
                            f"trattamento {treatment}")
    return entry


def decide(principal: Principal, db, plan_id: int, year: int, level: str, objective: str, *, step: str = "",
           indicator: str = "", act: str, organ: str = "Consiglio di Amministrazione",
           date: dt.date | None = None) -> int:
    """The direttore records the decision of the organo di indirizzo on a proposed treatment (act required):
    from now on the treatment changes the *netto* figures."""
    principal.require(DECIDE)
    pid = require_plan(db, principal, plan_id)
    key = _key(level, objective, step, indicator)
    if not (act or "").strip():
        raise VarianceError("Indicare l'atto che decide il trattamento (es. «Delibera CdA n. 5 del 10/03/2024»).")
    _check_open(db, pid, year)
    values = _current(db, pid, year, key)
    if not values:
        raise VarianceError(f"Nessuna proposta per {_what(key)}: il referente deve prima indicarne la causa.")
    values.update(decision_organ=organ, decision_act=act.strip(), decision_date=date or parse_act(act)[1],
                  decided_by=principal.name)
    with db.transaction() as cur:
        entry = cs.insert_variance(cur, pid, year, key, values, "pagina", principal.name)
        audit.record(cur, principal.name, "scostamento", plan_id=pid,
                     detail=f"decisione, anno {year}, {_what(key)}: {values.get('treatment')} — {act.strip()}")
    return entry


def _what(key: tuple) -> str:
    level, o, s, i = key
    return {"obiettivo": f"obiettivo {o}", "step": f"step {s} dell'obiettivo {o}",
            "indicatore": f"indicatore «{i}» dell'obiettivo {o}"}[level]


def describe_variance(row) -> str:
    """One Italian line for a register row: «66,7% invece di 100,0% (−33,3 punti)»."""
    if pd.isna(row["actual"]):
        return "non misurato"
    return f"{fmt_pct(row['actual'])} invece di {fmt_pct(row['planned'])}"
