"""Issue 15 in the browser: the interim check (31/08) of CISSA 2023 reads the schedule (rule 10), screenshots at
1280×720 for a person to look at; the sidebar lists every page with no English «View more / View less»."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, assert_no_exception, full_screenshot, open_page

pytestmark = pytest.mark.e2e


def _cissa(expected) -> int:
    return next(pid for pid, (ente, _) in expected.plan_titles.items() if "Pianezza" in ente)


@pytest.fixture
def small_page(page):
    page.set_viewport_size({"width": 1280, "height": 720})
    return page


def test_panoramica_at_31_08_leads_with_the_schedule(small_page, app_url, expected):
    page = small_page
    open_page(page, f"{app_url}/panoramica?piano={_cissa(expected)}&anno=2023&data=2023-08-31")
    assert_no_exception(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Rispetto del cronoprogramma", exact=True).first).to_be_visible()
    expect(main.get_by_text("Avanzamento dell'anno", exact=True).first).to_be_visible()
    tiles = {m.get_by_test_id("stMetricLabel").inner_text().strip(): m.get_by_test_id("stMetricValue").inner_text()
             for m in main.get_by_test_id("stMetric").all()}
    assert tiles["Verifiche"] == "34"
    assert tiles["Rispetto del cronoprogramma"] == "97,9%" and tiles["Avanzamento dell'anno"] == "62,6%"
    # the forecast chart names the as-of date, not «oggi» (31/08/2023 is not today)
    expect(main.get_by_text("avanzamento al 31/08/2023").first).to_be_attached()
    page.screenshot(path=str(ARTIFACTS / "interim_panoramica_31-08_1280.png"))
    full_screenshot(page, ARTIFACTS / "interim_panoramica_31-08_full.png")


def test_obiettivo_3_at_31_08(small_page, app_url, expected):
    page = small_page
    open_page(page, f"{app_url}/obiettivo?piano={_cissa(expected)}&anno=2023&data=2023-08-31&obiettivo=3")
    assert_no_exception(page)
    main = page.get_by_test_id("stMain")
    tiles = {m.get_by_test_id("stMetricLabel").inner_text().strip(): m.get_by_test_id("stMetricValue").inner_text()
             for m in main.get_by_test_id("stMetric").all()}
    assert tiles["Cronoprogramma"] == "100,0%" and tiles["Avanzamento dell'anno"] == "25,0%"
    expect(main.get_by_text(re.compile("Non ancora scaduti")).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "interim_obiettivo3_31-08_1280.png"))
    full_screenshot(page, ARTIFACTS / "interim_obiettivo3_31-08_full.png")


@pytest.mark.parametrize("width,height", [(1280, 720), (1440, 900)])
def test_sidebar_lists_every_page_without_english(page, app_url, expected, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_page(page, f"{app_url}/panoramica?piano={expected.default_plan}")
    nav = page.get_by_test_id("stSidebarNav")
    for title in ("Panoramica", "Obiettivo", "Cascata strategica", "Scadenze e ritardi", "Indicatori", "Persone",
                  "Confronto", "Presentazione", "Carica foglio", "Qualità dei dati", "Sistema di misurazione", "Enti",
                  "Registro", "Utenti"):
        link = nav.get_by_role("link", name=title, exact=True)
        expect(link).to_have_count(1)
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
    text = page.get_by_test_id("stSidebar").inner_text()
    assert not re.search(r"\bView (\d+ )?(more|less)\b", text), text
