"""The plan report as plain data (the CLI's JSON) and as an Italian text table."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from domain.status import STATUS_NEUTRALIZED, STATUS_UNVERIFIED
from metrics.engine import PlanMetrics
from metrics.explain import plan_waiting_text
from metrics.fmt import fmt_date, fmt_num, fmt_pct


def _f(x: Any) -> float | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def _i(x: Any) -> int | None:
    return None if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else int(x)


def _d(x: Any) -> str | None:
    return None if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)) else x.isoformat()


def report_dict(pm: PlanMetrics, net: dict | None = None, validation: dict | None = None) -> dict:
    """The ``python -m metrics report --format json`` document (keys are a public contract).

    ``net``: :func:`metrics.variances.net_figures` (lordo / netto; without it netto = lordo, no treatment known);
    ``validation``: :func:`metrics.closing.validation_summary` (without it: «in lavorazione», nothing validated)."""
    ctx = pm.ctx
    net = net if net is not None else pm.net
    net_obj = {} if net is None else {str(r.code): r.net for r in net["objectives"].itertuples()}
    cols = ["objective_code", "code", "deadline", "revised_deadline", "year_weight", "achievement", "status",
            "status_raw", "completed_on", "slip_days", "overdue_days", "slip_min_days", "slip_max_days", "slip_basis", "due"]
    narrow = pm.steps[cols]   # itertuples builds a namedtuple class per call: only the columns the report needs
    steps_by_obj = {k: g for k, g in narrow.groupby("objective_code", sort=False)}
    objectives = []
    for o in pm.objectives[["code", "title", "type", "weight_pct", "achievement", "neutralized", "status", "score",
                            "monitored", "fc_low", "fc_expected", "fc_high", "adherence"]].itertuples():
        g = steps_by_obj.get(o.code, narrow.iloc[0:0])
        steps = [{
            "code": s.code,
            "deadline": _d(s.deadline),
            "revised_deadline": _d(s.revised_deadline),
            "year_weight": float(s.year_weight),
            "achievement": None if s.status in (STATUS_UNVERIFIED, STATUS_NEUTRALIZED) else _f(s.achievement),
            "status": s.status,
            "status_raw": s.status_raw if isinstance(s.status_raw, str) else None,
            "completed_on": _d(s.completed_on),
            "slip_days": _i(s.slip_days),
            "overdue_days": _i(s.overdue_days),
            "slip_min_days": _i(s.slip_min_days),
            "slip_max_days": _i(s.slip_max_days),
            "slip_basis": s.slip_basis if isinstance(s.slip_basis, str) else None,
            "due": bool(s.due),                                    # rule 10: already due at the as-of date
        } for s in g.itertuples()]
        objectives.append({
            "code": o.code, "title": o.title, "type": o.type, "weight": float(o.weight_pct),
            "achievement": _f(o.achievement), "neutralized": bool(o.neutralized), "status": o.status,
            "score": _f(o.score), "monitored": bool(o.monitored),
            "achievement_gross": _f(o.achievement),                 # issue 16: lordo / netto
            "achievement_net": _f(net_obj.get(str(o.code), o.achievement)),
            "schedule_adherence": _f(o.adherence),                 # rule 10 (null: nothing due yet, or no value)
            "forecast": None if pm.forecast is None else {          # rule 8, for each objective too
                "low": _f(o.fc_low), "expected": _f(o.fc_expected), "high": _f(o.fc_high)},
            "steps": steps,
        })
    return {
        "plan": {"id": ctx.plan_id, "ente": ctx.ente, "titolo": ctx.titolo},
        "year": ctx.year,
        "as_of": ctx.as_of.isoformat(),
        "achievement": _f(pm.achievement),
        "achievement_gross": _f(pm.achievement),
        "achievement_net": _f(pm.achievement if net is None else net["plan"]["net"]),
        "validation": validation or {"state": "in lavorazione", "date": None, "by": None, "snapshot_sha256": None},
        "schedule_adherence": _f(pm.adherence),                    # rule 10: the headline before the year end
        "profile": {"name": pm.profile.name, "version": pm.profile_version},
        "score": _f(pm.score),
        "forecast": None if pm.forecast is None else {
            "low": _f(pm.forecast["low"]), "expected": _f(pm.forecast["expected"]), "high": _f(pm.forecast["high"]),
            "method": pm.forecast["method"]},
        "objectives": objectives,
        "areas": [{"code": a.code, "name": a.name, "achievement": _f(a.achievement)} for a in pm.areas.itertuples()],
        "strategic_objectives": [{"code": s.code, "name": s.name, "achievement": _f(s.achievement)}
                                 for s in pm.strategic.itertuples()],
        "quality": [{"rule": q["rule"], "items": q["items"], "message": q["message"]} for q in pm.quality],
    }


def report_table(pm: PlanMetrics) -> str:
    """A readable Italian text report for the terminal."""
    ctx = pm.ctx
    lines = [f"{ctx.ente} — {ctx.titolo} (versione {ctx.version})",
             f"Anno {ctx.year}, situazione al {fmt_date(ctx.as_of)}",
             (f"Rispetto del cronoprogramma: {fmt_pct(pm.adherence)} — avanzamento dell'anno: {fmt_pct(pm.achievement)}"
              if not pm.year_over else f"Raggiungimento del piano: {fmt_pct(pm.achievement)}") + _waiting(pm),
             f"Punteggio: {fmt_num(pm.score)} — sistema di misurazione: {pm.profile_label}"]
    if pm.forecast is not None:
        fc = pm.forecast
        lines.append(f"Previsione a fine anno: {fmt_pct(fc['expected'])} (tra {fmt_pct(fc['low'])} e "
                     f"{fmt_pct(fc['high'])})")
    lines.append("")
    width = max([len(str(c)) for c in pm.objectives["code"]] + [6])
    lines.append(f"{'Codice':<{width}}  {'Peso':>7}  {'Raggiung.':>9}  {'Punti':>6}  {'Stato':<15} Titolo")
    for o in pm.objectives.itertuples():
        lines.append(f"{o.code:<{width}}  {fmt_pct(o.weight_pct):>7}  {fmt_pct(o.achievement):>9}  "
                     f"{fmt_num(o.score):>6}  {o.status:<15} {o.title[:70]}")
    c = pm.counts
    lines += ["", f"Step dell'anno: {c['steps_due']} — completati {c['completed']}, in ritardo {c['late']}, "
              f"scaduti {c['overdue']}, neutralizzati {c['neutralized']}, continuativi {c['continuous']}"]
    if len(pm.areas):
        lines += ["", "Aree strategiche:"] + [f"  {a.code} {a.name}: {fmt_pct(a.achievement)}" for a in pm.areas.itertuples()]
    if pm.quality:
        lines += ["", "Qualità dei dati:"] + [f"  [{q['rule']}] {q['message']}" for q in pm.quality]
    return "\n".join(lines)


def _waiting(pm: PlanMetrics) -> str:
    text = plan_waiting_text(pm)
    return f" ({text})" if text else ""
