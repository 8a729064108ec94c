"""The workbook contract (``shared/workbook-spec.md``) as data: sheets, canonical
headers, accepted synonyms, required columns. The reader, the template and the
README's user documentation all come from here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from loaders.parsing import norm_key


@dataclass(frozen=True)
class Column:
    header: str                      # canonical header, as written in the template
    key: str                         # field name in code
    required: bool = False
    synonyms: tuple[str, ...] = ()   # other accepted headers
    prefixes: tuple[str, ...] = ()   # any header starting with one of these
    help: str = ""                   # Italian description (template, README)
    example: str = ""

    def matches(self, header_key: str) -> bool:
        if header_key == norm_key(self.header) or header_key in {norm_key(s) for s in self.synonyms}:
            return True
        return any(header_key.startswith(norm_key(p)) for p in self.prefixes)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    key: str
    required: bool
    columns: tuple[Column, ...]
    synonyms: tuple[str, ...] = ()
    help: str = ""
    keep_unknown_as_notes: bool = False

    def matches(self, sheet_name: str) -> bool:
        k = norm_key(sheet_name)
        return k == norm_key(self.name) or k in {norm_key(s) for s in self.synonyms}

    @property
    def required_columns(self) -> list[Column]:
        return [c for c in self.columns if c.required]


CODE_SYNONYMS = ("cod.", "cod")
WEIGHT = dict(synonyms=("peso step/obiettivo", "valore"), prefixes=("incidenza",))
# "peso step/2025": a printed year weight, only checked against rule 1.
YEAR_WEIGHT_RE = re.compile(r"^pesostep/(\d{4})$")

# Piano: two columns Campo / Valore.
PLAN_FIELDS: tuple[Column, ...] = (
    Column("Ente", "ente", True, ("amministrazione", "consorzio"), help="Nome dell'ente", example="Consorzio Socio Assistenziale"),
    Column("Titolo", "titolo", True, ("piano", "titolo piano"), help="Titolo del piano", example="PIAO 2025-2027 - Piano della performance"),
    Column("Anno inizio", "anno_inizio", True, ("anno iniziale", "dal"), help="Primo anno del piano", example="2025"),
    Column("Anno fine", "anno_fine", True, ("anno finale", "al"), help="Ultimo anno del piano", example="2027"),
    Column("Data monitoraggio", "data_monitoraggio", False, ("data di monitoraggio", "data verifica"),
           help="Data di riferimento del monitoraggio (es. 31/08 o 31/12)", example="31/08/2025"),
    Column("Codice IPA", "codice_ipa", False, ("codice ipa ente", "ipa", "cod ipa", "codice amministrazione"),
           help="Codice IPA dell'ente (Indice delle Pubbliche Amministrazioni, indicepa.gov.it): facoltativo, "
                "identifica l'ente anche se il nome è scritto in modo diverso", example="cssm_cn"),
)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("Piano", "plan", True, (
        Column("Campo", "field", True),
        Column("Valore", "value", True),
    ), help="Dati generali del piano, una riga per campo"),
    SheetSpec("Aree", "areas", False, (
        Column("Codice", "code", True, CODE_SYNONYMS, example="1"),
        Column("Area", "name", True, ("area strategica", "nome", "denominazione"), example="Minori e famiglie"),
    ), synonyms=("aree strategiche",), help="Aree strategiche"),
    SheetSpec("Obiettivi strategici", "strategic", False, (
        Column("Codice", "code", True, CODE_SYNONYMS, example="1A"),
        Column("Obiettivo", "name", True, ("obiettivo strategico", "titolo", "descrizione"), example="Sostegno alla genitorialità"),
        Column("Area", "area_code", False, ("codice area", "area strategica"), help="Codice dell'area", example="1"),
    ), synonyms=("strategici", "obiettivi strategico-operativi"), help="Obiettivi strategici (o strategico-operativi)"),
    SheetSpec("Obiettivi", "objectives", True, (
        Column("Codice", "code", True, CODE_SYNONYMS, example="A"),
        Column("Titolo", "title", True, ("obiettivo", "denominazione"), example="Gestione progetto SAI"),
        Column("Tipo", "type", False, ("tipologia",), help="performance, PEG, individuale… (predefinito: performance)", example="performance"),
        Column("Peso", "weight", False, **WEIGHT, help="Peso relativo dell'obiettivo nel piano (5%, 0,05, 5, 10 punti su 50)", example="5%"),
        Column("Anno inserimento", "year_added", False, ("anno di inserimento",), ("anno di primo inserimento",), example="2020"),
        Column("Obiettivi strategici", "strategic_codes", False,
               ("obiettivi strategico-operativi collegati", "obiettivi strategici collegati", "collegamento strategico"),
               help="Codici degli obiettivi strategici collegati, separati da virgola", example="4A, 5A"),
        Column("Dimensione valore pubblico", "public_value", False,
               ("obiettivo di performance dimensione valore pubblico", "valore pubblico"), example="1. Mission istituzionale"),
        Column("Stakeholder", "stakeholders", False, ("stakeholders", "portatori di interesse"), example="Cittadini/Utenti"),
        Column("Responsabile", "responsible", False, ("area responsabile", "cdr", "centro di responsabilita"), example="Area amministrativa"),
        Column("Missione", "missione", False, example="12"),
        Column("Programma", "programma", False, example="07"),
        Column("Descrizione", "description", False, ("descrizione obiettivo", "descrizione sintetica"), example=""),
    ), help="Obiettivi di performance e PEG", keep_unknown_as_notes=True),
    SheetSpec("Step", "steps", True, (
        Column("Obiettivo", "objective_code", True, ("codice obiettivo", "cod. obiettivo"), example="A"),
        Column("Codice", "code", True, CODE_SYNONYMS + ("step", "fase"), example="A.1"),
        Column("Descrizione", "description", True, ("attivita", "azione"), example="Rendicontazione anno precedente"),
        Column("Inizio", "start_date", False, ("data inizio",), example="01/01/2025"),
        Column("Termine", "deadline", False, ("scadenza", "scadenze", "date", "data"),
               help="Data, «Entro marzo 2025», due date (originale e nuovo termine) o testo ricorrente (continuativo)", example="31/07/2025"),
        Column("KPI", "kpi", False, ("indicatore", "KPI (Key Performance Indicator)"), example="Rendiconto approvato"),
        Column("Peso", "weight", False, **WEIGHT, help="Peso relativo dello step nell'obiettivo", example="20%"),
        Column("Responsabile", "responsible", False, ("responsabili", "personale coinvolto"), example="Ufficio ragioneria"),
    ), synonyms=("steps", "fasi", "cronoprogramma"), help="Fasi (step) di ciascun obiettivo", keep_unknown_as_notes=True),
    SheetSpec("Verifiche", "verifications", False, (
        Column("Step", "step_code", True, ("codice step", "fase"), example="A.1"),
        Column("Obiettivo", "objective_code", False, ("codice obiettivo",),
               help="Facoltativo: necessario solo se lo stesso codice step compare in più obiettivi", example="A"),
        Column("Data verifica", "verified_on", False, ("data di verifica", "data monitoraggio"), example="31/08/2025"),
        Column("Stato", "status_raw", False, ("stato di attuazione", "esito"), example="Obiettivo realizzato"),
        Column("Raggiungimento", "achievement", False, (), ("% raggiungimento", "grado di raggiungimento"), example="100%"),
        Column("Data completamento", "completed_on", False, ("completato il", "data conclusione"), example="25/07/2025"),
        Column("Nuovo termine", "new_deadline", False, ("termine rimodulato", "nuova scadenza"), example=""),
        Column("Verifica", "note", False, ("verifica finale", "note"), help="Testo della verifica (evidenze)", example="Rendiconto approvato con delibera n. 12"),
        Column("Causa non imputabile", "not_attributable", False, ("non imputabile",), help="sì / no", example="no"),
    ), synonyms=("monitoraggio",), help="Verifiche alle date di monitoraggio (storico)"),
    SheetSpec("Indicatori", "indicators", False, (
        Column("Obiettivo", "objective_code", True, ("codice obiettivo",), example="1"),
        Column("Indicatore", "name", True, ("descrizione indicatore", "nome indicatore"), example="Tempo medio di pagamento"),
        Column("Codice", "code", False, CODE_SYNONYMS, example="1.1"),
        Column("Algoritmo", "algorithm", False, ("formula", "algoritmo di calcolo"), example="giorni medi"),
        Column("Unità", "unit", False, ("unita di misura",), example="giorni"),
        Column("Baseline", "baseline_raw", False, ("valore di partenza", "base"), example="35"),
        Column("Target", "target_raw", False, ("valore atteso", "obiettivo atteso"), example="≤ 30"),
        Column("Direzione", "direction", False, ("polarita",), help="crescente / decrescente", example="decrescente"),
        Column("Valore", "value_raw", False, ("valore rilevato", "consuntivo", "valore effettivo"), example="28"),
        Column("Data rilevazione", "measured_on", False, ("data",), example="31/12/2025"),
        Column("Area organizzativa", "org_area", False, ("area", "struttura"), example="Area amministrativa"),
    ), help="Indicatori con baseline, target e valore"),
    SheetSpec("Personale", "staff", False, (
        Column("Obiettivo", "objective_code", True, ("codice obiettivo",), example="1"),
        Column("Nome", "name", True, ("dipendente", "nominativo", "cognome e nome"), example="Dipendente 01"),
        Column("Qualifica", "role", False, ("profilo",), example="Istruttore amministrativo"),
        Column("Partecipazione", "participation", False, ("% partecipazione", "percentuale partecipazione"), example="50%"),
        Column("Valutazione", "grade", False, ("voto", "grado"), help="da 0 a 10", example="9"),
        # revision 3 (issue 17, premi): optional, read by metrics/premi.py
        Column("Matricola", "matricola", False, ("numero di matricola",),
               help="identificativo per il file degli stipendi (altrimenti uno pseudonimo)", example="000123"),
        Column("Part-time %", "part_time", False, ("part time", "parttime", "percentuale part-time"),
               help="percentuale dell'orario (100% = tempo pieno)", example="100%"),
        Column("Presenza %", "presence", False, ("percentuale presenza", "presenza"),
               help="presenza in servizio nell'anno (in alternativa: Mesi di servizio)", example="100%"),
        Column("Mesi di servizio", "service_months", False, ("mesi servizio", "mesi"),
               help="mesi di servizio nell'anno, 0–12 (se manca Presenza %)", example="12"),
        Column("Categoria", "category", False, ("area", "categoria contrattuale", "area contrattuale"),
               help="categoria o area contrattuale, per il parametro di categoria e le tabelle art. 20",
               example="Istruttori"),
    ), synonyms=("partecipazione", "personale coinvolto"), help="Partecipazione del personale agli obiettivi"),
)

SHEET_BY_KEY: dict[str, SheetSpec] = {s.key: s for s in SHEETS}


def match_sheet(sheet_name: str) -> SheetSpec | None:
    return next((s for s in SHEETS if s.matches(sheet_name)), None)


@dataclass
class HeaderMap:
    """Where each known column sits in a sheet (0-based indexes)."""
    row_index: int
    columns: dict[str, int] = field(default_factory=dict)
    year_weight: tuple[int, int] | None = None   # (col index, year)
    unknown: dict[int, str] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)


def map_headers(spec: SheetSpec, header_row: list, row_index: int) -> HeaderMap:
    hm = HeaderMap(row_index)
    for i, cell in enumerate(header_row):
        if cell is None or str(cell).strip() == "":
            continue
        k = norm_key(cell)
        m = YEAR_WEIGHT_RE.match(k)
        if m and spec.key == "steps":
            hm.year_weight = (i, int(m.group(1)))
            continue
        col = next((c for c in spec.columns if c.matches(k)), None)
        if col is None:
            hm.unknown[i] = str(cell).strip()
        elif col.key in hm.columns:
            hm.duplicates.append((i, str(cell).strip()))
        else:
            hm.columns[col.key] = i
    return hm


def find_header(spec: SheetSpec, rows: list[list], scan: int = 15) -> HeaderMap | None:
    """The row, among the first ``scan``, that names the most known columns."""
    best: HeaderMap | None = None
    for idx, row in enumerate(rows[:scan]):
        hm = map_headers(spec, row, idx)
        if hm.columns and (best is None or len(hm.columns) > len(best.columns)):
            best = hm
    return best


# --------------------------------------------------------------------------- limits (issue 12)
# The longest text each stored column accepts (characters). Beyond it the file is refused with sheet,
# row and column: nothing reaches DuckDB unchecked. Excel's own limit for a cell is 32.767 characters;
# the longest texts of the four demo plans are 3.207 (a verification) and 980 (a step description).
TEXT_MAX_CODE = 50
TEXT_MAX_SHORT = 1_000
TEXT_MAX_LONG = 32_767
TEXT_MAX_PLAN = 300          # Ente, Titolo
TEXT_MAX_FILE_NAME = 255
TEXT_LIMITS: dict[str, int] = {  # column of store/schema.sql → limit (columns not listed: TEXT_MAX_SHORT)
    "code": TEXT_MAX_CODE, "objective_code": TEXT_MAX_CODE, "strategic_code": TEXT_MAX_CODE,
    "step_code": TEXT_MAX_CODE, "area_code": TEXT_MAX_CODE,
    "title": 2_000, "name": 2_000,
    "description": TEXT_MAX_LONG, "notes": TEXT_MAX_LONG, "note": TEXT_MAX_LONG, "kpi": TEXT_MAX_LONG,
    "algorithm": TEXT_MAX_LONG, "stakeholders": TEXT_MAX_LONG, "status_raw": TEXT_MAX_LONG,
}
# Stored column → the workbook column (key of SheetSpec.columns) it comes from, where the names differ.
SOURCE_COLUMN: dict[str, str] = {"deadline_raw": "deadline", "weight_raw": "weight", "status": "status_raw",
                                 "strategic_code": "strategic_codes", "revised_deadline": "deadline",
                                 "printed_year_weight": "weight"}
# Stored table → sheet key.
TABLE_SHEET: dict[str, str] = {"areas": "areas", "strategic_objectives": "strategic", "objectives": "objectives",
                               "objective_links": "objectives", "steps": "steps", "verifications": "verifications",
                               "indicators": "indicators", "staff": "staff"}
