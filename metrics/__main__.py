"""CLI: ``python -m metrics closing|verify …`` (year-end closing, :mod:`metrics.closing_cli`),
``python -m metrics report [--db PATH] [--plan ID|--ente TEXT] [--year YYYY] [--as-of DD/MM/YYYY]
--format json|table`` and ``python -m metrics export --format pptx|xlsx|docx|pdf|html --out FILE [--db PATH]
[--plan ID|--ente TEXT] [--year YYYY] [--as-of DD/MM/YYYY]`` (board exports; both accept ``--profile
predefinito|fasce|lineare`` to override the stored measuring system, see :mod:`exports`).
``python -m metrics premi --plan ID [--fondo-organizzativa €] [--fondo-individuale €] [--preset fasce|proporzionale|
percentuali] --format json|csv [--out FILE]`` and ``python -m metrics publish --plan ID --year Y --out FILE.zip``
(issue 17: bonus distribution and the «Amministrazione trasparente» package)."""
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
    exp.add_argument("--format", default=None, help="pptx | xlsx | docx | pdf | html (docx e pdf: la Relazione)")
    exp.add_argument("--out", default=None, help="file da scrivere")
    exp.error = _export_usage_error  # Italian messages for the export's bad arguments
    _premi_parsers(sub)
    from metrics import closing_cli

    closing_cli.add_commands(sub)          # closing, verify (issue 16)
    cal = sub.add_parser("calendar", help="calendario delle scadenze (.ics, RFC 5545)")
    cal.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    cal.add_argument("--ente", default=None, help="(parte del) nome dell'ente")
    cal.add_argument("--responsabile", default=None, help="solo gli step di questo responsabile")
    cal.add_argument("--out", required=True, help="file .ics da scrivere")
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["calendar"]:
        return _calendar(ap.parse_args(argv))
    args, extra = ap.parse_known_args(argv)
    if args.cmd in ("premi", "publish"):
        if extra:
            print(f"Errore: argomenti non riconosciuti: {' '.join(extra)}.", file=sys.stderr)
            return 2
        return _premi_main(args) if args.cmd == "premi" else _publish_main(args)
    if extra:
        if args.cmd == "export":
            _export_usage_error(f"argomenti non riconosciuti: {' '.join(extra)}")
        ap.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.cmd in ("closing", "verify"):
        return closing_cli.run(args)
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
        from metrics.closing import validation_summary
        from metrics.variances import plan_net_figures

        json.dump(report_dict(pm, plan_net_figures(db, pm), validation_summary(db, pm.ctx.plan_id, pm.ctx.year)),
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(report_table(pm))
    return 0


EXPORT_FORMATS = ("pptx", "xlsx", "docx", "pdf", "html")
EXPORT_USAGE = ("Uso: python -m metrics export --format pptx|xlsx|docx|pdf|html --out FILE [--db PATH] "
                "[--plan ID | --ente TESTO] [--year AAAA] [--as-of gg/mm/aaaa] [--profile predefinito|fasce|lineare]")


def _export_usage_error(message: str, usage: str = EXPORT_USAGE) -> None:
    """argparse's error for ``export`` (and ``premi``, ``publish``), in Italian; exit code 2 as argparse does."""
    import re

    rules = [(r"argument --year: invalid int value: '(.*)'", r"anno «\1» non valido: usare 4 cifre (es. 2025)"),
             (r"argument --plan: invalid int value: '(.*)'", r"id del piano «\1» non valido: usare un numero"),
             (r"argument (--[\w-]+): expected one argument", r"manca il valore di \1"),
             (r"argument (--[\w-]+): not allowed with argument (--[\w-]+)", r"\1 e \2 sono alternativi"),
             (r"argument (--[\w-]+): invalid float value: '(.*)'", r"importo «\2» non valido per \1: usare un numero (es. 4000)"),
             (r"argument (--[\w-]+): invalid choice: '(.*?)'.*", r"valore «\2» non ammesso per \1"),
             (r"the following arguments are required: (.*)", r"mancano argomenti obbligatori: \1")]
    for pattern, repl in rules:
        if re.fullmatch(pattern, message):
            message = re.sub(pattern, repl, message)
            break
    print(f"Errore: {message}.\n{usage}", file=sys.stderr)
    sys.exit(2)


def _export_args_problem(args: argparse.Namespace) -> str | None:
    """Italian message for bad ``export`` arguments (checked before opening the database)."""
    import os

    if not args.format:
        return "indicare --format (pptx, xlsx, docx, pdf o html)."
    if args.format not in EXPORT_FORMATS:
        return f"formato «{args.format}» non supportato: usare pptx, xlsx, docx, pdf o html."
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

    from exports.pdf import PdfError

    t0 = time.perf_counter()
    from metrics.previous import previous_check

    previous = previous_check(db, pm)
    who, what = audit.machine_owner(), f"{FORMATS[args.format].name} «{args.out}», anno {pm.ctx.year}"
    try:
        data = export(pm, args.format, db, previous)
    except PdfError as exc:     # LibreOffice missing, failing or too slow: said in Italian, recorded
        audit.record(db, who, "esportazione", outcome=audit.FAILED, plan_id=pm.ctx.plan_id,
                     import_id=pm.ctx.import_id, detail=f"{what}: {exc}")
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
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


# ---------------------------------------------------------------------- premi, publish (issue 17)
def _premi_parsers(sub) -> None:
    pr = sub.add_parser("premi", help="distribuzione del fondo per la produttività (premi)")
    pr.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    pr.add_argument("--plan", type=int, required=True, help="id del piano")
    pr.add_argument("--year", type=int, default=None, help="anno di valutazione")
    pr.add_argument("--fondo-organizzativa", type=float, default=None, help="fondo performance organizzativa (€)")
    pr.add_argument("--fondo-individuale", type=float, default=None, help="fondo performance individuale (€)")
    pr.add_argument("--preset", choices=["fasce", "proporzionale", "percentuali"], default=None,
                    help="regole dei premi (predefinito: quelle salvate per ente e anno)")
    pr.add_argument("--format", choices=["json", "csv"], default="json",
                    help="json (conteggi) o csv (file per gli stipendi, solo dopo la validazione del Nucleo/OIV: «python -m metrics closing … validate»)")
    pr.add_argument("--out", default=None, help="file da scrivere (predefinito: lo schermo)")
    pr.add_argument("--salva", action="store_true",
                    help="salva fondo e regole come nuova versione per ente e anno (registrata nel Registro)")
    pu = sub.add_parser("publish", help="pacchetto «Amministrazione trasparente» (zip)")
    pu.add_argument("--db", default=None, help=f"database DuckDB (predefinito: {default_db_path()})")
    pu.add_argument("--plan", type=int, required=True, help="id del piano")
    pu.add_argument("--year", type=int, default=None, help="anno di valutazione")
    pu.add_argument("--out", required=True, help="file .zip da scrivere")
    pu.add_argument("--validazione", default=None, help="documento di validazione (PDF) da includere")
    pr.error = lambda message: _export_usage_error(message, PREMI_USAGE)
    pu.error = lambda message: _export_usage_error(message, PUBLISH_USAGE)


PREMI_USAGE = ("Uso: python -m metrics premi --plan ID [--db PATH] [--year AAAA] [--fondo-organizzativa EURO] "
               "[--fondo-individuale EURO] [--preset fasce|proporzionale|percentuali] [--format json|csv] [--out FILE] "
               "[--salva]")
PUBLISH_USAGE = ("Uso: python -m metrics publish --plan ID --out FILE.zip [--db PATH] [--year AAAA] "
                 "[--validazione DOCUMENTO.pdf]")


def _fund(args: argparse.Namespace) -> tuple[float, float] | None:
    if args.fondo_organizzativa is None and args.fondo_individuale is None:
        return None
    return (args.fondo_organizzativa or 0.0, args.fondo_individuale or 0.0)


def _write(out: str | None, data: bytes) -> None:
    from pathlib import Path

    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.write(data.decode("utf-8"))


def _premi_main(args: argparse.Namespace) -> int:
    """``premi``: JSON (always; «provisional» true before validation) or the payroll CSV (refused, exit 2,
    while the Relazione is not validated). The CLI acts as the machine's owner; every run is in the Registro."""
    from metrics import premi
    from domain.profile import ProfileError

    db = get_db(args.db or default_db_path())
    who = audit.machine_owner()
    try:
        resolve_plan(db, args.plan, None)
        if args.salva:
            _save_rules(db, args, who)
        res = premi.compute_for_plan(db, args.plan, args.year, preset=args.preset, fund=_fund(args), who=who)
    except PlanNotFound as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    except ProfileError as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        data = (json.dumps(premi.result_dict(res), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        try:
            data = premi.payroll_csv(res)
        except premi.PayrollRefused as exc:
            audit.record(db, who, "scaricamento", outcome=audit.REFUSED, plan_id=res.plan_id,
                         detail=f"file stipendi premi {res.year}: anno non validato")
            print(f"Errore: {exc}", file=sys.stderr)
            return 2
    try:
        _write(args.out, data)
    except OSError as exc:
        print(f"Errore: impossibile scrivere «{args.out}»: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    if args.format == "csv":
        audit.record(db, who, "scaricamento", plan_id=res.plan_id,
                     detail=f"file stipendi premi {res.year} «{args.out or 'schermo'}»")
    if res.provisional:
        print(f"Attenzione: {premi.PROVISIONAL}.", file=sys.stderr)
    return 0


def _save_rules(db, args: argparse.Namespace, who: str) -> None:
    """Store the rules given on the command line (preset, fund) as a new version."""
    import dataclasses

    from domain.profile import bonus_preset
    from metrics import premi

    pm = plan_metrics(db, args.plan, year=args.year)
    rules, _ = premi.current_rules(db, pm.ctx.ente, pm.ctx.year)
    if args.preset:
        b = bonus_preset(args.preset)
        rules = dataclasses.replace(b, fund_organisational=rules.fund_organisational,
                                    fund_individual=rules.fund_individual)
    if (fund := _fund(args)) is not None:
        rules = dataclasses.replace(rules, fund_organisational=fund[0], fund_individual=fund[1])
    v = premi.save_rules(db, pm.ctx.ente, pm.ctx.year, rules, who, "riga di comando", plan_id=pm.ctx.plan_id)
    print(f"Salvate le regole dei premi «{rules.name}», versione {v}.", file=sys.stderr)


def _publish_main(args: argparse.Namespace) -> int:
    """``publish``: the «Amministrazione trasparente» zip (Relazione PDF/A + ODT through LibreOffice)."""
    import os
    from pathlib import Path

    from exports.publish import PersonalDataFound, build_package, relazione_documents  # lazy, as ``export``
    from metrics import premi
    from metrics.fmt import fmt_int

    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        print(f"Errore: la cartella «{folder}» non esiste.", file=sys.stderr)
        return 2
    validation = None
    if args.validazione:
        try:
            validation = Path(args.validazione).read_bytes()
        except OSError as exc:
            print(f"Errore: impossibile leggere «{args.validazione}»: {exc.strerror or exc}.", file=sys.stderr)
            return 2
    db = get_db(args.db or default_db_path())
    who = audit.machine_owner()
    try:
        pm = plan_metrics(db, resolve_plan(db, args.plan, None), year=args.year)
    except PlanNotFound as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    res = premi.compute_for_plan(db, args.plan, pm.ctx.year)
    try:
        docs = relazione_documents(pm, validation, db=db)
        data = build_package(pm, res, docs, names=list(pm.staff["name"].dropna().astype(str)))
    except (PersonalDataFound, RuntimeError) as exc:
        audit.record(db, who, "esportazione", outcome=audit.REFUSED, plan_id=pm.ctx.plan_id,
                     detail=f"pacchetto trasparenza {pm.ctx.year}: {exc}")
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_bytes(data)
    audit.record(db, who, "esportazione", plan_id=pm.ctx.plan_id, import_id=pm.ctx.import_id,
                 detail=f"pacchetto Amministrazione trasparente «{args.out}», anno {pm.ctx.year}"
                        + (f", {premi.PROVISIONAL}" if res.provisional else ""))
    print(f"Scritto «{args.out}» ({fmt_int(len(data) / 1024)} kB), anno {pm.ctx.year}"
          + (f" — {premi.PROVISIONAL}" if res.provisional else "") + ".")
    return 0


def _calendar(args) -> int:
    """``python -m metrics calendar --ente NOME [--responsabile R] --out FILE.ics`` (as the machine's owner)."""
    from pathlib import Path

    from metrics.calendar import build_calendar, calendar_events
    from store.access import local_administrator

    db = get_db(args.db or default_db_path())
    owner = local_administrator(audit.machine_owner(), "cli")
    n = len(calendar_events(db, owner, args.ente, args.responsabile))
    if n == 0:
        print("Errore: nessuna scadenza per questa scelta (ente o responsabile non trovati?).", file=sys.stderr)
        return 1
    Path(args.out).write_bytes(build_calendar(db, owner, args.ente, args.responsabile))
    audit.record(db, owner.name, "esportazione", detail=f"calendario → {args.out} ({n} eventi)")
    print(f"Scritto {args.out}: {n} eventi.")
    return 0


if __name__ == "__main__":
    from store.incident import run_cli

    sys.exit(run_cli(main))
