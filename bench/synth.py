"""Deterministic synthetic monitoring workbooks for ``make bench``.

Same seed → same rows → byte-identical .xlsx (fixed document properties). The content
imitates the real seeds: Italian titles and verification texts, deadlines written in
every accepted form (date cells, ``31/07/25``, ``Entro marzo 2025``, ``30 aprile 2025``,
two dates in one cell, some ``Al bisogno`` / ``Cadenza mensile``), weights and
percentages both as text (``20,00%``, ``80%``) and as numbers (0.2 in a percent cell,
80 as points), statuses as free text (``Obiettivo realizzato``, ``In fase di
realizzazione``…) and two verification dates per step (31/08 and 31/12).

Files are written with xlsxwriter (shared strings like Excel, ~10× faster than openpyxl)
and reused when a file for the same shape and the same generator code already exists.
"""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import xlsxwriter


@dataclass(frozen=True)
class Pct:
    """A number in an Excel percent cell (0.2 shown as 20%)."""
    value: float


@dataclass(frozen=True)
class Shape:
    """Size and identity of one synthetic plan."""
    objectives: int
    steps_per_objective: int = 10
    verifications_per_step: int = 2          # 31/08 and 31/12 of the first year (1–3)
    indicators_per_objective: int = 1
    staff_per_objective: int = 2
    seed: int = 1
    ente: str = "Consorzio Socio Assistenziale Sintetico"
    titolo: str = "PIAO 2025-2027 - Piano della performance"
    anno_inizio: int = 2025
    anno_fine: int = 2027
    weight_style: str = "points"             # objectives: "points" (5), "text" ("5%"), "fraction" (0,05 in a % cell)

    @property
    def steps(self) -> int:
        return self.objectives * self.steps_per_objective

    @property
    def verifications(self) -> int:
        return self.steps * self.verifications_per_step

    def key(self) -> str:
        """Identifies the file: the shape and the generator's own source (any change → new file)."""
        h = hashlib.sha256(repr(sorted(asdict(self).items())).encode() + Path(__file__).read_bytes())
        return h.hexdigest()[:12]


# ----------------------------------------------------------------------------- Italian content
AREAS = ["Minori e famiglie", "Disabili", "Anziani", "Povertà e inclusione sociale", "Governance interna ed esterna"]
STRATEGIC = [
    "Prevenzione del disagio sociale e sensibilizzazione delle comunità",
    "Protezione dei minori vittime di violenza e grave disagio",
    "Promuovere l'esercizio dei diritti delle persone con disabilità",
    "Inclusione delle persone con disabilità nella comunità",
    "Sostegno alla domiciliarità delle persone anziane",
    "Qualità dei servizi residenziali e semiresidenziali",
    "Contrasto alla povertà e all'esclusione sociale",
    "Inserimento lavorativo dei soggetti fragili",
    "Trasparenza, anticorruzione e qualità dell'azione amministrativa",
    "Digitalizzazione dei processi e dei servizi",
]
VERBS = ["Potenziamento", "Consolidamento", "Riorganizzazione", "Attuazione", "Sviluppo", "Monitoraggio",
         "Digitalizzazione", "Rafforzamento", "Gestione", "Qualificazione", "Revisione", "Estensione"]
