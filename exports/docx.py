"""Draft of the «Relazione sulla performance» (Word): summary tables, the cascade as a
table and, for each objective, a paragraph generated from the data, its steps and the
verification notes. Marked «BOZZA» in the title and in every page header: a text to
be edited, not a final document. Pure: PlanMetrics → bytes."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from exports.common import (Table, cascade_table, group_frames, group_table, il_pct, late_table, objective_paragraph,
                            objective_steps, objectives_table, plural, steps_table, text, verification_notes)
from exports import criteria
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date, fmt_days, fmt_int

DRAFT = "BOZZA"
BLUE = RGBColor(0x1F, 0x4E, 0x79)
RED = RGBColor(0xC6, 0x28, 0x28)


def to_docx(pm: PlanMetrics) -> bytes:
    c, k = pm.ctx, pm.counts
    doc = Document()
    _setup(doc, pm)
    when = fmt_date(c.as_of)

    t = doc.add_heading(f"Relazione sulla performance {c.year} — {DRAFT}", level=0)
    t.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p = doc.add_paragraph()
    r = p.add_run(f"{c.ente}\n{c.titolo}")
    r.font.size, r.bold = Pt(13), True
    p = doc.add_paragraph()
    r = p.add_run(f"{DRAFT} generata automaticamente dal Cruscotto Performance con i dati al {when} "
                  f"(versione {c.version} del piano): testo da rivedere e completare prima dell'approvazione.")
    r.italic, r.font.color.rgb = True, RED

    doc.add_heading("1. Sintesi dei risultati", level=1)
    if pm.achievement is None and (waiting := criteria.plan_waiting_text(pm)):
        intro = f"Al {when} il raggiungimento del piano è {waiting}: nessun obiettivo ha ancora un valore (non è 0%)."
    elif pm.achievement is None:
        intro = (f"Al {when} il raggiungimento del piano non è calcolabile: nessun obiettivo è valutabile per il "
                 f"{c.year}.")
    else:
        intro = (f"Al {when} il piano ha raggiunto {il_pct(pm.achievement)}, media dei raggiungimenti degli "
                 f"obiettivi valutabili ({k['objectives_evaluable']} su {k['objectives']}) pesata sui rispettivi pesi.")
    if k["steps_due"]:
        items = [plural(k["completed"], "completato", "completati")
                 + (f" (di cui {fmt_int(k['late'])} in ritardo rispetto al termine)" if k["late"] else "")]
        for n, one, many in ((k["overdue"], "scaduto senza completamento", "scaduti senza completamento"),
                             (k["neutralized"], "neutralizzato per cause non imputabili all'ente",
                              "neutralizzati per cause non imputabili all'ente"),
                             (k["continuous"], "continuativo (termine non datato)", "continuativi (termine non datato)")):
            if n:
                items.append(plural(n, one, many))
        head = (f"Dei {fmt_int(k['steps_due'])} step con termine nel {c.year}" if k["steps_due"] > 1
                else f"Dell'unico step con termine nel {c.year}")
        intro += f" {head}: " + ", ".join(items[:-1]) + (" e " if len(items) > 1 else "") + items[-1] + "."
    if pm.slippage.get("max_delay") is not None:
        intro += (f" Il ritardo mediano è di {fmt_days(pm.slippage['median_delay'])}, il massimo di "
                  f"{fmt_days(pm.slippage['max_delay'])}.")
    if k["verifications"] == 0 and k["steps"]:
        intro += " Il piano non ha ancora verifiche registrate: gli obiettivi sono in attesa del primo monitoraggio."
    doc.add_paragraph(intro)
    _table(doc, [["Indicatore", "Valore"],
                 ["Raggiungimento del piano", criteria.plan_value(pm)], *criteria.summary_rows(pm),
                 ["Obiettivi valutabili", f"{k['objectives_evaluable']} su {k['objectives']}"],
                 ["Obiettivi neutralizzati", fmt_int(k["objectives_neutralized"])],
                 ["Step dell'anno", fmt_int(k["steps_due"])], ["Step completati", fmt_int(k["completed"])],
                 ["Step in ritardo", fmt_int(k["late"])], ["Step scaduti", fmt_int(k["overdue"])],
                 ["Step neutralizzati", fmt_int(k["neutralized"])], ["Step continuativi", fmt_int(k["continuous"])]],
           widths=[8, 4], numeric=(1,))
    # «Perché questo valore» and the forecast (issue 8)
    doc.add_heading("Perché questo valore", level=2)
    for para in criteria.why_plan_paragraphs(pm):
        doc.add_paragraph(para)
    _table(doc, criteria.why_plan_table(pm), widths=[1, 7, 1.3, 1.8, 1.3, 1.3], numeric=(2, 3, 4, 5), size=8)

    doc.add_heading("2. Raggiungimento per obiettivo", level=1)
    _from(doc, objectives_table(pm), drop=(2,))
    for title, df in group_frames(pm):
        doc.add_heading(f"Raggiungimento {title.lower()}", level=2)
        _from(doc, group_table(df, title.replace("Per ", "").capitalize()))

    doc.add_heading("3. Cascata strategica", level=1)
    casc = cascade_table(pm)
    if casc is None:
        doc.add_paragraph("Il piano non collega gli obiettivi ad aree e obiettivi strategici.")
    else:
        doc.add_paragraph("Ogni obiettivo collegato a più obiettivi strategici conta per intero in ciascuno; il "
                          "raggiungimento di un'area è la media pesata degli obiettivi distinti che vi concorrono.")
        _from(doc, casc)

    doc.add_heading("4. Step in ritardo e scaduti", level=1)
    late = late_table(pm)
    if late.rows:
        _from(doc, late)
    else:
        doc.add_paragraph("Nessuno step in ritardo o scaduto alla data di monitoraggio.")

    doc.add_heading("5. Risultati dei singoli obiettivi", level=1)
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
            for n in notes:
                doc.add_paragraph(n, style="List Bullet")
        p = doc.add_paragraph()
        r = p.add_run("[Commento del responsabile: da completare]")
        r.italic, r.font.color.rgb = True, RED
    criteria.add_criteria_section(doc, pm, _table, 6)   # «Criteri di misurazione», from the profile
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _setup(doc, pm: PlanMetrics) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.8))
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "it-IT")
    rpr.append(lang)
    hp = sec.header.paragraphs[0]
    hp.text = ""
    r = hp.add_run(f"{DRAFT} — Relazione sulla performance {pm.ctx.year} · {pm.ctx.ente}")
    r.bold, r.font.size, r.font.color.rgb = True, Pt(9), RED
    fp = sec.footer.paragraphs[0]
    fp.text = f"Dati al {fmt_date(pm.ctx.as_of)} · documento in bozza generato dal Cruscotto Performance"
    fp.runs[0].font.size = Pt(8)
    doc.core_properties.title = f"Relazione sulla performance {pm.ctx.year} ({DRAFT})"
    doc.core_properties.author = pm.ctx.ente
    doc.core_properties.language = "it-IT"


def _from(doc, t: Table, drop: tuple[int, ...] = (), size: float = 9) -> None:
    keep = [j for j in range(len(t.columns)) if j not in drop]
    rows = [[t.columns[j] for j in keep]] + [[r[j] for j in keep] for r in t.rows]
    widths = [(t.widths or [1] * len(t.columns))[j] for j in keep]
    _table(doc, rows, widths=widths, numeric=tuple(keep.index(j) for j in t.numeric if j in keep), size=size,
           bold_rows={i + 1 for i in t.bold_rows})


def _table(doc, rows: list[list[str]], widths: list[float], numeric: tuple[int, ...] = (), size: float = 9,
           bold_rows: set[int] = frozenset()) -> None:
    """A native Word table with a shaded header row that repeats on each page."""
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    total, usable = sum(widths), 26.0
    for i, row in enumerate(rows):
        cells = table.rows[i].cells
        for j, value in enumerate(row):
            cell = cells[j]
            cell.width = Cm(usable * widths[j] / total)
            p = cell.paragraphs[0]
            r = p.add_run(value)
            r.font.size = Pt(size)
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
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    h = OxmlElement("w:tblHeader")
    h.set(qn("w:val"), "true")
    tr_pr.append(h)
    doc.add_paragraph()


def _shade(cell, hex_color: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_color)
    tc_pr.append(shd)
