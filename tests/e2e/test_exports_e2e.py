"""Presentazione in a real browser: ← → move between slides, and each «Scarica …» button
delivers a file that its own library opens (python-pptx, openpyxl, python-docx, HTML)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pptx import Presentation

from tests.e2e.conftest import assert_no_exception, expect, open_page, wait_for_app

pytestmark = pytest.mark.e2e

DOWNLOADS = {"Scarica PowerPoint": ".pptx", "Scarica Excel": ".xlsx", "Scarica Relazione (Word)": ".docx",
             "Scarica report HTML": ".html"}


def _slide_caption(page):
    return page.locator("[data-testid='stCaptionContainer']").filter(has_text="Diapositiva").first


def test_keyboard_and_buttons_move_between_slides(page, app_url, expected):
    pid = expected.small_plan
    n = expected.slides[pid]
    open_page(page, f"{app_url}/presentazione?piano={pid}")
    assert_no_exception(page)
    expect(_slide_caption(page)).to_contain_text(f"Diapositiva 1 di {n}")
    expect(page.get_by_role("heading", name=expected.plan_titles[pid][1])).to_be_visible()
    page.locator("body").press("ArrowRight")
    expect(_slide_caption(page)).to_contain_text(f"Diapositiva 2 di {n}")
    expect(page).to_have_url(re.compile(r"[?&]slide=2\b"))
    page.get_by_role("button", name=re.compile(r"^Successiva")).click()
    wait_for_app(page)
    expect(_slide_caption(page)).to_contain_text(f"Diapositiva 3 di {n}")
    page.locator("body").press("ArrowLeft")
    expect(_slide_caption(page)).to_contain_text(f"Diapositiva 2 di {n}")
    assert_no_exception(page)


def test_each_export_button_delivers_its_file(page, app_url, expected, tmp_path):
    pid = expected.small_plan
    titles = expected.titles[pid]
    open_page(page, f"{app_url}/presentazione?piano={pid}")
    files: dict[str, Path] = {}
    for label, ext in DOWNLOADS.items():
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()
        d = info.value
        assert d.suggested_filename.endswith(ext), d.suggested_filename
        files[ext] = tmp_path / d.suggested_filename
        d.save_as(files[ext])
    assert_no_exception(page)

    prs = Presentation(str(files[".pptx"]))
    assert len(prs.slides) == expected.pptx_slides[pid]
    assert prs.slides[1].shapes.title.text == "Sintesi per il Consiglio"
    assert prs.slides[0].shapes.title.text == expected.plan_titles[pid][1]
    achievement = expected.achievement[pid]
    assert any(achievement in sh.text_frame.text for sh in prs.slides[1].shapes if sh.has_text_frame)

    wb = load_workbook(files[".xlsx"])
    assert wb.sheetnames[:3] == ["Riepilogo", "Obiettivi", "Step"]
    assert [r[0].value for r in wb["Obiettivi"].iter_rows(min_row=2)] == list(titles)

    doc = Document(str(files[".docx"]))
    assert "BOZZA" in doc.paragraphs[0].text
    assert any(p.text.startswith(f"L'obiettivo {code} ") for p in doc.paragraphs for code in titles)

    html = files[".html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and achievement in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    for f in (files[".pptx"], files[".xlsx"], files[".docx"]):
        assert zipfile.is_zipfile(f)
