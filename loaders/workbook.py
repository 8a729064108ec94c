"""Opening an uploaded file safely and reading its sheets as plain rows.

The archive is checked before any XML is parsed (size, uncompressed total,
compression ratio, expected parts), so a zip bomb or a file that is not a
workbook is refused with a clear Italian message. Cells are read with
python-calamine (Rust), about ten times faster than openpyxl; openpyxl (with
defusedxml installed) is used only to write.
"""
from __future__ import annotations

import html
import io
import re
import threading
import time
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Iterator

import python_calamine

from loaders.problems import Problem

MAX_FILE_BYTES = 50 * 1024 * 1024          # = server.maxUploadSize in .streamlit/config.toml (a test keeps them equal)
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_MEMBER_RATIO = 250                     # uncompressed / compressed, per part
MAX_MEMBERS = 5000
# Issue 12: the extent a sheet may declare. The reading library allocates the whole rectangle up to the
# last cell: one value in XFD1048576 asks for 549.755.813.888 bytes. The biggest real plans have a few
# thousand rows; the bench's synthetic plan 40.001 rows × 11 columns.
MAX_SHEET_ROWS = 200_000
MAX_SHEET_COLS = 1_000
MAX_SHEET_CELLS = 5_000_000
MAX_MEMBER_BYTES = 250 * 1024 * 1024       # one part, uncompressed


@dataclass
class RawWorkbook:
    sheets: dict[str, list[list]]   # sheet name as written → rows (row 0 = Excel row 1)


def hidden_names(wb) -> frozenset[str]:
    """The sheets of an open calamine workbook that are hidden (or «very hidden») in Excel. Spec
    revision 3: a visible sheet always wins over a hidden one matching the same name."""
    try:
        return frozenset(m.name for m in wb.sheets_metadata
                         if m.visible != python_calamine.SheetVisibleEnum.Visible)
    except Exception:  # noqa: BLE001 - a workbook without metadata: every sheet counts as visible
        return frozenset()


