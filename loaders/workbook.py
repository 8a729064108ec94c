"""Opening an uploaded file safely and reading its sheets as plain rows.

The archive is checked before any XML is parsed (size, uncompressed total,
compression ratio, expected parts), so a zip bomb or a file that is not a
workbook is refused with a clear Italian message. Cells are read with
python-calamine (Rust), about ten times faster than openpyxl; openpyxl (with
defusedxml installed) is used only to write.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

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
