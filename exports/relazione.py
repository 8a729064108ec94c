"""The «Relazione sulla performance» (d.lgs. 150/2009 art. 10) and the Nucleo's «documento di validazione»,
Word and tagged PDF/A-2. Pure builders: :class:`RelazioneInput` → bytes.

The Relazione follows the shape consortia publish (seed 004, CISA 31 Relazione 2023):

1. Presentazione e sintesi per i cittadini;
2. Contesto e risorse (the texts the ente writes in the app, :mod:`store.relazione`, and the staff counts
   of the Personale sheet);
3. Obiettivi, risultati raggiunti e scostamenti: per objective the four rows *Indicatori e target*,
   *Risultato misurato*, *Fonti di dati utilizzate*, *Risultato valutato*, then the register of variances;
4. Performance individuale: the distribution of evaluations in bands, aggregated, no names;
5. Processo di redazione: the timeline (imports, monitoring dates, approval act, validation);

Allegato A, the measuring criteria (profile); Allegato B, the documento di validazione. «BOZZA» stays in
the title, the header and the file's properties until the closing state is *validata* (or *validata con
rilievi*).

The variance register, the closing state and the carte di lavoro come from the year-end workflow (another
module): they are plain data here, with the shapes of :data:`REGISTER_COLUMNS`, :data:`CLOSING_KEYS`
and :data:`WORK_PAPER_KEYS`. :func:`relazione_input` assembles the input from the database (texts and
timeline) for the exports and the CLI; the year-end workflow passes its own register, state and papers.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from exports import criteria
from exports.common import missing, objective_steps, text
from exports.phrasing import objective_paragraph, plural
from exports.tables import cascade_table, objectives_table
from exports.docx import (BLUE, RED, USABLE_CM, add_frame_table, add_picture, add_table, draw_charts, page_setup,
                          summary_intro)
from exports.pdf import require_office, to_pdf_a
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date, fmt_delta, fmt_int, fmt_num, fmt_pct
from metrics.formulas import evaluation_distribution

DRAFT = "BOZZA"
LABEL_CM = 3.6          # the label column of an objective's table (the four rows of seed 004)

# ----------------------------------------------------------------------------- input shapes
#: The variance register (Registro degli scostamenti), one row per objective, step or indicator below target.
#: ``level``: obiettivo | step | indicatore; ``planned``/``actual``/``variance_abs``: percentages 0–100 (or
#: the indicator's unit); ``variance_pct``: variance in % of planned; ``cause``: esogena | endogena |
#: indicatore (or the Italian label); ``imputabile``: sì | no | in parte; ``treatment``: nessuno |
#: neutralizzazione | ripesatura; ``new_weight``: for a ripesatura; ``organ``/``act``/``act_date``: the
#: decision (CdA, «Delibera n. 5», date); ``decided``: True once the act is recorded.
REGISTER_COLUMNS = ["level", "code", "title", "planned", "actual", "variance_abs", "variance_pct", "cause",
                    "imputabile", "description", "evidence", "treatment", "new_weight", "organ", "act", "act_date",
                    "decided"]
#: The closing state: ``state`` one of :data:`STATES`; the approval act (text and date); the validation's
#: outcome (validata | validata con rilievi | non validata), date and who validated (the Nucleo / OIV).
CLOSING_KEYS = ("state", "approval_act", "approval_date", "validation_outcome", "validation_date", "validated_by")
STATES = ("in lavorazione", "approvata", "in validazione", "validata", "validata con rilievi", "non validata")
VALIDATED = ("validata", "validata con rilievi")
#: The carte di lavoro: ``criteria`` = [{criterion, outcome, reason}], ``objectives`` = [{code, source, method,
#: sample (e.g. «3 su 12», optional), outcome (conforme | con rilievi | non conforme), note}].
WORK_PAPER_KEYS = {"criteria": ("criterion", "outcome", "reason"),
                   "objectives": ("code", "source", "method", "sample", "outcome", "note")}
#: The criteria of the validation (CiVIT delibera 6/2012; the issue's list), in order.
CRITERIA = ("Conformità al Piano", "Attendibilità dei dati", "Comprensibilità", "Coerenza tra punteggi",
            "Scostamenti motivati")
#: The Registro's timeline: one row per event, oldest first.
TIMELINE_COLUMNS = ["date", "phase", "detail"]

CAUSES = {"esogena": "esogena (fattori esterni)", "endogena": "endogena (fattori interni)",
          "indicatore": "indicatore o target non adeguato"}


def empty_register() -> pd.DataFrame:
    return pd.DataFrame(columns=REGISTER_COLUMNS)


def open_closing() -> dict:
    """The closing state of a year not yet approved."""
    return {"state": "in lavorazione", "approval_act": None, "approval_date": None, "validation_outcome": None,
            "validation_date": None, "validated_by": None}


@dataclass
class RelazioneInput:
    """Everything the Relazione and the documento di validazione show (see the module docstring)."""
    pm: PlanMetrics
    register: pd.DataFrame = field(default_factory=empty_register)
    closing: dict = field(default_factory=open_closing)
    work_papers: dict = field(default_factory=lambda: {"criteria": [], "objectives": []})
    context: dict[str, str] = field(default_factory=dict)        # store.relazione.BLOCKS key → text
    timeline: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TIMELINE_COLUMNS))
    #: The figures after the decided treatments («netto»), when the register has any: {"plan": 0–100 | None,
    #: "objectives": {code: 0–100 | None}}. None = no decided treatment: netto equals lordo (the PlanMetrics).
    net: dict | None = None

    def __post_init__(self) -> None:
        reg = self.register if self.register is not None else empty_register()
        for c in REGISTER_COLUMNS:
            if c not in reg.columns:
                reg = reg.assign(**{c: None})
        self.register = reg[REGISTER_COLUMNS].reset_index(drop=True)
        self.closing = {**open_closing(), **(self.closing or {})}
        if self.closing["state"] not in STATES:
            raise ValueError(f"stato di chiusura «{self.closing['state']}» sconosciuto: usare {', '.join(STATES)}")
        self.work_papers = {"criteria": list((self.work_papers or {}).get("criteria") or []),
                            "objectives": list((self.work_papers or {}).get("objectives") or [])}

    @property
    def validated(self) -> bool:
        """The Relazione is validated (the «BOZZA» mark goes away)."""
        return self.closing["state"] in VALIDATED


# ----------------------------------------------------------------------------- assembling from the database
def relazione_input(db: Any, pm: PlanMetrics, register: pd.DataFrame | None = None, closing: dict | None = None,
                    work_papers: dict | None = None, net: dict | None = None) -> RelazioneInput:
    """The input of the plan-year's Relazione: the ente's texts (:mod:`store.relazione`) and the timeline
    from the Registro, with the year-end workflow's register, state and papers when given."""
    from store.relazione import current_texts

    if db is not None and (register is None or closing is None or work_papers is None or net is None):
        stored = closing_data(db, pm)
        register = stored["register"] if register is None else register
        closing = stored["closing"] if closing is None else closing
        work_papers = stored["work_papers"] if work_papers is None else work_papers
        net = stored["net"] if net is None else net
    closing = {**open_closing(), **(closing or {})}
    return RelazioneInput(pm, register=register if register is not None else empty_register(), closing=closing,
                          work_papers=work_papers or {}, context=current_texts(db, pm.ctx.ente, pm.ctx.year),
                          timeline=timeline(db, pm, closing), net=net)


