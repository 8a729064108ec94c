"""Chiusura dell'anno: stato della validazione, registro degli scostamenti, carte di lavoro, riapertura."""
from ui.views.chiusura import render

render()
