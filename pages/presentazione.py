"""Presentazione: the board deck one slide at a time (``?slide=N``), ← → to navigate, and
the exports (PowerPoint, Excel, Relazione Word, report HTML) built from the same deck."""
from ui.views.presentazione import render

render()
