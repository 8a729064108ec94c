"""Browser sessions of local accounts (issue 19): a random cookie, a server-side record in DuckDB.

The cookie carries :func:`secrets.token_urlsafe` (256 bits); the table ``sessions`` stores only its SHA-256,
so a copy of the database opens no session. A session is valid while

* it is not revoked (logout, the user disabled or their password changed: :func:`revoke_user`),
* it was used less than ``CRUSCOTTO_IDLE_MINUTES`` ago (default 30, as before),
* it is younger than ``CRUSCOTTO_SESSION_HOURS`` (default 12: the absolute maximum),
* its user still exists and is active.

No Streamlit here: the server's routes (``ui/server.py``) create and revoke, the script's gate
(``ui/auth.py``) looks the cookie up on every run.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from store import audit

COOKIE_NAME = "cruscotto_sessione"
DEFAULT_MAX_HOURS = 12.0
DEFAULT_IDLE_MINUTES = 30.0
#: last_seen is written at most once a minute per session (a rerun per click must not write every time)
TOUCH_EVERY = dt.timedelta(seconds=60)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _env_float(name: str, default: float, minimum: float) -> float:
    try:
        return max(minimum, float(os.environ.get(name, default)))
    except ValueError:
        return default


def idle_minutes() -> float:
    """``CRUSCOTTO_IDLE_MINUTES`` (default 30, at least 1)."""
    return _env_float("CRUSCOTTO_IDLE_MINUTES", DEFAULT_IDLE_MINUTES, 1.0)


def max_hours() -> float:
    """``CRUSCOTTO_SESSION_HOURS``: the absolute maximum of a session (default 12)."""
    return _env_float("CRUSCOTTO_SESSION_HOURS", DEFAULT_MAX_HOURS, 0.01)


def digest(value: str) -> str:
    return hashlib.sha256((value or "").encode("utf-8")).hexdigest()


def create(db, username: str, now: dt.datetime | None = None) -> str:
    """A new session for ``username``; returns the cookie's value (never stored)."""
    now = now or _now()
    value = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=max_hours())
    with db.transaction() as cur:
        cur.execute("INSERT INTO sessions (id_hash, username, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
                    [digest(value), username, now, now, expires])
    return value


def lookup(db, value: str | None, now: dt.datetime | None = None, touch: bool = True) -> str | None:
    """The user name of a valid session, else None. A session found idle or past its maximum is closed
    (``revoked_why``) so that it is never valid again; ``touch`` moves ``last_seen``."""
    if not value:
        return None
    now = now or _now()
    row = next(iter(db.rows(
        "SELECT s.username, s.last_seen, s.expires_at, s.revoked_at, coalesce(u.active, FALSE) "
        "FROM sessions s LEFT JOIN users u ON u.username = s.username WHERE s.id_hash = ?", [digest(value)])), None)
    if row is None:
        return None
    username, last_seen, expires_at, revoked_at, active = row
    if revoked_at is not None or not active:
        return None
    why = ("scaduta per inattività" if now - last_seen > dt.timedelta(minutes=idle_minutes())
           else "durata massima raggiunta" if now >= expires_at else None)
    if why:
        _close(db, "id_hash = ?", [digest(value)], why, now)
        audit.record(db, username, "uscita", detail=f"sessione {why}")
        return None
    if touch and now - last_seen >= TOUCH_EVERY:
        with db.transaction() as cur:
            cur.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, digest(value)])
    return username


def expired_why(db, value: str | None) -> str | None:
    """Why a session cookie no longer opens the app («scaduta per inattività», «uscita», …), for the notice."""
    if not value:
        return None
    return db.scalar("SELECT revoked_why FROM sessions WHERE id_hash = ?", [digest(value)])


def revoke(db, value: str | None, why: str = "uscita") -> str | None:
    """Close one session (logout); returns its user name (None when unknown or already closed)."""
    if not value:
        return None
    who = db.scalar("SELECT username FROM sessions WHERE id_hash = ? AND revoked_at IS NULL", [digest(value)])
    if who is not None:
        _close(db, "id_hash = ?", [digest(value)], why, _now())
    return who


def revoke_user(cur, username: str, why: str) -> None:
    """Close every open session of ``username``; ``cur`` is the caller's transaction (store/users.py:
    disabling an account, changing its password)."""
    cur.execute("UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE username = ? AND revoked_at IS NULL",
                [_now(), why, username])


def open_sessions(db, username: str) -> int:
    return int(db.scalar("SELECT count(*) FROM sessions WHERE username = ? AND revoked_at IS NULL", [username]))


def _close(db, where: str, params: list, why: str, now: dt.datetime) -> None:
    with db.transaction() as cur:
        cur.execute(f"UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE {where} AND revoked_at IS NULL",
                    [now, why, *params])
