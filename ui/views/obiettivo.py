"""Obiettivo: drill-down on one objective (``?obiettivo=A``)."""
import pandas as pd
import streamlit as st

from charts.objective import contribution_waterfall, steps_timeline
from metrics import timing
from metrics.access import is_redacted
from metrics.explain import metric_value_text, objective_value_text, waiting_text
from metrics.fmt import fmt_num, fmt_pct
from ui.common import PLACEHOLDER, metric_row, plain, plan_page, plotly, show_table
from ui.state import Q_OBJECTIVE
from ui.views import measure
from ui.views.closing_notes import gross_net, validated_banner

STEP_COLS = {
    "code": ("Step", None), "description": ("Descrizione", None), "deadline_raw": ("Termine (come scritto)", None),
    "deadline": ("Termine", "date"), "revised_deadline": ("Nuovo termine", "date"), "weight": ("Peso", "pct"),
    "year_weight": ("Peso anno", "pct"), "achievement": ("Raggiungimento", "pct"), "status": ("Stato", None),
    "status_raw": ("Stato (testo originale)", None), "completed_on": ("Completato il", "date"),
    "timing_text": ("Tempi", None), "slip_days": ("Giorni di ritardo", "int"), "overdue_days": ("Giorni scaduto", "int"),
    "note": ("Verifica", None),
}
HISTORY_COLS = {
    "verified_on": ("Data verifica", "date"), "step_code": ("Step", None), "status": ("Stato", None),
    "status_raw": ("Stato (testo originale)", None), "achievement": ("Raggiungimento", "pct"),
    "completed_on": ("Completato il", "date"), "new_deadline": ("Nuovo termine", "date"), "note": ("Verifica", None),
}
INDICATOR_COLS = {
    "name": ("Indicatore", None), "algorithm": ("Algoritmo", None), "baseline_raw": ("Baseline", None),
    "target_raw": ("Target", None), "value_raw": ("Valore", None), "achievement": ("Raggiungimento", "pct"),
    "reason": ("Non valutabile perché", None), "org_area": ("Area", None),
}
STAFF_COLS = {
    "name": ("Nome", None), "role": ("Qualifica", None), "participation": ("Partecipazione", "pct"),
    "grade": ("Valutazione", "num"),
}


NO_DATA = ("Il piano non contiene obiettivi.")

def _filled(value) -> bool:
    return not (value is None or (not isinstance(value, str) and pd.isna(value))) and bool(str(value).strip())


def objective_view(pm, code: str) -> dict:
    """Everything the page shows for one objective, built once per PlanMetrics and objective."""
    o = pm.objectives[pm.objectives["code"] == code].iloc[0]
    steps = pm.steps[pm.steps["objective_code"] == code]
    steps = steps.assign(timing_text=[timing.short_text(s) for _, s in steps.iterrows()])   # the one vocabulary
    strategic = pm.strategic.set_index("code")["name"].to_dict() if len(pm.strategic) else {}
    details = {
        "Tipo": o["type"], "Responsabile": o["responsible"],
        "Obiettivi strategici collegati": "; ".join(f"{s} — {strategic.get(s, '')}" for s in o["strategic_codes"]),
        "Dimensione valore pubblico": o["public_value"], "Missione": o["missione"], "Programma": o["programma"],
        "Stakeholder": o["stakeholders"], "Anno di inserimento": o["year_added"], "Descrizione": o["description"],
    }
    return {
        "o": o, "steps": steps,
        "details": "  \n".join(f"**{label}:** {plain(value)}" for label, value in details.items() if _filled(value)),
        "timeline": steps_timeline(steps, pm.ctx.as_of),
        "waterfall": contribution_waterfall(steps, o["achievement"] if o["evaluable"] else None),
        "history": pm.verifications[pm.verifications["objective_code"] == code].sort_values(["verified_on", "row_no"]),
        "indicators": pm.indicators[pm.indicators["objective_code"] == code],
        "staff": pm.staff[pm.staff["objective_code"] == code],
    }


