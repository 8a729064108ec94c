"""The sidebar selection ente → piano → anno → data di monitoraggio, remembered across
pages (session state) and reflected in the URL (query parameters), so any view can be
bookmarked. Pages read it with :func:`selection`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics import PlanMetrics, list_plans, make_context, monitoring_dates, plan_metrics
from metrics.fmt import fmt_date
from store import Database, get_db

# URL parameters
Q_PLAN, Q_YEAR, Q_DATE, Q_OBJECTIVE, Q_VERSION = "piano", "anno", "data", "obiettivo", "versione"
_KEY = "_selection"
PLACEHOLDER = "Scegli…"    # every selectbox: Streamlit's own placeholder is English ("Choose an option")
_URL_NOTES = "_url_notes"   # Italian messages about URL values that could not be honoured (see url_notes)


@dataclass(frozen=True)
class Selection:
    db_path: str
    plan_id: int
    import_id: int
    ente: str
    titolo: str
    year: int
    as_of: dt.date

    @property
    def db(self) -> Database:
        return get_db(self.db_path)

    def metrics(self, as_of: dt.date | None = None, import_id: int | None = None) -> PlanMetrics:
        return plan_metrics(self.db, self.plan_id, import_id or self.import_id, self.year, as_of or self.as_of)

    def params(self, **extra: str) -> dict[str, str]:
        """Query parameters that reproduce this view (for links and page switches)."""
        p = {Q_PLAN: str(self.plan_id), Q_YEAR: str(self.year), Q_DATE: self.as_of.isoformat()}
        p.update({k: str(v) for k, v in extra.items() if v is not None})
        return p


def _qp_int(name: str) -> int | None:
    try:
        return int(st.query_params.get(name, ""))
    except ValueError:
        return None


def _qp_date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


# ----------------------------------------------------------------------------- URL values (issue 10)
# A link with a value that does not exist (a plan id, a year outside the plan, a date without monitoring,
# a malformed value) never shows other content silently: the sidebar falls back to the default and an
# Italian message, shown at the top of the page (url_notes), says what was asked and what is shown.
def plain_md(text: str, limit: int | None = 80) -> str:
    """Text shown literally by Markdown (st.warning, st.markdown): no emphasis, links or HTML; cut to
    ``limit`` characters (URL values) unless None."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~$" else c for c in str(text)[:limit])


def short_ente(ente: str) -> str:
    """The sidebar label of an ente: its acronym first, when the name ends with one in brackets
    («Consorzio … (C.I.S.A. 31)» → «C.I.S.A. 31 — Consorzio …»), so that names sharing the first
    30 characters differ where the select cuts them."""
    m = re.fullmatch(r"\s*(.+?)\s*\(([^()]{1,25})\)\s*", str(ente))
    return f"{m.group(2)} — {m.group(1)}" if m else str(ente)


def plan_label(plan) -> str:
    """The sidebar label of a plan: its years first («2023 · Piano …», «2025–2027 · PIAO …»)."""
    a, b = int(plan.anno_inizio), int(plan.anno_fine)
    return f"{a}{'–' + str(b) if b != a else ''} · {plan.titolo}"


def note_url_problem(text: str) -> None:
    st.session_state.setdefault(_URL_NOTES, []).append(text)


def url_notes() -> None:
    """Show (once) the messages about URL values that could not be honoured."""
    for text in st.session_state.pop(_URL_NOTES, []):
        st.warning(text, icon=":material/link_off:")


def _plan_from_url(plans: pd.DataFrame) -> None:
    ss = st.session_state
    raw = st.query_params.get(Q_PLAN)
    want = _qp_int(Q_PLAN)
    row = plans[plans["plan_id"] == want]
    if row.empty:  # default: the plan with the richest monitoring
        row = plans.sort_values(["n_verifications", "n_steps"], ascending=False, kind="stable").head(1)
        if raw is not None:
            note_url_problem(f"Il link indica il piano «{plain_md(raw)}», che non esiste in questo database: è "
                             f"mostrato «{plain_md(row['titolo'].iloc[0], None)}» ({plain_md(row['ente'].iloc[0], None)}). "
                             "Scegliere il piano nella barra laterale.")
            for q in (Q_YEAR, Q_DATE, Q_OBJECTIVE):     # they referred to the missing plan
                if q in st.query_params:
                    del st.query_params[q]
    ss["sel_ente"] = row["ente"].iloc[0]
    ss["sel_plan"] = int(row["plan_id"].iloc[0])


