"""Validated rows → DuckDB, in one transaction, as a new version of the plan.

* every problem is collected first; any error refuses the whole file and the
  database is left exactly as it was;
* a plan is identified by its ente (:mod:`store.enti`: Codice IPA, normalised name or alias) +
  Titolo: re-importing it adds a version and keeps the earlier ones (restorable with
  :func:`restore_version`);
* a byte-identical file (same SHA-256) is a no-op that says so;
* every attempt leaves exactly one record in the audit trail (:mod:`store.audit`): «import»,
  «importazione rifiutata» (written in its own transaction, after the refusal or the rollback: the
  record survives, the data do not) or «importazione invariata».

Who acts is an explicit argument (``user``): the pages pass the session's identity; a call without
one (the CLI, scripts) acts as the machine's owner, :func:`machine_owner`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from domain.words import plural
from loaders import profile_sheet, variance_sheet
from loaders.parsing import strip_accents
from loaders.problems import Problem, ProblemList
from loaders.validate import TABLE_COLUMNS, ParsedPlan, validate_workbook
from loaders.spec import TEXT_MAX_FILE_NAME
from store import Database, audit, enti, incident
from store.db import DatabaseBusy

IMPORTED, REFUSED, UNCHANGED = "importato", "rifiutato", "invariato"
Progress = Callable[[float, str], None]


@dataclass
class ImportResult:
    status: str
    problems: ProblemList = field(default_factory=ProblemList)
    plan_id: int | None = None
    import_id: int | None = None
    version: int | None = None
    sha256: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != REFUSED


def plan_key(ente: str, titolo: str) -> str:
    norm = lambda s: re.sub(r"\s+", " ", strip_accents(s).lower()).strip()  # noqa: E731
    return f"{norm(ente)}|{norm(titolo)}"


machine_owner = audit.machine_owner
current_user = machine_owner  # the former name, kept for callers not yet updated


def _summary(parsed: ParsedPlan) -> dict[str, int]:
    return {
        "obiettivi": parsed.count("objectives"), "step": parsed.count("steps"),
        "verifiche": parsed.count("verifications"), "indicatori": parsed.count("indicators"),
        "personale": parsed.count("staff"), "avvisi": len(parsed.problems.warnings),
    }


def find_existing(db: Database, sha256: str) -> tuple | None:
    return next(iter(db.rows(
        "SELECT i.import_id, i.plan_id, i.version, p.titolo, p.current_import_id = i.import_id, i.imported_at "
        "FROM imports i JOIN plans p USING (plan_id) WHERE i.sha256 = ? ORDER BY i.import_id DESC LIMIT 1",
        [sha256])), None)


def safe_file_name(name: str) -> str:
    """A file name as stored and shown: valid UTF-8 (a CLI may pass undecodable bytes), no control
    characters, at most :data:`TEXT_MAX_FILE_NAME` characters (the extension kept)."""
    s = str(name or "file").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    s = "".join(c if c.isprintable() else "\ufffd" for c in s).strip() or "file"
    if len(s) > TEXT_MAX_FILE_NAME:
        stem, dot, ext = s.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        s = s[:TEXT_MAX_FILE_NAME - len(ext) - 1] + "…" + ext
    return s


def _refused(db: Database, user: str, file_name: str, sha: str, why: str, outcome: str = audit.REFUSED) -> None:
    """The audit record of a refused import, in its own transaction (nothing else was written): after a
    refusal, or after the rollback of a failed write, so that the record survives and the data do not."""
    audit.record(db, user, "importazione rifiutata", outcome=outcome,
                 detail=f"{file_name} (SHA-256 {sha[:12] or '—'}…): {why}"[:2000])


def import_bytes(db: Database, data: bytes, file_name: str, user: str | None = None,
                 progress: Progress | None = None, keep_file: bool = True,
                 same_as: int | None = None) -> ImportResult:
    """Validate and import a workbook given as bytes, as ``user`` (None: :func:`machine_owner`).

    ``same_as``: the ente the user said the file's ente is («È lo stesso ente di …?» → sì): the plan
    goes there and the file's ente name becomes its alias. None: matched automatically
    (:func:`store.enti.find_ente`) or a new ente.

    Never raises: a database held by another process too long, or any unexpected fault (an incident,
    logged with its traceback), is a refusal in Italian, the database is left as it was and the trail
    gets one «importazione rifiutata» record (outcome «errore», with the incident code)."""
    file_name = safe_file_name(file_name)
    user = user or machine_owner()
    try:
        return _import_bytes(db, data, file_name, user, progress, keep_file, same_as)
    except DatabaseBusy as exc:
        return ImportResult(REFUSED, problems=ProblemList([Problem.file(str(exc))]), message=str(exc))
    except Exception as exc:  # noqa: BLE001 - the last resort of issue 12: an incident code, never a traceback
        code = incident.record(f"importazione di «{file_name}»", exc)
        try:
            _refused(db, user, file_name, hashlib.sha256(data).hexdigest(),
                     f"errore imprevisto, importazione annullata (codice incidente {code})", audit.FAILED)
        except Exception as again:  # noqa: BLE001 - the database itself is failing: the incident log has it
            incident.record(f"registro dell'importazione rifiutata di «{file_name}»", again)
        msg = incident.message(code, f"l'importazione di «{file_name}»")
        return ImportResult(REFUSED, problems=ProblemList([Problem.file(msg)]), message=msg)


def _import_bytes(db: Database, data: bytes, file_name: str, user: str, progress: Progress | None,
                  keep_file: bool, same_as: int | None) -> ImportResult:
    step = progress or (lambda _f, _m: None)
    sha = hashlib.sha256(data).hexdigest()
    step(0.05, "Controllo se il file è già stato importato…")
    existing = find_existing(db, sha)
    if existing:
        import_id, plan_id, version, titolo, is_current, at = existing
        extra = "" if is_current else " (non è la versione corrente: si può ripristinare dallo storico)"
        audit.record(db, user, "importazione invariata", plan_id=plan_id, import_id=import_id,
                     detail=f"{file_name}: già importato come versione {version} (SHA-256 {sha[:12]}…)")
        return ImportResult(UNCHANGED, plan_id=plan_id, import_id=import_id, version=version, sha256=sha,
                            message=f"File già importato come versione {version} di «{titolo}» il "
                                    f"{at:%d/%m/%Y alle %H:%M}{extra}: nessuna modifica.")
    step(0.15, "Lettura e validazione del foglio…")
    parsed = validate_workbook(data, file_name)
    result = ImportResult(REFUSED, problems=parsed.problems, sha256=sha, meta=parsed.meta, counts=_summary(parsed))
    if not parsed.ok:
        n = len(parsed.problems.errors)
        result.message = (f"Importazione rifiutata: {n} {'errore' if n == 1 else 'errori'} "
                          f"nel file «{file_name}». Il database non è stato modificato.")
        _refused(db, user, file_name, sha, f"{n} {'errore' if n == 1 else 'errori'}; il primo: "
                                           f"{parsed.problems.errors[0]}")
        return result
    step(0.6, "Scrittura nel database (una sola transazione)…")
    # a failure here rolls the transaction back and import_bytes records it, after the rollback
    plan_id, import_id, version = write_plan(db, parsed, file_name, sha, user, data if keep_file else None,
                                             same_as=same_as)
    step(1.0, "Importazione completata.")
    c = result.counts
    result.status, result.plan_id, result.import_id, result.version = IMPORTED, plan_id, import_id, version
    ente = parsed.meta.get("ente_nome") or parsed.meta["ente"]
    result.message = (f"Importato «{parsed.meta['titolo']}» ({ente}) come versione {version}: "
                      + ", ".join(plural(c[k], one, many) for k, one, many in (
                          ("obiettivi", "obiettivo", "obiettivi"), ("step", "step", "step"),
                          ("verifiche", "verifica", "verifiche"), ("indicatori", "indicatore", "indicatori"),
                          ("personale", "riga di personale", "righe di personale"), ("avvisi", "avviso", "avvisi")))
                      + ".")
    if parsed.profile is not None:
        result.message += f" Sistema di misurazione del foglio: «{parsed.profile.name}»."
    return result


def import_file(db: Database, path: str | os.PathLike, user: str | None = None,
                progress: Progress | None = None, same_as: int | None = None) -> ImportResult:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        shown = safe_file_name(str(p))
        _refused(db, user or machine_owner(), safe_file_name(p.name), "",
                 f"il file non si può leggere ({exc.strerror})")
        return ImportResult(REFUSED, problems=ProblemList([Problem.file(f"Impossibile leggere «{shown}»: {exc.strerror}.")]),
                            message=f"Importazione rifiutata: il file «{shown}» non si può leggere.")
    return import_bytes(db, data, p.name, user, progress, same_as=same_as)  # the name is made safe there


def write_plan(db: Database, parsed: ParsedPlan, file_name: str, sha: str, user: str,
               file_bytes: bytes | None, same_as: int | None = None) -> tuple[int, int, int]:
    """Write one validated plan as a new version, all or nothing. The ente is resolved inside the same
    transaction (:func:`store.enti.resolve_for_import`); ``parsed.meta`` gains ``ente_id``,
    ``ente_nome`` (the ente's name in the database) and ``ente_match`` (how it was recognised)."""
    meta = parsed.meta
    now = dt.datetime.now().replace(microsecond=0)
    warnings = json.dumps([p.to_dict() for p in parsed.problems.warnings], ensure_ascii=False)
    with db.transaction() as cur:
        similar = [] if same_as is not None else enti.similar_enti(cur, meta["ente"], meta.get("codice_ipa"))
        match, ente_id, ente_nome = enti.resolve_for_import(cur, meta["ente"], meta.get("codice_ipa"), same_as, user)
        plan_id = enti.find_plan(cur, ente_id, meta["titolo"])
        if plan_id is not None:
            cur.execute("UPDATE plans SET ente = ?, titolo = ? WHERE plan_id = ?", [ente_nome, meta["titolo"], plan_id])
        else:
            plan_id = cur.execute("SELECT nextval('seq_plan')").fetchone()[0]
            key = f"{ente_id}|{enti.title_key(meta['titolo'])}"
            cur.execute("INSERT INTO plans (plan_id, ente, titolo, plan_key, current_import_id, created_at, ente_id) "
                        "VALUES (?, ?, ?, ?, NULL, ?, ?)", [plan_id, ente_nome, meta["titolo"], key, now, ente_id])
        version = cur.execute("SELECT coalesce(max(version), 0) + 1 FROM imports WHERE plan_id = ?", [plan_id]).fetchone()[0]
        import_id = cur.execute("SELECT nextval('seq_import')").fetchone()[0]
        cur.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [import_id, plan_id, version, file_name, sha, file_bytes, now, user, meta["anno_inizio"], meta["anno_fine"],
             meta.get("data_monitoraggio"), parsed.count("objectives"), parsed.count("steps"),
             parsed.count("verifications"), parsed.count("indicators"), parsed.count("staff"),
             len(parsed.problems.warnings), warnings])
        for table, cols in TABLE_COLUMNS.items():
            df = parsed.tables.get(table)
            if df is None or df.empty:
                continue
            view = f"_import_{table}"
            cur.register(view, _as_arrow(df))
            try:
                cur.execute(f"INSERT INTO {table} (import_id, {', '.join(cols)}) "
                            f"SELECT {import_id}, {', '.join(cols)} FROM {view}")
            finally:
                cur.unregister(view)
        cur.execute("UPDATE plans SET current_import_id = ? WHERE plan_id = ?", [import_id, plan_id])
        how = "" if match is None or match.nome == meta["ente"] else \
            f"; ente «{meta['ente']}» riconosciuto come «{ente_nome}» ({match.how})"
        new = "; nuovo ente" if match is None else ""
        audit.record(cur, user, "import", plan_id=plan_id, import_id=import_id, ente_id=ente_id,
                     detail=f"{file_name} (versione {version}, SHA-256 {sha[:12]}…){how}{new}")
        # the profile of the sheet belongs to the ente as the database names it (plans.ente)
        profile_sheet.store(cur, parsed.profile, ente_nome, range(meta["anno_inizio"], meta["anno_fine"] + 1), user,
                            plan_id)
        variance_sheet.store(cur, parsed.variances, plan_id, meta, user)   # the optional «Scostamenti» (issue 16)
    meta.update(ente_id=ente_id, ente_nome=ente_nome, ente_match=match.how if match else None,
                ente_simili=similar if match is None else [])
    return plan_id, import_id, version


