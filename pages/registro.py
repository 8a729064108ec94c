"""Registro delle attività: the audit trail with filters and its export to Excel."""
from ui.views.registro import render

render()
