"""Status vocabulary of a step (spec, «Stato»): the normalised values and their Italian labels.

This is the domain's language, not a parsing detail: the importer writes these values, the metrics
count them, the exports print them. (``loaders.parsing`` still re-exports the names for old imports.)
"""
from __future__ import annotations

STATUS_NEUTRALIZED = "neutralizzato"
STATUS_POSTPONED = "rinviato"
STATUS_PARTIAL = "parziale"
STATUS_NOT_ACHIEVED = "non raggiunto"
STATUS_IN_PROGRESS = "in corso"
STATUS_ACHIEVED = "raggiunto"
STATUS_UNKNOWN = "sconosciuto"
STATUS_UNVERIFIED = "non verificato"

#: Every normalised status with its Italian description (for legends and help texts).
STATUS_LABELS: dict[str, str] = {
    STATUS_ACHIEVED: "raggiunto",
    STATUS_IN_PROGRESS: "in corso",
    STATUS_PARTIAL: "parzialmente raggiunto",
    STATUS_NOT_ACHIEVED: "non raggiunto",
    STATUS_POSTPONED: "rinviato (dilazione o proroga)",
    STATUS_NEUTRALIZED: "neutralizzato (cause non imputabili)",
    STATUS_UNKNOWN: "stato non riconosciuto",
    STATUS_UNVERIFIED: "non ancora verificato",
}

#: Objective-level states that are not a percentage (spec rule 2).
OBJ_NOT_MONITORED = "non monitorato"
OBJ_WAITING_VALUES = "in attesa di rilevazione"
OBJ_NOT_EVALUABLE = "non valutabile"
OBJ_NEUTRALIZED = "neutralizzato"

#: What the UI says instead of a percentage for those states.
WAITING_FIRST_MONITORING = "in attesa del primo monitoraggio"
WAITING_VALUES = "valori non ancora rilevati"
