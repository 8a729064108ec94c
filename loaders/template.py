"""The blank monitoring workbook (modello), generated from :mod:`loaders.spec`."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from loaders.spec import PLAN_FIELDS, SHEETS

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
REQUIRED_FILL = PatternFill("solid", fgColor="C00000")

INSTRUCTIONS = [
    "Foglio di monitoraggio del Piano della performance — istruzioni",
    "",
    "Fogli obbligatori: Piano, Obiettivi, Step. Facoltativi: Aree, Obiettivi strategici, Verifiche, Indicatori, Personale.",
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
    for i, line in enumerate(INSTRUCTIONS + profile_instructions(), start=1):
        ws.cell(i, 1, line)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 140
    row = len(INSTRUCTIONS) + len(profile_instructions()) + 2
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

    for spec in SHEETS:
        sh = wb.create_sheet(spec.name)
        for j, col in enumerate(spec.columns, start=1):
            c = sh.cell(1, j, col.header)
            c.fill = REQUIRED_FILL if col.required else HEADER_FILL
            c.font = HEADER_FONT
            c.alignment = Alignment(wrap_text=True, vertical="top")
            sh.column_dimensions[get_column_letter(j)].width = max(14, min(45, len(col.header) + 6))
            if col.key in ("code", "objective_code", "step_code", "area_code", "missione", "programma"):
                for r in range(2, 502):
                    sh.cell(r, j).number_format = "@"
        sh.freeze_panes = "A2"
        if spec.key == "plan":
            for i, f in enumerate(PLAN_FIELDS, start=2):
                sh.cell(i, 1, f.header).font = Font(bold=f.required)
            sh.column_dimensions["A"].width = 22
            sh.column_dimensions["B"].width = 60
    return wb


def template_bytes() -> bytes:
    buf = io.BytesIO()
    build_template().save(buf)
    return buf.getvalue()


def write_template(path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(p)
    return p
