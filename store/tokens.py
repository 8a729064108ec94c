"""Personal API tokens (issue 19): the read-only API ``/api/v1`` acts as the token's user.

A token is ``crp_`` + 43 random URL-safe characters (256 bits), shown once when created; the table
``api_tokens`` keeps only its SHA-256. Revoking is final; disabling the user revokes all their tokens
(:func:`revoke_user`, called by :func:`store.users.set_active`). Creating and revoking are audited
(action ``autorizzazione``). No Streamlit here: ``python -m store tokens add|list|revoke`` and the Utenti page.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pandas as pd

from store import audit

PREFIX = "crp_"


class TokenError(ValueError):
    """A refused token operation; the message is Italian."""


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def digest(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def add_token(db, username: str, *, by: str, label: str | None = None) -> tuple[int, str]:
    """A new token for an existing, active user: (id, token). The token is never stored."""
    row = next(iter(db.rows("SELECT username, active FROM users WHERE username = ?", [(username or "").strip()])), None)
    if row is None:
        raise TokenError(f"L'utente «{username}» non esiste.")
    if not row[1]:
        raise TokenError(f"L'utente «{row[0]}» è disattivato: riattivarlo prima di creargli un token.")
    token = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as cur:
        token_id = int(cur.execute("SELECT nextval('seq_api_token')").fetchone()[0])
        cur.execute("INSERT INTO api_tokens (token_id, token_hash, username, label, created_at, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [token_id, digest(token), row[0], label or None, _now(), by])
        audit.record(cur, by, "autorizzazione", detail=f"«{row[0]}»: creato il token API n. {token_id}"
                                                        + (f" ({label})" if label else ""))
    return token_id, token


def list_tokens(db, username: str | None = None) -> pd.DataFrame:
    """Every token (id, user, label, dates; never the token nor its hash), newest first."""
    where, params = ("WHERE username = ?", [username]) if username else ("", [])
    return db.df(f"SELECT token_id, username, label, created_at, created_by, last_used, revoked_at "
                 f"FROM api_tokens {where} ORDER BY token_id DESC", params)


def revoke_token(db, token_id: int, *, by: str) -> str:
    """Revoke one token by its number; returns the Italian confirmation."""
    row = next(iter(db.rows("SELECT username, revoked_at FROM api_tokens WHERE token_id = ?", [int(token_id)])), None)
    if row is None:
        raise TokenError(f"Il token n. {token_id} non esiste.")
    if row[1] is not None:
        return f"Il token n. {token_id} era già revocato."
    with db.transaction() as cur:
        cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [_now(), int(token_id)])
        audit.record(cur, by, "autorizzazione", detail=f"«{row[0]}»: revocato il token API n. {token_id}")
    return f"Token n. {token_id} di «{row[0]}» revocato."


def revoke_user(cur, username: str) -> None:
    """Revoke every token of ``username`` inside the caller's transaction (the user is being disabled)."""
    cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL", [_now(), username])


def lookup(db, token: str | None) -> tuple[int, str] | None:
    """(token id, user name) of a valid token of an active user, else None. Moves ``last_used``."""
    if not token or not token.startswith(PREFIX):
        return None
    row = next(iter(db.rows(
        "SELECT t.token_id, t.username FROM api_tokens t JOIN users u ON u.username = t.username "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active", [digest(token)])), None)
    if row is None:
        return None
    with db.transaction() as cur:
        cur.execute("UPDATE api_tokens SET last_used = ? WHERE token_id = ?", [_now(), row[0]])
    return int(row[0]), str(row[1])
