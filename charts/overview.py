"""Figures of the «Panoramica»: plan gauge, objectives ranked, points at risk."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import band_color, band_steps, empty_figure, style, wrap
from metrics.fmt import fmt_pct
from metrics.settings import BAND_NONE, DEFAULT, Settings


#: Caption of a gauge or bar without a value (issue 8 passes its own, e.g. «in attesa del primo monitoraggio»).
NO_VALUE = "non calcolabile: nessun obiettivo valutabile"


def achievement_gauge(value: float | None, settings: Settings = DEFAULT, title: str = "Raggiungimento del piano",
                      height: int = 260, missing_caption: str = NO_VALUE) -> go.Figure:
    """Gauge of the plan achievement against the colour bands. Without a value (``None``): a grey
    gauge with ``missing_caption`` wrapped inside it, never a text wider than the figure."""
    no_value = value is None or pd.isna(value)
    gauge = dict(axis=dict(range=[0, 100], ticksuffix="%", tickfont=dict(size=12),
                           tickvals=[0, 25, 50, 75, 100], ticktext=["0%", "25%", "50%", "75%", "100%"]),
                 bar=dict(color="#1f4e79", thickness=0.3), steps=band_steps(settings),
                 threshold=dict(line=dict(color="#1f4e79", width=3), thickness=0.8, value=value))
    if no_value:
        gauge.update(bar=dict(color="rgba(0,0,0,0)", thickness=0.3),
                     steps=[dict(range=[0, 100], color="#e0e0e0")], threshold=None)
        gauge.pop("threshold")
    fig = go.Figure(go.Indicator(
        mode="gauge" if no_value else "gauge+number", value=None if no_value else value,
        number=dict(suffix="%", valueformat=".1f", font=dict(size=min(44, max(20, height // 7)))),
        title=dict(text=title, font=dict(size=16)) if title else None, gauge=gauge,
        domain=dict(x=[0, 1], y=[0, 1])))
    if no_value:
        fig.add_annotation(text=wrap(missing_caption, 22, 3), showarrow=False, x=0.5, y=0.12, xref="paper",
                           yref="paper", yanchor="bottom", font=dict(size=14, color="#424242"), align="center")
    style(fig, height)
    # room for the «0%» and «100%» tick labels at the ends of the arc
    fig.update_layout(margin=dict(l=40, r=40, t=60 if title else 30, b=10))
    return fig


def objectives_ranking(objectives: pd.DataFrame, height: int | None = None,
                       missing_caption: str | None = None) -> go.Figure:
    """Objectives ranked by achievement, the worst on top (what a board must see first), coloured by
    band; customdata[0] = objective code (click → drilldown). Objectives without an achievement are
    left out, or with ``missing_caption`` shown last as grey bars carrying that caption."""
    df = objectives[objectives["achievement"].notna()].sort_values("achievement", kind="stable")
    rest = objectives[objectives["achievement"].isna()] if missing_caption else objectives.iloc[0:0]
    if df.empty and rest.empty:
        return empty_figure("Nessun obiettivo valutabile per l'anno scelto")
    df = pd.concat([df, rest])
    labels = [f"{c} · {t[:55]}{'…' if len(t) > 55 else ''}" for c, t in zip(df["code"], df["title"])]
    values = [0.0 if pd.isna(v) else float(v) for v in df["achievement"]]
    colors = [band_color(b) if pd.notna(v) else band_color(BAND_NONE) for b, v in zip(df["band"], df["achievement"])]
    text = [fmt_pct(v) if pd.notna(v) else missing_caption for v in df["achievement"]]
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", marker_color=colors,
        text=text, textposition="outside", cliponaxis=False,
        customdata=list(zip(df["code"], df["weight_pct"].map(fmt_pct), text)),
        hovertemplate="<b>%{y}</b><br>Raggiungimento %{customdata[2]}<br>Peso %{customdata[1]}<extra></extra>"))
    fig.update_xaxes(range=[0, 112], ticksuffix="%", title=None)
    # first row (the worst) on top
    fig.update_yaxes(title=None, automargin=True, type="category", categoryorder="array",
                     categoryarray=labels[::-1])
    n = len(df)
    fig = style(fig, height or max(260, 34 * n + 60), "Obiettivi per raggiungimento")
    if height:
        fig.update_yaxes(tickfont=dict(size=12 if (height - 60) / max(n, 1) >= 22 else 10))
    return fig


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
