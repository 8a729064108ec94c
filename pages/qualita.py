"""Qualità dei dati: i controlli della specifica, con gli elementi e le righe coinvolte."""
from ui.views.qualita import render

render()
