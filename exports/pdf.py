"""Word (or PowerPoint, OpenDocument) → PDF/A-2, tagged (accessible), with LibreOffice.

One function for every document the product publishes as PDF (the Relazione sulla performance, the
documento di validazione, the publication package): :func:`to_pdf_a`. Each call runs its own
``soffice --headless`` in a temporary folder with its **own user profile**
(``-env:UserInstallation=file:///tmp/…``): two conversions at once would otherwise share
``~/.config/libreoffice`` and the second would fail or wait for the first. A conversion that does not
finish within :data:`TIMEOUT_S` is stopped. When LibreOffice is not installed the error says, in
Italian, what to install (``make run`` installs it).

The export filter options are LibreOffice's ``writer_pdf_Export`` JSON form: ``SelectPdfVersion`` 2 =
PDF/A-2b, ``UseTaggedPDF`` = structure tags (headings, tables, reading order) for screen readers.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Longest wait for one conversion (a 20-page Relazione takes 3–6 s on the test machine).
TIMEOUT_S = 180.0
OFFICE = ("soffice", "libreoffice")
FILTERS = {".docx": "writer_pdf_Export", ".odt": "writer_pdf_Export",
           ".pptx": "impress_pdf_Export", ".odp": "impress_pdf_Export"}
PDF_A2 = {"SelectPdfVersion": {"type": "long", "value": "2"},
          "UseTaggedPDF": {"type": "boolean", "value": "true"}}


class PdfError(RuntimeError):
    """The PDF could not be produced; the message is Italian and says what to do."""


def office_path() -> str | None:
    """LibreOffice's ``soffice`` (``$CRUSCOTTO_SOFFICE`` overrides it), or None when not installed."""
    path = os.environ.get("CRUSCOTTO_SOFFICE") or next(filter(None, map(shutil.which, OFFICE)), None)
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def require_office() -> str:
    """The path of ``soffice``, or :class:`PdfError` in Italian: call it before building a document that is
    only wanted as PDF (no charts drawn for nothing)."""
    office = office_path()
    if office is None:
        raise PdfError("LibreOffice non è installato su questo computer: il PDF non può essere prodotto. "
                       "Installarlo con «make run» (pacchetto Debian libreoffice-writer) oppure scaricare il "
                       "documento in Word.")
    return office


def to_pdf_a(data: bytes, suffix: str = ".docx", timeout: float = TIMEOUT_S) -> bytes:
    """The document ``data`` (a ``suffix`` file: .docx, .odt, .pptx, .odp) as a tagged PDF/A-2 file.

    Raises :class:`PdfError` (Italian message) when LibreOffice is missing, fails or takes longer than
    ``timeout`` seconds."""
    if suffix not in FILTERS:
        raise PdfError(f"formato «{suffix}» non convertibile in PDF: usare {', '.join(FILTERS)}.")
    return convert(data, suffix, f'pdf:{FILTERS[suffix]}:{json.dumps(PDF_A2, separators=(",", ":"))}', "pdf",
                   timeout)


def convert(data: bytes, suffix: str, target: str, ext: str, timeout: float = TIMEOUT_S) -> bytes:
    """The document ``data`` (a ``suffix`` file) converted by LibreOffice with ``--convert-to target``
    (e.g. ``odt``, ``csv``, or a PDF filter), read back as the ``ext`` file. Own profile and folder per call;
    a fresh profile's first start sometimes exits before converting, so a missing output is tried once more.
    Raises :class:`PdfError` (Italian message)."""
    office = require_office()
    with tempfile.TemporaryDirectory(prefix="cruscotto-office-") as tmp:
        work = Path(tmp)
        src = work / f"documento{suffix}"
        src.write_bytes(data)
        profile = (work / "profilo").as_uri()
        cmd = [office, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nologo",
               "--convert-to", target, "--outdir", str(work / "out"), str(src)]
        env = {**os.environ, "HOME": tmp}       # nothing written to the real home either
        out = work / "out" / f"documento.{ext}"
        for _ in range(2):
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp)
            except subprocess.TimeoutExpired:
                raise PdfError(f"LibreOffice non ha finito la conversione entro {int(timeout)} secondi: "
                               "riprovare più tardi oppure scaricare il documento in Word.") from None
            except OSError as exc:
                raise PdfError(f"LibreOffice non si avvia ({exc.strerror or exc}): scaricare il documento in "
                               "Word.") from None
            if out.is_file() and out.stat().st_size:
                return out.read_bytes()
        why = (run.stderr or run.stdout or "").strip().splitlines()
        raise PdfError(f"LibreOffice non è riuscito a produrre il file {ext.upper()}"
                       + (f" («{why[-1][:200]}»)" if why else "") + ": scaricare il documento in Word.")


__all__ = ["PdfError", "TIMEOUT_S", "convert", "office_path", "require_office", "to_pdf_a"]
