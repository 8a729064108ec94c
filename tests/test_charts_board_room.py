"""Charts fit for the board room (issue 10): natural code order, distinct date ticks around
coinciding deadlines, the as-of line at its date, the worst objectives on top, no «0» doughnut
labels, a grey gauge with its caption when there is no value, Sankey labels not cut to a fixed
length, title / legend / as-of label in separate bands. Pure builders, no browser (the rendered
check is tests/e2e/test_chart_render.py)."""
import datetime as dt
import textwrap

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.base import date_axis, natural_key, natural_order, wrap
from charts.board import group_bars, timing_doughnut
from charts.cascade import MIDDLE_WIDTH, cascade_sankey
from charts.deadlines import deadlines_timeline
from charts.objective import steps_timeline
from charts.overview import achievement_gauge, objectives_ranking
from metrics import plan_metrics
from metrics.settings import BAND_COLORS
from tests.conftest import plan_id_by_file

GREY = BAND_COLORS["n.d."]


@pytest.fixture(scope="module")
def cisa31(demo_db):
    """CISA 31 2023: every deadline on 31/12/2023, the as-of date too."""
    return plan_metrics(demo_db, plan_id_by_file(demo_db, "004_"), year=2023)


@pytest.fixture(scope="module")
def coeso(demo_db):
    return plan_metrics(demo_db, plan_id_by_file(demo_db, "003_"), year=2021)


def test_natural_order_of_codes():
    codes = ["A.2", "A.10", "A.3", "A.1", "1.10", "1.2", "10", "2"]
    assert sorted(codes, key=natural_key) == ["1.2", "1.10", "2", "10", "A.1", "A.2", "A.3", "A.10"]
    assert [codes[i] for i in natural_order(codes)][:2] == ["1.2", "1.10"]


def test_wrap_breaks_on_words_and_marks_what_is_left_out():
    assert wrap("Promuovere la salute delle persone anziane", 20) == "Promuovere la salute<br>delle persone<br>anziane"
    assert wrap("uno due tre quattro cinque sei", 8, 2) == "uno due<br>tre…"


