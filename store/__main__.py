"""CLI of the store: ``python -m store <comando>``. Each group of commands registers its own
subparsers (one function each), so features can be added side by side: ``backup``/``restore``
(issue 12), ``users …`` and ``enti list|merge|unmerge|ipa`` (issue 9). The CLI acts as the machine's owner
(:func:`store.audit.machine_owner`), the local administrator."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from store import get_db
from store.audit import machine_owner
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


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")


# ----------------------------------------------------------------------------- tokens
def add_tokens_commands(sub) -> None:
    """``tokens add NOME [--etichetta TESTO]|list [--utente NOME]|revoke ID`` (issue 19: the read-only API)."""
    tk = sub.add_parser("tokens", help="token personali per l'API in sola lettura (/api/v1)")
    tk.set_defaults(func=_tokens)
    tsub = tk.add_subparsers(dest="tokens_cmd", required=True)
    add = tsub.add_parser("add", help="crea un token per l'utente NOME (stampato una sola volta, sull'ultima riga)")
    add.add_argument("name", metavar="NOME")
    add.add_argument("--etichetta", default=None, help="a cosa serve (es. «intranet»)")
    _db_arg(add)
    ls = tsub.add_parser("list", help="elenca i token (numero, utente, date; mai il token)")
    ls.add_argument("--utente", default=None)
    _db_arg(ls)
    rv = tsub.add_parser("revoke", help="revoca il token numero ID")
    rv.add_argument("token_id", metavar="ID", type=int)
    _db_arg(rv)


def _tokens(args) -> int:
    from store.tokens import TokenError, add_token, list_tokens, revoke_token
    from store.users_cli import cli_user

    db = get_db(args.db or default_db_path())
    try:
        if args.tokens_cmd == "add":
            token_id, token = add_token(db, args.name, by=cli_user(), label=args.etichetta)
            print(f"Token n. {token_id} creato per «{args.name}». Copiarlo ora: non sarà più mostrato.")
            print(token)
        elif args.tokens_cmd == "list":
            df = list_tokens(db, args.utente)
            if df.empty:
                print("Nessun token.")
            for r in df.itertuples():
                state = f"revocato il {_when(r.revoked_at)}" if _when(r.revoked_at) else "attivo"
                used = f"usato il {_when(r.last_used)}" if _when(r.last_used) else "mai usato"
                label = f" ({r.label})" if isinstance(r.label, str) else ""
                print(f"{int(r.token_id)}\t{r.username}{label}\tcreato il {_when(r.created_at)}\t{used}\t{state}")
        else:
            print(revoke_token(db, args.token_id, by=cli_user()))
    except TokenError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 1
    return 0


def _when(ts) -> str:
    """``31/12/2025 09:05``, or "" when missing."""
    import pandas as pd

    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%d/%m/%Y %H:%M")


# ----------------------------------------------------------------------------- enti
def add_enti_parser(sub) -> None:
    enti = sub.add_parser("enti", help="enti: elenco, unione, separazione, Codice IPA")
    enti.set_defaults(func=enti_main)
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
    except enti.EnteError as exc:  # a command that cannot proceed says so in Italian and exits with 1
        print(f"Errore: {exc}", file=sys.stderr)
        return 1


COMMANDS: list[Callable] = [add_backup_commands, add_users_commands, add_enti_parser, add_tokens_commands]


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
