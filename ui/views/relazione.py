"""Relazione sulla performance: the texts the ente writes (presentation, context and resources), per ente and
year, and the downloads of the Relazione and of the documento di validazione in Word and tagged PDF/A-2.

Saving goes through :func:`metrics.access.save_relazione_texts` (the role is checked there, not only here).
The year-end workflow (register, approval, validation) is not wired here yet: the documents show the year as
«in lavorazione», hence «BOZZA»."""
from __future__ import annotations

import streamlit as st

from exports.common import export_file_name
from exports.pdf import office_path
from exports.relazione import relazione_input, to_relazione_docx, to_relazione_pdf, to_validation_docx, \
    to_validation_pdf
from metrics.access import save_relazione_texts
from metrics.fmt import fmt_date
from store.access import TEXTS
from store.relazione import BLOCKS, MAX_CHARS, current_texts, text_history
from ui.common import download_button, plain, plan_page, show_table

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The documents of the page: key → (button label, builder, extension, file-name prefix).
DOCUMENTS = {
    "rel_docx": ("Relazione (Word)", to_relazione_docx, "docx", "relazione"),
    "rel_pdf": ("Relazione (PDF)", to_relazione_pdf, "pdf", "relazione"),
    "val_docx": ("Validazione (Word)", to_validation_docx, "docx", "validazione"),
    "val_pdf": ("Validazione (PDF)", to_validation_pdf, "pdf", "validazione"),
}
HELP = {"docx": "Word, da rivedere e completare: impaginazione A4, tabelle che non si spezzano tra le pagine.",
        "pdf": "PDF/A-2 accessibile (con i tag di struttura per i lettori di schermo), per la pubblicazione in "
               "Amministrazione trasparente. La conversione richiede qualche secondo."}
HISTORY_COLS = {"block": ("Sezione", None), "version": ("Versione", "int"), "saved_at": ("Salvato il", None),
                "saved_by": ("Da", None), "caratteri": ("Caratteri", "int")}


def build(pm, db, key: str) -> bytes:
    """One document of this plan version and year (cached per data version: saving a text moves it)."""
    return pm.derived(_build, pm, key, db=db)


def _build(pm, key: str, db=None) -> bytes:
    return DOCUMENTS[key][1](relazione_input(db, pm))


def file_name(pm, key: str) -> str:
    _, _, ext, prefix = DOCUMENTS[key]
    return export_file_name(pm, ext).replace("performance_", f"{prefix}_performance_", 1)


def render() -> None:
    sel, pm = plan_page("Relazione sulla performance")
    st.caption("La Relazione segue la struttura pubblicata dai consorzi: presentazione e sintesi per i cittadini, "
               "contesto e risorse, obiettivi con indicatori e target, risultato misurato, fonti dei dati e risultato "
               "valutato, performance individuale in forma aggregata, processo di redazione; in allegato i criteri di "
               "misurazione e il documento di validazione. Resta «BOZZA» finché il Nucleo di valutazione non la valida.")
    st.subheader("Scarica")
    has_office = office_path() is not None
    if not has_office:
        st.warning("Il PDF non è disponibile: su questo computer manca LibreOffice (si installa con «make run»). "
                   "La versione Word è completa.", icon="⚠️")
    for col, (key, (label, _, ext, _)) in zip(st.columns(len(DOCUMENTS)), DOCUMENTS.items()):
        with col:
            if ext == "pdf" and not has_office:
                continue
            download_button(label, data=lambda k=key: build(pm, sel.db, k), file_name=file_name(pm, key),
                            mime=DOCX if ext == "docx" else "application/pdf", key=f"rel_dl_{key}", width="stretch",
                            help=("Documento di validazione del Nucleo. " if key.startswith("val") else "") + HELP[ext],
                            audit=f"{label}: {file_name(pm, key)}", plan_id=pm.ctx.plan_id, import_id=pm.ctx.import_id)

    st.subheader(f"Testi dell'ente per il {sel.year}")
    may_write = sel.principal.can(TEXTS)
    st.caption(f"Scritti una volta per {plain(sel.ente)} e per l'anno, entrano nelle sezioni 1 e 2 della Relazione. "
               "Un paragrafo per riga vuota. I numeri del personale vengono dal foglio Personale del piano.")
    if not may_write:
        st.info("Puoi leggere i testi; scriverli spetta a un referente, al direttore o all'amministratore.", icon="ℹ️")
    saved = current_texts(sel.db, sel.ente, sel.year)
    with st.form("rel_texts", border=True):
        values = {}
        for block, (title, hint) in BLOCKS.items():
            values[block] = st.text_area(title, value=saved.get(block, ""), placeholder=hint, max_chars=MAX_CHARS,
                                         height=120 if block != "presentazione" else 160, key=f"rel_text_{block}",
                                         disabled=not may_write)
        submitted = st.form_submit_button("Salva i testi", type="primary", disabled=not may_write)
    if submitted:
        try:
            titles = save_relazione_texts(sel.principal, sel.db, sel.plan_id, sel.ente, sel.year, values)
        except (ValueError, PermissionError) as exc:
            st.error(str(exc))
        else:
            st.session_state["rel_saved"] = (f"Salvati: {', '.join(titles)}. La Relazione scaricata da ora li contiene."
                                             if titles else "Nessuna modifica da salvare.")
            st.rerun()
    if msg := st.session_state.pop("rel_saved", None):
        st.success(msg, icon="✅")
    hist = text_history(sel.db, sel.ente, sel.year)
    if not hist.empty:
        with st.expander(f"Storico dei testi ({len(hist)} {'versione' if len(hist) == 1 else 'versioni'})"):
            hist = hist.assign(block=hist["block"].map(lambda b: BLOCKS.get(b, (b,))[0]),
                               saved_at=hist["saved_at"].map(lambda d: f"{fmt_date(d)} {d:%H:%M}"))
            show_table(hist, HISTORY_COLS, key="rel_history", memo=pm)
