"""The audit trail: append-only. Who did what, when, on which plan or version, with what outcome.

Every action the issue lists (login and failed login, import, preview, restore, export or download,
profile change, user or grant change, ente merge) goes through :func:`record`. This module is the only
writer of ``audit_log`` and it only ever INSERTs: there is no UPDATE or DELETE on the table anywhere in
the code (a test greps for it).

Data-changing actions (:data:`DATA_ACTIONS`) also move the *data version* (``Database.version``), the
cache key of every page; the others (a login, a download) do not, so they never invalidate caches.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

#: Actions that change what the pages show: they move the data version. A user or grant change ("utente",
#: "autorizzazione") changes who sees what: the accounts, roles and grants the app memoises (store/users.py)
#: are read again, also after a change made by another process (the CLI while the app is open).
DATA_ACTIONS = ("import", "ripristino", "profilo", "unione enti", "separazione enti", "ente", "utente",
                "autorizzazione")

#: Every action name used in the trail (Italian, shown as is on the Registro page).
ACTIONS = DATA_ACTIONS + ("accesso", "accesso negato", "uscita", "anteprima", "esportazione", "scaricamento",
                          "importazione rifiutata")

OK, REFUSED, FAILED = "ok", "rifiutato", "errore"


def record(cur: Any, who: str, action: str, *, outcome: str = OK, plan_id: int | None = None,
           import_id: int | None = None, detail: str | None = None) -> None:
    """Append one event. ``cur`` is a DuckDB cursor (inside the caller's transaction, so the event
    commits or rolls back with the change it describes) or a :class:`store.Database` (own transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"azione di registro sconosciuta: {action!r}")
    row = [dt.datetime.now().replace(microsecond=0), who or "?", action, plan_id, import_id, detail, outcome]
    sql = ("INSERT INTO audit_log (audit_id, happened_at, who, action, plan_id, import_id, detail, outcome) "
           "VALUES (nextval('seq_audit'), ?, ?, ?, ?, ?, ?, ?)")
    if hasattr(cur, "transaction"):
        with cur.transaction() as c:
            c.execute(sql, row)
    else:
        cur.execute(sql, row)


def data_version_sql() -> str:
    """The query of the data version: the last data-changing event."""
    actions = ", ".join(f"'{a}'" for a in DATA_ACTIONS)
    return f"SELECT coalesce(max(audit_id), 0) FROM audit_log WHERE action IN ({actions})"
