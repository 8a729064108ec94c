"""Figures of the board presentation and of the HTML report: achievement by group
(area, responsabile, tipo) and the timing of the year's steps."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import TIMING_COLORS, band_color, empty_figure, style, wrap
from metrics.settings import BAND_NONE
from metrics.fmt import fmt_int, fmt_pct

TIMING_ORDER = ["in tempo", "in ritardo", "da verificare", "scaduto", "in scadenza", "n.d."]
TIMING_NAMES = {"in tempo": "In tempo", "in ritardo": "In ritardo", "scaduto": "Scaduti",
                "in scadenza": "Aperti, termine non superato", "n.d.": "Non valutabili",
                "da verificare": "Da verificare"}


def group_bars(df: pd.DataFrame, title: str, height: int | None = None, missing_caption: str | None = None,
               label_width: int = 28) -> go.Figure:
    """Achievement of groups (``label``, ``achievement`` 0–100, ``band``, ``objectives``), in the given
    order, first on top. A group without achievement is a grey bar captioned ``missing_caption`` when
    given (else «n.v.»); labels are wrapped on words (two lines at most)."""
    if df.empty or (df["achievement"].notna().sum() == 0 and not missing_caption):
        return empty_figure("Nessun gruppo valutabile per l'anno scelto", height or 240)
    d = df.iloc[::-1]
    labels = [wrap(v, label_width, 2) for v in d["label"]]
    text = [fmt_pct(v) if pd.notna(v) else (missing_caption or "n.v.") for v in d["achievement"]]
    fig = go.Figure(go.Bar(
        x=[0.0 if pd.isna(v) else float(v) for v in d["achievement"]], y=labels, orientation="h",
        marker_color=[band_color(b) if pd.notna(v) else band_color(BAND_NONE) for b, v in zip(d["band"], d["achievement"])],
        text=text, textposition="outside", cliponaxis=False,
        customdata=list(zip([fmt_int(n) for n in d["objectives"]], text, d["label"])),
        hovertemplate="<b>%{customdata[2]}</b><br>Raggiungimento %{customdata[1]}<br>Obiettivi: %{customdata[0]}"
                      "<extra></extra>"))
    fig.update_xaxes(range=[0, 118], ticksuffix="%", title=None, tickvals=[0, 25, 50, 75, 100])
    fig.update_yaxes(title=None, automargin=True, type="category")
    return style(fig, height or max(240, 42 * len(d) + 80), title)


def timing_doughnut(steps: pd.DataFrame, title: str = "Tempi degli step dell'anno", height: int = 340) -> go.Figure:
    """Steps due in the year by timing (in tempo, in ritardo, scaduti, non ancora scaduti, non valutabili)."""
    due = steps[steps["due_in_year"]] if "due_in_year" in steps else steps
    # only the timings that occur: a zero slice would print a «0» label on top of its neighbour
    shown = [(t, n) for t in TIMING_ORDER if (n := int((due["timing"] == t).sum()))]
    counts = [n for _, n in shown]
    if sum(counts) == 0:
        return empty_figure("Nessuno step con termine nell'anno", height)
    fig = go.Figure(go.Pie(
        labels=[TIMING_NAMES[t] for t, _ in shown], values=counts, hole=0.55, sort=False, direction="clockwise",
        marker=dict(colors=[TIMING_COLORS[t] for t, _ in shown]), textinfo="value",
        hovertemplate="%{label}: %{value} step (%{percent})<extra></extra>"))
    fig.add_annotation(text=f"{fmt_int(sum(counts))}<br>step", showarrow=False, font=dict(size=20), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_layout(legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.05))
    return style(fig, height, title)