def _value(o) -> tuple[str, str]:
    value, waiting = metric_value_text(o["achievement"], o["status"])
    if waiting is None and (pd.isna(o["achievement"]) or not o["evaluable"]):
        value = objective_value_text(o)
    return value, "Σ peso anno × raggiungimento degli step dell'anno (regola 2)" + (f". Ora: {waiting}." if waiting else "")


def objective_choices(pm) -> tuple[list[str], dict[str, str]]:
    codes = [str(c) for c in pm.objectives["code"]]
    return codes, dict(zip(codes, pm.objectives["title"]))


def choose_objective(pm) -> str:
    """The objective of the URL (``?obiettivo=``), else the one picked before, else the first."""
    codes, titles = pm.derived(objective_choices, pm)
    wanted = st.query_params.get(Q_OBJECTIVE)
    ss = st.session_state
    if wanted is not None and wanted not in codes and wanted != ss.get("_obj_url"):
        # a link to an objective that is not in this plan: say so, never show another one silently
        st.warning(f"Il link indica l'obiettivo «{plain(wanted[:80])}», che non è nel piano "
                   f"«{plain(pm.ctx.titolo)}»: "
                   f"è mostrato l'obiettivo {plain(codes[0])}. Scegliere l'obiettivo nel menu qui sotto.",
                   icon=":material/link_off:")
    if ss.get("obj_pick") not in codes or (wanted in codes and wanted != ss.get("_obj_url")):
        ss["obj_pick"] = wanted if wanted in codes else codes[0]
    ss["_obj_url"] = wanted
    code = st.selectbox("Obiettivo", codes, key="obj_pick", placeholder=PLACEHOLDER,
                        format_func=lambda c: f"{c} — {titles[c]}")
    st.query_params[Q_OBJECTIVE] = code
    return code


def render() -> None:
    sel, pm = plan_page("Obiettivo", "objectives", NO_DATA, warn=True)
    validated_banner(sel, pm)
    code = choose_objective(pm)
    v = pm.derived(objective_view, pm, code)
    o = v["o"]
    st.header(f"{plain(code)} · {plain(o['title'])}")
    headline = measure.objective_headline(pm, o)        # rule 10 before the year end, in a row of its own
    if headline:
        metric_row(headline)
    metric_row([
        *([] if headline else [("Raggiungimento", *_value(o))]),
        ("Punteggio", fmt_num(o["score"]), f"Regola 9, sistema di misurazione {pm.profile_label}"),
        ("Peso nel piano", fmt_pct(o["weight_pct"]), "Peso normalizzato sul totale degli obiettivi"),
        ("Stato", plain(o["status"]), None),
        ("Step dell'anno", f"{int(o['steps_due'])} su {int(o['steps'])}", None),
    ])
    gross_net(sel, pm, code)
    if waiting := waiting_text(o["status"]):
        st.markdown(f"**Raggiungimento: {waiting}** (nessun valore, non 0%)")
    with st.expander("Scheda dell'obiettivo", expanded=True):
        st.markdown(v["details"])

    measure.objective_why(pm, code)
    st.subheader("Step")
    show_table(v["steps"], STEP_COLS, key=f"steps_table_{code}", memo=pm)
    left, right = st.columns(2)
    with left:
        plotly(v["timeline"], "timeline")
    with right:
        plotly(v["waterfall"], "waterfall")

    st.subheader("Storico delle verifiche")
    if v["history"].empty:
        st.info("Nessuna verifica registrata per questo obiettivo.")
    else:
        show_table(v["history"], HISTORY_COLS, key=f"hist_{code}", memo=pm)
    if len(v["indicators"]):
        st.subheader("Indicatori")
        show_table(v["indicators"], INDICATOR_COLS, key=f"ind_{code}", memo=pm)
    if len(v["staff"]):
        st.subheader("Personale coinvolto")
        if is_redacted(pm):
            st.caption(f"{v['staff']['person'].nunique()} persone assegnate all'obiettivo (nomi e valutazioni "
                       "visibili ai ruoli direttore e amministratore).")
        else:
            show_table(v["staff"], STAFF_COLS, key=f"staff_{code}", memo=pm)
