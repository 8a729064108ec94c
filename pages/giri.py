"""Giri di monitoraggio: one pre-filled workbook per responsible, answers tracked and merged (issue 18)."""
from ui.views.giri import render

render()
