"""The read-only API ``/api/v1`` (issue 19): what each endpoint answers, as plain data. No Streamlit, no
Starlette here (``ui/server.py`` wraps these functions in routes, checks the token, limits the rate and
records every call in the Registro).

Every read goes through :mod:`metrics.access` with the token's :class:`store.access.Principal`: the same
grants and the same redaction as the pages (below ``direttore``: no names, no grades). Errors are
:class:`ApiError` with an HTTP status and an Italian message.
"""
from __future__ import annotations

import math
from typing import Any

from metrics import access
from metrics.fmt import parse_it_date
from metrics.report import report_dict
from store.access import NAMES, NOT_AUTHORIZED, NotAuthorized, Principal

VERSION = "1.0.0"


class ApiError(Exception):
    """An API refusal: ``status`` (401, 403, 404, 422, 429) and an Italian ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(x: Any) -> int | None:
    f = _num(x)
    return None if f is None else int(f)


def _iso(x: Any) -> str | None:
    try:
        return None if x is None or x != x else x.isoformat()[:10]
    except (TypeError, ValueError, AttributeError):
        return None


def _plan_id(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ApiError(422, f"Identificativo di piano non valido: «{raw}» (serve un numero intero, come in "
                            "/api/v1/piani).") from None


def _guarded(principal: Principal, db, plan_id: int, as_of=None):
    """The plan's metrics for the principal; 403 outside the grant, 404 for a plan that does not exist
    at all (a plan of another ente answers 403 whether it exists or not: nothing is revealed)."""
    try:
        return access.plan_metrics(principal, db, plan_id, as_of=as_of)
    except NotAuthorized:
        if principal.every_ente:           # sees every ente: the plan simply does not exist
            raise ApiError(404, f"Il piano {plan_id} non esiste.") from None
        raise ApiError(403, NOT_AUTHORIZED) from None


def piani(principal: Principal, db) -> dict:
    """``GET /api/v1/piani``: the plans the principal may read."""
    plans = access.list_plans(principal, db)
    out = []
    for r in plans.to_dict("records"):
        out.append({"id": int(r["plan_id"]), "ente": r["ente"], "titolo": r["titolo"], "versione": int(r["version"]),
                    "anno_inizio": _int(r["anno_inizio"]), "anno_fine": _int(r["anno_fine"]),
                    "data_monitoraggio": _iso(r["data_monitoraggio"])})
    return {"piani": out}


def report(principal: Principal, db, plan_id: str, data: str | None) -> dict:
    """``GET /api/v1/piani/{id}/report?data=GG/MM/AAAA``: the JSON of ``python -m metrics report --format json``
    (:func:`metrics.report.report_dict`), for the same plan and date."""
    pid = _plan_id(plan_id)
    as_of = None
    if data:
        try:
            as_of = parse_it_date(data)
        except ValueError as exc:
            raise ApiError(422, f"Parametro «data»: {exc}") from None
    return report_dict(_guarded(principal, db, pid, as_of))


report.query_params = ("data",)  # type: ignore[attr-defined]  # the query parameters ui/server.py passes


def obiettivi(principal: Principal, db, plan_id: str) -> dict:
    """``GET /api/v1/piani/{id}/obiettivi``: the objectives of the plan's current version; with names (the
    people assigned, the responsible) only for roles that see names."""
    pid = _plan_id(plan_id)
    pm = _guarded(principal, db, pid)
    names = principal.can(NAMES)
    staff = pm.staff
    out = []
    for o in pm.objectives.to_dict("records"):
        rows = staff[staff["objective_code"] == o["code"]] if len(staff) else staff
        item = {"codice": o["code"], "titolo": o["title"], "tipo": o["type"], "peso": _num(o["weight_pct"]),
                "raggiungimento": _num(o["achievement"]), "stato": o["status"], "punteggio": _num(o["score"]),
                "fasi": int(o["steps"]), "fasi_in_ritardo": int(o["late"]), "fasi_scadute": int(o["overdue"]),
                "persone": int(rows["person" if "person" in rows else "name"].nunique()) if len(rows) else 0}
        if names:
            item["responsabile"] = o["responsible"] if isinstance(o["responsible"], str) else None
            item["personale"] = [{"nome": s["name"], "qualifica": s["role"] if isinstance(s["role"], str) else None,
                                  "partecipazione": _num(s["participation"]), "valutazione": _num(s["grade"])}
                                 for s in rows.to_dict("records")]
        out.append(item)
    return {"piano": {"id": pm.ctx.plan_id, "ente": pm.ctx.ente, "titolo": pm.ctx.titolo}, "anno": pm.ctx.year,
            "nominativi": names, "obiettivi": out}
