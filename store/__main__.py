"""CLI of the store: ``python -m store <comando>``. Each group of commands registers its own
subparsers (one function each), so features can be added side by side."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from store.db import default_db_path


def add_backup_commands(sub) -> None:
    """``backup`` and ``restore`` (issue 12)."""
    bk = sub.add_parser("backup", help="copia coerente del database")
    bk.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    bk.add_argument("--out", default=None, help="file della copia (predefinito: accanto al database, con data e ora)")
    bk.add_argument("--daily", action="store_true", help="una copia al giorno accanto al database (come make run)")
    bk.add_argument("--keep", type=int, default=7, help="con --daily: quante copie giornaliere tenere (predefinito 7)")
    bk.set_defaults(func=_backup)
    rs = sub.add_parser("restore", help="rimette una copia al posto del database (prima ne salva una del database attuale)")
    rs.add_argument("copy", metavar="COPIA.duckdb")
    rs.add_argument("--db", default=None)
    rs.set_defaults(func=_restore)


def _backup(args) -> int:
    from store.backup import backup, daily

    db = args.db or default_db_path()
    if args.daily:
        made, removed = daily(db, args.keep)
        print(f"Copia giornaliera: {made}" if made else "Copia giornaliera di oggi già presente.")
        for p in removed:
            print(f"Rimossa la copia più vecchia: {p}")
        return 0
    print(f"Copia del database scritta in {backup(db, args.out)}")
    return 0


def _restore(args) -> int:
    from pathlib import Path

    from store.backup import restore

    if not Path(args.copy).is_file():
        print(f"La copia «{args.copy}» non esiste.", file=sys.stderr)
        return 1
    try:
        safety, n = restore(args.db or default_db_path(), args.copy)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Database ripristinato dalla copia «{args.copy}» ({n} piani). Il database sostituito è salvato in {safety}.")
    return 0


def add_users_commands(sub) -> None:
    """``users add|list|disable|…`` (issue 9): store/users_cli.py."""
    from store.users_cli import add_users_commands as add

    add(sub)


COMMANDS: list[Callable] = [add_backup_commands, add_users_commands]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m store", description="Il database del cruscotto")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for add in COMMANDS:
        add(sub)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    from store.incident import run_cli

    sys.exit(run_cli(main))
