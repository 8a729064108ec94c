"""Raggiungimento lordo e netto (issue 16): the figures after the treatments of the variance register whose
deciding act is recorded. A formula over a computed plan (``metrics.engine.PlanMetrics``, duck-typed here so
that the engine can call it without an import circle) and the register's entries (``store.closing``)."""
from __future__ import annotations

import pandas as pd

from metrics import formulas as F


def indicator_key(r) -> str:
    code = getattr(r, "code", None)
    return str(code) if isinstance(code, str) and code.strip() else str(r.name)


def net_figures(pm, entries: pd.DataFrame) -> dict:
    """Raggiungimento lordo e netto: the plan's and each objective's achievement as measured (``gross``, = ``pm``)
    and after the treatments whose act is recorded (``net``). Undecided treatments change nothing.

    Returns ``{"plan": {"gross", "net"}, "objectives": DataFrame[code, gross, net, weight_gross, weight_net,
    treated]}`` (achievements on the 0–100 scale, None/NaN = not evaluable; weights normalised to 100)."""
    o = pm.objectives
    codes = o["code"].astype(str)
    gross = o["achievement"].astype("float64").to_numpy()
    net = pd.Series(gross, index=codes.values, dtype="float64")
    w_net = pd.Series(o["weight_eff"].astype("float64").to_numpy(), index=codes.values)
    decided = entries[entries["decision_act"].map(lambda x: isinstance(x, str) and bool(x.strip()))] \
        if len(entries) else entries
    treated: set[str] = set()
    if len(decided):
        steps = pm.steps.copy()
        steps["objective_code"] = steps["objective_code"].astype(str)
        steps["code"] = steps["code"].astype(str)
        step_changed: set[str] = set()
        for e in decided[decided["level"] == "step"].itertuples():
            m = (steps["objective_code"] == e.objective_code) & (steps["code"] == e.step_code)
            if e.treatment == "neutralizzazione":
                steps.loc[m, "excluded"] = True
            elif e.treatment == "ripesatura" and pd.notna(e.new_weight):
                steps.loc[m, "weight_eff"] = float(e.new_weight)
            else:
                continue
            step_changed.add(e.objective_code)
        if step_changed:
            steps["year_weight"] = F.year_weights(steps["weight_eff"].astype("float64"), steps["objective_code"],
                                                  steps["due_in_year"], steps["excluded"].astype(bool))
            for code in step_changed:
                g = steps[steps["objective_code"] == code]
                if code in set(codes[o["indicator_only"]]) or g.empty:
                    continue
                r = F.objective_achievement(g["year_weight"], g["achievement"], g["due_in_year"],
                                            g["excluded"].astype(bool), g["verified"])
                net[code] = float("nan") if r.achievement is None else r.achievement
                treated.add(code)
        ind_out = decided[(decided["level"] == "indicatore") & (decided["treatment"] == "neutralizzazione")]
        for code, g in ind_out.groupby("objective_code"):
            if code not in set(codes[o["indicator_only"]]):
                continue
            rows = pm.indicators[pm.indicators["objective_code"].astype(str) == code]
            keep = rows[[indicator_key(r) not in set(g["indicator"]) for r in rows.itertuples()]]
            a = F.indicator_objective_achievement(keep["achievement"])
            net[code] = float("nan") if a is None else a
            treated.add(code)
        for e in decided[decided["level"] == "obiettivo"].itertuples():
            if e.objective_code not in net.index:
                continue
            if e.treatment == "neutralizzazione":
                net[e.objective_code] = float("nan")
                treated.add(e.objective_code)
            elif e.treatment == "ripesatura" and pd.notna(e.new_weight):
                w_net[e.objective_code] = float(e.new_weight)
                treated.add(e.objective_code)
    w_gross = pd.Series(o["weight_eff"].astype("float64").to_numpy(), index=codes.values)
    plan_net = F.weighted_mean(net, w_net) if treated else pm.achievement
    frame = pd.DataFrame({
        "code": codes.values, "gross": gross, "net": net.to_numpy(),
        "weight_gross": F.normalised_weights(w_gross).to_numpy(),
        "weight_net": F.normalised_weights(w_net).to_numpy(),
        "treated": [c in treated for c in codes.values]})
    return {"plan": {"gross": pm.achievement, "net": plan_net}, "objectives": frame}
