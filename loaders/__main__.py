"""CLI: ``python -m loaders import FILE.xlsx [--db PATH]`` and ``python -m loaders template OUT.xlsx``."""
from __future__ import annotations

import argparse
import sys

from loaders.importer import REFUSED, import_file, import_history, restore_version
from loaders.template import write_template
from store import default_db_path, get_db


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loaders", description="Foglio di monitoraggio → database")
    sub = ap.add_subparsers(dest="cmd", required=True)
    imp = sub.add_parser("import", help="importa un foglio .xlsx (tutto o niente)")
    imp.add_argument("files", nargs="+", metavar="FILE.xlsx")
    imp.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    imp.add_argument("--user", default=None, help="chi importa (predefinito: utente di sistema)")
    tpl = sub.add_parser("template", help="scrive il modello vuoto")
    tpl.add_argument("out", metavar="OUT.xlsx")
    hist = sub.add_parser("history", help="storico delle importazioni")
    hist.add_argument("--db", default=None)
    rst = sub.add_parser("restore", help="ripristina una versione precedente (import_id)")
    rst.add_argument("import_id", type=int)
    rst.add_argument("--db", default=None)
    args = ap.parse_args(argv)

    if args.cmd == "template":
        print(f"Modello scritto in {write_template(args.out)}")
        return 0
    db = get_db(args.db or default_db_path())
    if args.cmd == "history":
        print(import_history(db).drop(columns=["sha256"]).to_string(index=False))
        return 0
    if args.cmd == "restore":
        try:
            print(restore_version(db, args.import_id))
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    rc = 0
    for f in args.files:
        res = import_file(db, f, user=args.user)
        if res.status == REFUSED:
            rc = 1
            print(res.message)
            for p in res.problems:
                print(f"  - {p}")
        else:
            print(res.message)
    return rc


if __name__ == "__main__":
    from store.incident import run_cli

    sys.exit(run_cli(main))
