"""Every page listed in app.py opens in the browser without an exception; a full-page
screenshot of each is saved as tests/artifacts/<page>.png for a human to look at."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, ROOT, assert_no_exception, full_screenshot, open_page

pytestmark = pytest.mark.e2e

# st.Page("pages/x.py", title="…", …, url_path="x"[, default=True])
PAGE_RE = re.compile(r'st\.Page\(\s*"pages/(?P<file>[a-z_]+)\.py"(?P<args>[^)]*)\)')
PAGES = [(m["file"], re.search(r'url_path="([^"]+)"', m["args"])[1] if "url_path=" in m["args"] else m["file"],
          "default=True" in m["args"])
         for m in PAGE_RE.finditer((ROOT / "app.py").read_text(encoding="utf-8"))]


def test_app_lists_pages():
    assert len(PAGES) >= 10 and sum(d for *_, d in PAGES) == 1, PAGES


@pytest.mark.parametrize("name,url_path,default", PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_and_screenshot(page, app_url, expected, name, url_path, default):
    path = "" if default else url_path
    open_page(page, f"{app_url}/{path}?piano={expected.default_plan}")
    expect(page.get_by_test_id("stMain")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("heading", name="Selezione")).to_be_visible()
    assert_no_exception(page)
    full_screenshot(page, ARTIFACTS / f"{name}.png")
