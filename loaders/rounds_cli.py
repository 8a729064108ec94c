"""``python -m loaders round …`` (issue 18): the monitoring rounds from the command line, as the machine's
owner (:func:`store.access.local_administrator`, like the other commands)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from loaders import rounds as R
from domain.text import parse_it_date
from store import audit, default_db_path, get_db
from store.access import NotAuthorized, local_administrator


def run_round(args) -> int:
    db = get_db(args.db or default_db_path())
    me = local_administrator(audit.machine_owner(), "cli")
    try:
        if args.round_cmd == "open":
            ref, due = parse_it_date(args.date), parse_it_date(args.due)
            rid = R.open_round(db, me, args.plan, ref, due)
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            books = R.round_workbooks(db, me, rid)
            for _name, fname, data in books:
                (out / fname).write_bytes(data)
            print(f"Giro aperto: {len(books)} fogli scritti in {out}.")
            print(rid)
            return 0
        if args.round_cmd == "answer":
            rc = 0
            for f in args.files:
                res = R.answer_file(db, me, f)
                print(res.message)
                for p in res.problems:
                    print(f"  - {p}")
                rc = rc or (0 if res.ok else 1)
            return rc
        if args.round_cmd == "status":
            st = R.status_dict(db, me, args.round)
            if args.format == "json":
                print(json.dumps(st, ensure_ascii=False, indent=2))
                return 0
            print(f"Giro n. {st['giro']} — {st['titolo']} ({st['ente']}): verifiche al {st['data_verifica']}, "
                  f"risposte entro il {st['scadenza']}; {st['stato']}.")
            for r in st["responsabili"]:
                print(f"  {r['responsabile']}: {r['esito']} ({r['step_risposti']}/{r['step']} step)"
                      + (f", {r['risposto_il']} da {r['da']}" if r["risposto_il"] else ""))
            if st["conflitti"]:
                print(f"  Step con risposte diverse da scegliere: {st['conflitti']}.")
            return 0
        if args.round_cmd == "close":
            result, missing = R.close_round(db, me, args.round)
            print(result.message)
            if not result.ok:
                for p in result.problems:
                    print(f"  - {p}")
                return 1
            if missing:
                print(R.missing_note(missing))
            return 0
    except (R.RoundError, NotAuthorized, ValueError) as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 1
    return 2