def _ticks(fig: go.Figure) -> list[str]:
    """The tick labels Plotly will print: the axis has an explicit range, dtick and format."""
    ax = fig.layout.xaxis
    lo, hi = (dt.date.fromisoformat(str(x)[:10]) for x in ax.range)
    if isinstance(ax.dtick, str):
        step = int(ax.dtick[1:])
        d = dt.date(lo.year, 1, 1)
        out = []
        while d <= hi:
            if d >= lo:
                out.append(d.strftime(ax.tickformat))
            m = d.month - 1 + step
            d = dt.date(d.year + m // 12, m % 12 + 1, 1)
        return out
    step = dt.timedelta(milliseconds=ax.dtick)
    d = dt.date(2000, 1, 3)
    while d < lo:
        d += step
    out = []
    while d <= hi:
        out.append(d.strftime(ax.tickformat))
        d += step
    return out


def test_coinciding_deadlines_get_distinct_ticks_and_the_as_of_line_at_its_date(cisa31):
    assert set(cisa31.steps["deadline"].dropna()) == {dt.date(2023, 12, 31)} and cisa31.ctx.as_of == dt.date(2023, 12, 31)
    for fig in (steps_timeline(cisa31.steps[cisa31.steps["objective_code"] == "1"], cisa31.ctx.as_of),
                deadlines_timeline(cisa31.steps, cisa31.ctx.as_of)):
        ticks = _ticks(fig)
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks
        (line,) = [s for s in fig.layout.shapes if s.type == "line"]
        assert line.x0 == line.x1 == "2023-12-31"          # a date, not a time-zone dependent timestamp


def test_date_axis_steps_by_span():
    for days, fmt in ((10, "%d/%m/%Y"), (90, "%m/%Y"), (300, "%m/%Y"), (700, "%m/%Y"), (2000, "%Y")):
        fig = date_axis(go.Figure(), [dt.date(2024, 1, 1), dt.date(2024, 1, 1) + dt.timedelta(days=days)])
        ticks = _ticks(fig)
        assert fig.layout.xaxis.tickformat == fmt and 2 <= len(ticks) <= 14 and len(set(ticks)) == len(ticks)


def test_timelines_list_steps_in_natural_order(cisa31):
    steps = cisa31.steps[cisa31.steps["objective_code"] == "1"].iloc[::-1]      # shuffled input
    fig = steps_timeline(steps, cisa31.ctx.as_of)
    assert list(fig.layout.yaxis.categoryarray)[::-1] == sorted(steps["code"].astype(str), key=natural_key)
    tl = deadlines_timeline(cisa31.steps.iloc[::-1], cisa31.ctx.as_of)
    top_down = list(tl.layout.yaxis.categoryarray)[::-1]
    assert top_down[:2] == ["1 · 1.1", "1 · 1.2"]


def test_scadenze_title_legend_and_as_of_label_do_not_overlap(cisa31):
    fig = deadlines_timeline(cisa31.steps, cisa31.ctx.as_of)
    h, top = fig.layout.height, fig.layout.margin.t
    title_bottom = 8 + 30                                       # title: first ~38 px of the figure
    legend_top = (1 - fig.layout.legend.y) * h                  # legend in container coordinates
    assert fig.layout.title.yref == "container" and fig.layout.legend.yref == "container"
    assert legend_top >= title_bottom - 1
    assert top >= legend_top + 28 + 20                          # a legend row and the «al …» label fit


def test_worst_objectives_on_top_and_missing_values_grey(cisa31, demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "002_"), year=2023)
    fig = objectives_ranking(pm.objectives)
    top_down = list(fig.layout.yaxis.categoryarray)[::-1]
    bars = dict(zip(fig.data[0].y, fig.data[0].x))
    assert [bars[label] for label in top_down] == sorted(bars.values())        # worst first, on top
    o = pm.objectives.copy()
    o.loc[o.index[0], "achievement"] = None
    fig = objectives_ranking(o, missing_caption="in attesa del primo monitoraggio")
    assert fig.data[0].marker.color[-1] == GREY and fig.data[0].text[-1] == "in attesa del primo monitoraggio"
    g = pd.DataFrame({"label": ["Area 1", "Area 2"], "achievement": [80.0, None], "objectives": [2, 1],
                      "band": ["verde", "n.d."]})
    fig = group_bars(g, "Per area", missing_caption="non monitorato")
    assert list(fig.data[0].text) == ["non monitorato", "80,0%"] and fig.data[0].marker.color[0] == GREY


def test_gauge_without_value_is_grey_with_a_wrapped_caption():
    fig = achievement_gauge(None, missing_caption="in attesa del primo monitoraggio dell'anno in corso")
    ind = fig.data[0]
    assert ind.mode == "gauge" and ind.gauge.steps[0].color == "#e0e0e0"
    caption = fig.layout.annotations[0].text
    assert "<br>" in caption and all(len(line) <= 24 for line in caption.split("<br>"))
    fig = achievement_gauge(68.4)
    assert fig.data[0].mode == "gauge+number"
    assert fig.layout.margin.l >= 30 and fig.layout.margin.r >= 30          # room for «0%» and «100%»
    assert list(fig.data[0].gauge.axis.ticktext) == ["0%", "25%", "50%", "75%", "100%"]


def test_doughnut_has_no_zero_slices(cisa31):
    fig = timing_doughnut(cisa31.steps)
    assert 0 not in list(fig.data[0].values) and len(fig.data[0].labels) == len(fig.data[0].values)


def test_sankey_labels_are_wrapped_not_cut(coeso):
    s = cascade_sankey(coeso.objectives, coeso.links, coeso.strategic, coeso.areas).data[0]
    keys = [c[0] for c in s.node.customdata]
    for key, label, custom in zip(keys, s.node.label, s.node.customdata):
        if key.startswith("s="):
            name = " ".join(custom[1].split(" · ", 1)[1].split())
            shown = label.rsplit(" (", 1)[0].replace("<br>", " ")
            full = f"{key[2:]} · {name}"
            if len(textwrap.wrap(full, MIDDLE_WIDTH)) <= 4:
                assert name in shown, (name, shown)              # the whole name when four lines hold it
            else:
                assert shown.endswith("…") and len(shown) >= 2.5 * MIDDLE_WIDTH   # most of it; all in the hover
            assert all(len(line) <= MIDDLE_WIDTH + 12 for line in label.split("<br>"))
    assert s.node.pad >= 8 + 14 * 3                              # gaps as tall as a wrapped label
