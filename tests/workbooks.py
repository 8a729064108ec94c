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
