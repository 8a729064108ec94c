"""Giri di monitoraggio (issue 18): the monitoring round run over Excel.

* :func:`open_round` — the direttore opens a round on the current version of a plan: a reference date
  (every answer's «Data verifica»), a due date, the responsibles (default: every «Responsabile» of the plan's
  steps, else of their objective; steps without one go to «senza responsabile»). A step naming several
  responsibles goes to each of them.
* :func:`round_workbook` / :func:`round_zip` — one pre-filled workbook per responsible (openpyxl): sheet
  «Verifiche» with the spec's own columns (a filled answer is a valid Verifiche sheet), only the fill-in cells
  unlocked, drop-downs and checks with Italian messages; «Step assegnati» (read-only, last verification);
  «Istruzioni»; a hidden «Giro» sheet binding round, responsible and plan version with an HMAC signature and
  one fingerprint per row.
* :func:`answer_bytes` — an answer goes through the isolated, total reading of :mod:`loaders.isolate`; only the
  responsible's own rows are taken; a step that is not theirs, a row edited outside its fill-in cells, a sheet
  whose structure changed, a forged signature: refused row by row, nothing stored. A second answer that
  disagrees with a stored one on a shared step is stored *in attesa*: the direttore chooses
  (:func:`choose_answer`).
* :func:`round_status` — per responsible: answered or not, when, by whom, how many steps; a reminder text and a
  ``mailto:`` link for those missing.
* :func:`close_preview` / :func:`close_round` — closing writes a new plan version through the same atomic import
  (:func:`loaders.importer.import_bytes`), after the usual before/after diff (:func:`loaders.diff.preview_changes`).
  The Verifiche sheet of the version the round was opened on is rewritten: its verifications at other dates
  stay, the answers at the round's date are added; unanswered steps keep their previous verification, or none.

Roles are checked here (:data:`store.access.ROUNDS` opens, closes, chooses; an answer needs
:data:`store.access.UPLOAD` on the plan's ente) and every action is in the audit trail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
import urllib.parse
import zipfile
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from domain.responsibles import resp_key, step_responsibles
from loaders.importer import ImportResult, import_bytes, safe_file_name
from loaders.parsing import cell_text, parse_date, parse_percent
from loaders.problems import Problem, ProblemList
from loaders.spec import match_sheet
from loaders.workbook import check_archive, read_rows
from store import audit
from store.access import ROUNDS, UPLOAD, NotAuthorized, Principal, require_ente, require_plan

SHEET = "Verifiche"
INFO_SHEET = "Giro"
STEPS_SHEET = "Step assegnati"
HELP_SHEET = "Istruzioni"
HEADERS = ["Step", "Obiettivo", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Nuovo termine",
           "Verifica"]
LOCKED = 3                      # Step, Obiettivo, Data verifica: written by the product
STATUS_CHOICES = ["Raggiunto", "In corso", "Parzialmente realizzato", "Non raggiunto", "Rinviato",
                  "Non realizzabile per cause esterne"]
HEADER_COMMENTS = {
    "Step": "Codice dello step: non modificare.",
    "Obiettivo": "Codice dell'obiettivo: non modificare.",
    "Data verifica": "Data del monitoraggio, impostata dal giro: non modificare.",
    "Stato": "Scegliere dall'elenco oppure scrivere lo stato con parole proprie (es. «In fase di realizzazione»).",
    "Raggiungimento": "Percentuale di realizzazione dello step, da 0% a 100%. Lasciare vuoto se raggiunto (vale 100%).",
    "Data completamento": "Se lo step è concluso: la data di conclusione (gg/mm/aaaa).",
    "Nuovo termine": "Solo se il termine è stato rinviato: la nuova scadenza (gg/mm/aaaa).",
    "Verifica": "Descrivere che cosa è stato fatto e con quali evidenze (atti, delibere, numeri).",
}
OPEN, CLOSED = "aperto", "chiuso"


class RoundError(ValueError):
    """A refusal of a round operation; ``str()`` is the Italian message."""


# ------------------------------------------------------------------------------------------------ reading
def _round(db, round_id) -> dict:
    try:
        rid = int(round_id)
    except (TypeError, ValueError):
        raise RoundError(f"Giro di monitoraggio «{round_id}» inesistente.") from None
    row = next(iter(db.rows(
        "SELECT r.round_id, r.plan_id, r.import_id, r.reference_date, r.due_date, r.secret, r.opened_at, r.opened_by, "
        "r.closed_at, r.closed_by, r.closed_import_id, p.ente, p.titolo, i.version, i.anno_inizio, i.anno_fine "
        "FROM rounds r JOIN plans p USING (plan_id) JOIN imports i ON i.import_id = r.import_id WHERE r.round_id = ?",
        [rid])), None)
    if row is None:
        raise RoundError(f"Giro di monitoraggio n. {rid} inesistente.")
    keys = ["round_id", "plan_id", "import_id", "reference_date", "due_date", "secret", "opened_at", "opened_by",
            "closed_at", "closed_by", "closed_import_id", "ente", "titolo", "version", "anno_inizio", "anno_fine"]
    return dict(zip(keys, row))


def see_round(db, principal: Principal, round_id) -> dict:
    """The round as a dict, if the principal may read its plan (else NotAuthorized); RoundError if unknown."""
    r = _round(db, round_id)
    require_plan(db, principal, r["plan_id"])
    return r


def list_rounds(db, principal: Principal, plan_id: int | None = None) -> pd.DataFrame:
    """The rounds of the plans the principal may read, newest first."""
    from store.access import allowed_plan_ids

    df = db.df("SELECT r.round_id, r.plan_id, p.ente, p.titolo, r.reference_date, r.due_date, r.opened_at, "
               "r.opened_by, r.closed_at, r.closed_by, r.closed_import_id FROM rounds r JOIN plans p USING (plan_id) "
               "ORDER BY r.round_id DESC")
    df = df[df["plan_id"].isin(allowed_plan_ids(db, principal))]
    if plan_id is not None:
        df = df[df["plan_id"] == int(plan_id)]
    return df.reset_index(drop=True)


def assignments(db, round_id: int) -> pd.DataFrame:
    return db.df("SELECT responsible, resp_key, email, objective_code, step_code, row_no FROM round_assignments "
                 "WHERE round_id = ? ORDER BY responsible, row_no", [int(round_id)])


def _fmt(d) -> str:
    return f"{d:%d/%m/%Y}" if d is not None and not pd.isna(d) else "—"


# ------------------------------------------------------------------------------------------------ opening
def plan_responsibles(db, import_id: int) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """resp_key → (name as first written, [(objective, step) in sheet order]) for one plan version."""
    rows = db.rows("SELECT s.objective_code, s.code, s.responsible, o.responsible FROM steps s LEFT JOIN objectives o "
                   "ON o.import_id = s.import_id AND o.code = s.objective_code WHERE s.import_id = ? "
                   "ORDER BY o.ord NULLS LAST, s.ord", [import_id])
    out: dict[str, tuple[str, list]] = {}
    for obj, code, s_resp, o_resp in rows:
        for name in step_responsibles(s_resp, o_resp):
            out.setdefault(resp_key(name), (name, []))[1].append((obj, code))
    return out


def open_round(db, principal: Principal, plan_id: int, reference_date: dt.date, due_date: dt.date,
               responsibles: list[str] | None = None, emails: dict[str, str] | None = None) -> int:
    """Open a round on the current version of ``plan_id``; returns its id. ``responsibles``: a subset of the
    plan's (by name, case and accents ignored); ``emails``: name → address for the reminders."""
    try:
        principal.require(ROUNDS)
        require_plan(db, principal, plan_id)
    except NotAuthorized as exc:
        audit.record(db, principal.name, "accesso negato", outcome=audit.REFUSED, plan_id=_int(plan_id),
                     detail="apertura di un giro di monitoraggio")
        raise exc
    import_id, y0, y1 = db.rows("SELECT p.current_import_id, i.anno_inizio, i.anno_fine FROM plans p JOIN imports i "
                                "ON i.import_id = p.current_import_id WHERE p.plan_id = ?", [int(plan_id)])[0]
    if due_date < reference_date:
        raise RoundError(f"La scadenza delle risposte ({_fmt(due_date)}) non può precedere la data di verifica "
                         f"({_fmt(reference_date)}).")
    if not (y0 <= reference_date.year <= y1 + 1):
        raise RoundError(f"La data di verifica {_fmt(reference_date)} è fuori dagli anni del piano ({y0}–{y1}).")
    if not db.scalar("SELECT file_bytes IS NOT NULL FROM imports WHERE import_id = ?", [import_id]):
        raise RoundError("Il file della versione corrente del piano non è stato conservato: ricaricarlo da "
                         "«Carica foglio» prima di aprire il giro (la chiusura scrive la nuova versione a partire da quel file).")
    found = plan_responsibles(db, import_id)
    if responsibles:
        wanted = {resp_key(r): r for r in responsibles}
        unknown = [r for k, r in wanted.items() if k not in found]
        if unknown:
            raise RoundError("Responsabili non presenti nel piano: " + ", ".join(f"«{u}»" for u in unknown) + ".")
        found = {k: v for k, v in found.items() if k in wanted}
    if not found:
        raise RoundError("Il piano non ha step: non c'è nulla da chiedere.")
    mails = {resp_key(k): v for k, v in (emails or {}).items()}
    now = dt.datetime.now().replace(microsecond=0)
    with db.transaction() as cur:
        round_id = cur.execute("SELECT nextval('seq_round')").fetchone()[0]
        cur.execute("INSERT INTO rounds (round_id, plan_id, import_id, reference_date, due_date, secret, opened_at, "
                    "opened_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [round_id, int(plan_id), import_id, reference_date, due_date, secrets.token_hex(32), now,
                     principal.name])
        for key, (name, steps) in found.items():
            for i, (obj, code) in enumerate(steps):
                cur.execute("INSERT INTO round_assignments (round_id, responsible, resp_key, email, objective_code, "
                            "step_code, row_no) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [round_id, name, key, mails.get(key), obj, code, i + 2])
        audit.record(cur, principal.name, "giro di monitoraggio", plan_id=int(plan_id), import_id=import_id,
                     detail=f"giro n. {round_id} aperto: verifiche al {_fmt(reference_date)}, risposte entro "
                            f"{_fmt(due_date)}, {len(found)} responsabili")
    return round_id


def _int(x):
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------ signature
def _row_print(step: str, obj: str, ref: dt.date) -> str:
    return hashlib.sha256(f"{step}\x1f{obj}\x1f{ref:%d/%m/%Y}".encode()).hexdigest()[:16]


def _signature(secret: str, round_id: int, key: str, import_id: int, ref: dt.date, prints: list[tuple[int, str]]) -> str:
    msg = f"{round_id}|{key}|{import_id}|{ref:%Y-%m-%d}|" + ";".join(f"{r}:{p}" for r, p in prints)
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------ workbooks
def file_name_for(r: dict, responsible: str) -> str:
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in responsible).strip()[:60] or "responsabile"
    return f"Giro {r['round_id']} - {safe} - verifiche al {r['reference_date']:%d-%m-%Y}.xlsx"


