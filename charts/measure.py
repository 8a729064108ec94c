"""Figures of the measuring system: the grey «in attesa» gauge and bars, the year-end forecast, the presets
compared side by side. Pure builders (DataFrame/values → Figure)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import empty_figure, style
from domain.status import OBJ_NOT_MONITORED, OBJ_WAITING_VALUES, WAITING_FIRST_MONITORING, WAITING_VALUES
from metrics.fmt import fmt_num, fmt_pct
from metrics.settings import BAND_COLORS, BAND_NONE

GREY = BAND_COLORS[BAND_NONE]
WAITING = {OBJ_NOT_MONITORED: WAITING_FIRST_MONITORING, OBJ_WAITING_VALUES: WAITING_VALUES}


def waiting_gauge(text: str, height: int = 220) -> go.Figure:
    """A grey gauge with no needle: the plan has no value yet («in attesa del primo monitoraggio»), the text
    wrapped inside the gauge (:func:`charts.overview.achievement_gauge` without a value)."""
    from charts.overview import achievement_gauge

    return achievement_gauge(None, title="", height=height, missing_caption=text)


def waiting_objectives(objectives: pd.DataFrame) -> pd.DataFrame:
    """Objectives that wait for their first value (non monitorati, indicatori senza valori)."""
    return objectives[objectives["status"].isin(list(WAITING))]


def ranking_with_waiting(ranking: go.Figure, objectives: pd.DataFrame) -> go.Figure:
    """The objectives ranking with the waiting objectives added as grey bars labelled «in attesa…»
    (never a red 0%). Returns a new figure."""
    w = waiting_objectives(objectives)
    if w.empty:
        return ranking
    labels = [f"{c} · {t[:55]}{'…' if len(t) > 55 else ''}" for c, t in zip(w["code"], w["title"])]
    texts = [WAITING[s] for s in w["status"]]
    if not any(len(getattr(tr, "x", None) or []) for tr in ranking.data):
        fig = go.Figure()
        fig = style(fig, max(260, 34 * len(w) + 60), "Obiettivi per raggiungimento")
    else:
        fig = go.Figure(ranking)
        fig.update_layout(height=(fig.layout.height or 260) + 34 * len(w))
    fig.add_trace(go.Bar(
        x=[100.0] * len(w), y=labels, orientation="h", marker_color="#e0e0e0", name="in attesa",
        text=texts, textposition="inside", insidetextanchor="start", textfont=dict(color="#616161"),
        customdata=list(zip(w["code"], w["weight_pct"].map(fmt_pct))),
        hovertemplate="<b>%{y}</b><br>%{text}<br>Peso %{customdata[1]}<extra></extra>"))
    fig.update_xaxes(range=[0, 112], ticksuffix="%", title=None)
    fig.update_yaxes(title=None, automargin=True)
    fig.update_layout(showlegend=False)
    return fig


def forecast_figure(current: float | None, forecast: dict | None, objectives: pd.DataFrame | None = None,
                    height: int | None = None, current_label: str = "oggi") -> go.Figure:
    """Previsione a fine anno: for the plan (and each objective) the range low–high, the expected value
    and the value at the as-of date (``current_label``: «oggi» only when the as-of is today, else «al 31/08/2023»:
    :func:`metrics.fmt.as_of_label`)."""
    if not forecast or forecast.get("expected") is None:
        return empty_figure("Previsione non disponibile: la data di monitoraggio è la fine dell'anno")
    rows = [("Piano", current, forecast["low"], forecast["expected"], forecast["high"])]
    if objectives is not None:
        for _, o in objectives.iterrows():
            if pd.notna(o.get("fc_expected")):
                a = o["achievement"]
                rows.append((f"{o['code']} · {str(o['title'])[:45]}", None if pd.isna(a) else float(a),
                             float(o["fc_low"]), float(o["fc_expected"]), float(o["fc_high"])))
    rows = rows[::-1]
    labels = [r[0] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=[r[4] - r[2] for r in rows], base=[r[2] for r in rows], orientation="h",
        marker_color="#bbdefb", name="intervallo (minimo–massimo)",
        customdata=[(fmt_pct(r[2]), fmt_pct(r[4])) for r in rows],
        hovertemplate="<b>%{y}</b><br>tra %{customdata[0]} e %{customdata[1]}<extra></extra>"))
    fig.add_trace(go.Scatter(
        y=labels, x=[r[3] for r in rows], mode="markers+text", name="previsione attesa",
        marker=dict(symbol="diamond", size=13, color="#1565c0"), text=[fmt_pct(r[3]) for r in rows],
        textposition="top center", hovertemplate="<b>%{y}</b><br>attesa %{x:.1f}%<extra></extra>"))
    cur = [(lab, r[1]) for lab, r in zip(labels, rows) if r[1] is not None]
    if cur:
        fig.add_trace(go.Scatter(
            y=[c[0] for c in cur], x=[c[1] for c in cur], mode="markers", name=f"avanzamento {current_label}",
            marker=dict(symbol="line-ns-open", size=18, line=dict(width=3), color="#424242"),
            hovertemplate=f"<b>%{{y}}</b><br>avanzamento {current_label} %{{x:.1f}}%<extra></extra>"))
    fig.update_xaxes(range=[0, 105], ticksuffix="%", title=None)
    fig.update_yaxes(title=None, automargin=True)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0), barmode="overlay")
    fig = style(fig, height or max(240, 38 * len(rows) + 110), "Previsione a fine anno")
    fig.update_layout(margin=dict(t=80))
    return fig


def presets_comparison(table: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Objective scores under each preset, side by side. ``table``: ``code``, ``title`` and one column
    per preset name (score, NaN = no value)."""
    presets = [c for c in table.columns if c not in ("code", "title")]
    if table.empty or not presets:
        return empty_figure("Nessun obiettivo con un valore da confrontare")
    fig = go.Figure()
    palette = ["#1f4e79", "#ef6c00", "#2e7d32", "#6a1b9a"]
    labels = [f"Obiettivo {c}" for c in table["code"]]
    for i, p in enumerate(presets):
        fig.add_trace(go.Bar(x=labels, y=table[p], name=p, marker_color=palette[i % len(palette)],
                             text=[fmt_num(v, 0) if pd.notna(v) else "" for v in table[p]], textposition="outside",
                             textfont=dict(size=11), customdata=[str(t)[:90] for t in table["title"]],
                             hovertemplate="%{x}: %{customdata}<br>" + p + ": %{y:.1f} punti<extra></extra>"))
    fig.update_yaxes(range=[0, 115], title="punti")
    fig.update_xaxes(title=None, tickangle=0)
    fig.update_layout(barmode="group", bargroupgap=0.08, legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    fig = style(fig, height or 380, "Punteggio degli obiettivi per profilo")
    fig.update_layout(margin=dict(t=90))
    return fig

