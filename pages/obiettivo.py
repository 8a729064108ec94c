"""Obiettivo: drill-down on one objective (``?obiettivo=A``)."""
from ui.views.obiettivo import render

render()
