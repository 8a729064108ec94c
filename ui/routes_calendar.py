"""The subscribable deadlines calendar (issue 18): a Starlette endpoint, no Streamlit.

Mounted on the app's server (Streamlit 1.67 ``st.App``, Starlette routes) at
``/calendario/{token}.ics``; Outlook or Thunderbird follow that address. The token is the user's own
(:mod:`store.calendar_tokens`): unknown, revoked or belonging to a disabled account → 403 with no detail;
otherwise the feed carries only the enti the user's grants allow *now* (:func:`metrics.calendar.build_calendar`
with the user's principal). Query parameters ``ente`` and ``responsabile`` narrow it.
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from metrics.calendar import build_calendar
from store import get_db
from store.calendar_tokens import principal_for_token

PATH = "/calendario/{token}.ics"
FORBIDDEN = "Indirizzo del calendario non valido o revocato: generarne uno nuovo dalla pagina Scadenze."


def _db(request: Request):
    """The database the server uses: ``app.state.db`` when the server sets it, else the default one."""
    db = getattr(request.app.state, "db", None)
    return db if db is not None else get_db()


async def calendar_feed(request: Request) -> Response:
    db = _db(request)
    token = request.path_params.get("token")
    ente, resp = request.query_params.get("ente") or None, request.query_params.get("responsabile") or None

    def build() -> bytes | None:      # DuckDB work off the event loop (one cursor per query, store/db.py)
        principal = principal_for_token(db, token)
        return None if principal is None else build_calendar(db, principal, ente, resp)

    body = await run_in_threadpool(build)
    if body is None:
        return PlainTextResponse(FORBIDDEN, status_code=403)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=900",
                             "Content-Disposition": 'inline; filename="scadenze.ics"'})


#: What the server mounts: ``routes=[*existing, ROUTE]`` (or ``app.router.routes.append(ROUTE)``).
ROUTE = Route(PATH, calendar_feed, methods=["GET"])
