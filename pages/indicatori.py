"""Indicatori: target vs valore rilevato (regola 6), per obiettivo e per area organizzativa."""
from ui.views.indicatori import render

render()
