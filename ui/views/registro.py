"""Registro delle attività: the audit trail (append-only) with filters — period, who, action, outcome,
ente and plan — newest first, and its export to Excel."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import streamlit as st

from exports.registro import trail_xlsx
from metrics.fmt import fmt_int
from metrics.registro import audit_trail, plan_choices, trail_choices
from store import get_db
from store.access import AUDIT
from ui.auth import require_capability
from ui.common import download_button, ensure_app_navigation, plain

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN = 1000   # rows on screen (newest first); the Excel file has every row that matches the filters
OUTCOME_LABELS = {"ok": "✓ ok", "rifiutato": "✗ rifiutato", "errore": "⚠ errore"}


def filters(db) -> dict:
    """The filter widgets; returns the arguments of :func:`audit_trail` and their description."""
    ch = trail_choices(db)
    today = dt.date.today()
    first, last = ch["first"], max(ch["last"], today)
    c1, c2, c3 = st.columns([1.2, 1, 1])
    period = c1.date_input("Periodo", value=(first, last), min_value=first, max_value=last, format="DD/MM/YYYY",
                           key="reg_period")
    who = c2.multiselect("Chi", ch["who"], key="reg_who", placeholder="Tutti")
    actions = c3.multiselect("Azione", ch["actions"], key="reg_actions", placeholder="Tutte")
    c4, c5, c6 = st.columns([1, 1.2, 1.2])
    outcomes = c4.multiselect("Esito", ch["outcomes"], key="reg_outcomes", placeholder="Tutti")
    plans = plan_choices(db)
    enti = dict(zip(plans["ente_id"].astype(int), plans["ente"]))
    ente_id = c5.selectbox("Ente interessato", [None, *enti], key="reg_ente",
                           format_func=lambda i: "Tutti gli enti" if i is None else enti[i])
    of = plans.dropna(subset=["plan_id"])
    if ente_id is not None:
        of = of[of["ente_id"] == ente_id]
    titles = dict(zip(of["plan_id"].astype(int), of["titolo"]))
    if st.session_state.get("reg_plan") not in (None, *titles):
        st.session_state["reg_plan"] = None
    plan_id = c6.selectbox("Piano interessato", [None, *titles], key="reg_plan",
                           format_func=lambda i: "Tutti i piani" if i is None else titles[i])
    since, until = (tuple(period) + (None, None))[:2] if isinstance(period, (tuple, list)) else (period, period)
    words = [f"dal {since:%d/%m/%Y}" if since and since > first else "",
             f"al {until:%d/%m/%Y}" if until and until < last else "",
             f"chi: {', '.join(who)}" if who else "", f"azione: {', '.join(actions)}" if actions else "",
             f"esito: {', '.join(outcomes)}" if outcomes else "",
             f"ente: {enti[ente_id]}" if ente_id is not None else "",
             f"piano: {titles[plan_id]}" if plan_id is not None else ""]
    return {"args": dict(since=since, until=until, who=who, actions=actions, outcomes=outcomes, ente_id=ente_id,
                         plan_id=plan_id),
            "text": "; ".join(w for w in words if w)}


def table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Quando": pd.to_datetime(df["happened_at"]).dt.strftime("%d/%m/%Y %H:%M:%S"), "Chi": df["who"],
        "Azione": df["action"],
        "Esito": df["outcome"].map(lambda o: OUTCOME_LABELS.get(o, o)), "Ente": df["ente"].fillna(""),
        "Piano": df["titolo"].fillna(""),
        "Versione": df["version"].astype("Int64").astype("string").fillna(""),
        "Dettaglio": df["detail"].fillna(""),
    })


_SHOWN_MEMO: dict[tuple, tuple[tuple, tuple[int, pa.Table]]] = {}
_SHOWN_MEMO_SIZE = 32


def shown(db, args: dict) -> tuple[int, pa.Table]:
    """(events matching ``args``, the :data:`SHOWN` newest formatted as an Arrow table): once per commit to
    the database file (``Database.file_token``, as :mod:`metrics.registro`) and filters, not at every run."""
    token = db.file_token()
    key = (db.path, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(args.items())))
    hit = _SHOWN_MEMO.get(key)
    if token is None or hit is None or hit[0] != token:
        df = audit_trail(db, **args)
        value = (len(df), pa.Table.from_pandas(table(df.head(SHOWN)), preserve_index=False))
        if token is None:
            return value
        if len(_SHOWN_MEMO) >= _SHOWN_MEMO_SIZE:
            _SHOWN_MEMO.clear()
        hit = _SHOWN_MEMO[key] = (token, value)
    return hit[1]


def render() -> None:
    ensure_app_navigation()
    require_capability(AUDIT)   # amministratore only
    db = get_db()
    st.title("Registro delle attività")
    st.caption("Chi ha fatto che cosa e quando: accessi, anteprime e importazioni (anche rifiutate), ripristini, "
               "esportazioni e scaricamenti, modifiche di profili, utenti e autorizzazioni, unioni di enti. "
               "Il registro è in sola aggiunta: nessun evento si può modificare o cancellare.")
    if trail_choices(db)["first"] is None:
        st.info("Nessuna attività registrata finora.", icon=":material/info:")
        return
    f = filters(db)
    n, rows = shown(db, f["args"])
    c_count, c_dl = st.columns([2, 1], vertical_alignment="bottom")
    c_count.markdown(f"**{fmt_int(n)} {'evento' if n == 1 else 'eventi'}**, dal più recente"
                     + (f" · filtri: {plain(f['text'])}" if f["text"] else ""))
    with c_dl:
        download_button("Scarica il registro in Excel", data=lambda: trail_xlsx(audit_trail(db, **f["args"]), f["text"]),
                        file_name=f"registro_attivita_{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME,
                        icon=":material/download:", key="reg_download", width="stretch", disabled=not n,
                        audit=f"registro delle attività ({n} eventi" + (f"; {f['text']})" if f["text"] else ")"))
    if not n:
        st.info("Nessun evento con questi filtri.", icon=":material/filter_alt_off:")
        return
    if n > SHOWN:
        st.caption(f"Sono mostrati i {fmt_int(SHOWN)} eventi più recenti: restringere i filtri per vedere gli altri; "
                   "il file Excel li contiene tutti.")
    st.dataframe(rows, hide_index=True, width="stretch", key="reg_table",
                 column_config={"Quando": st.column_config.TextColumn(width=150),
                                "Chi": st.column_config.TextColumn(width=150),
                                "Azione": st.column_config.TextColumn(width=150),
                                "Esito": st.column_config.TextColumn(width=95),
                                "Ente": st.column_config.TextColumn(width=140),
                                "Piano": st.column_config.TextColumn(width=200),
                                "Versione": st.column_config.TextColumn(width=70),
                                "Dettaglio": st.column_config.TextColumn(width="large")})