def closing_data(db: Any, pm: PlanMetrics) -> dict:
    """The year-end workflow's data of the plan-year (:mod:`metrics.closing`, :mod:`metrics.variances`) in
    this module's shapes: ``register`` (:data:`REGISTER_COLUMNS`), ``closing`` (:data:`CLOSING_KEYS`),
    ``work_papers`` (:data:`WORK_PAPER_KEYS`), ``net`` ({plan, objectives: {code: value}} or None when no
    treatment is decided)."""
    from metrics import closing as C
    from metrics import variances as V

    plan_id, year = pm.ctx.plan_id, pm.ctx.year
    reg = V.register(db, plan_id, year)
    register = pd.DataFrame({
        "level": reg["level"],
        "code": [s if text(s) else o for o, s in zip(reg["objective_code"], reg["step_code"])],
        "title": reg["label"], "planned": reg["planned"], "actual": reg["actual"],
        "variance_abs": reg["variance_abs"], "variance_pct": reg["variance_pct"], "cause": reg["cause"],
        "imputabile": reg["imputabile"], "description": reg["description"], "evidence": reg["evidence"],
        "treatment": reg["treatment"], "new_weight": reg["new_weight"], "organ": reg["decision_organ"],
        "act": reg["decision_act"], "act_date": reg["decision_date"], "decided": reg["decided"].fillna(False)},
        columns=REGISTER_COLUMNS)
    st = C.state(db, plan_id, year)
    appr, val = st.get("approval") or {}, st.get("validation") or {}
    closing = {"state": st["state"], "approval_act": appr.get("act"), "approval_date": appr.get("date"),
               "validation_outcome": val.get("outcome"), "validation_date": val.get("date"),
               "validated_by": val.get("by")}
    wp = C.work_papers(db, plan_id, year)
    criteria = [{"criterion": CRITERIA[i] if i < len(CRITERIA) else c["label"], "outcome": c.get("outcome"),
                 "reason": " ".join(x for x in (text(c.get("note")), text((c.get("auto") or {}).get("text"))) if x)}
                for i, c in enumerate(wp["criteria"])]
    objectives = [{"code": o["code"], "source": o.get("data_source"), "method": o.get("method"),
                   "sample": (f"{o['sample_n']} su {o['sample_total']}" if o.get("sample_n") else None),
                   "outcome": o.get("outcome"), "note": o.get("note")}
                  for o in wp["objectives"] if o.get("outcome") or o.get("note") or o.get("data_source")]
    net = None
    fig = getattr(pm, "net", None)
    if fig is not None and bool(fig["objectives"]["treated"].any()):
        o = fig["objectives"]
        net = {"plan": fig["plan"]["net"],
               "objectives": {str(c): (None if pd.isna(v) else float(v)) for c, v in zip(o["code"], o["net"])}}
    return {"register": register, "closing": closing, "work_papers": {"criteria": criteria, "objectives": objectives},
            "net": net}


def timeline(db: Any, pm: PlanMetrics, closing: dict | None = None) -> pd.DataFrame:
    """Il processo di redazione: the plan's imports and measuring-system changes (from the Registro), the
    monitoring dates of the year (from the verifications), the ente's texts, the approval act and the
    validation. Oldest first; no user names (the document is public)."""
    from metrics.registro import audit_trail

    rows: list[dict] = []
    trail = audit_trail(db, plan_id=pm.ctx.plan_id, actions=("import", "ripristino", "contesto relazione"),
                        outcomes=("ok",))
    phases = {"import": "Caricamento dei dati del piano", "ripristino": "Ripristino di una versione del piano",
              "contesto relazione": "Testi di contesto della Relazione"}
    for _, e in trail.iterrows():
        detail = text(e["detail"]).split(";")[0]
        if e["action"] in ("import", "ripristino") and not missing(e.get("version")):
            detail = f"versione {fmt_int(e['version'])}: " + detail.split(" (")[0]
        rows.append({"date": pd.Timestamp(e["happened_at"]).date(), "phase": phases[e["action"]], "detail": detail})
    if pm.profile_version:
        rows.append({"date": None, "phase": "Sistema di misurazione", "detail": pm.profile_label})
    v = pm.verifications
    if len(v) and "verified_on" in v:
        days = v["verified_on"].map(_day)
        dates = sorted({d for d in days.dropna() if d.year == pm.ctx.year and d <= pm.ctx.as_of})
        for d in dates:
            n = int((days == d).sum())
            label = "Monitoraggio finale" if (d.month, d.day) == (12, 31) else "Monitoraggio intermedio"
            rows.append({"date": d, "phase": label, "detail": f"{fmt_int(n)} verifiche degli step al {fmt_date(d)}"})
    c = {**open_closing(), **(closing or {})}
    if c["approval_act"] or c["approval_date"]:
        rows.append({"date": c["approval_date"], "phase": "Approvazione della Relazione",
                     "detail": text(c["approval_act"]) or "atto dell'organo di indirizzo"})
    if c["validation_outcome"]:
        rows.append({"date": c["validation_date"], "phase": "Validazione del Nucleo di valutazione",
                     "detail": f"esito: {c['validation_outcome']}"})
    df = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    if len(df):
        df["_k"] = df["date"].map(lambda d: d if isinstance(d, dt.date) else dt.date.max)
        df = df.sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    return df


