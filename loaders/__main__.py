"""CLI: ``python -m loaders import FILE.xlsx [--db PATH]``, ``python -m loaders template OUT.xlsx`` and the
monitoring rounds (issue 18): ``python -m loaders round open --plan ID --date GG/MM/AAAA --due GG/MM/AAAA
--out DIR`` (last line: the round id alone), ``round answer FILE…``, ``round status ROUND [--format json]``,
``round close ROUND``; every command accepts ``--db PATH``."""
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
    rnd = sub.add_parser("round", help="giri di monitoraggio (fogli per responsabile, risposte, chiusura)")
    rsub = rnd.add_subparsers(dest="round_cmd", required=True)
    r_open = rsub.add_parser("open", help="apre un giro e scrive un foglio .xlsx per responsabile")
    r_open.add_argument("--plan", type=int, required=True)
    r_open.add_argument("--date", required=True, help="data di verifica gg/mm/aaaa")
    r_open.add_argument("--due", required=True, help="scadenza delle risposte gg/mm/aaaa")
    r_open.add_argument("--out", required=True, help="cartella dei fogli")
    r_ans = rsub.add_parser("answer", help="registra le risposte (fogli compilati)")
    r_ans.add_argument("files", nargs="+", metavar="FILE.xlsx")
    r_st = rsub.add_parser("status", help="stato delle risposte")
    r_st.add_argument("round", type=int)
    r_st.add_argument("--format", choices=["table", "json"], default="table")
    r_cl = rsub.add_parser("close", help="chiude il giro: nuova versione del piano")
    r_cl.add_argument("round", type=int)
    for p in (r_open, r_ans, r_st, r_cl):
        p.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    args = ap.parse_args(argv)

    if args.cmd == "round":
        from loaders.rounds_cli import run_round

        return run_round(args)
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
        if _is_round_answer(f):
            rc = 1
            print(f"«{f}» è la risposta a un giro di monitoraggio, non un piano: registrarla con "
                  f"python -m loaders round answer \"{f}\"")
            continue
        res = import_file(db, f, user=args.user)
        if res.status == REFUSED:
            rc = 1
            print(res.message)
            for p in res.problems:
                print(f"  - {p}")
        else:
            print(res.message)
            for c in res.meta.get("ente_simili") or []:  # a new ente that looks like a known one
                print(f"  Attenzione: «{res.meta['ente']}» è un ente nuovo ma somiglia a «{c['nome']}» ({c['reason']}). "
                      f"Se è lo stesso: python -m store enti merge {res.meta['ente_id']} {c['ente_id']}")
    return rc


def _is_round_answer(path) -> bool:
    from pathlib import Path

    from loaders.rounds import looks_like_answer

    try:
        return looks_like_answer(Path(path).read_bytes())
    except OSError:
        return False          # import_file says why the file cannot be read


if __name__ == "__main__":
    from store.incident import run_cli

    sys.exit(run_cli(main))