def _as_arrow(df):
    """The frame as an Arrow table for DuckDB to scan: its object columns (dates, optional numbers) are
    converted once in C++ instead of value by value by DuckDB's pandas scan (~30% of the write phase).
    A column Arrow cannot type (mixed Python types) keeps the pandas scan."""
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return df


def restore_version(db: Database, import_id: int, user: str | None = None) -> str:
    """Make an earlier version the current one (nothing is deleted). Returns an Italian message."""
    row = next(iter(db.rows("SELECT plan_id, version FROM imports WHERE import_id = ?", [import_id])), None)
    if row is None:
        audit.record(db, user or machine_owner(), "ripristino", outcome=audit.REFUSED, import_id=import_id,
                     detail=f"versione {import_id} inesistente")
        raise ValueError(f"Versione {import_id} inesistente.")
    plan_id, version = row
    with db.transaction() as cur:
        cur.execute("UPDATE plans SET current_import_id = ? WHERE plan_id = ?", [import_id, plan_id])
        audit.record(cur, user or machine_owner(), "ripristino", plan_id=plan_id, import_id=import_id,
                     detail=f"ripristinata la versione {version}")
    return f"Ripristinata la versione {version}: è ora la versione corrente del piano."


def import_history(db: Database, plan_id: int | None = None):
    """Every import (version) with who, when, file, hash and counts, newest first."""
    where = "WHERE i.plan_id = ?" if plan_id is not None else ""
    return db.df_cached(
        f"""SELECT i.import_id, i.plan_id, p.ente, p.titolo, i.version, i.file_name, i.sha256, i.imported_at,
                   i.imported_by, i.n_objectives, i.n_steps, i.n_verifications, i.n_warnings,
                   (p.current_import_id = i.import_id) AS is_current
            FROM imports i JOIN plans p USING (plan_id) {where}
            ORDER BY i.plan_id, i.version DESC""",
        [plan_id] if plan_id is not None else [])
