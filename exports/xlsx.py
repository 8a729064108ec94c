"""Excel of the results in the shape of the seeds' report tables: per objective and per
step (termine, peso, peso anno, verifica, % raggiungimento), the summary by area and
type, the cascade and the late steps. Numbers stay numbers (percent and date formats,
shown Italian-style by an Italian Excel); every text cell goes through
:func:`exports.common.neutralize`, so a verification text cannot become a formula.
Pure: PlanMetrics → bytes."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.common import fraction, missing, neutralize, step_weight_pct, text
from exports.tables import cascade_table, group_frames, late_steps
from domain.status import STATUS_NEUTRALIZED, STATUS_UNVERIFIED
from metrics import timing
from metrics.engine import PlanMetrics

PCT, DATE, INT, NUM = "0.0%", "DD/MM/YYYY", "#,##0", "#,##0.0"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
BOLD = Font(bold=True)


def cell_value(v: Any) -> Any:
    """A value ready for openpyxl: missing → None, text cleaned and neutralised, dates kept."""
    if missing(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, str):
        return neutralize(ILLEGAL_CHARACTERS_RE.sub("", v))
    if isinstance(v, (bool, int, float, dt.date)):
        return v
    if hasattr(v, "item"):          # numpy scalars
        return v.item()
    return neutralize(ILLEGAL_CHARACTERS_RE.sub("", str(v)))


class _Sheet:
    def __init__(self, wb: Workbook, title: str):
        self.ws = wb.create_sheet(title)
        self.row = 1

    def put(self, values: list, formats: list[str | None] | None = None, font: Font | None = None) -> None:
        for j, v in enumerate(values, start=1):
            c = self.ws.cell(row=self.row, column=j, value=cell_value(v))
            fmt = formats[j - 1] if formats and j - 1 < len(formats) else None
            if fmt:
                c.number_format = fmt
            elif isinstance(c.value, dt.date):
                c.number_format = DATE
            if font:
                c.font = font
        self.row += 1

    def header(self, names: list[str]) -> int:
        r = self.row
        self.put(names, font=HEADER_FONT)
        for j in range(1, len(names) + 1):
            c = self.ws.cell(row=r, column=j)
            c.fill = HEADER_FILL
            c.alignment = Alignment(wrap_text=True, vertical="center")
        return r

    def table(self, names: list[str], rows: list[list], formats: list[str | None], widths: list[float],
              wrap: tuple[int, ...] = (), freeze: bool = True) -> None:
        first = self.header(names)
        for r in rows:
            self.put(r, formats)
        last = self.row - 1
        for j, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(j)].width = w
        for j in wrap:
            for (c,) in self.ws.iter_rows(min_row=first + 1, max_row=last, min_col=j + 1, max_col=j + 1):
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if freeze and first == 1:
            self.ws.freeze_panes = self.ws.cell(row=2, column=1)
            if rows:
                self.ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{last}"


def to_xlsx(pm: PlanMetrics) -> bytes:
    """The results workbook: Riepilogo, Obiettivi, Step, Cascata, Ritardi."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = f"{pm.ctx.titolo} — risultati"
    wb.properties.creator = "Cruscotto Performance"
    _summary(wb, pm)
    _objectives(wb, pm)
    _steps(wb, pm)
    _cascade(wb, pm)
    _late(wb, pm)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(wb: Workbook, pm: PlanMetrics) -> None:
    s, c, k = _Sheet(wb, "Riepilogo"), pm.ctx, pm.counts
    s.put(["Risultati del piano della performance"], font=TITLE_FONT)
    s.row += 1
    for label, value, fmt in [
        ("Ente", c.ente, None), ("Piano", c.titolo, None), ("Anno", c.year, "0"),
        ("Data di monitoraggio", c.as_of, DATE), ("Versione del piano", c.version, "0"),
        ("Raggiungimento del piano", fraction(pm.achievement), PCT),
        ("Rispetto del cronoprogramma", fraction(pm.adherence), PCT),          # rule 10 (issue 15)
        ("Fascia e stato da", pm.headline()["basis"], None),
        *([("Raggiungimento netto (trattamenti decisi)", fraction(pm.net["plan"]["net"]), PCT)]   # issue 16
          if pm.net and pm.net["objectives"]["treated"].any() else []),
        *([("Validato il", pm.validated["date"], DATE), ("Validato da", pm.validated["by"], None),
           ("Impronta SHA-256 dei dati validati", pm.validated["sha256"], None)] if pm.validated else []),
        ("Obiettivi", k["objectives"], INT), ("Obiettivi valutabili", k["objectives_evaluable"], INT),
        ("Obiettivi neutralizzati", k["objectives_neutralized"], INT), ("Step dell'anno", k["steps_due"], INT),
        ("Step completati", k["completed"], INT), ("Step in ritardo", k["late"], INT),
        ("Step scaduti", k["overdue"], INT), ("Step neutralizzati", k["neutralized"], INT),
        ("Step continuativi", k["continuous"], INT), ("Verifiche", k["verifications"], INT),
        ("Punteggio del piano", pm.score, "0.0"), ("Sistema di misurazione", pm.profile_label, None),   # issue 8
        *([("Previsione a fine anno (attesa)", fraction(pm.forecast["expected"]), PCT),
           ("Previsione a fine anno (minima)", fraction(pm.forecast["low"]), PCT),
           ("Previsione a fine anno (massima)", fraction(pm.forecast["high"]), PCT)] if pm.forecast else []),
    ]:
        s.put([label, value], [None, fmt])
        s.ws.cell(row=s.row - 1, column=1).font = BOLD
    for title, df in group_frames(pm):
        s.row += 1
        s.put([f"Raggiungimento {title.lower()}"], font=TITLE_FONT)
        s.table([title.replace("Per ", "").capitalize(), "Obiettivi", "Raggiungimento"],
                [[r.label, r.objectives, fraction(r.achievement)] for r in df.itertuples()],
                [None, INT, PCT], [48, 14, 18], freeze=False)
    s.ws.column_dimensions["A"].width = 48
    s.ws.column_dimensions["B"].width = 60


