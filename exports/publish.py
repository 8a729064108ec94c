"""The «Amministrazione trasparente» package (issue 17): one zip per ente and year, open formats only.

d.lgs. 33/2013 art. 7 (open formats), art. 10 c. 8 and art. 20 (Performance: Piano, Relazione, ammontare
complessivo dei premi, dati relativi ai premi). CSV are UTF-8, comma-separated, RFC 4180 quoting, one table
a file with one header row and the units in the header (AgID open-data guidelines); ODS are written by pandas'
``odf`` engine (odfpy); documents (Relazione PDF/A + ODT, documento di validazione) are inputs: the caller
produces them (:func:`libreoffice_convert` for the draft Relazione until the Relazione branch's
``exports/pdf.py`` lands). ``INDICE.csv`` lists every file with its sub-section, description and date.

No personal data: the tables are aggregates and :func:`build_package` refuses a package in which any of
the given names (the Personale sheet's) appears, in any file (:func:`find_names`).
"""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import pandas as pd

from metrics.engine import PlanMetrics
from metrics.premi import ART20_DESCRIPTIONS, BonusResult, art20_tables, criteria_table, table_csv

SEP = ","
CSV_FORMAT = "CSV UTF-8, separatore virgola, virgolette RFC 4180, una riga di intestazione"
ODS_FORMAT = "ODS (OpenDocument), un foglio, una riga di intestazione"

SUB_PIANO = "Performance > Piano della Performance"
SUB_RELAZIONE = "Performance > Relazione sulla Performance"
SUB_AMMONTARE = "Performance > Ammontare complessivo dei premi"
SUB_DATI = "Performance > Dati relativi ai premi"
SUB_VALIDAZIONE = ("Controlli e rilievi sull'amministrazione > Organismi indipendenti di valutazione > "
                   "Documento dell'OIV di validazione della Relazione sulla Performance")

class PersonalDataFound(ValueError):
    """A name of the Personale sheet found in the package; the message is Italian."""


@dataclass(frozen=True)
class Document:
    """A document given to the package (bytes already produced)."""
    file: str
    data: bytes
    subsection: str
    description: str


def objectives_table(pm: PlanMetrics) -> pd.DataFrame:
    """Gli obiettivi del Piano e i loro risultati (one row per objective), units in the headers."""
    o = pm.objectives
    num = lambda s: pd.to_numeric(s, errors="coerce").round(1)  # noqa: E731
    return pd.DataFrame({
        "Codice": o["code"].astype(str), "Obiettivo": o["title"], "Tipo": o.get("type"),
        "Peso (%)": num(o["weight_pct"]), "Raggiungimento (%)": num(o["achievement"]),
        "Punteggio (punti su 100)": num(o["score"]), "Stato": o["status"],
        "Situazione al (AAAA-MM-GG)": pm.ctx.as_of.isoformat(),
    })


