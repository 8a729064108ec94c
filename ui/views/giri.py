"""Giri di monitoraggio (issue 18): open a round on the selected plan, download the pre-filled workbooks
(one by one or as a zip), upload the answers, follow who answered (reminder text and ``mailto:`` link), choose
between disagreeing answers, close the round after the before/after diff. Every rule is in
:mod:`loaders.rounds` (roles included); this view only shows and asks."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from loaders import rounds as R
from loaders.diff import has_changes, one_row_per_field
from metrics.calendar import build_calendar
from metrics.fmt import fmt_date, fmt_datetime, fmt_int, fmt_pct
from store.access import ROUNDS, UPLOAD, NotAuthorized
from ui.common import download_button, metric_row, page_header, plain, require_selection, show_table
from ui.state import PLACEHOLDER

SS_PREVIEW = "giri_close_preview"
SS_RESULTS = "giri_answer_results"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_COLS = {"responsible": ("Responsabile", None), "esito": ("Esito", None), "steps": ("Step", "int"),
               "answered": ("Step risposti", "int"), "answered_at_text": ("Risposta del", None),
               "answered_by": ("Caricata da", None)}


def show_answer_result(res: R.AnswerResult) -> None:
    """The outcome of one answer, its problems row by row (also used by the Carica page)."""
    if res.ok:
        st.success(res.message, icon=":material/check_circle:")
    else:
        st.error(res.message, icon=":material/block:")
    if len(res.problems):
        df = pd.DataFrame([{"Gravità": p.severity, "Foglio": p.sheet or "", "Riga": p.row or "",
                            "Colonna": p.column or "", "Problema": p.message, "Valore": p.value or ""}
                           for p in res.problems])
        st.dataframe(df, hide_index=True, width="stretch")


def open_form(db, sel, principal) -> None:
    with st.expander("Apri un nuovo giro", icon=":material/add_circle:",
                     expanded=R.list_rounds(db, principal, sel.plan_id).empty):
        found = R.plan_responsibles(db, sel.import_id)
        names = sorted(v[0] for v in found.values())
        year = sel.year
        with st.form("giri_open"):
            c1, c2 = st.columns(2)
            ref = c1.date_input("Data di verifica", value=dt.date(year, 8, 31), format="DD/MM/YYYY",
                                help="La «Data verifica» di tutte le risposte (es. 31/08 o 31/12).")
            due = c2.date_input("Risposte entro il", value=dt.date(year, 9, 15), format="DD/MM/YYYY")
            chosen = st.multiselect("Responsabili", names, default=names, placeholder=PLACEHOLDER,
                                    help="Di norma tutti i responsabili degli step del piano; chi non è "
                                         "indicato riceve il foglio «senza responsabile».")
            if st.form_submit_button("Apri il giro", type="primary", icon=":material/send:"):
                try:
                    rid = R.open_round(db, principal, sel.plan_id, ref, due, chosen or None)
                except (R.RoundError, NotAuthorized) as exc:
                    st.error(str(exc), icon=":material/block:")
                else:
                    st.session_state["giri_round"] = rid
                    st.success(f"Giro n. {rid} aperto: {len(chosen or names)} fogli pronti da scaricare.",
                               icon=":material/check_circle:")


def downloads(db, principal, r: dict, status: pd.DataFrame) -> None:
    st.subheader("Fogli da inviare")
    rid = r["round_id"]
    c1, c2 = st.columns(2)
    with c1:
        download_button("Scarica tutti i fogli (zip)", lambda: R.round_zip(db, principal, rid),
                        f"Giro {rid} - fogli dei responsabili.zip", "application/zip", key=f"giri_zip_{rid}",
                        icon=":material/folder_zip:", type="primary")
    with c2:
        who = st.selectbox("Foglio di un responsabile", list(status["responsible"]), key=f"giri_who_{rid}",
                           placeholder=PLACEHOLDER)
        if who:
            fname = R.file_name_for(r, who)
            download_button(f"Scarica il foglio di «{who}»",
                            lambda who=who: R.round_workbook(db, principal, rid, who)[1], fname, XLSX,
                            key=f"giri_one_{rid}",
                            audit=f"giro n. {rid}: foglio di «{who}»", plan_id=r["plan_id"], icon=":material/download:")


def upload_answers(db, principal, r: dict) -> None:
    st.subheader("Risposte ricevute")
    if not principal.can(UPLOAD):
        st.caption("Il tuo ruolo consente di seguire il giro, non di caricare risposte.")
        return
    gen = st.session_state.get("giri_upload_gen", 0)
    files = st.file_uploader("Fogli compilati (.xlsx)", accept_multiple_files=True, key=f"giri_upload_{gen}",
                             help="Uno o più fogli restituiti dai responsabili: ogni foglio è controllato per intero "
                                  "e registrato solo se non ha errori.")
    if files and st.button("Registra le risposte", type="primary", icon=":material/upload:"):
        results = []
        with st.spinner("Controllo delle risposte…"):
            for f in files:
                results.append((f.name, R.answer_bytes(db, principal, f.getvalue(), f.name)))
        st.session_state[SS_RESULTS] = results
        st.session_state["giri_upload_gen"] = gen + 1
        st.rerun()
    results = st.session_state.pop(SS_RESULTS, [])
    good = [(n, res) for n, res in results if res.ok and not len(res.problems)]
    if len(good) > 3:       # many files at once: one line, and the detail in a table
        st.success(f"{fmt_int(len(good))} risposte registrate senza problemi.", icon=":material/check_circle:")
        st.dataframe(pd.DataFrame([{"File": n, "Responsabile": res.responsible, "Step compilati": res.answered}
                                   for n, res in good]), hide_index=True, width="stretch")
        results = [x for x in results if x not in good]
    for _name, res in results:
        show_answer_result(res)


def status_table(r: dict, status: pd.DataFrame) -> None:
    st.subheader("Chi ha risposto")
    status = status.assign(answered_at_text=[fmt_datetime(x) if pd.notna(x) else "—" for x in status["answered_at"]])
    show_table(status, STATUS_COLS, key=f"giri_status_{r['round_id']}")
    waiting = status[status["esito"] == "in attesa"]
    if waiting.empty:
        st.success("Tutti i responsabili hanno risposto.", icon=":material/check_circle:")
        return
    who = "1 responsabile non ha" if len(waiting) == 1 else f"{fmt_int(len(waiting))} responsabili non hanno"
    st.caption(f"{who} ancora risposto (scadenza {fmt_date(r['due_date'])}): "
               "per ciascuno, un promemoria da copiare e un link che apre la mail già scritta.")
    for rec in waiting.itertuples():
        with st.expander(f"Promemoria per «{rec.responsible}»", icon=":material/mail:"):
            st.code(rec.promemoria, language=None, wrap_lines=True)
            st.markdown(f"[Scrivi la mail a {plain(rec.email) if rec.email else 'questo responsabile'}]({rec.mailto})")


def conflicts_box(db, principal, r: dict) -> None:
    df = R.conflicts(db, principal, r["round_id"])
    if df.empty:
        return
    st.subheader("Risposte diverse sullo stesso step")
    st.warning("Alcuni step hanno risposte diverse da più responsabili: scegliere quale vale prima di chiudere.",
               icon=":material/call_split:")
    for (obj, step), grp in df.groupby(["objective_code", "step_code"], sort=False):
        options = list(grp["responsible"])
        labels = {row.responsible: f"{row.responsible}: {row.status_raw or '—'}, {fmt_pct(row.achievement)} — "
                                   f"{(row.note or '')[:120]}" for row in grp.itertuples()}
        pick = st.radio(f"Step {step} (obiettivo {obj})", options, format_func=lambda o, labels=labels: labels[o],
                        key=f"giri_pick_{r['round_id']}_{obj}_{step}", index=None,
                        disabled=not principal.can(ROUNDS))
        if pick and st.button(f"Vale la risposta di «{pick}»", key=f"giri_choose_{obj}_{step}"):
            st.success(R.choose_answer(db, principal, r["round_id"], obj, step, pick))
            st.rerun()


def close_box(db, principal, r: dict) -> None:
    st.subheader("Chiusura del giro")
    if not principal.can(ROUNDS):
        st.caption("Il giro lo chiude il direttore.")
        return
    rid = r["round_id"]
    if st.button("Prepara la chiusura", icon=":material/preview:", key=f"giri_prepare_{rid}"):
        try:
            st.session_state[SS_PREVIEW] = (rid, R.close_preview(db, principal, rid))
        except (R.RoundError, NotAuthorized) as exc:
            st.session_state.pop(SS_PREVIEW, None)
            st.error(str(exc), icon=":material/block:")
    pending = st.session_state.get(SS_PREVIEW)
    if not pending or pending[0] != rid:
        st.caption("Chiudere il giro scrive una nuova versione del piano con le risposte ricevute; prima si vedono "
                   "le modifiche.")
        return
    preview = pending[1]
    if not preview["ok"]:
        st.error("La nuova versione non supera la validazione: " + "; ".join(str(p) for p in preview["problems"].errors[:5]))
        return
    if preview["missing"]:
        st.warning(R.missing_note(preview["missing"]), icon=":material/warning:")
    changes = preview["changes"]
    if has_changes(changes):
        from ui.changes import CHANGE_COLUMNS, FIELD_COLUMNS, change_summary

        version = int(changes["plan"]["version"].iloc[0])
        st.caption(f"Modifiche rispetto alla versione {version}: la chiusura creerà la versione {version + 1} "
                   "(la versione attuale resta nello storico e si può ripristinare).")
        names = list(CHANGE_COLUMNS)
        for tab, k in zip(st.tabs([f"{CHANGE_COLUMNS[k][0]}: {change_summary(changes[k])}" for k in names]), names):
            with tab:
                if changes[k].empty:
                    st.caption(f"Nessuna modifica a: {CHANGE_COLUMNS[k][0].lower()}.")
                else:
                    show_table(one_row_per_field(changes[k]), {**CHANGE_COLUMNS[k][1], **FIELD_COLUMNS},
                               key=f"giri_diff_{k}")
    else:
        st.info("Nessuna modifica rispetto alla versione corrente.", icon=":material/info:")
    if st.button("Conferma e chiudi il giro", type="primary", icon=":material/task_alt:", key=f"giri_close_{rid}"):
        try:
            result, missing = R.close_round(db, principal, rid)
        except (R.RoundError, NotAuthorized) as exc:
            st.error(str(exc), icon=":material/block:")
            return
        st.session_state.pop(SS_PREVIEW, None)
        if result.ok:
            st.success(f"Giro n. {rid} chiuso. {result.message}", icon=":material/check_circle:")
            if missing:
                st.info(R.missing_note(missing), icon=":material/info:")
        else:
            st.error(result.message, icon=":material/block:")


def calendar_download(db, principal, ente: str, key: str, responsibles: list[str] | None = None) -> None:
    """The deadlines calendar (.ics) of the ente, as the principal may see it (also on Scadenze); with
    ``responsibles``, a choice to keep only one responsible's steps and rounds."""
    who = None
    if responsibles:
        who = st.selectbox("Calendario di", ["Tutto l'ente"] + responsibles, key=f"{key}_who", placeholder=PLACEHOLDER)
        who = None if who == "Tutto l'ente" else who
    name = "scadenze.ics" if who is None else f"scadenze - {who}.ics"
    download_button("Scarica il calendario delle scadenze (.ics)", lambda: build_calendar(db, principal, ente, who),
                    name, "text/calendar", key=key, icon=":material/calendar_month:",
                    help="Scadenze degli step (anche rinviate), date di monitoraggio, termini dei giri e della "
                         "Relazione: si apre con Outlook, Thunderbird o il calendario del telefono.")


