"""Small Streamlit helpers every page uses: the selection guard, the header, Italian
tables and the drill-down to an objective."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any, Callable, Iterable

import pandas as pd
import pyarrow as pa
import streamlit as st

from charts.locale_it import PLOTLY_IT_CONFIG
from loaders.workbook import MAX_FILE_BYTES
from metrics.fmt import fmt_date, fmt_days, fmt_delta, fmt_int, fmt_num, fmt_pct
from ui.state import PLACEHOLDER, Q_OBJECTIVE, Selection, selection  # noqa: F401 (PLACEHOLDER: for the views)

OBJECTIVE_PAGE = "pages/obiettivo.py"
UPLOAD_PAGE = "pages/carica.py"
PLOTLY_CONFIG = PLOTLY_IT_CONFIG

FORMATTERS: dict[str, Callable[[Any], str]] = {
    "pct": fmt_pct, "num": fmt_num, "int": fmt_int, "date": fmt_date, "days": fmt_days,
    "delta": fmt_delta,
}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")   # links and images need «[»: escaped
_MD_LINE_START = re.compile(r"^(\s*)(-+|\++|=+|\d+[.)])(?=\s|$)", re.M)  # lists, setext headings


def plain(text: Any) -> str:
    """Text from a workbook or a file name, shown literally where Streamlit renders Markdown (titles,
    captions, messages, expander labels): every Markdown and HTML character is escaped, so
    ``![x](http://…)`` is text, never an image the browser fetches (issue 12)."""
    if text is None:
        return ""
    s = _MD_SPECIAL.sub(r"\\\1", str(text))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], s)