SUBJECTS = [
    "del servizio di assistenza domiciliare per anziani non autosufficienti",
    "degli interventi a sostegno della genitorialità (P.I.P.P.I.)",
    "del progetto S.A.I. per richiedenti e titolari di protezione internazionale",
    "delle misure di trasparenza e di contrasto alla corruzione",
    "dei servizi diurni per persone con disabilità",
    "del Punto Unico di Accesso socio-sanitario",
    "delle misure di contrasto alla povertà (Assegno di inclusione)",
    "del servizio di educativa territoriale per minori",
    "dell'affidamento familiare e della rete delle famiglie accoglienti",
    "del sistema di controllo di gestione",
    "del protocollo informatico e dell'archivio digitale",
    "della formazione obbligatoria del personale",
    "delle procedure di affidamento di servizi e forniture",
    "dei progetti PNRR Missione 5 Componente 2",
    "del segretariato sociale nei Comuni consorziati",
    "dei tirocini di inclusione sociale",
    "del servizio di pronto intervento sociale",
    "delle dimissioni protette in collaborazione con l'ASL",
]
STEP_DESCRIPTIONS = [
    "Ricognizione dei bisogni e analisi dei dati dell'anno precedente",
    "Predisposizione e approvazione del regolamento",
    "Adozione della determina di affidamento",
    "Avvio del servizio nei Comuni consorziati",
    "Monitoraggio trimestrale delle attività e degli utenti presi in carico",
    "Rendicontazione delle spese alla Regione Piemonte",
    "Formazione degli operatori coinvolti",
    "Pubblicazione degli atti nella sezione Amministrazione trasparente",
    "Verifica intermedia con l'Assemblea dei Sindaci",
    "Relazione finale al Consiglio di Amministrazione",
    "Aggiornamento della carta dei servizi",
    "Stipula della convenzione con l'ASL",
    "Raccolta dei questionari di gradimento degli utenti",
    "Revisione della modulistica e dei procedimenti",
]
KPIS = ["Determina approvata", "Relazione trasmessa nei termini", "Numero di utenti presi in carico",
        "Verbale di verifica senza rilievi", "Pubblicazione entro il termine", "Rendiconto approvato",
        "Almeno 2 incontri con i Comuni", "Questionari raccolti ≥ 80%"]
RESPONSIBLES = ["Area amministrativa", "Area minori e famiglie", "Area anziani e disabili", "Ufficio di Piano",
                "Direttore", "Servizio sociale professionale", "Ufficio ragioneria"]
PUBLIC_VALUE = ["1. Mission istituzionale", "2. Capacità operativa", "3. Qualità delle relazioni",
                "1. Mission istituzionale 3. Qualità delle relazioni"]
STAKEHOLDERS = ["Cittadini/Utenti Comuni consorziati ASL CN1", "Comuni consorziati Regione Piemonte",
                "Cittadini/Utenti Cooperative sociali Terzo Settore", "Organi di controllo esterno Fornitori"]
EVIDENCE = ["Attività svolta come da cronoprogramma", "Atti pubblicati sul sito istituzionale",
            "Relazione trasmessa alla Regione", "Verbale dell'incontro agli atti", "Servizio avviato regolarmente",
            "Rendiconto approvato dal CdA", "Documentazione disponibile presso l'ufficio"]
QUALIFICHE = ["Istruttore amministrativo", "Assistente sociale", "Educatore professionale", "Funzionario contabile",
              "Operatore socio-sanitario", "Istruttore direttivo"]
INDICATORS = [  # name, unit, direction, (baseline, target, value) builders
    ("Tempo medio di presa in carico", "giorni", "decrescente"),
    ("Utenti raggiunti dal servizio", "numero", "crescente"),
    ("Grado di soddisfazione degli utenti", "%", "crescente"),
    ("Atti pubblicati nei termini", "%", "crescente"),
    ("Rendicontazione trasmessa", "data", None),
    ("Posti attivi nei centri diurni", "numero", "mantenimento"),
]
IT_MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
             "ottobre", "novembre", "dicembre"]

HEADERS = {
    "Piano": ["Campo", "Valore"],
    "Aree": ["Codice", "Area"],
    "Obiettivi strategici": ["Codice", "Obiettivo", "Area"],
    "Obiettivi": ["Codice", "Titolo", "Tipo", "Peso", "Anno inserimento", "Obiettivi strategici",
                  "Dimensione valore pubblico", "Stakeholder", "Responsabile", "Missione", "Programma", "Descrizione"],
    "Step": ["Obiettivo", "Codice", "Descrizione", "Inizio", "Termine", "KPI", "Peso", "Responsabile"],
    "Verifiche": ["Step", "Data verifica", "Stato", "% raggiungimento", "Data completamento", "Nuovo termine",
                  "Verifica", "Causa non imputabile"],
    "Indicatori": ["Obiettivo", "Codice", "Indicatore", "Algoritmo", "Unità", "Baseline", "Target", "Direzione",
                   "Valore", "Data rilevazione", "Area organizzativa"],
    "Personale": ["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione"],
}


