"""Pure chart builders of the Indicatori, Persone and Confronto pages (no Streamlit, no DB)."""
import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.compare import before_after_bars, delta_bars
from charts.indicators import bullet_frame, indicator_bullets, indicators_by_group
from charts.people import ASSIGNMENT, GRADE, PARTICIPATION, participation_heatmap, scores_bar, staff_matrix
from metrics import formulas as F
from metrics.fmt import PLOTLY_SEPARATORS, fmt_delta


def _is_empty_message(fig: go.Figure) -> bool:
    return len(fig.data) == 0 and len(fig.layout.annotations) == 1


def _indicators() -> pd.DataFrame:
    rows = [  # objective, name, baseline, target, direction, value, org_area
        ("A", "Utenti presi in carico", "100", "≥ 120", None, "132", "Minori"),
        ("A", "Tempo medio di attesa (giorni)", "40", "≤ 30", None, "36", "Minori"),
        ("B", "Copertura formazione", "57%", "60%", None, "45%", "Anziani"),
        ("B", "Regolamento adottato", None, "Entro il 31/07/2025", None, "15/07/2025", None),
        ("B", "Riunioni della cabina di regia", None, "4", None, None, "Anziani"),
        ("B", "Bilancio", None, "Con il Bilancio civilistico", None, "sì", "Anziani"),
    ]
    df = pd.DataFrame(rows, columns=["objective_code", "name", "baseline_raw", "target_raw", "direction", "value_raw",
                                     "org_area"])
    res = [F.indicator_achievement(r.target_raw, r.value_raw, r.baseline_raw, r.direction) for r in df.itertuples()]
    df["achievement"] = pd.Series([r.achievement for r in res], dtype="float64")
    df["target_value"] = [r.target for r in res]
    df["mode"] = [r.direction for r in res]
    df["reason"] = [r.reason for r in res]
    return df


def test_fmt_delta_is_signed_and_italian():
    assert fmt_delta(27.636) == "+27,6 punti"
    assert fmt_delta(-4) == "-4,0 punti"
    assert fmt_delta(0.01) == "0,0 punti"
    assert fmt_delta(1234.5, unit="") == "+1.234,5"
    assert fmt_delta(None) == "—" and fmt_delta(float("nan")) == "—"


# ----------------------------------------------------------------------------- confronto
def _deltas() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["1", "2", "3", "4"], "title": ["Primo", "Secondo", "Terzo", "Quarto obiettivo con un titolo lungo " * 3],
        "achievement_before": [40.0, 80.0, None, 10.0], "achievement_after": [70.0, 75.5, 50.0, 10.0],
        "delta": [30.0, -4.5, math.nan, 0.0]})


def test_delta_bars_one_bar_per_comparable_objective():
    fig = delta_bars(_deltas(), "al 31/08/2023", "al 31/12/2023")
    bar = fig.data[0]
    assert fig.layout.separators == PLOTLY_SEPARATORS
    assert list(bar.x) == [0.0, -4.5, 30.0]              # top to bottom = given order, non comparable left out
    assert list(bar.text) == ["0,0", "-4,5", "+30,0"]
    assert [cd[0] for cd in bar.customdata] == ["4", "2", "1"]   # click → objective code
    assert bar.marker.color[2] != bar.marker.color[1]
    assert "al 31/08/2023" in fig.layout.title.text and "al 31/08/2023" in bar.hovertemplate
    assert fig.layout.xaxis.range[0] < -4.5 and fig.layout.xaxis.range[1] > 30
    assert all(len(label) < 45 for label in bar.y)


def test_delta_bars_empty_and_before_after():
    empty = _deltas().assign(delta=math.nan)
    assert _is_empty_message(delta_bars(empty, "prima", "dopo"))
    fig = before_after_bars(_deltas(), "prima", "dopo")
    assert {t.name for t in fig.data} == {"prima", "dopo"}
    dopo = next(t for t in fig.data if t.name == "dopo")
    assert "50,0%" in list(dopo.text) and fig.layout.barmode == "group"


# ----------------------------------------------------------------------------- indicatori
def test_bullet_frame_keeps_numeric_measured_indicators():
    df = bullet_frame(_indicators())
    assert list(df["name"]) == ["Utenti presi in carico", "Tempo medio di attesa (giorni)", "Copertura formazione"]
    assert list(df["value"]) == [132.0, 36.0, 45.0]
    assert list(df["baseline"]) == [100.0, 40.0, 57.0]


