"""``python -m store users add NAME --ruolo RUOLO [--enti ENTE,…]``, ``users list``, ``users disable NAME`` (issue 9).

The CLI acts as the local administrator (the machine's owner). The password is read from a prompt, twice;
when stdin is not a terminal, from its first two lines (the same password twice).
"""
from __future__ import annotations

import argparse
import getpass
import sys

from store.access import ROLES
from store.db import default_db_path


def cli_user() -> str:
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "?"
    return f"riga di comando ({who})"


def read_password(stdin=None) -> str:
    """Twice, from a prompt; or the first two lines of stdin when it is not a terminal."""
    from store.users import UserError

    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Ripeti la password: ")
    else:
        lines = stdin.read().splitlines()
        if len(lines) < 2:
            raise UserError("Da stdin servono due righe: la password e la sua ripetizione.")
        first, second = lines[0], lines[1]
    if first != second:
        raise UserError("Le due password non coincidono.")
    return first


def _entes(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]


def add_users_commands(sub) -> None:
    """``users add|list|disable|enable|password|grant``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    users = sub.add_parser("users", help="utenti locali (accesso, ruoli, enti)").add_subparsers(dest="users_cmd",
                                                                                              required=True)
    add = users.add_parser("add", parents=[common], help="crea un utente (password da prompt o da stdin, due volte)")
    add.add_argument("name", metavar="NOME")
    add.add_argument("--ruolo", required=True, choices=ROLES)
    add.add_argument("--enti", default="", help="enti autorizzati, separati da virgola, come nella barra "
                                                "laterale (o Codice IPA); «*» = tutti")
    users.add_parser("list", parents=[common], help="elenca gli utenti")
    for name, text in (("disable", "disattiva un utente"), ("enable", "riattiva un utente"),
                       ("password", "cambia la password (da prompt o da stdin, due volte)")):
        users.add_parser(name, parents=[common], help=text).add_argument("name", metavar="NOME")
    grant = users.add_parser("grant", parents=[common], help="sostituisce ruolo e/o enti di un utente")
    grant.add_argument("name", metavar="NOME")
    grant.add_argument("--ruolo", choices=ROLES)
    grant.add_argument("--enti", default=None)
    sub.choices["users"].set_defaults(func=_users)


def _users(args) -> int:
    from store import get_db
    from store.users import UserError, add_user, list_users, set_active, set_grants, set_password, set_role

    db = get_db(args.db or default_db_path())
    by = cli_user()
    cmd = args.users_cmd
    try:
        if cmd == "add":
            add_user(db, args.name, read_password(), args.ruolo, _entes(args.enti), by=by)
            print(f"Utente «{args.name}» creato (ruolo {args.ruolo}).")
        elif cmd == "list":
            df = list_users(db)
            if df.empty:
                print("Nessun utente: il cruscotto è in modalità locale (solo da questo computer).")
                return 0
            for r in df.itertuples():
                state = "attivo" if r.active else "disattivato"
                entes = r.entes or ("tutti" if r.role == "amministratore" else "nessuno")
                print(f"{r.username}\t{r.role}\t{state}\tenti: {entes}")
        elif cmd in ("disable", "enable"):
            set_active(db, args.name, cmd == "enable", by=by)
            print(f"Utente «{args.name}» {'riattivato' if cmd == 'enable' else 'disattivato'}.")
        elif cmd == "password":
            set_password(db, args.name, read_password(), by=by)
            print(f"Password di «{args.name}» cambiata.")
        elif cmd == "grant":
            if args.ruolo:
                set_role(db, args.name, args.ruolo, by=by)
            if args.enti is not None:
                set_grants(db, args.name, _entes(args.enti), by=by)
            print(f"Utente «{args.name}» aggiornato.")
    except UserError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 1
    return 0