def _eom(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def _date_cell(rng: random.Random, d: dt.date) -> Any:
    """A date as an Excel date cell or as Italian text."""
    r = rng.random()
    if r < 0.55:
        return d
    if r < 0.8:
        return d.strftime("%d/%m/%Y")
    return d.strftime("%d/%m/%y")


def _percent_cell(rng: random.Random, pct: float, style: int | None = None) -> Any:
    """A percentage in one of the accepted forms: "80%", "80,00%", 0.8 in a % cell, 80 as points."""
    style = rng.randrange(4) if style is None else style
    if style == 0:
        return f"{pct:g}%".replace(".", ",")
    if style == 1:
        return f"{pct:.2f}%".replace(".", ",")
    if style == 2:
        return Pct(round(pct / 100.0, 6))
    return float(pct) if pct > 1 else f"{pct:g}%"  # 0 or 1 as a plain number would be a fraction


def _deadline(rng: random.Random, a: int, b: int) -> tuple[Any, dt.date | None]:
    """(cell value, deadline date or None when continuativo)."""
    r = rng.random()
    year = a if r < 0.7 else (a + 1 if r < 0.9 or b == a + 1 else min(a + 2, b))
    if b == a:
        year = a
    month = rng.randint(1, 12)
    d = _eom(year, month) if rng.random() < 0.6 else dt.date(year, month, rng.choice([10, 15, 20, 28]))
    f = rng.random()
    if f < 0.05:
        return rng.choice(["Al bisogno", "Cadenza mensile", "Con il Bilancio civilistico"]), None
    if f < 0.38:
        return d, d
    if f < 0.58:
        return d.strftime("%d/%m/%y"), d
    if f < 0.72:
        return d.strftime("%d/%m/%Y"), d
    e = _eom(year, month)
    if f < 0.90:
        return f"Entro {IT_MONTHS[month - 1]} {year}", e
    if f < 0.96:
        return f"{e.day} {IT_MONTHS[month - 1]} {year}", e
    later = _eom(year, min(month + 2, 12))
    return f"Entro {IT_MONTHS[month - 1]}-{year} entro {IT_MONTHS[later.month - 1]} {year}", e


def _verifications(rng: random.Random, shape: Shape, step_code: str, deadline: dt.date | None, k: int) -> list[list]:
    """The verifications of one step: 31/08 and 31/12 of the first year (30/04 too when three)."""
    y = shape.anno_inizio
    dates = [dt.date(y, 4, 30), dt.date(y, 8, 31), dt.date(y, 12, 31)][-shape.verifications_per_step:]
    rows = []
    done_on: dt.date | None = None
    fate = rng.random()
    for i, vd in enumerate(dates):
        final = i == len(dates) - 1
        ach: Any = ""
        completed: Any = ""
        new_deadline: Any = ""
        na = ""
        note = f"{rng.choice(EVIDENCE)} (prot. n. {1000 + k * 7 + i}/{vd.year})"
        if deadline is None:  # continuativo
            status, ach = ("In corso", _percent_cell(rng, 50)) if not final else ("Obiettivo realizzato", "")
        elif done_on is not None:
            status, completed = "Obiettivo realizzato", _date_cell(rng, done_on)
        elif deadline.year > vd.year:
            status, ach = "In fase di realizzazione", _percent_cell(rng, rng.choice([10, 20, 30, 40]))
        elif deadline > vd and not final:
            status, ach = "In fase di realizzazione", _percent_cell(rng, rng.choice([20, 40, 50, 60]))
        elif fate < 0.72 or (not final and fate < 0.9):
            done_on = min(deadline + dt.timedelta(days=rng.randint(-25, 30)), vd)
            status = rng.choice(["Obiettivo realizzato", "Realizzato", "Completato"])
            completed = _date_cell(rng, done_on)
            if rng.random() < 0.3:
                ach = _percent_cell(rng, 100)
            if rng.random() < 0.04:
                note = ""  # achieved without evidence (a quality check)
        elif fate < 0.82:
            status, ach = "Parzialmente realizzato", _percent_cell(rng, rng.choice([50, 60, 70, 80]))
        elif fate < 0.88:
            status, ach = "Obiettivo non realizzato", _percent_cell(rng, 0, 0)
        elif fate < 0.94:
            status, new_deadline = "Si chiede la dilazione del termine", _date_cell(rng, _eom(vd.year + 1, 6))
        elif fate < 0.97:
            status, na = "Non realizzabile per cause non imputabili all'ente", "sì"
        else:
            status, ach = "In itinere", _percent_cell(rng, 60)
        rows.append([step_code, _date_cell(rng, vd), status, ach, completed, new_deadline, note, na])
    return rows


def _indicator(rng: random.Random, o: int, i: int, a: int) -> tuple[str, str, str, str, str, str]:
    """(name, unit, baseline, target, direction, value) in the forms of rule 6."""
    name, unit, direction = INDICATORS[(o + i) % len(INDICATORS)]
    if unit == "data":
        done = dt.date(a, 10, rng.randint(1, 31)) if rng.random() < 0.9 else dt.date(a, 11, 15)
        return name, "", "", f"Entro il 31/10/{a}", "", done.strftime("%d/%m/%Y")
    if direction == "mantenimento":
        base = rng.randint(20, 60)
        return name, unit, str(base), "mantenimento", "crescente", str(base - rng.randint(0, 3))
    if direction == "decrescente":
        base = rng.randint(20, 40)
        return name, unit, str(base), f"≤ {base - 5}", "decrescente", str(base - rng.randint(0, 8))
    if unit == "%":
        return (name, unit, f"{rng.randint(60, 80)}%", f"≥ {rng.choice([85, 90, 95])}%", "crescente",
                f"{rng.randint(75, 100)}%")
    base = rng.randint(50, 300)
    return name, unit, str(base), f"+{rng.randint(5, 30)}", "crescente", str(base + rng.randint(0, 35))


def build_sheets(shape: Shape) -> dict[str, list[list]]:
    """Every sheet as rows (header first). Values: str, int/float, ``date`` (date cell) or :class:`Pct`."""
    rng = random.Random(shape.seed)
    a, b = shape.anno_inizio, shape.anno_fine
    out: dict[str, list[list]] = {name: [list(h)] for name, h in HEADERS.items()}
    out["Piano"] += [["Ente", shape.ente], ["Titolo", shape.titolo], ["Anno inizio", a], ["Anno fine", b],
                     ["Data monitoraggio", dt.date(a, 12, 31)]]
    out["Aree"] += [[str(i + 1), name] for i, name in enumerate(AREAS)]
    strategic_codes = []
    for i, name in enumerate(STRATEGIC):
        code = f"{i // 2 + 1}{'AB'[i % 2]}"
        strategic_codes.append(code)
        out["Obiettivi strategici"].append([code, name, str(i // 2 + 1)])
    staff_pool = [f"Dipendente {i:03d}" for i in range(1, max(10, shape.objectives // 2) + 1)]
    k = 0
    for o in range(1, shape.objectives + 1):
        code = str(o)
        points = rng.randint(2, 10)
        weight: Any = {"points": points, "text": f"{points}%", "fraction": Pct(points / 100.0)}[shape.weight_style]
        links = ", ".join(sorted(rng.sample(strategic_codes, rng.randint(1, 3))))
        typ = "PEG" if rng.random() < 0.25 else "performance"
        out["Obiettivi"].append([
            code, f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}", typ, weight, rng.randint(2019, a), links,
            rng.choice(PUBLIC_VALUE), rng.choice(STAKEHOLDERS), rng.choice(RESPONSIBLES), "12", f"{rng.randint(1, 9):02d}",
            f"Obiettivo {code}: {rng.choice(SUBJECTS)[4:]} nel territorio consortile."])
        step_style = rng.randrange(4)  # one weight style per objective, as the real sheets do
        raw_w = [rng.choice([5, 10, 10, 15, 20, 25]) for _ in range(shape.steps_per_objective)]
        total = sum(raw_w)
        for s in range(1, shape.steps_per_objective + 1):
            step_code = f"{code}.{s}"
            w = raw_w[s - 1]
            weight_cell: Any = [f"{w / total * 100:.2f}%".replace(".", ","), Pct(round(w / total, 4)), w,
                                f"{w} punti su {total}"][step_style]
            cell, deadline = _deadline(rng, a, b)
            start = _date_cell(rng, dt.date(a, 1, 1)) if rng.random() < 0.3 else ""
            out["Step"].append([code, step_code, rng.choice(STEP_DESCRIPTIONS), start, cell, rng.choice(KPIS),
                                weight_cell, rng.choice(RESPONSIBLES)])
            k += 1
            out["Verifiche"] += _verifications(rng, shape, step_code, deadline, k)
        for i in range(1, shape.indicators_per_objective + 1):
            name, unit, baseline, target, direction, value = _indicator(rng, o, i, a)
            out["Indicatori"].append([code, f"{code}.{i}", name, f"{name.lower()} nell'anno", unit, baseline, target,
                                      direction, value, _date_cell(rng, dt.date(a, 12, 31)), rng.choice(RESPONSIBLES)])
        for person in rng.sample(staff_pool, min(shape.staff_per_objective, len(staff_pool))):
            out["Personale"].append([code, person, rng.choice(QUALIFICHE), _percent_cell(rng, rng.choice([25, 50, 100])),
                                     rng.randint(6, 10)])
    return out


def data_rows(sheets: dict[str, list[list]]) -> int:
    """Rows below the headers, every sheet."""
    return sum(len(rows) - 1 for rows in sheets.values())


def write_xlsx(sheets: dict[str, list[list]], path: str | Path) -> Path:
    """Write rows with xlsxwriter; dates become date cells, :class:`Pct` percent cells."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"default_date_format": "dd/mm/yyyy"})
    wb.set_properties({"title": "Foglio di monitoraggio sintetico", "author": "make bench",
                       "created": dt.datetime(2025, 1, 1)})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    pct_fmt = wb.add_format({"num_format": "0.00%"})
    bold = wb.add_format({"bold": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, rows[0], bold)
        ws_string, ws_number, ws_date = ws.write_string, ws.write_number, ws.write_datetime
        for r, row in enumerate(rows[1:], start=1):
            for c, v in enumerate(row):
                if v == "" or v is None:
                    continue
                t = type(v)
                if t is str:
                    ws_string(r, c, v)
                elif t is int or t is float:
                    ws_number(r, c, v)
                elif t is dt.date:
                    ws_date(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                elif t is Pct:
                    ws_number(r, c, v.value, pct_fmt)
                else:
                    raise TypeError(f"valore non previsto: {v!r}")
    wb.close()
    tmp.replace(path)
    return path


def workbook(shape: Shape, directory: str | Path, stem: str) -> tuple[Path, int]:
    """The .xlsx for ``shape`` under ``directory`` (reused when already written) and its data-row count."""
    path = Path(directory) / f"{stem}-{shape.key()}.xlsx"
    sheets = build_sheets(shape)
    if not path.exists():
        for old in Path(directory).glob(f"{stem}-*.xlsx"):
            old.unlink()
        write_xlsx(sheets, path)
    return path, data_rows(sheets)


# ----------------------------------------------------------------------------- the two benchmark data sets
BIG = Shape(objectives=2000, steps_per_objective=10, verifications_per_step=2, seed=2025,
            ente="Consorzio Regionale Sintetico", titolo="PIAO 2025-2027 - Piano della performance (grande)")

ENTI = ["CISS", "CISSA", "CSSM", "COESO", "CISA", "CISS Ossola", "CSS Verbano", "CISAS", "Consorzio Monviso Solidale",
        "Consorzio In.Re.Te.", "CISS Pinerolo", "CISSACA", "CIS Asti Sud", "Unione Montana Valle Susa", "CSSAC",
        "Consorzio Intercomunale Ovest", "CISS Borgomanero", "CISAP", "Consorzio Valle Stura", "CSS Cuneo",
        "Consorzio Alba Langhe Roero", "CISA Asti Nord", "CISS 38", "Consorzio Casalese", "Consorzio Alessandrino"]


def regional_shapes(plans: int = 100, objectives: int = 20, steps: int = 10, verifications: int = 2) -> list[Shape]:
    """``plans`` ordinary plans: 25 consortia × one PIAO per start year (2022, 2023, 2024, 2025…)."""
    shapes = []
    for i in range(plans):
        ente = ENTI[i % len(ENTI)] if plans <= len(ENTI) * 4 else f"{ENTI[i % len(ENTI)]} {i // len(ENTI) + 1}"
        start = 2022 + (i // len(ENTI)) % 4 if plans <= len(ENTI) * 4 else 2025
        shapes.append(Shape(objectives=objectives, steps_per_objective=steps, verifications_per_step=verifications,
                            seed=1000 + i, ente=ente, titolo=f"PIAO {start}-{start + 2} - Piano della performance",
                            anno_inizio=start, anno_fine=start + 2,
                            weight_style=("points", "text", "fraction")[i % 3]))
    return shapes
