"""A seeded generator of bad and odd workbooks, and the checks every one of them must pass (issue 12).

Families (each file names its family and, for cell mutations, the sheet/row/column it changed):

* ``tipo`` — a cell of any sheet replaced by a value of the wrong type or an extreme one;
* ``testo`` — hostile text (HTML, Markdown images and links, ``javascript:``, control characters,
  32.767 characters) in a text cell, in Ente/Titolo, in the file name;
* ``anno`` — «Anno inserimento» = 99999999999, 2147483648, 1e300…;
* ``peso`` — weights 1e308, ``5%%``, negative, «10 punti su 0»…;
* ``elenco`` — link lists with empty items (``4A;;``);
* ``cella-estrema`` — one value in XFD1048576, in row 1.048.576 or in a far cell, with the declared
  extent updated, removed or left lying;
* ``zip`` — broken archives: truncated, bytes flipped, an unknown zip version, a part missing, random
  bytes, the old .xls signature;
* ``xml`` — damaged cells inside a readable archive (a number that is not one, a shared string out of
  range, broken XML);
* ``struttura`` — sheets and headers removed, renamed, duplicated; rows repeated.

:func:`check_file` imports one file with the project's own code (the CLI entry point, in this
process) and asserts: no traceback, exit code 0 or 1, the database unchanged table by table after a
refusal, an Italian message naming sheet (and row and column) where the fault has a location, under
30 s and 500 MB, and — when a file is accepted — every reported figure finite and within 0–100.

``python -m tests.fuzz --files 3000 --seed 12`` (``make fuzz``) prints the figures.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import random
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAX_SECONDS = 30.0
RESET_EVERY = 20          # accepted files before the database goes back to the demo plans
MAX_RSS_MB = 500.0

HOSTILE = [
    "![x](http://127.0.0.1:9/leak.png)", "[clic](javascript:alert(1))", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "**grassetto** _corsivo_ `codice`", "# Titolo", "- elenco", "$x^2$",
    ":red[rosso]", "=1+1", "@SUM(A1)", "\u202eRTL", "a\u0000b", "tab\tnew\nline", "😀 emoji", "<a href='//x'>x</a>",
    "' OR 1=1 --", "'); DROP TABLE plans; --", "%s%s%n", "{0}{1}", "\\", "…" * 3,
]
ODD_VALUES: list[Any] = [
    None, "", " ", True, False, 0, -1, 1e308, -1e308, 1e-308, 2**31, 2**63 - 1, -2**63, 99999999999, 1e300,
    0.1 + 0.2, "5%%", "5 %%", "%5", "1,2,3", "1.2.3,4", "31/02/2025", "00/00/0000", "31/12/9999", "1/1/1",
    dt.date(1900, 1, 1), dt.datetime(2100, 12, 31, 23, 59), "Entro marzo 3023", "abc", "NaN", "inf", "-inf",
    "1e308", "10 punti su 0", "200%", "-5%", "sì", "forse", "4A;;", ";;", ",", "x" * 40_000, "x" * 2_100,
] + HOSTILE


@dataclass
class Case:
    family: str
    name: str
    data: bytes
    sheet: str | None = None      # where the mutation is (cell families)
    row: int | None = None
    column: str | None = None


@dataclass
class Outcome:
    case: Case
    rc: int
    status: str
    seconds: float
    rss_mb: float
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    after: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- bases
def _bases() -> dict[str, dict[str, list[list]]]:
    """The four demo workbooks, the blank template and the small test plan, as rows."""
    import python_calamine

    from loaders.template import template_bytes
    from tests.workbooks import BASE

    out: dict[str, dict[str, list[list]]] = {"piccolo": {k: [list(r) for r in v] for k, v in BASE.items()}}
    sources = {p.stem: p.read_bytes() for p in sorted((ROOT / "data" / "demo").glob("*.xlsx"))}
    sources["modello"] = template_bytes()
    for stem, data in sources.items():
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        out[stem] = {n: [list(r) for r in wb.get_sheet_by_name(n).to_python(skip_empty_area=False)]
                     for n in wb.sheet_names}
        wb.close()
    return out


def _write(sheets: dict[str, list[list]], cells: dict[tuple[str, str], Any] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(_title(name))
        for r in rows:
            ws.append([_cellable(v) for v in r])
    for (sheet, ref), value in (cells or {}).items():
        wb[_title(sheet)][ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_TITLE = re.compile(r"[\x00-\x1f\\/*?:\[\]]")


def _title(name: str) -> str:
    """A sheet name Excel accepts (the generator's own constraint, not the importer's)."""
    return _BAD_TITLE.sub("_", str(name))[:31] or "Foglio"


def _cellable(v: Any) -> Any:
    if isinstance(v, str):
        return _ILLEGAL.sub("\ufffd", v)[:32_767]
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return float(v)
    return v


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _rezip(data: bytes, change) -> bytes:
    """Rewrite an archive, passing each (name, bytes) through ``change`` (None drops the part)."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            body = change(info.filename, zin.read(info.filename))
            if body is not None:
                zo.writestr(info.filename, body)
    return out.getvalue()


