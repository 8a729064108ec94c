"""Enti: one identity per ente; merge and undo."""
from ui.views.enti import render

render()
