"""Figures of the «Persone» page: individual scores (rule 7) and the person × objective matrix.

Names are shown exactly as stored (the demo data are pseudonymised)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import empty_figure, style
from metrics.fmt import fmt_num, fmt_pct

PARTICIPATION, GRADE, ASSIGNMENT = "participation", "grade", "assignment"


def scores_bar(people: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Individual score (0–10) per person, highest on top; people without grades are left out."""
    df = people[people["score"].notna()].copy()
    if df.empty:
        return empty_figure("Nessuna valutazione individuale: punteggi non calcolabili")
    df["score"] = df["score"].astype("float64")
    df = df.sort_values(["score", "name"], ascending=[True, False])
    fig = go.Figure(go.Bar(
        x=df["score"], y=df["name"].astype(str), orientation="h", marker_color="#1f4e79",
        text=[fmt_num(s) for s in df["score"]], textposition="outside", cliponaxis=False,
        customdata=list(zip(df["role"].fillna("—"), df["objectives"], df["participation_total"].map(fmt_pct))),
        hovertemplate="<b>%{y}</b> (%{customdata[0]})<br>Punteggio %{x:.2f}<br>Obiettivi: %{customdata[1]}"
                      "<br>Partecipazione complessiva: %{customdata[2]}<extra></extra>"))
    fig.update_xaxes(range=[0, 11.2], tickvals=list(range(0, 11, 2)), title="punteggio individuale (0–10)")
    fig.update_yaxes(title=None, automargin=True, type="category")
    return style(fig, height or max(240, 26 * len(df) + 110), "Punteggio individuale")


def staff_matrix(staff: pd.DataFrame, value: str = PARTICIPATION, objective_order: list[str] | None = None) -> pd.DataFrame:
    """Person × objective matrix of ``participation`` (sum), ``grade`` (mean) or ``assignment``
    (1 where the person works on the objective); rows sorted by name, columns in plan order."""
    if staff.empty:
        return pd.DataFrame()
    keys = [staff["name"].astype(str), staff["objective_code"].astype(str)]
    if value == ASSIGNMENT:
        s = staff.groupby(keys).size().clip(upper=1).astype("float64")
    elif value == GRADE:
        s = staff["grade"].astype("float64").groupby(keys).mean()
    else:
        s = staff["participation"].astype("float64").groupby(keys).sum(min_count=1)
    m = s.unstack()
    cols = [c for c in (objective_order or []) if c in m.columns] + [c for c in m.columns if c not in (objective_order or [])]
    return m.reindex(columns=cols).sort_index()


def participation_heatmap(staff: pd.DataFrame, titles: dict[str, str] | None = None, value: str = PARTICIPATION,
                          objective_order: list[str] | None = None) -> go.Figure:
    """Heatmap person × objective: participation (%) or grade (0–10) in the cells; with
    ``assignment`` (no participation given) only who works on what."""
    m = staff_matrix(staff, value, objective_order)
    if m.empty:
        return empty_figure("Nessuna persona assegnata agli obiettivi")
    titles = titles or {}
    m = m.iloc[::-1]  # first name on top
    x = [str(c) for c in m.columns]
    hover_titles = [[titles.get(c, "") for c in x] for _ in m.index]
    if value == ASSIGNMENT:
        text = [["✓" if v == 1 else "" for v in row] for row in m.values]
        z, colorscale, zmin, zmax, show = m.values, [[0, "#90caf9"], [1, "#90caf9"]], 0, 1, False
        hover = "<b>%{y}</b><br>Obiettivo %{x}: %{customdata}<br>assegnato<extra></extra>"
    elif value == GRADE:
        text = [[fmt_num(v) if pd.notna(v) else "" for v in row] for row in m.values]
        z, colorscale, zmin, zmax, show = m.values, "Greens", 0, 10, True
        hover = "<b>%{y}</b><br>Obiettivo %{x}: %{customdata}<br>Valutazione %{z:.1f}<extra></extra>"
    else:
        text = [[fmt_pct(v, 0) if pd.notna(v) else "" for v in row] for row in m.values]
        z, colorscale, zmin, zmax, show = m.values, "Blues", 0, max(100.0, float(pd.Series(m.values.ravel()).max())), True
        hover = "<b>%{y}</b><br>Obiettivo %{x}: %{customdata}<br>Partecipazione %{z:.0f}%<extra></extra>"
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=[str(i) for i in m.index], text=text, texttemplate="%{text}", textfont=dict(size=11),
        colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=show, xgap=2, ygap=2, customdata=hover_titles,
        hoverongaps=False, hovertemplate=hover,
        colorbar=dict(title="%" if value == PARTICIPATION else "voto", thickness=12)))
    fig.update_xaxes(title="obiettivo", side="top", type="category")
    fig.update_yaxes(title=None, automargin=True, type="category")
    return style(fig, max(240, 24 * len(m) + 120))
