"""Draft of the «Relazione sulla performance» (Word): summary tables and charts, the cascade as a
table and, for each objective, a paragraph generated from the data, its steps and the
verification notes. Marked «BOZZA» in the title and in every page header: a text to
be edited, not a final document. Pure: PlanMetrics → bytes.

A4 portrait. Tables: column widths fitted to their content (no column narrower than its longest
word, measured with the font metrics), rows never split across pages, header rows repeated on each
page. Page numbers in the footer. Charts are the dashboard's figures as images
(:mod:`exports.images`).

The document is a list of section builders (:data:`SECTIONS`): a new section is one function
``(doc, pm, number) -> None`` added to the list; headings are numbered in list order."""
from __future__ import annotations

import io
from functools import lru_cache

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from charts.board import group_bars, timing_doughnut
from charts.overview import achievement_gauge, objectives_ranking
from exports.common import objective_steps, text
from exports.phrasing import il_pct, objective_paragraph, plural, verification_notes
from exports.tables import Table, cascade_table, group_frames, group_table, late_table, objectives_table, steps_table
from exports import criteria
from exports.images import to_png
from metrics import timing
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct

DRAFT = "BOZZA"
BLUE = RGBColor(0x1F, 0x4E, 0x79)
RED = RGBColor(0xC6, 0x28, 0x28)


PAGE_W, PAGE_H, MARGIN_CM = 21.0, 29.7, 2.0
USABLE_CM = PAGE_W - 2 * MARGIN_CM
CELL_MARGIN_CM = 0.1              # left and right cell margins of the tables (Word's default: 0,19 cm)
CELL_PAD_CM = 2 * CELL_MARGIN_CM + 0.1   # and a little air for rounding and font differences
BODY_PT, TABLE_PT, MIN_TABLE_PT = 10.5, 9.0, 7.0
HEAD_SMALLER_PT = 1.0              # header rows one point smaller (bold): long headers take less room
NO_CHART = "[Grafico non disponibile in questa copia: si vede nel cruscotto, pagina «Presentazione».]"


def to_docx(pm: PlanMetrics) -> bytes:
    doc = Document()
    _setup(doc, pm)
    charts = _charts(pm)
    c = pm.ctx
    t = doc.add_heading(f"Relazione sulla performance {c.year} — {DRAFT}", level=0)
    t.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p = doc.add_paragraph()
    r = p.add_run(f"{c.ente}\n{c.titolo}")
    r.font.size, r.bold = Pt(13), True
    p = doc.add_paragraph()
    r = p.add_run(f"{DRAFT} generata automaticamente dal Cruscotto Performance con i dati al {fmt_date(c.as_of)} "
                  f"(versione {c.version} del piano): testo da rivedere e completare prima dell'approvazione.")
    r.italic, r.font.color.rgb = True, RED
    if pm.validated:   # issue 16: the frozen record's figures
        r = doc.add_paragraph().add_run(f"Valori validati il {fmt_date(pm.validated['date'])} da "
                                        f"{pm.validated['by']} (impronta SHA-256 {pm.validated['sha256'][:16]}…).")
        r.bold = True
    if pm.net and pm.net["objectives"]["treated"].any():
        doc.add_paragraph(f"Raggiungimento del piano lordo {fmt_pct(pm.net['plan']['gross'])} (come misurato), netto "
                          f"{fmt_pct(pm.net['plan']['net'])} dopo i trattamenti decisi nel registro degli scostamenti.")
    for number, section in enumerate(SECTIONS, start=1):
        section(doc, pm, number, charts)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- charts
#: Width in px at which the figures are drawn, and in cm at which they are placed (≈ 8–9 pt text).
FULL_PX, FULL_CM, HALF_PX, HALF_CM = 760, 16.5, 560, 10.0


def _charts(pm: PlanMetrics) -> dict[str, tuple[bytes | None, float]]:
    """The figures of the Relazione as PNG, drawn in one batch: name → (png, width in cm)."""
    figs: dict[str, tuple] = {}
    waiting = criteria.plan_waiting_text(pm)
    if pm.achievement is not None or waiting:   # a plan not yet monitored: the grey «in attesa» gauge
        h = pm.headline()     # rule 10: before the year end the gauge shows the schedule adherence, named
        interim = not waiting and h["basis"] == "cronoprogramma" and h["value"] is not None
        gauge = achievement_gauge(h["value"] if interim else pm.achievement, pm.profile,
                                  title="Rispetto del cronoprogramma" if interim else "", height=280,
                                  **({"missing_caption": waiting} if waiting else {}))
        figs["gauge"] = (gauge.update_layout(margin=dict(l=60, r=60)), HALF_PX, HALF_CM)
    if pm.objectives["achievement"].notna().any():
        figs["ranking"] = (objectives_ranking(pm.objectives).update_layout(margin=dict(r=50)), FULL_PX, FULL_CM)
    for title, df in group_frames(pm):
        if df["achievement"].notna().any():
            fig = group_bars(df, "", height=max(170, 40 * len(df) + 90), label_width=40)
            figs[f"group:{title}"] = (fig.update_layout(margin=dict(r=50)), FULL_PX, FULL_CM)
    due = pm.steps[pm.steps["due_in_year"]] if len(pm.steps) else pm.steps
    if len(due):
        figs["timing"] = (timing_doughnut(pm.steps, title="", height=320), HALF_PX, HALF_CM)
    pngs = to_png([f for f, _, _ in figs.values()], width=[w for _, w, _ in figs.values()])
    return {k: (png, cm) for (k, (_, _, cm)), png in zip(figs.items(), pngs)}


