"""Utenti: local accounts, roles and grants (amministratore only)."""
from ui.views.utenti import render

render()
