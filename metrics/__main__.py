"""CLI: ``python -m metrics report [--db PATH] [--plan ID|--ente TEXT] [--year YYYY] [--as-of DD/MM/YYYY]
--format json|table``."""
from __future__ import annotations

import argparse
import json
import sys

from metrics.engine import PlanNotFound, plan_metrics, resolve_plan
from metrics.fmt import parse_it_date
from metrics.report import report_dict, report_table
from store import default_db_path, get_db


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--plan", type=int, default=None, help="id del piano")
    sel.add_argument("--ente", default=None, help="(parte del) nome dell'ente")
    p.add_argument("--year", type=int, default=None, help="anno di valutazione")
    p.add_argument("--as-of", default=None, help="data di monitoraggio gg/mm/aaaa")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m metrics", description="Metriche del piano della performance")
    sub = ap.add_subparsers(dest="cmd", required=True)
    rep = sub.add_parser("report", help="rapporto del piano")
    _common(rep)
    rep.add_argument("--format", choices=["json", "table"], default="table")
    args = ap.parse_args(argv)
    try:
        as_of = parse_it_date(args.as_of) if args.as_of else None
    except ValueError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    db = get_db(args.db or default_db_path())
    try:
        plan_id = resolve_plan(db, args.plan, args.ente)
        pm = plan_metrics(db, plan_id, year=args.year, as_of=as_of)
    except PlanNotFound as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump(report_dict(pm), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(report_table(pm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
