"""Panoramica: the plan at a glance."""
from ui.views.panoramica import render

render()