def test_indicator_bullets_show_value_against_target():
    fig = indicator_bullets(_indicators())
    assert len(fig.data) == 3 and all(isinstance(t, go.Indicator) for t in fig.data)
    first, second, third = fig.data
    assert first.gauge.shape == "bullet" and first.mode == "number+gauge"
    assert first.value == 132 and first.gauge.threshold.value == 120
    assert second.gauge.threshold.value == 30 and "↓" in second.title.text
    assert third.number.suffix == "%" and "75,0%" in third.title.text     # 45 / 60
    assert first.gauge.steps[0].range == (0, 100)                        # baseline zone
    assert fig.layout.separators == PLOTLY_SEPARATORS
    assert _is_empty_message(indicator_bullets(_indicators().assign(value_raw=None, achievement=math.nan)))


def test_indicators_by_group_counts_every_indicator_once():
    fig = indicators_by_group(_indicators(), "org_area")
    total = sum(sum(t.x) for t in fig.data)
    assert total == 6
    names = {t.name for t in fig.data}
    assert "non valutabile" in names
    assert "(non indicata)" in fig.data[0].y
    fig = indicators_by_group(_indicators(), "objective_code", labels={"A": "A · Primo"})
    assert "A · Primo" in fig.data[0].y
    assert _is_empty_message(indicators_by_group(_indicators().iloc[0:0], "org_area"))


# ----------------------------------------------------------------------------- persone
def _staff() -> pd.DataFrame:
    return pd.DataFrame({
        "objective_code": ["1", "2", "1", "3"], "name": ["Dipendente 02", "Dipendente 02", "Dipendente 01", "Dipendente 01"],
        "role": ["D1", "D1", "C3", "C3"], "participation": [30.0, 20.0, 50.0, None], "grade": [9.0, 10.0, 8.0, None]})


def test_scores_bar_from_individual_scores():
    people = F.individual_scores(_staff())
    fig = scores_bar(people)
    bar = fig.data[0]
    assert list(bar.y) == ["Dipendente 01", "Dipendente 02"]   # lowest first = bottom
    assert bar.x[1] == pytest.approx((30 * 9 + 20 * 10) / 50)
    assert list(bar.text) == ["8,0", "9,4"]
    assert _is_empty_message(scores_bar(people.assign(score=None)))


def test_staff_matrix_and_heatmap():
    m = staff_matrix(_staff(), PARTICIPATION, objective_order=["3", "2", "1"])
    assert list(m.columns) == ["3", "2", "1"] and list(m.index) == ["Dipendente 01", "Dipendente 02"]
    assert m.at["Dipendente 02", "1"] == 30 and math.isnan(m.at["Dipendente 01", "3"])
    assert math.isnan(m.at["Dipendente 01", "2"])
    assert staff_matrix(_staff(), ASSIGNMENT).at["Dipendente 01", "3"] == 1
    assert staff_matrix(_staff(), GRADE).at["Dipendente 02", "2"] == 10

    fig = participation_heatmap(_staff(), {"1": "Primo"}, PARTICIPATION, ["1", "2", "3"])
    hm = fig.data[0]
    assert list(hm.y) == ["Dipendente 02", "Dipendente 01"]       # reversed: first name on top
    assert hm.text[0][0] == "30%" and hm.text[1][0] == "50%"
    assert hm.customdata[0][0] == "Primo"
    fig = participation_heatmap(_staff().assign(participation=None, grade=None), value=ASSIGNMENT)
    assert fig.data[0].text[0][0] == "✓" and fig.data[0].showscale is False
    assert _is_empty_message(participation_heatmap(_staff().iloc[0:0]))


def test_as_of_label_begins_at_the_line_when_the_line_is_near_the_left_edge():
    """A slide whose steps all fall after the as-of date: «al 31/12/2025» ended at the line and was cut
    off by the chart's left edge (seen on CSSM in «Modalità sala» at 1280×720)."""
    import datetime as dt

    import plotly.graph_objects as go

    from charts.base import as_of_line

    as_of = dt.date(2025, 12, 31)
    left = as_of_line(go.Figure(), as_of, dates=[dt.date(2026, 9, 30)])
    right = as_of_line(go.Figure(), as_of, dates=[dt.date(2025, 3, 31), dt.date(2025, 6, 30)])
    assert [a.xanchor for a in left.layout.annotations] == ["left"]
    assert [a.xanchor for a in right.layout.annotations] == ["right"]
    assert [a.xanchor for a in as_of_line(go.Figure(), as_of).layout.annotations] == ["right"]
