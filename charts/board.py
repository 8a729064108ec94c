"""Figures of the board presentation and of the HTML report: achievement by group
(area, responsabile, tipo) and the timing of the year's steps."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import TIMING_COLORS, band_color, empty_figure, style
from metrics.fmt import fmt_int, fmt_pct

TIMING_ORDER = ["in tempo", "in ritardo", "da verificare", "scaduto", "in scadenza", "n.d."]
TIMING_NAMES = {"in tempo": "In tempo", "in ritardo": "In ritardo", "scaduto": "Scaduti",
                "in scadenza": "Non ancora scaduti", "n.d.": "Non valutabili",
                "da verificare": "Da verificare"}


def group_bars(df: pd.DataFrame, title: str, height: int | None = None) -> go.Figure:
    """Achievement of groups (``label``, ``achievement`` 0–100, ``band``, ``objectives``), in the given order."""
    if df.empty or df["achievement"].notna().sum() == 0:
        return empty_figure("Nessun gruppo valutabile per l'anno scelto")
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["achievement"], y=d["label"], orientation="h", marker_color=[band_color(b) for b in d["band"]],
        text=[fmt_pct(v) for v in d["achievement"]], textposition="outside", cliponaxis=False,
        customdata=[fmt_int(n) for n in d["objectives"]],
        hovertemplate="<b>%{y}</b><br>Raggiungimento %{x:.1f}%<br>Obiettivi: %{customdata}<extra></extra>"))
    fig.update_xaxes(range=[0, 112], ticksuffix="%", title=None)
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, height or max(240, 42 * len(d) + 80), title)


def timing_doughnut(steps: pd.DataFrame, title: str = "Tempi degli step dell'anno", height: int = 340) -> go.Figure:
    """Steps due in the year by timing (in tempo, in ritardo, scaduti, non ancora scaduti, non valutabili)."""
    due = steps[steps["due_in_year"]] if "due_in_year" in steps else steps
    counts = [int((due["timing"] == t).sum()) for t in TIMING_ORDER]
    if sum(counts) == 0:
        return empty_figure("Nessuno step con termine nell'anno", height)
    fig = go.Figure(go.Pie(
        labels=[TIMING_NAMES[t] for t in TIMING_ORDER], values=counts, hole=0.55, sort=False, direction="clockwise",
        marker=dict(colors=[TIMING_COLORS[t] for t in TIMING_ORDER]), textinfo="value",
        hovertemplate="%{label}: %{value} step (%{percent})<extra></extra>"))
    fig.add_annotation(text=f"{fmt_int(sum(counts))}<br>step", showarrow=False, font=dict(size=20), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_layout(legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.05))
    return style(fig, height, title)
