"""Obiettivo: drill-down on one objective (``?obiettivo=A``)."""
import pandas as pd
import streamlit as st

from charts.objective import contribution_waterfall, steps_timeline
from metrics.fmt import fmt_pct
from ui.common import italian_table, metric_row, page_header, plotly, require_selection, show_table
from ui.state import Q_OBJECTIVE

sel = require_selection()
pm = sel.metrics()
page_header("Obiettivo", sel)

codes = [str(c) for c in pm.objectives["code"]]
if not codes:
    st.warning("Il piano non contiene obiettivi.")
    st.stop()
titles = dict(zip(codes, pm.objectives["title"]))
wanted = st.query_params.get(Q_OBJECTIVE)
if st.session_state.get("obj_pick") not in codes or (wanted in codes and wanted != st.session_state.get("_obj_url")):
    st.session_state["obj_pick"] = wanted if wanted in codes else codes[0]
st.session_state["_obj_url"] = wanted
code = st.selectbox("Obiettivo", codes, key="obj_pick", format_func=lambda c: f"{c} — {titles[c]}")
st.query_params[Q_OBJECTIVE] = code

o = pm.objectives[pm.objectives["code"] == code].iloc[0]
steps = pm.steps[pm.steps["objective_code"] == code]
st.header(f"{code} · {o['title']}")
metric_row([
    ("Raggiungimento", fmt_pct(o["achievement"]) if o["evaluable"] and not o["neutralized"] else o["status"],
     "Σ peso anno × raggiungimento degli step dell'anno (regola 2)"),
    ("Peso nel piano", fmt_pct(o["weight_pct"]), "Peso normalizzato sul totale degli obiettivi"),
    ("Stato", o["status"], None),
    ("Step dell'anno", f"{int(o['steps_due'])} su {int(o['steps'])}", None),
])
strategic = pm.strategic.set_index("code")["name"].to_dict() if len(pm.strategic) else {}
details = {
    "Tipo": o["type"], "Responsabile": o["responsible"],
    "Obiettivi strategici collegati": "; ".join(f"{s} — {strategic.get(s, '')}" for s in o["strategic_codes"]),
    "Dimensione valore pubblico": o["public_value"], "Missione": o["missione"], "Programma": o["programma"],
    "Stakeholder": o["stakeholders"], "Anno di inserimento": o["year_added"], "Descrizione": o["description"],
}
with st.expander("Scheda dell'obiettivo", expanded=True):
    for label, value in details.items():
        if not (value is None or (not isinstance(value, str) and pd.isna(value))) and str(value).strip():
            st.markdown(f"**{label}:** {value}")

st.subheader("Step")
show_table(steps, {
    "code": ("Step", None), "description": ("Descrizione", None), "deadline_raw": ("Termine (come scritto)", None),
    "deadline": ("Termine", "date"), "revised_deadline": ("Nuovo termine", "date"), "weight": ("Peso", "pct"),
    "year_weight": ("Peso anno", "pct"), "achievement": ("Raggiungimento", "pct"), "status": ("Stato", None),
    "status_raw": ("Stato (testo originale)", None), "completed_on": ("Completato il", "date"),
    "slip_days": ("Giorni di ritardo", "int"), "overdue_days": ("Giorni scaduto", "int"), "note": ("Verifica", None),
}, key=f"steps_table_{code}", memo=pm)



def objective_figure(kind: str, objective: str):
    """Timeline or waterfall of one objective, built once per PlanMetrics."""
    rows = pm.steps[pm.steps["objective_code"] == objective]
    if kind == "timeline":
        return steps_timeline(rows, pm.ctx.as_of)
    obj = pm.objectives[pm.objectives["code"] == objective].iloc[0]
    return contribution_waterfall(rows, obj["achievement"] if obj["evaluable"] else None)


left, right = st.columns(2)
with left:
    plotly(pm.derived(objective_figure, "timeline", code), "timeline")
with right:
    plotly(pm.derived(objective_figure, "waterfall", code), "waterfall")

st.subheader("Storico delle verifiche")
hist = pm.verifications[pm.verifications["objective_code"] == code].sort_values(["verified_on", "row_no"])
if hist.empty:
    st.info("Nessuna verifica registrata per questo obiettivo.")
else:
    show_table(hist, {
        "verified_on": ("Data verifica", "date"), "step_code": ("Step", None), "status": ("Stato", None),
        "status_raw": ("Stato (testo originale)", None), "achievement": ("Raggiungimento", "pct"),
        "completed_on": ("Completato il", "date"), "new_deadline": ("Nuovo termine", "date"), "note": ("Verifica", None),
    }, key=f"hist_{code}", memo=pm)

ind = pm.indicators[pm.indicators["objective_code"] == code]
if len(ind):
    st.subheader("Indicatori")
    show_table(ind, {
        "name": ("Indicatore", None), "algorithm": ("Algoritmo", None), "baseline_raw": ("Baseline", None),
        "target_raw": ("Target", None), "value_raw": ("Valore", None), "achievement": ("Raggiungimento", "pct"),
        "reason": ("Non valutabile perché", None), "org_area": ("Area", None),
    }, key=f"ind_{code}", memo=pm)
staff = pm.staff[pm.staff["objective_code"] == code]
if len(staff):
    st.subheader("Personale coinvolto")
    show_table(staff, {
        "name": ("Nome", None), "role": ("Qualifica", None), "participation": ("Partecipazione", "pct"),
        "grade": ("Valutazione", "num"),
    }, key=f"staff_{code}", memo=pm)
