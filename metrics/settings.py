"""Parameters of the metrics, with their documented defaults. Nothing else in the
code base hard-codes a threshold: pass a different :class:`Settings` to change them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    #: Fascia verde: raggiungimento ≥ 90%.
    green_from: float = 90.0
    #: Fascia gialla: 60% ≤ raggiungimento < 90%; sotto è rossa.
    yellow_from: float = 60.0
    #: Tolleranza di slittamento: giorni di ritardo oltre il termine ancora considerati «in tempo».
    slip_tolerance_days: int = 0
    #: Testi di verifica più corti di così non contano come copia-incolla sospetto.
    min_duplicate_text_len: int = 40
    #: Scarto (punti percentuali) tollerato tra colonna «peso step/anno» stampata e regola 1.
    year_weight_tolerance: float = 0.01
    #: Scarto (punti percentuali) tollerato sulla somma dei pesi rispetto a 100%.
    weight_sum_tolerance: float = 0.5


DEFAULT = Settings()

BAND_GREEN, BAND_YELLOW, BAND_RED, BAND_NONE = "verde", "giallo", "rosso", "n.d."
BAND_COLORS = {BAND_GREEN: "#2e7d32", BAND_YELLOW: "#f9a825", BAND_RED: "#c62828", BAND_NONE: "#9e9e9e"}
