"""The gate of ``app.py``: who is using the app (issue 9).

* **Local mode** — no accounts in the database and no OIDC in ``.streamlit/secrets.toml``: everyone is the
  local administrator, the server must listen on 127.0.0.1 only (anything else is refused, in Italian) and a
  discreet banner says so.
* **Local accounts** — a login form (Nome utente, Password, «Accedi»), checked by :mod:`store.users`
  (argon2, rate-limited per account).
* **Single sign-on** — ``st.login`` (OIDC, configured in ``[auth]`` of ``secrets.toml``); the role and the
  enti come from the token's claims mapped in ``[cruscotto_oidc]``, or from a local account with the same name.

Sessions expire after ``CRUSCOTTO_IDLE_MINUTES`` (default 30) without any interaction.

**Behind the edge** (``make run``, ``python -m ui.serve``: ``ui/server.py`` sets ``CRUSCOTTO_EDGE=1``) a local
account's login is a cookie session (:mod:`store.sessions`): the form (:mod:`ui.login_page`, plain HTML) posts to
``/accesso``, and every run recognises the cookie from ``st.context.cookies`` (a reload, a new tab, a deep link
open directly); «Esci» posts to ``/uscita``. With ``streamlit run app.py`` (development) the login lasts as long
as the tab, as before, and the sidebar says so.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from typing import Any

import streamlit as st

from store import audit, sessions
from store.access import ALL_ENTES, NOT_AUTHORIZED, ROLES, NotAuthorized, Principal, granted_entes, local_administrator
from store.users import authenticate, has_accounts, principal_of

LOCAL_BANNER = "modalità locale: nessun accesso dalla rete"
SS_PRINCIPAL, SS_SEEN, SS_NOTICE, SS_DENIED = "_auth_user", "_auth_seen", "_auth_notice", "_auth_denied"
SS_CURRENT = "_auth_principal"
DEFAULT_IDLE_MINUTES = 30
OIDC_SECTION = "cruscotto_oidc"
#: When a token carries several roles, the strongest wins.
ROLE_PRECEDENCE = ("amministratore", "direttore", "valutatore", "referente", "lettore")


def refuse_message(address: str) -> str:
    return (f"Il cruscotto non parte in ascolto su «{address}»: non ci sono account né accesso unico (OIDC), "
            "quindi chiunque in rete potrebbe vedere e modificare tutto. Per usarlo solo da questo computer "
            "avviarlo con `make run` (indirizzo 127.0.0.1). Per aprirlo alla rete creare prima un "
            "amministratore: `.venv/bin/python -m store users add NOME --ruolo amministratore` (oppure "
            "configurare `[auth]` in `.streamlit/secrets.toml`), poi `make run ADDRESS=0.0.0.0`.")


PROXY_REFUSED = ("Il cruscotto è in modalità locale (nessun account) ma questa richiesta arriva attraverso un proxy: "
                 "da un proxy chiunque in rete potrebbe vedere e modificare tutto. Creare prima un amministratore "
                 "(`.venv/bin/python -m store users add NOME --ruolo amministratore`) o configurare l'accesso unico.")
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def forwarded() -> bool:
    """Did this request come through a reverse proxy (forwarding headers)?"""
    try:
        headers = {k.lower() for k in (st.context.headers or {}).keys()}
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return False
    return any(h in headers for h in FORWARDING_HEADERS)


def is_local_address(address: str | None) -> bool:
    """Loopback only. An empty address means every interface (Streamlit's default): not local."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def idle_minutes() -> float:
    return sessions.idle_minutes()


DEV_CAPTION = ("modalità sviluppo (`streamlit run app.py`): senza API e senza accesso persistente; "
               "`make run` li attiva")


def behind_edge() -> bool:
    """Is the app served by ``ui/server.py`` (cookie sessions, API)? Not with ``streamlit run app.py``."""
    return os.environ.get("CRUSCOTTO_EDGE") == "1"


def request_cookie(name: str) -> str | None:
    """A cookie sent with this tab's connection (None without the edge, or in AppTest)."""
    try:
        return (st.context.cookies or {}).get(name)
    except Exception:  # noqa: BLE001 - no request context
        return None


def session_cookie() -> str | None:
    return request_cookie(sessions.COOKIE_NAME)


# ----------------------------------------------------------------------------- OIDC
def oidc_settings() -> dict | None:
    """The ``[auth]`` section of secrets.toml when single sign-on is configured, else None."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets.toml, or unreadable: no OIDC
        return None
    if not auth or "redirect_uri" not in auth:
        return None
    return dict(auth)


def oidc_mapping() -> dict:
    try:
        return dict(st.secrets.get(OIDC_SECTION) or {})
    except Exception:  # noqa: BLE001
        return {}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    try:
        return [str(v) for v in value]
    except TypeError:
        return [str(value)]


def principal_from_claims(claims: dict, mapping: dict, db) -> Principal | None:
    """Role and enti of an OIDC identity: the claims mapped in ``[cruscotto_oidc]``, else a local account
    with the same name (``name_claim``, default ``email``). None = no role in the app."""
    name = str(claims.get(mapping.get("name_claim", "email")) or claims.get("email") or claims.get("sub") or "")
    if not name:
        return None
    roles_map = {str(k): str(v) for k, v in dict(mapping.get("roles") or {}).items()}
    found = [roles_map.get(v, v) for v in _as_list(claims.get(mapping.get("role_claim", "roles")))]
    found = [r for r in found if r in ROLES]
    if found:
        role = min(found, key=ROLE_PRECEDENCE.index)
        ente_claim = mapping.get("ente_claim", "enti")
        if ente_claim in claims:
            entes = _as_list(claims.get(ente_claim))
            grants = None if role == "amministratore" or ALL_ENTES in entes else frozenset(entes)
        else:                                   # no enti in the token: the grants given in «Utenti» to this name
            grants = granted_entes(db, name, role)
        return Principal(name, role, grants, "oidc")
    account = principal_of(db, name)
    return Principal(account.name, account.role, account.entes, "oidc") if account else None


# ----------------------------------------------------------------------------- gate
def current_principal() -> Principal:
    """The principal set by :func:`gate` for this run (pages run only through ``app.py``)."""
    principal = st.session_state.get(SS_CURRENT)
    if not isinstance(principal, Principal):
        st.error(str(NotAuthorized()), icon=":material/block:")
        st.stop()
    return principal


def require_capability(capability: str) -> Principal:
    """The principal of this run if its role has ``capability``; else the refusal (it reveals nothing) and
    ``st.stop()``. For pages that ``app.py`` already hides from the others: a typed URL is refused too."""
    principal = current_principal()
    if not principal.can(capability):
        st.error(NOT_AUTHORIZED, icon=":material/block:")
        st.stop()
    return principal


def gate(db, pages: dict | None = None) -> Principal:
    """The principal of this session, or a login form / an Italian refusal and ``st.stop()``.

    ``pages`` (the app's ``st.navigation`` pages) are registered, hidden, under the login form: the page
    of the URL (a bookmarked ``/persone?piano=…``) is then still the one opened after the login."""
    st.session_state.pop(SS_CURRENT, None)
    principal = _gate(db, pages)
    st.session_state[SS_CURRENT] = principal
    return principal


def _gate(db, pages: dict | None) -> Principal:
    oidc = oidc_settings()
    if not oidc and not has_accounts(db):
        address = st.get_option("server.address")
        if not is_local_address(address):
            st.error(refuse_message(address or "tutte le interfacce"), icon=":material/block:")
            st.stop()
        if forwarded():          # a reverse proxy on this machine would open local mode to the network
            st.error(PROXY_REFUSED, icon=":material/block:")
            st.stop()
        st.sidebar.caption(f":material/lock: {LOCAL_BANNER}")
        if not behind_edge():
            st.sidebar.caption(f":material/construction: {DEV_CAPTION}")
        return local_administrator(os.environ.get("CRUSCOTTO_USER") or "amministratore locale")
    if not behind_edge():
        st.sidebar.caption(f":material/construction: {DEV_CAPTION}")
    principal = _session_principal(db, oidc)
    if principal is None:
        page = st.navigation(pages, position="hidden") if pages else None
        login_form(db, oidc, _next_path(page))
        st.stop()
    return principal


def _next_path(page) -> str:
    """The URL asked for (page and query), where the login form leads back."""
    from urllib.parse import urlencode

    path = "/" + (getattr(page, "url_path", "") or "")
    try:
        query = urlencode(st.query_params.to_dict())
    except Exception:  # noqa: BLE001
        query = ""
    return path + ("?" + query if query else "")


def _session_principal(db, oidc: dict | None) -> Principal | None:
    ss = st.session_state
    now = dt.datetime.now()
    seen = ss.get(SS_SEEN)
    user = ss.get(SS_PRINCIPAL)
    oidc_user = bool(oidc) and bool(getattr(st.user, "is_logged_in", False))
    if behind_edge() and not oidc_user:
        return _cookie_principal(db)
    if (user or oidc_user) and seen is not None and now - seen > dt.timedelta(minutes=idle_minutes()):
        who = user[0] if user else "?"
        audit.record(db, who, "uscita", detail=f"sessione scaduta dopo {idle_minutes():g} minuti di inattività")
        ss[SS_NOTICE] = "Sessione scaduta per inattività: accedere di nuovo."
        ss.pop(SS_PRINCIPAL, None)
        ss.pop(SS_SEEN, None)
        if oidc_user:
            st.logout()
        return None
    principal = None
    if user:
        principal = principal_of(db, user[0]) if user[1] == "account" else _oidc_principal(db)
        if principal is None:                   # disabled or removed meanwhile
            ss.pop(SS_PRINCIPAL, None)
    elif oidc_user:
        principal = _oidc_principal(db)
        claims = st.user.to_dict()
        name = str(claims.get("email") or claims.get("sub") or "?")
        if principal is None:
            if not ss.get("_auth_oidc_refusal_logged"):      # once per session, not at every rerun
                audit.record(db, name, "accesso negato", outcome=audit.REFUSED, detail="accesso unico: nessun ruolo")
                ss["_auth_oidc_refusal_logged"] = True
            ss[SS_NOTICE] = (f"L'account «{name}» è riconosciuto ma non ha un ruolo nel cruscotto: chiedere a un "
                             "amministratore.")
            ss["_auth_oidc_without_role"] = True
            return None
        ss[SS_PRINCIPAL] = (principal.name, "oidc")
        # one record per login, not per browser tab or reload: the token's issue time identifies the login
        detail = f"accesso unico (OIDC), ruolo {principal.role}, token emesso {claims.get('iat', '?')}"
        if not db.scalar("SELECT count(*) FROM audit_log WHERE action = 'accesso' AND who = ? AND detail = ?",
                         [principal.name, detail]):
            audit.record(db, principal.name, "accesso", detail=detail)
    if principal is not None:
        ss[SS_SEEN] = now
    return principal


def _cookie_principal(db) -> Principal | None:
    """The account of this tab's session cookie (checked at every run: a revoked, idle or too old session, or a
    disabled account, shows the login form at the next interaction)."""
    value = session_cookie()
    name = sessions.lookup(db, value)
    principal = principal_of(db, name) if name else None
    if principal is None and value:
        why = sessions.expired_why(db, value)
        st.session_state[SS_NOTICE] = (
            "Sessione scaduta per inattività: accedere di nuovo." if why == "scaduta per inattività" else
            "La sessione ha raggiunto la durata massima: accedere di nuovo." if why == "durata massima raggiunta" else
            "Sei uscito dal cruscotto." if why == "uscita" else
            "La sessione è stata chiusa (account disattivato o password cambiata): accedere di nuovo.")
    return principal


def _oidc_principal(db) -> Principal | None:
    if not getattr(st.user, "is_logged_in", False):
        return None
    return principal_from_claims(st.user.to_dict(), oidc_mapping(), db)


def login_form(db, oidc: dict | None, next_path: str = "/") -> None:
    ss = st.session_state
    st.title("Cruscotto Performance")
    if notice := ss.pop(SS_NOTICE, None):
        st.warning(notice, icon=":material/info:")
    if oidc:
        provider = oidc_mapping().get("provider")
        label = oidc_mapping().get("label", "Accedi con l'account dell'ente")
        if ss.pop("_auth_oidc_without_role", False):
            st.button("Esci dall'accesso unico", on_click=st.logout, key="auth_oidc_out")
        else:
            st.button(label, type="primary", icon=":material/login:", key="auth_oidc",
                      on_click=(lambda: st.login(provider)) if provider else st.login)
    if has_accounts(db) and behind_edge():
        from ui.login_page import CSRF_COOKIE, form_html

        st.html(form_html(next_path, request_cookie(CSRF_COOKIE) or ""))        # posts to /accesso (ui/server.py), which sets the session cookie
    elif has_accounts(db):
        with st.form("login", enter_to_submit=True, border=True, width=420):
            st.subheader("Accesso")
            username = st.text_input("Nome utente", key="auth_username", autocomplete="username")
            password = st.text_input("Password", type="password", key="auth_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Accedi", type="primary")
        if submitted:
            res = authenticate(db, username, password)
            if res.ok:
                ss[SS_PRINCIPAL] = (res.principal.name, "account")
                ss[SS_SEEN] = dt.datetime.now()
                st.rerun()
            st.error(res.message, icon=":material/error:")


def logout(db, principal: Principal) -> None:
    ss = st.session_state
    audit.record(db, principal.name, "uscita", detail="uscita volontaria")
    for k in (SS_PRINCIPAL, SS_SEEN):
        ss.pop(k, None)
    ss[SS_NOTICE] = "Sei uscito dal cruscotto."
    if principal.source == "oidc":
        st.logout()
    else:
        st.rerun()


def account_box(db, principal: Principal) -> None:
    """Who is logged in, with the role, and «Esci» (not in local mode)."""
    if principal.source == "locale":
        return
    sb = st.sidebar
    sb.caption(f":material/person: **{principal.name}** · {principal.role}")
    if behind_edge() and principal.source == "account":
        from ui.login_page import CSRF_COOKIE, logout_html

        sb.html(logout_html(request_cookie(CSRF_COOKIE) or ""))              # posts to /uscita: closes the session record, clears the cookie
    elif sb.button("Esci", icon=":material/logout:", key="auth_logout"):
        logout(db, principal)


def deny(db, principal: Principal, what: str) -> None:
    """Record a refused deep link once; :func:`show_denied` shows it in place of the page."""
    audit.record(db, principal.name, "accesso negato", outcome=audit.REFUSED, detail=what)
    st.session_state[SS_DENIED] = True


def show_denied() -> None:
    """The Italian refusal of a link outside the grant, in place of the page (this run only)."""
    if st.session_state.pop(SS_DENIED, False):
        st.error(str(NotAuthorized()), icon=":material/block:")
        st.caption("Scegliere un piano dalla barra laterale.")
        st.stop()