def render() -> None:
    sel = require_selection()
    page_header("Giri di monitoraggio", sel)
    db, principal = sel.db, sel.principal
    st.caption("Un foglio Excel per ogni responsabile, già compilato con i suoi step: lo restituisce con le verifiche, "
               "il cruscotto controlla e riunisce le risposte, e alla chiusura nasce una nuova versione del piano.")
    if principal.can(ROUNDS):
        open_form(db, sel, principal)
    rounds = R.list_rounds(db, principal, sel.plan_id)
    if rounds.empty:
        st.info("Nessun giro di monitoraggio per questo piano.", icon=":material/info:")
        calendar_download(db, principal, sel.ente, "giri_ics")
        return
    ids = list(rounds["round_id"])
    want = st.session_state.get("giri_round")
    label = {int(x.round_id): f"Giro n. {x.round_id} — verifiche al {fmt_date(x.reference_date)} — "
                              + ("chiuso" if pd.notna(x.closed_at) else f"aperto, risposte entro {fmt_date(x.due_date)}")
             for x in rounds.itertuples()}
    rid = st.selectbox("Giro", ids, index=ids.index(want) if want in ids else 0, format_func=lambda i: label[int(i)],
                       placeholder=PLACEHOLDER,
                       key="giri_select")
    r = R.see_round(db, principal, rid)
    status = R.round_status(db, principal, rid)
    missing = R.missing_steps(db, r)
    n_conf = len(R.conflicts(db, principal, rid).drop_duplicates(["objective_code", "step_code"]))
    metric_row([
        ("Responsabili", fmt_int(len(status)), None),
        ("Hanno risposto", fmt_int(int((status["esito"] != "in attesa").sum())), None),
        ("Step senza risposta", fmt_int(len(missing)), "Step che nessun responsabile ha ancora compilato"),
        ("Risposte da scegliere", fmt_int(n_conf), "Step con risposte diverse da più responsabili"),
    ])
    if r["closed_at"] is not None:
        st.success(f"Giro chiuso il {fmt_datetime(r['closed_at'])} da {plain(r['closed_by'])}: le risposte sono nella "
                   f"versione del piano n. {r['closed_import_id']}.", icon=":material/task_alt:")
        if missing:
            st.info(R.missing_note(missing), icon=":material/info:")
        status_table(r, status)
        calendar_download(db, principal, sel.ente, "giri_ics")
        return
    downloads(db, principal, r, status)
    upload_answers(db, principal, r)
    status_table(r, status)
    conflicts_box(db, principal, r)
    close_box(db, principal, r)
    st.subheader("Calendario")
    calendar_download(db, principal, sel.ente, "giri_ics", list(status["responsible"]))