def _picture(doc, charts: dict, name: str, alt: str | None = None) -> None:
    """The chart ``name`` as an image, with ``alt`` as its alternative text (read by screen readers, kept as
    the figure's /Alt in the tagged PDF), or a note when it could not be drawn."""
    if name not in charts:
        return
    png, width = charts[name]
    if png is None:
        p = doc.add_paragraph()
        r = p.add_run(NO_CHART)
        r.italic, r.font.size = True, Pt(9)
        return
    shape = doc.add_picture(io.BytesIO(png), width=Cm(width))
    if alt:
        shape._inline.docPr.set("descr", alt)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = False


# ----------------------------------------------------------------------------- sections
def summary_intro(pm: PlanMetrics) -> str:
    """The summary's opening paragraph: the plan's achievement and its steps, in words (shared with the
    Relazione sulla performance, :mod:`exports.relazione`)."""
    c, k = pm.ctx, pm.counts
    when = fmt_date(c.as_of)
    if pm.achievement is None and (waiting := criteria.plan_waiting_text(pm)):
        intro = f"Al {when} il raggiungimento del piano è {waiting}: nessun obiettivo ha ancora un valore (non è 0%)."
    elif pm.achievement is None:
        intro = (f"Al {when} il raggiungimento del piano non è calcolabile: nessun obiettivo è valutabile per il "
                 f"{c.year}.")
    else:
        intro = (f"Al {when} il piano ha raggiunto {il_pct(pm.achievement)}, media dei raggiungimenti degli "
                 f"obiettivi valutabili ({k['objectives_evaluable']} su {k['objectives']}) pesata sui rispettivi pesi.")
        if not pm.year_over and pm.adherence is not None:   # rule 10: the headline before the year end
            intro += (f" Rispetto del cronoprogramma (step già scaduti e continuativi): {il_pct(pm.adherence)}; "
                      "il valore precedente è l'avanzamento dell'anno, che cresce fino al 31/12.")
    if k["steps_due"]:
        intro += " " + timing.year_sentence(pm.steps[pm.steps["due_in_year"]], c.year)   # the parts add up
    if pm.slippage.get("max_delay") is not None:
        intro += (f" Il ritardo mediano è di {fmt_days(pm.slippage['median_delay'])}, il massimo di "
                  f"{fmt_days(pm.slippage['max_delay'])}.")
    if k["verifications"] == 0 and k["steps"]:
        intro += " Il piano non ha ancora verifiche registrate: gli obiettivi sono in attesa del primo monitoraggio."
    return intro


