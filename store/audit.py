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
import getpass
import os
from typing import Any

#: Actions that change what the pages show: they move the data version. A user or grant change ("utente",
#: "autorizzazione") changes who sees what: the accounts, roles and grants the app memoises (store/users.py)
#: are read again, also after a change made by another process (the CLI while the app is open).
DATA_ACTIONS = ("import", "ripristino", "profilo", "unione enti", "separazione enti", "ente", "utente",
                "autorizzazione", "scostamento", "chiusura", "contesto relazione", "giro di monitoraggio",
                "risposta al giro")

#: «scostamento» (a variance-register edit) and «chiusura» (approve, submit, validate, reopen: issue 16)
#: change the figures shown (netto, validated record). «carta di lavoro» (the valutatore's work papers) does not.
#: Every action name used in the trail (Italian, shown as is on the Registro page).
ACTIONS = DATA_ACTIONS + ("accesso", "accesso negato", "uscita", "lettura API", "anteprima", "esportazione",
                          "scaricamento", "calcolo premi", "importazione rifiutata", "importazione invariata",
                          "carta di lavoro", "calendario")

OK, REFUSED, FAILED = "ok", "rifiutato", "errore"


def machine_owner() -> str:
    """Who acts from the CLI and from scripts: the machine's owner, i.e. the OS user
    (``$CRUSCOTTO_USER`` overrides it). The pages pass the session's identity instead."""
    try:
        return os.environ.get("CRUSCOTTO_USER") or getpass.getuser()
    except Exception:
        return "sconosciuto"


def record(cur: Any, who: str, action: str, *, outcome: str = OK, plan_id: int | None = None,
           import_id: int | None = None, detail: str | None = None, ente_id: int | None = None) -> None:
    """Append one event. ``cur`` is a DuckDB cursor (inside the caller's transaction, so the event
    commits or rolls back with the change it describes) or a :class:`store.Database` (own transaction:
    e.g. a refused import, recorded after the rollback of its transaction). ``ente_id``: the ente
    concerned (``enti``), when the event is not about one plan or the plan is not known."""
    if action not in ACTIONS:
        raise ValueError(f"azione di registro sconosciuta: {action!r}")
    row = [dt.datetime.now().replace(microsecond=0), who or "?", action, plan_id, import_id, detail, outcome, ente_id]
    sql = ("INSERT INTO audit_log (audit_id, happened_at, who, action, plan_id, import_id, detail, outcome, ente_id) "
           "VALUES (nextval('seq_audit'), ?, ?, ?, ?, ?, ?, ?, ?)")
    if hasattr(cur, "transaction"):
        with cur.transaction() as c:
            c.execute(sql, row)
    else:
        cur.execute(sql, row)


def data_version_sql() -> str:
    """The query of the data version: the last data-changing event."""
    actions = ", ".join(f"'{a}'" for a in DATA_ACTIONS)
    return (f"SELECT coalesce(max(audit_id), 0) FROM audit_log WHERE action IN ({actions}) "
            f"AND coalesce(outcome, '{OK}') = '{OK}'")  # a refused merge changes nothing
