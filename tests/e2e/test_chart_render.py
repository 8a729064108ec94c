"""The date charts as Plotly really draws them (SVG from kaleido and Debian's Chromium): around
coinciding deadlines (CISA 31: all on 31/12/2023, the as-of date too) the x axis prints each date
once, and the dashed as-of line passes through the points (same x, to the pixel)."""
from __future__ import annotations

import re

import pytest

from charts.deadlines import deadlines_timeline
from charts.objective import steps_timeline
from exports.images import browser_path, to_svg
from metrics import plan_metrics
from tests.conftest import plan_id_by_file

pytestmark = pytest.mark.e2e


def _svg(fig) -> str:
    if browser_path() is None:
        pytest.fail("Serve Chromium di Debian (`make browser`) per disegnare i grafici")
    svg = to_svg(fig, width=900)          # the product's own drawing path (issue 21: not pio.to_image)
    assert svg, "kaleido non ha disegnato il grafico con il browser di exports.images.browser_path()"
    return svg


def test_coinciding_deadlines_as_drawn(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "004_"), year=2023)
    for fig in (steps_timeline(pm.steps[pm.steps["objective_code"] == "1"], pm.ctx.as_of),
                deadlines_timeline(pm.steps, pm.ctx.as_of)):
        svg = _svg(fig)
        xticks = re.findall(r'<g class="xtick">.*?>([^<>]+)</text>', svg)
        assert len(xticks) >= 2 and len(set(xticks)) == len(xticks), xticks
        # the as-of line (a shape path «Mx,y Lx,y'», page coordinates) and the diamonds (translate(x,y)
        # inside the plot area, itself translated by the margins) share the x
        dx = float(re.search(r'<g class="overplot"><g class="xy" transform="translate\(([\d.]+),', svg)[1])
        line_x = {round(float(a)) for a, b in re.findall(r'<g class="shape-group"[^>]*><path[^>]*d="M([\d.]+),[\d.]+L([\d.]+),', svg)
                  if a == b}
        points_x = {round(dx + float(x)) for x in re.findall(r'class="point[^"]*" transform="translate\(([\d.]+),', svg)}
        assert points_x and len(points_x) == 1, points_x      # all deadlines on the same day
        assert any(abs(x - next(iter(points_x))) <= 1 for x in line_x), (line_x, points_x)
