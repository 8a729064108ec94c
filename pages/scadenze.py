"""Scadenze e ritardi: slippage of the steps (rule 5) on a time axis, by month, area and responsible."""
import datetime as dt

import streamlit as st

from charts.deadlines import deadlines_timeline, delay_histogram, timing_bars
from metrics import deadlines as D
from metrics import formulas as F
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct
from ui.common import italian_table, metric_row, page_header, plotly, require_selection, show_table

sel = require_selection()
pm = sel.metrics()
page_header("Scadenze e ritardi", sel)

if pm.steps.empty:
    st.info("Il piano non contiene step: nessuna scadenza da mostrare (foglio «Step» vuoto).", icon="ℹ️")
    st.stop()

all_years = st.toggle("Includi gli step degli altri anni del piano", key="dl_all_years",
                      help="Di norma si considerano gli step con termine nell'anno scelto, come nella Panoramica.")


def deadline_frames(all_years: bool) -> dict:
    """The frames of this page for one scope, computed once per PlanMetrics."""
    steps = D.scope(pm.steps, all_years)
    dated = D.dated_steps(steps)
    month = D.by_month(dated)
    area = D.by_area(dated, pm.links, pm.strategic, pm.areas) if len(pm.links) else None
    return {"steps": steps, "summary": F.slippage_summary(steps) if all_years else pm.slippage, "dated": dated,
            "continuous": D.continuous_steps(steps), "month": month, "area": area,
            "overdue": D.overdue_steps(dated), "late": D.late_steps(dated),
            "fig_timeline": deadlines_timeline(dated, pm.ctx.as_of), "fig_hist": delay_histogram(dated),
            "fig_month": timing_bars(month, "label", "Step per mese di scadenza"),
            "fig_area": None if area is None else timing_bars(area, "area", "Step per area strategica", horizontal=True)}


frames = pm.derived(deadline_frames, all_years)


def responsible_frames(source: str, scope_all_years: bool):
    """Roll-up by responsible and its chart, once per PlanMetrics, source and scope."""
    resp = D.by_responsible(pm.derived(deadline_frames, scope_all_years)["dated"], pm.objectives, source)
    return resp, timing_bars(resp, "responsible", "Step per responsabile", horizontal=True)

steps, s, dated, continuous = frames["steps"], frames["summary"], frames["dated"], frames["continuous"]
as_of = fmt_date(sel.as_of)

metric_row([
    ("Step valutati", fmt_int(s["judged"]), "Step con termine datato completati con data, oppure scaduti (regola 5)"),
    ("In tempo", fmt_pct(s["on_time_pct"]), f"{s['on_time']} step completati entro il termine"),
    ("In ritardo", fmt_pct(s["late_pct"]), f"{s['late']} step completati dopo il termine"),
    ("Scaduti", fmt_pct(s["overdue_pct"]), f"{s['overdue']} step non completati e oltre il termine al {as_of}"),
    ("Ritardo mediano", fmt_days(s["median_delay"]), "Sui giorni di ritardo degli step in ritardo e scaduti"),
    ("Ritardo massimo", fmt_days(s["max_delay"]), None),
])
n = dated["timing"].value_counts()
st.caption(f"Step con termine datato: {fmt_int(len(dated))} (in tempo {fmt_int(n.get('in tempo', 0))} · in ritardo "
           f"{fmt_int(n.get('in ritardo', 0))} · scaduti {fmt_int(n.get('scaduto', 0))} · termine non ancora raggiunto "
           f"{fmt_int(n.get('in scadenza', 0))} · non determinabili {fmt_int(n.get('n.d.', 0))}); attività "
           f"continuative: {fmt_int(len(continuous))}.")
if pm.counts["verifications"] == 0:
    st.info("Questo piano non ha ancora verifiche: ogni step oltre il termine alla data di monitoraggio risulta "
            "scaduto.", icon="ℹ️")
elif s["judged"] == 0 and n.get("n.d.", 0):
    st.info("Gli step completati non riportano la «Data completamento»: il loro ritardo non è determinabile "
            "(regola 5).", icon="ℹ️")

STEP_COLS = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None),
             "deadline": ("Termine", "date"), "revised_deadline": ("Nuovo termine", "date")}

st.subheader("Tutte le scadenze")
st.caption("Ogni step con termine datato: il rombo è il termine, la linea arriva alla data di completamento (in tempo "
           "o in ritardo) o alla data di monitoraggio (scaduto). Clic su un punto per aprire l'obiettivo.")
plotly(frames["fig_timeline"], "dl_timeline", sel, clickable=True)

st.subheader("In scadenza")
days = st.radio("Scadenze nei prossimi", [30, 60], horizontal=True, key="dl_window",
                format_func=lambda d: f"{d} giorni")
