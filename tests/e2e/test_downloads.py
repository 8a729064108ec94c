"""Every export button delivers a file at every click, also in quick succession and right after «Modalità
sala» reruns the page (issue 10, defect 7: ``MediaFileStorageError: Deferred file … not found``; the cause and
the fix are in ``ui.common._stable_download_ids``).

Chromium itself drops, silently, an anchor download that starts when ten others began in the last second
(measured with Debian's Chromium 156 on a plain page, no Streamlit: ten downloads in 0,4 s, then ten more after
0/300/700/1.000 ms give 10/12/20/20 files). A person cannot click ten times a second; forty clicks in a row on
four buttons can, and on a loaded machine the first click of the next button then fell in the window (CI:
«9 file su 10 clic»). So each button's ten quick clicks start at least ``BROWSER_WINDOW_S`` after the previous
button's last download began: every click is still counted, none is retried."""
from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

BUTTONS = {"Scarica PowerPoint": ".pptx", "Scarica Excel": ".xlsx", "Scarica Relazione (Word)": ".docx",
           "Scarica report HTML": ".html"}
CLICKS = 10
WAIT_S = 120                        # for the files to arrive (a loaded CI machine); the count stays 10 of 10
BROWSER_WINDOW_S = 1.5              # Chromium: at most ten downloads begun per second (see above)


def _collect(page, n: int, got: list) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(got) < n and time.monotonic() < deadline:
        page.wait_for_timeout(100)


@pytest.mark.parametrize("toggle_room", [False, True], ids=["clic-rapidi", "dopo-modalita-sala"])
def test_each_export_button_gives_ten_files_in_ten_clicks(page, app_url, expected, tmp_path, toggle_room):
    open_page(page, f"{app_url}/presentazione?piano={expected.small_plan}")
    got: list = []
    last_began = [0.0]
    page.on("download", lambda d: (got.append(d), last_began.__setitem__(0, time.monotonic())))
    room = page.get_by_role("button", name="Modalità sala")
    for label, ext in BUTTONS.items():
        got.clear()
        pause_s = last_began[0] + BROWSER_WINDOW_S - time.monotonic()
        if pause_s > 0:
            page.wait_for_timeout(pause_s * 1000)
        button = page.get_by_role("button", name=label)
        for _ in range(CLICKS):
            if toggle_room:                        # «Modalità sala» on and off (it hides the export block):
                room.click()                       # two reruns, the click below comes within ~1 s
                page.get_by_role("button", name="Modalità sala").click()
                page.wait_for_timeout(150)
            button.click()
            if not toggle_room:
                page.wait_for_timeout(50)
        _collect(page, CLICKS, got)
        names = [d.suggested_filename for d in got]
        assert len(got) == CLICKS, f"{label}: {len(got)} file su {CLICKS} clic ({names})"
        assert all(n.endswith(ext) for n in names), names
        for i, d in enumerate(got):
            target = tmp_path / f"{i}{ext}"
            d.save_as(target)
            assert target.stat().st_size > 1000, (label, i, target.stat().st_size)
    wait_for_app(page)
    assert_no_exception(page)