def _sheet_part(data: bytes, sheet: str) -> str:
    from loaders.workbook import sheet_parts

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return next(p for p, n in sheet_parts(zf).items() if n == sheet)


# ----------------------------------------------------------------------------- families
def _pick_cell(rng: random.Random, sheets: dict[str, list[list]], header_row: bool = False):
    name = rng.choice([n for n, rows in sheets.items() if len(rows) > 1] or list(sheets))
    rows = sheets[name]
    if not rows:
        rows.append([None])
    r = 0 if header_row else rng.randrange(1, len(rows)) if len(rows) > 1 else 0
    width = max(1, len(rows[r]), len(rows[0]))
    c = rng.randrange(width)
    while len(rows[r]) <= c:
        rows[r].append(None)
    header = rows[0][c] if rows and c < len(rows[0]) else None
    return name, r, c, header


def gen_tipo(rng, sheets):
    name, r, c, header = _pick_cell(rng, sheets)
    sheets[name][r][c] = rng.choice(ODD_VALUES)
    return sheets, dict(sheet=name, row=r + 1, column=str(header) if header else None)


def gen_testo(rng, sheets):
    where = rng.random()
    text = rng.choice(HOSTILE) + " " + rng.choice(HOSTILE)
    if where < 0.3 and "Piano" in sheets:
        rows = sheets["Piano"]
        for row in rows:
            if row and str(row[0]).strip().lower() in ("ente", "titolo"):
                if rng.random() < 0.5:
                    while len(row) < 2:
                        row.append(None)
                    row[1] = f"{row[1]} {text}"
        return sheets, dict(sheet="Piano")
    name, r, c, header = _pick_cell(rng, sheets)
    sheets[name][r][c] = f"{sheets[name][r][c] or ''} {text}".strip()
    return sheets, dict(sheet=name, row=r + 1, column=str(header) if header else None)


def _set_column(rng, sheets, sheet: str, header_re: str, values: list[Any]):
    rows = sheets.get(sheet)
    if not rows:
        return sheets, {}
    hdr = [str(h or "") for h in rows[0]]
    idx = next((i for i, h in enumerate(hdr) if re.search(header_re, h, re.I)), None)
    if idx is None:
        idx = len(hdr)
        rows[0].append("Anno inserimento" if "anno" in header_re else "Peso" if "peso" in header_re.lower()
                       else "Obiettivi strategici")
    r = rng.randrange(1, len(rows)) if len(rows) > 1 else 1
    while len(rows) <= r:
        rows.append([None] * len(rows[0]))
    while len(rows[r]) <= idx:
        rows[r].append(None)
    rows[r][idx] = rng.choice(values)
    return sheets, dict(sheet=sheet, row=r + 1, column=str(rows[0][idx]))


def gen_anno(rng, sheets):
    return _set_column(rng, sheets, "Obiettivi", r"^anno",
                       [99999999999, 2147483648, 1e300, -1, 0, 1899, 2101, "2020,5", "duemila", "1e300", 2**63 - 1])


def gen_peso(rng, sheets):
    sheet = rng.choice(["Obiettivi", "Step"])
    return _set_column(rng, sheets, sheet, r"peso|incidenza",
                       [1e308, -1e308, "5%%", "5%%%", "%%", "-5%", "10 punti su 0", "100 punti su 10", 1e12, 1e13,
                        "1e308", "5,5,5%", float("1e-320")])


def gen_elenco(rng, sheets):
    return _set_column(rng, sheets, "Obiettivi", r"strategic|collegat",
                       ["4A;;", "1A,,2A", ";;", ",", "1A, ,2A", "1A;", " ; 1A"])


