"""The measuring system in a real browser: compare the presets on the page, save «Fasce 0/50/75/100», and every
page (and a new session) shows the new score at once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, assert_no_exception, full_screenshot, open_page, wait_for_app

pytestmark = pytest.mark.e2e


def metric_value(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_save_a_preset_then_every_page_scores_with_it(page, app_url, expected):
    pid = expected.default_plan                      # CISSA 2023 (the richest monitoring)
    open_page(page, f"{app_url}/sistema?piano={pid}")
    scores = page.get_by_test_id("stMetric").filter(has_text="Punteggio del piano").get_by_test_id("stMetricValue")
    expect(scores).to_have_text(["90,5", "86,5", "90,5"])
    full_screenshot(page, ARTIFACTS / "journey-profile-1-confronto.png")
    page.get_by_test_id("stRadio").get_by_text("Fasce 0/50/75/100", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Salva come sistema di misurazione").click()
    wait_for_app(page)
    page.get_by_role("button", name="Conferma e salva").click()      # issue 15: a confirmation first
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="versione 1")).to_be_visible()
    assert_no_exception(page)
    # another page in the same session, then a new session: the saved profile everywhere
    page.get_by_test_id("stSidebarNav").get_by_text("Panoramica").click()
    wait_for_app(page)
    expect(metric_value(page, "Punteggio del piano")).to_have_text("86,5")
    open_page(page, f"{app_url}/obiettivo?piano={pid}&obiettivo=1")
    expect(metric_value(page, "Punteggio")).to_have_text("50,0")
    expect(page.get_by_text("Fasce 0/50/75/100, versione 1").first).to_be_attached()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / "journey-profile-2-obiettivo.png")
