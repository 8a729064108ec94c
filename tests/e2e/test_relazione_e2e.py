"""The Relazione sulla performance in a real browser: the ente writes its context text on the page «Relazione»,
saves it, and the PDF it downloads is a tagged PDF/A-2 with that text (LibreOffice on the server)."""
from __future__ import annotations

import io
import subprocess

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_no_exception, expect, full_screenshot, open_page, wait_for_app

pytestmark = pytest.mark.e2e
pikepdf = pytest.importorskip("pikepdf")
TEXT = "Il consorzio riunisce 8 Comuni su 231 kmq; al 31/12/2023 i residenti erano 51.567."


def test_write_the_context_then_download_the_pdf(page, app_url, expected, tmp_path):
    cisa = next(pid for pid, (ente, _) in expected.plan_titles.items() if "C.I.S.A. 31" in ente)
    open_page(page, f"{app_url}/relazione?piano={cisa}")
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Relazione sulla performance")).to_be_visible()
    page.get_by_label("Territorio").fill(TEXT)
    page.get_by_role("button", name="Salva i testi").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="Salvati: Territorio.")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.screenshot(path=str(ARTIFACTS / "journey-relazione-1-testi.png"))
    full_screenshot(page, ARTIFACTS / "journey-relazione-1-testi-full.png")
    with page.expect_download(timeout=240_000) as info:
        page.get_by_role("button", name="Relazione (PDF)").click()
    d = info.value
    assert d.suggested_filename.startswith("relazione_performance_") and d.suggested_filename.endswith(".pdf")
    pdf = tmp_path / d.suggested_filename
    d.save_as(pdf)
    doc = pikepdf.open(io.BytesIO(pdf.read_bytes()))
    assert doc.open_metadata().get("pdfaid:part") == "2" and bool(doc.Root.MarkInfo.Marked)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert " ".join(TEXT.split()) in " ".join(text.split())
    for title in expected.titles[cisa].values():
        assert " ".join(title.split())[:30] in " ".join(text.split())
    assert_no_exception(page)
