"""Premi: distribuzione del fondo per la produttività e pacchetto «Amministrazione trasparente»."""
from ui.views.premi import render

render()
