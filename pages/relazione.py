"""Relazione sulla performance: i testi dell'ente (contesto e risorse) e i documenti in Word e PDF."""
from ui.views.relazione import render

render()
