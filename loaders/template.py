"""The blank monitoring workbook (modello), generated from :mod:`loaders.spec`."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from loaders.spec import PLAN_FIELDS, SHEETS, Column, SheetSpec

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
EXAMPLE_FONT = Font(italic=True, color="404040")
EXAMPLE_SHEET = "Esempio"          # ignored by the importer (loaders.validate.IGNORED_SHEETS)
DATA_ROWS = 1000                   # rows with drop-down lists and text format under each header
AUTHOR = "Cruscotto Performance"

# Drop-down lists (issue 10): (sheet key, column key) → (values, strict). Not strict: the list proposes the
# values the importer recognises, Excel warns but accepts other text (Stato and Tipo are free text).
CHOICES: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("objectives", "type"): (("performance", "PEG", "individuale"), False),
    ("verifications", "status_raw"): (("Raggiunto", "In corso", "Parzialmente raggiunto", "Non raggiunto", "Rinviato",
                                       "Non realizzabile per cause esterne"), False),
    ("verifications", "not_attributable"): (("sì", "no"), True),
    ("indicators", "direction"): (("crescente", "decrescente"), True),
}

# The example, one row per sheet, consistent across sheets (codes refer to each other): the spec's
# examples, with the references made to match.
EXAMPLE_OVERRIDES: dict[tuple[str, str], str] = {
    ("objectives", "strategic_codes"): "1A", ("objectives", "weight"): "100%", ("steps", "weight"): "100%",
    ("indicators", "objective_code"): "A", ("staff", "objective_code"): "A", ("steps", "deadline"): "31/07/2025",
    ("verifications", "completed_on"): "25/07/2025", ("staff", "participation"): "100%",
}

INSTRUCTIONS = [
    "Foglio di monitoraggio del Piano della performance — istruzioni",
    "",
    "Fogli obbligatori: Piano, Obiettivi, Step. Facoltativi: Aree, Obiettivi strategici, Verifiche, Indicatori, Personale, "
    "Sistema di misurazione, Scostamenti.",
    "Le colonne con intestazione rossa sono obbligatorie. Intestazioni e nomi dei fogli non distinguono maiuscole, accenti e spazi.",
    "Codici: si scrivono come testo (1.10 è diverso da 1.1). Una riga vuota viene ignorata.",
    "Pesi: relativi, normalizzati sulla somma (5%, 0,05, 5 o «10 punti su 50»). Peso mancante = pesi uguali.",
    "Percentuali: 20%, 20,5%, 20 oppure 0,2. Fuori da 0–100% è un errore.",
    "Date: 31/12/2025, 31/12/25, 31.12.2025, 2025-12-31, «30 aprile 2025», «Entro marzo 2025» (ultimo giorno del mese).",
    "Due date nel Termine («Entro agosto 2025 entro ottobre 2025») = termine originale + nuovo termine.",
    "Un Termine che non è una data («Al bisogno», «Cadenza mensile») rende lo step continuativo: escluso dagli slittamenti.",
    "Stato: testo libero («Obiettivo realizzato», «In fase di realizzazione», «Si chiede la dilazione»…), normalizzato "
    "in raggiunto / in corso / parziale / non raggiunto / rinviato / neutralizzato; il testo originale è conservato.",
    "Verifiche: una riga per step e data di verifica (es. 31/08 intermedia, 31/12 finale); lo storico è conservato.",
    "Un file con errori non modifica nulla: il rapporto indica foglio, riga, colonna e valore di ogni problema.",
    "Codice IPA (facoltativo, foglio Piano): il codice dell'ente nell'Indice delle Pubbliche Amministrazioni "
    "(indicepa.gov.it, es. cssm_cn). Riconosce l'ente anche se il nome è scritto in modo diverso.",
    "Il foglio «Esempio» mostra una riga compilata per ogni foglio: non viene importato. Passando il mouse sulle "
    "intestazioni si leggono la descrizione e un esempio di ogni colonna; Tipo, Stato, Direzione e Causa non "
    "imputabile hanno un elenco a discesa.",
]


def profile_instructions() -> list[str]:
    """The optional sheet «Sistema di misurazione» (issue 8), from the profile's own labels."""
    from domain.profile import PARAMS, PREDEFINITO, PRESETS, param_text

    return ["",
            "Foglio facoltativo «Sistema di misurazione» (colonne Campo, Valore): il sistema di misurazione e valutazione "
            "della performance (SMVP) dell'ente, salvato per ogni anno del piano come nuova versione del profilo.",
            "   Profilo: il profilo di partenza (" + ", ".join(p.name for p in PRESETS.values()) + "); le righe "
            "seguenti ne cambiano i parametri. Righe assenti = valore del profilo di partenza."] + \
        [f"   {label}: {desc} (predefinito: {param_text(PREDEFINITO, f)})" for f, label, desc, _ in PARAMS]


