"""Enti: one identity per ente. The list (Codice IPA, plans, alternative names, merges), the merge of
two enti (all plans and versions move) and its undo. Every merge and undo is in the Registro."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.fmt import fmt_datetime
from store import get_db
from store import access
from store.access import AUDIT
from store.enti import EnteError, active_merges, list_enti, looks_alike
from ui.auth import current_principal, require_capability
from ui.common import ensure_app_navigation, plain

SS_FLASH = "enti_flash"
SIDEBAR_KEYS = ("sel_ente", "sel_plan", "sel_year", "sel_date")


def enti_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Ente": df["nome"], "Codice IPA": df["codice_ipa"].fillna(""), "Piani": df["n_plans"].astype(int),
        "Nomi alternativi": df["aliases"].fillna(""),
        "Stato": [f"unito a «{m}»" if isinstance(m, str) else "" for m in df["merged_into_nome"]],
    })


def after_change(kind: str, text: str) -> None:
    st.session_state[SS_FLASH] = (kind, text)
    for k in SIDEBAR_KEYS:  # the sidebar lists the enti again
        st.session_state.pop(k, None)
    st.rerun()


def merge_form(db, active: pd.DataFrame) -> None:
    st.subheader("Unisci due enti")
    if len(active) < 2:
        st.caption("Per un'unione servono almeno due enti.")
        return
    names = dict(zip(active["ente_id"].astype(int), active["nome"]))
    plans = dict(zip(active["ente_id"].astype(int), active["n_plans"].astype(int)))
    def label(i: int) -> str:
        return f"{names[i]} ({plans[i]} {'piano' if plans[i] == 1 else 'piani'})"

    c1, c2 = st.columns(2)
    source = c1.selectbox("Ente da unire", list(names), format_func=lambda i: label(i),
                          key="enti_source", help="I suoi piani, con tutte le versioni, passano all'altro ente.")
    # the enti that look like the one chosen first (same acronym, one name inside the other)
    alike = dict(db.memo(("enti_alike", names[source], tuple(names.items())),   # once per data version
                         lambda: tuple((i, looks_alike(names[source], names[i])) for i in names if i != source)))
    targets = sorted(alike, key=lambda i: alike[i] is None)
    if st.session_state.get("enti_target") not in targets:
        st.session_state.pop("enti_target", None)
    target = c2.selectbox("Nell'ente", targets, format_func=lambda i: label(i),
                          key="enti_target", help="L'ente che resta, con il suo nome. Per primi gli enti che "
                                                  "somigliano a quello da unire.")
    if alike.get(target):
        st.caption(f"Somiglianza: {plain(alike[target])}.")
    st.caption(f"«{plain(names[source])}» diventa un nome alternativo di «{plain(names[target])}»: i caricamenti "
               f"futuri con quel nome vanno sotto «{plain(names[target])}». L'unione si può annullare.")
    if st.button("Unisci", type="primary", icon=":material/merge:", key="enti_merge"):
        try:
            msg = access.merge_enti(current_principal(), db, source, target)
        except EnteError as exc:
            st.error(plain(str(exc)))
            return
        after_change("success", msg)


def unmerge_form(db) -> None:
    merges = active_merges(db)
    st.subheader("Annulla un'unione")
    if merges.empty:
        st.caption("Nessuna unione da annullare.")
        return
    labels = {int(r.source_id): f"«{r.source_nome}» unito a «{r.target_nome}» il {fmt_datetime(r.merged_at)} "
                                f"da {r.merged_by} ({int(r.n_plans)} piani)" for r in merges.itertuples()}
    source = st.selectbox("Unione", list(labels), format_func=labels.get, key="enti_unmerge_choice")
    if st.button("Separa", icon=":material/call_split:", key="enti_unmerge"):
        try:
            msg = access.unmerge_enti(current_principal(), db, source)
        except EnteError as exc:
            st.error(plain(str(exc)))
            return
        after_change("success", msg)


def ipa_form(db, active: pd.DataFrame) -> None:
    st.subheader("Codice IPA")
    names = dict(zip(active["ente_id"].astype(int), active["nome"]))
    codes = dict(zip(active["ente_id"].astype(int), active["codice_ipa"]))
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    ente = c1.selectbox("Ente a cui dare il codice", list(names), format_func=names.get, key="enti_ipa_ente")
    current = codes.get(ente)
    code = c2.text_input("Codice IPA", value=current if isinstance(current, str) else "", key=f"enti_ipa_{ente}",
                         placeholder="es. cssm_cn", help="Il codice dell'ente nell'Indice delle Pubbliche "
                                                          "Amministrazioni (indicepa.gov.it). Vuoto: nessun codice.")
    if c3.button("Salva il codice", key="enti_ipa_save"):
        try:
            msg = access.set_codice_ipa(current_principal(), db, ente, code)
        except EnteError as exc:
            st.error(plain(str(exc)))
            return
        after_change("success", msg)


def render() -> None:
    ensure_app_navigation()
    require_capability(AUDIT)   # amministratore only
    db = get_db()
    st.title("Enti")
    st.caption("Ogni ente ha una sola identità: all'importazione è riconosciuto dal Codice IPA, poi dal nome "
               "(maiuscole, accenti e punteggiatura non contano) o da un nome alternativo registrato. Se un foglio "
               "arriva con un nome nuovo ma simile a un ente noto, «Carica foglio» chiede se è lo stesso ente.")
    if (flash := st.session_state.pop(SS_FLASH, None)) is not None:
        getattr(st, flash[0])(plain(flash[1]))
    df = list_enti(db)
    if df.empty:
        st.info("Nessun ente: il primo foglio caricato crea il suo ente.", icon=":material/info:")
        return
    st.dataframe(enti_table(df), hide_index=True, width="stretch", key="enti_table",
                 column_config={"Ente": st.column_config.TextColumn(width=280),
                                "Codice IPA": st.column_config.TextColumn(width=100),
                                "Piani": st.column_config.NumberColumn(width=60),
                                "Nomi alternativi": st.column_config.TextColumn(width=280),
                                "Stato": st.column_config.TextColumn(width=200)})
    active = df[df["merged_into"].isna()].reset_index(drop=True)
    merge_form(db, active)
    unmerge_form(db)
    ipa_form(db, active)
