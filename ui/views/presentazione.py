"""Presentazione: the board deck one slide at a time (``?slide=N``), ← → to navigate, and
the exports (PowerPoint, Excel, Relazione Word, report HTML) built from the same deck."""
import re

import pandas as pd
import streamlit as st

from charts.board import group_bars, timing_doughnut
from charts.objective import steps_timeline
from charts.overview import achievement_gauge, objectives_ranking
from exports import FORMATS, export
from exports.common import (ACHIEVEMENT, CASCADE, GROUPS, LATE, OBJECTIVE, OBJECTIVES, TITLE, Table, build_deck,
                            export_file_name, group_frames, verification_notes)
from metrics.settings import DEFAULT
from ui.common import download_button, lazy_expander, metric_row, plain, plotly, require_selection

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
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; }
</style>"""


def _md(s: str) -> str:
    """Workbook text shown literally by markdown (st.markdown, st.table cells): no emphasis, links,
    HTML, headings or lists."""
    s = re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", s)
    s = re.sub(r"^(\s*)([-+])(\s)", r"\1\\\2\3", s, flags=re.M)
    return re.sub(r"^(\s*)(\d+)([.)])(\s)", r"\1\2\\\3\4", s, flags=re.M)


def _frame(t: Table, max_rows: int | None = None, cols: list[int] | None = None) -> pd.DataFrame:
    """The table's text, escaped: st.table renders markdown in its cells."""
    cols = list(range(len(t.columns))) if cols is None else cols
    rows = t.rows[:max_rows] if max_rows else t.rows
    return pd.DataFrame([[_md(r[c]) for c in cols] for r in rows], columns=[t.columns[c] for c in cols])


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


def objective_timeline(pm, code: str):
    return steps_timeline(pm.steps[pm.steps["objective_code"] == code], pm.ctx.as_of)


def group_figures(pm) -> list:
    return [(title, group_bars(df, title)) for title, df in group_frames(pm)]


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


def navigation(sel, i: int, n: int) -> None:
    st.markdown(BIG_CSS, unsafe_allow_html=True)
    nav = st.columns([1.2, 3, 1.4, 1.2], vertical_alignment="center")
    nav[0].button("◀ Precedente", on_click=_go, args=(-1, n), disabled=i <= 1, shortcut="Left", width="stretch")
    nav[1].caption(f"Diapositiva {i} di {n} · tasti ← → per scorrere · {plain(sel.ente)} — anno {sel.year}")
    # a button, not a toggle: a focused checkbox would swallow the ← → keys
    room = st.session_state.get("pres_room", False)
    nav[2].button("Modalità sala", key="pres_room_btn", width="stretch", type="primary" if room else "secondary",
                  on_click=_toggle_room)
    nav[3].button("Successiva ▶", on_click=_go, args=(1, n), disabled=i >= n, shortcut="Right", width="stretch")
    if room:
        st.markdown(ROOM_CSS, unsafe_allow_html=True)
    else:
        st.caption("Suggerimento: per il proiettore attivare «Modalità sala» (nasconde la barra laterale e "
                   "l'intestazione) e premere F11 per lo schermo intero.")


def slide_body(pm, sel, s, i: int) -> None:
    if s.kind == TITLE:
        st.title(plain(s.title))
        st.header(plain(s.subtitle))   # h2 after the h1 title (accessibility: no h1 followed by h3)
        st.markdown("Monitoraggio del piano della performance — Consiglio di Amministrazione / Assemblea")
        _figures(s.figures, per_row=3)
        return
    if len(s.title) > 90:
        st.subheader(plain(s.title))
    else:
        st.header(plain(s.title))
    if s.subtitle and s.kind != OBJECTIVE:
        st.caption(plain(s.subtitle))
    if s.kind == ACHIEVEMENT:
        left, right = st.columns([1, 1.4])
        with left:
            plotly(pm.derived(achievement_gauge, pm.achievement, DEFAULT, "Raggiungimento del piano", 360),
                   "pres_gauge")
        with right:
            _figures(s.figures[1:], per_row=3)
            for b in s.bullets:
                st.info(plain(b), icon="ℹ️")
    elif s.kind == CASCADE:
        if s.message:
            st.info(plain(s.message), icon="ℹ️")
        _table(s.table)
    elif s.kind == GROUPS:
        if s.message:
            st.info(plain(s.message), icon="ℹ️")
        else:
            figures = pm.derived(group_figures, pm)
            for col, (title, fig) in zip(st.columns(len(figures)), figures):
                with col:
                    plotly(fig, f"pres_group_{title}")
    elif s.kind == OBJECTIVES:
        if s.message:
            st.info(plain(s.message), icon="ℹ️")
        elif not s.charts:
            _table(s.table)
        else:
            st.caption("Clic su una barra per aprire l'obiettivo.")
            plotly(pm.derived(objectives_ranking, pm.objectives), "pres_ranking", sel, clickable=True)
    elif s.kind == LATE:
        _figures(s.figures)
        left, right = st.columns([1, 2])
        with left:
            plotly(pm.derived(timing_doughnut, pm.steps), "pres_timing")
        with right:
            if s.message:
                st.success(plain(s.message))
            _table(s.table, max_rows=12, cols=[0, 1, 2, 3, 6])
    elif s.kind == OBJECTIVE:
        objective_slide(pm, s, i)


def objective_slide(pm, s, i: int) -> None:
    if s.subtitle:
        st.caption(f"Tipo: {plain(s.subtitle)}")
    _figures(s.figures, per_row=len(s.figures))
    if s.message:
        st.info(plain(s.message), icon="ℹ️")
        return
    _table(s.table)
    left, right = st.columns([1, 1.6])
    with left:
        st.markdown("**Note chiave**")
        st.markdown("\n".join(f"- {_md(b)}" for b in s.bullets))
    with right:
        plotly(pm.derived(objective_timeline, pm, s.objective_code), f"pres_timeline_{i}")
    notes = pm.derived(verification_notes, pm, s.objective_code)
    if notes:
        box = lazy_expander("Testi di verifica (note del relatore)", key="pres_notes")
        if box.open:
            with box:
                st.markdown("\n".join(f"- {_md(x)}" for x in notes))


def downloads(pm) -> None:
    st.divider()
    st.subheader("Esporta")
    st.caption("La stessa sequenza di diapositive in PowerPoint (grafici modificabili, note del relatore con i testi "
               "di verifica), i risultati in Excel, la bozza della Relazione sulla performance in Word e un report "
               "HTML che funziona anche senza rete.")
    for col, (key, label) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS.items()):
        with col:
            download_button(label, data=lambda k=key: export(pm, k), file_name=export_file_name(pm, key),
                            mime=FORMATS[key].mime, key=f"pres_dl_{key}", width="stretch")


def render() -> None:
    sel = require_selection()
    pm = sel.metrics()
    deck = pm.derived(build_deck, pm)
    i = current_slide(len(deck))
    navigation(sel, i, len(deck))
    with st.container(border=True):
        slide_body(pm, sel, deck[i - 1], i)
    downloads(pm)
