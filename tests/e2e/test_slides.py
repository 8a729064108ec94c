"""Every slide of every demo plan fits a projector in «Modalità sala»: at 1280×720 and at 1920×1080
nothing needs scrolling (neither the page nor Streamlit's own scroll container), the export block
and the heading link icons are not shown. The deck earns every slide: the first content slide is the
summary, every slide shows something (a chart, a table, figures with lists), and no two slides show
the same text. A screenshot of each slide is saved in
``tests/artifacts/slides/<W>x<H>/`` for a human to look at."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, DEMO, open_page, wait_for_app

pytestmark = pytest.mark.e2e

VIEWPORTS = [(1280, 720), (1920, 1080)]
PLANS = sorted(f.name.split("_")[0] + "_" for f in DEMO.glob("*.xlsx"))     # one test per demo workbook
# how far the content overflows its scroll container (page, Streamlit's main and app view), in px
OVERFLOW_JS = """() => {
    const els = [document.scrollingElement, document.querySelector("[data-testid='stMain']"),
                 document.querySelector("[data-testid='stAppViewContainer']")].filter(Boolean);
    return {y: Math.max(...els.map(e => e.scrollHeight - e.clientHeight)),
            x: Math.max(...els.map(e => e.scrollWidth - e.clientWidth))};
}"""
# a fingerprint of what is drawn: Streamlit removes the previous slide's leftover elements just
# after the run ends, and charts lay out after that
# what a slide shows, as text (the navigation line apart), and whether it has a chart, a table or a list
CONTENT_JS = """() => {
    const box = document.querySelector("[data-testid='stMain'] .st-key-slide");
    return {text: box ? box.innerText.replace(/\\s+/g, " ").trim() : "",
            things: box ? box.querySelectorAll(".js-plotly-plot, [data-testid='stTable'], li").length : 0};
}"""
# what is drawn with its left edge outside the slide's box (text clipped on the left)
CLIPPED_JS = """() => {
    const main = document.querySelector("[data-testid='stMain']").getBoundingClientRect();
    return [...document.querySelectorAll("[data-testid='stMain'] p, [data-testid='stMain'] li, [data-testid='stMain'] button")]
        .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < main.left - 1
                       || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow === "hidden"); })
        .map(e => e.innerText.slice(0, 40))
        .concat([...document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot")].flatMap(plot => {
            const box = plot.getBoundingClientRect();
            return [...plot.querySelectorAll(".annotation-text, .gtitle")]
                .filter(t => { const r = t.getBoundingClientRect();
                               return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1); })
                .map(t => "grafico: " + t.textContent.slice(0, 40)); }));
}"""
LAYOUT_JS = """() => [document.querySelectorAll("[data-testid='stElementContainer']").length,
    document.querySelector("[data-testid='stMain']").scrollHeight,
    document.querySelectorAll(".js-plotly-plot .main-svg").length].join("/")"""


@pytest.fixture(scope="module")
def decks(fresh_db, tmp_path_factory):
    """workbook prefix → (plan id, the slide titles of build_deck), read from a private copy of
    the demo database (the server holds the lock on its own file)."""
    from exports.deck import build_deck
    from metrics import make_context, plan_metrics
    from store import get_db

    tmp = tmp_path_factory.mktemp("slides")
    for suffix in ("", ".wal"):
        src = fresh_db.parent / f"{fresh_db.name}{suffix}"
        if src.exists():
            shutil.copyfile(src, tmp / f"copy.duckdb{suffix}")
    db = get_db(tmp / "copy.duckdb")
    try:
        out = {}
        for prefix in PLANS:
            pid = int(db.scalar("SELECT plan_id FROM imports WHERE file_name LIKE ? ORDER BY import_id LIMIT 1",
                                [prefix + "%"]))
            pm = plan_metrics(db, pid, year=make_context(db, pid).year)
            out[prefix] = (pid, [s.title for s in build_deck(pm)])
    finally:
        db.close()
    return out


def _settle(page, timeout_ms: int = 15_000) -> None:
    """Wait for the script run to end and the drawing to stop changing (3 equal looks, 250 ms apart)."""
    wait_for_app(page)
    last, same, waited = None, 0, 0
    while same < 3 and waited < timeout_ms:
        now = page.evaluate(LAYOUT_JS)
        same = same + 1 if now == last else 0
        last = now
        page.wait_for_timeout(250)
        waited += 250


@pytest.mark.timeout(900)     # up to ~30 slides, each waited for until its drawing is still
@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("width,height", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_every_slide_fits_the_projector_in_room_mode(page, app_url, decks, width, height, plan):
    page.set_viewport_size({"width": width, "height": height})
    out = ARTIFACTS / "slides" / f"{width}x{height}"
    out.mkdir(parents=True, exist_ok=True)
    problems, seen = [], {}
    pid, titles = decks[plan]
    n = len(titles)
    open_page(page, f"{app_url}/presentazione?piano={pid}&slide=1")
    page.get_by_role("button", name="Modalità sala").click()
    _settle(page)
    main = page.get_by_test_id("stMain")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    for i, title in enumerate(titles, start=1):
        if i > 1:
            page.keyboard.press("ArrowRight")
        expect(main.get_by_text(re.compile(rf"^Diapositiva {i} di {n}$"))).to_be_visible()
        _settle(page)
        heading = main.get_by_role("heading", name=title, exact=True)
        expect(heading.first).to_be_visible()
        content = page.evaluate(CONTENT_JS)
        if i == 2:
            assert title == "Sintesi per il Consiglio", (pid, titles[:3])    # the first content slide
        if i > 1 and content["things"] == 0:
            problems.append(f"piano {pid} diapositiva {i} «{title[:50]}»: nessun grafico, tabella o elenco")
        if content["text"] in seen:
            problems.append(f"piano {pid} diapositiva {i} uguale alla {seen[content['text']]}")
        seen.setdefault(content["text"], i)
        if clipped := page.evaluate(CLIPPED_JS):
            problems.append(f"piano {pid} diapositiva {i}: testo tagliato {clipped}")
        page.screenshot(path=str(out / f"piano{pid}_slide{i:02d}.png"))
        over = page.evaluate(OVERFLOW_JS)
        if over["y"] > 1 or over["x"] > 1:
            problems.append(f"piano {pid} diapositiva {i} «{title[:50]}»: sporge di {over['y']} px in "
                            f"altezza, {over['x']} px in larghezza")
        # «Modalità sala»: no export block, no link icons on the headings
        assert main.locator('[data-testid="stDownloadButton"]').count() == 0, (pid, i)   # not the charts' toolbar
        assert main.get_by_role("heading", name="Esporta").count() == 0, (pid, i)
        assert main.locator("h1 a, h2 a, h3 a").count() == 0, (pid, i)
    assert not problems, "\n".join(problems)
    assert len(PLANS) == 4 and n >= 5      # the four demo plans, each walked through (COeSO: 6 slides that show something)


# the navigation buttons' labels: drawn in full (not clipped by the button, not wrapped)
BUTTONS_JS = """() => [...document.querySelectorAll("[data-testid='stMain'] button")]
    .filter(b => /Precedente|Successiva|Modalità sala/.test(b.innerText))
    .map(b => { const p = b.querySelector("p") || b; const br = b.getBoundingClientRect(), pr = p.getBoundingClientRect();
                return {text: b.innerText.trim(), inside: pr.left >= br.left - 1 && pr.right <= br.right + 1,
                        full: [b, ...b.querySelectorAll("*")].every(e => e.scrollWidth <= e.clientWidth + 1), lines: Math.round(pr.height / parseFloat(getComputedStyle(p).lineHeight))}; })"""


@pytest.mark.parametrize("width,height", [(1280, 720), (1440, 900)])
def test_navigation_buttons_read_in_full_beside_the_sidebar(page, app_url, decks, width, height):
    """«◀ Precedente» and «Successiva ▶» were truncated at 1280 px with the sidebar open."""
    page.set_viewport_size({"width": width, "height": height})
    pid, _ = decks["002_"]
    open_page(page, f"{app_url}/presentazione?piano={pid}&slide=2")
    _settle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    buttons = page.evaluate(BUTTONS_JS)
    assert len(buttons) == 3, buttons
    assert all(b["inside"] and b["full"] and b["lines"] == 1 for b in buttons), buttons
    page.screenshot(path=str(ARTIFACTS / "slides" / f"navigation_{width}x{height}.png"))
