"""Cascata strategica: aree → obiettivi strategici → obiettivi → step (rule 4)."""
from ui.views.cascata import render

render()
