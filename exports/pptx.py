"""PowerPoint of the board presentation: the deck of :mod:`exports.deck` with native,
editable charts (data embedded in the file), tables for the steps and the verification
texts in the speaker notes. Pure: PlanMetrics → bytes."""
from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from charts.base import TIMING_COLORS, natural_order
from exports.common import clip, missing, neutralize, objective_steps
from exports.deck import (ACHIEVEMENT, CASCADE, FORECAST, GROUPS, LATE, OBJECTIVE, OBJECTIVES, SUMMARY, TITLE, Chart,
                          Slide, build_deck)
from metrics.previous import Previous
from exports.paginate import POWERPOINT, SEGUE
from exports.phrasing import context_line
from exports.tables import Table
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date

W, H = 13.333, 7.5
MARGIN = 0.5
BLUE = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
LIGHT = RGBColor(0xE8, 0xEE, 0xF4)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
MONTHS = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"]
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color.lstrip("#").upper())


def to_pptx(pm: PlanMetrics, previous: Previous | None = None) -> bytes:
    """The presentation as .pptx bytes: the deck of :func:`exports.deck.build_deck` (``previous``: the
    previous check, for the summary's change)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(W), Inches(H)
    prs.core_properties.title = f"{pm.ctx.titolo} — monitoraggio al {fmt_date(pm.ctx.as_of)}"
    prs.core_properties.author = pm.ctx.ente
    prs.core_properties.language = "it-IT"
    deck = build_deck(pm, POWERPOINT, previous)   # its own room: a wider table, fewer «(segue)»
    footer = context_line(pm, short=True)
    by_objective = objective_steps(pm)
    for i, s in enumerate(deck, start=1):
        if s.kind == TITLE:
            slide = _title_slide(prs, s)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
            _title(slide, s)
            RENDER[s.kind](slide, s, pm, by_objective)
            _text(slide, MARGIN, H - 0.42, W - 2 * MARGIN - 1, 0.3, footer, 10, color=GREY)
            _text(slide, W - MARGIN - 1, H - 0.42, 1, 0.3, f"{i}/{len(deck)}", 10, color=GREY, align=PP_ALIGN.RIGHT)
        slide.notes_slide.notes_text_frame.text = s.notes
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- primitives
def _text(slide, x, y, w, h, text, size, bold=False, color=None, align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP,
          wrap=True):
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = wrap
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    lines = text.split("\n") if isinstance(text, str) else text
    for j, line in enumerate(lines):
        p = tf.paragraphs[0] if j == 0 else tf.add_paragraph()
        p.alignment = align
        r = p.add_run()
        r.text = line
        r.font.size = Pt(size)
        r.font.bold = bold
        if color is not None:
            r.font.color.rgb = color
    return box


def _title(slide, s: Slide) -> None:
    t = slide.shapes.title
    t.left, t.top, t.width, t.height = Inches(MARGIN), Inches(0.2), Inches(W - 2 * MARGIN), Inches(0.85)
    tf = t.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = MSO_ANCHOR.TOP
    tf.margin_top = tf.margin_bottom = Inches(0.02)
    tf.text = clip(s.title.removesuffix(SEGUE), 110 - len(SEGUE)) + SEGUE if s.title.endswith(SEGUE) else clip(s.title, 110)
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.LEFT
    p.runs[0].font.size = Pt(30 if len(tf.text) <= 55 else 22)
    p.runs[0].font.bold = True
    p.runs[0].font.color.rgb = BLUE
    if s.subtitle and s.kind != OBJECTIVE:   # the objective slide has its own line of figures
        _text(slide, MARGIN, 1.08, W - 2 * MARGIN, 0.4, clip(s.subtitle, 160), 16, color=GREY)


def _place_text(shape, text: str, top: float, height: float, size: int, color, bold: bool = False) -> None:
    """Put a placeholder full width at ``top`` (inches) with left-aligned text of one size and colour."""
    shape.left, shape.top, shape.width, shape.height = Inches(0.8), Inches(top), Inches(W - 1.6), Inches(height)
    shape.text_frame.text = text
    shape.text_frame.word_wrap = True
    for p in shape.text_frame.paragraphs:
        p.alignment = PP_ALIGN.LEFT
        for r in p.runs:
            r.font.size, r.font.bold, r.font.color.rgb = Pt(size), bold, color


def _title_slide(prs, s: Slide):
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE])
    _place_text(slide.shapes.title, s.title, 1.2, 2.2, 40 if len(s.title) < 70 else 32, BLUE, bold=True)
    _place_text(slide.placeholders[1], s.subtitle, 3.5, 1.1, 24, GREY)
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.8), Inches(4.8), Inches(W - 1.6), Inches(0.06))
    bar.fill.solid()
    bar.fill.fore_color.rgb = BLUE
    bar.line.fill.background()
    _figures(slide, s.figures, 0.8, 5.1, W - 1.6, cols=len(s.figures), value_size=28)
    _text(slide, 0.8, 6.45, W - 1.6, 0.4, "Monitoraggio del piano della performance — Consiglio di Amministrazione / "
          "Assemblea", 14, color=GREY)
    if s.bullets:   # the measuring system, on one short line
        _text(slide, 0.8, 6.85, W - 1.6, 0.3, clip(" · ".join(s.bullets), 150), 11, color=GREY)
    return slide


def _figures(slide, figures, x, y, w, cols=2, value_size=30, row_h=1.0):
    cw = w / cols
    for j, (label, value) in enumerate(figures):
        cx, cy = x + (j % cols) * cw, y + (j // cols) * row_h
        _text(slide, cx, cy, cw - 0.1, 0.35, label, 14, color=GREY)
        _text(slide, cx, cy + 0.3, cw - 0.1, row_h - 0.3, value, value_size, bold=True, color=BLUE)


def _message(slide, s: Slide, y=2.5):
    _text(slide, MARGIN + 0.5, y, W - 2 * MARGIN - 1, 1.2, s.message, 24, color=GREY, align=PP_ALIGN.CENTER,
          anchor=MSO_ANCHOR.MIDDLE)


def fit_bullets(items: list[str], w: float, h: float, size: int, title: bool = False,
                min_size: int = 10) -> tuple[int, list[str]]:
    """The font size and the items that fit a ``w`` × ``h`` inches box (estimated lines): a smaller
    font first, then the last items left out with «… (altre note nelle note del relatore)»."""
    def height(z: int, xs: list[str]) -> float:
        per_line = max(10, int((w - 0.2) * 72 / (z * 0.52)))
        lines = sum(math.ceil((len(x) + 2) / per_line) for x in xs) + (1.1 if title else 0)
        return lines * z * 1.2 / 72 + len(xs) * 4 / 72 + 0.1
    for z in range(size, min_size - 1, -1):
        if height(z, items) <= h:
            return z, items
    kept = list(items)
    while len(kept) > 1 and height(min_size, kept + ["… altre note nelle note del relatore"]) > h:
        kept.pop()
    return min_size, kept + (["… altre note nelle note del relatore"] if len(kept) < len(items) else [])


def _bullets(slide, items, x, y, w, h, size=16, title=None):
    size, items = fit_bullets(items, w, h, size, title=bool(title))
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    first = True
    if title:
        r = tf.paragraphs[0].add_run()
        r.text, r.font.size, r.font.bold, r.font.color.rgb = title, Pt(size + 2), True, BLUE
        first = False
    for item in items:
        p = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        p.space_before = Pt(4)
        r = p.add_run()
        r.text, r.font.size = f"• {item}", Pt(size)
    return box


def _chart(slide, c: Chart, x, y, w, h, legend=False, labels=True, title=True, font=12):
    cd = CategoryChartData(number_format=c.number_format)
    cd.categories = [neutralize(str(cat)) for cat in c.categories]
    captions = c.captions or []
    for i, (name, values) in enumerate(c.series.items()):
        # a point with a caption gets a 0 (an empty bar): PowerPoint draws no label for a blank value
        cd.add_series(name, [(0.0 if i == 0 and j < len(captions) and captions[j] else None) if missing(v) else float(v)
                             for j, v in enumerate(values)])
    kind = XL_CHART_TYPE.DOUGHNUT if c.kind == "doughnut" else XL_CHART_TYPE.BAR_CLUSTERED
    chart = slide.shapes.add_chart(kind, Inches(x), Inches(y), Inches(w), Inches(h), cd).chart
    chart.font.size = Pt(font)
    chart.has_title = title
    if title:
        chart.chart_title.text_frame.text = c.title
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(font + 4)
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.bold = True
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.RIGHT
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(font)
    plot = chart.plots[0]
    if c.colors:
        ser = plot.series[0]
        for j, col in enumerate(c.colors[: len(c.categories)]):
            pt = ser.points[j]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = _rgb(col)
    if labels:
        plot.has_data_labels = True
        dl = plot.data_labels
        dl.number_format, dl.number_format_is_linked = c.number_format, False
        dl.show_value, dl.show_category_name, dl.show_percentage = True, False, False
        dl.font.size = Pt(font)
        if c.kind == "bar":
            dl.position = XL_LABEL_POSITION.OUTSIDE_END
        if any(captions):
            # a point's own label creates the series' label settings, which would hide every other value
            sdl = plot.series[0].data_labels
            sdl.number_format, sdl.number_format_is_linked = c.number_format, False
            sdl.show_value, sdl.show_category_name, sdl.show_percentage = True, False, False
            sdl.font.size = Pt(font)
            if c.kind == "bar":
                sdl.position = XL_LABEL_POSITION.OUTSIDE_END
        for j, caption in enumerate(captions):
            if caption:   # a point without a value says why, in grey (the bar itself is empty)
                label = plot.series[0].points[j].data_label
                if c.kind == "bar":
                    label.position = XL_LABEL_POSITION.OUTSIDE_END
                label.text_frame.word_wrap = False          # one line (LibreOffice wrapped it word by word)
                run = label.text_frame.paragraphs[0].add_run()
                run.text, run.font.size, run.font.italic = caption, Pt(font), True
                run.font.color.rgb = RGBColor(0x61, 0x61, 0x61)
    if c.kind == "bar":
        plot.gap_width = 50
        plot.vary_by_categories = False
        va = chart.value_axis
        if c.percent:
            va.minimum_scale, va.maximum_scale, va.major_unit = 0.0, 1.15, 0.25
            va.tick_labels.number_format, va.tick_labels.number_format_is_linked = "0%", False
        va.has_major_gridlines = True
        va.major_gridlines.format.line.color.rgb = RGBColor(0xDD, 0xDD, 0xDD)
        va.tick_labels.font.size = Pt(font - 1)
        ca = chart.category_axis
        ca.reverse_order = True           # first category on top, as in the tables
        ca.tick_labels.font.size = Pt(font)
    else:
        hole = plot._element.find("{http://schemas.openxmlformats.org/drawingml/2006/chart}holeSize")
        if hole is not None:
            hole.set("val", "60")
    return chart


def _cells(t: Table, cols, scale: float, max_rows=None) -> list[list[str]]:
    rows = t.rows[:max_rows] if max_rows else t.rows
    return [[clip(r[c], max(12, int(t.clip[c] * scale))) if c in t.clip else r[c] for c in cols] for r in rows]


def _layout(t: Table, cols, w: float, size: float, scale: float, max_rows=None):
    """Column widths sized on their content (the widest column, usually the description, takes
    the rest) and the estimated height, in inches: ``(widths, height, flex_slack)`` where a
    negative slack means the widest column is too narrow."""
    cw, pad = size * 0.62 / 72, 0.16   # generous: fonts without Calibri (LibreOffice) are wider
    rel = [(t.widths or [1] * len(t.columns))[c] for c in cols]
    flex = rel.index(max(rel))
    cells = _cells(t, cols, scale, max_rows)
    widths, need = [], []
    for j, c in enumerate(cols):
        head = max(len(x) for x in t.columns[c].split()) * 1.1   # bold header
        col = [r[j] for r in cells]
        word = max((len(x) for v in col for x in v.split()), default=0)
        full = max((len(v) for v in col), default=0)
        need.append(max(head, word) * cw + pad)
        widths.append(0.0 if j == flex else max(head, word, min(full, 20)) * cw + pad)
    widths[flex] = max(w - sum(widths), 0.3)
    line_h, avg = size * 1.25 / 72, size * 0.52 / 72   # average character of running text
    height = 0.0
    for r in [[t.columns[c] for c in cols]] + cells:
        lines = max(math.ceil(len(v) / max(1.0, (widths[j] - pad) / avg)) if v else 1 for j, v in enumerate(r))
        height += lines * line_h + 0.09
    slack = widths[flex] - max(need[flex], w * 0.3 if len(cols) > 4 else 0.0)
    return widths, height, slack


def _table(slide, t: Table, x, y, w, cols=None, size=12, max_rows=None, clip_scale=1.0):
    """A native table; ``cols`` picks columns; long texts are clipped (the full text is in the
    notes, the Excel and the Word report). Returns the estimated bottom in inches."""
    cols = list(range(len(t.columns))) if cols is None else cols
    widths, height, _ = _layout(t, cols, w, size, clip_scale, max_rows)
    cells = _cells(t, cols, clip_scale, max_rows)
    row_h = size * 1.2 / 72 + 0.1
    shape = slide.shapes.add_table(len(cells) + 1, len(cols), Inches(x), Inches(y), Inches(w),
                                   Inches(row_h * (len(cells) + 1)))
    table = shape.table
    for j, cw in enumerate(widths):
        table.columns[j].width = Inches(cw)
    for i, values in enumerate([[t.columns[c] for c in cols]] + cells):
        table.rows[i].height = Inches(row_h)
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            tf = cell.text_frame
            tf.word_wrap = True
            tf.text = value
            p = tf.paragraphs[0]
            p.alignment = PP_ALIGN.RIGHT if (cols[j] in t.numeric and i > 0) else PP_ALIGN.LEFT
            for r in p.runs:
                r.font.size = Pt(size)
                r.font.bold = i == 0 or (i - 1) in t.bold_rows
                r.font.color.rgb = WHITE if i == 0 else RGBColor(0x22, 0x22, 0x22)
            cell.fill.solid()
            cell.fill.fore_color.rgb = (BLUE if i == 0 else LIGHT if (i - 1) in t.bold_rows or (not t.bold_rows and i % 2 == 0)
                                        else WHITE)
    if max_rows and len(t.rows) > max_rows:
        _text(slide, x, y + height + 0.05, w, 0.3, f"… e altri {len(t.rows) - max_rows} (elenco completo nel report "
              "Excel e nella Relazione)", size - 1, color=GREY)
        height += 0.35
    return y + height


def _fit(t: Table, cols, w, avail, sizes=(16, 14, 13, 12, 11, 10, 9), max_rows=None):
    cols = list(range(len(t.columns))) if cols is None else cols
    """Font size and clipping of a table that fits ``avail`` inches of height and leaves the widest
    column wide enough (its longest word, 30% of the table when there are many columns): little clipping at a readable size (≥ 11 pt) first, then
    smaller fonts, then more clipping."""
    tries = [(z, s) for s in (1.0, 0.75) for z in sizes if z >= 11]
    tries += [(z, s) for s in (0.55, 0.4) for z in sizes if z >= 11]
    tries += [(z, s) for z in sizes if z < 11 for s in (1.0, 0.75, 0.55, 0.4)]
    for size, scale in tries:
        _, height, slack = _layout(t, cols, w, size, scale, max_rows)
        if height <= avail and slack >= 0:
            return size, scale
    return sizes[-1], 0.4


# ----------------------------------------------------------------------------- slide kinds
def _summary(slide, s: Slide, pm, by_objective) -> None:
    """The headline, its band and the change; then the objectives at risk and the decisions side by side,
    and what the deck leaves out along the bottom."""
    _figures(slide, s.figures, MARGIN, 1.45, W - 2 * MARGIN, cols=len(s.figures), value_size=28, row_h=1.0)
    cols = [x for x in s.sections[:2]]
    cw = (W - 2 * MARGIN - 0.4) / 2
    absent = s.sections[2][1] if len(s.sections) > 2 else []
    bottom = 6.95 - (0.25 + 0.24 * min(len(absent), 4) if absent else 0.0)
    for j, (head, items) in enumerate(cols):
        _bullets(slide, [clip(x, 170) for x in items], MARGIN + j * (cw + 0.4), 2.6, cw, bottom - 2.6, size=15,
                 title=head)
    if absent:
        _bullets(slide, [clip(x, 150) for x in absent], MARGIN, bottom, W - 2 * MARGIN, 6.98 - bottom, size=11,
                 title=s.sections[2][0])


def _achievement(slide, s: Slide, pm, by_objective) -> None:
    if s.message:
        _text(slide, MARGIN, 2.6, 5.4, 1.6, s.message, 20, color=GREY, align=PP_ALIGN.CENTER,
              anchor=MSO_ANCHOR.MIDDLE)
    else:
        _chart(slide, s.charts[0], MARGIN, 1.6, 5.4, 5.2, labels=False, title=False)
        _text(slide, MARGIN, 3.7, 5.4, 1.0, s.figures[0][1], 44, bold=True, color=BLUE, align=PP_ALIGN.CENTER,
              anchor=MSO_ANCHOR.MIDDLE)
    _figures(slide, s.figures[1:], 6.4, 1.7, W - 6.4 - MARGIN, cols=2, value_size=32, row_h=1.15)
    if s.bullets:
        _bullets(slide, s.bullets, 6.4, 6.3, W - 6.4 - MARGIN, 0.7, size=14)


def _cascade(slide, s: Slide, pm, by_objective) -> None:
    if s.message:
        _message(slide, s)
        return
    size, scale = _fit(s.table, None, W - 2 * MARGIN, 5.2)
    _table(slide, s.table, MARGIN, 1.6, W - 2 * MARGIN, size=size, clip_scale=scale)


def _groups(slide, s: Slide, pm, by_objective) -> None:
    if s.message:
        _message(slide, s)
        return
    n = len(s.charts)
    cw = (W - 2 * MARGIN - 0.3 * (n - 1)) / max(n, 1)
    for j, c in enumerate(s.charts):
        h = min(5.4, 1.2 + 0.45 * len(c.categories))
        _chart(slide, c, MARGIN + j * (cw + 0.3), 1.6, cw, max(h, 2.6), font=13)


def _objectives(slide, s: Slide, pm, by_objective) -> None:
    if s.message:
        _message(slide, s)
        return
    if not s.charts:   # nothing evaluable: the table alone
        cols = [0, 1, 3, 4, 5]
        size, scale = _fit(s.table, cols, W - 2 * MARGIN, 5.3)
        _table(slide, s.table, MARGIN, 1.55, W - 2 * MARGIN, cols=cols, size=size, clip_scale=scale)
        return
    n = len(s.charts[0].categories)
    _chart(slide, s.charts[0], MARGIN, 1.5, 7.9, min(5.5, 1.0 + 0.5 * n), title=False, font=12 if n <= 12 else 10)
    cols = [0, 3, 4, 7]
    size, scale = _fit(s.table, cols, 4.4, 5.3)
    _table(slide, s.table, W - MARGIN - 4.4, 1.55, 4.4, cols=cols, size=size)


def _late(slide, s: Slide, pm, by_objective) -> None:
    _figures(slide, s.figures, MARGIN, 1.45, W - 2 * MARGIN, cols=4, value_size=28, row_h=1.0)
    top = 2.6
    if s.charts:
        _chart(slide, s.charts[0], MARGIN, top, 4.6, 4.3, legend=True, font=12)
    x = MARGIN + 4.8
    if s.message:
        _text(slide, x, top + 1.2, W - MARGIN - x, 1.0, s.message, 20, color=GREY, align=PP_ALIGN.CENTER)
        return
    cols = [0, 1, 2, 3, 6]
    size, scale = _fit(s.table, cols, W - MARGIN - x, 4.2, sizes=(14, 13, 12, 11, 10), max_rows=10)
    _table(slide, s.table, x, top, W - MARGIN - x, cols=cols, size=size, max_rows=10, clip_scale=scale)


def _objective(slide, s: Slide, pm, by_objective) -> None:
    """Figures line, the steps table across the slide, then key notes (left) and timeline (right)."""
    line = " · ".join(f"{k} {v}" for k, v in s.figures)
    _text(slide, MARGIN, 1.08, W - 2 * MARGIN, 0.4, (s.subtitle + " · " if s.subtitle else "") + line, 13,
          color=GREY)
    if s.message:
        _message(slide, s)
        return
    cols = [0, 1, 2, 4, 5, 6, 7]
    band_h = 1.55
    band_y = H - 0.5 - band_h
    size, scale = _fit(s.table, cols, W - 2 * MARGIN, band_y - 1.6 - 0.1)
    _table(slide, s.table, MARGIN, 1.6, W - 2 * MARGIN, cols=cols, size=size, clip_scale=scale)
    notes_w = 4.7 if s.bullets else 0.0      # key notes on the first slide of an objective only
    if s.bullets:   # above the footer (H - 0.42)
        _bullets(slide, s.bullets, MARGIN, band_y, notes_w, H - 0.5 - band_y, size=12, title="Note chiave")
    steps = by_objective[s.objective_code]
    if s.step_range:
        steps = steps.iloc[s.step_range[0]:s.step_range[1]]
    dated = steps[steps["deadline"].notna()]
    if len(dated):
        gap = 0.2 if s.bullets else 0.0
        _timeline(slide, dated, pm.ctx.as_of, pm.ctx.year, MARGIN + notes_w + gap, band_y + 0.2,
                  W - 2 * MARGIN - notes_w - gap, band_h - 0.2)


def _timeline(slide, steps, as_of: dt.date, year: int, x, y, w, h) -> None:
    """A strip: months of the year, ◆ deadline, ● completion, a line for the delay, the as-of date."""
    dates = [d for col in ("deadline", "completed_on", "revised_deadline") for d in steps[col] if not missing(d)]
    start = min([dt.date(year, 1, 1)] + dates)
    end = max([dt.date(year, 12, 31), as_of] + dates)
    start, end = dt.date(start.year, start.month, 1), end
    span = max((end - start).days, 1)
    axis_y = y + h - 0.42
    x0, x1 = x + 0.15, x + w - 0.25
    pos = lambda d: x0 + (x1 - x0) * (d - start).days / span  # noqa: E731
    _text(slide, x, y - 0.22, 2.0, 0.3, "Cronoprogramma", 12, bold=True, color=BLUE, wrap=False)
    ln = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Inches(x0), Inches(axis_y), Inches(x1), Inches(axis_y))
    ln.line.color.rgb, ln.line.width = GREY, Pt(1.5)
    step_months = 1 if span <= 430 else 3
    m = start
    while m <= end:
        px = pos(m)
        tick = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Inches(px), Inches(axis_y - 0.05), Inches(px),
                                          Inches(axis_y + 0.05))
        tick.line.color.rgb = GREY
        mm = m.month - 1 + step_months
        nxt = dt.date(m.year + mm // 12, mm % 12 + 1, 1)
        mid = pos(min(nxt, end)) if nxt > end else (px + pos(nxt)) / 2
        _text(slide, mid - 0.3, axis_y + 0.03, 0.6, 0.25, MONTHS[m.month - 1], 9, color=GREY, align=PP_ALIGN.CENTER)
        if m.month == 1 or m == start:
            _text(slide, px - 0.05, axis_y + 0.2, 0.8, 0.25, str(m.year), 9, bold=True, color=GREY)
        m = nxt
    # as-of line, its date beside its top (on the side with room)
    apx = pos(as_of)
    al = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Inches(apx), Inches(y + 0.3), Inches(apx),
                                    Inches(axis_y + 0.05))
    al.line.color.rgb, al.line.dash_style = GREY, 4
    if apx > x + w / 2:
        _text(slide, apx - 1.7, y + 0.04, 1.65, 0.25, f"al {fmt_date(as_of)}", 9, color=GREY, align=PP_ALIGN.RIGHT)
    else:
        _text(slide, apx + 0.05, y + 0.04, 1.65, 0.25, f"al {fmt_date(as_of)}", 9, color=GREY)
    # markers, codes grouped when they would overlap (natural order: 1.2 before 1.10)
    groups: list[list] = []
    steps = steps.iloc[natural_order(steps["code"])]
    for _, r in steps.sort_values("deadline", kind="stable").iterrows():
        px = pos(r["deadline"])
        if groups and px - groups[-1][0] < 0.45:
            groups[-1][1].append(str(r["code"]))
        else:
            groups.append([px, [str(r["code"])]])
        color = _rgb(TIMING_COLORS.get(r["timing"], "#9e9e9e"))
        end_d = r["completed_on"] if not missing(r["completed_on"]) else (as_of if r["timing"] == "scaduto" else None)
        if end_d is not None and end_d != r["deadline"]:
            seg = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Inches(px), Inches(axis_y), Inches(pos(end_d)),
                                             Inches(axis_y))
            seg.line.color.rgb, seg.line.width = color, Pt(4)
        if not missing(r["completed_on"]):
            dot = slide.shapes.add_shape(MSO_SHAPE.OVAL, Inches(pos(r["completed_on"]) - 0.07), Inches(axis_y - 0.07),
                                         Inches(0.14), Inches(0.14))
            dot.fill.solid()
            dot.fill.fore_color.rgb = color
            dot.line.fill.background()
        d = slide.shapes.add_shape(MSO_SHAPE.DIAMOND, Inches(px - 0.09), Inches(axis_y - 0.09), Inches(0.18),
                                   Inches(0.18))
        d.fill.solid()
        d.fill.fore_color.rgb = color
        d.line.color.rgb = WHITE
    for px, codes in groups:
        label = clip(", ".join(codes), 30)
        lw = min(2.4, 0.12 + 0.075 * len(label))
        left, align = label_box(px, lw, apx, x0 - 0.2, x1 + 0.2)
        _text(slide, left, axis_y - 0.45, lw, 0.3, label, 10, align=align)
    _text(slide, x + 2.0, y - 0.2, w - 2.0, 0.25, "◆ termine    ● completamento    ┆ data di monitoraggio", 9,
          color=GREY)


def label_box(px: float, lw: float, line_x: float, lo: float, hi: float) -> tuple[float, PP_ALIGN]:
    """Left edge and alignment of a code label of width ``lw`` for a marker at ``px``: centred on the
    marker when it fits between ``lo`` and ``hi`` without crossing the as-of line at ``line_x``, else
    beside the marker on the side away from the line (never on it)."""
    gap = 0.08
    left = min(max(px - lw / 2, lo), hi - lw)
    if not (left - gap < line_x < left + lw + gap):
        return left, PP_ALIGN.CENTER
    if px <= line_x:                       # marker left of (or on) the line: the label ends before it
        return max(lo, min(px, line_x) - gap - lw), PP_ALIGN.RIGHT
    return min(hi - lw, line_x + gap), PP_ALIGN.LEFT


def _forecast(slide, s: Slide, pm, by_objective) -> None:
    """PowerPoint layout of the forecast slide: figures, the table, the method."""
    _figures(slide, s.figures, MARGIN, 1.45, W - 2 * MARGIN, cols=4, value_size=28, row_h=1.0)
    size, scale = _fit(s.table, None, W - 2 * MARGIN, 3.3, sizes=(14, 13, 12, 11, 10), max_rows=12)
    _table(slide, s.table, MARGIN, 2.6, W - 2 * MARGIN, size=size, max_rows=12, clip_scale=scale)
    _text(slide, MARGIN, 6.1, W - 2 * MARGIN, 0.9, s.bullets[0], 11, color=GREY)


RENDER = {SUMMARY: _summary, ACHIEVEMENT: _achievement, CASCADE: _cascade, GROUPS: _groups, OBJECTIVES: _objectives, LATE: _late,
          OBJECTIVE: _objective, FORECAST: _forecast}
