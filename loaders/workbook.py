"""Opening an uploaded file safely and reading its sheets as plain rows.

The archive is checked before any XML is parsed (size, uncompressed total,
compression ratio, expected parts), so a zip bomb or a file that is not a
workbook is refused with a clear Italian message. Cells are read with
python-calamine (Rust), about ten times faster than openpyxl; openpyxl (with
defusedxml installed) is used only to write.
"""
from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Iterator

import python_calamine

from loaders.problems import Problem

MAX_FILE_BYTES = 50 * 1024 * 1024          # the upload limit of the app is lower (see .streamlit/config.toml)
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_MEMBER_RATIO = 250                     # uncompressed / compressed, per part
MAX_MEMBERS = 5000


@dataclass
class RawWorkbook:
    sheets: dict[str, list[list]]   # sheet name as written → rows (row 0 = Excel row 1)


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
    except zipfile.BadZipFile:
        return Problem.file(f"Il file «{where}» è danneggiato e non si apre come .xlsx.")
    return None


def read_rows(data: bytes) -> RawWorkbook:
    """Every sheet as a list of rows of Python values (dates as ``date``/``datetime``)."""
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        sheets = {}
        for name in wb.sheet_names:
            sheets[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return RawWorkbook(sheets)
    finally:
        wb.close()


class SheetReadError(Exception):
    """A sheet could not be read (the reader's own exception is ``original``)."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class SheetReader(Mapping):
    """The sheets of a workbook, read in a background thread one after the other, in workbook order:
    ``reader[name]`` waits only for that sheet. python-calamine parses a sheet's XML without holding
    the GIL, so validating the first sheets overlaps with parsing the next ones (same rows as
    :func:`read_rows`). Opening errors are raised by the constructor, a sheet that cannot be read
    raises :class:`SheetReadError` when it is asked for."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._rows: dict[str, list[list]] = {}
        self._names: list[str] = []
        self._opened = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._ready: dict[str, threading.Event] = {}
        self.read_s: float | None = None          # open → last sheet read (the reader's own time)
        threading.Thread(target=self._read, name="lettura-foglio", daemon=True).start()
        self._opened.wait()
        if self._error is not None and not self._names:
            raise self._error

    def _read(self) -> None:
        t0 = time.perf_counter()
        try:   # the workbook is created and used in this thread only
            wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the constructor
            self._error = exc
            self._opened.set()
            self._done.set()
            return
        try:
            self._names = list(wb.sheet_names)
            self._ready = {n: threading.Event() for n in self._names}
            self._opened.set()
            for name in self._names:
                self._rows[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                self._ready[name].set()
        except BaseException as exc:  # noqa: BLE001 - raised where the sheet is asked for
            self._error = exc
        finally:
            wb.close()
            self._data = b""
            self.read_s = time.perf_counter() - t0
            self._opened.set()
            for ev in self._ready.values():
                ev.set()
            self._done.set()

    def __getitem__(self, name: str) -> list[list]:
        if name not in self._ready:
            raise KeyError(name)
        self._ready[name].wait()
        try:
            return self._rows[name]
        except KeyError:
            raise SheetReadError(self._error or RuntimeError(name)) from self._error

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def wait(self) -> None:
        """Until every sheet is read (or the reading failed)."""
        self._done.wait()
