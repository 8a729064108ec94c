"""Building small workbooks in memory for tests."""
from __future__ import annotations

import copy
import io

from openpyxl import Workbook

BASE: dict[str, list[list]] = {
    "Piano": [["Campo", "Valore"], ["Ente", "Consorzio Test"], ["Titolo", "Piano 2025"],
              ["Anno inizio", 2025], ["Anno fine", 2025], ["Data monitoraggio", "31/12/2025"]],
    "Aree": [["Codice", "Area"], ["1", "Minori"], ["2", "Anziani"]],
    "Obiettivi strategici": [["Codice", "Obiettivo", "Area"], ["1A", "Famiglie", "1"], ["2A", "Domiciliarità", "2"],
                             ["2B", "Residenzialità", "2"]],
    "Obiettivi": [["Codice", "Titolo", "Tipo", "Peso", "Obiettivi strategici"],
                  ["A", "Obiettivo A", "performance", "60%", "1A, 2A"],
                  ["B", "Obiettivo B", "PEG", "40%", "2B"]],
    "Step": [["Obiettivo", "Codice", "Descrizione", "Termine", "Peso"],
             ["A", "A.1", "Primo step", "31/03/2025", "50%"],
             ["A", "A.2", "Secondo step", "30/06/2025", "50%"],
             ["B", "B.1", "Unico step", "Entro settembre 2025", "100%"]],
    "Verifiche": [["Step", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Verifica"],
                  ["A.1", "31/08/2025", "Obiettivo realizzato", "", "10/04/2025", "Fatto con delibera 1"],
                  ["A.2", "31/08/2025", "In fase di realizzazione", "40%", "", "Avviato"],
                  ["B.1", "31/08/2025", "In corso", "", "", "In lavorazione"],
                  ["A.2", "31/12/2025", "Obiettivo realizzato", "", "15/07/2025", "Concluso"]],
}


def sheets(**overrides: list[list] | None) -> dict[str, list[list]]:
    """BASE with some sheets replaced (None removes a sheet)."""
    out = copy.deepcopy(BASE)
    for name, rows in overrides.items():
        name = name.replace("_", " ")
        if rows is None:
            out.pop(name, None)
        else:
            out[name] = rows
    return out


def xlsx(data: dict[str, list[list]] | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (data if data is not None else BASE).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CSSM_DEMO = "data/demo/000_cssm_piao_2025_2027.xlsx"
CSSM_FULL_NAME = "C.S.S.M. - Consorzio per i Servizi Socio Assistenziali del Monregalese"


def cssm_2020(root, ente: str = CSSM_FULL_NAME, codice_ipa: str | None = None) -> bytes:
    """The CSSM plan as its 2020 edition, uploaded under the consortium's full name: the demo workbook
    (``data/demo/000_cssm_piao_2025_2027.xlsx``, seed ``/work/shared/seeds/000_*.txt``) moved back five
    years (2025→2020, 2026→2021, 2027→2022 in every date and text, «/25» → «/20» in the deadlines),
    without the objectives added after 2020, and with the final verification at 31/12/2020 of the first
    steps. Same objective codes as the 2025 plan, so the two are comparable in Confronto."""
    import re

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO((root / CSSM_DEMO).read_bytes()))
    years = {"2025": "2020", "2026": "2021", "2027": "2022"}

    def back(v):
        if isinstance(v, str):
            v = re.sub(r"\b(2025|2026|2027)\b", lambda m: years[m.group(1)], v)
            return re.sub(r"(\d{1,2}/\d{1,2}/)(25|26|27)\b", lambda m: m.group(1) + years["20" + m.group(2)][2:], v)
        if isinstance(v, int) and v in (2025, 2026, 2027):
            return v - 5
        if hasattr(v, "year") and v.year in (2025, 2026, 2027):
            return v.replace(year=v.year - 5)
        return v

    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    c.value = back(c.value)
    plan = wb["Piano"]
    for row in plan.iter_rows(min_row=2):
        field = str(row[0].value or "").strip().lower()
        if field == "ente":
            row[1].value = ente
        elif field == "titolo":
            row[1].value = "Piano della performance 2020-2022 - Piano degli obiettivi"
    plan.append(["Data monitoraggio", "31/12/2020"])
    if codice_ipa:
        plan.append(["Codice IPA", codice_ipa])
    obj = wb["Obiettivi"]  # objectives first inserted after 2020 did not exist yet
    late = {str(r[0].value) for r in obj.iter_rows(min_row=2) if r[4].value and int(str(r[4].value)) > 2020}
    for i in range(obj.max_row, 1, -1):
        if str(obj.cell(i, 1).value) in late:
            obj.delete_rows(i)
    steps = wb["Step"]
    for i in range(steps.max_row, 1, -1):
        if str(steps.cell(i, 1).value) in late:
            steps.delete_rows(i)
    ver = wb.create_sheet("Verifiche")
    ver.append(["Step", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Verifica"])
    step_codes = [str(r[1].value) for r in steps.iter_rows(min_row=2) if r[1].value][:6]
    for k, code in enumerate(step_codes):
        if k % 3 == 2:
            ver.append([code, "31/12/2020", "In fase di realizzazione", "50%", "", "Avviato, da completare"])
        else:
            ver.append([code, "31/12/2020", "Obiettivo realizzato", "", "30/11/2020", "Concluso"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