soon = pm.derived(D.due_soon, pm.steps, sel.as_of, days)
if soon.empty:
    st.caption(f"Nessuno step da completare con termine nei {days} giorni successivi al {as_of}.")
else:
    st.caption(f"{fmt_int(len(soon))} step da completare entro il {fmt_date(sel.as_of + dt.timedelta(days))} "
               "(si considera il nuovo termine, quando c'è).")
    show_table(soon, {**STEP_COLS, "days_left": ("Giorni mancanti", "int"), "status": ("Stato", None),
                      "achievement": ("Raggiungimento", "pct"), "responsible": ("Responsabile", None)},
               key="dl_soon", objective_col="objective_code", sel=sel, memo=pm)

st.subheader("Step scaduti")
overdue = frames["overdue"]
if overdue.empty:
    st.caption(f"Nessuno step scaduto al {as_of}.")
else:
    show_table(overdue, {**STEP_COLS, "delay": ("Giorni scaduto", "int"),
                         "overdue_revised_days": ("Giorni oltre il nuovo termine", "int"), "status": ("Stato", None),
                         "achievement": ("Raggiungimento", "pct")}, key="dl_overdue", objective_col="objective_code",
               sel=sel, memo=pm)

st.subheader("Step completati in ritardo")
late = frames["late"]
if late.empty:
    st.caption("Nessuno step completato dopo il termine.")
else:
    show_table(late, {**STEP_COLS, "completed_on": ("Completato il", "date"), "delay": ("Giorni di ritardo", "int"),
                      "slip_revised_days": ("Giorni rispetto al nuovo termine", "int")},
               key="dl_late", objective_col="objective_code", sel=sel, memo=pm)

plotly(frames["fig_hist"], "dl_hist")

st.subheader("Ritardi per mese, area e responsabile")
ROLLUP_COLS = {"steps": ("Step", "int"), "on_time": ("In tempo", "int"), "late": ("In ritardo", "int"),
               "overdue": ("Scaduti", "int"), "upcoming": ("In scadenza", "int"),
               "undetermined": ("Non determinabili", "int"), "on_time_pct": ("% in tempo", "pct"),
               "median_delay": ("Ritardo mediano", "days"), "max_delay": ("Ritardo massimo", "days")}
t_month, t_area, t_resp = st.tabs(["Per mese di scadenza", "Per area strategica", "Per responsabile"])
with t_month:
    month = frames["month"]
    plotly(frames["fig_month"], "dl_month")
    show_table(month, {"label": ("Mese", None), **ROLLUP_COLS}, key=f"dl_month_t_{all_years}", memo=pm)
with t_area:
    if pm.links.empty:
        st.info("Il piano non collega gli obiettivi ad aree strategiche: la ripartizione per area non è disponibile.",
                icon="ℹ️")
    else:
        st.caption("Area raggiunta attraverso obiettivo → obiettivo strategico → area: uno step il cui obiettivo è "
                   "collegato a più aree conta in ciascuna.")
        area = frames["area"]
        plotly(frames["fig_area"], "dl_area")
        show_table(area, {"area": ("Area", None), **ROLLUP_COLS}, key=f"dl_area_t_{all_years}", memo=pm)
with t_resp:
    has = {src: D.has_responsible(pm.steps, pm.objectives, src) for src in ("objective", "step")}
    if not any(has.values()):
        st.info("Il foglio non indica responsabili (colonna «Responsabile» di Obiettivi e Step vuota).", icon="ℹ️")
    else:
        source = st.radio("Responsabile", ["objective", "step"], horizontal=True, key="dl_resp_source",
                          index=0 if has["objective"] else 1,
                          format_func={"objective": "dell'obiettivo", "step": "dello step (o dell'obiettivo)"}.get)
        resp, fig_resp = pm.derived(responsible_frames, source, all_years)
        plotly(fig_resp, "dl_resp")
        show_table(resp, {"responsible": ("Responsabile", None), **ROLLUP_COLS},
                     key=f"dl_resp_t_{source}_{all_years}", memo=pm)

st.subheader("Attività continuative")
if continuous.empty:
    st.caption("Nessuna attività continuativa: tutti gli step hanno un termine datato.")
else:
    st.caption("Step con termine non datato («Al bisogno», «Cadenza mensile»…): mostrati qui, esclusi dallo "
               "slittamento.")
    show_table(continuous, {"objective_code": ("Obiettivo", None), "code": ("Step", None),
                            "description": ("Descrizione", None), "deadline_raw": ("Termine (come scritto)", None),
                            "status": ("Stato", None), "achievement": ("Raggiungimento", "pct"),
                            "note": ("Verifica", None)},
               key="dl_continuous", objective_col="objective_code", sel=sel, memo=pm)
