"""Scadenze e ritardi: slippage of the steps (rule 5) on a time axis, by month, area and responsible."""
from ui.views.scadenze import render

render()
