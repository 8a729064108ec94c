"""Panoramica: the plan at a glance."""
import streamlit as st

from charts.overview import achievement_gauge, objectives_ranking, risk_points
from metrics.fmt import fmt_date, fmt_int
from metrics import timing
from metrics.explain import plan_waiting_text
from ui.common import ensure_app_navigation, metric_row, plan_page, plotly, show_table
from ui.views import measure
from ui.views.closing_notes import gross_net, validated_banner

OBJ_COLS = {
    "code": ("Codice", None), "title": ("Obiettivo", None), "type": ("Tipo", None), "weight_pct": ("Peso", "pct"),
    "achievement": ("Raggiungimento", "pct"), "adherence": ("Cronoprogramma", "pct"),
    "score": ("Punteggio", "num"), "status": ("Stato", None),
    "band": ("Fascia", None),
    "late": ("In ritardo", "int"), "overdue": ("Scaduti", "int"),
}
RISK_COLS = {
    "objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None),
    "deadline": ("Termine", "date"), "status": ("Stato", None), "timing_text": ("Tempi", None),
    "achievement": ("Raggiungimento", "pct"), "points_at_risk": ("Punti a rischio", "num"),
}


def frames(pm):
    objs = pm.objectives.sort_values("achievement", na_position="last")
    risk = pm.steps[pm.steps["points_at_risk"] > 1e-9].sort_values("points_at_risk", ascending=False).head(30)
    risk = risk.assign(timing_text=[timing.short_text(s) for _, s in risk.iterrows()])   # the one vocabulary
    return {"objs": objs, "risk": risk}


def render() -> None:
    sel, pm = plan_page("Panoramica del piano")
    validated_banner(sel, pm)
    gross_net(sel, pm)
    f = pm.derived(frames, pm)
    c = pm.counts
    left, right = st.columns([1, 2])
    with left:
        measure.headline_metric(pm, "Media dei raggiungimenti degli obiettivi valutabili, pesata sui pesi "
                                    "normalizzati (regola 3).")
        plotly(measure.plan_gauge(pm, achievement_gauge, "", 220), "gauge")
        measure.score_and_profile(pm)
    with right:
        metric_row([
            ("Obiettivi", fmt_int(c["objectives"]), f"{c['objectives_evaluable']} valutabili nell'anno"),
            ("Step dell'anno", fmt_int(c["steps_due"]), "Step con termine nell'anno (o continuativi)"),
            ("Completati", fmt_int(c["completed"]), None),
            ("In ritardo", fmt_int(c["late"]), "Completati dopo il termine"),
        ])
        metric_row([
            ("Scaduti", fmt_int(c["overdue"]), "Non completati e oltre il termine alla data di monitoraggio"),
            ("Neutralizzati", fmt_int(c["neutralized"]), "Esclusi per cause non imputabili"),
            ("Continuativi", fmt_int(c["continuous"]), "Termine non datato («Al bisogno», «Cadenza mensile»)"),
            ("Verifiche", fmt_int(c["verifications"]), f"Verifiche con data entro il {fmt_date(pm.ctx.as_of)}"),
        ])
        if c["verifications"] == 0:
            st.info("Questo piano non ha ancora verifiche: gli obiettivi sono «in attesa del primo monitoraggio» "
                    "(nessun valore, non 0%) finché non si carica un foglio con il monitoraggio (foglio «Verifiche»).",
                    icon="ℹ️")
    measure.forecast_block(pm)
    measure.plan_why(pm)

    st.header("Obiettivi")
    st.caption("Clic su una barra o su una riga per aprire l'obiettivo.")
    plotly(measure.plan_ranking(pm, objectives_ranking), "ranking", sel, clickable=True)
    show_table(f["objs"], OBJ_COLS, key="obj_table", objective_col="code", sel=sel, memo=pm)

    st.header("Punti a rischio")
    st.caption("Step aperti o in ritardo ordinati per i punti che costano al piano: peso anno × peso obiettivo × "
               "quota mancante. La somma è ciò che manca al 100% del piano.")
    if waiting := plan_waiting_text(pm):   # nothing measured yet: nothing is «at risk» nor «all achieved»
        st.info(f"Punti a rischio: {waiting}.", icon="ℹ️")
        return
    plotly(pm.derived(risk_points, pm.steps), "risk", sel, clickable=True)
    show_table(f["risk"], RISK_COLS, key="risk_table", objective_col="objective_code", sel=sel, memo=pm)


def open_from_root() -> None:
    """The root URL shows the Panoramica at its own address (so /panoramica?piano=… and / are the same page,
    highlighted in the menu); the selection made by the sidebar and any other parameter are kept."""
    ensure_app_navigation()
    st.switch_page("pages/panoramica.py", query_params=st.query_params.to_dict())
