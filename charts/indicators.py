"""Figures of the «Indicatori» page: target vs value (bullet charts) and outcomes by group.

``indicators`` is ``PlanMetrics.indicators`` (rule 6 already applied: ``achievement``,
``target_value``, ``mode``, ``reason``)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import band_color, empty_figure, style
from metrics.fmt import fmt_num, fmt_pct
from metrics.formulas import band, indicator_number
from metrics.settings import BAND_GREEN, BAND_NONE, BAND_RED, BAND_YELLOW, DEFAULT, Settings

NOT_EVALUABLE = "non valutabile"


def outcome_labels(settings: Settings = DEFAULT) -> dict[str, str]:
    """Italian legend of the bands for indicators (thresholds from the settings)."""
    return {BAND_GREEN: f"raggiunto ≥ {fmt_num(settings.green_from, 0)}%",
            BAND_YELLOW: f"tra {fmt_num(settings.yellow_from, 0)}% e {fmt_num(settings.green_from, 0)}%",
            BAND_RED: f"sotto {fmt_num(settings.yellow_from, 0)}%", BAND_NONE: NOT_EVALUABLE}


def _short(text: object, width: int) -> str:
    t = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return t[:width] + ("…" if len(t) > width else "")


def bullet_frame(indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicators a bullet chart can show: numeric target and numeric value, with
    ``value`` and ``baseline`` read from the cells as rule 6 reads them."""
    df = indicators.copy()
    df["value"] = [indicator_number(v) for v in df["value_raw"]]
    df["baseline"] = [indicator_number(v) for v in df["baseline_raw"]]
    df["value"] = df["value"].astype("float64")
    df["baseline"] = df["baseline"].astype("float64")
    return df[df["target_value"].notna() & df["value"].notna() & df["achievement"].notna()]


def indicator_bullets(indicators: pd.DataFrame, settings: Settings = DEFAULT, label_width: int = 48) -> go.Figure:
    """One bullet per measured indicator: the bar is the value (coloured by the band of its
    achievement), the black line the target, the grey zone up to the baseline."""
    df = bullet_frame(indicators)
    if df.empty:
        return empty_figure("Nessun indicatore con target numerico e valore rilevato")
    n = len(df)
    row_h = 1.0 / n
    fig = go.Figure()
    for i, r in enumerate(df.itertuples()):
        top = 1.0 - i * row_h
        hi = max(v for v in (r.value, r.target_value, r.baseline, 0.0) if v is not None and not pd.isna(v)) * 1.15 or 1.0
        unit = "%" if "%" in str(r.target_raw or "") or "%" in str(r.value_raw or "") else ""
        steps = [dict(range=[0, r.baseline], color="#e0e0e0")] if not pd.isna(r.baseline) and r.baseline > 0 else []
        arrow = "↑" if r.mode == "crescente" else "↓" if r.mode == "decrescente" else ""
        fig.add_trace(go.Indicator(
            mode="number+gauge", value=r.value,
            number=dict(suffix=unit, valueformat=",.4~f", font=dict(size=16)),
            title=dict(text=f"<b>{r.objective_code}</b> · {_short(r.name, label_width)} {arrow}<br>"
                            f"<span style='font-size:11px;color:#666'>target {r.target_raw} · raggiungimento "
                            f"{fmt_pct(r.achievement)}</span>", font=dict(size=12), align="right"),
            domain=dict(x=[0.42, 0.9], y=[top - row_h * 0.82, top - row_h * 0.18]),
            gauge=dict(shape="bullet", axis=dict(range=[0, hi], ticksuffix=unit, tickfont=dict(size=10)),
                       bar=dict(color=band_color(band(r.achievement, settings)), thickness=0.55),
                       steps=steps, threshold=dict(line=dict(color="#212121", width=3), thickness=0.9,
                                                   value=r.target_value))))
    fig = style(fig, max(160, 72 * n + 40))
    fig.update_layout(margin=dict(l=10, r=10, t=20, b=10))
    return fig


def indicators_by_group(indicators: pd.DataFrame, by: str, labels: dict[str, str] | None = None,
                        settings: Settings = DEFAULT, title: str | None = None) -> go.Figure:
    """Number of indicators per group (objective, organisational area), stacked by outcome band."""
    if indicators.empty:
        return empty_figure("Nessun indicatore")
    df = indicators.copy()
    df["group"] = df[by].map(lambda v: "(non indicata)" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    df["outcome"] = [band(a, settings) for a in df["achievement"]]
    order = list(dict.fromkeys(df["group"]))[::-1]
    names = outcome_labels(settings)
    fig = go.Figure()
    for key in (BAND_GREEN, BAND_YELLOW, BAND_RED, BAND_NONE):
        counts = df[df["outcome"] == key].groupby("group").size().reindex(order, fill_value=0)
        if counts.sum() == 0:
            continue
        ylab = [(labels or {}).get(g, g) for g in order]
        fig.add_trace(go.Bar(x=counts.values, y=ylab, orientation="h", name=names[key],
                             marker_color=band_color(key), text=[str(c) if c else "" for c in counts.values],
                             textposition="inside", customdata=order,
                             hovertemplate="<b>%{y}</b><br>" + names[key] + ": %{x}<extra></extra>"))
    fig.update_layout(barmode="stack", showlegend=True,
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1.0, xanchor="right",
                                  traceorder="normal"))
    fig.update_xaxes(title=None, dtick=1 if len(df) <= 12 else None)
    fig.update_yaxes(title=None, automargin=True)
    return style(fig, max(240, 30 * len(order) + 130), f"{title} (numero di indicatori)" if title else None)
