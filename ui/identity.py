"""Who acts in this session, for the audit trail (:mod:`store.audit`).

Views pass :func:`acting_user` explicitly to every audited function (import, restore, preview,
download, ente merge). Until the login of issue 9A is merged this is the local identity: the server
runs in local mode (127.0.0.1, no accounts), so whoever uses it is the machine's local administrator.
At merge, point :func:`acting_user` at the logged-in principal (``ui.auth.current_user_name()``).
"""
from __future__ import annotations

LOCAL_ADMIN = "amministratore locale"


def acting_user() -> str:
    """The name recorded in the audit trail for what this session does: the logged-in principal of the
    login (issue 9A, ``ui.auth``) when there is one, else the local administrator."""
    try:
        from ui import auth  # type: ignore[attr-defined]
    except ImportError:
        return LOCAL_ADMIN
    fn = getattr(auth, "current_user_name", None)
    name = fn() if callable(fn) else None
    if not name:  # the principal the login's gate keeps in the session
        import streamlit as st

        key = getattr(auth, "SS_CURRENT", None)
        name = getattr(st.session_state.get(key), "name", None) if key else None
    return str(name) if name else LOCAL_ADMIN


def record_download(who: str, what: str, plan_id: int | None = None, import_id: int | None = None) -> None:
    """One «scaricamento» record (a download changes no data: the data version, the pages' cache key, does
    not move)."""
    from store import audit, get_db

    audit.record(get_db(), who, "scaricamento", plan_id=plan_id, import_id=import_id, detail=what)


def audited(data, who: str, what: str, plan_id: int | None = None, import_id: int | None = None):
    """The ``data`` of a download button that records one «scaricamento» each time the file is delivered
    (``data``: the bytes, or a callable that builds them). ``who`` is captured by the caller during the
    script run: the callable runs later, in a server thread, outside the session."""
    def deliver() -> bytes:
        content = data() if callable(data) else data
        record_download(who, what, plan_id, import_id)
        return content

    return deliver
