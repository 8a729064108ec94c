"""Figures of the «Confronto»: change of each objective's achievement between two results."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import empty_figure, style
from metrics.fmt import fmt_delta, fmt_pct

UP, DOWN, SAME = "#2e7d32", "#c62828", "#9e9e9e"


def _label(code: object, title: object, width: int = 36) -> str:
    t = "" if title is None or (isinstance(title, float) and pd.isna(title)) else str(title)
    return f"{code} · {t[:width]}{'…' if len(t) > width else ''}"


def delta_bars(objectives: pd.DataFrame, before_label: str, after_label: str, height: int | None = None) -> go.Figure:
    """Bars of ``delta`` (points of achievement gained or lost) per objective, in the order given
    (top to bottom); green up, red down. ``objectives`` is :func:`metrics.compare.objective_deltas`.
    customdata[0] = objective code (click → drill-down)."""
    df = objectives[objectives["delta"].notna()]
    if df.empty:
        return empty_figure("Nessun obiettivo valutabile in entrambi i momenti: variazioni non calcolabili")
    df = df.iloc[::-1]
    colors = [UP if d > 1e-9 else DOWN if d < -1e-9 else SAME for d in df["delta"]]
    fig = go.Figure(go.Bar(
        x=df["delta"], y=[_label(c, t) for c, t in zip(df["code"], df["title"])], orientation="h",
        marker_color=colors, text=[fmt_delta(d, unit="") for d in df["delta"]], textposition="outside", cliponaxis=False,
        customdata=list(zip(df["code"], df["achievement_before"].map(fmt_pct), df["achievement_after"].map(fmt_pct),
                            df["delta"].map(fmt_delta))),
        hovertemplate=(f"<b>%{{y}}</b><br>{before_label}: %{{customdata[1]}}<br>{after_label}: %{{customdata[2]}}"
                       "<br>Variazione: %{customdata[3]}<extra></extra>")))
    span = max(10.0, float(df["delta"].abs().max()))
    low = -span * 1.3 if (df["delta"] < -1e-9).any() else -span * 0.05
    fig.update_xaxes(range=[low, span * 1.35], title="variazione (punti percentuali)",
                     zeroline=True, zerolinecolor="#555", zerolinewidth=1)
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, height or max(260, 38 * len(df) + 110), f"Variazione: {before_label} → {after_label}")


def before_after_bars(objectives: pd.DataFrame, before_label: str, after_label: str,
                      height: int | None = None) -> go.Figure:
    """Achievement of each objective at the two moments, grouped bars (0–100%)."""
    df = objectives[objectives["achievement_before"].notna() | objectives["achievement_after"].notna()]
    if df.empty:
        return empty_figure("Nessun obiettivo valutabile nei due momenti confrontati")
    df = df.iloc[::-1]
    y = [_label(c, t) for c, t in zip(df["code"], df["title"])]
    fig = go.Figure()
    # horizontal groups stack the first trace at the bottom: add «after» first so «before» reads first
    for col, name, color in (("achievement_after", after_label, "#1f4e79"), ("achievement_before", before_label, "#90a4ae")):
        fig.add_trace(go.Bar(
            x=df[col], y=y, orientation="h", name=name, marker_color=color,
            text=[fmt_pct(v) for v in df[col]], textposition="outside", cliponaxis=False,
            customdata=list(zip(df["code"])),
            hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{x:.1f}}%<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.12, traceorder="reversed"))
    fig.update_xaxes(range=[0, 128], title=None, tickvals=[0, 25, 50, 75, 100], ticktext=["0%", "25%", "50%", "75%", "100%"])
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, height or max(280, 56 * len(df) + 120), "Raggiungimento nei due momenti")
