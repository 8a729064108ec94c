"""Parameters of the metrics. The SMVP thresholds (colour bands, slippage tolerance, scoring, the value of
continuous/partial/in-progress steps…) are parameters of the measuring-system profile
(:class:`domain.profile.Profile`): ``Settings`` is kept as its alias and ``DEFAULT`` is the *Predefinito*
preset. What remains here are technical knobs of the data-quality checks, which are no SMVP choice.
Nothing else in the code base hard-codes a threshold.
"""
from __future__ import annotations

from dataclasses import dataclass

from domain.profile import PREDEFINITO, Profile

#: The measuring-system profile (thresholds are its parameters); old name kept for callers.
Settings = Profile
DEFAULT = PREDEFINITO


@dataclass(frozen=True)
class QualitySettings:
    #: Testi di verifica più corti di così non contano come copia-incolla sospetto.
    min_duplicate_text_len: int = 40
    #: Scarto (punti percentuali) tollerato tra colonna «peso step/anno» stampata e regola 1.
    year_weight_tolerance: float = 0.01
    #: Scarto (punti percentuali) tollerato sulla somma dei pesi rispetto a 100%.
    weight_sum_tolerance: float = 0.5


QUALITY = QualitySettings()

BAND_GREEN, BAND_YELLOW, BAND_RED, BAND_NONE = "verde", "giallo", "rosso", "n.d."
BAND_COLORS = {BAND_GREEN: "#2e7d32", BAND_YELLOW: "#f9a825", BAND_RED: "#c62828", BAND_NONE: "#9e9e9e"}
