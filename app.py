"""Cruscotto Performance — entry point: navigation, selection in the sidebar, URL state.

Pages live in ``pages/`` (one thin file each) and read the selection from ``ui.state``.
"""
from __future__ import annotations

import streamlit as st

from store import get_db
from ui.state import sidebar_selection

st.set_page_config(page_title="Cruscotto Performance", page_icon="📊", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = {
    "Direzione": [
        st.Page("pages/panoramica.py", title="Panoramica", icon="📊", url_path="panoramica", default=True),
        st.Page("pages/obiettivo.py", title="Obiettivo", icon="🎯", url_path="obiettivo"),
        st.Page("pages/cascata.py", title="Cascata strategica", icon="🌳", url_path="cascata"),
        st.Page("pages/scadenze.py", title="Scadenze e ritardi", icon="⏰", url_path="scadenze"),
        st.Page("pages/indicatori.py", title="Indicatori", icon="📏", url_path="indicatori"),
        st.Page("pages/persone.py", title="Persone", icon="👥", url_path="persone"),
        st.Page("pages/confronto.py", title="Confronto", icon="⚖️", url_path="confronto"),
    ],
    "Consiglio": [
        st.Page("pages/presentazione.py", title="Presentazione", icon="🖥️", url_path="presentazione"),
    ],
    "Dati": [
        st.Page("pages/carica.py", title="Carica foglio", icon="📤", url_path="carica"),
        st.Page("pages/qualita.py", title="Qualità dei dati", icon="🧪", url_path="qualita"),
    ],
}

page = st.navigation(PAGES)
sidebar_selection(get_db())
page.run()