def _last_verifications(db, import_id: int, before: dt.date) -> dict[tuple[str, str], tuple]:
    rows = db.rows("SELECT objective_code, step_code, verified_on, status_raw, achievement, note FROM verifications "
                   "WHERE import_id = ? AND (verified_on IS NULL OR verified_on < ?) "
                   "ORDER BY verified_on NULLS FIRST, row_no", [import_id, before])
    return {(r[0], r[1]): r[2:] for r in rows}


def round_workbook(db, principal: Principal, round_id: int, responsible: str) -> tuple[str, bytes]:
    """(file name, bytes) of the pre-filled workbook of one responsible."""
    r = see_round(db, principal, round_id)
    key = resp_key(responsible)
    a = db.rows("SELECT a.responsible, a.objective_code, a.step_code, a.row_no, s.description, s.deadline, "
                "s.revised_deadline, s.deadline_raw, s.continuous, o.title FROM round_assignments a "
                "JOIN steps s ON s.import_id = ? AND s.objective_code = a.objective_code AND s.code = a.step_code "
                "LEFT JOIN objectives o ON o.import_id = s.import_id AND o.code = a.objective_code "
                "WHERE a.round_id = ? AND a.resp_key = ? ORDER BY a.row_no", [r["import_id"], r["round_id"], key])
    if not a:
        raise RoundError(f"«{responsible}» non è tra i responsabili del giro n. {r['round_id']}.")
    name = a[0][0]
    ref = r["reference_date"]
    last = _last_verifications(db, r["import_id"], ref)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _help_sheet(wb, r, name)
    wb.move_sheet(HELP_SHEET, offset=-1)
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="E7E6E6")
    fill = PatternFill("solid", fgColor="FFF2CC")
    ws.append(HEADERS)
    for i, h in enumerate(HEADERS, start=1):
        c = ws.cell(1, i)
        c.font, c.fill = bold, grey
        c.comment = Comment(HEADER_COMMENTS[h], "Cruscotto Performance")
    prints = []
    for _, obj, code, row_no, desc, deadline, revised, raw, continuous, _title in a:
        ws.append([code, obj, ref, None, None, None, None, None])
        lv = last.get((obj, code))
        term = (raw or "continuativo") if continuous else _fmt(revised or deadline)
        seen = f"Ultima verifica: {_fmt(lv[0])}, {lv[1] or '—'}" if lv else "Nessuna verifica precedente"
        ws.cell(row_no, 1).comment = Comment(f"{desc}\nTermine: {term}\n{seen}"[:1500], "Cruscotto Performance",
                                             width=320, height=160)
        ws.cell(row_no, 3).number_format = "DD/MM/YYYY"
        for col in range(1, LOCKED + 1):
            ws.cell(row_no, col).fill = grey
        for col in range(LOCKED + 1, len(HEADERS) + 1):
            c = ws.cell(row_no, col)
            c.protection = Protection(locked=False)
            c.fill = fill
        ws.cell(row_no, 5).number_format = "0%"
        ws.cell(row_no, 6).number_format = ws.cell(row_no, 7).number_format = "DD/MM/YYYY"
        ws.cell(row_no, 8).alignment = Alignment(wrap_text=True, vertical="top")
        prints.append((row_no, _row_print(code, obj, ref)))
    last_row = a[-1][3]
    _validations(ws, last_row, r)
    for col, width in zip("ABCDEFGH", (9, 11, 13, 26, 16, 21, 16, 60)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "D2"
    _landscape(ws)
    ws.protection.sheet = True
    ws.protection.formatColumns = False           # widths may change, nothing else
    _steps_sheet(wb, a, last, ref)
    info = wb.create_sheet(INFO_SHEET)
    sig = _signature(r["secret"], r["round_id"], key, r["import_id"], ref, prints)
    for row in (["Giro", r["round_id"]], ["Responsabile", name], ["Chiave", key], ["Piano", r["plan_id"]],
                ["Versione", r["import_id"]], ["Data verifica", f"{ref:%d/%m/%Y}"], ["Firma", sig],
                ["Riga", "Impronta"], *[[n, p] for n, p in prints]):
        info.append(row)
    info.sheet_state = "hidden"
    info.protection.sheet = True
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    return file_name_for(r, name), buf.getvalue()


def _landscape(ws) -> None:
    """Printed (or rendered) on landscape pages, one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"


def _validations(ws, last_row: int, r: dict) -> None:
    rng = lambda col: f"{col}2:{col}{last_row}"  # noqa: E731
    status = DataValidation(type="list", formula1='"' + ",".join(STATUS_CHOICES) + '"', allow_blank=True,
                            errorStyle="warning", showErrorMessage=True, showInputMessage=True,
                            promptTitle="Stato", prompt="Scegliere dall'elenco o scrivere lo stato.",
                            errorTitle="Stato non in elenco",
                            error="Lo stato non è tra quelli dell'elenco: va bene lo stesso se descrive lo stato dello step.")
    pct = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                         showErrorMessage=True, showInputMessage=True, promptTitle="Raggiungimento",
                         prompt="Da 0% a 100% (scrivere ad esempio 40%).", errorTitle="Percentuale non valida",
                         error="Il raggiungimento va da 0% a 100%: scrivere ad esempio 40%.")
    start, end = dt.date(int(r["anno_inizio"]), 1, 1), dt.date(int(r["anno_fine"]) + 1, 12, 31)
    dates = DataValidation(type="date", operator="between", formula1=f"DATE({start.year},1,1)",
                           formula2=f"DATE({end.year},12,31)", allow_blank=True, showErrorMessage=True,
                           showInputMessage=True, promptTitle="Data", prompt="Una data gg/mm/aaaa.",
                           errorTitle="Data non valida",
                           error=f"Scrivere una data gg/mm/aaaa tra il {_fmt(start)} e il {_fmt(end)}.")
    for dv, cols in ((status, "D"), (pct, "E"), (dates, "FG")):
        ws.add_data_validation(dv)
        for c in cols:
            dv.add(rng(c))


def _help_sheet(wb, r: dict, name: str) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    lines = [
        f"Giro di monitoraggio n. {r['round_id']}",
        f"{r['titolo']} — {r['ente']}",
        f"Responsabile: {name}",
        f"Verifiche al {_fmt(r['reference_date'])}; restituire il file entro il {_fmt(r['due_date'])}.",
        "",
        "Come compilare",
        "1. Nel foglio «Verifiche» compilare, per ciascuno dei propri step, le celle gialle: Stato, Raggiungimento, "
        "Data completamento, Nuovo termine, Verifica.",
        "2. Le celle grigie (Step, Obiettivo, Data verifica) sono protette: non vanno modificate, né vanno aggiunte, "
        "spostate o eliminate righe.",
        "3. Il foglio «Step assegnati» riporta la descrizione, il termine e l'ultima verifica di ciascuno step: "
        "è solo da leggere.",
        "4. Uno step senza risposta resta non verificato a questa data: se non è di propria competenza, lasciarlo vuoto "
        "e scriverlo nella mail di risposta.",
        "5. Salvare il file con lo stesso formato (.xlsx) e caricarlo nella pagina «Giri di monitoraggio» o in «Carica», "
        "oppure inviarlo a chi gestisce il piano.",
        "",
        "Il file contiene un foglio nascosto che lo collega al giro e al responsabile: non rimuoverlo.",
    ]
    for line in lines:
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=14)
    ws["A6"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 110
    for i, row in enumerate(ws.iter_rows(), start=1):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(1, -(-len(str(row[0].value or "")) // 105))
        ws.row_dimensions[i].height = (20 if i == 1 else 15) * lines   # wrapped lines shown whole
    _landscape(ws)
    ws.protection.sheet = True


def _steps_sheet(wb, a: list, last: dict, ref: dt.date) -> None:
    ws = wb.create_sheet(STEPS_SHEET)
    ws.append(["Obiettivo", "Titolo dell'obiettivo", "Step", "Descrizione", "Termine", "Nuovo termine",
               "Ultima verifica", "Stato", "Raggiungimento", "Testo dell'ultima verifica"])
    for c in ws[1]:
        c.font = Font(bold=True)
    for _, obj, code, _row, desc, deadline, revised, raw, continuous, title in a:
        lv = last.get((obj, code))
        term = raw if continuous else (deadline or raw)
        ws.append([obj, title, code, desc, term, revised, lv[0] if lv else "nessuna", lv[1] if lv else None,
                   (lv[2] / 100 if lv and lv[2] is not None else None), lv[3] if lv else None])
        n = ws.max_row
        for col in (5, 6, 7):
            ws.cell(n, col).number_format = "DD/MM/YYYY"
        ws.cell(n, 9).number_format = "0%"
        for col in range(1, 11):
            ws.cell(n, col).alignment = Alignment(wrap_text=col in (2, 4, 10), vertical="top")
        lines = max(1, *(-(-len(str(ws.cell(n, c).value or "")) // w) for c, w in ((2, 38), (4, 48), (10, 58))))
        ws.row_dimensions[n].height = 13 * min(lines, 30)       # wrapped text shown whole (Excel does not resize)
    for col, width in zip("ABCDEFGHIJ", (10, 40, 8, 50, 13, 13, 14, 22, 14, 60)):
        ws.column_dimensions[col].width = width
    _landscape(ws)
    ws.protection.sheet = True


def round_workbooks(db, principal: Principal, round_id: int) -> list[tuple[str, str, bytes]]:
    """(responsible, file name, bytes) of every responsible of the round."""
    names = [r[0] for r in db.rows("SELECT DISTINCT responsible FROM round_assignments WHERE round_id = ? "
                                   "ORDER BY responsible", [int(round_id)])]
    return [(n, *round_workbook(db, principal, round_id, n)) for n in names]


def round_zip(db, principal: Principal, round_id: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        seen: set[str] = set()
        for _name, fname, data in round_workbooks(db, principal, round_id):
            stem, n = fname.removesuffix(".xlsx"), 2
            while fname in seen:              # two names that differ only by characters a file name cannot hold
                fname, n = f"{stem} ({n}).xlsx", n + 1
            seen.add(fname)
            zf.writestr(fname, data)
    audit.record(db, principal.name, "scaricamento", detail=f"giro n. {int(round_id)}: fogli di tutti i responsabili (zip)")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ answers
@dataclass
class ParsedAnswer:
    """An answer as read in the isolated child: the «Giro» sheet and the rows of «Verifiche»."""
    problems: ProblemList = field(default_factory=ProblemList)
    round_id: int | None = None
    key: str = ""
    responsible: str = ""
    import_id: int | None = None
    reference: str = ""
    signature: str = ""
    prints: list[tuple[int, str]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def looks_like_answer(data: bytes) -> bool:
    """Is this workbook an answer to a round (it has the hidden «Giro» sheet)? Cheap: only the workbook's
    list of sheets is read (the hook of the Carica page)."""
    try:
        from loaders.workbook import sheet_parts

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(sheet_parts(zf).values())
        return INFO_SHEET in names and SHEET in names
    except Exception:  # noqa: BLE001 - not a workbook: the ordinary import path says why
        return False


def parse_answer_here(data: bytes, file_name: str = "") -> ParsedAnswer:
    """Read an answer in this process (run by :func:`parse_answer` in the isolated child). Never raises on
    user input."""
    out = ParsedAnswer()
    problem = check_archive(data, file_name)
    if problem is not None:
        out.problems.append(problem)
        return out
    try:
        sheets = read_rows(data).sheets
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine: damaged cells, password…
        out.problems.append(Problem.file(f"Il file «{file_name}» non si legge come cartella di lavoro Excel "
                                         f"({type(exc).__name__}): è protetto da password o danneggiato?"))
        return out
    info, verif = sheets.get(INFO_SHEET), sheets.get(SHEET)
    if info is None or verif is None:
        out.problems.append(Problem.file(
            f"Il file «{file_name}» non è un foglio di un giro di monitoraggio (mancano i fogli «{SHEET}» e «{INFO_SHEET}»): "
            "scaricare di nuovo il foglio del proprio responsabile."))
        return out
    fields = {cell_text(r[0]): r[1] if len(r) > 1 else None for r in info[:7] if r}
    try:
        out.round_id, out.import_id = int(fields.get("Giro")), int(fields.get("Versione"))
        out.responsible, out.key = str(fields.get("Responsabile")), str(fields.get("Chiave"))
        out.reference, out.signature = str(fields.get("Data verifica")), str(fields.get("Firma"))
        out.prints = [(int(r[0]), str(r[1])) for r in info[8:] if r and r[0] not in (None, "")]
    except (TypeError, ValueError):
        out.problems.error("il foglio nascosto «Giro» è stato modificato: scaricare di nuovo il foglio dal cruscotto",
                           INFO_SHEET)
        return out
    header = [cell_text(c) for c in (verif[0] if verif else [])]
    while header and header[-1] is None:
        header.pop()
    if header != HEADERS:
        for i, h in enumerate(HEADERS):
            got = header[i] if i < len(header) else None
            if got != h:
                out.problems.error(f"la struttura del foglio è cambiata: in colonna {chr(65 + i)} era «{h}», ora "
                                   f"«{got or 'vuota'}». Scaricare di nuovo il foglio e ricopiarvi le risposte",
                                   SHEET, 1, h, got)
                break
        else:
            out.problems.error(f"la struttura del foglio è cambiata: colonne aggiunte dopo «{HEADERS[-1]}» "
                               f"({', '.join(str(h) for h in header[len(HEADERS):] if h)})", SHEET, 1)
        return out
    for i, row in enumerate(verif[1:], start=2):
        row = list(row) + [None] * (len(HEADERS) - len(row))
        if all(c in (None, "") for c in row):
            continue
        for j, c in enumerate(row[len(HEADERS):], start=len(HEADERS)):
            if c not in (None, ""):
                out.problems.error("cella scritta fuori dalle celle da compilare", SHEET, i, f"colonna {_col(j)}", c)
        item = {"row": i, "step": cell_text(row[0]), "objective": cell_text(row[1]), "date": row[2],
                "status_raw": cell_text(row[3]), "note": cell_text(row[7])}
        d, err = parse_date(row[2])
        item["verified_on"] = d
        if err:
            item["date_error"] = err
        pct, err = parse_percent(row[4]) if row[4] not in (None, "") else (None, None)
        if err:
            out.problems.error(err, SHEET, i, "Raggiungimento", row[4])
        elif pct is not None and not 0 <= pct <= 100:
            out.problems.error("il raggiungimento va da 0% a 100%", SHEET, i, "Raggiungimento", row[4])
        item["achievement"] = pct
        for col, k, name in ((5, "completed_on", "Data completamento"), (6, "new_deadline", "Nuovo termine")):
            d, err = parse_date(row[col])
            if err:
                out.problems.error(err, SHEET, i, name, row[col])
            item[k] = d
        item["answered"] = any(row[c] not in (None, "") for c in range(LOCKED, len(HEADERS)))
        out.rows.append(item)
    return out


def _col(j: int) -> str:
    from loaders.workbook import col_letters

    return col_letters(j + 1)


def parse_answer(data: bytes, file_name: str = "") -> ParsedAnswer:
    """:func:`parse_answer_here` in the isolated child of :mod:`loaders.isolate` (memory ceiling, time limit)."""
    from loaders.isolate import run_isolated

    res = run_isolated(parse_answer_here, data, file_name)
    if not isinstance(res, ParsedAnswer):        # the isolation's own refusal (a ParsedPlan with the problem)
        return ParsedAnswer(problems=ProblemList(getattr(res, "problems", []) or
                                                 [Problem.file(f"Il file «{file_name}» non si legge.")]))
    return res


@dataclass
class AnswerResult:
    ok: bool
    message: str
    problems: ProblemList = field(default_factory=ProblemList)
    round_id: int | None = None
    responsible: str = ""
    answered: int = 0
    conflicts: list[str] = field(default_factory=list)


def _same(a: tuple, b: tuple) -> bool:
    norm = lambda t: tuple((" ".join(str(x).split()).casefold() if isinstance(x, str) else x) for x in t)  # noqa: E731
    return norm(a) == norm(b)


def answer_bytes(db, principal: Principal, data: bytes, file_name: str) -> AnswerResult:
    """Validate and store one answer, all or nothing. Never raises on user input."""
    file_name = safe_file_name(file_name)
    sha = hashlib.sha256(data).hexdigest()
    parsed = parse_answer(data, file_name)

    def refuse(problems: ProblemList, what: str, round_row: dict | None = None) -> AnswerResult:
        n = len(problems.errors)
        msg = (f"Risposta rifiutata: {n} {'errore' if n == 1 else 'errori'} nel file «{file_name}». "
               "Nessuna risposta è stata registrata.")
        audit.record(db, principal.name, "risposta al giro", outcome=audit.REFUSED,
                     plan_id=round_row["plan_id"] if round_row else None,
                     detail=f"{file_name} (SHA-256 {sha[:12]}…): {what}"[:2000])
        return AnswerResult(False, msg, problems, parsed.round_id, parsed.responsible)

    if not parsed.ok:
        return refuse(parsed.problems, str(parsed.problems.errors[0]))
    try:
        r = _round(db, parsed.round_id)
    except RoundError as exc:
        return refuse(ProblemList([Problem.file(str(exc))]), str(exc))
    try:
        principal.require(UPLOAD)
        require_ente(principal, r["ente"])
    except NotAuthorized as exc:
        audit.record(db, principal.name, "accesso negato", outcome=audit.REFUSED, plan_id=r["plan_id"],
                     detail=f"risposta al giro n. {r['round_id']}")
        return AnswerResult(False, str(exc), ProblemList([Problem.file(str(exc))]), r["round_id"])
    if r["closed_at"] is not None:
        msg = f"Il giro n. {r['round_id']} è stato chiuso il {_fmt(r['closed_at'])}: le risposte non si accettano più."
        return refuse(ProblemList([Problem.file(msg)]), msg, r)
    ref = r["reference_date"]
    sig = _signature(r["secret"], r["round_id"], parsed.key, r["import_id"], ref, parsed.prints)
    if parsed.import_id != r["import_id"] or not hmac.compare_digest(sig, parsed.signature):
        msg = ("il foglio nascosto «Giro» non corrisponde al giro (modificato o copiato da un altro file): "
               "scaricare di nuovo il foglio del proprio responsabile")
        return refuse(ProblemList([Problem("errore", msg, INFO_SHEET)]), msg, r)
    mine = {(o, s): n for _resp, k, _m, o, s, n in db.rows(
        "SELECT responsible, resp_key, email, objective_code, step_code, row_no FROM round_assignments "
        "WHERE round_id = ? AND resp_key = ?", [r["round_id"], parsed.key])}
    if not mine:
        msg = f"«{parsed.responsible}» non è tra i responsabili del giro n. {r['round_id']}"
        return refuse(ProblemList([Problem("errore", msg, INFO_SHEET)]), msg, r)
    by_row = {n: k for k, n in mine.items()}
    plan_steps = {(o, s) for o, s in db.rows("SELECT objective_code, code FROM steps WHERE import_id = ?",
                                             [r["import_id"]])}
    problems = ProblemList()
    seen_rows = set()
    for item in parsed.rows:
        key, row = (item["objective"], item["step"]), item["row"]
        if key not in mine:
            owner = "" if key in plan_steps else " (e non esiste nel piano)"
            problems.error(f"lo step «{item['step']}» dell'obiettivo «{item['objective']}» non è assegnato a "
                           f"«{parsed.responsible}»{owner}: ogni responsabile risponde solo per i propri step",
                           SHEET, row, "Step", item["step"])
            continue
        if by_row.get(row) != key:
            problems.error(f"riga modificata fuori dalle celle da compilare: qui era lo step «{by_row.get(row, ('', '—'))[1]}»"
                           f", ora «{item['step']}» (righe spostate o codici riscritti)", SHEET, row, "Step", item["step"])
            continue
        if item.get("verified_on") != ref:
            problems.error(f"riga modificata fuori dalle celle da compilare: la data di verifica del giro è "
                           f"{_fmt(ref)}", SHEET, row, "Data verifica", item["date"])
        seen_rows.add(row)
    for key, row in sorted(mine.items(), key=lambda kv: kv[1]):
        if row not in seen_rows and not any(p.row == row for p in problems):
            problems.error(f"la struttura del foglio è cambiata: la riga dello step «{key[1]}» (obiettivo «{key[0]}») "
                           "è stata eliminata o svuotata", SHEET, row, "Step")
    if problems.errors:
        return refuse(problems, str(problems.errors[0]), r)
    answered = [i for i in parsed.rows if i["answered"]]
    if not answered:
        msg = ("nessuna risposta compilata: scrivere almeno lo Stato o la Verifica di uno step nelle celle gialle "
               "del foglio «Verifiche»")
        return refuse(ProblemList([Problem("errore", msg, SHEET)]), msg, r)
    now = dt.datetime.now().replace(microsecond=0)
    conflicts: list[str] = []
    with db.transaction() as cur:
        cur.execute("DELETE FROM round_answers WHERE round_id = ? AND resp_key = ?", [r["round_id"], parsed.key])
        for i in answered:
            content = (i["status_raw"], i["achievement"], i["completed_on"], i["new_deadline"], i["note"])
            others = cur.execute(
                "SELECT a.resp_key, a.status_raw, a.achievement, a.completed_on, a.new_deadline, a.note, "
                "(SELECT min(responsible) FROM round_assignments x WHERE x.round_id = a.round_id AND x.resp_key = a.resp_key) "
                "FROM round_answers a WHERE a.round_id = ? AND a.objective_code = ? AND a.step_code = ?",
                [r["round_id"], i["objective"], i["step"]]).fetchall()
            differ = [o for o in others if not _same(tuple(o[1:6]), content)]
            chosen = None if differ else True
            if differ:
                cur.execute("UPDATE round_answers SET chosen = NULL WHERE round_id = ? AND objective_code = ? "
                            "AND step_code = ?", [r["round_id"], i["objective"], i["step"]])
                problems.warning(f"la risposta sullo step «{i['step']}» è diversa da quella di "
                                 + ", ".join(f"«{o[6]}»" for o in differ) + ": sceglie il direttore", SHEET, i["row"], "Stato")
                conflicts.append(f"{i['objective']}/{i['step']}")
            cur.execute("INSERT INTO round_answers (round_id, resp_key, objective_code, step_code, verified_on, "
                        "status_raw, achievement, completed_on, new_deadline, note, answered_at, answered_by, "
                        "file_name, sha256, chosen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [r["round_id"], parsed.key, i["objective"], i["step"], ref, i["status_raw"], i["achievement"],
                         i["completed_on"], i["new_deadline"], i["note"], now, principal.name, file_name, sha, chosen])
        _settle_agreements(cur, r["round_id"])
        audit.record(cur, principal.name, "risposta al giro", plan_id=r["plan_id"], import_id=r["import_id"],
                     detail=f"giro n. {r['round_id']}: risposta di «{parsed.responsible}» ({file_name}, {len(answered)} "
                            f"step su {len(mine)}{', ' + str(len(conflicts)) + ' in conflitto' if conflicts else ''})")
    msg = (f"Risposta di «{parsed.responsible}» registrata: {len(answered)} step su {len(mine)} compilati.")
    if conflicts:
        msg += f" {len(conflicts)} step hanno risposte diverse da quelle di altri responsabili: sceglie il direttore."
    return AnswerResult(True, msg, problems, r["round_id"], parsed.responsible, len(answered), conflicts)


def _settle_agreements(cur, round_id: int) -> None:
    """A step waiting for the direttore whose answers now all agree (a responsible sent a corrected file, or
    the disagreeing answer was replaced) needs no choice any more."""
    rows = cur.execute("SELECT objective_code, step_code, status_raw, achievement, completed_on, new_deadline, note "
                       "FROM round_answers WHERE round_id = ? AND (objective_code, step_code) IN (SELECT objective_code, "
                       "step_code FROM round_answers WHERE round_id = ? AND chosen IS NULL)", [round_id, round_id]).fetchall()
    by_step: dict[tuple, list[tuple]] = {}
    for o, st, *content in rows:
        by_step.setdefault((o, st), []).append(tuple(content))
    for (o, st), contents in by_step.items():
        if all(_same(c, contents[0]) for c in contents):
            cur.execute("UPDATE round_answers SET chosen = TRUE WHERE round_id = ? AND objective_code = ? AND step_code = ?",
                        [round_id, o, st])


def answer_file(db, principal: Principal, path) -> AnswerResult:
    from pathlib import Path

    p = Path(path)
    return answer_bytes(db, principal, p.read_bytes(), p.name)


# ------------------------------------------------------------------------------------------------ conflicts
def conflicts(db, principal: Principal, round_id: int) -> pd.DataFrame:
    """The steps whose answers disagree and wait for the direttore's choice: one row per answer."""
    r = see_round(db, principal, round_id)
    return db.df("SELECT a.objective_code, a.step_code, a.resp_key, "
                 "(SELECT min(responsible) FROM round_assignments x WHERE x.round_id = a.round_id AND x.resp_key = a.resp_key) "
                 "AS responsible, a.status_raw, a.achievement, a.completed_on, a.new_deadline, a.note, a.answered_at, "
                 "a.answered_by FROM round_answers a WHERE a.round_id = ? AND a.chosen IS NULL "
                 "ORDER BY a.objective_code, a.step_code, a.answered_at", [r["round_id"]])


def choose_answer(db, principal: Principal, round_id: int, objective_code: str, step_code: str, responsible: str) -> str:
    """The direttore keeps ``responsible``'s answer on one step (the others on that step are set aside)."""
    principal.require(ROUNDS)
    r = see_round(db, principal, round_id)
    key = resp_key(responsible)
    if not db.scalar("SELECT count(*) FROM round_answers WHERE round_id = ? AND objective_code = ? AND step_code = ? "
                     "AND resp_key = ?", [r["round_id"], objective_code, step_code, key]):
        raise RoundError(f"Nessuna risposta di «{responsible}» sullo step «{step_code}».")
    with db.transaction() as cur:
        cur.execute("UPDATE round_answers SET chosen = (resp_key = ?) WHERE round_id = ? AND objective_code = ? "
                    "AND step_code = ?", [key, r["round_id"], objective_code, step_code])
        audit.record(cur, principal.name, "giro di monitoraggio", plan_id=r["plan_id"],
                     detail=f"giro n. {r['round_id']}: sullo step «{step_code}» vale la risposta di «{responsible}»")
    return f"Sullo step «{step_code}» vale la risposta di «{responsible}»."


# ------------------------------------------------------------------------------------------------ status
def round_status(db, principal: Principal, round_id: int) -> pd.DataFrame:
    """One row per responsible: steps, answered, when, by whom, esito, reminder text, mailto link."""
    r = see_round(db, principal, round_id)
    df = db.df("""
        SELECT a.responsible, a.resp_key, any_value(a.email) AS email, count(*) AS steps,
               count(DISTINCT CASE WHEN x.step_code IS NOT NULL THEN a.objective_code || '/' || a.step_code END) AS answered,
               max(x.answered_at) AS answered_at, any_value(x.answered_by) AS answered_by, any_value(x.file_name) AS file_name
          FROM round_assignments a
          LEFT JOIN round_answers x ON x.round_id = a.round_id AND x.resp_key = a.resp_key
               AND x.objective_code = a.objective_code AND x.step_code = a.step_code
         WHERE a.round_id = ? GROUP BY a.responsible, a.resp_key ORDER BY a.responsible""", [r["round_id"]])
    got = {k for (k,) in db.rows("SELECT DISTINCT resp_key FROM round_answers WHERE round_id = ?", [r["round_id"]])}
    received = {k: (at, by, fn) for k, at, by, fn in db.rows(
        "SELECT resp_key, max(answered_at), any_value(answered_by), any_value(file_name) FROM round_answers "
        "WHERE round_id = ? GROUP BY resp_key", [r["round_id"]])}
    esito, reminder, mailto = [], [], []
    for rec in df.itertuples():
        if rec.resp_key in got:
            esito.append("risposto" if rec.answered == rec.steps else "risposto in parte")
        else:
            esito.append("in attesa")
        text = reminder_text(r, rec.responsible, int(rec.steps))
        reminder.append(text if rec.resp_key not in got else "")
        subject = f"Monitoraggio al {_fmt(r['reference_date'])}: foglio da restituire entro il {_fmt(r['due_date'])}"
        mailto.append("" if rec.resp_key in got else
                      f"mailto:{urllib.parse.quote(rec.email or '')}?subject={urllib.parse.quote(subject, safe='')}"
                      f"&body={urllib.parse.quote(text, safe='')}")
    df["esito"], df["promemoria"], df["mailto"] = esito, reminder, mailto
    df["answered_at"] = [received.get(k, (None,))[0] for k in df["resp_key"]]
    return df


def reminder_text(r: dict, responsible: str, n_steps: int) -> str:
    return (f"Gentile {responsible},\n"
            f"per il monitoraggio al {_fmt(r['reference_date'])} del «{r['titolo']}» attendiamo il foglio delle "
            f"verifiche {'del suo step' if n_steps == 1 else f'dei suoi {n_steps} step'} entro il {_fmt(r['due_date'])}. Lo trova in allegato (o nella pagina "
            "«Giri di monitoraggio» del cruscotto): basta compilare le celle gialle e restituirlo.\n"
            "Grazie per la collaborazione.")


def status_dict(db, principal: Principal, round_id: int) -> dict:
    """The round and its status table as JSON-ready values (the CLI's ``--format json``)."""
    r = see_round(db, principal, round_id)
    st = round_status(db, principal, round_id)
    return {
        "giro": r["round_id"], "piano": r["plan_id"], "ente": r["ente"], "titolo": r["titolo"],
        "data_verifica": _fmt(r["reference_date"]), "scadenza": _fmt(r["due_date"]),
        "stato": CLOSED if r["closed_at"] is not None else OPEN,
        "versione_di_chiusura": r["closed_import_id"],
        "responsabili": [{"responsabile": x.responsible, "email": x.email, "step": int(x.steps),
                          "step_risposti": int(x.answered), "esito": x.esito,
                          "risposto_il": None if pd.isna(x.answered_at) else f"{x.answered_at:%d/%m/%Y %H:%M}",
                          "da": None if pd.isna(x.answered_by) else x.answered_by, "mailto": x.mailto or None}
                         for x in st.itertuples()],
        "step_senza_risposta": [f"{o}/{s}" for o, s in missing_steps(db, r)],
        "conflitti": int(db.scalar("SELECT count(DISTINCT objective_code || '/' || step_code) FROM round_answers "
                                   "WHERE round_id = ? AND chosen IS NULL", [r["round_id"]])),
    }


def missing_steps(db, r: dict) -> list[tuple[str, str]]:
    """The steps of the round no responsible answered, in sheet order."""
    return db.rows("SELECT s.objective_code, s.code FROM steps s WHERE s.import_id = ? AND EXISTS (SELECT 1 FROM "
                   "round_assignments a WHERE a.round_id = ? AND a.objective_code = s.objective_code AND a.step_code = s.code) "
                   "AND NOT EXISTS (SELECT 1 FROM round_answers x WHERE x.round_id = ? AND x.objective_code = s.objective_code "
                   "AND x.step_code = s.code) ORDER BY s.ord", [r["import_id"], r["round_id"], r["round_id"]])


# ------------------------------------------------------------------------------------------------ closing
def _pct_text(x) -> str | None:
    if x is None or pd.isna(x):
        return None
    s = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") + "%"


def closing_workbook(db, principal: Principal, round_id: int) -> tuple[str, bytes, list[tuple[str, str]]]:
    """(file name, bytes of the plan with the answers, steps left unanswered). Refused while answers disagree,
    once closed, or when the plan has a newer version than the one the round was opened on."""
    principal.require(ROUNDS)
    r = see_round(db, principal, round_id)
    if r["closed_at"] is not None:
        raise RoundError(f"Il giro n. {r['round_id']} è già chiuso (il {_fmt(r['closed_at'])}, da {r['closed_by']}).")
    current = db.scalar("SELECT current_import_id FROM plans WHERE plan_id = ?", [r["plan_id"]])
    if current != r["import_id"]:
        raise RoundError(f"Il piano è cambiato dopo l'apertura del giro n. {r['round_id']} (è stata caricata o "
                         "ripristinata un'altra versione): le risposte si riferiscono alla versione "
                         f"{r['version']}. Ripristinarla o aprire un nuovo giro.")
    pending = db.rows("SELECT DISTINCT step_code FROM round_answers WHERE round_id = ? AND chosen IS NULL ORDER BY 1",
                      [r["round_id"]])
    if pending:
        raise RoundError("Prima di chiudere, scegliere quale risposta vale sugli step con risposte diverse: "
                         + ", ".join(f"«{p[0]}»" for p in pending) + ".")
    original = db.scalar("SELECT file_bytes FROM imports WHERE import_id = ?", [r["import_id"]])
    if original is None:
        raise RoundError("Il file della versione su cui è aperto il giro non è stato conservato: non si può "
                         "scrivere la nuova versione.")
    ref = r["reference_date"]
    answers = db.rows("SELECT objective_code, step_code, any_value(status_raw), any_value(achievement), "
                      "any_value(completed_on), any_value(new_deadline), any_value(note) FROM round_answers "
                      "WHERE round_id = ? AND chosen GROUP BY objective_code, step_code", [r["round_id"]])
    answered = {(a[0], a[1]) for a in answers}
    old = db.rows("SELECT objective_code, step_code, verified_on, status_raw, achievement, completed_on, new_deadline, "
                  "note, not_attributable FROM verifications WHERE import_id = ? ORDER BY row_no", [r["import_id"]])
    keep = [v for v in old if not (v[2] == ref and (v[0], v[1]) in answered)]
    order = {(o, s): i for i, (o, s) in enumerate(db.rows(
        "SELECT objective_code, code FROM steps WHERE import_id = ? ORDER BY ord", [r["import_id"]]))}
    rows = [(o, s, d, st, ach, c, n, note, na) for o, s, d, st, ach, c, n, note, na in keep]
    rows += [(o, s, ref, st, ach, c, n, note, False) for o, s, st, ach, c, n, note in answers]
    rows.sort(key=lambda v: (order.get((v[0], v[1]), 10**9), v[2] or dt.date.min))
    wb = load_workbook(io.BytesIO(bytes(original)), data_only=True)   # formulas: their values, as the import read them
    index = None
    for ws in list(wb.worksheets):
        spec = match_sheet(ws.title)
        if spec is not None and spec.key == "verifications":
            index = wb.worksheets.index(ws) if index is None else index
            wb.remove(ws)
    ws = wb.create_sheet(SHEET, index)
    ws.append(HEADERS + ["Causa non imputabile"])
    for o, s, d, st, ach, c, n, note, na in rows:
        ws.append([s, o, d, st, _pct_text(ach), c, n, note, "sì" if na else None])
        for col in (3, 6, 7):
            ws.cell(ws.max_row, col).number_format = "DD/MM/YYYY"
    buf = io.BytesIO()
    wb.save(buf)
    name = f"Giro {r['round_id']} - {r['titolo'][:80]} - verifiche al {ref:%d-%m-%Y}.xlsx"
    return name, buf.getvalue(), missing_steps(db, r)


def close_preview(db, principal: Principal, round_id: int) -> dict:
    """What closing would change: the before/after diff of :func:`loaders.diff.preview_changes` (the page
    shows it to confirm), the steps left without an answer, and the problems of the new version."""
    from loaders.diff import preview_changes
    from loaders.validate import validate_workbook

    name, data, missing = closing_workbook(db, principal, round_id)
    parsed = validate_workbook(data, name)
    changes = preview_changes(db, parsed) if parsed.ok else {}
    return {"file_name": name, "changes": changes, "missing": missing, "problems": parsed.problems, "ok": parsed.ok}


def close_round(db, principal: Principal, round_id: int) -> tuple[ImportResult, list[tuple[str, str]]]:
    """Close the round: the new version through :func:`loaders.importer.import_bytes` (one transaction, the
    usual audit record), then the round marked closed (audited). Returns the import's result and the steps
    left without an answer (they keep their previous verification, or none)."""
    name, data, missing = closing_workbook(db, principal, round_id)
    r = _round(db, round_id)
    result = import_bytes(db, data, name, user=principal.name)
    if not result.ok:
        audit.record(db, principal.name, "giro di monitoraggio", outcome=audit.REFUSED, plan_id=r["plan_id"],
                     detail=f"giro n. {r['round_id']}: chiusura non riuscita ({result.message})"[:2000])
        return result, missing
    with db.transaction() as cur:
        cur.execute("UPDATE rounds SET closed_at = ?, closed_by = ?, closed_import_id = ?, missing_json = ? "
                    "WHERE round_id = ?", [dt.datetime.now().replace(microsecond=0), principal.name, result.import_id,
                                           json.dumps([f"{o}/{s}" for o, s in missing]), r["round_id"]])
        audit.record(cur, principal.name, "giro di monitoraggio", plan_id=r["plan_id"], import_id=result.import_id,
                     detail=f"giro n. {r['round_id']} chiuso: versione {result.version}; "
                            f"{len(missing)} step senza risposta"
                            + (": " + ", ".join(s for _o, s in missing[:40]) if missing else ""))
    return result, missing


def version_note(db, import_id: int) -> str:
    """For the plan pages: the note on a version written by closing a round with steps left unanswered
    (the figures that include them rest on missing answers); "" otherwise."""
    row = next(iter(db.rows("SELECT round_id, reference_date, missing_json FROM rounds WHERE closed_import_id = ?",
                            [int(import_id)])), None)
    if row is None or not row[2]:
        return ""
    missing = [tuple(x.split("/", 1)) for x in json.loads(row[2])]
    if not missing:
        return ""
    return f"Versione scritta dal giro di monitoraggio n. {row[0]} al {_fmt(row[1])}: " + missing_note(missing)


def missing_note(missing: list[tuple[str, str]]) -> str:
    """The Italian sentence the pages show on the figures resting on missing answers."""
    if not missing:
        return ""
    codes = ", ".join(s for _o, s in missing[:30]) + (" …" if len(missing) > 30 else "")
    return (f"{len(missing)} step senza risposta al giro ({codes}): restano con la verifica precedente o non "
            "verificati, e le cifre che li comprendono poggiano su risposte mancanti.")


__all__ = ["open_round", "round_workbook", "round_workbooks", "round_zip", "answer_bytes", "answer_file",
           "round_status", "status_dict", "conflicts", "choose_answer", "close_preview", "close_round",
           "list_rounds", "looks_like_answer", "RoundError", "see_round", "version_note", "missing_note",
           "missing_steps", "plan_responsibles", "file_name_for", "assignments"]
