"""One root DuckDB connection per process and database file; a cursor per query.

duckdb refuses concurrent use of a single connection across threads, so every
query opens its own ``cursor()`` on the root connection and fetches its result
fully before the cursor is closed.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import pandas as pd

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_db_path() -> str:
    """Database file: ``$CRUSCOTTO_DB`` or ``data/cruscotto.duckdb``."""
    return os.environ.get("CRUSCOTTO_DB") or str(PROJECT_ROOT / "data" / "cruscotto.duckdb")


class Database:
    """The root connection to one DuckDB file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            self.path = str(Path(self.path).resolve())
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._root = duckdb.connect(self.path)
        self._write_lock = threading.Lock()
        with self.cursor() as cur:
            cur.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            from store.enti import migrate

            migrate(cur)  # databases from before the enti table: one ente per distinct plans.ente (idempotent)
        _versions[self.path] = self._read_version()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._root.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing write: commit on success, roll back on any exception."""
        with self._write_lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            _versions[self.path] = self._read_version()

    def df(self, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def df_cached(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """:meth:`df` memoised until the next write (data version): for the small catalogue queries
        every page run repeats (plans, versions, monitoring dates, history). Returns a copy."""
        return self.memo(("df", sql, tuple(params)), lambda: self.df(sql, list(params))).copy()

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` memoised per ``key`` until the next write (data version). The value is
        shared by every caller: return immutable values (tuples) or copy them."""
        with _lock:
            cache = _query_cache.setdefault(self.path, {})
            if cache.get("_version") != self.version():
                cache.clear()
                cache["_version"] = self.version()
            hit = cache.get(key, _MISSING)
        if hit is _MISSING:
            hit = compute()
            with _lock:
                cache[key] = hit
        return hit

    def rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        with self.cursor() as cur:
            row = cur.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def version(self) -> int:
        """A token that changes at every import or restore: the cache key of every page.

        DuckDB lets one process at a time open the file for writing, and every write goes through
        :meth:`transaction`, which refreshes the token (shared by every Database object on the same
        file in this process) after its commit: no query per call."""
        return _versions[self.path]

    def _read_version(self) -> int:
        from store.audit import data_version_sql

        return int(self.scalar(data_version_sql()))

    def close(self) -> None:
        self._root.close()
        with _lock:
            if _registry.get(self.path) is self:
                del _registry[self.path]


_MISSING = object()
_registry: dict[str, Database] = {}
_versions: dict[str, int] = {}      # data version per database file, in this process
_query_cache: dict[str, dict] = {}  # df_cached results per database file, for the current data version
_lock = threading.Lock()


def get_db(path: str | os.PathLike | None = None) -> Database:
    """The process-wide Database for ``path`` (default: :func:`default_db_path`)."""
    key = str(Path(path).resolve()) if path and str(path) != ":memory:" else str(path or default_db_path())
    if key != ":memory:":
        key = str(Path(key).resolve())
    with _lock:
        db = _registry.get(key)
        if db is None:
            db = Database(key)
            _registry[key] = db
        return db
