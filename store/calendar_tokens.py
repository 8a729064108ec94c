"""The revocable tokens of the subscribable deadlines calendar (issue 18).

One random token per user (``secrets.token_urlsafe``); only its SHA-256 is stored, so a copy of the
database does not give the addresses away. Creating a new token revokes the previous one. A token resolves
to the user's *current* principal (role and grants re-read): a disabled account, a revoked or unknown token
give None. Every creation and revocation is in the audit trail («calendario»).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from store import audit
from store.access import Principal


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def create_token(db, username: str, *, by: str) -> str:
    """A new token for ``username`` (the previous one, if any, is revoked). Returned once, never stored."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as cur:
        cur.execute("UPDATE calendar_tokens SET revoked_at = ?, revoked_by = ? WHERE username = ? AND revoked_at IS NULL",
                    [_now(), by, username])
        cur.execute("INSERT INTO calendar_tokens (token_hash, username, created_at, created_by) VALUES (?, ?, ?, ?)", [_hash(token), username, _now(), by])
        audit.record(cur, by, "calendario", detail=f"nuovo indirizzo del calendario per «{username}»")
    return token


def revoke_tokens(db, username: str, *, by: str) -> int:
    """Revoke every active token of ``username``; how many were active."""
    with db.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM calendar_tokens WHERE username = ? AND revoked_at IS NULL",
                        [username]).fetchone()[0]
        cur.execute("UPDATE calendar_tokens SET revoked_at = ?, revoked_by = ? WHERE username = ? AND revoked_at IS NULL",
                    [_now(), by, username])
        audit.record(cur, by, "calendario", detail=f"indirizzo del calendario di «{username}» revocato ({n})")
    return n


def has_token(db, username: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM calendar_tokens WHERE username = ? AND revoked_at IS NULL", [username]))


def principal_for_token(db, token: str | None) -> Principal | None:
    """The principal a calendar token stands for now, or None (unknown, revoked, account disabled)."""
    if not token or len(token) > 200:
        return None
    row = next(iter(db.rows("SELECT username FROM calendar_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                            [_hash(token)])), None)
    if row is None:
        return None
    from store.users import principal_of

    return principal_of(db, row[0])
