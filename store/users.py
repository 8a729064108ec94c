"""Local accounts: argon2id hashes in DuckDB, grants by ente, rate-limited logins. No Streamlit here.

Every change to a user or a grant, every login and failed login is recorded with :func:`store.audit.record`
(actions ``utente``, ``autorizzazione``, ``accesso``, ``accesso negato``), in the same transaction as the change.

Rate limiting, per account: after :data:`FREE_ATTEMPTS` consecutive failures the account is locked for
1 minute, then 2, 4, … up to :data:`MAX_LOCK_MINUTES` at each further failure; while locked, even the right
password is refused (without being checked) and the failure is not counted again. A success resets the count.
An unknown user name gets the same message as a wrong password, after the same argon2 work.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from store import audit, sessions, tokens
from store.access import ALL_ENTES, ROLES, Principal, granted_entes

FREE_ATTEMPTS = 5
MAX_LOCK_MINUTES = 60
MIN_PASSWORD_LENGTH = 10
WRONG = "Nome utente o password non corretti."

_hasher = PasswordHasher()            # argon2id, the library's recommended parameters
_DUMMY_HASH = _hasher.hash("cruscotto: nessun utente con questo nome")


class UserError(ValueError):
    """A refused account operation; the message is Italian."""


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str
    principal: Principal | None = None
    locked_until: dt.datetime | None = None


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


_changes = [0]          # account changes made by this process (logins included): a key of list_users()


def _changed(db) -> None:
    _changes[0] += 1


def has_accounts(db) -> bool:
    """Are accounts defined? (Any account, even disabled: then the app never falls back to local mode.)
    Asked at every page run: memoised per data version, which every user or grant change moves
    (store/audit.py DATA_ACTIONS), here or in another process."""
    return db.memo(("has_accounts",), lambda: bool(db.scalar("SELECT count(*) FROM users")))


def check_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name) or name == ALL_ENTES:
        raise UserError("Nome utente non valido: da 1 a 64 caratteri, senza spazi.")
    return name


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"Password troppo corta: almeno {MIN_PASSWORD_LENGTH} caratteri.")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"Ruolo «{role}» sconosciuto. Ruoli: {', '.join(ROLES)}.")
    return role


def known_entes(db) -> list[str]:
    """The enti as shown in the sidebar (``plans.ente``), memoised until the next import."""
    return list(db.memo(("known_entes",), lambda: tuple(r[0] for r in db.rows(
        "SELECT DISTINCT ente FROM plans ORDER BY ente"))))


def _by_acronym(text: str, known: list[str]) -> str | None:
    """The one known ente whose acronym (``C.I.S.S.A.``, ``CSSM``) or text in brackets (``(C.I.S.A. 31)``) is
    ``text``; None when none is; :class:`UserError` when several are."""
    import re

    from store import enti

    key = enti.name_key(text)
    if not key:
        return None
    hits = [n for n in known
            if key in {enti.name_key(p) for p in re.findall(r"\(([^)]*)\)", n)} | {a.lower() for a in enti.acronyms(n)}]
    if len(hits) > 1:
        raise UserError(f"«{text}» indica più enti ({', '.join(f'«{h}»' for h in hits)}): indicare il nome completo.")
    return hits[0] if hits else None


def resolve_entes(db, entes: list[str]) -> list[str]:
    """Grant targets: a sidebar name (case and spacing do not count), an alias or a Codice IPA (resolved to the
    ente's name), the ente's acronym (``C.I.S.A. 31``, ``CISSA``), or ``*`` (every ente)."""
    from store.access import current_ente_name

    names = {" ".join(e.split()).casefold(): e for e in known_entes(db)}
    out = []
    for raw in entes:
        e = " ".join(str(raw).split())
        if not e:
            continue
        if e == ALL_ENTES:
            out.append(ALL_ENTES)
        elif e.casefold() in names:
            out.append(names[e.casefold()])
        elif (current := current_ente_name(db, e)).casefold() in names:   # Codice IPA or alias
            out.append(names[current.casefold()])
        elif acronym := _by_acronym(e, list(names.values())):              # «C.I.S.A. 31», «CISSA»
            out.append(acronym)
        else:
            known = ", ".join(f"«{n}»" for n in names.values()) or "nessuno (il database è vuoto)"
            raise UserError(f"Ente «{e}» sconosciuto. Enti nel database: {known}; oppure «*» per tutti "
                            "(si può indicare anche il Codice IPA).")
    return sorted(set(out))


def add_user(db, username: str, password: str | None, role: str, entes: list[str] = (), *, by: str) -> None:
    """Create an account (password hashed with argon2id) and its grants; audited."""
    name, role = check_username(username), check_role(role)
    if password is not None:
        check_password(password)
    grants = resolve_entes(db, list(entes))
    if db.scalar("SELECT count(*) FROM users WHERE username = ?", [name]):
        raise UserError(f"L'utente «{name}» esiste già.")
    digest = _hasher.hash(password) if password is not None else None
    with db.transaction() as cur:
        cur.execute("INSERT INTO users (username, password_hash, role, active, created_at, created_by) "
                    "VALUES (?, ?, ?, TRUE, ?, ?)", [name, digest, role, _now(), by])
        audit.record(cur, by, "utente", detail=f"creato «{name}», ruolo {role}")
        _write_grants(cur, name, grants, by)
    _changed(db)


def _write_grants(cur, name: str, grants: list[str], by: str) -> None:
    old = sorted(r[0] for r in cur.execute("SELECT ente FROM user_grants WHERE username = ?", [name]).fetchall())
    if old == grants:
        return
    cur.execute("DELETE FROM user_grants WHERE username = ?", [name])
    for e in grants:
        cur.execute("INSERT INTO user_grants VALUES (?, ?)", [name, e])
    audit.record(cur, by, "autorizzazione",
                 detail=f"«{name}»: enti {', '.join(grants) or 'nessuno'} (prima: {', '.join(old) or 'nessuno'})")


def _require_user(db, name: str) -> tuple:
    row = next(iter(db.rows("SELECT username, role, active FROM users WHERE username = ?", [name])), None)
    if row is None:
        raise UserError(f"L'utente «{name}» non esiste.")
    return row


def set_grants(db, username: str, entes: list[str], *, by: str) -> None:
    name = _require_user(db, username)[0]
    grants = resolve_entes(db, list(entes))
    with db.transaction() as cur:
        _write_grants(cur, name, grants, by)
    _changed(db)


def set_role(db, username: str, role: str, *, by: str) -> None:
    name, old, _active = _require_user(db, username)
    role = check_role(role)
    if role == old:
        return
    _keep_an_administrator(db, name, role=role)
    with db.transaction() as cur:
        cur.execute("UPDATE users SET role = ? WHERE username = ?", [role, name])
        audit.record(cur, by, "utente", detail=f"«{name}»: ruolo {old} → {role}")
    _changed(db)


def set_active(db, username: str, active: bool, *, by: str) -> None:
    """Disable (or enable again) an account; nothing is deleted. The failure count restarts."""
    name, _role, was = _require_user(db, username)
    if bool(was) == bool(active):
        return
    if not active:
        _keep_an_administrator(db, name, active=False)
    with db.transaction() as cur:
        cur.execute("UPDATE users SET active = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
                    [bool(active), name])
        audit.record(cur, by, "utente", detail=f"«{name}» {'riattivato' if active else 'disattivato'}")
        if not active:                  # every open session and every API token ends with the account
            sessions.revoke_user(cur, name, "utente disattivato")
            tokens.revoke_user(cur, name)
    _changed(db)


def set_password(db, username: str, password: str, *, by: str) -> None:
    name = _require_user(db, username)[0]
    check_password(password)
    with db.transaction() as cur:
        cur.execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
                    [_hasher.hash(password), name])
        audit.record(cur, by, "utente", detail=f"«{name}»: password cambiata")
        sessions.revoke_user(cur, name, "password cambiata")     # every browser must log in again
    _changed(db)


def _keep_an_administrator(db, name: str, role: str | None = None, active: bool | None = None) -> None:
    """Refuse to remove the last active amministratore through the app (the CLI can always add one)."""
    admins = [r[0] for r in db.rows("SELECT username FROM users WHERE role = 'amministratore' AND active")]
    if admins == [name] and (role not in (None, "amministratore") or active is False):
        raise UserError("Non si può togliere l'ultimo amministratore attivo: crearne prima un altro.")


def list_users(db) -> pd.DataFrame:
    """Every account with role, state, grants and last login (no hashes). Memoised per data version (user
    and grant changes move it) and per login or failed login made by this process (they update the list's
    last-login and lock columns without moving the data version)."""
    return db.memo(("users", _changes[0]), lambda: _list_users(db)).copy()


def _list_users(db) -> pd.DataFrame:
    users = db.df("SELECT username, role, active, created_at, created_by, last_login, failed_logins, locked_until, "
                  "password_hash IS NOT NULL AS has_password FROM users ORDER BY username")
    grants: dict[str, list[str]] = {}
    for name, ente in db.rows("SELECT username, ente FROM user_grants ORDER BY username, ente"):
        grants.setdefault(name, []).append(ente)
    users["entes"] = [", ".join(grants.get(n, [])) for n in users["username"]]
    return users


def lock_minutes(failures: int) -> int:
    """Minutes of lock after ``failures`` consecutive failures (0 = not locked)."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(2 ** (failures - FREE_ATTEMPTS), MAX_LOCK_MINUTES)


def authenticate(db, username: str, password: str, now: dt.datetime | None = None) -> LoginResult:
    """Check a login; rate-limited per account; every attempt is audited."""
    now = now or _now()
    name = (username or "").strip()
    row = next(iter(db.rows("SELECT username, password_hash, role, active, failed_logins, locked_until "
                            "FROM users WHERE username = ?", [name])), None) if name else None
    if row is None or not row[3] or row[1] is None:
        _verify(_DUMMY_HASH, password or "")       # same work as a real check: no user-name probing by timing
        why = "utente sconosciuto" if row is None else "utente disattivato" if not row[3] else "senza password locale"
        audit.record(db, name or "?", "accesso negato", outcome=audit.REFUSED, detail=why)
        return LoginResult(False, WRONG)
    name, digest, role, _active, failures, locked_until = row
    if locked_until is not None and locked_until > now:
        audit.record(db, name, "accesso negato", outcome=audit.REFUSED, detail="account bloccato (troppi tentativi)")
        return LoginResult(False, _locked_message(locked_until, now), locked_until=locked_until)
    if not _verify(digest, password or ""):
        failures = int(failures) + 1
        minutes = lock_minutes(failures)
        until = now + dt.timedelta(minutes=minutes) if minutes else None
        with db.transaction() as cur:
            cur.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE username = ?",
                        [failures, until, name])
            audit.record(cur, name, "accesso negato", outcome=audit.REFUSED,
                         detail=f"password errata ({failures}° tentativo consecutivo)"
                                + (f", bloccato per {minutes} min" if minutes else ""))
        _changed(db)
        return LoginResult(False, _locked_message(until, now) if until else WRONG, locked_until=until)
    with db.transaction() as cur:
        updates = [now, name]
        cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ? WHERE username = ?",
                    updates)
        if _hasher.check_needs_rehash(digest):
            cur.execute("UPDATE users SET password_hash = ? WHERE username = ?", [_hasher.hash(password), name])
        audit.record(cur, name, "accesso", detail="account locale")
    _changed(db)
    return LoginResult(True, "", Principal(name, role, granted_entes(db, name, role), "account"))


def principal_of(db, username: str) -> Principal | None:
    """The current principal of an account (role and grants re-read at every change: a change applies at the
    next page run), or None when the account does not exist or is disabled. Memoised per data version."""
    def read() -> Principal | None:
        row = next(iter(db.rows("SELECT role, active FROM users WHERE username = ?", [username])), None)
        if row is None or not row[1]:
            return None
        return Principal(username, row[0], granted_entes(db, username, row[0]), "account")

    return db.memo(("principal", username), read)


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return (f"Troppi tentativi non riusciti: l'account è bloccato per {minutes} "
            f"{'minuto' if minutes == 1 else 'minuti'}. Riprovare più tardi o chiedere a un amministratore.")
