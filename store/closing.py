"""The year-end closing tables (issue 16): reads and inserts only, no rules (those are in
:mod:`metrics.closing` and :mod:`metrics.variances`).

Every table is insert-only: ``variance_entries`` and ``work_papers`` keep every edit (the latest row per key
is the current one), ``closing_events`` is the workflow's history, ``validated_snapshots`` the frozen records.
A snapshot is *void* once a «riapri» event follows its validation event. There is no UPDATE or DELETE on these
tables anywhere in the code (a test greps for it).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

VARIANCE_FIELDS = ("cause", "imputabile", "description", "evidence", "treatment", "new_weight", "decision_organ",
                   "decision_act", "decision_date", "proposed_by", "decided_by")
KEY = ("level", "objective_code", "step_code", "indicator")
PAPER_FIELDS = ("data_source", "method", "sample_n", "sample_total", "outcome", "note")


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# ----------------------------------------------------------------------------- variance register
def variance_entries(db: Any, plan_id: int, year: int, up_to_entry: int | None = None) -> pd.DataFrame:
    """The current entry per key (latest ``entry_id``) of a plan-year; ``up_to_entry``: as it stood then."""
    extra = " AND entry_id <= ?" if up_to_entry is not None else ""
    params = [int(plan_id), int(year)] + ([int(up_to_entry)] if up_to_entry is not None else [])
    return db.df(f"""
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY level, objective_code, step_code, indicator
                                         ORDER BY entry_id DESC) AS rn
            FROM variance_entries WHERE plan_id = ? AND year = ?{extra})
        WHERE rn = 1 ORDER BY entry_id""", params)


def insert_variance(cur: Any, plan_id: int, year: int, key: tuple, values: dict, source: str, who: str) -> int:
    cols = ["plan_id", "year", *KEY, *VARIANCE_FIELDS, "source", "saved_at", "saved_by"]
    row = [int(plan_id), int(year), *key, *(values.get(f) for f in VARIANCE_FIELDS), source, now(), who]
    cur.execute(f"INSERT INTO variance_entries (entry_id, {', '.join(cols)}) "
                f"VALUES (nextval('seq_variance'), {', '.join('?' * len(cols))})", row)
    return int(cur.execute("SELECT currval('seq_variance')").fetchone()[0])


def max_variance_entry(db: Any, plan_id: int, year: int) -> int:
    return int(db.scalar("SELECT coalesce(max(entry_id), 0) FROM variance_entries WHERE plan_id = ? AND year = ?",
                         [int(plan_id), int(year)]))


# ----------------------------------------------------------------------------- workflow
#: the state of a plan-year with no closing event yet (metrics.closing.STATES)
IN_PROGRESS = "in lavorazione"


def current_state(db: Any, plan_id: int, year: int) -> str:
    """The workflow state of (plan, year): the state of its last event, «in lavorazione» without one."""
    ev = closing_events(db, plan_id, year)
    return IN_PROGRESS if ev.empty else str(ev["state"].iloc[-1])


def closing_events(db: Any, plan_id: int, year: int) -> pd.DataFrame:
    return db.df("SELECT * FROM closing_events WHERE plan_id = ? AND year = ? ORDER BY event_id",
                 [int(plan_id), int(year)])


def insert_event(cur: Any, plan_id: int, year: int, action: str, state: str, who: str, role: str, *,
                 act: str | None = None, act_number: str | None = None, act_date: dt.date | None = None,
                 reason: str | None = None) -> int:
    cur.execute("INSERT INTO closing_events (event_id, plan_id, year, action, state, act, act_number, act_date, "
                "reason, happened_at, who, role) VALUES (nextval('seq_closing'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [int(plan_id), int(year), action, state, act, act_number, act_date, reason, now(), who, role])
    return int(cur.execute("SELECT currval('seq_closing')").fetchone()[0])


# ----------------------------------------------------------------------------- carte di lavoro
def work_papers(db: Any, plan_id: int, year: int) -> pd.DataFrame:
    return db.df("""
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY level, item ORDER BY paper_id DESC) AS rn
            FROM work_papers WHERE plan_id = ? AND year = ?)
        WHERE rn = 1 ORDER BY level, item""", [int(plan_id), int(year)])


def insert_work_paper(cur: Any, plan_id: int, year: int, level: str, item: str, values: dict, who: str) -> None:
    cols = ["plan_id", "year", "level", "item", *PAPER_FIELDS, "saved_at", "saved_by"]
    row = [int(plan_id), int(year), level, str(item), *(values.get(f) for f in PAPER_FIELDS), now(), who]
    cur.execute(f"INSERT INTO work_papers (paper_id, {', '.join(cols)}) "
                f"VALUES (nextval('seq_work_paper'), {', '.join('?' * len(cols))})", row)


# ----------------------------------------------------------------------------- frozen record
@dataclass(frozen=True)
class Snapshot:
    snapshot_id: int
    plan_id: int
    year: int
    event_id: int
    import_id: int
    plan_version: int
    profile_version: int
    as_of: dt.date
    figures_json: str
    sha256: str
    validated_at: dt.datetime
    validated_by: str


_SNAP_COLS = ("snapshot_id, plan_id, year, event_id, import_id, plan_version, profile_version, as_of, figures_json, "
              "sha256, validated_at, validated_by")


def insert_snapshot(cur: Any, plan_id: int, year: int, event_id: int, import_id: int, plan_version: int,
                    profile_version: int, as_of: dt.date, figures_json: str, sha256: str, who: str) -> int:
    cur.execute(f"INSERT INTO validated_snapshots ({_SNAP_COLS}) VALUES "
                "(nextval('seq_snapshot'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [int(plan_id), int(year), int(event_id), int(import_id), int(plan_version), int(profile_version),
                 as_of, figures_json, sha256, now(), who])
    return int(cur.execute("SELECT currval('seq_snapshot')").fetchone()[0])


def valid_snapshot(db: Any, plan_id: int, year: int) -> Snapshot | None:
    """The plan-year's validated record in force: the latest snapshot not followed by a «riapri»; else None."""
    rows = db.rows(f"""
        SELECT {_SNAP_COLS} FROM validated_snapshots s
        WHERE plan_id = ? AND year = ? AND NOT EXISTS (
            SELECT 1 FROM closing_events e WHERE e.plan_id = s.plan_id AND e.year = s.year
                   AND e.action = 'riapri' AND e.event_id > s.event_id)
        ORDER BY snapshot_id DESC LIMIT 1""", [int(plan_id), int(year)])
    if not rows:
        return None
    r = list(rows[0])
    if isinstance(r[7], dt.datetime):
        r[7] = r[7].date()
    return Snapshot(*r)


def active_plan_years(db: Any) -> frozenset:
    """(plan_id, year) pairs with register rows or a validated record, memoised per data version: the engine
    skips the closing queries for every other plan-year (the common case)."""
    def query():
        return frozenset((int(p), int(y)) for p, y in db.rows(
            "SELECT plan_id, year FROM variance_entries UNION SELECT plan_id, year FROM validated_snapshots"))

    return db.memo(("closing_active",), query)


def pinned(db: Any, plan_id: int, year: int) -> tuple[int, int] | None:
    """(import_id, profile_version) of the plan-year's validated record in force, memoised per data version
    (the engine asks on every computation); None when the year is not validated."""
    def query():
        s = valid_snapshot(db, plan_id, year)
        return None if s is None else (s.import_id, s.profile_version)

    return db.memo(("validated_pin", int(plan_id), int(year)), query)
