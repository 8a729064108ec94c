"""Presentazione: the board deck one slide at a time (``?slide=N``), ← → to navigate, and
the exports (PowerPoint, Excel, Relazione Word, report HTML) built from the same deck."""
import re
import threading

import pandas as pd
import streamlit as st

from charts.board import group_bars, timing_doughnut
from charts.objective import steps_timeline
from charts.overview import achievement_gauge, objectives_ranking
from exports import FORMATS, export
from exports.common import clip, export_file_name
from exports.deck import (ABSENT, ACHIEVEMENT, CASCADE, FORECAST, GROUPS, LATE, OBJECTIVE, OBJECTIVES, SUMMARY, TITLE,
                          build_deck)
from exports.paginate import PAGE
from metrics.previous import previous_check
from exports.phrasing import verification_notes
from exports.tables import Table, group_frames
from ui.common import download_button, lazy_expander, metric_row, plain, plotly, require_selection
from ui.views import measure

Q_SLIDE = "slide"
DOWNLOADS = {"pptx": "Scarica PowerPoint", "xlsx": "Scarica Excel", "docx": "Scarica Relazione (Word)",
             "html": "Scarica report HTML"}
# Static CSS only (no workbook text): larger type for the meeting room; «modalità sala» hides the chrome.
BIG_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 2.6rem;
  font-weight: 600; color: #1f4e79; }
