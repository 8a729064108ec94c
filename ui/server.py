"""The server's edge (issue 19): ``st.App`` (Starlette, ASGI) around ``app.py``, started by ``make run`` and
``python -m ui.serve`` (``streamlit run ui/server.py``). It adds what a script cannot do:

* **sessions that survive a reload** — ``POST /accesso`` checks a local account (argon2, lockout and audit of
  :func:`store.users.authenticate`), refuses a post from another origin, and sets the cookie
  :data:`store.sessions.COOKIE_NAME` (random, HttpOnly, SameSite=Lax, ``Secure`` when the request came over
  TLS); ``POST /uscita`` closes the session and clears the cookie. The script (``ui/auth.py``) reads the cookie
  from ``st.context.cookies`` on every run;
* **security headers** on every response (:class:`SecurityHeaders`);
* the **read-only API** ``/api/v1/…`` with personal tokens (:mod:`ui.api`, :mod:`store.tokens`).

Adding a route: append a ``starlette.routing.Route`` to :data:`ROUTES` in this module (or call :func:`add_route`
here, before ``app`` is built at the end), e.g. ``Route("/calendario/{token}.ics", calendar_feed)``; a handler that touches the
database runs its work with ``await run_in_threadpool(...)`` through :func:`store.get_db`, as the routes here do.

Settings (environment): ``CRUSCOTTO_FRAME_ANCESTORS`` (CSP ``frame-ancestors``, default ``'none'``; e.g.
``https://intranet.ente.it`` for an intranet that embeds the app), ``CRUSCOTTO_API_RATE`` (API calls per
minute and token, default 60), ``CRUSCOTTO_IDLE_MINUTES``, ``CRUSCOTTO_SESSION_HOURS``.
"""
from __future__ import annotations

import os
import threading
from contextlib import asynccontextmanager
import time
from collections import deque
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from store import audit, get_db, sessions, tokens
from store.users import authenticate, principal_of
from ui import api, login_page, routes_calendar

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- security headers
def script_hashes(html_text: str) -> list[str]:
    """CSP sources (``'sha256-…'``) of the inline ``<script>`` elements of ``html_text``."""
    import base64
    import hashlib
    import re

    bodies = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html_text, flags=re.S)
    return ["'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'" for b in bodies]


