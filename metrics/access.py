"""The reads the pages use, guarded by the principal's role and grants (issue 9).

Wraps :mod:`metrics.engine` without changing it: plans outside the grant are not listed, a plan
outside the grant raises :class:`store.access.NotAuthorized` (the same message whether it exists or
not), and below ``direttore`` the staff comes without names and grades (Persone: aggregates only).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from metrics import engine
from metrics.engine import PlanMetrics
from store.access import NAMES, PROFILES, TEXTS, NotAuthorized, Principal, allowed_plan_ids, require_plan

__all__ = ["NotAuthorized", "is_redacted", "list_plans", "make_context", "monitoring_dates", "plan_metrics",
           "plan_versions", "redacted", "save_profile", "staff_summary"]

REDACTED_NAME = "(nome riservato)"


def list_plans(principal: Principal, db) -> pd.DataFrame:
    """:func:`metrics.engine.list_plans` restricted to the enti granted to ``principal``."""
    if principal.every_ente:
        return engine.list_plans(db)
    return db.memo(("list_plans_for", principal.entes), lambda: _restricted_plans(db, principal)).copy()


def _restricted_plans(db, principal: Principal) -> pd.DataFrame:
    plans = engine.list_plans(db)
    return plans[plans["plan_id"].isin(allowed_plan_ids(db, principal))].reset_index(drop=True)


def make_context(principal: Principal, db, plan_id, import_id=None, year=None, as_of=None) -> engine.Context:
    return engine.make_context(db, require_plan(db, principal, plan_id), import_id, year, as_of)


def plan_versions(principal: Principal, db, plan_id) -> pd.DataFrame:
    return engine.plan_versions(db, require_plan(db, principal, plan_id))


def monitoring_dates(principal: Principal, db, plan_id, import_id: int) -> list[dt.date]:
    """Monitoring dates of a version of a plan the principal may read."""
    pid = require_plan(db, principal, plan_id)
    if db.scalar("SELECT plan_id FROM imports WHERE import_id = ?", [import_id]) != pid:
        raise NotAuthorized()
    return engine.monitoring_dates(db, import_id)


def plan_metrics(principal: Principal, db, plan_id, import_id: int | None = None, year: int | None = None,
                 as_of: dt.date | None = None) -> PlanMetrics:
    """:func:`metrics.engine.plan_metrics` for a plan the principal may read; redacted below direttore."""
    pid = require_plan(db, principal, plan_id)
    try:
        pm = engine.plan_metrics(db, pid, import_id, year, as_of)
    except engine.PlanNotFound:
        raise NotAuthorized() from None     # a version of another plan: same answer as a foreign plan
    return pm if principal.can(NAMES) else pm.derived(redacted, pm)


def is_redacted(pm: PlanMetrics) -> bool:
    return bool(pm.counts.get("riservato"))


def staff_summary(staff: pd.DataFrame) -> pd.DataFrame:
    """Per objective: people assigned and mean participation (no names, no grades)."""
    if staff.empty:
        return pd.DataFrame(columns=["objective_code", "people", "participation_mean"])
    return (staff.groupby("objective_code", sort=False)
            .agg(people=("person" if "person" in staff else "name", "nunique"),
                 participation_mean=("participation", "mean")).reset_index())


def redacted(pm: PlanMetrics) -> PlanMetrics:
    """A copy of ``pm`` without personal data: staff rows keep objective, qualifica and participation,
    lose name and grade (``person`` numbers the rows' people, for counting); ``people`` (the individual
    scores) is empty; quality messages lose the names. Aggregates: ``counts["people"]``, :func:`staff_summary`."""
    names = [n for n in pm.staff["name"].dropna().astype(str).unique() if n.strip()] if len(pm.staff) else []
    person = {n: i for i, n in enumerate(dict.fromkeys(pm.staff["name"]), start=1)} if len(pm.staff) else {}
    staff = pm.staff.assign(person=pm.staff["name"].map(person), name=REDACTED_NAME, grade=float("nan"))
    if "matricola" in staff:
        staff["matricola"] = None
    people = pm.people.iloc[0:0].copy()
    counts = {**pm.counts, "riservato": True, "people": len(person)}
    quality = [_without_names(item, names) for item in pm.quality]
    return dataclasses.replace(pm, staff=staff, people=people, counts=counts, quality=quality, _derived={})


def _without_names(item: dict, names: list[str]) -> dict:
    if not names:
        return item
    def clean(text):
        if not isinstance(text, str):
            return text
        for n in sorted(names, key=len, reverse=True):
            text = text.replace(n, REDACTED_NAME)
        return text
    out = {k: clean(v) for k, v in item.items()}
    if isinstance(item.get("items"), list):
        out["items"] = [clean(x) for x in item["items"]]
    rows = item.get("rows")
    if isinstance(rows, pd.DataFrame) and "name" in rows:
        out["rows"] = rows.assign(name=REDACTED_NAME)
    return out


def save_profile(principal: Principal, db, plan_id: int, ente: str, year: int, profile, source: str = "pagina",
                 act: str | None = None) -> int:
    """:func:`store.profiles.save_profile` for the principal: only a role that manages the measuring system
    (amministratore), and only for a plan it may read; recorded as the principal."""
    from store.profiles import save_profile as save

    principal.require(PROFILES)
    require_plan(db, principal, plan_id)
    return save(db, ente, year, profile, principal.name, source, plan_id=plan_id, act=act)


def premi(principal: Principal, db, plan_id, year: int | None = None, preset: str | None = None,
          fund: tuple[float, float] | None = None, rules=None, record: bool = False):
    """:func:`metrics.premi.compute_for_plan` for a plan the principal may read: names, identifiers and
    per-person amounts only for direttore and amministratore (NAMES); the other roles get the aggregates
    (:func:`metrics.premi.redact`). ``record``: one «calcolo premi» event as the principal."""
    from metrics import premi as P

    pid = require_plan(db, principal, plan_id)
    res = P.compute_for_plan(db, pid, year, rules=rules, preset=preset, fund=fund,
                             who=principal.name if record else None)
    return res if principal.can(NAMES) else P.redact(res)


def premi_payroll(principal: Principal, db, plan_id, year: int | None = None, preset: str | None = None,
                  fund: tuple[float, float] | None = None, rules=None) -> bytes:
    """The payroll CSV (personal data): direttore and amministratore only; refused while provisional
    (:class:`metrics.premi.PayrollRefused`). Every download, produced or refused, goes to the Registro."""
    from metrics import premi as P
    from store import audit

    principal.require(NAMES)
    pid = require_plan(db, principal, plan_id)
    res = P.compute_for_plan(db, pid, year, rules=rules, preset=preset, fund=fund)
    try:
        data = P.payroll_csv(res)
    except P.PayrollRefused as exc:
        audit.record(db, principal.name, "scaricamento", outcome=audit.REFUSED, plan_id=pid,
                     detail=f"file stipendi premi {res.year}: {exc}")
        raise
    audit.record(db, principal.name, "scaricamento", plan_id=pid,
                 detail=f"file stipendi premi {res.year} ({len(res.people)} persone, {P.fmt_eur(res.totals()['totale'])})")
    return data


def save_premi_rules(principal: Principal, db, plan_id: int, ente: str, year: int, rules, source: str = "pagina") -> int:
    """:func:`metrics.premi.save_rules` for the principal: the role that manages the measuring system
    (amministratore), for a plan it may read; recorded as the principal."""
    from metrics.premi import save_rules

    principal.require(PROFILES)
    require_plan(db, principal, plan_id)
    return save_rules(db, ente, year, rules, principal.name, source, plan_id=plan_id)


def save_relazione_texts(principal: Principal, db, plan_id: int, ente: str, year: int,
                         texts: dict[str, str]) -> list[str]:
    """:func:`store.relazione.save_texts` for the principal: only a role that writes the Relazione's texts
    (referente, direttore, amministratore), only for a plan it may read; recorded as the principal."""
    from store.relazione import save_texts

    principal.require(TEXTS)
    require_plan(db, principal, plan_id)
    return save_texts(db, ente, year, texts, principal.name, plan_id=plan_id)