def gen_struttura(rng, sheets):
    kind = rng.randrange(5)
    names = list(sheets)
    if kind == 0 and names:
        sheets.pop(rng.choice(names))
    elif kind == 1 and names:
        n = rng.choice(names)
        sheets[n + " (2)" if len(n) < 25 else "Copia"] = [list(r) for r in sheets[n]]
    elif kind == 2 and names:
        n = rng.choice(names)
        if sheets[n]:
            sheets[n][0] = [rng.choice(HOSTILE + [None, "", "Codice", "Peso"]) for _ in sheets[n][0]]
    elif kind == 3 and names:
        n = rng.choice(names)
        rows = sheets[n]
        if len(rows) > 1:
            rows.extend([list(rows[rng.randrange(1, len(rows))]) for _ in range(rng.randrange(1, 50))])
    else:
        n = rng.choice(names) if names else "Piano"
        sheets[rng.choice(HOSTILE)[:31].replace("/", "").replace("[", "").replace("]", "").replace(":", "")
               .replace("*", "").replace("?", "").replace("\\", "") or "X"] = sheets.pop(n, [[None]])
    return sheets, {}


def gen_cella_estrema(rng, sheets):
    name = rng.choice(list(sheets))
    ref = rng.choice(["XFD1048576", "A1048576", "XFD1", "ZZ200001", "AAA2", "B200001", "CV5000"])
    data = _write(sheets, {(name, ref): "x"})
    mode = rng.choice(["vero", "vero", "senza", "falso"])
    if mode != "vero":
        part = _sheet_part(data, _title(name))

        def change(fn, body):
            if fn != part:
                return body
            repl = b"" if mode == "senza" else b'<dimension ref="A1:C3"/>'
            return re.sub(rb"<dimension ref=\"[^\"]*\"/>", repl, body)
        data = _rezip(data, change)
    return data, dict(sheet=name, family_detail=f"{ref} ({mode})")


def gen_zip(rng, data: bytes):
    kind = rng.randrange(7)
    if kind == 0:
        return data[: rng.randrange(0, len(data))]
    if kind == 1:
        b = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == 2:  # an unknown zip version in the central directory ("zip file version 17.6")
        b = bytearray(data)
        i = b.find(b"PK\x01\x02")
        while i >= 0:
            b[i + 6] = rng.choice([176, 63, 99])
            i = b.find(b"PK\x01\x02", i + 4)
        return bytes(b)
    if kind == 3:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            victim = rng.choice(zf.namelist())
        return _rezip(data, lambda fn, body: None if fn == victim else body)
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 4096)))
    if kind == 5:
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data[8:]
    return b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(200))


