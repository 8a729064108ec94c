"""Board exports: PowerPoint, Excel, the Relazione sulla performance (Word, and tagged PDF/A-2) and an
offline HTML report.

Pure functions PlanMetrics → bytes (no Streamlit): :func:`export` picks one by format. The Relazione
(:mod:`exports.relazione`, «BOZZA» until validated) also reads the ente's texts and the Registro's
timeline when :func:`export` is given the database.
The slide/section sequence they share is :func:`exports.deck.build_deck`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from metrics.engine import PlanMetrics
from metrics.previous import Previous


@dataclass(frozen=True)
class Format:
    key: str
    name: str          # Italian name for messages
    module: str
    function: str
    mime: str
    with_db: bool = False   # the builder also reads the database (the Relazione: texts and timeline)


FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("pptx", "PowerPoint", "exports.pptx", "to_pptx",
           "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    Format("xlsx", "Excel", "exports.xlsx", "to_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Format("docx", "Relazione Word", "exports.relazione", "to_docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document", True),
    Format("pdf", "Relazione PDF", "exports.relazione", "to_pdf", "application/pdf", True),
    Format("html", "report HTML", "exports.html", "to_html", "text/html"),
)}


#: Formats that show the board deck, whose summary compares with the previous check.
DECK_FORMATS = ("pptx", "html")


def export(pm: PlanMetrics, fmt: str, db: Any = None, previous: Previous | None = None) -> bytes:
    """The file of format ``fmt`` (pptx, xlsx, docx, pdf, html) as bytes. ``db``: the database, for the
    Relazione's texts, timeline and year-end workflow (without it the Relazione shows where they are to be
    written); ``previous`` (the previous check, :func:`metrics.previous.previous_check`) goes to the formats
    that show the deck."""
    f = FORMATS[fmt]
    build = getattr(import_module(f.module), f.function)
    if fmt in DECK_FORMATS:
        return build(pm, previous)
    return build(pm, db) if f.with_db and db is not None else build(pm)


__all__ = ["FORMATS", "Format", "export"]
