"""Shared look of every figure: Italian separators, colours of the bands, fonts."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from metrics.fmt import PLOTLY_SEPARATORS
from metrics.settings import BAND_COLORS, BAND_GREEN, BAND_NONE, BAND_RED, BAND_YELLOW, DEFAULT, Settings

TIMING_COLORS = {"in tempo": "#2e7d32", "in ritardo": "#ef6c00", "scaduto": "#c62828", "in scadenza": "#1565c0",
                 "n.d.": "#9e9e9e", "da verificare": "#ffb74d"}   # da verificare: bounded by verifications (rule 5)
# Set once: applying a template per figure costs ~13 ms each.
pio.templates.default = "plotly_white"
FONT = dict(family="Source Sans Pro, Segoe UI, Arial, sans-serif", size=14)


def style(fig: go.Figure, height: int | None = None, title: str | None = None) -> go.Figure:
    fig.update_layout(separators=PLOTLY_SEPARATORS, font=FONT, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
                      hoverlabel=dict(font_size=13))
    if title:
        fig.update_layout(title=dict(text=title, x=0, xanchor="left"))
    if height:
        fig.update_layout(height=height)
    return fig


def band_color(band: str) -> str:
    return BAND_COLORS.get(band, BAND_COLORS[BAND_NONE])


def band_steps(settings: Settings = DEFAULT) -> list[dict]:
    """Background steps of a gauge/bullet: rosso, giallo, verde."""
    return [dict(range=[0, settings.yellow_from], color="#ffcdd2"),
            dict(range=[settings.yellow_from, settings.green_from], color="#fff3c4"),
            dict(range=[settings.green_from, 100], color="#c8e6c9")]


def empty_figure(message: str, height: int = 240) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16, color="#666"), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height)


__all__ = ["BAND_COLORS", "BAND_GREEN", "BAND_NONE", "BAND_RED", "BAND_YELLOW", "TIMING_COLORS", "band_color",
           "band_steps", "empty_figure", "style"]