def _day(x: Any) -> dt.date | None:
    """A date of a frame (date, Timestamp or missing) as a plain date."""
    if missing(x):
        return None
    return x.date() if isinstance(x, (pd.Timestamp, dt.datetime)) else x


# ----------------------------------------------------------------------------- documents
def to_relazione_docx(inp: RelazioneInput) -> bytes:
    """The Relazione sulla performance as a Word file (A4)."""
    doc = Document()
    pm, c = inp.pm, inp.pm.ctx
    mark = "" if inp.validated else f" — {DRAFT}"
    page_setup(doc, pm, header=f"{DRAFT} — Relazione sulla performance {c.year} · {c.ente}" if not inp.validated
               else f"Relazione sulla performance {c.year} · {c.ente}",
               footer=_footer(inp), title=f"Relazione sulla performance {c.year}" + (f" ({DRAFT})" if mark else ""))
    if inp.validated:       # a validated document: the header is not a warning any more
        for r in doc.sections[0].header.paragraphs[0].runs:
            r.font.color.rgb = BLUE
    t = doc.add_heading(f"Relazione sulla performance {c.year}{mark}", level=0)
    t.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p = doc.add_paragraph()
    r = p.add_run(f"{c.ente}\n{c.titolo}")
    r.font.size, r.bold = Pt(13), True
    _status_line(doc, inp)
    charts = draw_charts(pm)
    for number, section in enumerate(SECTIONS, start=1):
        section(doc, inp, number, charts)
    doc.add_page_break()
    criteria.add_criteria_section(doc, pm, add_table, "Allegato A")
    doc.add_page_break()
    doc.add_heading("Allegato B. Documento di validazione", level=1)
    if inp.closing["validation_outcome"]:
        _validation_body(doc, inp, level=2)
    else:
        doc.add_paragraph("Il Nucleo di valutazione non ha ancora validato la Relazione: il documento di validazione "
                          "sarà allegato qui quando la validazione sarà conclusa.")
    return _save(doc)


def to_validation_docx(inp: RelazioneInput) -> bytes:
    """The documento di validazione of the Relazione (Word, A4)."""
    doc = Document()
    pm, c = inp.pm, inp.pm.ctx
    done = bool(inp.closing["validation_outcome"])
    page_setup(doc, pm, header=(f"Documento di validazione · Relazione sulla performance {c.year} · {c.ente}" if done
                                else f"{DRAFT} — Documento di validazione {c.year} · {c.ente}"),
               footer=_footer(inp), title=f"Documento di validazione della Relazione sulla performance {c.year}"
               + ("" if done else f" ({DRAFT})"))
    if done:
        for r in doc.sections[0].header.paragraphs[0].runs:
            r.font.color.rgb = BLUE
    doc.add_heading(f"Documento di validazione della Relazione sulla performance {c.year}"
                    + ("" if done else f" — {DRAFT}"), level=0)
    p = doc.add_paragraph()
    r = p.add_run(f"{c.ente}\nNucleo di valutazione (art. 14, c. 4, lett. c e c. 6, d.lgs. 150/2009)")
    r.font.size, r.bold = Pt(13), True
    if not done:
        p = doc.add_paragraph()
        r = p.add_run(f"{DRAFT}: l'esito non è ancora stato espresso; le verifiche che il cruscotto può fare da sé "
                      "sono già riportate, le altre sono da completare nelle carte di lavoro.")
        r.italic, r.font.color.rgb = True, RED
    _validation_body(doc, inp, level=1)
    return _save(doc)


def to_relazione_pdf(inp: RelazioneInput) -> bytes:
    """The Relazione as tagged PDF/A-2 (LibreOffice, :func:`exports.pdf.to_pdf_a`)."""
    require_office()
    return to_pdf_a(to_relazione_docx(inp))


def to_validation_pdf(inp: RelazioneInput) -> bytes:
    require_office()
    return to_pdf_a(to_validation_docx(inp))


def to_docx(pm: PlanMetrics, db: Any = None) -> bytes:
    """The Relazione of the export menu and of ``python -m metrics export --format docx``: with the ente's
    texts and the timeline when the database is given."""
    if db is not None:
        return to_relazione_docx(relazione_input(db, pm))
    # without the database, the frozen record carried by ``pm`` (issue 16) still says the year is validated
    v = getattr(pm, "validated", None)
    closing = {"state": "validata", "validation_date": v["date"]} if v else None
    return to_relazione_docx(RelazioneInput(pm, closing=closing))


def to_pdf(pm: PlanMetrics, db: Any = None) -> bytes:
    """As :func:`to_docx`, as tagged PDF/A-2."""
    require_office()
    return to_pdf_a(to_docx(pm, db))


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _footer(inp: RelazioneInput) -> str:
    c = inp.pm.ctx
    base = f"Dati al {fmt_date(c.as_of)}, versione {c.version} del piano"
    if inp.validated:
        return f"{base} · validata il {fmt_date(inp.closing['validation_date'])}"
    return f"{base} · {DRAFT} generata dal Cruscotto Performance"


