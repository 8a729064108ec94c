"""Consistent copies of the database and their restore (issue 12).

:func:`backup` takes the file for itself (DuckDB's lock, so no other process writes), checkpoints the
WAL into the file and copies it: a consistent copy, verified by opening it. :func:`restore` first
backs up the current database (nothing is ever lost), then puts the copy in its place while holding
the file. :func:`daily` keeps one copy per day next to the database and the last ``keep`` of them
(``make run`` calls it at every start).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb

from store.db import get_db

REQUIRED_TABLES = ("plans", "imports", "audit_log", "objectives", "steps")


def backup_dir(db_path: str | os.PathLike) -> Path:
    return Path(db_path).resolve().parent


def _stem(db_path: str | os.PathLike) -> str:
    return Path(db_path).name.removesuffix(".duckdb")


def check_copy(path: str | os.PathLike) -> int:
    """Open a copy read-only and count its plans; raises ValueError (Italian) if it is not a database
    of the cruscotto."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means: not a usable copy
        raise ValueError(f"«{path}» non è una copia leggibile del database ({type(exc).__name__}).") from None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise ValueError(f"«{path}» non è un database del cruscotto (mancano le tabelle {', '.join(missing)}).")
        return int(con.execute("SELECT count(*) FROM plans").fetchone()[0])
    finally:
        con.close()


def backup(db_path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write a consistent copy of the database to ``out`` (default: next to it, with date and time)."""
    db = get_db(db_path)
    target = Path(out) if out else backup_dir(db.path) / f"{_stem(db.path)}.backup-{dt.datetime.now():%Y-%m-%d-%H%M%S}.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with db.transaction() as cur:      # the file is ours (lock) and no other thread writes
        cur.execute("COMMIT")          # CHECKPOINT cannot run inside a transaction
        cur.execute("CHECKPOINT")
        shutil.copyfile(db.path, tmp)
        cur.execute("BEGIN TRANSACTION")
    check_copy(tmp)
    os.replace(tmp, target)
    return target


def restore(db_path: str | os.PathLike, copy: str | os.PathLike) -> tuple[Path, int]:
    """Replace the database with ``copy``; returns (the backup of the replaced database, plans restored)."""
    n_plans = check_copy(copy)
    db = get_db(db_path)
    safety = backup(db.path, backup_dir(db.path) / f"{_stem(db.path)}.prima-del-ripristino-"
                                                   f"{dt.datetime.now():%Y-%m-%d-%H%M%S}.duckdb")
    tmp = Path(db.path + ".ripristino.tmp")
    shutil.copyfile(copy, tmp)
    with db.transaction() as cur:      # hold the file: no other process has it open during the swap
        cur.execute("COMMIT")
        cur.execute("CHECKPOINT")
        os.replace(tmp, db.path)
        wal = Path(db.path + ".wal")
        if wal.exists():
            wal.unlink()
        cur.execute("BEGIN TRANSACTION")
    db.close()                         # the next query opens the restored file
    return safety, n_plans


def daily(db_path: str | os.PathLike, keep: int = 7) -> tuple[Path | None, list[Path]]:
    """Today's copy (if not already taken) and the removal of copies beyond the last ``keep`` days."""
    path = Path(db_path).resolve()
    if not path.exists():
        return None, []
    folder, stem = backup_dir(path), _stem(path)
    today = folder / f"{stem}.giornaliero-{dt.date.today():%Y-%m-%d}.duckdb"
    made = None
    if not today.exists():
        made = backup(path, today)
    copies = sorted(folder.glob(f"{stem}.giornaliero-*.duckdb"))
    removed = copies[:-keep] if keep > 0 else []
    for p in removed:
        p.unlink()
    return made, removed
