"""Carica foglio: upload a monitoring workbook, see its validation report and what would change,
confirm the import; history of the imports with restore of an earlier version."""
from ui.views.carica import render

render()