def _status_line(doc, inp: RelazioneInput) -> None:
    c, k = inp.pm.ctx, inp.closing
    parts = [f"Dati al {fmt_date(c.as_of)} (versione {c.version} del piano); sistema di misurazione: "
             f"{inp.pm.profile_label or inp.pm.profile.name}."]
    if k["approval_act"]:
        parts.append(f"Approvata con {text(k['approval_act'])}"
                     + (f" del {fmt_date(k['approval_date'])}" if k["approval_date"] and
                        fmt_date(k["approval_date"]) not in text(k["approval_act"]) else "") + ".")
    if inp.validated:
        parts.append(f"Validata dal Nucleo di valutazione il {fmt_date(k['validation_date'])}"
                     + (" con rilievi" if k["state"] == "validata con rilievi" else "") + ".")
    frozen = getattr(inp.pm, "validated", None)
    if frozen:   # the figures shown are the frozen validated record's (issue 16), with its fingerprint
        parts.append(f"Valori validati il {fmt_date(frozen['date'])} (impronta SHA-256 {frozen['sha256'][:16]}…).")
    p = doc.add_paragraph()
    r = p.add_run(" ".join(parts))
    r.italic = True
    if not inp.validated:
        r = p.add_run(f" {DRAFT}: documento non ancora validato dal Nucleo di valutazione (stato: {k['state']}); "
                      "la dicitura scompare con la validazione.")
        r.italic, r.font.color.rgb = True, RED


def _placeholder(doc, inp: RelazioneInput, what: str) -> None:
    """A missing text: a red note in a draft, nothing in a validated document."""
    if inp.validated:
        return
    p = doc.add_paragraph()
    r = p.add_run(f"[{what}: da scrivere nella pagina «Relazione» del cruscotto]")
    r.italic, r.font.color.rgb = True, RED


def _paragraphs(doc, body: str) -> None:
    for para in [b.strip() for b in body.replace("\r\n", "\n").split("\n\n") if b.strip()]:
        doc.add_paragraph(para)


# ----------------------------------------------------------------------------- 1. presentazione
def _presentation(doc, inp: RelazioneInput, n: int, charts: dict) -> None:
    pm = inp.pm
    doc.add_heading(f"{n}. Presentazione e sintesi per i cittadini", level=1)
    if inp.context.get("presentazione"):
        _paragraphs(doc, inp.context["presentazione"])
    else:
        _placeholder(doc, inp, "Presentazione dell'ente e della Relazione")
    doc.add_heading("I risultati in breve", level=2)
    doc.add_paragraph(citizens_summary(pm))
    doc.add_paragraph(summary_intro(pm))
    add_table(doc, [["Valore", "Dato"], ["Raggiungimento del piano", criteria.plan_value(pm)],
                    *criteria.summary_rows(pm)], size=9)       # score, cronoprogramma, measuring system
    add_picture(doc, charts, "gauge", alt=f"Tachimetro: raggiungimento del piano {criteria.plan_value(pm)}.")
    add_picture(doc, charts, "ranking", alt="Grafico a barre: raggiungimento di ciascun obiettivo, "
                + "; ".join(f"{o['code']} {fmt_pct(o['achievement'])}" for _, o in pm.objectives.iterrows()
                            if not missing(o["achievement"])) + ". Gli stessi valori sono nella tabella che segue.")
    add_frame_table(doc, objectives_table(pm), drop=(2,))


def citizens_summary(pm: PlanMetrics) -> str:
    """One paragraph in plain words: how many objectives, how many reached, the plan's figure."""
    o = pm.objectives
    ev = o[o["evaluable"] & o["achievement"].notna()] if len(o) else o
    full = int((ev["achievement"] >= 99.995).sum()) if len(ev) else 0
    c = pm.ctx
    head = (f"Nel {c.year} {c.ente} si è data {fmt_int(len(o))} obiettivi"
            if len(o) != 1 else f"Nel {c.year} {c.ente} si è data un obiettivo")
    if not len(ev):
        return head + ": alla data dei dati nessuno ha ancora un risultato misurato."
    tail = (f"; {fmt_int(full)} su {fmt_int(len(ev))} valutabili sono stati raggiunti pienamente"
            if len(ev) > 1 else ("; l'unico valutabile è stato raggiunto pienamente" if full else
                                 "; l'unico valutabile non è stato raggiunto pienamente"))
    plan = (f". Nel complesso il piano è stato realizzato al {fmt_pct(pm.achievement)}"
            if pm.achievement is not None else "")
    return head + tail + plan + ": la sezione 3 spiega, obiettivo per obiettivo, che cosa è stato fatto e perché."


# ----------------------------------------------------------------------------- 2. contesto
def _context(doc, inp: RelazioneInput, n: int, charts: dict) -> None:
    from store.relazione import BLOCKS

    doc.add_heading(f"{n}. Contesto e risorse", level=1)
    for block, (title, _) in BLOCKS.items():
        if block == "presentazione":
            continue
        body = inp.context.get(block, "")
        if not body and block != "personale" and inp.validated:
            continue
        doc.add_heading(title, level=2)
        if body:
            _paragraphs(doc, body)
        elif block != "personale":
            _placeholder(doc, inp, f"Testo «{title}»")
        if block == "personale":
            _staff(doc, inp, bool(body))


