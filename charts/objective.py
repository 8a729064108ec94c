"""Figures of the objective drill-down: steps timeline and contribution waterfall."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from charts.base import TIMING_COLORS, as_of_line, date_axis, empty_figure, natural_order, style
from metrics.fmt import fmt_date, fmt_pct


def steps_timeline(steps: pd.DataFrame, as_of: dt.date, height: int | None = None,
                   title: str | None = "Cronoprogramma degli step") -> go.Figure:
    """Deadline (◆) vs completion (●) for each dated step, a line to the as-of date; late in red.
    Steps in natural code order from the top (A.1, A.2 … A.10); every tick a different date."""
    df = steps[steps["deadline"].notna()]
    if df.empty:
        return empty_figure("Nessuno step con termine datato (solo attività continuative)", height or 240)
    df = df.iloc[natural_order(df["code"])]
    y = df["code"].astype(str)
    fig = go.Figure()
    end = [c if c is not None else (as_of if t == "scaduto" else None) for c, t in zip(df["completed_on"], df["timing"])]
    for yi, d, e, t in zip(y, df["deadline"], end, df["timing"]):
        if e is not None and e != d:
            fig.add_trace(go.Scatter(x=[d, e], y=[yi, yi], mode="lines", showlegend=False, hoverinfo="skip",
                                     line=dict(color=TIMING_COLORS.get(t, "#9e9e9e"), width=3)))
    fig.add_trace(go.Scatter(
        x=df["deadline"], y=y, mode="markers", name="Termine", marker=dict(symbol="diamond", size=13, color="#1f4e79"),
        customdata=list(zip(df["objective_code"], df["deadline"].map(fmt_date), df["description"].str.slice(0, 80))),
        hovertemplate="<b>%{y}</b> %{customdata[2]}<br>Termine %{customdata[1]}<extra></extra>"))
    dates = list(df["deadline"]) + list(df["completed_on"])
    if df["revised_deadline"].notna().any():
        r = df[df["revised_deadline"].notna()]
        dates += list(r["revised_deadline"])
        fig.add_trace(go.Scatter(x=r["revised_deadline"], y=r["code"].astype(str), mode="markers", name="Nuovo termine",
                                 marker=dict(symbol="diamond-open", size=13, color="#6a1b9a"),
                                 hovertemplate="Nuovo termine %{x|%d/%m/%Y}<extra></extra>"))
    c = df[df["completed_on"].notna()]
    if len(c):
        fig.add_trace(go.Scatter(
            x=c["completed_on"], y=c["code"].astype(str), mode="markers", name="Completato",
            marker=dict(size=12, color=[TIMING_COLORS.get(t, "#2e7d32") for t in c["timing"]]),
            hovertemplate="Completato il %{x|%d/%m/%Y}<extra></extra>"))
    as_of_line(fig, as_of, dates=[d for d in dates if pd.notna(d)])
    date_axis(fig, dates, as_of)
    fig.update_yaxes(title=None, type="category", categoryorder="array", categoryarray=list(y)[::-1],
                     automargin=True)
    # the legend in the bottom margin, under the tick labels (never on them)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))
    fig = style(fig, height or max(260, 38 * len(df) + 150), title)
    fig.update_layout(margin=dict(t=70 if title else 34, b=58))
    return fig


def contribution_waterfall(steps: pd.DataFrame, achievement: float | None) -> go.Figure:
    """How each step due in the year adds to the objective's achievement (peso anno × raggiungimento)."""
    df = steps[steps["due_in_year"] & ~steps["neutralized"]]
    if df.empty or achievement is None:
        return empty_figure("Obiettivo non valutabile o neutralizzato nell'anno scelto")
    contrib = df["year_weight"] * df["achievement"] / 100.0
    fig = go.Figure(go.Waterfall(
        x=list(df["code"].astype(str)) + ["Obiettivo"], measure=["relative"] * len(df) + ["total"],
        y=list(contrib) + [achievement], text=[fmt_pct(v) for v in contrib] + [fmt_pct(achievement)],
        textposition="outside", connector=dict(line=dict(color="#bbb")),
        increasing=dict(marker=dict(color="#2e7d32")), totals=dict(marker=dict(color="#1f4e79")),
        customdata=[[fmt_pct(w), fmt_pct(a)] for w, a in zip(df["year_weight"], df["achievement"])] + [["", ""]],
        hovertemplate="<b>%{x}</b><br>Contributo %{y:.1f} punti<br>Peso anno %{customdata[0]}, "
                      "raggiungimento %{customdata[1]}<extra></extra>"))
    fig.update_yaxes(range=[0, 112], ticksuffix="%", title=None)
    return style(fig, 340, "Contributo degli step al raggiungimento")