def _summary(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    k = pm.counts
    doc.add_heading(f"{n}. Sintesi dei risultati", level=1)
    intro = summary_intro(pm)
    doc.add_paragraph(intro)
    _picture(doc, charts, "gauge")
    _table(doc, [["Indicatore", "Valore"],
                 ["Raggiungimento del piano", criteria.plan_value(pm)], *criteria.summary_rows(pm),
                 ["Obiettivi valutabili", f"{k['objectives_evaluable']} su {k['objectives']}"],
                 ["Obiettivi neutralizzati", fmt_int(k["objectives_neutralized"])],
                 ["Step dell'anno", fmt_int(k["steps_due"])], ["Step completati", fmt_int(k["completed"])],
                 ["Step in ritardo", fmt_int(k["late"])], ["Step scaduti", fmt_int(k["overdue"])],
                 ["Step neutralizzati", fmt_int(k["neutralized"])], ["Step continuativi", fmt_int(k["continuous"])]],
           numeric=(1,))
    # «Perché questo valore» and the forecast (issue 8)
    doc.add_heading("Perché questo valore", level=2)
    for para in criteria.why_plan_paragraphs(pm):
        doc.add_paragraph(para)
    _table(doc, criteria.why_plan_table(pm), numeric=(2, 3, 4, 5), size=8)


def _by_objective(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    doc.add_heading(f"{n}. Raggiungimento per obiettivo", level=1)
    _picture(doc, charts, "ranking")
    _from(doc, objectives_table(pm), drop=(2,))
    for title, df in group_frames(pm):
        doc.add_heading(f"Raggiungimento {title.lower()}", level=2)
        _picture(doc, charts, f"group:{title}")
        _from(doc, group_table(df, title.replace("Per ", "").capitalize()))


def _cascade(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    doc.add_heading(f"{n}. Cascata strategica", level=1)
    casc = cascade_table(pm)
    if casc is None:
        doc.add_paragraph("Il piano non collega gli obiettivi ad aree e obiettivi strategici.")
        return
    doc.add_paragraph("Ogni obiettivo collegato a più obiettivi strategici conta per intero in ciascuno; il "
                      "raggiungimento di un'area è la media pesata degli obiettivi distinti che vi concorrono.")
    _from(doc, casc)


def _late(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    doc.add_heading(f"{n}. Step in ritardo e scaduti", level=1)
    _picture(doc, charts, "timing")
    late = late_table(pm)
    if late.rows:
        _from(doc, late)
    else:
        doc.add_paragraph("Nessuno step in ritardo o scaduto alla data di monitoraggio.")


def _objectives(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    doc.add_heading(f"{n}. Risultati dei singoli obiettivi", level=1)
    by_objective = objective_steps(pm)
    for _, o in pm.objectives.iterrows():
        code = str(o["code"])
        steps = by_objective[code]
        doc.add_heading(f"{code} · {text(o['title'])}", level=2)
        doc.add_paragraph(objective_paragraph(pm, code, steps))
        doc.add_paragraph(criteria.why_objective_paragraph(pm, code))   # «Perché questo valore»
        st = steps_table(pm, code, steps)
        if st.rows:
            _from(doc, st, size=8)
        notes = verification_notes(pm, code, steps)
        if notes:
            p = doc.add_paragraph()
            p.add_run("Note di verifica").bold = True
            p.paragraph_format.keep_with_next = True
            for note in notes:
                doc.add_paragraph(note, style="List Bullet")
        p = doc.add_paragraph()
        r = p.add_run("[Commento del responsabile: da completare]")
        r.italic, r.font.color.rgb = True, RED


#: The sections of the Relazione, in order (numbered 1, 2, …): add a builder here to add a section.
def _criteria(doc, pm: PlanMetrics, n: int, charts: dict) -> None:
    criteria.add_criteria_section(doc, pm, _table, n)   # «Criteri di misurazione», from the profile (issue 8)


SECTIONS = [_summary, _by_objective, _cascade, _late, _objectives, _criteria]


# ----------------------------------------------------------------------------- page
def _setup(doc, pm: PlanMetrics, header: str | None = None, footer: str | None = None,
           title: str | None = None) -> None:
    """A4 portrait, Italian, Calibri; ``header`` (red, bold: the «BOZZA» line), ``footer`` (before the page
    number) and the document ``title`` default to the draft's."""
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(PAGE_H)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(MARGIN_CM))
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "it-IT")
    rpr.append(lang)
    # the document's default language too: LibreOffice takes the PDF's /Lang from it (screen readers read
    # the tagged PDF in Italian, not with an English voice)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    drpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    if drpr is not None:
        for old in drpr.findall(qn("w:lang")):
            drpr.remove(old)
        dlang = OxmlElement("w:lang")
        for attr in ("w:val", "w:eastAsia", "w:bidi"):
            dlang.set(qn(attr), "it-IT")
        drpr.append(dlang)
    hp = sec.header.paragraphs[0]
    hp.text = ""
    r = hp.add_run(header if header is not None else
                   f"{DRAFT} — Relazione sulla performance {pm.ctx.year} · {pm.ctx.ente}")
    r.bold, r.font.size, r.font.color.rgb = True, Pt(9), RED
    fp = sec.footer.paragraphs[0]
    fp.text = ""
    r = fp.add_run((footer if footer is not None else
                    f"Dati al {fmt_date(pm.ctx.as_of)} · documento in bozza generato dal Cruscotto Performance")
                   + " · pagina ")
    r.font.size = Pt(8)
    _field(fp, "PAGE", "1")
    r = fp.add_run(" di ")
    r.font.size = Pt(8)
    _field(fp, "NUMPAGES", "1")
    doc.core_properties.title = title or f"Relazione sulla performance {pm.ctx.year} ({DRAFT})"
    doc.core_properties.author = pm.ctx.ente
    doc.core_properties.language = "it-IT"


def _field(paragraph, instr: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when the page is laid out."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "16")
    rpr.append(sz)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = placeholder
    r.append(t)
    fld.append(r)
    paragraph._p.append(fld)


# ----------------------------------------------------------------------------- tables
@lru_cache(maxsize=4)
def _font(bold: bool):
    """DejaVu Sans metrics (wider than Calibri and than LibreOffice's substitutes: widths computed
    with it are safe in Word and in LibreOffice), or None to estimate from the character count."""
    try:
        from PIL import ImageFont
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", 1000)
    except (ImportError, OSError):
        return None


def text_width_cm(s: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``s`` set in ``size_pt`` points, in cm."""
    f = _font(bold)
    em = f.getlength(s) / 1000 if f is not None else len(s) * (0.66 if bold else 0.6)
    return em * size_pt * 2.54 / 72


def column_widths(rows: list[list[str]], size_pt: float, usable_cm: float = USABLE_CM) -> list[float] | None:
    """Column widths (cm) fitted to the content: each column at least as wide as its longest word
    (the header in bold), the rest of the width shared in proportion to how much each column's
    longest text still lacks. ``None`` if the longest words alone do not fit ``usable_cm``."""
    ncol = len(rows[0])
    low, high = [], []
    def width(v: str, head: bool) -> float:
        return text_width_cm(v, size_pt - HEAD_SMALLER_PT, True) if head else text_width_cm(v, size_pt)

    for j in range(ncol):
        cells = [(r[j], i == 0) for i, r in enumerate(rows)]
        word = max(width(w, head) for v, head in cells for w in (v.split() or [""]))
        full = max(width(line, head) for v, head in cells for line in (v.split("\n") or [""]))   # a cell's lines
        low.append(word + CELL_PAD_CM)
        high.append(min(full, usable_cm) + CELL_PAD_CM)
    if sum(low) > usable_cm:
        return None
    if sum(high) <= usable_cm:
        return high
    extra, want = usable_cm - sum(low), [h - lo for h, lo in zip(high, low)]
    return [lo + extra * wnt / sum(want) for lo, wnt in zip(low, want)]


def _from(doc, t: Table, drop: tuple[int, ...] = (), size: float = TABLE_PT) -> None:
    keep = [j for j in range(len(t.columns)) if j not in drop]
    rows = [[t.columns[j] for j in keep]] + [[r[j] for j in keep] for r in t.rows]
    _table(doc, rows, numeric=tuple(keep.index(j) for j in t.numeric if j in keep), size=size,
           bold_rows={i + 1 for i in t.bold_rows})


def _table(doc, rows: list[list[str]], numeric: tuple[int, ...] = (), size: float = TABLE_PT,
           bold_rows: set[int] = frozenset(), widths: list[float] | None = None) -> None:
    """A native Word table: widths fitted to the content (a smaller font if the longest words do not
    fit at ``size``), a shaded header row repeated on each page, rows kept whole on one page. Given
    ``widths`` (cm) are used as they are, at ``size`` (long texts: a label column and a text column)."""
    z = size
    while widths is None and z >= MIN_TABLE_PT:
        widths = column_widths(rows, z)
        if widths is None:
            z -= 0.5
    if widths is None:      # even at the smallest size: share the page in proportion to the longest words
        z = MIN_TABLE_PT
        low = [max(text_width_cm(w, z) for r in rows for w in (r[j].split() or [""])) for j in range(len(rows[0]))]
        widths = [USABLE_CM * w / sum(low) for w in low]
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    _fixed_layout(table, widths)
    for i, row in enumerate(rows):
        tr = table.rows[i]
        _row_props(tr, header=i == 0)
        cells = tr.cells
        for j, value in enumerate(row):
            cell = cells[j]
            cell.width = Cm(widths[j])
            p = cell.paragraphs[0]
            r = p.add_run(value)
            r.font.size = Pt(z - HEAD_SMALLER_PT if i == 0 else z)
            if i == 0:
                r.bold = True
                r.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                _shade(cell, "1F4E79")
            else:
                if j in numeric:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if i in bold_rows:
                    r.bold = True
                    _shade(cell, "E8EEF4")
    doc.add_paragraph()


def _fixed_layout(table, widths: list[float]) -> None:
    """Fixed layout with the given grid, so that Word and LibreOffice keep the computed widths."""
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(sum(widths) / 2.54 * 1440)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(int(CELL_MARGIN_CM / 2.54 * 1440)))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tbl_pr.append(margins)
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(w / 2.54 * 1440)))


def _row_props(tr, header: bool) -> None:
    """Rows never split across pages; the header row repeats on each page."""
    tr_pr = tr._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)
    if header:
        h = OxmlElement("w:tblHeader")
        h.set(qn("w:val"), "true")
        tr_pr.append(h)


def _shade(cell, hex_color: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_color)
    tc_pr.append(shd)


# Public names of the Word layout helpers, shared with the Relazione sulla performance and the documento di
# validazione (exports/relazione.py): one table builder, one chart batch, one page-field helper.
add_table = _table
add_frame_table = _from
add_field = _field
add_picture = _picture
draw_charts = _charts
page_setup = _setup