def ods_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    """One table as ODS (pandas' ``odf`` engine: odfpy), one sheet, one header row."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as w:
        df.to_excel(w, sheet_name=sheet[:31], index=False)
    return buf.getvalue()


def _slug(text: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else "_" for c in s.lower()).strip("_")


def package_files(pm: PlanMetrics, bonus: BonusResult, documents: list[Document] = (),
                  today: dt.date | None = None) -> tuple[dict[str, bytes], pd.DataFrame]:
    """Every file of the package (name → bytes) and the index (without INDICE.csv itself)."""
    today = today or dt.date.today()
    year = bonus.year or pm.ctx.year
    files: dict[str, bytes] = {}
    index: list[list[str]] = []

    def add(name: str, data: bytes, sub: str, desc: str, fmt: str) -> None:
        files[name] = data
        index.append([name, sub, desc, fmt, today.isoformat()])

    for d in documents:
        fmt = {"pdf": "PDF/A-2, accessibile (tagged)", "odt": "ODT (OpenDocument)"}.get(d.file.rsplit(".", 1)[-1],
                                                                                       d.file.rsplit(".", 1)[-1].upper())
        add(d.file, d.data, d.subsection, d.description, fmt)
    provisional = f" — {bonus.status}"    # PROVVISORIO, or «definitivo — dati validati il GG/MM/AAAA»
    tables = [(f"piano_{year}_obiettivi_risultati", objectives_table(pm), SUB_PIANO,
               f"Obiettivi del Piano {year} e risultati al {pm.ctx.as_of.strftime('%d/%m/%Y')}")]
    art20 = art20_tables(bonus)
    for key, df in art20.items():
        sub = SUB_AMMONTARE if key == "ammontare_premi" else SUB_DATI
        tables.append((f"premi_{year}_{key}", df, sub, ART20_DESCRIPTIONS[key] + provisional))
    tables.append((f"premi_{year}_criteri", criteria_table(bonus), SUB_DATI,
                   "Criteri di distribuzione dei premi (art. 20, c. 2)" + provisional))
    for stem, df, sub, desc in tables:
        add(f"{stem}.csv", table_csv(df, SEP), sub, desc, CSV_FORMAT)
        add(f"{stem}.ods", ods_bytes(df, stem.split("_", 2)[-1]), sub, desc, ODS_FORMAT)
    idx = pd.DataFrame(index, columns=["File", "Sottosezione di Amministrazione trasparente", "Descrizione",
                                       "Formato", "Data di pubblicazione (AAAA-MM-GG)"])
    return files, idx


def build_package(pm: PlanMetrics, bonus: BonusResult, documents: list[Document] = (),
                  names: list[str] = (), today: dt.date | None = None) -> bytes:
    """The zip: INDICE.csv first, then every file. Refused (:class:`PersonalDataFound`) when a name of
    ``names`` (the Personale sheet's) appears in any file."""
    if not bonus.redacted:
        from metrics.premi import redact

        bonus = redact(bonus)
    files, idx = package_files(pm, bonus, documents, today)
    files = {"INDICE.csv": table_csv(idx, SEP), **files}
    found = find_names(files, names)
    if found:
        raise PersonalDataFound("Il pacchetto non può contenere dati personali: trovati "
                                + "; ".join(f"«{n}» in {f}" for f, n in found[:5]) + ".")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(today or dt.date.today()).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def file_text(name: str, data: bytes) -> str:
    """A file's text for the personal-data scan: CSV as is; ODS/ODT their XML; PDF via ``pdftotext``."""
    ext = name.rsplit(".", 1)[-1].lower()
    if ext in ("ods", "odt"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if ext == "pdf":
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "f.pdf"
            src.write_bytes(data)
            out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(src), "-"], capture_output=True, timeout=120)
            return out.stdout.decode("utf-8", "replace")
    return data.decode("utf-8", "replace")


def find_names(files: dict[str, bytes], names: list[str]) -> list[tuple[str, str]]:
    """(file, name) for every name found in a file (case-insensitive)."""
    wanted = [n for n in dict.fromkeys(str(n).strip() for n in names) if len(n) >= 3]
    out = []
    for f, data in files.items():
        text = file_text(f, data).casefold()
        out += [(f, n) for n in wanted if n.casefold() in text]
    return out


def libreoffice_convert(data: bytes, suffix: str, target: str, timeout: int = 180) -> bytes:
    """Convert a document with LibreOffice (:mod:`exports.pdf`, a private profile per call). ``target``:
    ``"pdfa"`` (PDF/A-2, tagged) or ``"odt"``."""
    from exports.pdf import convert, to_pdf_a

    return to_pdf_a(data, suffix, timeout) if target == "pdfa" else convert(data, suffix, target, target, timeout)


def relazione_documents(pm: PlanMetrics, validation: bytes | None = None,
                        validation_name: str = "documento_validazione.pdf", db: Any = None) -> list[Document]:
    """The Relazione sulla performance (:mod:`exports.relazione`, without names) as PDF/A-2 + ODT, and the
    documento di validazione: the one given, else the product's own once the year is validated."""
    from exports.relazione import RelazioneInput, relazione_input, to_relazione_docx, to_validation_docx
    from metrics.access import redacted

    year = pm.ctx.year
    public = pm if pm.counts.get("riservato") else redacted(pm)     # published: never names
    inp = relazione_input(db, public) if db is not None else RelazioneInput(public)
    docx = to_relazione_docx(inp)
    docs = [Document(f"relazione_performance_{year}.pdf", libreoffice_convert(docx, ".docx", "pdfa"), SUB_RELAZIONE,
                     f"Relazione sulla performance {year} (PDF/A accessibile)"),
            Document(f"relazione_performance_{year}.odt", libreoffice_convert(docx, ".docx", "odt"), SUB_RELAZIONE,
                     f"Relazione sulla performance {year} (formato aperto modificabile)")]
    if validation is None and inp.validated:
        validation = libreoffice_convert(to_validation_docx(inp), ".docx", "pdfa")
    if validation:
        docs.append(Document(validation_name, validation, SUB_VALIDAZIONE,
                             f"Documento di validazione della Relazione sulla performance {year}"))
    return docs


def package_name(pm: PlanMetrics, year: int) -> str:
    return f"amministrazione_trasparente_{_slug(pm.ctx.ente)[:40]}_{year}.zip"


__all__ = ["Document", "PersonalDataFound", "build_package", "find_names", "libreoffice_convert",
           "objectives_table", "package_files", "package_name", "relazione_documents"]
