"""What the year-end closing adds to the plan pages (issue 16): the «validato il GG/MM/AAAA» banner with a way to
compare the validated figures with the current data, and the figures *lordo* / *netto* (after the treatments
decided in the variance register)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import closing as C
from metrics.engine import plan_metrics
from metrics.fmt import fmt_delta, fmt_pct
from metrics.variances import plan_net_figures
from ui.common import lazy_expander, show_table


def validated_banner(sel, pm) -> None:
    """On a validated plan-year: the banner and, on demand, the validated figures against the current version."""
    caption = C.validated_caption(sel.db, sel.plan_id, sel.year)
    if caption is None:
        return
    st.success(f"{caption}: i valori mostrati sono quelli validati.", icon=":material/verified:")
    current = int(sel.db.scalar("SELECT current_import_id FROM plans WHERE plan_id = ?", [sel.plan_id]))
    if current == pm.ctx.import_id:
        return
    exp = lazy_expander("Confronta con i dati attuali (versione più recente del piano)", key="cmp_validated")
    if not exp.open:
        return
    with exp:
        now = plan_metrics(sel.db, sel.plan_id, current, sel.year, pm.ctx.as_of)
        st.markdown(f"Raggiungimento del piano: validato **{fmt_pct(pm.achievement)}**, con i dati attuali "
                    f"**{fmt_pct(now.achievement)}** ({fmt_delta((now.achievement or 0) - (pm.achievement or 0))}).")
        a = pm.objectives[["code", "title", "achievement"]].rename(columns={"achievement": "validated"})
        b = now.objectives[["code", "achievement"]].rename(columns={"achievement": "current"})
        both = a.merge(b, on="code", how="outer")
        show_table(both, {"code": ("Codice", None), "title": ("Obiettivo", None),
                          "validated": ("Validato", "pct"), "current": ("Dati attuali", "pct")}, key="cmp_validated_t")


def net_objectives(db, pm) -> pd.DataFrame:
    return plan_net_figures(db, pm)["objectives"]


def gross_net(sel, pm, objective: str | None = None) -> None:
    """Lordo / netto of the plan (or of one objective) when a decided treatment changes it."""
    net = plan_net_figures(sel.db, pm)
    o = net["objectives"]
    if not o["treated"].any():
        return
    if objective is None:
        g, n = net["plan"]["gross"], net["plan"]["net"]
        what = "del piano"
    else:
        row = o[o["code"] == str(objective)]
        if row.empty or not bool(row["treated"].iloc[0]):
            return
        g, n = row["gross"].iloc[0], row["net"].iloc[0]
        what = "dell'obiettivo"
    st.info(f"Raggiungimento {what}: **lordo {fmt_pct(g)}** (come misurato), **netto {fmt_pct(n, empty='neutralizzato')}** "
            "(dopo i trattamenti decisi nel registro degli scostamenti, con il loro atto).", icon=":material/balance:")
