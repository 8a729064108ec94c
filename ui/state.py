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

from domain.clock import today
from metrics import PlanMetrics, make_context, monitoring_dates
from metrics import access
from metrics.fmt import fmt_date
from store import Database, get_db
from store.access import Principal, local_administrator

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
    principal: Principal = local_administrator()

    @property
    def db(self) -> Database:
        return get_db(self.db_path)

    def metrics(self, as_of: dt.date | None = None, import_id: int | None = None) -> PlanMetrics:
        """The plan's metrics through the access layer: redacted (no names, no grades) below direttore."""
        return access.plan_metrics(self.principal, self.db, self.plan_id, import_id or self.import_id, self.year,
                                   as_of or self.as_of)

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


@dataclass(frozen=True)
class _PlanChoice:
    plan_id: int
    import_id: int
    ente: str
    titolo: str
    years: tuple[int, ...]
    version: int
    imported_at: pd.Timestamp


@dataclass(frozen=True)
class _Catalogue:
    """What the sidebar offers, derived from :func:`list_plans` once per data version (not at every run)."""
    plans: dict[int, _PlanChoice]
    entes: tuple[str, ...]                   # sorted
    by_ente: dict[str, tuple[int, ...]]      # plan ids in list_plans order (ente, titolo)
    default_plan: int                        # the plan with the richest monitoring


def _catalogue(db: Database, principal: Principal) -> _Catalogue | None:
    """Only the plans ``principal`` may read (:func:`metrics.access.list_plans`), per data version and grant."""
    def build() -> _Catalogue | None:
        plans = access.list_plans(principal, db)
        if plans.empty:
            return None
        choices = {int(r.plan_id): _PlanChoice(int(r.plan_id), int(r.import_id), r.ente, r.titolo,
                                               tuple(range(int(r.anno_inizio), int(r.anno_fine) + 1)), int(r.version),
                                               pd.Timestamp(r.imported_at))
                   for r in plans.itertuples(index=False)}
        by_ente: dict[str, list[int]] = {}
        for pid, ente in zip(plans["plan_id"], plans["ente"]):
            by_ente.setdefault(ente, []).append(int(pid))
        default = int(plans.sort_values(["n_verifications", "n_steps"], ascending=False, kind="stable")["plan_id"].iloc[0])
        return _Catalogue(choices, tuple(sorted(by_ente)), {k: tuple(v) for k, v in by_ente.items()}, default)

    return db.memo(("sidebar_catalogue", principal.entes), build)


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


def plan_label(plan: "_PlanChoice") -> str:
    """The sidebar label of a plan: its years first («2023 · Piano …», «2025–2027 · PIAO …»)."""
    a, b = plan.years[0], plan.years[-1]
    return f"{a}{'–' + str(b) if b != a else ''} · {plan.titolo}"


def note_url_problem(text: str) -> None:
    st.session_state.setdefault(_URL_NOTES, []).append(text)


def url_notes() -> None:
    """Show (once) the messages about URL values that could not be honoured."""
    for text in st.session_state.pop(_URL_NOTES, []):
        st.warning(text, icon=":material/link_off:")


def _plan_from_url(cat: "_Catalogue") -> None:
    ss = st.session_state
    raw = st.query_params.get(Q_PLAN)
    want = _qp_int(Q_PLAN)
    if want in cat.plans:
        first = cat.plans[want]
    else:  # default: the plan with the richest monitoring
        first = cat.plans[cat.default_plan]
        if raw is not None:
            note_url_problem(f"Il link indica il piano «{plain_md(raw)}», che non esiste in questo database: è "
                             f"mostrato «{plain_md(first.titolo, None)}» ({plain_md(first.ente, None)}). "
                             "Scegliere il piano nella barra laterale.")
            for q in (Q_YEAR, Q_DATE, Q_OBJECTIVE):     # they referred to the missing plan
                if q in st.query_params:
                    del st.query_params[q]
    ss["sel_ente"] = first.ente
    ss["sel_plan"] = first.plan_id


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


def sidebar_selection(db: Database, principal: Principal | None = None) -> Selection | None:
    """Render the selectors in the sidebar (only the plans ``principal`` may read); None when there is no plan.
    A ``?piano=`` outside the grant is refused (:func:`ui.auth.show_denied`), revealing nothing."""
    principal = principal or local_administrator()
    cat = _catalogue(db, principal)
    st.session_state[_KEY] = None
    if cat is None:
        return None
    ss = st.session_state
    first_run = "sel_plan" not in ss
    if first_run:  # first run of this session: the URL decides (unknown values: an Italian note)
        want = _qp_int(Q_PLAN)
        if Q_PLAN in st.query_params and not principal.every_ente and want not in cat.plans:
            from ui.auth import deny

            deny(db, principal, f"collegamento a un piano non autorizzato (?piano={st.query_params[Q_PLAN][:20]})")
            for q in (Q_PLAN, Q_OBJECTIVE, Q_VERSION):
                if q in st.query_params:
                    del st.query_params[q]
        _plan_from_url(cat)    # after a refusal there is no ?piano= left: the default plan, no note

    sb = st.sidebar
    sb.markdown("### Selezione")
    entes = list(cat.entes)
    if ss.get("sel_ente") not in entes:
        ss["sel_ente"] = entes[0]
    ente = sb.selectbox("Ente", entes, key="sel_ente", placeholder=PLACEHOLDER, format_func=short_ente)
    ids = list(cat.by_ente[ente])
    if ss.get("sel_plan") not in ids:
        ss["sel_plan"] = ids[0]
    plans = cat.plans
    plan_id = sb.selectbox("Piano", ids, format_func=lambda i: plan_label(plans[i]), key="sel_plan",
                           placeholder=PLACEHOLDER)
    plan = plans[plan_id]
    years = list(plan.years)
    default_ctx = make_context(db, plan_id)
    if first_run:
        _year_from_url(years, default_ctx.year)
    if ss.get("sel_year") not in years:
        ss["sel_year"] = default_ctx.year
    year = sb.selectbox("Anno", years, key="sel_year", placeholder=PLACEHOLDER)
    ctx = make_context(db, plan_id, year=year)
    now = today()     # spec revision 3: no monitoring date after today is offered
    dates = sorted(set(d for d in monitoring_dates(db, ctx.import_id) if d.year == year and d <= now) | {ctx.as_of})
    if first_run:
        _date_from_url(dates, ctx.as_of, year)
    if ss.get("sel_date") not in dates:
        ss["sel_date"] = ctx.as_of
    as_of = sb.selectbox("Data di monitoraggio", dates, format_func=fmt_date, key="sel_date", placeholder=PLACEHOLDER,
                         help="Le verifiche successive a questa data non vengono considerate.")
    if ctx.import_id != plan.import_id:   # a validated year shows its validated version (issue 16)
        sb.caption(f"Anno validato: sono mostrati i dati della versione {ctx.version} del piano (la versione più "
                   f"recente è la {plan.version}).")
    else:
        sb.caption(f"Versione {plan.version} del piano, importata il {fmt_date(plan.imported_at)}.")
    sel = Selection(db.path, int(plan_id), ctx.import_id, ente, plan.titolo, int(year), as_of, principal)
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
