"""Blocks of the measuring system shown on other pages: score, year-end forecast, «Perché questo valore».

Each page calls one function at one place (small, well-delimited call sites)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from charts.measure import forecast_figure, ranking_with_waiting, waiting_gauge
from metrics.explain import (PLAN_EXPLAIN_COLS, STEP_EXPLAIN_COLS, forecast_text, objective_explanation,
                             metric_value_text, plan_explanation, plan_waiting_text, slip_text)
from metrics import timing
from metrics.fmt import as_of_label, fmt_date, fmt_num, fmt_pct
from ui.common import lazy_expander, plain, plotly, show_table

PLAN_COLS = {c: (c, "pct" if c in ("Peso", "Raggiungimento") else "num" if c in ("Contributo", "Punteggio") else None)
             for c in PLAN_EXPLAIN_COLS}
STEP_COLS = {c: (c, "pct" if c in ("Peso anno", "Raggiungimento") else "num" if c == "Contributo" else None)
             for c in STEP_EXPLAIN_COLS}
SLIP_COLS = {"code": ("Step", None), "deadline": ("Termine", "date"), "timing": ("Tempi", None),
             "slip_min_days": ("Ritardo minimo (giorni)", "int"), "slip_max_days": ("Ritardo massimo (giorni)", "int"),
             "basis": ("Su che cosa si basa", None)}


def plan_gauge(pm, gauge_builder, *args):
    """The plan gauge, or a grey «in attesa del primo monitoraggio» gauge when nothing has a value. Before the
    year end it shows the headline, the schedule adherence (rule 10); «nessuna scadenza ancora» when none."""
    waiting = plan_waiting_text(pm)
    if waiting:
        return pm.derived(waiting_gauge, waiting)
    h = pm.headline()
    if h["value"] is None:
        return pm.derived(waiting_gauge, NOTHING_DUE)
    return pm.derived(gauge_builder, h["value"], pm.profile, *args)


NOTHING_DUE = "nessuna scadenza ancora"


def headline_metric(pm, help_year_end: str) -> None:
    """The plan's headline tile: «Raggiungimento del piano» at the year end; before it «Rispetto del
    cronoprogramma» (rule 10: bands and status) with «Avanzamento dell'anno» (rule 2) beside it."""
    waiting = plan_waiting_text(pm)
    h = pm.headline()
    if pm.year_over or waiting:
        value, waiting = metric_value_text(pm.achievement, waiting)
        st.metric("Raggiungimento del piano", value,
                  help=help_year_end + (f" Ora: {waiting} (nessun valore, non 0%)." if waiting else ""))
        return
    a = b = st     # one under the other: the left column is narrow, side by side the labels were cut
    a.metric("Rispetto del cronoprogramma", fmt_pct(h["value"]) if h["value"] is not None else NOTHING_DUE,
             help=f"Regola 10: gli step già scaduti al {fmt_date(pm.ctx.as_of)} (e i continuativi), pesati; fascia "
                  f"{h['band']}. Fino al 31/12 la fascia e lo stato vengono da qui.")
    b.metric("Avanzamento dell'anno", fmt_pct(pm.achievement),
             help="Regola 2: tutti gli step dell'anno, anche quelli non ancora scaduti (contano 0 finché aperti); "
                  "cresce fino al 31/12.")


def objective_headline(pm, o) -> list[tuple]:
    """Before the year end, the objective's tiles «Cronoprogramma», «Avanzamento dell'anno» and the forecast
    (for a metric_row of their own)."""
    if pm.year_over or pd.isna(o["achievement"]):
        return []
    adh = o["adherence"]
    out = [("Cronoprogramma", NOTHING_DUE if pd.isna(adh) else fmt_pct(adh),
            f"Regola 10: step già scaduti al {fmt_date(pm.ctx.as_of)} e continuativi; fascia {o['band']}. Fino al "
            "31/12 la fascia e lo stato vengono da qui."),
           ("Avanzamento dell'anno", fmt_pct(o["achievement"]), "Regola 2: tutti gli step dell'anno, anche quelli "
            "non ancora scaduti (contano 0 finché aperti)")]
    if pd.notna(o.get("fc_expected")):
        out.append(("Previsione a fine anno", fmt_pct(o["fc_expected"]),
                    f"Regola 8: tra {fmt_pct(o['fc_low'])} e {fmt_pct(o['fc_high'])}"))
    return out