def check_archive(data: bytes, file_name: str = "") -> Problem | None:
    """Refuse what is not an .xlsx, or looks like a zip bomb, before parsing anything."""
    where = file_name or "file"
    if len(data) == 0:
        return Problem.file(f"Il file «{where}» è vuoto.")
    if len(data) > MAX_FILE_BYTES:
        return Problem.file(f"Il file «{where}» pesa {len(data) / 1e6:.1f} MB: il limite è {MAX_FILE_BYTES // 1_000_000} MB.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return Problem.file(f"Il file «{where}» è nel vecchio formato Excel .xls: aprirlo in Excel e salvarlo come .xlsx.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return Problem.file(f"Il file «{where}» non è una cartella di lavoro Excel (.xlsx): scaricare il modello e ricopiarvi i dati.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                return Problem.file(f"Il file «{where}» è un archivio zip ma non una cartella di lavoro Excel (.xlsx).")
            if len(infos) > MAX_MEMBERS:
                return Problem.file(f"Il file «{where}» contiene {len(infos)} parti: troppe per un foglio di monitoraggio.")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                return Problem.file(
                    f"Il file «{where}» si espande a {total / 1e6:.0f} MB una volta decompresso "
                    f"(limite {MAX_UNCOMPRESSED_BYTES // 1_000_000} MB): rifiutato per sicurezza.")
            for i in infos:
                if i.compress_size and i.file_size / i.compress_size > MAX_MEMBER_RATIO and i.file_size > 1_000_000:
                    return Problem.file(
                        f"Il file «{where}» ha un rapporto di compressione anomalo ({i.file_size // i.compress_size}:1 "
                        f"nella parte {i.filename}): possibile «zip bomb», rifiutato per sicurezza.")
                if i.file_size > MAX_MEMBER_BYTES:
                    return Problem.file(
                        f"Il file «{where}» ha una parte ({i.filename}) di {i.file_size / 1e6:.0f} MB una volta "
                        f"decompressa (limite {MAX_MEMBER_BYTES // 1_000_000} MB): troppo grande.")
            return check_dimensions(zf, where)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
            zlib.error, ValueError) as exc:  # unknown zip version, encrypted part, truncated stream…
        why = _ARCHIVE_FAULTS.get(type(exc).__name__, "struttura dell'archivio non valida")
        return Problem.file(f"Il file «{where}» è danneggiato e non si apre come .xlsx (archivio non leggibile: {why}).")


_ARCHIVE_FAULTS = {
    "NotImplementedError": "versione o compressione dello zip non supportata",
    "error": "dati compressi danneggiati",               # zlib.error
    "BadZipFile": "archivio zip danneggiato",
    "LargeZipFile": "archivio zip troppo grande",
    "RuntimeError": "parte cifrata o protetta da password",
    "EOFError": "archivio troncato",
}


_SHEET_RE = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"', re.S)
_SHEET_RE2 = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"', re.S)
_REL_RE = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"', re.S)
_REL_RE2 = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"', re.S)
_DIM_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Za-z]{1,4})\$?(\d{1,9})(?::\$?([A-Za-z]{1,4})\$?(\d{1,9}))?"')
_SHEETDATA_RE = re.compile(rb"<(?:\w+:)?sheetData\b")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Archive part → sheet name as written (from xl/workbook.xml and its relationships)."""
    names = {i.filename for i in zf.infolist()}
    wb = zf.read("xl/workbook.xml")[:5_000_000]
    rels = zf.read("xl/_rels/workbook.xml.rels")[:5_000_000] if "xl/_rels/workbook.xml.rels" in names else b""
    by_id = {i: t for i, t in _REL_RE.findall(rels)} | {i: t for t, i in _REL_RE2.findall(rels)}
    sheets = _SHEET_RE.findall(wb) or [(n, i) for i, n in _SHEET_RE2.findall(wb)]
    out = {}
    for name, rid in sheets:
        target = by_id.get(rid, b"").decode("utf-8", "replace")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[part] = html.unescape(name.decode("utf-8", "replace"))
    return out


def extent_problem(sheet: str, last_row: int, last_col: int, extent: str, declared: bool) -> Problem | None:
    """The Italian refusal of a sheet whose extent (declared in its XML, or the real one of its cells) is
    absurd; None when it is within :data:`MAX_SHEET_ROWS` × :data:`MAX_SHEET_COLS` and :data:`MAX_SHEET_CELLS`."""
    if last_row <= MAX_SHEET_ROWS and last_col <= MAX_SHEET_COLS and last_row * last_col <= MAX_SHEET_CELLS:
        return None
    what = f"dichiara l'estensione {extent}" if declared else f"ha celle scritte nell'area {extent}"
    return Problem("errore",
                   f"file troppo grande o danneggiato: il foglio «{sheet}» {what} "
                   f"({last_row:,} righe × {last_col:,} colonne; massimo {MAX_SHEET_ROWS:,} righe e "
                   f"{MAX_SHEET_COLS:,} colonne). Cancellare le righe e le colonne in fondo al foglio "
                   "(anche se sembrano vuote) e salvare di nuovo.".replace(",", "."), sheet)


def col_letters(n: int) -> str:
    """1 → A, 16384 → XFD."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def check_dimensions(zf: zipfile.ZipFile, where: str) -> Problem | None:
    """Refuse a sheet whose declared extent (``<dimension ref="A1:XFD1048576"/>``) is absurd, naming the
    sheet and the extent, before the reading library allocates it. Only the head of each sheet is
    decompressed (the element precedes the cells)."""
    for part, sheet in sheet_parts(zf).items():
        try:
            with zf.open(part) as fh:
                head = fh.read(65_536)
        except KeyError:
            continue
        cut = _SHEETDATA_RE.search(head)
        m = _DIM_RE.search(head[:cut.start()] if cut else head)
        if not m:
            continue
        c1, r1, c2, r2 = m.groups()
        last_col, last_row = (_col_number(c2.decode()), int(r2)) if c2 else (_col_number(c1.decode()), int(r1))
        extent = (f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}" if c2 else f"{c1.decode()}{r1.decode()}")
        problem = extent_problem(sheet, last_row, last_col, extent, declared=True)
        if problem is not None:
            return problem
    return None


class SheetReadError(Exception):
    """A sheet of a readable archive that the reading library refuses (damaged cells, bad XML), or whose
    real extent is absurd (``problem``: the refusal to show, see :func:`real_rows`)."""

    def __init__(self, sheet: str, detail: str, problem: Problem | None = None) -> None:
        super().__init__(f"{sheet}: {detail}")
        self.sheet, self.detail, self.problem = sheet, detail, problem