def gen_xml(rng, data: bytes, sheets: dict[str, list[list]]):
    """Damaged cells inside a readable archive."""
    name = rng.choice([n for n in sheets if sheets[n]] or list(sheets))
    part = _sheet_part(data, _title(name))
    kind = rng.randrange(5)

    def change(fn, body):
        if fn != part:
            return body
        if kind == 0:   # a number that is not one
            return re.sub(rb"(<c r=\"[A-Z]+\d+\"(?: s=\"\d+\")?><v>)[^<]*(</v>)", rb"\1abc\2", body, count=1)
        if kind == 1:   # a shared string out of range
            return re.sub(rb"(<c r=\"[A-Z]+\d+\"[^>]*t=\"s\"[^>]*><v>)\d+(</v>)", rb"\g<1>999999\2", body, count=1)
        if kind == 2:   # broken XML
            cut = rng.randrange(len(body) // 2, len(body))
            return body[:cut]
        if kind == 3:   # an impossible cell reference
            return re.sub(rb"<c r=\"[A-Z]+\d+\"", b'<c r="A0"', body, count=1)
        return body.replace(b"<sheetData>", b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"e\"><v>#REF!</v></c></row>", 1)
    return _rezip(data, change), dict(sheet=name)


FAMILIES = ("tipo", "testo", "anno", "peso", "elenco", "struttura", "cella-estrema", "zip", "xml")


def generate(seed: int, n: int):
    """``n`` cases, deterministic for ``seed``, one at a time; every family is represented."""
    import copy

    rng = random.Random(seed)
    bases = _bases()
    rendered: dict[str, bytes] = {}
    for i in range(n):
        family = FAMILIES[i % len(FAMILIES)]
        base = rng.choice(sorted(bases))
        sheets = copy.deepcopy(bases[base])
        fname = f"{i:05d}-{family}-{base}.xlsx"
        if family == "testo" and rng.random() < 0.3:
            fname = f"{i:05d}-{rng.choice(HOSTILE)}.xlsx".replace("/", "∕").replace("\x00", "")
        loc: dict = {}
        if family in ("zip", "xml"):
            data = rendered.get(base) or rendered.setdefault(base, _write(bases[base]))
            if family == "zip":
                data = gen_zip(rng, data)
            else:
                data, loc = gen_xml(rng, data, bases[base])
        elif family == "cella-estrema":
            data, loc = gen_cella_estrema(rng, sheets)
            loc.pop("family_detail", None)
        else:
            sheets, loc = {"tipo": gen_tipo, "testo": gen_testo, "anno": gen_anno, "peso": gen_peso,
                           "elenco": gen_elenco, "struttura": gen_struttura}[family](rng, sheets)
            data = _write(sheets)
        yield Case(family, fname, data, loc.get("sheet"), loc.get("row"), loc.get("column"))


# ----------------------------------------------------------------------------- checks
def snapshot(db) -> dict[str, tuple]:
    """Every table of the schema: row count and an order-independent hash of its rows."""
    tables = [r[0] for r in db.rows("SELECT table_name FROM information_schema.tables ORDER BY 1")]
    return {t: tuple(db.rows(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x")[0]) for t in tables}


_ENGLISH = re.compile(r"\b(error|invalid|failed|exception|traceback|the|cannot|unexpected|not found)\b", re.I)


def _figures_ok(db, plan_id: int) -> list[str]:
    from metrics import plan_metrics

    bad = []
    pm = plan_metrics(db, plan_id)
    values = [("piano", pm.achievement)]
    values += [(f"obiettivo {c}", a) for c, a in zip(pm.objectives["code"], pm.objectives["achievement"])]
    if "weight_pct" in pm.objectives:
        values += [(f"peso {c}", w) for c, w in zip(pm.objectives["code"], pm.objectives["weight_pct"])]
    for label, v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue                       # not evaluable is allowed (shown as such)
        if not math.isfinite(float(v)) or not -1e-9 <= float(v) <= 100 + 1e-9:
            bad.append(f"{label}: {v}")
    return bad


def check_file(db, case: Case, tmp: Path, before: dict | None = None) -> Outcome:
    """Import one case through the CLI entry point (in this process) and check everything.
    ``before``: the database's snapshot if already known (the previous case's ``after``)."""
    from loaders import isolate
    from loaders.__main__ import main as loaders_main
    from store.incident import run_cli

    path = tmp / re.sub(r"[\x00/]", "_", case.name)[:200]
    path.write_bytes(case.data)
    before = before if before is not None else snapshot(db)
    out, err = io.StringIO(), io.StringIO()
    isolate.last_stats = isolate.ChildStats()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = run_cli(loaders_main, ["import", str(path), "--db", db.path, "--user", "fuzz"])
    seconds = time.perf_counter() - t0
    text = out.getvalue() + err.getvalue()
    stats = isolate.last_stats
    status = "importato" if "come versione" in text else "invariato" if "nessuna modifica" in text else "rifiutato"
    o = Outcome(case, rc, status, seconds, stats.max_rss_mb)
    o.errors = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("- Errore")]
    f = o.failures
    if "Traceback" in text or 'File "' in text:
        f.append("traceback nell'output")
    if rc not in (0, 1):
        f.append(f"codice di uscita {rc}")
    if "codice incidente" in text:
        f.append("incidente: " + text[:300])
    if seconds > MAX_SECONDS:
        f.append(f"{seconds:.1f} s")
    if stats.max_rss_mb > MAX_RSS_MB:
        f.append(f"{stats.max_rss_mb:.0f} MB")
    after = snapshot(db)
    o.after = after
    if rc == 1:
        if after != before:
            changed = [t for t in before if before[t] != after.get(t)]
            f.append(f"database modificato dopo un rifiuto: {changed}")
        if not o.errors and "occupato" not in text:
            f.append("rifiuto senza un errore elencato: " + text[:300])
        for e in o.errors:
            if _ENGLISH.search(e.split("[valore:")[0]):
                f.append(f"messaggio non in italiano: {e[:200]}")
        located = [e for e in o.errors if "foglio «" in e]
        if case.family in ("tipo", "anno", "peso", "xml", "cella-estrema") and case.sheet and not located \
                and not any(w in text for w in ("danneggiato", "troppo grande", "non è una cartella", "manca",
                                                 "mancante")):
            f.append("errore senza foglio: " + " | ".join(o.errors)[:300])
        for e in located:
            if "riga" in e and "foglio «" not in e:
                f.append(f"riga senza foglio: {e[:200]}")
    elif rc == 0 and status == "importato":
        plan_id = db.scalar("SELECT plan_id FROM imports ORDER BY import_id DESC LIMIT 1")
        f.extend(f"cifra fuori da 0–100: {b}" for b in _figures_ok(db, plan_id))
    return o


@dataclass
class Summary:
    files: int = 0
    refused: int = 0
    accepted: int = 0
    unchanged: int = 0
    max_seconds: float = 0.0
    max_rss_mb: float = 0.0
    incidents: int = 0
    failures: list[str] = field(default_factory=list)
    by_family: dict[str, list[int]] = field(default_factory=dict)   # family → [files, refused, accepted]
    seconds: float = 0.0

    def add(self, o: Outcome) -> None:
        self.files += 1
        self.refused += o.rc == 1
        self.accepted += o.status == "importato"
        self.unchanged += o.status == "invariato"
        self.max_seconds = max(self.max_seconds, o.seconds)
        self.max_rss_mb = max(self.max_rss_mb, o.rss_mb)
        self.incidents += any(x.startswith("incidente") for x in o.failures)
        fam = self.by_family.setdefault(o.case.family, [0, 0, 0])
        fam[0] += 1
        fam[1] += o.rc == 1
        fam[2] += o.status == "importato"
        self.failures += [f"{o.case.name}: {x}" for x in o.failures]


def run(seed: int, n: int, work: Path, progress=None) -> Summary:
    """Generate ``n`` cases and check each against a database holding the demo plans."""
    from loaders import import_file
    from store import get_db

    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CRUSCOTTO_INCIDENT_LOG", str(work / "incidenti.log"))
    dbfile = work / "fuzz.duckdb"
    for p in (dbfile, Path(f"{dbfile}.wal")):
        if p.exists():
            p.unlink()
    db = get_db(dbfile)
    for f in sorted((ROOT / "data" / "demo").glob("*.xlsx")):
        assert import_file(db, f, user="fuzz").ok
    db.close()
    pristine = work / "fuzz-iniziale.duckdb"
    shutil.copyfile(dbfile, pristine)
    db = get_db(dbfile)
    cases = generate(seed, n)
    s = Summary()
    t0 = time.perf_counter()
    files = work / "files"
    files.mkdir(exist_ok=True)
    last = None
    for i, case in enumerate(cases):
        o = check_file(db, case, files, last)
        last = o.after
        s.add(o)
        if s.accepted and s.accepted % RESET_EVERY == 0 and o.status == "importato":
            db.close()                       # back to the demo plans: the checks stay as fast at file 3000
            shutil.copyfile(pristine, dbfile)
            db, last = get_db(dbfile), None
        if progress and (i + 1) % 100 == 0:
            progress(f"{i + 1}/{n} file, {s.refused} rifiutati, {s.accepted} importati, {s.unchanged} invariati, "
                     f"max {s.max_seconds:.2f} s, max {s.max_rss_mb:.0f} MB, incidenti {s.incidents}, "
                     f"{len(s.failures)} difetti, {time.perf_counter() - t0:.0f} s")
            for f in s.failures[-3:]:
                progress(f"  DIFETTO {f[:300]}")
    s.seconds = time.perf_counter() - t0
    log = Path(os.environ["CRUSCOTTO_INCIDENT_LOG"])
    if log.exists() and log.read_text(encoding="utf-8").strip():
        s.incidents = max(s.incidents, log.read_text(encoding="utf-8").count("INC-"))
    db.close()
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description="Fuzz dell'importatore (issue 12)")
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--work", default=str(ROOT / "tests" / "artifacts" / "fuzz"))
    ap.add_argument("--json", default=None, help="scrive le cifre anche in questo file JSON")
    args = ap.parse_args(argv)
    s = run(args.seed, args.files, Path(args.work), progress=lambda m: print(m, flush=True))
    figures = {"files": s.files, "rifiutati": s.refused, "importati": s.accepted, "invariati": s.unchanged,
               "tempo_max_s": round(s.max_seconds, 2), "rss_max_mb": round(s.max_rss_mb),
               "incidenti": s.incidents, "difetti": len(s.failures), "durata_s": round(s.seconds, 1),
               "famiglie": s.by_family, "seed": args.seed}
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    for f in s.failures[:50]:
        print("DIFETTO:", f)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if not s.failures and not s.incidents else 1


if __name__ == "__main__":
    sys.exit(main())
