"""Shared look of every figure: Italian separators, colours of the bands, fonts."""
from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from domain.codes import natural_key  # noqa: F401 (re-exported: charts use it from here)
from metrics.fmt import PLOTLY_SEPARATORS, fmt_date
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


def natural_order(codes: Iterable[object]) -> list[int]:
    """Positions of ``codes`` in natural order (stable)."""
    codes = list(codes)
    return sorted(range(len(codes)), key=lambda i: natural_key(codes[i]))


def wrap(text: object, width: int, max_lines: int | None = None) -> str:
    """Text broken on words into lines of about ``width`` characters, joined with ``<br>`` (Plotly);
    beyond ``max_lines`` the last line ends with «…». Never cuts a word unless it is longer than a line."""
    lines = textwrap.wrap(" ".join(str(text or "").split()), width, break_long_words=True, break_on_hyphens=False)
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" ,;.:-") + "…"
    return "<br>".join(lines)


def _as_date(d: object) -> dt.date | None:
    if d is None or d is pd.NaT or (isinstance(d, float) and math.isnan(d)):
        return None
    if isinstance(d, pd.Timestamp):
        return d.date()
    if isinstance(d, dt.datetime):
        return d.date()
    return d if isinstance(d, dt.date) else None


MONTH_MS = 30.44 * 86_400_000


def date_axis(fig: go.Figure, dates: Iterable[object], as_of: dt.date | None = None, **kw) -> go.Figure:
    """A date x axis whose ticks are all different: an explicit range around the dates (at least
    about a month, so coinciding deadlines do not make Plotly zoom into hours and print the same
    day on every tick), ticks every week / month / quarter / year by span, Italian formats."""
    ds = [d for d in map(_as_date, dates) if d is not None] + ([as_of] if as_of else [])
    if not ds:
        return fig
    lo, hi = min(ds), max(ds)
    span = (hi - lo).days
    pad = dt.timedelta(days=max(12, round(span * 0.05)))
    lo, hi = lo - pad, hi + pad
    total = (hi - lo).days
    if total <= 70:
        tick = dict(dtick=7 * 86_400_000, tick0="2000-01-03", tickformat="%d/%m/%Y")   # Mondays
    elif total <= 130:
        tick = dict(dtick="M1", tick0="2000-01-01", tickformat="%m/%Y")
    elif total <= 400:
        tick = dict(dtick="M3", tick0="2000-01-01", tickformat="%m/%Y")
    elif total <= 3 * 366:
        tick = dict(dtick="M6", tick0="2000-01-01", tickformat="%m/%Y")
    else:
        tick = dict(dtick="M12", tick0="2000-01-01", tickformat="%Y")
    fig.update_xaxes(type="date", range=[lo.isoformat(), hi.isoformat()], title=None, **tick, **kw)
    return fig


def as_of_line(fig: go.Figure, as_of: dt.date, label: bool = True, label_y: float = 1.0,
               dates: list | None = None) -> go.Figure:
    """The dashed as-of line at the as-of *date* (an ISO date string: a millisecond timestamp
    would carry the server's time zone and sit hours away from the points on a short axis).
    Its label ends at the line; with the chart's ``dates``, it begins there when the line is in the
    left half (a label ending near the left edge was cut off)."""
    x = as_of.isoformat()
    xanchor = "right"
    known = [d for d in (dates or []) if d is not None and d == d]
    if known:
        lo, hi = min(known + [as_of]), max(known + [as_of])
        if (as_of - lo).days * 2 < (hi - lo).days:
            xanchor = "left"
    fig.add_shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                  line=dict(color="#555", dash="dash", width=1.5), layer="below")
    if label:
        fig.add_annotation(x=x, y=label_y, xref="x", yref="paper", yanchor="bottom", xanchor=xanchor, showarrow=False,
                           text=f"al {fmt_date(as_of)}", font=dict(size=12, color="#333"),
                           bgcolor="rgba(255,255,255,0.85)")
    return fig


__all__ = ["MONTH_MS", "as_of_line", "date_axis", "natural_key", "natural_order", "wrap", "BAND_COLORS", "BAND_GREEN", "BAND_NONE", "BAND_RED", "BAND_YELLOW", "TIMING_COLORS", "band_color",
           "band_steps", "empty_figure", "style"]
