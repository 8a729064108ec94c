"""The audit trail («Registro delle attività») as an .xlsx: one row per event, dates as real dates
shown Italian-style (gg/mm/aaaa hh:mm:ss), every text neutralised against formula injection
(:func:`exports.xlsx.cell_value`). Pure: DataFrame → bytes."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook

from exports.xlsx import INT, TITLE_FONT, _Sheet

DATETIME = "DD/MM/YYYY HH:MM:SS"
HEADERS = ["N.", "Quando", "Chi", "Azione", "Esito", "Ente", "Piano", "Versione", "Dettaglio"]
WIDTHS = [8, 20, 24, 22, 12, 40, 48, 10, 90]


def trail_xlsx(df: pd.DataFrame, filters: str = "", when: dt.datetime | None = None) -> bytes:
    """``df``: :func:`metrics.registro.audit_trail`. ``filters``: the filters applied, in words."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = "Registro delle attività"
    wb.properties.creator = "Cruscotto Performance"
    s = _Sheet(wb, "Registro")
    rows = [[int(r.audit_id), pd.Timestamp(r.happened_at).to_pydatetime(), r.who, r.action, r.outcome, r.ente,
             r.titolo, None if pd.isna(r.version) else int(r.version), r.detail] for r in df.itertuples()]
    s.table(HEADERS, rows, [INT, DATETIME, None, None, None, None, None, INT, None], WIDTHS, wrap=(5, 6, 8))
    info = _Sheet(wb, "Informazioni")
    info.put(["Registro delle attività"], font=TITLE_FONT)
    stamp = when or dt.datetime.now().replace(microsecond=0)
    for label, value, fmt in (("Estratto il", stamp, DATETIME), ("Filtri", filters or "nessuno", None),
                              ("Eventi", len(rows), INT),
                              ("Nota", "Registro in sola aggiunta: nessun evento viene modificato o cancellato.",
                               None)):
        info.put([label, value], [None, fmt])
    info.ws.column_dimensions["A"].width = 16
    info.ws.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