def _year_from_url(years: list[int], default: int) -> None:
    raw = st.query_params.get(Q_YEAR)
    if raw is None:
        return
    y = _qp_int(Q_YEAR)
    if y in years:
        st.session_state["sel_year"] = y
    else:
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        note_url_problem(f"Il link indica l'anno «{plain_md(raw)}», che non è un anno del piano ({span}): è "
                         f"mostrato il {default}.")
        if Q_DATE in st.query_params:           # a date of another year cannot be honoured either
            del st.query_params[Q_DATE]


def _date_from_url(dates: list[dt.date], default: dt.date, year: int) -> None:
    raw = st.query_params.get(Q_DATE)
    if raw is None:
        return
    d = _qp_date(Q_DATE)
    if d in dates:
        st.session_state["sel_date"] = d
    else:
        what = f"il {fmt_date(d)}, che non è una data di monitoraggio del {year}" if d is not None else \
            f"«{plain_md(raw)}», che non è una data (formato AAAA-MM-GG)"
        note_url_problem(f"Il link indica come data di monitoraggio {what}: è mostrata la situazione al "
                         f"{fmt_date(default)}. Le date disponibili sono nella barra laterale.")


def sidebar_selection(db: Database) -> Selection | None:
    """Render the selectors in the sidebar; None when the database has no plan."""
    plans = list_plans(db)
    st.session_state[_KEY] = None
    if plans.empty:
        return None
    ss = st.session_state
    first_run = "sel_plan" not in ss
    if first_run:  # first run of this session: the URL decides
        _plan_from_url(plans)

    sb = st.sidebar
    sb.markdown("### Selezione")
    entes = sorted(plans["ente"].unique())
    if ss.get("sel_ente") not in entes:
        ss["sel_ente"] = entes[0]
    ente = sb.selectbox("Ente", entes, key="sel_ente", placeholder=PLACEHOLDER, format_func=short_ente)
    of_ente = plans[plans["ente"] == ente]
    ids = [int(x) for x in of_ente["plan_id"]]
    if ss.get("sel_plan") not in ids:
        ss["sel_plan"] = ids[0]
    titles = dict(zip(of_ente["plan_id"].astype(int), of_ente["titolo"]))
    labels = {int(r.plan_id): plan_label(r) for r in of_ente.itertuples()}
    plan_id = sb.selectbox("Piano", ids, format_func=labels.get, key="sel_plan", placeholder=PLACEHOLDER)
    plan = of_ente[of_ente["plan_id"] == plan_id].iloc[0]
    years = list(range(int(plan["anno_inizio"]), int(plan["anno_fine"]) + 1))
    default_ctx = make_context(db, plan_id)
    if first_run:
        _year_from_url(years, default_ctx.year)
    if ss.get("sel_year") not in years:
        ss["sel_year"] = default_ctx.year
    year = sb.selectbox("Anno", years, key="sel_year", placeholder=PLACEHOLDER)
    ctx = make_context(db, plan_id, year=year)
    dates = sorted(set(d for d in monitoring_dates(db, ctx.import_id) if d.year == year) | {ctx.as_of})
    if first_run:
        _date_from_url(dates, ctx.as_of, year)
    if ss.get("sel_date") not in dates:
        ss["sel_date"] = ctx.as_of
    as_of = sb.selectbox("Data di monitoraggio", dates, format_func=fmt_date, key="sel_date", placeholder=PLACEHOLDER,
                         help="Le verifiche successive a questa data non vengono considerate.")
    sb.caption(f"Versione {int(plan['version'])} del piano, importata il {fmt_date(pd.Timestamp(plan['imported_at']))}.")
    sel = Selection(db.path, int(plan_id), int(plan["import_id"]), ente, plan["titolo"], int(year), as_of)
    st.session_state[_KEY] = sel
    # only our own parameters: the others (the objective, a tab bound with bind="query-params") stay as
    # they are, and Streamlit refuses to set a parameter bound to a widget
    for k, v in sel.params().items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v
    return sel


def selection() -> Selection | None:
    """The current selection (set by ``app.py`` before the page runs)."""
    return st.session_state.get(_KEY)
