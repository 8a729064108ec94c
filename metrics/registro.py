"""The audit trail as the «Registro» page shows it: filtered, newest first, with the ente and the plan
of each event. Reads DuckDB, returns DataFrames. A download or a login adds a record without moving the
data version, so the data-version caches would be stale here: the results are memoised by
:meth:`Database.file_token` instead (it changes at every commit, by this process or another)."""
from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Callable, Iterable

import pandas as pd

from store import Database

COLUMNS = ["audit_id", "happened_at", "who", "action", "outcome", "ente_id", "ente", "plan_id", "titolo",
           "import_id", "version", "detail"]


_MEMO: dict[tuple, tuple[tuple, Any]] = {}
_MEMO_SIZE = 64


def _memo(db: Database, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` until the next commit to the database file (copies of DataFrames are returned)."""
    token = db.file_token()
    if token is None:
        return compute()
    key = (db.path, name, args)
    hit = _MEMO.get(key)
    if hit is None or hit[0] != token:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        hit = _MEMO[key] = (token, compute())
    value = hit[1]
    return value.copy() if isinstance(value, pd.DataFrame) else copy.deepcopy(value)


def _ente_ids(db: Database, ente_id: int) -> list[int]:
    """The ente and those merged into it (their earlier events belong to it now)."""
    ids, frontier = {int(ente_id)}, [int(ente_id)]
    while frontier:
        rows = db.rows(f"SELECT ente_id FROM enti WHERE merged_into IN ({', '.join('?' * len(frontier))})", frontier)
        frontier = [int(r[0]) for r in rows if int(r[0]) not in ids]
        ids.update(frontier)
    return sorted(ids)


def audit_trail(db: Database, since: dt.date | None = None, until: dt.date | None = None,
                who: Iterable[str] | None = None, actions: Iterable[str] | None = None,
                outcomes: Iterable[str] | None = None, ente_id: int | None = None,
                plan_id: int | None = None) -> pd.DataFrame:
    """Events of the trail, newest first (``COLUMNS``). ``since``/``until``: days, inclusive; the ente
    filter covers the events of its plans and the events about the ente itself (and of enti merged into it)."""
    args = (since, until, tuple(who or ()), tuple(actions or ()), tuple(outcomes or ()), ente_id, plan_id)
    return _memo(db, "trail", args, lambda: _audit_trail(db, *args))


def _audit_trail(db: Database, since, until, who, actions, outcomes, ente_id, plan_id) -> pd.DataFrame:
    where, params = [], []
    if since is not None:
        where.append("a.happened_at >= ?")
        params.append(dt.datetime.combine(since, dt.time()))
    if until is not None:
        where.append("a.happened_at < ?")
        params.append(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    for col, values in (("a.who", who), ("a.action", actions), ("coalesce(a.outcome, 'ok')", outcomes)):
        values = list(values or [])
        if values:
            where.append(f"{col} IN ({', '.join('?' * len(values))})")
            params += values
    if ente_id is not None:
        ids = _ente_ids(db, ente_id)
        marks = ", ".join("?" * len(ids))
        where.append(f"(a.ente_id IN ({marks}) OR p.ente_id IN ({marks}))")
        params += ids + ids
    if plan_id is not None:
        where.append("a.plan_id = ?")
        params.append(int(plan_id))
    sql = f"""
        SELECT a.audit_id, a.happened_at, a.who, a.action, coalesce(a.outcome, 'ok') AS outcome,
               coalesce(a.ente_id, p.ente_id) AS ente_id, coalesce(e.nome, p.ente) AS ente,
               a.plan_id, p.titolo, a.import_id, i.version, a.detail
        FROM audit_log a
        LEFT JOIN plans p ON p.plan_id = a.plan_id
        LEFT JOIN imports i ON i.import_id = a.import_id
        LEFT JOIN enti e ON e.ente_id = a.ente_id
        {'WHERE ' + ' AND '.join(where) if where else ''}
        ORDER BY a.audit_id DESC"""
    return db.df(sql, params)[COLUMNS]


def trail_choices(db: Database) -> dict:
    """What the filters offer: people, actions and outcomes present, the first and last day."""
    return _memo(db, "choices", (), lambda: _trail_choices(db))


def _trail_choices(db: Database) -> dict:
    row = db.rows("SELECT min(happened_at), max(happened_at) FROM audit_log")[0]
    return {
        "who": [r[0] for r in db.rows("SELECT DISTINCT who FROM audit_log ORDER BY who")],
        "actions": [r[0] for r in db.rows("SELECT DISTINCT action FROM audit_log ORDER BY action")],
        "outcomes": [r[0] for r in db.rows("SELECT DISTINCT coalesce(outcome, 'ok') FROM audit_log ORDER BY 1")],
        "first": row[0].date() if row[0] is not None else None,
        "last": row[1].date() if row[1] is not None else None,
    }


def plan_choices(db: Database) -> pd.DataFrame:
    """Enti (not merged) and their plans, for the filters: ente_id, ente, plan_id, titolo (plan may be null)."""
    return db.df_cached("""SELECT e.ente_id, e.nome AS ente, p.plan_id, p.titolo
                    FROM enti e LEFT JOIN plans p ON p.ente_id = e.ente_id
                    WHERE e.merged_into IS NULL ORDER BY lower(e.nome), p.titolo""")