def plan_ranking(pm, ranking_builder, *args):
    return pm.derived(_ranking, pm, ranking_builder, *args)


def _ranking(pm, ranking_builder, *args):
    if pm.year_over:
        return ranking_with_waiting(ranking_builder(pm.objectives, *args), pm.objectives)
    # rule 10: before the year end the objectives are ranked by their schedule adherence (what the bands say);
    # an objective with nothing due yet is a grey bar «nessuna scadenza ancora», never a red 0%
    objs = pm.objectives.assign(achievement=pm.objectives["adherence"])
    waiting = objs["status"].isin(["non monitorato", "in attesa di rilevazione"])
    fig = ranking_builder(objs[~waiting], *args, missing_caption=NOTHING_DUE)
    fig = ranking_with_waiting(fig, pm.objectives)
    fig.update_layout(title_text="Obiettivi per rispetto del cronoprogramma")
    for tr in fig.data:
        if getattr(tr, "hovertemplate", None):
            tr.hovertemplate = tr.hovertemplate.replace("Raggiungimento", "Cronoprogramma")
    return fig


def score_and_profile(pm) -> None:
    """Punteggio (rule 9) next to the achievement, and which measuring system decided it."""
    st.metric("Punteggio del piano", fmt_num(pm.score) if pm.score is not None else "—",
              help="Regola 9: dal raggiungimento, secondo la funzione di punteggio del sistema di misurazione.")
    st.caption(f"Sistema di misurazione: **{plain(pm.profile_label)}**")


def forecast_block(pm) -> None:
    """«Previsione a fine anno» at an intermediate check (rule 8)."""
    text = forecast_text(pm)
    if text is None:
        return
    fc = pm.forecast
    st.subheader("Previsione a fine anno")
    cols = st.columns(3)
    cols[0].metric("Previsione attesa", fmt_pct(fc["expected"]), help=fc["method"])
    cols[1].metric("Ipotesi minima", fmt_pct(fc["low"]), help="Nessuno step aperto viene completato.")
    cols[2].metric("Ipotesi massima", fmt_pct(fc["high"]), help="Tutti gli step aperti con termine futuro completati.")
    plotly(pm.derived(_forecast_figure, pm), "forecast")


def _forecast_figure(pm):
    return forecast_figure(pm.achievement, pm.forecast, None, 200, as_of_label(pm.ctx.as_of))


def plan_why(pm) -> None:
    """«Perché questo valore» of the plan: each objective's weight × achievement."""
    exp = lazy_expander("Perché questo valore: peso × raggiungimento di ogni obiettivo", "why_plan")
    if exp.open:
        with exp:
            df, text = pm.derived(plan_explanation, pm)
            st.markdown(text)
            show_table(df, PLAN_COLS, key="why_plan_table", memo=pm)


def _slip_frame(pm, code: str):
    steps = pm.steps[pm.steps["objective_code"] == code].copy()
    steps["basis"] = [slip_text(s) for _, s in steps.iterrows()]
    steps["timing"] = [timing.short_text(s) for _, s in steps.iterrows()]   # the one vocabulary
    return steps


def objective_why(pm, code: str) -> None:
    """«Perché questo valore» of an objective: steps' year weight × achievement = contribution, the rule
    that decided each, and what each slippage figure rests on."""
    exp = lazy_expander("Perché questo valore: peso anno × raggiungimento di ogni step", f"why_obj_{code}",
                        expanded=True)
    if exp.open:
        with exp:
            df, text = pm.derived(objective_explanation, pm, code)
            st.markdown(text)
            show_table(df, STEP_COLS, key=f"why_obj_table_{code}", memo=pm)
            st.markdown("**Slittamenti: su che cosa si basano** (data di completamento, limiti delle verifiche)")
            show_table(pm.derived(_slip_frame, pm, code), SLIP_COLS, key=f"why_slip_{code}", memo=pm)


def forecast_slide(pm, s) -> None:
    """The Presentazione's «Previsione a fine anno» slide: figures, the objectives' ranges, the method."""
    for col, (label, value) in zip(st.columns(len(s.figures)), s.figures):
        col.metric(label, value)
    plotly(pm.derived(_forecast_objectives_figure, pm), "pres_forecast")
    st.caption(s.bullets[0] if s.bullets else "")


def _forecast_objectives_figure(pm):
    return forecast_figure(pm.achievement, pm.forecast, pm.objectives, None, as_of_label(pm.ctx.as_of))
