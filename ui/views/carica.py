"""Carica foglio: upload a monitoring workbook, see the validation report and what would
change against the current version of the same plan, confirm the import; history of the
imports with restore of an earlier version.

Nothing is lost on bad input: a refused file never touches the database, and the file
validated is kept in the session until it is confirmed (the uploader is not read again).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import streamlit as st

from loaders import IMPORTED, UNCHANGED, template_bytes, validate_workbook
from loaders.diff import current_version, ente_candidates, has_changes, one_row_per_field
from loaders.guarded import check_upload, history_for, import_as, preview_as, restore_as
from loaders.importer import find_existing
from loaders.report import problems_frame, report_xlsx
from metrics.fmt import plural, fmt_date, fmt_int
from store import audit, get_db
from store.access import RESTORE, NotAuthorized, Principal
from ui.auth import current_principal
from ui.changes import CHANGE_COLUMNS, FIELD_COLUMNS, change_summary, n_of
from ui.common import PLACEHOLDER, download_button, ensure_app_navigation, fit_columns, plain, show_table
from ui.state import Q_DATE, Q_PLAN, Q_YEAR, selection

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SS_PENDING, SS_FLASH, SS_GEN = "carica_pending", "carica_flash", "carica_gen"
SIDEBAR_KEYS = ("sel_ente", "sel_plan", "sel_year", "sel_date")
QUALITY_PAGE = "pages/qualita.py"

# ----------------------------------------------------------------------------- helpers
def flash(kind: str, text: str) -> None:
    """A message shown once, after the rerun that refreshes sidebar and pages."""
    st.session_state.setdefault(SS_FLASH, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(SS_FLASH, []):
        if kind == "page_link":
            st.page_link(QUALITY_PAGE, label=text, icon=":material/fact_check:")
        else:
            getattr(st, kind)(text)


def open_plan_and_rerun(plan_id: int) -> None:
    """Make the sidebar show ``plan_id`` (current version, default year and date), then rerun
    so that the sidebar and every page read the new data."""
    for k in SIDEBAR_KEYS:
        st.session_state.pop(k, None)
    for q in (Q_YEAR, Q_DATE):
        if q in st.query_params:
            del st.query_params[q]
    st.query_params[Q_PLAN] = str(plan_id)
    st.rerun()


def when(ts) -> str:
    return "—" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%d/%m/%Y alle %H:%M")


def analyse(db, uploaded, user: str) -> dict:
    """Read and validate the uploaded file once; kept in the session until confirmed. The preview is
    audited («anteprima»: one record per file uploaded, outcome «rifiutato» when it has errors)."""
    data = uploaded.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    parsed = validate_workbook(data, uploaded.name)
    n = len(parsed.problems.errors)
    meta = parsed.meta or {}
    what = f"«{meta['titolo']}» ({meta['ente']})" if meta.get("titolo") and meta.get("ente") else ""
    known = current_version(db, meta.get("ente"), meta.get("titolo"), meta.get("codice_ipa")) if parsed.ok else None
    audit.record(db, user, "anteprima", outcome=audit.OK if parsed.ok else audit.REFUSED,
                 plan_id=known and known["plan_id"], import_id=known and known["import_id"],
                 detail=f"{uploaded.name} (SHA-256 {sha[:12]}…) {what}: "
                        + ("nessun errore" if parsed.ok else f"{n} {'errore' if n == 1 else 'errori'}"))
    return {"file_id": uploaded.file_id, "name": uploaded.name, "data": data, "sha": sha, "parsed": parsed}


OTHER_FORMATS = {".xls": "un foglio Excel 97–2003 (.xls)", ".xlsm": "un foglio Excel con macro (.xlsm)",
                 ".ods": "un foglio di LibreOffice (.ods)", ".csv": "un file di testo CSV", ".pdf": "un documento PDF",
                 ".docx": "un documento Word", ".doc": "un documento Word"}


def not_a_workbook(name: str) -> str | None:
    """The Italian reason why an uploaded file is refused before reading it (not an .xlsx file), or None; the
    content of an .xlsx file is checked by the importer."""
    ext = Path(name).suffix.lower()
    how = ("Aprire il file con Excel o LibreOffice e salvarlo come «Cartella di lavoro di Excel (.xlsx)», oppure "
           "partire dal modello vuoto scaricabile qui sopra. Il database non è stato modificato.")
    if ext != ".xlsx":
        what = OTHER_FORMATS.get(ext, f"un file «{plain(ext)}»" if ext else "un file senza estensione")
        return f"Il file «{plain(name)}» è {what}: si possono caricare solo fogli Excel .xlsx. {how}"
    return None


def problems_table(pending: dict, problems: list) -> None:
    view = problems_frame(problems)
    view["Riga"] = view["Riga"].map(lambda r: "" if pd.isna(r) else str(int(r)))  # no "None" for file-level problems
    st.dataframe(view, hide_index=True, width="stretch",
                 column_config={"Messaggio": st.column_config.TextColumn(width="large")})
    stem = Path(pending["name"]).stem
    download_button("Scarica il rapporto di validazione",
                    data=lambda: report_xlsx(problems, pending["name"], pending["sha"]),
                    file_name=f"rapporto_validazione_{stem}.xlsx", mime=XLSX_MIME, key="carica_report",
                    audit=f"rapporto di validazione di {pending['name']}",
                    icon=":material/download:")


SAME_YES, SAME_NO = "Sì, è lo stesso ente", "No, è un ente diverso"


def ask_same_ente(db, pending: dict) -> int | None:
    """When the file's ente is new but looks like a known one: «È lo stesso ente di «CSSM»?». Returns
    the chosen ente (the import goes there, the file's name becomes its alias) or None (a new ente)."""
    meta = pending["parsed"].meta
    pending["ente_unanswered"] = False
    candidates = ente_candidates(db, meta)
    if not candidates:
        return None
    st.subheader("Ente")
    st.caption(f"Nel file l'ente è «{plain(meta['ente'])}»: non è tra gli enti noti, ma somiglia a "
               + ", ".join(f"«{plain(c['nome'])}» ({plain(c['reason'])})" for c in candidates[:3]) + ".")
    chosen = None
    for c in candidates[:3]:
        answer = st.radio(f"È lo stesso ente di «{plain(c['nome'])}»?", [SAME_YES, SAME_NO], index=None,
                          key=f"carica_same_{pending['sha'][:12]}_{c['ente_id']}",
                          help=f"Nel file l'ente è «{plain(meta['ente'])}» ({plain(c['reason'])}). Se è lo stesso, il "
                               f"piano va sotto «{plain(c['nome'])}» e questo nome ne diventa un alias; altrimenti "
                               "diventa un ente "
                               "nuovo. Gli enti si possono anche unire o separare dopo, dalla pagina «Enti».")
        if answer == SAME_YES:
            chosen = c["ente_id"]
            break
        if answer is None:
            pending["ente_unanswered"] = True
            return None
    pending["ente_unanswered"] = False
    if chosen is None:
        st.caption(f"«{plain(meta['ente'])}» sarà un ente nuovo.")
    else:
        target = next(c["nome"] for c in candidates if c["ente_id"] == chosen)
        st.caption(f"Il piano sarà importato sotto «{plain(target)}» e «{plain(meta['ente'])}» sarà registrato "
                   "come suo nome alternativo.")
    return chosen


def show_preview(db, pending: dict, principal: Principal, same_as: int | None = None) -> None:
    parsed = pending["parsed"]
    key = (db.version(), same_as)
    if pending.get("preview_key") != key:  # recomputed if the database or the ente chosen changed meanwhile
        pending["preview"], pending["preview_key"] = preview_as(db, principal, parsed, same_as), key
    pv = pending["preview"]
    plan = pv["plan"].iloc[0]
    st.header("Modifiche rispetto alla versione corrente")
    is_new = bool(plan["is_new"])
    c = pv["counts"]
    if is_new:
        st.info(f"**Nuovo piano**: «{plain(plan['titolo'])}» di {plain(plan['ente'])} non è ancora nel database. "
                "Sarà importato come versione 1.", icon=":material/fiber_new:")
        rows = {"Nel file": c["after"]}
    else:
        st.caption(f"Confronto con la versione {int(plan['version'])} di «{plain(plan['titolo'])}» ({plain(plan['ente'])}). "
                   f"L'importazione creerà la versione {int(plan['version']) + 1}; la versione attuale resta "
                   "nello storico e si può ripristinare.")
        rows = {"Versione corrente": c["before"], "Nel file": c["after"]}
        if not has_changes(pv):
            st.info("Il contenuto coincide con la versione corrente: l'importazione creerà comunque una nuova "
                    "versione con questo file.", icon=":material/info:")
    counts = pd.DataFrame([{"": label, **{lab: fmt_int(n) for lab, n in zip(c["label"], values)}}
                           for label, values in rows.items()])
    st.dataframe(counts, hide_index=True, width="stretch", key="carica_counts")
    names = [k for k in CHANGE_COLUMNS if not (is_new and k == "verifications")]
    tabs = st.tabs([f"{CHANGE_COLUMNS[k][0]}: {change_summary(pv[k])}" for k in names])
    for tab, k in zip(tabs, names):
        with tab:
            if pv[k].empty:
                st.caption(f"Nessuna modifica a: {CHANGE_COLUMNS[k][0].lower()}.")
                continue
            cols = CHANGE_COLUMNS[k][1] if is_new else {**CHANGE_COLUMNS[k][1], **FIELD_COLUMNS}  # new: additions only
            show_table(one_row_per_field(pv[k]), cols, width="stretch",
                         key=f"carica_diff_{k}")


def confirm_import(db, pending: dict, principal: Principal, same_as: int | None = None) -> None:
    ss = st.session_state
    bar = st.progress(0.0, text="Avvio dell'importazione…")
    res = import_as(db, principal, pending["data"], pending["name"], parsed=pending["parsed"], same_as=same_as,
                    progress=lambda f, msg: bar.progress(min(max(float(f), 0.0), 1.0), text=msg))
    ss.pop(SS_PENDING, None)
    if res.status == IMPORTED:
        ss[SS_GEN] = ss.get(SS_GEN, 0) + 1  # empty uploader after the import
        flash("success", f"{plain(res.message)} Il cruscotto mostra ora la versione {res.version}.")
        flash("page_link", "Controlla la qualità dei dati del piano importato")
        open_plan_and_rerun(res.plan_id)
    elif res.status == UNCHANGED:
        bar.empty()
        st.info(plain(res.message.replace("File già importato", "Il file è già importato")), icon=":material/info:")
    else:  # validated a moment ago: only a change of the database or of the code can get here
        bar.empty()
        st.error(f"Importazione non possibile: {plain(res.message)}")
        problems_table(pending, list(res.problems))


# ----------------------------------------------------------------------------- upload
def header(principal: Principal) -> Principal:
    """Title, explanation, who acts (the session's principal: the logged-in user, or the local
    administrator in local mode — no free-text name) and the blank template; returns who acts."""
    st.title("Carica foglio")
    st.caption("Carica il foglio di monitoraggio (.xlsx): viene controllato subito e si vede che cosa cambia "
               "rispetto alla versione corrente del piano; si importa solo dopo la conferma. Un file con errori non "
               "modifica nulla. Ogni importazione è una nuova versione: le precedenti restano nello storico.")
    show_flash()
    c_user, c_model = st.columns([2, 1], vertical_alignment="bottom")
    with c_user:
        st.caption(f"Anteprime, importazioni, ripristini e scaricamenti sono registrati a nome di "
                   f"**{plain(principal.name)}** ({principal.role}) nel registro delle attività.")
    with c_model:
        download_button("Scarica il modello vuoto", data=template_bytes,
                        file_name="modello_foglio_monitoraggio.xlsx", mime=XLSX_MIME, key="carica_template",
                        audit="modello vuoto", icon=":material/download:",
                        help="Il foglio da compilare, con gli elenchi a discesa, un esempio e le istruzioni.")
    return principal


def round_answer(db, principal: Principal, uploaded) -> bool:
    """Issue 18: a workbook returned for a monitoring round is recognised here and registered as an answer
    (:mod:`loaders.rounds`, the same checks as on the «Giri di monitoraggio» page). True when it was one."""
    from loaders.rounds import answer_bytes, looks_like_answer
    from ui.views.giri import show_answer_result

    data = uploaded.getvalue()
    if not looks_like_answer(data):
        return False
    st.info(f"«{plain(uploaded.name)}» è la risposta a un giro di monitoraggio: viene registrata nel giro, e il "
            "piano cambia alla chiusura del giro.", icon=":material/forward_to_inbox:")
    key = f"carica_round_{uploaded.file_id}"
    if st.button("Registra la risposta", type="primary", icon=":material/upload:"):
        st.session_state[key] = answer_bytes(db, principal, data, uploaded.name)
    if key in st.session_state:
        show_answer_result(st.session_state[key])
    return True


def upload(db, principal: Principal) -> None:
    """The uploader, the validation report, the preview of the changes and the confirmation."""
    ss = st.session_state
    limit = st.get_option("server.maxUploadSize")
    # any file is accepted by the uploader and refused here with an Italian message: with type=["xlsx"]
    # Streamlit only shows a red chip whose tooltip is English ("text/csv files are not allowed")
    uploaded = st.file_uploader("Foglio di monitoraggio (.xlsx)", key=f"carica_file_{ss.get(SS_GEN, 0)}",
                                help=f"Un file .xlsx fino a {limit} MB, nel formato del modello.")
    pending = ss.get(SS_PENDING)
    if uploaded is not None and (refusal := not_a_workbook(uploaded.name)):
        ss.pop(SS_PENDING, None)
        st.error(refusal, icon=":material/block:")
        return
    if uploaded is not None and round_answer(db, principal, uploaded):
        return
    if uploaded is None:
        if pending is not None:
            ss.pop(SS_PENDING)
            st.warning(f"Il file «{plain(pending['name'])}» è stato tolto dal caricamento: non è stato importato nulla. "
                       "Per importarlo, caricalo di nuovo.", icon=":material/warning:")
        return
    if pending is None or pending["file_id"] != uploaded.file_id:
        with st.spinner("Controllo del foglio…"):
            pending = analyse(db, uploaded, principal.name)
        ss[SS_PENDING] = pending
    existing = find_existing(db, pending["sha"])  # checked at every run: the database may have changed meanwhile
    parsed = pending["parsed"]
    if existing:
        _iid, _pid, version, titolo, is_current, at = existing
        extra = "" if is_current else " Non è la versione corrente: si può ripristinare dallo storico qui sotto."
        st.info(f"Il file «{plain(pending['name'])}» è già importato: è la versione {version} di «{plain(titolo)}», "
                f"caricata il {when(at)}. Nessuna modifica.{extra}", icon=":material/info:")
    elif not parsed.ok:
        errors, warnings = parsed.problems.errors, parsed.problems.warnings
        also = f" e {n_of(len(warnings), 'avviso', 'avvisi')}" if warnings else ""
        st.error(f"Importazione non possibile: {n_of(len(errors), 'errore', 'errori')}{also} nel file "
                 f"«{plain(pending['name'])}». Il database non è stato modificato: correggi il foglio e caricalo di nuovo.",
                 icon=":material/block:")
        problems_table(pending, list(parsed.problems))
    else:
        meta = parsed.meta
        years = f"{meta['anno_inizio']}–{meta['anno_fine']}" if meta["anno_fine"] != meta["anno_inizio"] \
            else str(meta["anno_inizio"])
        mon = f", monitoraggio al {fmt_date(meta['data_monitoraggio'])}" if meta.get("data_monitoraggio") else ""
        st.success(f"Nessun errore in «{plain(pending['name'])}»: «{plain(meta['titolo'])}» di {plain(meta['ente'])}, anni {years}"
                   f"{mon}. Controlla le modifiche e conferma.", icon=":material/check_circle:")
        warnings = parsed.problems.warnings
        if warnings:
            st.warning(f"{n_of(len(warnings), 'avviso', 'avvisi')}: il file si può importare, ma conviene "
                       "controllarli.", icon=":material/warning:")
            problems_table(pending, warnings)
        same_as = ask_same_ente(db, pending)
        if pending.get("ente_unanswered"):
            st.info("Rispondi alla domanda sull'ente per vedere le modifiche e confermare l'importazione.",
                    icon=":material/help:")
            return
        if pending.get("checked_for") != principal:   # checked (and a refusal audited) once per file
            pending["checked_for"], pending["refused"] = principal, None
            try:
                check_upload(db, principal, parsed)
            except NotAuthorized as exc:
                pending["refused"] = str(exc)
        if pending["refused"]:
            st.error(pending["refused"], icon=":material/block:")
            return
        show_preview(db, pending, principal, same_as)
        if st.button("Conferma importazione", type="primary", icon=":material/upload:"):
            confirm_import(db, pending, principal, same_as)


# ----------------------------------------------------------------------------- history
@st.cache_resource(max_entries=8, show_spinner=False)
def history_view(db_path: str, version: int, sel_plan: int | None, principal: Principal) -> dict:
    """The import history as shown (the selected plan first, only the enti ``principal`` may read), the
    restore choices and their labels: once per database version, selected plan and principal."""
    hist = history_for(get_db(db_path), principal)
    if hist.empty:
        return {"hist": hist}
    hist = hist.assign(_first=hist["plan_id"] != sel_plan).sort_values(
        ["_first", "ente", "titolo", "version"], ascending=[True, True, True, False], kind="stable")
    view = pd.DataFrame({
        "Ente": hist["ente"], "Piano": hist["titolo"], "Versione": hist["version"].astype(int),
        "Corrente": hist["is_current"].map({True: "✓ corrente"}).fillna(""),
        "Importato il": hist["imported_at"].map(when), "Da": hist["imported_by"], "File": hist["file_name"],
        "Obiettivi": hist["n_objectives"], "Step": hist["n_steps"],
        "Verifiche": hist["n_verifications"], "Avvisi": hist["n_warnings"],
    })
    labels = {int(r.import_id): f"{r.titolo} ({r.ente}) · versione {int(r.version)} — {r.file_name}, "
                                f"{when(r.imported_at)}" + (" · corrente" if r.is_current else "")
              for r in hist.itertuples()}
    return {"hist": hist, "view": pa.Table.from_pandas(view, preserve_index=False), "labels": labels,
            "columns": fit_columns(view.astype(str)),
            "options": list(labels), "earlier": [int(r.import_id) for r in hist.itertuples() if not r.is_current],
            "current": {int(i): bool(c) for i, c in zip(hist["import_id"], hist["is_current"])}}


def history(db, principal: Principal) -> None:
    """Every import, and the restore of an earlier version (direttore and amministratore)."""
    ss = st.session_state
    st.header("Storico delle importazioni")
    sel = selection()
    h = history_view(db.path, db.version(), sel.plan_id if sel else None, principal)
    if h["hist"].empty:
        st.info("Nessuna importazione finora: il primo foglio caricato diventerà la versione 1 del suo piano.",
                icon=":material/info:")
        return
    st.dataframe(h["view"], hide_index=True, width="stretch", key="carica_history", column_config=h["columns"])
    st.caption("Ogni riga è una versione di un piano; la versione corrente è quella mostrata dal cruscotto. "
               "Ripristinare una versione non cancella nulla: cambia solo la versione corrente.")
    if not principal.can(RESTORE):
        st.caption("Il ripristino di una versione è riservato ai ruoli direttore e amministratore.")
        return
    options, earlier = h["options"], h["earlier"]
    c_sel, c_btn = st.columns([3, 1], vertical_alignment="bottom")
    with c_sel:
        # keyed on the data version: after an import or a restore the labels and the default are fresh
        chosen = st.selectbox("Versione da ripristinare", options, format_func=h["labels"].get,
                              index=options.index(earlier[0]) if earlier else 0,
                              key=f"carica_restore_choice_{db.version()}", placeholder=PLACEHOLDER)
    is_current = h["current"][chosen]
    with c_btn:
        clicked = st.button("Ripristina questa versione", disabled=is_current,
                            help="È già la versione corrente." if is_current else
                            "La versione scelta diventa quella corrente del suo piano.")
    if not earlier:
        st.caption("Ogni piano ha una sola versione: non c'è ancora nulla da ripristinare.")
    if clicked and not is_current:
        hist = h["hist"]
        row = hist[hist["import_id"] == chosen].iloc[0]
        try:
            msg = restore_as(db, principal, chosen)
        except NotAuthorized as exc:
            st.error(str(exc), icon=":material/block:")
            return
        flash("success", f"{plain(msg.rstrip('.'))} «{plain(row['titolo'])}» ({plain(row['ente'])}). Il cruscotto mostra ora questa "
                         "versione.")
        ss.pop(SS_PENDING, None)
        ss[SS_GEN] = ss.get(SS_GEN, 0) + 1  # a file left in the uploader would be compared with the old version
        open_plan_and_rerun(int(row["plan_id"]))


def render() -> None:
    ensure_app_navigation()
    db = get_db()
    principal = header(current_principal())
    upload(db, principal)
    history(db, principal)
