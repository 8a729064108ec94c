"""Confronto: due date di monitoraggio o due versioni del piano, affiancate."""
from ui.views.confronto import render

render()
