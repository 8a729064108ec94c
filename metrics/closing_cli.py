"""CLI of the year-end closing (issue 16), for automation and tests:

* ``python -m metrics closing --plan ID --year Y status | approve --act "…" | submit |
  validate --outcome validata|con-rilievi|non-validata | reopen --reason "…" [--user NAME] [--db PATH]``
* ``python -m metrics verify --plan ID [--year Y] [--db PATH]``: exit 0 when the validated figures are
  recomputed equal (and the hash matches), 1 on any difference (listed), 2 on bad arguments.

``--user NAME`` acts as that account, with its role and grants (store/users.py); without it, as the local
administrator (the machine's owner), as every other command.
"""
from __future__ import annotations

import argparse
import sys

from store import audit, default_db_path, get_db


def add_commands(sub) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    common.add_argument("--plan", type=int, required=True, help="id del piano")
    clo = sub.add_parser("closing", parents=[common], help="chiusura dell'anno: stato, approvazione, validazione")
    clo.add_argument("--year", type=int, required=True, help="anno")
    clo.add_argument("--user", default=None, help="agisci come questo utente (con il suo ruolo)")
    act = clo.add_subparsers(dest="closing_cmd", required=True)
    act.add_parser("status", help="stato dell'anno")
    act.add_parser("approve", help="registra l'atto di approvazione").add_argument("--act", required=True)
    act.add_parser("submit", help="invia al valutatore")
    act.add_parser("validate", help="esito della validazione").add_argument(
        "--outcome", required=True, choices=["validata", "con-rilievi", "non-validata"])
    act.add_parser("reopen", help="riapri l'anno (solo amministratore)").add_argument("--reason", default="")
    ver = sub.add_parser("verify", parents=[common], help="ricalcola e confronta con i dati validati")
    ver.add_argument("--year", type=int, default=None, help="anno (predefinito: ogni anno validato)")


def _principal(db, user: str | None):
    from store.access import local_administrator
    from store.users import principal_of

    if not user:
        return local_administrator(audit.machine_owner(), "cli")
    p = principal_of(db, user)
    if p is None:
        raise LookupError(f"Utente «{user}» inesistente o disattivato.")
    return p


def run(args: argparse.Namespace) -> int:
    from metrics import closing as C
    from metrics.engine import PlanNotFound, resolve_plan
    from store.access import NotAuthorized

    db = get_db(args.db or default_db_path())
    try:
        pid = resolve_plan(db, args.plan)
    except PlanNotFound as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "verify":
        ok, msgs = C.verify(db, pid, args.year)
        print("\n".join(msgs), file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    try:
        who = _principal(db, args.user)
        cmd = args.closing_cmd
        if cmd == "status":
            st = C.state(db, pid, args.year)
        elif cmd == "approve":
            st = C.approve(who, db, pid, args.year, args.act)
        elif cmd == "submit":
            st = C.submit(who, db, pid, args.year)
        elif cmd == "validate":
            st = C.validate(who, db, pid, args.year, args.outcome)
        else:
            st = C.reopen(who, db, pid, args.year, args.reason)
    except (C.ClosingError, NotAuthorized, LookupError) as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 1
    print(status_text(st, args.year))
    return 0


def status_text(st: dict, year: int) -> str:
    from metrics.fmt import fmt_date

    lines = [f"Anno {year}: {st['state']}"]
    if st["approval"]:
        a = st["approval"]
        lines.append(f"  approvazione: {a['act']} (registrata da {a['by']})")
    if st["submitted"]:
        lines.append(f"  inviata al valutatore il {fmt_date(st['submitted']['at'])} da {st['submitted']['by']}")
    if st["validation"]:
        v = st["validation"]
        lines.append(f"  validazione: {v['outcome']} il {fmt_date(v['date'])} da {v['by']}"
                     + (f" (SHA-256 {v['snapshot_sha256']})" if v["snapshot_sha256"] else ""))
    for r in st["reopened"]:
        lines.append(f"  riaperta il {fmt_date(r['at'])} da {r['by']}: {r['reason']}")
    return "\n".join(lines)
