"""Pagination of the board deck: how much a slide holds (the «Presentazione» page in «Modalità sala»
at 1280×720, or the PowerPoint), long tables and objectives split over several slides («(segue)»)
and joined again for a scrolling document (the HTML report)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar

from exports.common import clip
from exports.tables import Table

#: A slide of :mod:`exports.deck` (a dataclass with ``title``, ``kind``, ``table``, ``part``, ``parts``,
#: ``step_range``, ``notes``): the pagination needs no more, and does not import the deck.
Slide = TypeVar("Slide")


@dataclass(frozen=True)
class Room:
    """How much a slide holds, for splitting long tables: the «Presentazione» page at 1280×720
    (:data:`PAGE`, budgets from its pixel measures) or the PowerPoint (:data:`POWERPOINT`: a wider
    table under a fixed band, ``lines`` table lines per slide)."""
    step_chars: int = 34          # characters per line of a step description (with the «Tempi» column of the
                                  # timing vocabulary, «termine raggiunto, non completato», on two lines)
    cascade_chars: int = 50
    objective_chars: int = 40
    lines: float | None = None    # fixed table lines per slide; None = computed (page)


PAGE = Room()
POWERPOINT = Room(step_chars=62, cascade_chars=100, objective_chars=70, lines=15.0)

#: Suffix of the title of the following slides of a split objective or cascade.
SEGUE = " (segue)"
#: Room of a slide, measured on the «Presentazione» page in «Modalità sala» at 1280×720 (the smallest
#: projector; the PowerPoint has more room): pixels for the slide's content under the navigation, and
#: what each part takes. A table line is LINE_PX; a row costs its lines plus ROW_PADDING.
SLIDE_PX, LINE_PX, ROW_PADDING = 590, 21, 0.6
TITLE_LINE_PX, TITLE_CHARS = 36, 80          # slide title (h2/h3)
FIGURES_PX, CAPTION_PX, TABLE_HEAD_PX = 95, 26, 32
NOTES_HEAD_PX, NOTE_LINE_PX, NOTE_CHARS = 44, 34, 70   # «Note chiave», 1.2 rem bullets


def table_budget(title: str) -> float:
    """Lines of table that fit on a slide with a title, a caption and the table alone."""
    return (SLIDE_PX - TITLE_LINE_PX * math.ceil(len(title) / TITLE_CHARS) - CAPTION_PX - TABLE_HEAD_PX) / LINE_PX


def objective_budget(title: str, bullets: list[str], first: bool) -> float:
    """Lines of step table (in table lines, see :func:`row_lines`) that fit on an objective slide
    with this title, after the figures and the key notes on the first slide."""
    px = SLIDE_PX - TITLE_LINE_PX * math.ceil(len(title) / TITLE_CHARS) - TABLE_HEAD_PX
    px -= FIGURES_PX + CAPTION_PX if first else CAPTION_PX
    if bullets:
        px -= NOTES_HEAD_PX + NOTE_LINE_PX * sum(math.ceil(len(b) / NOTE_CHARS) for b in bullets)
    return max(px / LINE_PX, 3.0)


def row_lines(value: str, per_line: int, clip_at: int | None = None) -> float:
    """Estimated lines of a table cell (clipped as the slides clip it) plus the row padding."""
    v = clip(value, clip_at) if clip_at else value
    return max(1, math.ceil(len(v) / per_line)) + ROW_PADDING


def split_rows(costs: list[float], first: float, rest: float | None = None) -> list[tuple[int, int]]:
    """Consecutive ranges ``(start, stop)`` of rows whose costs fit ``first`` (the first slide) and
    ``rest`` (the following ones); a row larger than a slide gets a slide of its own."""
    out, start, used, budget = [], 0, 0.0, first
    for i, c in enumerate(costs):
        if i > start and used + c > budget:
            out.append((start, i))
            start, used, budget = i, 0.0, rest if rest is not None else first
        used += c
    if costs:
        out.append((start, len(costs)))
    return out


def rows_of(t: Table, a: int, b: int) -> Table:
    return Table(t.columns, t.rows[a:b], widths=t.widths, clip=t.clip, numeric=t.numeric,
                 bold_rows={i - a for i in t.bold_rows if a <= i < b})


def unsplit(deck: list[Slide]) -> list[Slide]:
    """The deck with each split slide joined again (one section per objective in a scrolling
    document such as the HTML report)."""
    out: list[Slide] = []
    for s in deck:
        if s.part > 1 and out and out[-1].kind == s.kind:
            prev = out[-1]
            n = len(prev.table.rows)
            table = replace(prev.table, rows=prev.table.rows + s.table.rows,
                            bold_rows=prev.table.bold_rows | {n + i for i in s.table.bold_rows})
            rng = (prev.step_range[0], s.step_range[1]) if prev.step_range and s.step_range else None
            notes = prev.notes if s.notes == "Nessun testo di verifica." else (
                s.notes if prev.notes == "Nessun testo di verifica." else
                prev.notes + "\n" + s.notes.removeprefix("Testi di verifica:\n"))
            out[-1] = replace(prev, table=table, step_range=rng, notes=notes, parts=1)
        else:
            out.append(s)
    return out


def split_table_slide(s: Slide, budget: float, cost) -> list[Slide]:
    """``s`` as one slide, or several (titles «… (segue)») when its table is longer than ``budget``."""
    ranges = split_rows([cost(r) for r in s.table.rows], budget) or [(0, 0)]
    if len(ranges) == 1:
        return [s]
    return [replace(s, title=s.title + (SEGUE if k > 1 else ""), table=rows_of(s.table, a, b), part=k,
                    parts=len(ranges))
            for k, (a, b) in enumerate(ranges, start=1)]