def _objectives(wb: Workbook, pm: PlanMetrics) -> None:
    s = _Sheet(wb, "Obiettivi")
    o = pm.objectives
    rows = [[r["code"], r["title"], r["type"], r["responsible"], ", ".join(map(str, r["strategic_codes"])),
             fraction(r["weight_pct"]), fraction(r["achievement"]), fraction(r["adherence"]), r["status"], r["band"],
             int(r["steps"]),
             int(r["steps_due"]), int(pm.steps.loc[(pm.steps["objective_code"] == r["code"]) & pm.steps["due_in_year"],
                                                    "completed"].sum()),
             int(r["late"]), int(r["overdue"])] for _, r in o.iterrows()]
    s.table(["Codice", "Obiettivo", "Tipo", "Responsabile", "Obiettivi strategici", "Peso", "% raggiungimento",
             "% cronoprogramma", "Stato", "Fascia", "Step", "Step dell'anno", "Completati", "In ritardo", "Scaduti"],
            rows, [None, None, None, None, None, PCT, PCT, PCT, None, None, INT, INT, INT, INT, INT],
            [9, 60, 13, 28, 16, 9, 14, 14, 15, 9, 7, 10, 11, 10, 9], wrap=(1, 3))


def _steps(wb: Workbook, pm: PlanMetrics) -> None:
    s = _Sheet(wb, "Step")
    st = pm.steps
    w = step_weight_pct(st)
    rows = []
    for (_, r), wi in zip(st.iterrows(), w):
        ach = None if r["status"] in (STATUS_UNVERIFIED, STATUS_NEUTRALIZED) else fraction(r["achievement"])
        rows.append([r["objective_code"], r["code"], r["description"], r["deadline"], r["deadline_raw"],
                     r["revised_deadline"], r["kpi"], r["responsible"], fraction(wi),
                     fraction(r["year_weight"]) if r["due_in_year"] else None, r["status"], r["status_raw"], ach,
                     r["verified_on"], r["completed_on"], r["timing"], r["slip_days"], r["overdue_days"], r["note"]])
    s.table(["Obiettivo", "Step", "Descrizione", "Termine", "Termine (come scritto)", "Nuovo termine", "KPI",
             "Responsabile", "Peso step/obiettivo", f"Peso step/{pm.ctx.year}", "Stato", "Stato (testo originale)",
             "% raggiungimento", "Data verifica", "Data completamento", "Tempi", "Giorni di ritardo", "Giorni scaduto",
             "Verifica"], rows,
            [None, None, None, DATE, None, DATE, None, None, PCT, PCT, None, None, PCT, DATE, DATE, None, INT, INT, None],
            [10, 8, 60, 12, 24, 13, 30, 22, 11, 11, 14, 30, 14, 13, 13, 12, 10, 10, 80], wrap=(2, 4, 6, 11, 18))


def _cascade(wb: Workbook, pm: PlanMetrics) -> None:
    s = _Sheet(wb, "Cascata")
    t = cascade_table(pm)
    if t is None:
        s.put(["Il piano non collega gli obiettivi ad aree e obiettivi strategici: cascata non disponibile."])
        s.ws.column_dimensions["A"].width = 100
        return
    names = dict(zip(pm.areas["code"].astype(str), pm.areas["name"]))
    area_ach = dict(zip(pm.areas["code"].astype(str), pm.areas["achievement"]))
    rows = []
    for r in pm.strategic.itertuples():
        a = str(r.area_code) if not missing(r.area_code) else ""
        rows.append([a, names.get(a, ""), fraction(area_ach.get(a)), r.code, r.name, ", ".join(map(str, r.objectives)),
                     fraction(r.achievement)])
    s.table(["Area", "Area strategica", "Raggiungimento area", "Codice", "Obiettivo strategico", "Obiettivi collegati",
             "Raggiungimento"], rows, [None, None, PCT, None, None, None, PCT], [8, 36, 14, 9, 70, 22, 15], wrap=(1, 4))


def _late(wb: Workbook, pm: PlanMetrics) -> None:
    s = _Sheet(wb, "Ritardi")
    rows = []
    for _, r in late_steps(pm).iterrows():
        lo, hi = timing.delay_bounds(r) if r["timing"] == "in ritardo" else (None, None)
        rows.append([r["objective_code"], r["code"], r["description"], r["deadline"], r["revised_deadline"], r["status"],
                     r["timing"], timing.delay_text(r), r["completed_on"], r["slip_days"], lo, hi, r["overdue_days"],
                     text(r["note"])])
    # one vocabulary (metrics.timing): a delay bounded by the verifications reads «tra X e Y giorni»
    s.table(["Obiettivo", "Step", "Descrizione", "Termine", "Nuovo termine", "Stato", "Tempi", "Ritardo",
             "Data completamento", "Giorni di ritardo", "Ritardo minimo (giorni)", "Ritardo massimo (giorni)",
             "Giorni scaduto", "Verifica"], rows,
            [None, None, None, DATE, DATE, None, None, None, DATE, INT, INT, INT, INT, None],
            [10, 8, 60, 12, 13, 14, 12, 26, 13, 10, 10, 10, 10, 80], wrap=(2, 13))
