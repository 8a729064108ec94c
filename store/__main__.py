"""CLI of the store: ``python -m store enti list|merge|unmerge|ipa [--db PATH]``.

One function per subcommand group (``add_enti_parser`` / ``enti_main``), registered in :data:`COMMANDS`,
so that other groups (e.g. ``users``) are added next to it. The CLI acts as the machine's owner
(:func:`store.audit.machine_owner`), the local administrator.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from store import default_db_path, get_db
from store.audit import machine_owner


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")


# ----------------------------------------------------------------------------- enti
def add_enti_parser(sub) -> None:
    enti = sub.add_parser("enti", help="enti: elenco, unione, separazione, Codice IPA")
    esub = enti.add_subparsers(dest="enti_cmd", required=True)
    ls = esub.add_parser("list", help="elenco degli enti con codice IPA, piani, alias e unioni")
    _db_arg(ls)
    mg = esub.add_parser("merge", help="unisce ENTE a DESTINAZIONE: tutti i piani e le versioni passano alla "
                                       "destinazione (annullabile con unmerge)")
    mg.add_argument("ente", help="ente da unire (id, codice IPA o nome)")
    mg.add_argument("destinazione", help="ente che resta (id, codice IPA o nome)")
    _db_arg(mg)
    um = esub.add_parser("unmerge", help="annulla l'unione di ENTE: i suoi piani tornano a lui")
    um.add_argument("ente", help="ente unito in precedenza (id, codice IPA o nome)")
    _db_arg(um)
    ipa = esub.add_parser("ipa", help="imposta il Codice IPA di ENTE (vuoto: lo toglie)")
    ipa.add_argument("ente", help="ente (id, codice IPA o nome)")
    ipa.add_argument("codice", help="Codice IPA (indicepa.gov.it), es. cssm_cn; \"\" per toglierlo")
    _db_arg(ipa)


def enti_main(args: argparse.Namespace) -> int:
    import pandas as pd

    from store import enti

    db = get_db(args.db or default_db_path())
    try:
        if args.enti_cmd == "list":
            df = enti.list_enti(db)
            if df.empty:
                print("Nessun ente: importare un foglio.")
                return 0
            for r in df.itertuples():
                ipa = f" · IPA {r.codice_ipa}" if isinstance(r.codice_ipa, str) else ""
                merged = (f" · unito a «{r.merged_into_nome}» ({int(r.merged_into)})" if pd.notna(r.merged_into)
                          else "")
                aliases = f" · alias: {r.aliases}" if isinstance(r.aliases, str) else ""
                n = int(r.n_plans)
                print(f"{int(r.ente_id)}: {r.nome}{ipa} · {n} {'piano' if n == 1 else 'piani'}{aliases}{merged}")
            return 0
        who = machine_owner()
        if args.enti_cmd == "merge":
            print(enti.merge_enti(db, enti.lookup(db, args.ente), enti.lookup(db, args.destinazione), who))
        elif args.enti_cmd == "ipa":
            print(enti.set_codice_ipa(db, enti.lookup(db, args.ente), args.codice, who))
        else:
            print(enti.unmerge_enti(db, enti.lookup(db, args.ente), who))
        return 0
    except enti.EnteError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2


#: subcommand → (add its parser, run it)
COMMANDS: dict[str, tuple[Callable, Callable[[argparse.Namespace], int]]] = {
    "enti": (add_enti_parser, enti_main),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m store", description="Archivio del cruscotto (DuckDB)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for add, _run in COMMANDS.values():
        add(sub)
    args = ap.parse_args(argv)
    return COMMANDS[args.cmd][1](args)


if __name__ == "__main__":
    sys.exit(main())