def real_rows(wb, name: str) -> list[list]:
    """The rows of sheet ``name``. The declared extent can lie or be missing (issue 12: one value at
    A1048576 under ``<dimension ref="A1:C3"/>``): the real extent of the cells is checked on the
    reading library's range, before a Python object is made for each of its cells."""
    try:
        sheet = wb.get_sheet_by_name(name)
        end = sheet.end                      # (row, column) of the last cell, 0-based; None: empty sheet
        height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
    except MemoryError:
        raise                        # the memory ceiling of loaders.isolate: «file troppo grande»
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise SheetReadError(name, type(exc).__name__) from exc
    problem = extent_problem(name, height, width, f"A1:{col_letters(width)}{height}", declared=False)
    if problem is not None:
        raise SheetReadError(name, "estensione", problem)
    try:
        return sheet.to_python(skip_empty_area=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SheetReadError(name, type(exc).__name__) from exc


def read_rows(data: bytes) -> RawWorkbook:
    """Every sheet as a list of rows of Python values (dates as ``date``/``datetime``)."""
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        sheets = {}
        for name in wb.sheet_names:
            sheets[name] = real_rows(wb, name)
        return RawWorkbook(sheets)
    finally:
        wb.close()


class SheetReader(Mapping):
    """The sheets of a workbook, read in a background thread one after the other, in workbook order:
    ``reader[name]`` waits only for that sheet. python-calamine parses a sheet's XML without holding
    the GIL, so validating the first sheets overlaps with parsing the next ones (same rows as
    :func:`read_rows`). Opening errors are raised by the constructor; a sheet that cannot be read
    raises :class:`SheetReadError` (as :func:`read_rows` does) when it, or a later one, is asked for;
    :meth:`first_error` gives the first in workbook order. (A second thread parsing the biggest sheet
    at the same time was measured on the bench workbook: no gain, the validation is the longer part.)"""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._rows: dict[str, list[list]] = {}
        self._names: list[str] = []
        self.hidden: frozenset[str] = frozenset()  # sheets hidden in Excel (see :func:`hidden_names`)
        self._opened = threading.Event()
        self._errors: dict[str, BaseException] = {}   # sheet → why it (and the sheets after it) is missing
        self._open_error: BaseException | None = None
        self._ready: dict[str, threading.Event] = {}
        self.read_s: float | None = None          # open → last sheet read (the reader's own time)
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._read, name="lettura-foglio", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error

    def _read(self) -> None:
        try:   # the workbook is created and used in this thread only
            wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the constructor
            self._open_error = exc
            self._opened.set()
            return
        todo: list[str] = []
        try:
            self._names = list(wb.sheet_names)
            self.hidden = hidden_names(wb)
            self._ready = {n: threading.Event() for n in self._names}
            self._opened.set()
            todo = list(self._names)
            while todo:
                self._rows[todo[0]] = real_rows(wb, todo[0])
                self._ready[todo.pop(0)].set()
        except BaseException as exc:  # noqa: BLE001 - raised where the sheet, or a later one, is asked for
            if not self._opened.is_set():
                self._open_error = exc
            for n in todo:
                self._errors[n] = exc
        finally:
            wb.close()
            self._data = b""                      # the file's bytes are not needed any more
            self.read_s = time.perf_counter() - self._t0
            self._opened.set()
            for ev in self._ready.values():
                ev.set()

    def __getitem__(self, name: str) -> list[list]:
        if name not in self._ready:
            raise KeyError(name)
        self._ready[name].wait()
        try:
            return self._rows[name]
        except KeyError:
            err = self._errors.get(name)
            if isinstance(err, MemoryError):
                raise err                     # the memory ceiling of loaders.isolate: «file troppo grande»
            raise (err if isinstance(err, SheetReadError) else SheetReadError(name, type(err).__name__)) from err

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def wait(self) -> None:
        """Until every sheet is read (or its reading failed)."""
        self._thread.join()

    def first_error(self) -> SheetReadError | None:
        """After :meth:`wait`: the error of the first unreadable sheet in workbook order (what
        :func:`read_rows` raises), or None."""
        for name in self._names:
            if name not in self._rows:
                err = self._errors.get(name)
                if isinstance(err, MemoryError):
                    raise err
                return err if isinstance(err, SheetReadError) else SheetReadError(name, type(err).__name__)
        return None