[data-testid="stMain"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.05rem; }
[data-testid="stMain"] [data-testid="stTable"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th { font-size: 1rem; }
</style>"""
ROOM_CSS = """<style>
html { font-size: clamp(16px, 1.15vw, 22px); }   /* larger type on a larger projector (16 px at 1280) */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 2rem 0.4rem 2rem; max-width: none; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 { padding-top: 0.1rem;
  padding-bottom: 0.2rem; }
</style>"""
# Tables of the slides: compact cells, so that a slide fits a 1280×720 projector.
SLIDE_CSS = """<style>
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th {
  padding: 0.2rem 0.45rem; line-height: 1.3; }
[data-testid="stMain"] [data-testid="stMetric"] { padding: 0; }
</style>"""
#: Heights (px) of the slide charts: they fit the 1280×720 room layout (see tests/e2e/test_slides.py).
GAUGE_H, RANKING_H, GROUP_H, DOUGHNUT_H, TIMELINE_MAX_H = 300, 470, 440, 330, 330
LATE_ROWS = 7
# columns of the steps table on the objective slide: Step, Descrizione, Termine, Stato, Raggiung., Tempi
OBJECTIVE_COLS = [0, 1, 2, 5, 6, 7]


def _md(s: str) -> str:
    """Workbook text shown literally by markdown (st.markdown, st.table cells): no emphasis, links,
    HTML, headings or lists."""
    s = re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", s)
    s = re.sub(r"^(\s*)([-+])(\s)", r"\1\\\2\3", s, flags=re.M)
    return re.sub(r"^(\s*)(\d+)([.)])(\s)", r"\1\2\\\3\4", s, flags=re.M)


def _frame(t: Table, max_rows: int | None = None, cols: list[int] | None = None) -> pd.DataFrame:
    """The table's text, escaped (st.table renders markdown in its cells), long texts clipped on a
    word as in the PowerPoint (the full text is in the Relazione and the Excel)."""
    cols = list(range(len(t.columns))) if cols is None else cols
    rows = t.rows[:max_rows] if max_rows else t.rows
    return pd.DataFrame([[_md(clip(r[c], t.clip[c]) if c in t.clip else r[c]) for c in cols] for r in rows],
                        columns=[t.columns[c] for c in cols])


def _table(t: Table | None, max_rows: int | None = None, cols: list[int] | None = None) -> None:
    if t is None or not t.rows:
        return
    cols = list(range(len(t.columns))) if cols is None else cols
    df = _frame(t, max_rows, cols)
    style = df.style.hide(axis="index")
    numeric = [t.columns[c] for c in cols if c in t.numeric]
    if numeric:
        style = style.set_properties(subset=numeric, **{"text-align": "right"})
    if t.bold_rows:
        bold = [i in t.bold_rows for i in range(len(df))]
        style = style.apply(lambda r: ["font-weight: 700; background-color: #e8eef4" if bold[r.name] else ""]
                            * len(r), axis=1)
    st.table(style)
    if max_rows and len(t.rows) > max_rows:
        st.caption(f"… e altri {len(t.rows) - max_rows}: elenco completo nell'Excel e nella Relazione.")


def _figures(figs: list[tuple[str, str]], per_row: int = 4) -> None:
    for i in range(0, len(figs), per_row):
        metric_row([(k, v, None) for k, v in figs[i:i + per_row]])


def current_slide(n: int) -> int:
    """The slide index: the URL wins when it changes (bookmark, back button), else the session
    remembers; kept in the URL (``?slide=N``)."""
    ss = st.session_state
    try:
        url_slide = int(st.query_params.get(Q_SLIDE, "1"))
    except ValueError:
        url_slide = 1
    if "pres_slide" not in ss or url_slide != ss.get("_pres_url"):
        ss["pres_slide"] = url_slide
    ss["pres_slide"] = i = min(max(int(ss["pres_slide"]), 1), n)
    st.query_params[Q_SLIDE] = str(i)
    ss["_pres_url"] = i
    return i


def _go(delta: int, n: int) -> None:
    st.session_state["pres_slide"] = min(max(st.session_state["pres_slide"] + delta, 1), n)


def _toggle_room() -> None:
    st.session_state["pres_room"] = not st.session_state.get("pres_room", False)


def room_mode() -> bool:
    return bool(st.session_state.get("pres_room", False))


def navigation(sel, i: int, n: int) -> None:
    st.markdown(BIG_CSS + SLIDE_CSS, unsafe_allow_html=True)
    room = room_mode()
    nav = st.columns([1.45, 2.5, 1.45, 1.45], vertical_alignment="center")
    nav[0].button("◀ Precedente", on_click=_go, args=(-1, n), disabled=i <= 1, shortcut="Left", width="stretch")
    nav[1].caption(f"Diapositiva {i} di {n}" if room else
                   f"Diapositiva {i} di {n} · tasti ← → per scorrere · {plain(sel.ente)} — anno {sel.year}")
    # a button, not a toggle: a focused checkbox would swallow the ← → keys
    nav[2].button("Modalità sala", key="pres_room_btn", width="stretch", type="primary" if room else "secondary",
                  on_click=_toggle_room)
    nav[3].button("Successiva ▶", on_click=_go, args=(1, n), disabled=i >= n, shortcut="Right", width="stretch")
    if room:
        st.markdown(ROOM_CSS, unsafe_allow_html=True)
    else:
        st.caption("Suggerimento: per il proiettore attivare «Modalità sala» (nasconde la barra laterale, "
                   "l'intestazione e l'esportazione) e premere F11 per lo schermo intero.")


def _heading(title: str) -> None:
    """The slide title, without the link icon Streamlit adds to headings."""
    if len(title) > 70:
        st.subheader(plain(title), anchor=False)
    else:
        st.header(plain(title), anchor=False)


def _title_slide(s) -> None:
    st.title(plain(s.title), anchor=False)
    st.header(plain(s.subtitle), anchor=False)   # h2 after the h1 (accessibility: no h1 followed by h3)
    st.markdown("Monitoraggio del piano della performance — Consiglio di Amministrazione / Assemblea")
    _figures(s.figures, per_row=3)
    if s.bullets:   # the measuring system, on one short line
        st.caption(plain(" · ".join(s.bullets)))


def _summary_slide(pm, sel, s, i: int) -> None:
    """The headline, its band and the change; the objectives at risk and the decisions side by side;
    what the deck leaves out in small type."""
    _figures(s.figures, per_row=len(s.figures))
    main = [sec for sec in s.sections if sec[0] != ABSENT]
    for col, (head, items) in zip(st.columns(len(main)), main):
        with col:
            st.markdown(f"**{plain(head)}**")
            st.markdown("\n".join(f"- {_md(clip(x, 170))}" for x in items))
    for head, items in s.sections:
        if head == ABSENT:
            st.caption(plain(f"{head}: " + "; ".join(items) + "."))


def _achievement_slide(pm, sel, s, i: int) -> None:
    left, right = st.columns([1, 1.4])
    with left:
        plotly(measure.plan_gauge(pm, achievement_gauge, "Raggiungimento del piano", GAUGE_H), "pres_gauge")
    with right:
        _figures(s.figures[1:], per_row=4)
        for b in s.bullets:
            st.info(plain(b), icon="ℹ️")


def _cascade_slide(pm, sel, s, i: int) -> None:
    if s.message:
        st.info(plain(s.message), icon="ℹ️")
    _table(s.table)


def group_figures(pm) -> list:
    return [(title, group_bars(df, title, GROUP_H)) for title, df in group_frames(pm)]


def _groups_slide(pm, sel, s, i: int) -> None:
    if s.message:
        st.info(plain(s.message), icon="ℹ️")
        return
    figures = pm.derived(group_figures, pm)
    for col, (title, fig) in zip(st.columns(len(figures)), figures):
        with col:
            plotly(fig, f"pres_group_{title}")


def _objectives_slide(pm, sel, s, i: int) -> None:
    if s.message:
        st.info(plain(s.message), icon="ℹ️")
    elif not s.charts:
        _table(s.table)
    else:
        st.caption("Clic su una barra per aprire l'obiettivo.")
        plotly(measure.plan_ranking(pm, objectives_ranking, RANKING_H), "pres_ranking", sel, clickable=True)


def _late_slide(pm, sel, s, i: int) -> None:
    _figures(s.figures)
    left, right = st.columns([1, 2])
    with left:
        plotly(pm.derived(timing_doughnut, pm.steps, height=DOUGHNUT_H), "pres_timing")
    with right:
        if s.message:
            st.success(plain(s.message))
        _table(s.table, max_rows=LATE_ROWS, cols=[0, 1, 2, 3, 6])


#: How each kind of slide is drawn on the page: new kinds plug in here (and in exports.pptx.RENDER).
def _forecast_slide(pm, sel, s, i: int) -> None:
    measure.forecast_slide(pm, s)   # «Previsione a fine anno» (issue 8)


SLIDE_VIEWS = {SUMMARY: _summary_slide, ACHIEVEMENT: _achievement_slide, CASCADE: _cascade_slide, GROUPS: _groups_slide,
               OBJECTIVES: _objectives_slide, LATE: _late_slide, FORECAST: _forecast_slide}


def slide_body(pm, sel, s, i: int) -> None:
    if s.kind == TITLE:
        _title_slide(s)
        return
    _heading(s.title)
    if s.subtitle and s.kind != OBJECTIVE:
        st.caption(plain(s.subtitle))
    if s.kind == OBJECTIVE:
        objective_slide(pm, s, i)
    elif s.kind in SLIDE_VIEWS:
        SLIDE_VIEWS[s.kind](pm, sel, s, i)


NO_DATED_STEPS = "Nessuno step con termine datato in questa diapositiva (solo attività continuative)."


def dated_steps(pm, code: str, step_range: tuple[int, int] | None = None) -> int:
    """How many steps of the slide have a dated deadline (the timeline draws those)."""
    steps = pm.steps[pm.steps["objective_code"] == code]
    if step_range is not None:
        steps = steps.iloc[step_range[0]:step_range[1]]
    return int(steps["deadline"].notna().sum())


def objective_timeline(pm, code: str, step_range: tuple[int, int] | None = None):
    """The timeline of the objective's steps on the slide, as tall as they need (at most TIMELINE_MAX_H)."""
    steps = pm.steps[pm.steps["objective_code"] == code]
    if step_range is not None:
        steps = steps.iloc[step_range[0]:step_range[1]]
    n = int(steps["deadline"].notna().sum())
    return steps_timeline(steps, pm.ctx.as_of, height=min(TIMELINE_MAX_H, 40 * n + 110), title=None)


def slide_notes(pm, code: str, step_range: tuple[int, int] | None) -> list[str]:
    steps = pm.steps[pm.steps["objective_code"] == code]
    return verification_notes(pm, code, steps.iloc[step_range[0]:step_range[1]] if step_range else steps)


def objective_slide(pm, s, i: int) -> None:
    if s.part == 1:
        if s.subtitle:
            st.caption(f"Tipo: {plain(s.subtitle)}")
        _figures(s.figures, per_row=len(s.figures))
    else:
        st.caption(plain(" · ".join(f"{k}: {v}" for k, v in s.figures) + f" · parte {s.part} di {s.parts}"))
    if s.message:
        st.info(plain(s.message), icon="ℹ️")
        return
    left, right = st.columns([1.7, 1])
    with left:
        _table(s.table, cols=OBJECTIVE_COLS)
        if s.bullets:
            st.markdown("**Note chiave**")
            st.markdown("\n".join(f"- {_md(b)}" for b in s.bullets))
    with right:
        st.markdown("**Cronoprogramma**")
        if pm.derived(dated_steps, pm, s.objective_code, s.step_range):
            plotly(pm.derived(objective_timeline, pm, s.objective_code, s.step_range), f"pres_timeline_{i}")
        else:   # text, not an empty chart: the chart's centred note was clipped in a narrow column
            st.caption(NO_DATED_STEPS)
    if room_mode():
        return    # the speaker's notes are not for the room
    notes = pm.derived(slide_notes, pm, s.objective_code, s.step_range)
    if notes:
        box = lazy_expander("Testi di verifica (note del relatore)", key="pres_notes")
        if box.open:
            with box:
                st.markdown("\n".join(f"- {_md(x)}" for x in notes))


_EXPORT_LOCKS = {k: threading.Lock() for k in DOWNLOADS}


def export_once(pm, fmt: str, db=None, previous=None) -> bytes:
    """The export file of this plan version, year and as-of date, built once (``PlanMetrics`` is cached per data
    version, so it is never stale): the Word Relazione draws its charts in Chromium (seconds), and a second click,
    by anyone, gets the same file at once. One build at a time per format: quick clicks wait for it."""
    with _EXPORT_LOCKS[fmt]:
        # db: the Relazione's texts and timeline (saving a text moves the data version, so never stale);
        # previous: the deck's «variazione dal controllo precedente» (a value of the data version too): neither
        # is part of the key, both are determined by the PlanMetrics of this data version
        return pm.derived(export, pm, fmt, previous=previous, **({"db": db} if db is not None else {}))


def downloads(pm, db=None, previous=None) -> None:
    st.divider()
    st.subheader("Esporta")
    st.caption("La stessa sequenza di diapositive in PowerPoint (grafici modificabili, note del relatore con i testi "
               "di verifica), i risultati in Excel, la Relazione sulla performance in Word (in bozza fino alla validazione; "
               "il PDF e i testi dell'ente nella pagina «Relazione») e un report "
               "HTML che funziona anche senza rete.")
    for col, (key, label) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS.items()):
        with col:
            download_button(label, data=lambda k=key: export_once(pm, k, db, previous), file_name=export_file_name(pm, key),
                            mime=FORMATS[key].mime, key=f"pres_dl_{key}", width="stretch",
                            audit=f"{label}: {export_file_name(pm, key)}", plan_id=pm.ctx.plan_id,
                            import_id=pm.ctx.import_id)


def render() -> None:
    sel = require_selection()
    pm = sel.metrics()
    previous = previous_check(sel.db, pm)    # the summary's «variazione dal controllo precedente»
    deck = pm.derived(build_deck, pm, PAGE, previous)
    i = current_slide(len(deck))
    navigation(sel, i, len(deck))
    with st.container(border=True, key="slide"):   # .st-key-slide: the slide box (tests/e2e/test_slides.py)
        slide_body(pm, sel, deck[i - 1], i)
    if not room_mode():   # «Modalità sala» shows the slide only
        downloads(pm, sel.db, previous)