def staff_counts(pm: PlanMetrics) -> pd.DataFrame:
    """People of the Personale sheet per qualifica (role): ``role``, ``people`` (no names), most first."""
    p = pm.people
    if not len(p):
        return pd.DataFrame(columns=["role", "people"])
    roles = p["role"].map(lambda r: text(r) or "qualifica non indicata")
    out = roles.value_counts().rename_axis("role").reset_index(name="people")
    return out.sort_values(["people", "role"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _staff(doc, inp: RelazioneInput, has_text: bool) -> None:
    pm = inp.pm
    counts = staff_counts(pm)
    if not len(counts):
        if not has_text:
            _placeholder(doc, inp, "Testo «Personale» (il foglio Personale del piano non è compilato)")
        return
    doc.add_paragraph(f"Il foglio Personale del piano elenca {fmt_int(counts['people'].sum())} persone che "
                      f"concorrono agli obiettivi del {pm.ctx.year}, con {fmt_int(len(counts))} qualifiche diverse.")
    add_table(doc, [["Qualifica", "Persone"]] + [[r.role, fmt_int(r.people)] for r in counts.itertuples()]
              + [["Totale", fmt_int(counts["people"].sum())]], numeric=(1,), bold_rows={len(counts) + 1})


# ----------------------------------------------------------------------------- 3. obiettivi e scostamenti
def _results(doc, inp: RelazioneInput, n: int, charts: dict) -> None:
    pm = inp.pm
    doc.add_heading(f"{n}. Obiettivi, risultati raggiunti e scostamenti", level=1)
    doc.add_paragraph("Per ogni obiettivo: gli indicatori e i target del piano, il risultato misurato alle verifiche, "
                      "le fonti dei dati e il risultato valutato, con gli eventuali scostamenti e le loro cause.")
    if (plan_net := net_of(inp)) is not None:
        doc.add_paragraph(f"Raggiungimento del piano: {fmt_pct(pm.achievement)} lordo, come misurato; {fmt_pct(plan_net)} "
                          "netto, dopo i trattamenti degli scostamenti decisi dall'organo di indirizzo (registro in "
                          "fondo alla sezione).")
    doc.add_heading("Perché questo valore", level=2)      # how the figures are computed (issue 8)
    for para in criteria.why_plan_paragraphs(pm):
        doc.add_paragraph(para)
    add_table(doc, criteria.why_plan_table(pm), numeric=(2, 3, 4, 5), size=8)
    casc = cascade_table(pm)
    if casc is not None:
        doc.add_heading("Collegamento con gli obiettivi strategici", level=2)
        add_frame_table(doc, casc)
    by_objective = objective_steps(pm)
    register = inp.register
    for _, o in pm.objectives.iterrows():
        code = str(o["code"])
        doc.add_heading(f"Obiettivo {code} · {text(o['title'])}", level=2)
        doc.add_paragraph(objective_paragraph(pm, code, by_objective[code])).paragraph_format.keep_with_next = True
        doc.add_paragraph(criteria.why_objective_paragraph(pm, code)).paragraph_format.keep_with_next = True
        add_table(doc, objective_rows(inp, code), size=8.5, widths=[LABEL_CM, USABLE_CM - LABEL_CM])
    doc.add_heading("Registro degli scostamenti", level=2)
    if len(register):
        doc.add_paragraph("Ogni obiettivo, step o indicatore sotto il 100%, in ritardo o scaduto alla verifica di fine "
                          "anno, con la causa (Linee guida DFP n. 2/2017: esogena, endogena, indicatore o target non "
                          "adeguato) e il trattamento deciso dall'organo di indirizzo. Un trattamento cambia i valori "
                          "solo dopo l'atto che lo decide.")
        add_table(doc, register_rows(register), numeric=(2, 3, 4), size=7.5)
    else:
        below = _below_target(pm)
        if below:
            doc.add_paragraph("Il registro degli scostamenti non ha ancora righe. Sono sotto il 100% alla data dei dati: "
                              + "; ".join(below) + ".")
        else:
            doc.add_paragraph("Nessuno scostamento: tutti gli obiettivi valutabili hanno raggiunto il 100%.")


def _below_target(pm: PlanMetrics) -> list[str]:
    o = pm.objectives
    if not len(o):
        return []
    below = o[o["achievement"].notna() & (o["achievement"] < 99.995)]
    return [f"obiettivo {r['code']} ({fmt_pct(r['achievement'])})" for _, r in below.iterrows()]


def objective_rows(inp: RelazioneInput, code: str) -> list[list[str]]:
    """The rows of seed 004 for one objective: Obiettivo annuale, Indicatori e target, Risultato misurato,
    Fonti di dati utilizzate, Risultato valutato."""
    pm = inp.pm
    o = pm.objectives[pm.objectives["code"].astype(str) == code].iloc[0]
    steps = pm.steps[pm.steps["objective_code"].astype(str) == code] if len(pm.steps) else pm.steps
    inds = pm.indicators[pm.indicators["objective_code"].astype(str) == code] if len(pm.indicators) else pm.indicators
    return [["Voce", "Contenuto"],
            ["Obiettivo annuale", breakable(text(o["description"]) or text(o["title"]))],
            ["Indicatori e target", breakable(_targets(pm, steps, inds))],
            ["Risultato misurato", breakable(_measured(pm, o, steps, inds, net_text(inp, code)))],
            ["Fonti di dati utilizzate", breakable(_sources(inp, code, steps, inds))],
            ["Risultato valutato", breakable(_evaluated(inp, o, steps))]]


ZWSP = "\u200b"        # zero-width space: a place where Word and LibreOffice may break a line, invisible
LONG_TOKEN = 30
_LONG = re.compile(r"\S{%d,}" % LONG_TOKEN)


def breakable(s: str) -> str:
    """Long unbroken tokens (web addresses in the verification notes, wider than the column) get invisible
    break points after ``/ ? & = _ .``, so that a line breaks there and not inside a word."""
    return _LONG.sub(lambda m: re.sub(r"([/?&=_.])(?=\S)", "\\1" + ZWSP, m.group(0)), s)


def _targets(pm: PlanMetrics, steps: pd.DataFrame, inds: pd.DataFrame) -> str:
    lines = []
    for _, s in steps.iterrows():
        when = (f" (entro il {fmt_date(s['deadline'])})" if not missing(s["deadline"]) and not s["continuous"]
                else f" ({text(s['deadline_raw'])})" if text(s["deadline_raw"]) else "")
        kpi = f"; KPI: {text(s['kpi'])}" if text(s["kpi"]) else ""
        lines.append(f"{text(s['code'])} {text(s['description'])}{when}{kpi}")
    for _, i in inds.iterrows():
        target = text(i["target_raw"]) or "target non indicato"
        base = f", baseline {text(i['baseline_raw'])}" if text(i["baseline_raw"]) else ""
        lines.append(f"Indicatore {text(i['name'])}: target {target}{base}")
    return "\n".join(lines) or "Nessuno step o indicatore nel piano."


def net_of(inp: RelazioneInput, code: str | None = None) -> float | None:
    """The netto figure of the plan (``code`` None) or of an objective, when it differs from the lordo."""
    if not inp.net:
        return None
    value = inp.net.get("plan") if code is None else (inp.net.get("objectives") or {}).get(code)
    gross = inp.pm.achievement if code is None else \
        inp.pm.objectives.loc[inp.pm.objectives["code"].astype(str) == code, "achievement"].iloc[0]
    if missing(value) or (not missing(gross) and abs(float(value) - float(gross)) < 0.005):
        return None
    return float(value)


def net_text(inp: RelazioneInput, code: str) -> str | None:
    """«80,0% netto (…)» or «neutralizzato (…)» for an objective whose netto differs from its lordo, else None."""
    objs = (inp.net or {}).get("objectives") or {}
    gross = inp.pm.objectives.loc[inp.pm.objectives["code"].astype(str) == code, "achievement"].iloc[0]
    if code in objs and missing(objs[code]) and not missing(gross):
        return "netto: neutralizzato con atto dell'organo di indirizzo, non entra nella media del piano"
    value = net_of(inp, code)
    return None if value is None else f"{fmt_pct(value)} netto (dopo i trattamenti decisi)"


def _measured(pm: PlanMetrics, o: Any, steps: pd.DataFrame, inds: pd.DataFrame, net: str | None = None) -> str:
    parts = []
    if o["neutralized"]:
        parts.append(f"Obiettivo neutralizzato per il {pm.ctx.year}: non entra nella media del piano.")
    elif missing(o["achievement"]):
        parts.append(f"Raggiungimento non ancora misurabile ({text(o['status']) or 'non monitorato'}).")
    else:
        parts.append(f"Raggiungimento {fmt_pct(o['achievement'])}"
                     + (f" lordo (come misurato); {net}" if net is not None else "")
                     + f". Peso nel piano: {fmt_pct(o['weight_pct'])}.")
    due = steps[steps["due_in_year"]] if len(steps) else steps
    if len(due):
        done = int(due["completed"].fillna(False).astype(bool).sum())
        parts.append(f"Step completati: {fmt_int(done)} su {fmt_int(len(due))}"
                     + (f", di cui {fmt_int(int(o['late']))} in ritardo" if o["late"] else "")
                     + (f"; scaduti: {fmt_int(int(o['overdue']))}" if o["overdue"] else "") + ".")
        dates = sorted({_day(d) for d in due["verified_on"].dropna()})
        if dates:
            parts.append("Verifiche al " + ", ".join(fmt_date(d) for d in dates) + ".")
    for _, i in inds.iterrows():
        val = text(i["value_raw"])
        parts.append(f"{text(i['name'])}: " + (f"valore {val}" + (f" al {fmt_date(i['measured_on'])}"
                                                                    if not missing(i["measured_on"]) else "")
                                               + (f", raggiungimento {fmt_pct(i['achievement'])}"
                                                  if not missing(i["achievement"]) else "")
                                               if val else "non ancora rilevato") + ".")
    return " ".join(parts)


def _sources(inp: RelazioneInput, code: str, steps: pd.DataFrame, inds: pd.DataFrame) -> str:
    c = inp.pm.ctx
    parts = [f"Piano «{c.titolo}», versione {c.version}: fogli Obiettivi e Step"
             + (", Verifiche" if len(steps) and steps["verified"].fillna(False).any() else "")
             + (", Indicatori" if len(inds) else "") + "."]
    areas = sorted({text(a) for a in inds["org_area"].dropna()}) if len(inds) else []
    if areas:
        parts.append("Rilevazione degli indicatori: " + ", ".join(areas) + ".")
    resp = text(inp.pm.objectives.loc[inp.pm.objectives["code"].astype(str) == code, "responsible"].iloc[0])
    if resp:
        parts.append(f"Referenti: {resp}.")
    for wp in inp.work_papers["objectives"]:
        if str(wp.get("code")) == code and text(wp.get("source")):
            parts.append(f"Fonte verificata dal Nucleo: {text(wp['source'])}.")
    for _, r in _register_of(inp, code).iterrows():
        if text(r["evidence"]):
            parts.append(f"Evidenze dello scostamento {text(r['code'])}: {text(r['evidence'])}.")
    return " ".join(parts)


def _evaluated(inp: RelazioneInput, o: Any, steps: pd.DataFrame) -> str:
    notes: list[str] = []
    for note in steps["note"].dropna() if len(steps) else []:
        t = text(note)
        if t and t not in notes:
            notes.append(t)
    parts = [f"Esito: {text(o['status'])}." if text(o["status"]) else ""]
    parts += notes
    for _, r in _register_of(inp, str(o["code"])).iterrows():
        parts.append(register_sentence(r))
    return "\n".join(p for p in parts if p) or "Nessuna valutazione registrata."


def _register_of(inp: RelazioneInput, code: str) -> pd.DataFrame:
    """The register's rows of an objective: the objective itself, its steps and its indicators."""
    reg, pm = inp.register, inp.pm
    if not len(reg):
        return reg
    step_codes = set(pm.steps.loc[pm.steps["objective_code"].astype(str) == code, "code"].astype(str)) \
        if len(pm.steps) else set()
    ind = pm.indicators[pm.indicators["objective_code"].astype(str) == code] if len(pm.indicators) else pm.indicators
    ind_codes = set(ind["code"].dropna().astype(str)) | set(ind["name"].dropna().astype(str)) if len(ind) else set()

    def mine(r) -> bool:
        lvl, c = text(r["level"]).lower(), text(r["code"])
        return ((lvl.startswith("obiett") and c == code) or (lvl == "step" and c in step_codes)
                or (lvl.startswith("indicat") and c in ind_codes))
    return reg[reg.apply(mine, axis=1)]


def _cause(x: Any) -> str:
    t = text(x)
    return CAUSES.get(t.lower(), t) or "causa non indicata"


def _decision(r: Any) -> str:
    if not _truthy(r["decided"]) or not text(r["act"]):
        return "non ancora decisa"
    act = text(r["act"])
    organ = f"{text(r['organ'])}, " if text(r["organ"]) else ""
    when = f" del {fmt_date(r['act_date'])}" if not missing(r["act_date"]) and fmt_date(r["act_date"]) not in act else ""
    return f"{organ}{act}{when}"


def _truthy(x: Any) -> bool:
    return not missing(x) and x not in (False, 0, "no", "")


def _treatment(r: Any) -> str:
    t = text(r["treatment"]) or "nessuno"
    if t.lower().startswith("ripes") and not missing(r["new_weight"]):
        t += f" (nuovo peso {fmt_num(r['new_weight'])})"
    return t


def register_sentence(r: Any) -> str:
    """One register row in words (Risultato valutato)."""
    what = f"{text(r['level']).capitalize()} {text(r['code'])}"
    fig = ""
    if not missing(r["planned"]) and not missing(r["actual"]):
        fig = f": previsto {fmt_pct(r['planned'])}, effettivo {fmt_pct(r['actual'])}"
    s = (f"Scostamento — {what}{fig}. Causa {_cause(r['cause'])}; imputabile all'ente: {text(r['imputabile']) or 'non indicato'}."
         + (f" {text(r['description'])}" if text(r["description"]) else ""))
    t = _treatment(r)
    if t != "nessuno":
        s += f" Trattamento proposto: {t}; decisione: {_decision(r)}."
    return s


def register_rows(reg: pd.DataFrame) -> list[list[str]]:
    rows = [["Livello", "Codice", "Previsto", "Effettivo", "Scostamento", "Causa", "Imputabile", "Trattamento",
             "Decisione"]]
    for _, r in reg.iterrows():
        var = "" if missing(r["variance_abs"]) else fmt_delta(r["variance_abs"])
        if not missing(r["variance_pct"]):
            var += f" ({fmt_pct(r['variance_pct'])})" if var else fmt_pct(r["variance_pct"])
        rows.append([text(r["level"]), text(r["code"]), "" if missing(r["planned"]) else fmt_pct(r["planned"]),
                     "" if missing(r["actual"]) else fmt_pct(r["actual"]), var, _cause(r["cause"]),
                     text(r["imputabile"]), _treatment(r), _decision(r)])
    return rows


# ----------------------------------------------------------------------------- 4. performance individuale
def _individual(doc, inp: RelazioneInput, n: int, charts: dict) -> None:
    pm = inp.pm
    doc.add_heading(f"{n}. Performance individuale", level=1)
    if not len(pm.people):
        doc.add_paragraph("Il piano non ha il foglio Personale: la distribuzione delle valutazioni individuali non è "
                          "disponibile nel cruscotto.")
        return
    dist = evaluation_distribution(pm.people)
    graded = int(dist.loc[dist["band"] != "non valutati", "people"].sum())
    if graded == 0:
        doc.add_paragraph(f"Il foglio Personale elenca {fmt_int(len(pm.people))} persone ma nessuna valutazione: la "
                          "distribuzione sarà disponibile quando le valutazioni saranno inserite.")
        return
    doc.add_paragraph(f"Distribuzione delle valutazioni individuali (punteggio da 0 a 10, media delle valutazioni "
                      f"sugli obiettivi pesata sulla partecipazione): {fmt_int(graded)} persone valutate. I dati sono "
                      "aggregati: nessun nominativo è riportato.")
    rows = [["Fascia di punteggio", "Persone", "Quota"]]
    for _, r in dist.iterrows():
        if r["band"] == "non valutati" and not r["people"]:
            continue
        rows.append([r["band"], fmt_int(r["people"]), "" if missing(r["share"]) else fmt_pct(r["share"])])
    add_table(doc, rows, numeric=(1, 2))


# ----------------------------------------------------------------------------- 5. processo di redazione
def _process(doc, inp: RelazioneInput, n: int, charts: dict) -> None:
    doc.add_heading(f"{n}. Processo di redazione", level=1)
    doc.add_paragraph("La Relazione è redatta dall'ente con i dati del piano caricati nel cruscotto e verificati alle "
                      "date di monitoraggio; è approvata dall'organo di indirizzo e validata dal Nucleo di valutazione "
                      "(art. 14, c. 4, lett. c, d.lgs. 150/2009), condizione per l'erogazione dei premi (art. 14, c. 6).")
    tl = inp.timeline
    if len(tl):
        add_table(doc, [["Data", "Fase", "Dettaglio"]] + [
            ["" if missing(r["date"]) else fmt_date(r["date"]), text(r["phase"]), text(r["detail"])]
            for _, r in tl.iterrows()], size=8.5)
    else:
        doc.add_paragraph("Le fasi sono registrate nel Registro delle attività del cruscotto.")
    k = inp.closing
    if not k["approval_act"]:
        _placeholder(doc, inp, "Atto di approvazione (si registra nella pagina «Chiusura dell'anno»)")


SECTIONS = [_presentation, _context, _results, _individual, _process]


# ----------------------------------------------------------------------------- documento di validazione
def auto_checks(inp: RelazioneInput) -> list[list[str]]:
    """What the product checks by itself, with the outcome in words: every objective reported, every register
    row with a cause, every decided treatment with its act. (The recalculation against the stored figures is
    the frozen record's check.)"""
    pm, reg = inp.pm, inp.register
    n_obj = len(pm.objectives)
    rows = [["Ogni obiettivo del piano è rendicontato", "conforme",
             f"{fmt_int(n_obj)} obiettivi su {fmt_int(n_obj)} nella sezione 3, ciascuno con le quattro voci."]]
    no_cause = [text(r["code"]) for _, r in reg.iterrows() if not text(r["cause"])]
    rows.append(["Ogni scostamento ha una causa", "conforme" if not no_cause else "con rilievi",
                 plural(len(reg), "riga", "righe") + " nel registro" + (f"; senza causa: {', '.join(no_cause)}" if no_cause
                                                               else "") + "."])
    treated = [r for _, r in reg.iterrows() if text(r["treatment"]).lower() not in ("", "nessuno")]
    no_act = [text(r["code"]) for r in treated if not _truthy(r["decided"]) or not text(r["act"])]
    rows.append(["Ogni neutralizzazione o ripesatura ha il suo atto", "conforme" if not no_act else "con rilievi",
                 plural(len(treated), "trattamento proposto", "trattamenti proposti") + (f"; senza atto (non applicati): {', '.join(no_act)}"
                                                                   if no_act else "") + "."])
    return rows


def _validation_body(doc, inp: RelazioneInput, level: int) -> None:
    pm, c, k = inp.pm, inp.pm.ctx, inp.closing
    h = level if level == 1 else 2
    sub = min(h + 1, 3)
    doc.add_heading(f"{'1. ' if h == 1 else ''}Atto esaminato", level=h)
    act = (f"Relazione sulla performance {c.year} di {c.ente}, approvata con {text(k['approval_act'])}"
           + (f" del {fmt_date(k['approval_date'])}" if k["approval_date"] and fmt_date(k["approval_date"])
              not in text(k["approval_act"]) else "") + "."
           if k["approval_act"] else
           f"Relazione sulla performance {c.year} di {c.ente}, non ancora approvata dall'organo di indirizzo.")
    doc.add_paragraph(act)
    doc.add_heading(f"{'2. ' if h == 1 else ''}Documenti esaminati", level=h)
    docs = [f"Piano «{c.titolo}», versione {c.version}, dati al {fmt_date(c.as_of)}.",
            f"Sistema di misurazione e valutazione: {pm.profile_label or pm.profile.name}.",
            f"Registro degli scostamenti: {plural(len(inp.register), 'riga', 'righe')}.",
            f"Carte di lavoro: {plural(len(inp.work_papers['criteria']), 'criterio', 'criteri')} e "
            f"{plural(len(inp.work_papers['objectives']), 'obiettivo esaminato', 'obiettivi esaminati')}.",
            "Registro delle attività del cruscotto (caricamenti, monitoraggi, approvazione)."]
    for d in docs:
        doc.add_paragraph(d, style="List Bullet")
    doc.add_heading(f"{'3. ' if h == 1 else ''}Criteri ed esito motivato", level=h)
    given = {text(x.get("criterion")).lower(): x for x in inp.work_papers["criteria"]}
    rows = [["Criterio", "Esito", "Motivazione"]]
    for name in CRITERIA:
        x = given.pop(name.lower(), None)
        rows.append([name, text(x.get("outcome")) if x else "da esprimere",
                     text(x.get("reason")) if x else "Da compilare nella carta di lavoro del criterio."])
    for x in given.values():      # criteria the Nucleo added
        rows.append([text(x.get("criterion")), text(x.get("outcome")), text(x.get("reason"))])
    add_table(doc, rows, size=8.5)
    doc.add_heading("Verifiche svolte dal cruscotto", level=sub)
    add_table(doc, [["Verifica", "Esito", "Dettaglio"]] + auto_checks(inp), size=8.5)
    doc.add_heading(f"{'4. ' if h == 1 else ''}Esito complessivo", level=h)
    if k["validation_outcome"]:
        who = text(k["validated_by"])
        by = f" ({who})" if who and "nucleo" not in who.lower() else ""     # «Nucleo di valutazione» is the subject
        p = doc.add_paragraph()
        r = p.add_run(f"Il Nucleo di valutazione{by}, esaminati i documenti sopra elencati, esprime l'esito: "
                      f"{text(k['validation_outcome']).upper()}")
        r.bold = True
        p.add_run(f" (il {fmt_date(k['validation_date'])}).")
    else:
        doc.add_paragraph("Esito non ancora espresso.")
    doc.add_heading(f"{'Allegato. ' if h == 1 else ''}Sintesi delle carte di lavoro", level=h if h == 1 else sub)
    papers = inp.work_papers["objectives"]
    if papers:
        add_table(doc, [["Obiettivo", "Fonte dei dati", "Metodo", "Esito", "Nota"]] + [
            [text(x.get("code")), text(x.get("source")),
             text(x.get("method")) + (f" ({text(x.get('sample'))})" if text(x.get("sample")) else ""),
             text(x.get("outcome")) or "da esprimere", text(x.get("note"))] for x in papers], size=8)
    else:
        doc.add_paragraph("Nessuna carta di lavoro per obiettivo ancora compilata.")


__all__ = ["CLOSING_KEYS", "CRITERIA", "REGISTER_COLUMNS", "RelazioneInput", "STATES", "TIMELINE_COLUMNS",
           "VALIDATED", "WORK_PAPER_KEYS", "auto_checks", "net_of", "net_text", "citizens_summary", "empty_register", "objective_rows",
           "open_closing", "register_rows", "relazione_input", "staff_counts", "timeline", "to_docx", "to_pdf",
           "to_relazione_docx", "to_relazione_pdf", "to_validation_docx", "to_validation_pdf"]
