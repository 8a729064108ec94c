"""The «Responsabile» of objectives and steps as people the product can address (issue 18).

A cell may name several responsibles («Direttrice, Responsabile di area territoriale, …»): they are
separated by commas, semicolons or new lines. Each is compared by a normalised key (case, accents,
spaces and a final full stop do not count). A step without a responsible goes to :data:`NO_RESPONSIBLE`.
"""
from __future__ import annotations

import re
import unicodedata

NO_RESPONSIBLE = "senza responsabile"


def resp_key(name: str) -> str:
    """``« Responsabile di Area  territoriale. »`` → ``responsabile di area territoriale``."""
    s = unicodedata.normalize("NFKD", str(name))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(s.casefold().split()).strip(" .")


def split_responsibles(text: str | None) -> list[str]:
    """The responsibles named in one cell, in order, without repeats (by key); [] for an empty cell."""
    out: dict[str, str] = {}
    for part in re.split(r"[,;\n]+", str(text or "")):
        name = " ".join(part.split()).strip(" .")
        if name and resp_key(name) not in out:
            out[resp_key(name)] = name
    return list(out.values())


def step_responsibles(step_responsible: str | None, objective_responsible: str | None) -> list[str]:
    """Who answers for a step: its own Responsabile, else its objective's, else «senza responsabile»."""
    return split_responsibles(step_responsible) or split_responsibles(objective_responsible) or [NO_RESPONSIBLE]