def ensure_app_navigation() -> None:
    """Run pages only through ``app.py``'s ``st.navigation``.

    Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until the first
    ``st.navigation`` call in the server process, a bookmarked URL such as ``/confronto``
    runs ``pages/confronto.py`` on its own, without the sidebar (streamlit#9624). When that
    happens, switch the process to navigation mode and rerun: ``app.py`` then resolves the
    same URL to the same page."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    # Sessions that began their run in legacy mode before another session cleared the flag (concurrent first
    # visits to a new server, found by bench/load.py) run the page without app.py: rerun them too, once.
    ss = st.session_state
    if _run_by_main_script():
        ss.pop("_legacy_rerun", None)
    elif not ss.get("_legacy_rerun"):
        ss["_legacy_rerun"] = True
        st.rerun()


def _run_by_main_script() -> bool:
    """This run goes through the main script (``app.py``'s ``page.run()`` is on the stack)."""
    import os
    import sys

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return True
    main = os.path.realpath(ctx.main_script_path)
    frame = sys._getframe(1)
    while frame is not None:
        if os.path.realpath(frame.f_code.co_filename) == main:
            return True
        frame = frame.f_back
    return False


# Static markup only (no workbook text). Streamlit's index.html says <html lang="en"> (streamlit#15726) and its
# file uploader has English texts that cannot be set (streamlit#13500): the document language is set by a script,
# the uploader's texts are replaced by CSS (the English ones are hidden, so screen readers do not read them either).
# The sidebar selects show the whole name of an ente or a plan (two «Consorzio Intercomunale…» differ only
# after 30 characters), wrapping it on more lines.
ITALIAN_DOCUMENT = """<script>
document.documentElement.lang = "it";
if (!window.__cruscottoItalian) {   /* Italian names (aria-label, tooltips) for Streamlit's English ones */
  window.__cruscottoItalian = true;
  const names = [
    ['[data-testid="stFileUploaderDropzone"] button', () => "Scegli il file"],
    ['input[data-testid="stFileUploaderDropzoneInput"]', () => "Carica un file"],
    ['button[aria-label^="Help for "]', (el) => "Aiuto: " + el.getAttribute("aria-label").slice(9)],
  ];
  const same = {"Open": "Apri l'elenco", "Sidebar": "Barra laterale", "Collapse sidebar": "Chiudi la barra laterale",
    "Expand sidebar": "Apri la barra laterale", "App pages": "Pagine", "Main menu": "Menu principale",
    "Link to heading": "Collegamento a questa sezione", "Show/hide columns": "Mostra o nascondi colonne",
    "Download as CSV": "Scarica in CSV", "Search": "Cerca", "Fullscreen": "Schermo intero",
    "Close fullscreen": "Esci dallo schermo intero", "Close": "Chiudi", "Remove": "Rimuovi",
    "Clear all": "Cancella tutto", "Clear value": "Cancella", "file upload": "Carica un file"};
  const fix = () => {
    names.forEach(([sel, name]) => document.querySelectorAll(sel).forEach((el) => {
      const v = name(el); if (el.getAttribute("aria-label") !== v) el.setAttribute("aria-label", v); }));
    ["aria-label", "data-title"].forEach((a) => document.querySelectorAll("[" + a + "]").forEach((el) => {
      const v = same[el.getAttribute(a)]; if (v) el.setAttribute(a, v); }));
  };
  new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
  fix();
}
</script>
<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] > p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "Scegli il file"; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > * { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "Trascina qui il file oppure usa «Scegli il file» · un file .xlsx fino a __MAX_MB__ MB"; }
[data-testid="stSidebar"] [data-testid="stSelectbox"] [data-baseweb="select"] > div,
[data-testid="stSidebar"] [data-testid="stSelectbox"] [data-baseweb="select"] div[value],
[data-testid="stSidebar"] [data-testid="stSelectbox"] [data-baseweb="select"] div {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto; }
[data-baseweb="popover"] li[role="option"], [data-baseweb="popover"] li[role="option"] div {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto; }
</style>""".replace("__MAX_MB__", str(MAX_FILE_BYTES // (1024 * 1024)))   # the one limit (loaders/workbook.py)


def italian_document() -> None:
    """Called by ``app.py`` at every run: the document language and the static CSS above (in the sidebar,
    where the element's empty block takes no room from the page; hidden in «Modalità sala», it still runs)."""
    st.sidebar.html(ITALIAN_DOCUMENT, unsafe_allow_javascript=True)


def require_selection() -> Selection:
    """The selection, or an Italian explanation and a stop when there is no plan yet."""
    ensure_app_navigation()
    sel = selection()
    principal = st.session_state.get("_auth_principal")
    if sel is None and principal is not None and not principal.every_ente:
        st.info("Nessun piano degli enti a cui hai accesso. Chiedere a un amministratore di autorizzarti per il "
                "tuo ente.", icon="ℹ️")
        st.stop()
    if sel is None:
        st.info("Il database non contiene ancora alcun piano. Caricare un foglio di monitoraggio dalla pagina "
                "«Carica foglio» (con `make run` vengono caricati i dati dimostrativi).", icon="ℹ️")
        st.page_link(UPLOAD_PAGE, label="Vai a «Carica foglio»", icon="📤")
        st.stop()
    return sel


def plan_page(title: str, needs: str | None = None, missing: str = "", warn: bool = False):
    """The start of every plan page: selection guard, header and the plan's metrics; when the plan has
    no rows in ``needs`` (a frame of PlanMetrics, e.g. ``"steps"``) the ``missing`` message and a stop."""
    sel = require_selection()
    pm = sel.metrics()
    page_header(title, sel)
    if needs is not None and getattr(pm, needs).empty:
        if warn:
            st.warning(missing)
        else:
            st.info(missing, icon="ℹ️")
        st.stop()
    return sel, pm


def page_header(title: str, sel: Selection, subtitle: str | None = None) -> None:
    st.title(title)
    st.caption(f"{plain(sel.ente)} — {plain(sel.titolo)} · anno {sel.year} · situazione al {fmt_date(sel.as_of)}"
               + (f" · {subtitle}" if subtitle else ""))
    from loaders.rounds import version_note

    note = version_note(sel.db, sel.import_id)     # issue 18: figures resting on answers missing from a round
    if note:
        st.info(plain(note), icon=":material/pending_actions:")


def italian_table(df: pd.DataFrame, columns: dict[str, tuple[str, str | None]]) -> pd.DataFrame:
    """Select, rename and format columns for display: ``{source: (label, kind)}`` with kind in
    pct / num / int / date / days or None (text as is)."""
    out = pd.DataFrame(index=df.index)
    for src, (label, kind) in columns.items():
        col = df[src] if src in df else pd.Series([None] * len(df), index=df.index)
        if kind is None:
            out[label] = col.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
        elif kind == "list":
            out[label] = col.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else (v or ""))
        else:
            out[label] = col.map(FORMATTERS[kind])
    return out.reset_index(drop=True)


# Column widths that fit the page (issue 10, defect 8): st.dataframe does not wrap text, and a table wider than
# the page hides its last columns behind a horizontal scroll. Widths in pixels from the text length; when the
# natural widths exceed the room, the long text columns give way (their whole text shows on hover).
TABLE_WIDTH_PX = 780          # the page's content at 1280×720 with the sidebar open (~820 px), less the margins
CHAR_PX, PAD_PX, MAX_COL_PX, MIN_TEXT_PX, MIN_PX = 7.2, 24, 420, 90, 56


def fit_columns(view: pd.DataFrame, room: int = TABLE_WIDTH_PX) -> dict:
    """Column config giving each column of ``view`` (formatted text) a width in pixels so that the table
    fits in ``room`` pixels whenever possible: first the columns whose header is longer than their values
    give way (down to their values), then the long text columns (down to MIN_TEXT_PX, in proportion)."""
    if not len(view.columns):
        return {}
    natural, content = {}, {}
    for label in view.columns:
        longest = int(view[label].map(lambda v: len(str(v))).max() or 0) if len(view) else 0
        natural[label] = int(min(MAX_COL_PX, PAD_PX + CHAR_PX * max(len(str(label)), longest)))
        content[label] = int(min(natural[label], max(MIN_PX, PAD_PX + CHAR_PX * longest)))
    widths = dict(natural)
    excess = sum(widths.values()) - room
    slack = {k: natural[k] - content[k] for k in natural if natural[k] > content[k]}
    if excess > 0 and slack:                                       # 1. long headers (whole on hover)
        cut = min(1.0, excess / sum(slack.values()))
        widths.update({k: natural[k] - int(d * cut + 0.999) for k, d in slack.items()})
    wide = {k: w for k, w in widths.items() if content[k] > MIN_TEXT_PX + 20}
    if sum(widths.values()) > room and wide:                       # 2. long text (whole on hover)
        fixed = sum(w for k, w in widths.items() if k not in wide)
        pool, pinned = dict(wide), {}
        while pool:                          # proportional shares; a share under the minimum is pinned to it
            share = max(0, room - fixed - sum(pinned.values())) / sum(pool.values())
            if share >= 1:
                break
            small = [k for k, w in pool.items() if w * share < MIN_TEXT_PX]
            if not small:
                widths.update({k: int(w * share) for k, w in pool.items()})
                break
            for k in small:
                pinned[k] = MIN_TEXT_PX
                del pool[k]
        widths.update(pinned)
    return {label: st.column_config.TextColumn(label, width=w) for label, w in widths.items()}


def compact_columns(view: pd.DataFrame, kinds: dict[str, str | None], room: int = TABLE_WIDTH_PX) -> dict:
    """Column config of an Italian table: widths that fit ``room`` pixels (see :func:`fit_columns`)."""
    return fit_columns(view, room)


def formatted_table(key: str | None, columns: tuple, rows: tuple | None, room: int = TABLE_WIDTH_PX, *,
                    df: pd.DataFrame):
    """The Italian view of ``df`` and its column config; as an Arrow table (what st.dataframe sends,
    so a cached view is not converted again at every rerun) when cached, i.e. when ``rows`` is given."""
    cols = dict(columns)
    view = italian_table(df, cols)
    config = compact_columns(view, {label: kind for label, kind in cols.values()}, room)
    return (pa.Table.from_pandas(view, preserve_index=False) if rows is not None else view), config


def show_table(df: pd.DataFrame, columns: dict[str, tuple[str, str | None]], key: str | None = None,
               objective_col: str | None = None, sel: Selection | None = None, height: int | str = "auto",
               memo: Any = None, empty: str = "Nessun elemento da mostrare.", room: int = TABLE_WIDTH_PX,
               **dataframe_kwargs: Any) -> None:
    """An Italian table; when ``objective_col`` is given, clicking a row opens that objective.

    With ``memo`` (the PlanMetrics the frame is derived from, and only then) the formatted view is
    built once per plan version, keyed by ``key``, the columns and the frame's rows. An empty frame shows
    ``empty`` (Streamlit would draw an empty grid with the English word "empty")."""
    if not len(df):
        st.caption(empty)
        return
    if memo is not None and key:
        view, config = memo.derived(formatted_table, key, tuple(columns.items()), tuple(df.index), room, df=df)
    else:
        view, config = formatted_table(key, tuple(columns.items()), None, room, df=df)
    kwargs = dict(hide_index=True, key=key, height=height, column_config=config, **dataframe_kwargs)
    if objective_col and sel is not None and len(df):
        event = st.dataframe(view, on_select="rerun", selection_mode="single-row", **kwargs)
        rows = event.selection.rows if event and event.selection else []
        if rows:
            goto_objective(sel, str(df.iloc[rows[0]][objective_col]))
    else:
        st.dataframe(view, **kwargs)


def goto_objective(sel: Selection, code: str) -> None:
    st.switch_page(OBJECTIVE_PAGE, query_params=sel.params(**{Q_OBJECTIVE: code}))


def objective_from_event(event: Any) -> str | None:
    """The objective code carried in ``customdata[0]`` of a clicked Plotly point."""
    try:
        points = event.selection.points if event and event.selection else []
    except AttributeError:
        return None
    for p in points:
        cd = p.get("customdata")
        if cd:
            return str(cd[0] if isinstance(cd, (list, tuple)) else cd)
    return None


class _FrozenFigureDict(dict):
    """``fig.to_dict()`` of a frozen figure, carrying its JSON (see :func:`serialised_once`)."""
    __slots__ = ("json",)


def _frozen_aware_to_json():
    """``plotly.io.to_json`` that returns the JSON kept by :func:`serialised_once` for a frozen
    figure. Streamlit calls it on ``fig.to_dict()`` at every ``st.plotly_chart`` (~0,5–4 ms for
    our figures); every other call goes to plotly unchanged. Installed once, on import."""
    import plotly.io as pio

    original = pio.to_json
    if getattr(original, "_frozen_aware", False):
        return

    def to_json(fig, validate=True, pretty=False, remove_uids=True, engine=None):
        if isinstance(fig, _FrozenFigureDict) and not pretty and remove_uids and engine is None:
            return fig.json
        return original(fig, validate=validate, pretty=pretty, remove_uids=remove_uids, engine=engine)

    to_json._frozen_aware = True
    pio.to_json = to_json


_frozen_aware_to_json()


#: How long a download click waits for its button to be registered again by a rerun in progress.
DEFERRED_WAIT_S = 5.0
#: How long a file built for a download click is kept for the browser to fetch it.
DELIVERED_KEEP_S = 120.0


def _stable_download_ids() -> None:
    """Give each download button of a session one deferred-file id for all the script runs.

    Why: a button whose ``data`` is a callable (the file is built on click) gets from Streamlit's
    ``MediaFileManager.add_deferred`` a new random id at every run, and at the end of each run the
    ids of the previous run are dropped (``remove_orphaned_files``). A click that still carries the
    previous id (the browser has not yet received the new one: e.g. just after «Modalità sala»
    reruns the page) fails on the server with ``MediaFileStorageError: Deferred file … not found``
    and the browser shows nothing. With an id derived from the session and the button's stable
    element id (its ``key``), every run re-registers the same id with the current callable, so a
    click made at any moment finds it. The id stays unguessable: an HMAC with a per-process secret.
    Installed once, on import; if Streamlit's internals change, Streamlit's own behaviour is kept
    (``tests/e2e/test_downloads.py`` would then show the failures again)."""
    from streamlit.runtime import media_file_manager as mfm

    cls = mfm.MediaFileManager
    original = cls.add_deferred
    if getattr(original, "_stable_ids", False):
        return
    internals = ("_deferred_callables", "_deferred_ids_by_session", "_files_by_session_and_coord", "_lock")
    secret = secrets.token_bytes(32)

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        if not element_id or not all(hasattr(self, n) for n in internals):
            return original(self, data_callable, mimetype, coordinates, file_name=file_name, element_id=element_id)
        session_id = mfm._get_session_id()
        file_id = hmac.new(secret, f"{session_id}\0{element_id}".encode(), hashlib.sha256).hexdigest()[:32]
        with self._lock:
            self._deferred_callables[file_id] = {
                "callable": data_callable, "mimetype": mimetype, "filename": file_name, "coordinates": coordinates,
                "session_id": session_id, "element_id": element_id}
            self._deferred_ids_by_session[session_id].add(file_id)
            self._files_by_session_and_coord[session_id][coordinates] = file_id
        return file_id

    add_deferred._stable_ids = True
    cls.add_deferred = add_deferred

    # A click that arrives while a rerun has dropped the button's entry and not yet re-registered it (the
    # same stable id comes back when the button renders again) waits for it, instead of failing at once.
    execute = cls.execute_deferred

    def execute_deferred(self, file_id: str) -> str:
        deadline = time.monotonic() + DEFERRED_WAIT_S
        while True:
            with self._lock:
                known = file_id in self._deferred_callables
            if known or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        url = execute(self, file_id)
        with self._lock:
            delivered[url.rsplit("/", 1)[-1].split(".", 1)[0]] = time.monotonic()
        return url

    cls.execute_deferred = execute_deferred

    # A file just built for a click is referenced by no session: Streamlit marks it at the next clean-up (any
    # session's run) and deletes it at the one after, possibly before the browser has fetched it (the download is
    # then «canceled»); and identical files share one id, so a later click's file could go with an earlier one.
    # Files delivered in the last DELIVERED_KEEP_S seconds are kept.
    delivered: dict[str, float] = {}
    inactive = cls._get_inactive_file_ids

    def _get_inactive_file_ids(self) -> set[str]:
        now = time.monotonic()
        for fid, at in list(delivered.items()):
            if now - at > DELIVERED_KEEP_S:
                del delivered[fid]
        return {fid for fid in inactive(self) if fid not in delivered}

    cls._get_inactive_file_ids = _get_inactive_file_ids


_stable_download_ids()


def _keep_backend_replies() -> None:
    """Never drop the reply to a download click. Streamlit queues the reply to a deferred download (the URL
    of the file just built) like any message, and when a new run starts before the queue is sent to the browser
    (a click on «Modalità sala» while the file is being built) ``ForwardMsgQueue.clear`` empties it, keeping only
    lifecycle messages and toasts: the reply is lost and the button spins for ever, with no file and no message.
    The replies are one-shot answers to the browser, like toasts: they are kept. Installed once, on import."""
    from streamlit.runtime import forward_msg_queue as fmq

    cls = fmq.ForwardMsgQueue
    original = cls.clear
    if getattr(original, "_keeps_replies", False):
        return

    def clear(self, retain_lifecycle_msgs: bool = False, fragment_ids_this_run=None) -> None:
        replies = [m for m in getattr(self, "_queue", ()) if m.WhichOneof("type") == "backend_operation_response"] \
            if retain_lifecycle_msgs else []
        original(self, retain_lifecycle_msgs=retain_lifecycle_msgs, fragment_ids_this_run=fragment_ids_this_run)
        if replies:
            self._queue.extend(m for m in replies if m not in self._queue)

    clear._keeps_replies = True
    cls.clear = clear


_keep_backend_replies()


def download_button(label: str, data: Callable[[], bytes] | bytes, file_name: str, mime: str, key: str,
                    audit: str | None = None, plan_id: int | None = None, import_id: int | None = None,
                    **kwargs: Any) -> None:
    """Every download button of the app: a fixed ``key`` (the file id stays the same across reruns, see
    :func:`_stable_download_ids`), no rerun on click; ``data`` may be a callable (built on click).

    ``audit``: what the file is, for the trail: one «scaricamento» record each time the file is delivered
    (:func:`ui.identity.audited`, recorded as the session's user, captured now: the file is built outside the
    script run). A rerun on click (an ``on_click`` callback) would let Streamlit delete a file just built before
    the browser fetched it, so the record is written when the file is built instead."""
    if audit is not None:
        from ui.identity import acting_user, audited

        data = audited(data, acting_user(), audit, plan_id, import_id)
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, on_click="ignore", **kwargs)


def serialised_once(fig):
    """Freeze a figure cached with ``PlanMetrics.derived`` (shown on every rerun unchanged): its
    ``to_dict()`` (a deep copy, ~5 ms) and the JSON Streamlit sends are computed once. Do not
    modify a figure after this call."""
    if "_dict_once" not in vars(fig):
        import plotly.io as pio

        snapshot = _FrozenFigureDict(fig.to_dict())
        snapshot.json = pio.to_json(dict(snapshot), validate=False)
        fig._dict_once = snapshot
        fig.to_dict = lambda: snapshot
    return fig


def plotly(fig, key: str, sel: Selection | None = None, clickable: bool = False) -> None:
    """Show a figure; when ``clickable``, a click on a point opens the objective in its customdata."""
    fig = serialised_once(fig)
    if clickable and sel is not None:
        event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",), config=PLOTLY_CONFIG)
        code = objective_from_event(event)
        if code:
            goto_objective(sel, code)
    else:
        st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG)


def lazy_tabs(labels: list[str], key: str):
    """Tabs that run only the open one (check ``tab.open``): switching tab reruns the page. The
    open tab is kept in ``st.session_state[key]`` and in the URL (``?key=label``), so it can be
    bookmarked; the first tab is open by default."""
    return st.tabs(labels, key=key, on_change="rerun", bind="query-params")


def lazy_expander(label: str, key: str, expanded: bool = False):
    """An expander whose content runs only while it is open (check ``.open``): opening or closing
    it reruns the page."""
    return st.expander(label, expanded=expanded, key=key, on_change="rerun")


def metric_row(items: Iterable[tuple[str, str, str | None]]) -> None:
    """A row of st.metric: (label, value, help)."""
    items = list(items)
    for col, (label, value, help_) in zip(st.columns(len(items)), items):
        col.metric(label, value, help=help_)
