"""One root DuckDB connection per process and database file; a cursor per query.

duckdb refuses concurrent use of a single connection across threads, so every
query opens its own ``cursor()`` on the root connection and fetches its result
fully before the cursor is closed.

Sharing the file between processes (issue 12). DuckDB lets one process at a time open a file, so a
process (the Streamlit server, a CLI command) keeps it open **only while it uses it**:

* the root connection opens at the first query and closes after :data:`IDLE_CLOSE_S` without queries,
  or at once when another process is waiting for the file;
* a process that finds the file locked leaves a marker in ``<db>.attesa/`` (its pid) and retries for
  up to :data:`LOCK_WAIT_S`; the holder sees the marker, closes as soon as its queries finish, and
  does not reopen until the waiter got in (a fair hand-over); after the wait, :class:`DatabaseBusy`
  with an Italian message;
* :meth:`Database.version` (the cache key of every page) costs a ``stat`` of the file and of its WAL:
  only when they changed — a write here or in another process — does it open the file to read the
  data version.
"""
from __future__ import annotations

import atexit
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import pandas as pd

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
PROJECT_ROOT = Path(__file__).resolve().parent.parent

LOCK_WAIT_S = float(os.environ.get("CRUSCOTTO_LOCK_WAIT_S", "60"))       # how long to wait for the file
IDLE_CLOSE_S = float(os.environ.get("CRUSCOTTO_IDLE_CLOSE_S", "2"))      # close after this long unused
_RETRY_S = 0.02


def default_db_path() -> str:
    """Database file: ``$CRUSCOTTO_DB`` or ``data/cruscotto.duckdb``."""
    return os.environ.get("CRUSCOTTO_DB") or str(PROJECT_ROOT / "data" / "cruscotto.duckdb")


class DatabaseBusy(RuntimeError):
    """The file stayed locked by another process for the whole wait: an Italian message."""

    def __init__(self, path: str, waited: float, holder: str = "") -> None:
        who = f" ({holder})" if holder else ""
        super().__init__(
            f"Il database «{path}» è occupato da un altro programma{who} da più di {waited:.0f} secondi: "
            "nessuna modifica è stata fatta. Riprovare fra poco (se il cruscotto è aperto, la sua importazione "
            "o il suo ripristino finiscono da soli).")


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _holder(exc: BaseException) -> str:
    text = str(exc)
    i = text.find("(PID ")
    return "PID " + text[i + 5:].split(")")[0] if i >= 0 else ""