def _inline_script_hashes() -> str:
    """The inline scripts allowed, by hash: Streamlit's own index.html (``window.prerenderReady = false``, read
    from the installed package so that an upgrade follows) and the app's (:data:`ui.common.ITALIAN_DOCUMENT`,
    the document language and Italian names, rendered by ``st.html``)."""
    from ui.common import ITALIAN_DOCUMENT

    try:
        index = (Path(st.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    except OSError:
        index = ""
    return " ".join(dict.fromkeys(script_hashes(index) + script_hashes(ITALIAN_DOCUMENT)))


#: The Content-Security-Policy, measured in the browser on every page (tests/e2e/test_edge_e2e.py records the
#: violations; README «Intestazioni di sicurezza»): Streamlit's bundled scripts ('self') plus the hashes of the two
#: inline scripts (:func:`_inline_script_hashes`); 'wasm-unsafe-eval' because its protobuf runtime compiles a small WebAssembly module (no JS eval);
#: styles injected at run time (emotion) need 'unsafe-inline'; images and fonts also come as data: and blob: URLs.
CSP_BASE = (f"default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {_inline_script_hashes()}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'self' blob:; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")


def frame_ancestors() -> str:
    return os.environ.get("CRUSCOTTO_FRAME_ANCESTORS", "").strip() or "'none'"


def over_tls(headers: dict[str, str], scheme: str) -> bool:
    """Did the browser reach us over TLS? Directly (https) or through the proxy (``X-Forwarded-Proto``)."""
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return scheme in ("https", "wss") or proto == "https"


def security_headers(tls: bool) -> list[tuple[str, str]]:
    out = [("Content-Security-Policy", f"{CSP_BASE}; frame-ancestors {frame_ancestors()}"),
           ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer")]
    if frame_ancestors() == "'none'":
        out.append(("X-Frame-Options", "DENY"))
    if tls:
        out.append(("Strict-Transport-Security", "max-age=31536000"))
    return out


class SecurityHeaders:
    """Pure ASGI middleware: the headers of :func:`security_headers` on every HTTP response (page, static
    assets, API, Streamlit's own routes). Websockets pass untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        tls = over_tls(headers, scope.get("scheme", ""))
        extra = [(k.lower().encode(), v.encode()) for k, v in security_headers(tls)]
        csrf = _cookie(headers.get("cookie", ""), login_page.CSRF_COOKIE)
        fresh = not csrf
        navigation = "text/html" in headers.get("accept", "") or headers.get("sec-fetch-dest") == "document"
        scope["cruscotto_csrf"] = csrf = csrf or login_page.new_csrf()

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in extra}
                out = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names] + extra
                # on every page load (a 304 of a cached index.html too: the browser may keep the page, not the cookie)
                if fresh and (navigation or any(k.lower() == b"content-type" and v.startswith(b"text/html")
                                                for k, v in out)):
                    out.append((b"set-cookie", (f"{login_page.CSRF_COOKIE}={csrf}; HttpOnly; Path=/; SameSite=Strict"
                                                + ("; Secure" if tls else "")).encode()))
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(header: str, name: str) -> str:
    from http.cookies import CookieError, SimpleCookie

    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return ""
    return jar[name].value if name in jar else ""


# ----------------------------------------------------------------------------- login and logout
def _post_ok(request: Request, form) -> bool:
    """A post from this app: its ``Origin``, when the browser names one, is this origin (scheme from the proxy's
    ``X-Forwarded-Proto``; with ``Referrer-Policy: no-referrer`` browsers send ``null`` for same-origin posts),
    and the form carries the anti-forgery cookie's value."""
    origin = (request.headers.get("origin") or "").lower().rstrip("/")
    own = f"{'https' if _tls(request) else 'http'}://{request.headers.get('host', '')}".lower()
    if origin not in ("", "null", own):
        return False
    return login_page.csrf_matches(str(form.get("csrf") or ""), request.cookies.get(login_page.CSRF_COOKIE))


def set_session_cookie(response: Response, value: str, tls: bool) -> None:
    response.set_cookie(sessions.COOKIE_NAME, value, httponly=True, samesite="lax", secure=tls, path="/",
                        max_age=int(sessions.max_hours() * 3600))


def clear_session_cookie(response: Response, tls: bool) -> None:
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=tls)


def _tls(request: Request) -> bool:
    return over_tls({k.lower(): v for k, v in request.headers.items()}, request.url.scheme)


def _login_page(next_path: str, csrf: str, status: int = 200, error: str | None = None, notice: str | None = None,
                username: str = "") -> HTMLResponse:
    body = login_page.form_html(next_path, csrf, error=error, notice=notice, username=username)
    return HTMLResponse(login_page.page_html(body), status_code=status, headers={"Cache-Control": "no-store"})


async def login_get(request: Request) -> Response:
    notice = "Sei uscito dal cruscotto." if request.query_params.get("uscito") else None
    return _login_page(request.query_params.get("next") or "/", request.scope["cruscotto_csrf"], notice=notice)


async def login_post(request: Request) -> Response:
    form = await request.form()
    next_path = login_page.safe_next(str(form.get("next") or "/"))
    username = str(form.get("username") or "")
    csrf = request.scope["cruscotto_csrf"]
    if not _post_ok(request, form):
        def refuse() -> None:
            audit.record(get_db(), username.strip() or "?", "accesso negato", outcome=audit.REFUSED,
                         detail="modulo di accesso inviato da un'altra origine o scaduto")
        await run_in_threadpool(refuse)
        return _login_page(next_path, csrf, status=403, username=username,
                           error="Il modulo di accesso non arriva da questa pagina (o è scaduto): riprovare da qui.")

    def check() -> tuple[bool, str, str | None]:
        db = get_db()
        res = authenticate(db, username, str(form.get("password") or ""))
        if not res.ok:
            return False, res.message, None
        return True, "", sessions.create(db, res.principal.name)

    ok, message, cookie = await run_in_threadpool(check)
    if not ok:
        return _login_page(next_path, csrf, status=401, error=message, username=username)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, cookie, _tls(request))
    return response


async def logout_post(request: Request) -> Response:
    form = await request.form()
    value = request.cookies.get(sessions.COOKIE_NAME)
    if _post_ok(request, form):
        def close() -> None:
            db = get_db()
            if who := sessions.revoke(db, value, "uscita"):
                audit.record(db, who, "uscita", detail="uscita volontaria")
        await run_in_threadpool(close)
    response = RedirectResponse(login_page.LOGIN_PATH + "?" + urlencode({"uscito": 1}), status_code=303)
    clear_session_cookie(response, _tls(request))
    return response


# ----------------------------------------------------------------------------- API
API_PREFIX = "/api/v1"


def api_rate() -> int:
    try:
        return max(1, int(os.environ.get("CRUSCOTTO_API_RATE", "60")))
    except ValueError:
        return 60


class RateLimiter:
    """Sliding window in memory: at most ``limit`` calls per ``window`` seconds per key (a token)."""

    def __init__(self, limit: Callable[[], int] = api_rate, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._calls: dict[Any, deque] = {}
        self._lock = threading.Lock()

    def allow(self, key: Any, now: float | None = None) -> tuple[bool, int]:
        """(allowed, seconds to wait when not)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= self.window:
                calls.popleft()
            if len(calls) >= self.limit():
                return False, max(1, int(self.window - (now - calls[0])) + 1)
            calls.append(now)
            return True, 0

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


LIMITER = RateLimiter()


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"errore": {"stato": status, "messaggio": message}}, status_code=status, headers=headers)


def api_endpoint(work: Callable[..., dict]) -> Callable[[Request], Awaitable[Response]]:
    """A route of the API: the Bearer token → its user (401 otherwise), the rate limit (429), the work with
    the user's principal off the event loop, the call recorded in the Registro whatever its outcome."""

    async def endpoint(request: Request) -> Response:
        auth = request.headers.get("authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        what = f"{request.method} {request.url.path}" + (f"?{request.url.query}" if request.url.query else "")

        def run() -> tuple[int, Any, dict | None]:
            db = get_db()
            found = tokens.lookup(db, token)
            principal = principal_of(db, found[1]) if found else None
            if principal is None:
                audit.record(db, "?", "lettura API", outcome=audit.REFUSED, detail=f"{what}: token assente o non valido")
                return 401, ("Token mancante, revocato o non valido: indicare «Authorization: Bearer <token>» con "
                             "un token personale attivo (pagina Utenti o python -m store tokens add)."), \
                    {"WWW-Authenticate": 'Bearer realm="cruscotto"'}
            allowed, wait = LIMITER.allow(found[0])
            if not allowed:
                audit.record(db, principal.name, "lettura API", outcome=audit.REFUSED,
                             detail=f"{what}: troppe richieste (token n. {found[0]})")
                return 429, (f"Troppe richieste con questo token: al massimo {api_rate()} al minuto. "
                             f"Riprovare fra {wait} secondi."), {"Retry-After": str(wait)}
            try:
                body = work(principal, db, **request.path_params, **_query(request, work))
            except api.ApiError as exc:
                audit.record(db, principal.name, "lettura API", outcome=audit.REFUSED,
                             detail=f"{what}: {exc.status} (token n. {found[0]})")
                return exc.status, exc.message, None
            audit.record(db, principal.name, "lettura API", detail=f"{what} (token n. {found[0]})")
            return 200, body, None

        status, body, headers = await run_in_threadpool(run)
        if status != 200:
            return _error(status, body, headers)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return endpoint


def _query(request: Request, work: Callable) -> dict:
    wanted = getattr(work, "query_params", ())
    return {k: request.query_params.get(k) for k in wanted}


async def api_not_found(request: Request) -> Response:
    return _error(404, f"Indirizzo sconosciuto: {request.url.path}. L'elenco è in {API_PREFIX}/openapi.json.")


async def openapi_json(request: Request) -> Response:
    from ui.openapi import openapi_document

    return JSONResponse(openapi_document(api.VERSION))


# ----------------------------------------------------------------------------- routes and app
ROUTES: list[Route] = [
    Route(login_page.LOGIN_PATH, login_get, methods=["GET"]),
    Route(login_page.LOGIN_PATH, login_post, methods=["POST"]),
    Route(login_page.LOGOUT_PATH, logout_post, methods=["POST"]),
    Route(f"{API_PREFIX}/openapi.json", openapi_json, methods=["GET"]),
    Route(f"{API_PREFIX}/piani", api_endpoint(api.piani), methods=["GET"]),
    Route(f"{API_PREFIX}/piani/{{plan_id}}/report", api_endpoint(api.report), methods=["GET"]),
    Route(f"{API_PREFIX}/piani/{{plan_id}}/obiettivi", api_endpoint(api.obiettivi), methods=["GET"]),
    routes_calendar.ROUTE,          # the subscribable deadlines calendar (issue 18), per-user revocable token
]


def add_route(path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str] | None = None) -> None:
    """Register one more route of the edge (before :data:`app` is built below: i.e. in this module)."""
    ROUTES.append(Route(path, endpoint, methods=methods or ["GET"]))


def all_routes() -> list[Route]:
    """Our routes, then a JSON 404 for any other ``/api/…`` (before Streamlit's catch-all page)."""
    return [*ROUTES, Route(API_PREFIX + "/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]


# A literal ``app = st.App(...)``: ``streamlit run`` finds the ASGI app by reading this file (AST), not by running it.
@asynccontextmanager
async def lifespan(_app):
    """While served: tells ``ui/auth.py`` (same process) that the routes above exist."""
    os.environ["CRUSCOTTO_EDGE"] = "1"
    yield


app = st.App(str(ROOT / "app.py"), routes=all_routes(), middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)
