"""Board exports: PowerPoint, Excel, Word «Relazione» (draft) and an offline HTML report.

Pure functions PlanMetrics → bytes (no Streamlit): :func:`export` picks one by format.
The slide/section sequence they share is :func:`exports.deck.build_deck`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from metrics.engine import PlanMetrics
from metrics.previous import Previous


@dataclass(frozen=True)
class Format:
    key: str
    name: str          # Italian name for messages
    module: str
    function: str
    mime: str


FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("pptx", "PowerPoint", "exports.pptx", "to_pptx",
           "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    Format("xlsx", "Excel", "exports.xlsx", "to_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Format("docx", "Relazione Word", "exports.docx", "to_docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    Format("html", "report HTML", "exports.html", "to_html", "text/html"),
)}


#: Formats that show the board deck, whose summary compares with the previous check.
DECK_FORMATS = ("pptx", "html")


def export(pm: PlanMetrics, fmt: str, previous: Previous | None = None) -> bytes:
    """The file of format ``fmt`` (pptx, xlsx, docx, html) as bytes; ``previous`` (the previous check,
    :func:`metrics.previous.previous_check`) goes to the formats that show the deck."""
    f = FORMATS[fmt]
    fn = getattr(import_module(f.module), f.function)
    return fn(pm, previous) if fmt in DECK_FORMATS else fn(pm)


__all__ = ["FORMATS", "Format", "export"]