def build_template() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Istruzioni"
    from loaders.variance_sheet import INSTRUCTIONS as VARIANCE_INSTRUCTIONS

    lines = INSTRUCTIONS + profile_instructions() + VARIANCE_INSTRUCTIONS
    for i, line in enumerate(lines, start=1):
        ws.cell(i, 1, line)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 140
    row = len(lines) + 2
    ws.cell(row, 1, "Colonne per foglio (in grassetto le obbligatorie)").font = Font(bold=True)
    for spec in SHEETS:
        row += 1
        ws.cell(row, 1, f"{spec.name}: {spec.help}").font = Font(bold=True, color="1F4E79")
        for col in spec.columns:
            row += 1
            syn = f" — accettate anche: {', '.join(col.synonyms + tuple(p + '…' for p in col.prefixes))}" if col.synonyms or col.prefixes else ""
            c = ws.cell(row, 1, f"   {col.header}{' (obbligatoria)' if col.required else ''}: {col.help}{syn}")
            if col.required:
                c.font = Font(bold=True)

    example_sheet(wb.create_sheet(EXAMPLE_SHEET))
    for spec in SHEETS:
        sh = wb.create_sheet(spec.name)
        for j, col in enumerate(spec.columns, start=1):
            c = sh.cell(1, j, col.header)
            c.fill = REQUIRED_FILL if col.required else HEADER_FILL
            c.font = HEADER_FONT
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if spec.key != "plan":
                c.comment = header_comment(spec, col)
            sh.column_dimensions[get_column_letter(j)].width = max(14, min(45, len(col.header) + 6))
            if col.key in ("code", "objective_code", "step_code", "area_code", "missione", "programma"):
                for r in range(2, DATA_ROWS + 2):
                    sh.cell(r, j).number_format = "@"
            if (spec.key, col.key) in CHOICES:
                add_choices(sh, j, *CHOICES[(spec.key, col.key)], col.header)
        sh.freeze_panes = "A2"
        if spec.key == "plan":
            for i, f in enumerate(PLAN_FIELDS, start=2):
                cell = sh.cell(i, 1, f.header)
                cell.font = Font(bold=f.required)
                cell.comment = plan_field_comment(f)
            sh.column_dimensions["A"].width = 22
            sh.column_dimensions["B"].width = 60
    return wb


def example_value(spec: SheetSpec, col: Column) -> str:
    return EXAMPLE_OVERRIDES.get((spec.key, col.key), col.example)


def _comment(text: str) -> Comment:
    c = Comment(text, AUTHOR)
    c.width, c.height = 320, 40 + 16 * (len(text) // 45 + text.count("\n") + 1)
    return c


def header_comment(spec: SheetSpec, col: Column) -> Comment:
    """What a column holds: description, obligatory or not, accepted values, an example."""
    parts = [col.help or col.header, "Obbligatoria." if col.required else "Facoltativa."]
    if (spec.key, col.key) in CHOICES:
        values, strict = CHOICES[(spec.key, col.key)]
        parts.append("Valori: " + ", ".join(values) + ("." if strict else " (o altro testo)."))
    if ex := example_value(spec, col):
        parts.append(f"Esempio: {ex}")
    return _comment("\n".join(parts))


def plan_field_comment(f: Column) -> Comment:
    parts = [f.help or f.header, "Obbligatorio." if f.required else "Facoltativo."]
    if f.example:
        parts.append(f"Esempio: {f.example}")
    return _comment("\n".join(parts))


def add_choices(sh, col_idx: int, values: tuple[str, ...], strict: bool, header: str) -> None:
    """An Excel drop-down list under the header (rows 2…DATA_ROWS+1)."""
    letter = get_column_letter(col_idx)
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                        showDropDown=False, showErrorMessage=True, showInputMessage=True,
                        errorStyle="stop" if strict else "warning")
    dv.promptTitle = header[:32]
    dv.prompt = ("Scegliere dall'elenco" if strict else "Scegliere dall'elenco o scrivere un testo")[:255]
    dv.errorTitle = header[:32]
    dv.error = ("Valori ammessi: " + ", ".join(values) if strict else
                "Valore non in elenco: verrà letto come testo libero. Continuare?")[:255]
    sh.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{DATA_ROWS + 1}")


def example_sheet(ws) -> None:
    """One filled row per sheet, consistent across sheets: how a plan is written. Not imported."""
    ws.cell(1, 1, "Esempio di compilazione (questo foglio non viene importato)").font = Font(bold=True, size=14)
    ws.cell(2, 1, "Una riga per ogni foglio, con codici che si richiamano tra i fogli: l'obiettivo A è collegato "
                  "all'obiettivo strategico 1A dell'area 1; lo step A.1 è dell'obiettivo A e ha una verifica.")
    row = 4
    widths: dict[int, int] = {}
    for spec in SHEETS:
        ws.cell(row, 1, f"Foglio «{spec.name}»").font = Font(bold=True, color="1F4E79", size=12)
        row += 1
        if spec.key == "plan":
            table = [("Campo", "Valore")] + [(f.header, f.example) for f in PLAN_FIELDS]
        else:
            table = [tuple(c.header for c in spec.columns), tuple(example_value(spec, c) for c in spec.columns)]
        for i, values in enumerate(table):
            for j, v in enumerate(values, start=1):
                cell = ws.cell(row, j, v)
                if i == 0:
                    cell.fill, cell.font = HEADER_FILL, HEADER_FONT
                else:
                    cell.fill, cell.font = EXAMPLE_FILL, EXAMPLE_FONT
                    cell.number_format = "@"
                widths[j] = max(widths.get(j, 12), min(40, len(str(v)) + 2))
            row += 1
        row += 1
    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = w


def template_bytes() -> bytes:
    buf = io.BytesIO()
    build_template().save(buf)
    return buf.getvalue()


def write_template(path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(p)
    return p
