"""The before/after changes of a plan version as the pages show them (Carica foglio, Giri di monitoraggio):
column labels and the one-line summary. Shared by the two views, so neither imports the other."""
from __future__ import annotations

import pandas as pd

from loaders.diff import ADDED, CHANGED, REMOVED
from metrics.fmt import plural as n_of   # the one helper: «1 aggiunto», «5 aggiunti»


FIELD_COLUMNS = {"field": ("Campo", None), "before": ("Prima", None), "after": ("Dopo", None)}
CHANGE_COLUMNS = {
    "objectives": ("Obiettivi", {"change": ("Modifica", None), "code": ("Codice", None), "title": ("Obiettivo", None)}),
    "steps": ("Step", {"change": ("Modifica", None), "objective_code": ("Obiettivo", None), "code": ("Step", None),
                       "description": ("Descrizione", None)}),
    "verifications": ("Verifiche", {"change": ("Modifica", None), "objective_code": ("Obiettivo", None),
                                    "step_code": ("Step", None), "verified_on": ("Data verifica", "date"),
                                    "status_raw": ("Stato", None)}),
}


def change_summary(df: pd.DataFrame) -> str:
    counts = df["change"].value_counts() if not df.empty else {}
    parts = [n_of(int(counts.get(k, 0)), one, many) for k, one, many in
             ((ADDED, "aggiunto", "aggiunti"), (CHANGED, "modificato", "modificati"), (REMOVED, "rimosso", "rimossi"))
             if counts.get(k, 0)]
    return ", ".join(parts) or "nessuna modifica"
