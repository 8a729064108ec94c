"""Cruscotto Performance — entry point: gate (login, local mode), navigation, selection in the sidebar, URL state.

Pages live in ``pages/`` (one thin file each) and read the selection from ``ui.state``. The pages offered
depend on the role (``ui.auth.gate``); the data layer enforces the same rules (``metrics.access``).
"""
from __future__ import annotations

import streamlit as st

from store import get_db
from store.access import AUDIT, MANAGE_USERS, ROUNDS, UPLOAD
from ui.auth import account_box, gate, show_denied
from ui.common import italian_document
from ui.state import sidebar_selection, url_notes

st.set_page_config(page_title="Cruscotto Performance", page_icon="📊", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = {
    "Direzione": [
        st.Page("pages/panoramica.py", title="Panoramica", icon=":material/dashboard:", url_path="panoramica"),
        st.Page("pages/obiettivo.py", title="Obiettivo", icon=":material/target:", url_path="obiettivo"),
        st.Page("pages/cascata.py", title="Cascata strategica", icon=":material/account_tree:", url_path="cascata"),
        st.Page("pages/scadenze.py", title="Scadenze e ritardi", icon=":material/schedule:", url_path="scadenze"),
        st.Page("pages/indicatori.py", title="Indicatori", icon=":material/speed:", url_path="indicatori"),
        st.Page("pages/persone.py", title="Persone", icon=":material/groups:", url_path="persone"),
        st.Page("pages/premi.py", title="Premi", icon=":material/payments:", url_path="premi"),
        st.Page("pages/confronto.py", title="Confronto", icon=":material/compare_arrows:", url_path="confronto"),
    ],
    "Consiglio": [
        st.Page("pages/presentazione.py", title="Presentazione", icon=":material/slideshow:", url_path="presentazione"),
        st.Page("pages/chiusura.py", title="Chiusura dell'anno", icon=":material/verified:", url_path="chiusura"),
        st.Page("pages/relazione.py", title="Relazione", icon=":material/description:", url_path="relazione"),
    ],
    "Dati": [
        st.Page("pages/carica.py", title="Carica foglio", icon=":material/upload_file:", url_path="carica"),
        st.Page("pages/giri.py", title="Giri di monitoraggio", icon=":material/forward_to_inbox:", url_path="giri"),
        st.Page("pages/qualita.py", title="Qualità dei dati", icon=":material/fact_check:", url_path="qualita"),
        st.Page("pages/sistema.py", title="Sistema di misurazione", icon=":material/tune:", url_path="sistema"),
        st.Page("pages/enti.py", title="Enti", icon=":material/apartment:", url_path="enti"),
        st.Page("pages/registro.py", title="Registro", icon=":material/history:", url_path="registro"),
        # the root URL "/" opens the Panoramica at /panoramica (Streamlit serves its default page only at "/":
        # with Panoramica as default, the documented /panoramica?piano=… links gave «Page not found»)
        st.Page("pages/inizio.py", title="Panoramica", url_path="inizio", default=True, visibility="hidden"),
    ],
}
UTENTI = st.Page("pages/utenti.py", title="Utenti", icon=":material/manage_accounts:", url_path="utenti")

db = get_db()
principal = gate(db, {**PAGES, "Amministrazione": [UTENTI]})   # login form, or the refusal of a network bind in local mode, then st.stop()
if not principal.can(UPLOAD):
    PAGES["Dati"] = [p for p in PAGES["Dati"] if p.url_path != "carica"]
if not (principal.can(ROUNDS) or principal.can(UPLOAD)):   # the direttore runs rounds, a referente uploads answers
    PAGES["Dati"] = [p for p in PAGES["Dati"] if p.url_path != "giri"]
if not principal.can(AUDIT):   # the audit trail and the enti (merge, Codice IPA): amministratore
    PAGES["Dati"] = [p for p in PAGES["Dati"] if p.url_path not in ("enti", "registro")]
if principal.can(MANAGE_USERS):
    PAGES["Amministrazione"] = [UTENTI]
# expanded=True: every page stays listed (Streamlit's own «View N more» / «View less» are English and hid
# Sistema, Enti, Registro and Utenti; issue 15)
page = st.navigation(PAGES, expanded=True)
account_box(db, principal)
sidebar_selection(db, principal)
italian_document()      # <html lang="it">, Italian texts for Streamlit's uploader, whole names in the selects
show_denied()
if page.url_path:       # not the root page, which only switches to the Panoramica (the notes wait for it)
    url_notes()
page.run()