def subscription_box(db, principal) -> None:
    """The user's own subscribable calendar address (a revocable token, :mod:`store.calendar_tokens`): shown once
    when created; only accounts have one (in local mode there is nobody to revoke it from)."""
    from store.calendar_tokens import create_token, has_token, revoke_tokens
    from ui.routes_calendar import PATH

    if principal.source not in ("account", "oidc"):
        st.caption("L'indirizzo del calendario da seguire con Outlook o Thunderbird è personale: è disponibile "
                   "quando si accede con un account.")
        return
    with st.expander("Calendario in abbonamento (Outlook, Thunderbird)", icon=":material/event_repeat:"):
        st.caption("Un indirizzo personale che il programma di posta segue e aggiorna da solo; contiene solo gli "
                   "enti a cui hai accesso. Se finisce in mani sbagliate, revocalo e creane uno nuovo.")
        c1, c2 = st.columns(2)
        if c1.button("Crea un nuovo indirizzo", key="cal_token_new", icon=":material/link:"):
            token = create_token(db, principal.name, by=principal.name)
            base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
            st.session_state["cal_token_url"] = base + PATH.replace("{token}", token)
        if has_token(db, principal.name) and c2.button("Revoca l'indirizzo", key="cal_token_revoke",
                                                         icon=":material/link_off:"):
            revoke_tokens(db, principal.name, by=principal.name)
            st.session_state.pop("cal_token_url", None)
            st.success("Indirizzo revocato: chi lo usa riceve «accesso negato».", icon=":material/check_circle:")
        url = st.session_state.get("cal_token_url")
        if url:
            st.code(url, language=None)
            st.caption("Copialo ora: per sicurezza non viene conservato e non si potrà rivedere.")
