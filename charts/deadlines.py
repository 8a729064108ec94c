"""Figures of «Scadenze e ritardi»: every dated step on a time axis, the distribution of the
delays, and the roll-ups by month / area / responsible (rule 5)."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.graph_objects as go

from charts.base import TIMING_COLORS, as_of_line, date_axis, empty_figure, natural_key, style
from metrics.deadlines import delay_days
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct

#: How each outcome of rule 5 is named in legends, in drawing order.
TIMING_LABELS = {"in tempo": "In tempo", "in ritardo": "In ritardo", "scaduto": "Scaduto",
                 "in scadenza": "Aperti, termine non superato",   # not yet due, or due on the as-of date itself
                 "n.d.": "Non determinabile (senza data di completamento o neutralizzato)",
                 "da verificare": "Da verificare (completato; le verifiche limitano il ritardo)"}
LEGEND = dict(orientation="h", y=1.02, yanchor="bottom", x=0, traceorder="normal")
ROLLUP_TIMINGS = {"on_time": "in tempo", "late": "in ritardo", "overdue": "scaduto", "upcoming": "in scadenza",
                  "undetermined": "n.d.", "to_verify": "da verificare"}


def _short(text: object, n: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def deadlines_timeline(steps: pd.DataFrame, as_of: dt.date) -> go.Figure:
    """Every dated step on a time axis, one row per step (grouped by objective), the marker at the
    deadline coloured by timing; a segment to the completion date (late) or to the as-of date
    (overdue); the as-of date dashed. customdata[0] = objective code (click → obiettivo)."""
    df = steps[steps["deadline"].notna() & ~steps["continuous"].astype(bool)]
    if df.empty:
        return empty_figure("Nessuno step con termine datato")
    # natural order (1.2 before 1.10), objective by objective, first on top
    df = df.iloc[sorted(range(len(df)), key=lambda i: (natural_key(df["objective_code"].iloc[i]),
                                                       natural_key(df["code"].iloc[i])))]
    y = [f"{o} · {c}" for o, c in zip(df["objective_code"], df["code"])]
    fig = go.Figure()
    seg_x: dict[str, list] = {}
    for yi, d, c, t in zip(y, df["deadline"], df["completed_on"], df["timing"]):
        end = c if t in ("in ritardo", "in tempo") else as_of if t == "scaduto" else None
        if end is not None:
            seg_x.setdefault(t, []).extend([d, end, None])
            seg_x.setdefault(t + "_y", []).extend([yi, yi, None])
    for t in ("in tempo", "in ritardo", "scaduto"):
        if t in seg_x:
            fig.add_trace(go.Scatter(x=seg_x[t], y=seg_x[t + "_y"], mode="lines", showlegend=False, hoverinfo="skip",
                                     line=dict(color=TIMING_COLORS[t], width=3)))
    df = df.assign(_y=y)
    for t, label in TIMING_LABELS.items():
        g = df[df["timing"] == t]
        if g.empty:
            continue
        delay = [fmt_days(s) if t == "in ritardo" else fmt_days(o) if t == "scaduto" else ""
                 for s, o in zip(g["slip_days"], g["overdue_days"])]
        fig.add_trace(go.Scatter(
            x=g["deadline"], y=g["_y"], mode="markers", name=label,
            marker=dict(symbol="diamond", size=11, color=TIMING_COLORS[t], line=dict(width=1, color="white")),
            customdata=list(zip(g["objective_code"], g["deadline"].map(fmt_date),
                                g["description"].map(lambda s: _short(s, 90)),
                                g["completed_on"].map(lambda v: fmt_date(v, "")), delay)),
            hovertemplate="<b>%{y}</b> " + label.split(" (")[0].lower() + "<br>%{customdata[2]}"
                          "<br>Termine %{customdata[1]}<br>Completato il %{customdata[3]}"
                          "<br>Ritardo %{customdata[4]}<extra></extra>"))
    as_of_line(fig, as_of)
    date_axis(fig, list(df["deadline"]) + list(df["completed_on"]), as_of, showgrid=True)
    fig.update_yaxes(title=None, type="category", categoryorder="array", categoryarray=y[::-1], automargin=True,
                     tickfont=dict(size=12))
    fig = style(fig, max(300, 20 * len(df) + 190))
    # the title, then the legend under it, then the as-of label: three bands that never overlap
    fig.update_layout(title=dict(text="Scadenze degli step", x=0, xanchor="left", y=1, yref="container",
                                 yanchor="top", pad=dict(t=8)),
                      legend=dict(orientation="h", x=0, xanchor="left", y=1, yref="container", yanchor="top",
                                  traceorder="normal", entrywidthmode="pixels", entrywidth=0),
                      showlegend=True, margin=dict(t=40 + 28 * _legend_rows(len(fig.data)) + 26))
    fig.update_layout(legend=dict(y=1 - 38 / fig.layout.height))
    return fig


def _legend_rows(n_items: int) -> int:
    """Rows of the horizontal legend (long Italian labels: two per row on a narrow screen)."""
    return max(1, math.ceil(n_items / 2))


def delay_histogram(steps: pd.DataFrame, bin_days: int | None = None) -> go.Figure:
    """Distribution of the days of delay: late steps (completed after the deadline) and overdue ones."""
    d = steps.assign(delay=delay_days(steps))
    d = d[d["delay"].notna()]
    if d.empty:
        return empty_figure("Nessuno step in ritardo o scaduto")
    span = float(d["delay"].max())
    size = bin_days or (7 if span <= 60 else 15 if span <= 180 else 30)
    fig = go.Figure()
    for t in ("in ritardo", "scaduto"):
        g = d[d["timing"] == t]
        if len(g):
            fig.add_trace(go.Histogram(
                x=g["delay"].astype(float), name=TIMING_LABELS[t], marker_color=TIMING_COLORS[t],
                xbins=dict(start=0, size=size),
                hovertemplate="%{x} giorni: %{y} step<extra>" + TIMING_LABELS[t] + "</extra>"))
    fig.update_layout(barmode="stack", bargap=0.05, showlegend=True, legend=LEGEND)
    fig.update_xaxes(title=f"giorni di ritardo (classi di {size} giorni)", rangemode="tozero")
    fig.update_yaxes(title="step", dtick=1 if len(d) <= 10 else None)
    fig = style(fig, 340, "Distribuzione dei giorni di ritardo")
    fig.update_layout(margin=dict(t=80))
    return fig


def timing_bars(rollup: pd.DataFrame, by: str, title: str, horizontal: bool = False,
                label_len: int = 45) -> go.Figure:
    """Stacked counts of steps by outcome of rule 5 for each group of a roll-up
    (:func:`metrics.deadlines.rollup`); hover with shares and median / maximum delay."""
    if rollup.empty or int(rollup["steps"].sum()) == 0:
        return empty_figure("Nessuno step con termine datato")
    labels = [_short(v, label_len) for v in rollup[by]]
    info = list(zip(rollup[by].astype(str), rollup["on_time_pct"].map(fmt_pct), rollup["late_pct"].map(fmt_pct),
                    rollup["overdue_pct"].map(fmt_pct), rollup["median_delay"].map(fmt_days),
                    rollup["max_delay"].map(fmt_days), rollup["steps"].map(fmt_int)))
    fig = go.Figure()
    for col, t in ROLLUP_TIMINGS.items():
        v = rollup[col].astype(int)
        if int(v.sum()) == 0:
            continue
        name = TIMING_LABELS[t].split(" (")[0]
        fig.add_trace(go.Bar(
            x=v if horizontal else labels, y=labels if horizontal else v, orientation="h" if horizontal else "v",
            name=name, marker_color=TIMING_COLORS[t], customdata=info,
            hovertemplate="<b>%{customdata[0]}</b><br>" + name + ": %{" + ("x" if horizontal else "y") + "} step "
                          "su %{customdata[6]}<br>In tempo %{customdata[1]} · in ritardo %{customdata[2]} · "
                          "scaduti %{customdata[3]}<br>Ritardo mediano %{customdata[4]}, massimo %{customdata[5]}"
                          "<extra></extra>"))
    fig.update_layout(barmode="stack", showlegend=True, legend=LEGEND)
    if horizontal:
        fig.update_yaxes(autorange="reversed", automargin=True, title=None, type="category")
        fig.update_xaxes(title="step", rangemode="tozero")
        height = max(260, 34 * len(rollup) + 130)
    else:
        fig.update_xaxes(title=None, type="category")
        fig.update_yaxes(title="step", rangemode="tozero")
        height = 360
    fig = style(fig, height, title)
    fig.update_layout(margin=dict(t=80))
    return fig


def delay_summary_text(summary: dict) -> str:
    """One Italian line with the roll-up of rule 5 (for captions and exports)."""
    if not summary.get("judged"):
        return "Nessuno step valutabile per i tempi."
    return (f"{fmt_int(summary['judged'])} step valutati: {fmt_pct(summary['on_time_pct'])} in tempo, "
            f"{fmt_pct(summary['late_pct'])} in ritardo, {fmt_pct(summary['overdue_pct'])} scaduti; "
            f"ritardo mediano {fmt_days(summary['median_delay'])}, massimo {fmt_days(summary['max_delay'])}.")
