"""The sidebar selection ente → piano → anno → data di monitoraggio, remembered across
pages (session state) and reflected in the URL (query parameters), so any view can be
bookmarked. Pages read it with :func:`selection`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics import PlanMetrics, make_context, monitoring_dates
from metrics import access
from metrics.fmt import fmt_date
from store import Database, get_db
from store.access import Principal, local_administrator

# URL parameters
Q_PLAN, Q_YEAR, Q_DATE, Q_OBJECTIVE, Q_VERSION = "piano", "anno", "data", "obiettivo", "versione"
_KEY = "_selection"


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


def sidebar_selection(db: Database, principal: Principal | None = None) -> Selection | None:
    """Render the selectors in the sidebar (only the plans ``principal`` may read); None when there is no plan.
    A ``?piano=`` outside the grant is refused (:func:`ui.auth.show_denied`), revealing nothing."""
    principal = principal or local_administrator()
    cat = _catalogue(db, principal)
    st.session_state[_KEY] = None
    if cat is None:
        return None
    ss = st.session_state
    if "sel_plan" not in ss:  # first run of this session: the URL decides
        want = _qp_int(Q_PLAN)
        if Q_PLAN in st.query_params and not principal.every_ente and want not in cat.plans:
            from ui.auth import deny

            deny(db, principal, f"collegamento a un piano non autorizzato (?piano={st.query_params[Q_PLAN][:20]})")
            for q in (Q_PLAN, Q_OBJECTIVE, Q_VERSION):
                if q in st.query_params:
                    del st.query_params[q]
        # default: the plan with the richest monitoring
        first = cat.plans[want] if want in cat.plans else cat.plans[cat.default_plan]
        ss["sel_ente"] = first.ente
        ss["sel_plan"] = first.plan_id
        if (y := _qp_int(Q_YEAR)) is not None:
            ss["sel_year"] = y
        if (d := _qp_date(Q_DATE)) is not None:
            ss["sel_date"] = d

    sb = st.sidebar
    sb.markdown("### Selezione")
    entes = list(cat.entes)
    if ss.get("sel_ente") not in entes:
        ss["sel_ente"] = entes[0]
    ente = sb.selectbox("Ente", entes, key="sel_ente")
    ids = list(cat.by_ente[ente])
    if ss.get("sel_plan") not in ids:
        ss["sel_plan"] = ids[0]
    plans = cat.plans
    plan_id = sb.selectbox("Piano", ids, format_func=lambda i: plans[i].titolo, key="sel_plan")
    plan = plans[plan_id]
    years = list(plan.years)
    default_ctx = make_context(db, plan_id)
    if ss.get("sel_year") not in years:
        ss["sel_year"] = default_ctx.year
    year = sb.selectbox("Anno", years, key="sel_year")
    ctx = make_context(db, plan_id, year=year)
    dates = sorted(set(d for d in monitoring_dates(db, ctx.import_id) if d.year == year) | {ctx.as_of})
    if ss.get("sel_date") not in dates:
        ss["sel_date"] = ctx.as_of
    as_of = sb.selectbox("Data di monitoraggio", dates, format_func=fmt_date, key="sel_date",
                         help="Le verifiche successive a questa data non vengono considerate.")
    sb.caption(f"Versione {plan.version} del piano, importata il {fmt_date(plan.imported_at)}.")
    sel = Selection(db.path, int(plan_id), plan.import_id, ente, plan.titolo, int(year), as_of, principal)
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
