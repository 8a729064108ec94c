"""CLI: ``python -m metrics report [--db PATH] [--plan ID|--ente TEXT] [--year YYYY] [--as-of DD/MM/YYYY]
--format json|table`` and ``python -m metrics export --format pptx|xlsx|docx|html --out FILE [--db PATH]
[--plan ID|--ente TEXT] [--year YYYY] [--as-of DD/MM/YYYY]`` (board exports; both accept ``--profile
predefinito|fasce|lineare`` to override the stored measuring system, see :mod:`exports`)."""
from __future__ import annotations

import argparse
import json
import sys

from metrics.engine import PlanNotFound, plan_metrics, resolve_plan
from metrics.fmt import parse_it_date
from metrics.report import report_dict, report_table
from store import audit, default_db_path, get_db


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--plan", type=int, default=None, help="id del piano")
    sel.add_argument("--ente", default=None, help="(parte del) nome dell'ente")
    p.add_argument("--year", type=int, default=None, help="anno di valutazione")
    p.add_argument("--as-of", default=None, help="data di monitoraggio gg/mm/aaaa")
    p.add_argument("--profile", default=None, choices=["predefinito", "fasce", "lineare"],
                   help="sistema di misurazione per questo rapporto (predefinito: quello salvato per ente e anno)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m metrics", description="Metriche del piano della performance")
    sub = ap.add_subparsers(dest="cmd", required=True)
    rep = sub.add_parser("report", help="rapporto del piano")
    _common(rep)
    rep.add_argument("--format", choices=["json", "table"], default="table")
    exp = sub.add_parser("export", help="esporta presentazione, risultati, relazione o report")
    _common(exp)
    exp.add_argument("--format", default=None, help="pptx | xlsx | docx | html")
    exp.add_argument("--out", default=None, help="file da scrivere")
    exp.error = _export_usage_error  # Italian messages for the export's bad arguments
    args, extra = ap.parse_known_args(argv)
    if extra:
        if args.cmd == "export":
            _export_usage_error(f"argomenti non riconosciuti: {' '.join(extra)}")
        ap.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.cmd == "export" and (problem := _export_args_problem(args)):
        print(f"Errore: {problem}", file=sys.stderr)
        return 2
    try:
        as_of = parse_it_date(args.as_of) if args.as_of else None
    except ValueError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    db = get_db(args.db or default_db_path())
    try:
        plan_id = resolve_plan(db, args.plan, args.ente)
        pm = plan_metrics(db, plan_id, year=args.year, as_of=as_of, profile=args.profile)
    except PlanNotFound as exc:
        if args.cmd == "export":
            audit.record(db, audit.machine_owner(), "esportazione", outcome=audit.REFUSED,
                         detail=f"{args.format} → {args.out}: {str(exc).splitlines()[0]}")
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "export":
        return _export(args, pm, db)
    if args.format == "json":
        json.dump(report_dict(pm), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(report_table(pm))
    return 0


EXPORT_FORMATS = ("pptx", "xlsx", "docx", "html")
EXPORT_USAGE = ("Uso: python -m metrics export --format pptx|xlsx|docx|html --out FILE [--db PATH] "
                "[--plan ID | --ente TESTO] [--year AAAA] [--as-of gg/mm/aaaa] [--profile predefinito|fasce|lineare]")


def _export_usage_error(message: str) -> None:
    """argparse's error for ``export``, in Italian; exit code 2 as argparse does."""
    import re

    rules = [(r"argument --year: invalid int value: '(.*)'", r"anno «\1» non valido: usare 4 cifre (es. 2025)"),
             (r"argument --plan: invalid int value: '(.*)'", r"id del piano «\1» non valido: usare un numero"),
             (r"argument (--[\w-]+): expected one argument", r"manca il valore di \1"),
             (r"argument (--[\w-]+): not allowed with argument (--[\w-]+)", r"\1 e \2 sono alternativi")]
    for pattern, repl in rules:
        if re.fullmatch(pattern, message):
            message = re.sub(pattern, repl, message)
            break
    print(f"Errore: {message}.\n{EXPORT_USAGE}", file=sys.stderr)
    sys.exit(2)


def _export_args_problem(args: argparse.Namespace) -> str | None:
    """Italian message for bad ``export`` arguments (checked before opening the database)."""
    import os

    if not args.format:
        return "indicare --format (pptx, xlsx, docx o html)."
    if args.format not in EXPORT_FORMATS:
        return f"formato «{args.format}» non supportato: usare pptx, xlsx, docx o html."
    if not args.out:
        return "indicare il file da scrivere con --out."
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        return f"la cartella «{folder}» non esiste."
    return None


def _export(args: argparse.Namespace, pm, db) -> int:
    """Write the export; one «esportazione» record in the audit trail (the CLI acts as the machine's
    owner), outcome «errore» when the file cannot be written."""
    import time
    from pathlib import Path

    from exports import FORMATS, export  # lazy: python-pptx/docx only when exporting
    from metrics.fmt import fmt_date, fmt_int, fmt_num

    t0 = time.perf_counter()
    from metrics.previous import previous_check
    data = export(pm, args.format, previous_check(db, pm))
    who, what = audit.machine_owner(), f"{FORMATS[args.format].name} «{args.out}», anno {pm.ctx.year}"
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        audit.record(db, who, "esportazione", outcome=audit.FAILED, plan_id=pm.ctx.plan_id,
                     import_id=pm.ctx.import_id, detail=f"{what}: {exc.strerror or exc}")
        print(f"Errore: impossibile scrivere «{args.out}»: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    audit.record(db, who, "esportazione", plan_id=pm.ctx.plan_id, import_id=pm.ctx.import_id, detail=what)
    print(f"Esportato {FORMATS[args.format].name} «{args.out}» ({fmt_int(len(data) / 1024)} kB) per "
          f"«{pm.ctx.titolo}» ({pm.ctx.ente}), anno {pm.ctx.year}, situazione al {fmt_date(pm.ctx.as_of)}, in "
          f"{fmt_num(time.perf_counter() - t0)} s.")
    return 0


if __name__ == "__main__":
    from store.incident import run_cli

    sys.exit(run_cli(main))
