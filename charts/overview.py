"""Figures of the «Panoramica»: plan gauge, objectives ranked, points at risk."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import band_color, band_steps, empty_figure, style
from metrics.fmt import fmt_pct
from metrics.settings import DEFAULT, Settings


def achievement_gauge(value: float | None, settings: Settings = DEFAULT, title: str = "Raggiungimento del piano",
                      height: int = 260) -> go.Figure:
    """Gauge of the plan achievement against the colour bands."""
    if value is None:
        return empty_figure("Raggiungimento non calcolabile: nessun obiettivo valutabile", height)
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=value, number=dict(suffix="%", valueformat=".1f", font=dict(size=44)),
        title=dict(text=title, font=dict(size=16)),
        gauge=dict(axis=dict(range=[0, 100], ticksuffix="%"), bar=dict(color="#1f4e79", thickness=0.3),
                   steps=band_steps(settings),
                   threshold=dict(line=dict(color="#1f4e79", width=3), thickness=0.8, value=value))))
    return style(fig, height)


def objectives_ranking(objectives: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Objectives ranked by achievement, coloured by band; customdata[0] = objective code (click → drilldown)."""
    df = objectives[objectives["achievement"].notna()].sort_values("achievement")
    if df.empty:
        return empty_figure("Nessun obiettivo valutabile per l'anno scelto")
    labels = [f"{c} · {t[:55]}{'…' if len(t) > 55 else ''}" for c, t in zip(df["code"], df["title"])]
    fig = go.Figure(go.Bar(
        x=df["achievement"], y=labels, orientation="h", marker_color=[band_color(b) for b in df["band"]],
        text=[fmt_pct(v) for v in df["achievement"]], textposition="outside", cliponaxis=False,
        customdata=list(zip(df["code"], df["weight_pct"].map(fmt_pct))),
        hovertemplate="<b>%{y}</b><br>Raggiungimento %{x:.1f}%<br>Peso %{customdata[1]}<extra></extra>"))
    fig.update_xaxes(range=[0, 112], ticksuffix="%", title=None)
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, height or max(260, 34 * len(df) + 60), "Obiettivi per raggiungimento")


def risk_points(steps: pd.DataFrame, top: int = 12) -> go.Figure:
    """Steps that cost the plan most points (punti a rischio); customdata[0] = objective code."""
    df = steps[steps["points_at_risk"] > 1e-9].nlargest(top, "points_at_risk").iloc[::-1]
    if df.empty:
        return empty_figure("Nessuno step a rischio: tutti gli step dell'anno sono raggiunti")
    fig = go.Figure(go.Bar(
        x=df["points_at_risk"], y=[f"{c} ({o})" for c, o in zip(df["code"], df["objective_code"])], orientation="h",
        marker_color=["#c62828" if t == "scaduto" else "#ef6c00" if t == "in ritardo" else "#90a4ae" for t in df["timing"]],
        customdata=list(zip(df["objective_code"], df["status"], df["description"].str.slice(0, 80))),
        hovertemplate="<b>%{y}</b><br>%{customdata[2]}<br>Stato: %{customdata[1]}<br>"
                      "Punti a rischio: %{x:.2f}<extra></extra>"))
    fig.update_xaxes(title="punti del piano a rischio")
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, max(260, 30 * len(df) + 80), "Punti a rischio")