class Database:
    """The root connection to one DuckDB file (or ``:memory:``), open while in use."""

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        self.path = str(path)
        self._memory = self.path == ":memory:"
        if not self._memory:
            self.path = str(Path(self.path).resolve())
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._root: duckdb.DuckDBPyConnection | None = None
        self._cond = threading.Condition()
        self._users = 0
        self._last_use = 0.0
        self._closer: threading.Thread | None = None
        self._closed = False
        self._write_lock = threading.Lock()
        self._tls = threading.local()       # cursors this thread holds (a nested query never waits)
        self._wait_dir = f"{self.path}.attesa"
        self._marker = os.path.join(self._wait_dir, str(os.getpid()))
        self.opens = 0              # how many times the file was opened (measured in tests and the README)
        self.waited_s = 0.0         # time spent waiting for another process to let go of the file
        with self.transaction() as cur:
            cur.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            from store.enti import migrate

            migrate(cur)  # databases from before the enti table: one ente per distinct plans.ente (idempotent)
        if not self._memory:
            _seen[self.path] = self._stat_token()

    # ------------------------------------------------------------------ the shared file
    def _stat_token(self) -> tuple:
        out = []
        for p in (self.path, self.path + ".wal"):
            try:
                st = os.stat(p)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def _others_waiting(self) -> bool:
        """Another live process left a marker: it wants the file."""
        try:
            names = os.listdir(self._wait_dir)
        except FileNotFoundError:
            return False
        me = str(os.getpid())
        for n in names:
            if n == me or not n.isdigit():
                continue
            try:
                os.kill(int(n), 0)
                return True
            except ProcessLookupError:
                try:
                    os.remove(os.path.join(self._wait_dir, n))   # a waiter that died
                except OSError:
                    pass
            except PermissionError:
                return True
        return False

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting (fairly) while another process holds it."""
        if self._memory:
            return duckdb.connect(self.path)
        start = time.monotonic()
        marked = False
        try:
            while True:
                # a waiter that came first gets the file first (we have no marker yet: no deadlock)
                if not marked and self._others_waiting() and time.monotonic() - start < LOCK_WAIT_S:
                    time.sleep(_RETRY_S)
                    continue
                try:
                    conn = duckdb.connect(self.path)
                    self.opens += 1
                    if marked or time.monotonic() - start > _RETRY_S:
                        self.waited_s += time.monotonic() - start
                    return conn
                except duckdb.IOException as exc:
                    if not _is_lock_error(exc):
                        raise
                    if time.monotonic() - start > LOCK_WAIT_S:
                        raise DatabaseBusy(self.path, LOCK_WAIT_S, _holder(exc)) from None
                    if not marked:
                        os.makedirs(self._wait_dir, exist_ok=True)
                        Path(self._marker).touch()
                        marked = True
                    time.sleep(_RETRY_S)
        finally:
            if marked:
                try:
                    os.remove(self._marker)
                except OSError:
                    pass

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        depth = getattr(self._tls, "depth", 0)
        with self._cond:
            if self._root is not None and depth == 0 and not self._memory and self._others_waiting():
                # another process waits: new queries of this process wait for the running ones to finish
                # (a busy server is never idle), then the file is handed over and we queue behind it
                while self._users > 0:
                    self._cond.wait(0.05)
                self._close_root()
            if self._root is None:
                self._root = self._connect()
                self._start_closer()
            self._users += 1
            self._tls.depth = depth + 1
            return self._root

    def _release(self) -> None:
        with self._cond:
            self._users -= 1
            self._tls.depth = getattr(self._tls, "depth", 1) - 1
            self._last_use = time.monotonic()
            if self._users == 0:
                self._cond.notify_all()
                if not self._memory and self._others_waiting():
                    self._close_root()

    def _close_root(self) -> None:
        if self._root is not None:
            try:
                self._root.close()
            finally:
                self._root = None

    def _start_closer(self) -> None:
        if self._memory or (self._closer is not None and self._closer.is_alive()):
            return
        self._closer = threading.Thread(target=self._close_when_idle, name="cruscotto-db-closer", daemon=True)
        self._closer.start()

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(min(IDLE_CLOSE_S / 2, 0.25) if IDLE_CLOSE_S > 0 else 0.05)
            with self._cond:
                if self._root is None:
                    return
                if self._users == 0 and (time.monotonic() - self._last_use >= IDLE_CLOSE_S or self._others_waiting()):
                    self._close_root()
                    return

    # ------------------------------------------------------------------ public API
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        root = self._acquire()
        try:
            cur = root.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            self._release()

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
            _versions[self.path] = self._read_version(cur)

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
        version = self.version()
        with _lock:
            cache = _query_cache.setdefault(self.path, {})
            if cache.get("_version") != version:
                cache.clear()
                cache["_version"] = version
            hit = cache.get(key, _MISSING)
        if hit is _MISSING:
            hit = compute()
            with _lock:
                if cache.get("_version") == version:
                    cache[key] = hit
        return hit

    def rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        with self.cursor() as cur:
            row = cur.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def file_token(self) -> tuple | None:
        """Changes at every commit to this file by any process (size, time and inode of the file and its
        WAL): the cache key of what changes without moving the data version (the audit trail). None for
        an in-memory database (nothing to cache by)."""
        return None if self._memory else self._stat_token()

    def version(self) -> int:
        """A token that changes at every import or restore: the cache key of every page.

        Writes in this process refresh it after their commit. Writes by another process (a CLI
        import) change the file or its WAL: a ``stat`` notices, and only then is the data version
        read again (the file is opened for that one query)."""
        if not self._memory:
            token = self._stat_token()
            if _seen.get(self.path) != token:
                with self.cursor() as cur:
                    _versions[self.path] = self._read_version(cur)
                _seen[self.path] = token
        return _versions[self.path]

    def _read_version(self, cur: duckdb.DuckDBPyConnection | None = None) -> int:
        from store.audit import data_version_sql

        if cur is None:
            with self.cursor() as c:
                return int(c.execute(data_version_sql()).fetchone()[0])
        return int(cur.execute(data_version_sql()).fetchone()[0])

    def close(self) -> None:
        with self._cond:
            self._close_root()
            self._closed = True
        with _lock:
            if _registry.get(self.path) is self:
                del _registry[self.path]


_MISSING = object()
_registry: dict[str, Database] = {}
_versions: dict[str, int] = {}      # data version per database file, in this process
_seen: dict[str, tuple] = {}        # stat of the file (and WAL) when the data version was last read
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


@atexit.register
def _close_all() -> None:
    """Close every open file at exit: DuckDB checkpoints, and no connection is left to the interpreter."""
    with _lock:
        dbs = list(_registry.values())
    for db in dbs:
        try:
            with db._cond:
                db._close_root()
        except Exception:  # noqa: BLE001 - exiting anyway
            pass
