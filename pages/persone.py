"""Persone: performance individuale (regola 7) e matrice di partecipazione persona × obiettivo."""
from ui.views.persone import render

render()
