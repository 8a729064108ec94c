"""Chiusura dell'anno (issue 16, item 5): where the plan-year stands in the validation workflow, what comes next
for the user's role, and the buttons that role may use: the variance register (referente proposes, direttore
records the decision), the approval and the sending to the valutatore (direttore), the carte di lavoro and the
outcome (valutatore), riapri (amministratore, with a reason). Every write goes through :mod:`metrics.closing` /
:mod:`metrics.variances`, which check the role again (a lettore sees the state only)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import closing as C
from metrics import variances as V
from metrics.engine import plan_metrics
from metrics.fmt import fmt_date, fmt_datetime, fmt_pct
from store.access import DECIDE, PROPOSE, REOPEN, VALIDATE, NotAuthorized
from ui.common import PLACEHOLDER, plain, require_selection, page_header, show_table

LEVEL_LABEL = {"obiettivo": "Obiettivo", "step": "Step", "indicatore": "Indicatore"}
REGISTER_COLS = {
    "what": ("Elemento", None), "label": ("Descrizione", None), "planned": ("Atteso", "pct"),
    "actual": ("Misurato", "pct"), "variance_abs": ("Scostamento (punti)", "num"), "timing": ("Tempi", None),
    "cause_label": ("Causa", None), "imputabile": ("Imputabile", None), "treatment": ("Trattamento", None),
    "decision_act": ("Atto", None), "proposed_by": ("Proposto da", None), "decided_by": ("Deciso da", None),
}
STATE_HELP = {
    C.IN_PROGRESS: "il registro degli scostamenti si compila e si decide",
    C.APPROVED: "la Relazione è approvata dall'organo di indirizzo",
    C.IN_VALIDATION: "all'esame del valutatore (OIV / Nucleo)",
    C.VALIDATED: "i valori sono congelati",
    C.VALIDATED_NOTES: "i valori sono congelati, con i rilievi del valutatore",
    C.NOT_VALIDATED: "la Relazione va corretta e approvata di nuovo",
}


def _what(r) -> str:
    if r["level"] == "obiettivo":
        return f"Obiettivo {r['objective_code']}"
    if r["level"] == "step":
        return f"Step {r['step_code']}"
    return f"Indicatore {r['indicator']} (ob. {r['objective_code']})"


def _timing(r) -> str:
    return "scaduto" if r["overdue"] else "in ritardo" if r["late"] else ""


def _act(fn, *args, ok: str, **kwargs) -> None:
    """Run a guarded write; its Italian refusal as an error, else ``ok`` and a rerun."""
    try:
        fn(*args, **kwargs)
    except (C.ClosingError, V.VarianceError, NotAuthorized) as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state["_closing_done"] = ok
    st.rerun()


def render() -> None:
    sel = require_selection()
    page_header("Chiusura dell'anno", sel, subtitle="verifica finale al 31/12")
    db, pid, year, who = sel.db, sel.plan_id, sel.year, sel.principal
    if done := st.session_state.pop("_closing_done", None):
        st.success(done, icon=":material/check_circle:")
    stt = C.state(db, pid, year)
    _state_box(stt, who, year)
    if caption := C.validated_caption(db, pid, year):
        st.success(caption + ". Pagine ed esportazioni mostrano questi valori.", icon=":material/verified:")

    pm = plan_metrics(db, pid, year=year, as_of=V.year_end(year))
    reg = V.register(db, pid, year)
    net = V.plan_net_figures(db, pm)
    st.subheader("Raggiungimento del piano al 31/12")
    c1, c2 = st.columns(2)
    c1.metric("Lordo (come misurato)", fmt_pct(net["plan"]["gross"]))
    c2.metric("Netto (dopo i trattamenti decisi)", fmt_pct(net["plan"]["net"]),
              help="Neutralizzazioni e ripesature contano solo dopo che l'atto che le decide è registrato.")
    _register(sel, stt, reg)
    if stt["state"] == C.IN_VALIDATION or who.can(VALIDATE):
        _work_papers(sel, stt)
    _actions(sel, stt)
    _history(stt)


def _state_box(stt: dict, who, year: int) -> None:
    s = stt["state"]
    order = [C.IN_PROGRESS, C.APPROVED, C.IN_VALIDATION]
    final = s if s in (C.VALIDATED, C.VALIDATED_NOTES, C.NOT_VALIDATED) else "validata"
    steps = order + [final]
    marks = []
    for x in steps:
        here = x == s
        marks.append(f"**▶ {x}**" if here else x)
    st.markdown(f"**Stato dell'anno {year}:** {s} — {STATE_HELP.get(s, '')}.")
    st.caption(" → ".join(marks))
    if stt["approval"]:
        a = stt["approval"]
        st.caption(f"Approvazione: {plain(a['act'])}, registrata da {plain(a['by'])}.")
    if stt["validation"]:
        v = stt["validation"]
        st.caption(f"Validazione: {v['outcome']} il {fmt_date(v['date'])}, da {plain(v['by'])}.")
    st.info(f"**Prossimo passo per te ({who.role}):** {C.next_step(stt, who)}", icon=":material/flag:")


def _register(sel, stt: dict, reg: pd.DataFrame) -> None:
    st.subheader("Registro degli scostamenti")
    st.caption("Ogni obiettivo, step o indicatore sotto il 100%, in ritardo o scaduto alla verifica finale. Cause "
               "secondo le Linee guida DFP 2/2017: esogena, endogena, indicatore o target non adeguato.")
    view = reg.assign(what=[_what(r) for _, r in reg.iterrows()], timing=[_timing(r) for _, r in reg.iterrows()],
                      cause_label=reg["cause"].map(lambda c: V.CAUSES.get(c, "") if isinstance(c, str) else ""))
    show_table(view, REGISTER_COLS, key="closing_register", empty="Nessuno scostamento: tutto raggiunto nei tempi.")
    who, open_ = sel.principal, stt["state"] == C.IN_PROGRESS
    if not len(reg) or not open_ or not (who.can(PROPOSE) or who.can(DECIDE)):
        return
    keys = list(range(len(reg)))
    labels = {i: f"{_what(reg.iloc[i])} — {str(reg.iloc[i]['label'])[:60]}" for i in keys}
    if who.can(PROPOSE):
        with st.form("closing_propose"):
            st.markdown("**Proponi la causa e il trattamento**")
            i = st.selectbox("Scostamento", keys, format_func=labels.get, key="cl_row", placeholder=PLACEHOLDER)
            c1, c2 = st.columns(2)
            cause = c1.selectbox("Causa", list(V.CAUSES), format_func=V.CAUSES.get, key="cl_cause",
                                 placeholder=PLACEHOLDER)
            imp = c2.selectbox("Imputabile", list(V.IMPUTABILE), key="cl_imp", placeholder=PLACEHOLDER)
            desc = st.text_area("Descrizione", key="cl_desc")
            evid = st.text_input("Evidenze (testo o collegamento)", key="cl_evid")
            c3, c4 = st.columns(2)
            treat = c3.selectbox("Trattamento proposto", list(V.TREATMENTS), key="cl_treat", placeholder=PLACEHOLDER)
            weight = c4.number_input("Nuovo peso (per la ripesatura)", 0.0, 100.0, 0.0, 1.0, format="%.0f", key="cl_weight")
            if st.form_submit_button("Proponi", type="primary"):
                r = reg.iloc[i]
                _act(V.propose, who, sel.db, sel.plan_id, sel.year, r["level"], r["objective_code"],
                     step=r["step_code"], indicator=r["indicator"], cause=cause, imputabile=imp,
                     description=desc or None, evidence=evid or None, treatment=treat,
                     new_weight=weight if treat == "ripesatura" else None,
                     ok=f"Proposta registrata per {_what(r).lower()}.")
    pending = [i for i in keys if reg.iloc[i]["treatment"] != "nessuno" and not reg.iloc[i]["decided"]]
    if who.can(DECIDE) and pending:
        with st.form("closing_decide"):
            st.markdown("**Registra la decisione dell'organo di indirizzo**")
            i = st.selectbox("Trattamento proposto", pending,
                             format_func=lambda k: f"{labels[k]} ({reg.iloc[k]['treatment']})", key="cl_dec_row",
                             placeholder=PLACEHOLDER)
            organ = st.text_input("Organo", "Consiglio di Amministrazione", key="cl_organ")
            act = st.text_input("Atto (numero e data)", placeholder="Delibera CdA n. 5 del 10/03/2024", key="cl_act")
            if st.form_submit_button("Registra la decisione", type="primary"):
                r = reg.iloc[i]
                _act(V.decide, who, sel.db, sel.plan_id, sel.year, r["level"], r["objective_code"],
                     step=r["step_code"], indicator=r["indicator"], act=act, organ=organ,
                     ok=f"Decisione registrata: da ora il trattamento di {_what(r).lower()} conta nei valori netti.")


def _work_papers(sel, stt: dict) -> None:
    st.subheader("Carte di lavoro del valutatore")
    wp = C.work_papers(sel.db, sel.plan_id, sel.year)
    st.caption("Controlli automatici del cruscotto:")
    for key, label in (("conformita", "Conformità"), ("attendibilita", "Attendibilità"),
                       ("scostamenti", "Scostamenti motivati"), ("atti", "Atti di decisione")):
        chk = wp["checks"][key]
        icon = ":material/check_circle:" if chk["ok"] else ":material/warning:"
        st.markdown(f"{icon} **{label}:** {plain(chk['text'])}")
    rows = [{"Livello": "Criterio", "Voce": c["label"], "Metodo": c["method"] or "", "Esito": c["outcome"] or "",
             "Nota": c["note"] or "", "Compilata da": c["saved_by"] or ""} for c in wp["criteria"]]
    rows += [{"Livello": "Obiettivo", "Voce": f"{o['code']} — {o['title'][:50]}",
              "Metodo": (o["method"] or "") + (f" ({o['sample_n']} su {o['sample_total']})" if o["sample_n"] else ""),
              "Esito": o["outcome"] or "", "Nota": o["note"] or "", "Compilata da": o["saved_by"] or ""}
             for o in wp["objectives"]]
    table = pd.DataFrame(rows)
    show_table(table, {c: (c, None) for c in table.columns}, key="closing_papers")
    who = sel.principal
    if not (who.can(VALIDATE) and stt["state"] == C.IN_VALIDATION):
        return
    items = [("criterio", c["key"], c["label"]) for c in wp["criteria"]] + \
            [("obiettivo", o["code"], f"Obiettivo {o['code']} — {o['title'][:50]}") for o in wp["objectives"]]
    with st.form("closing_paper"):
        st.markdown("**Compila una carta di lavoro**")
        i = st.selectbox("Voce", list(range(len(items))), format_func=lambda k: items[k][2], key="cl_wp_item",
                         placeholder=PLACEHOLDER)
        source = st.text_input("Fonte dei dati", key="cl_wp_source")
        c1, c2, c3 = st.columns(3)
        method = c1.selectbox("Metodo", list(C.METHODS), key="cl_wp_method", placeholder=PLACEHOLDER)
        n = c2.number_input("Campione: n", 0, 10000, 0, key="cl_wp_n")
        total = c3.number_input("su N", 0, 10000, 0, key="cl_wp_total")
        outcome = st.selectbox("Esito", list(C.PAPER_OUTCOMES), key="cl_wp_outcome", placeholder=PLACEHOLDER)
        note = st.text_area("Nota", key="cl_wp_note")
        if st.form_submit_button("Salva la carta di lavoro", type="primary"):
            level, item, label = items[i]
            _act(C.save_work_paper, who, sel.db, sel.plan_id, sel.year, level, item, data_source=source or None,
                 method=method, sample_n=int(n) or None, sample_total=int(total) or None, outcome=outcome,
                 note=note or None, ok=f"Carta di lavoro salvata: {label}.")


def _actions(sel, stt: dict) -> None:
    who, s = sel.principal, stt["state"]
    db, pid, year = sel.db, sel.plan_id, sel.year
    if who.can(DECIDE) and s in (C.IN_PROGRESS, C.NOT_VALIDATED):
        st.subheader("Approvazione della Relazione")
        act = st.text_input("Atto di approvazione", placeholder="Delibera CdA n. 12 del 20/06/2024",
                            key="cl_approve_act")
        if st.button("Registra l'approvazione", type="primary", key="cl_approve"):
            _act(C.approve, who, db, pid, year, act, ok="Approvazione registrata.")
    if who.can(DECIDE) and s == C.APPROVED:
        if st.button("Invia al valutatore", type="primary", key="cl_submit"):
            _act(C.submit, who, db, pid, year, ok="Relazione inviata al valutatore.")
    if who.can(VALIDATE) and s == C.IN_VALIDATION:
        st.subheader("Esito della validazione")
        outcome = st.radio("Esito", list(C.OUTCOMES), format_func=C.OUTCOMES.get, key="cl_outcome", horizontal=True)
        if st.button("Registra l'esito", type="primary", key="cl_validate"):
            _act(C.validate, who, db, pid, year, outcome, ok=f"Esito registrato: {C.OUTCOMES[outcome]}.")
    if who.can(REOPEN) and s != C.IN_PROGRESS:
        st.subheader("Riapri l'anno")
        reason = st.text_input("Motivo della riapertura", key="cl_reason")
        if st.button("Riapri", key="cl_reopen"):
            _act(C.reopen, who, db, pid, year, reason, ok="Anno riaperto: la validazione non è più in vigore.")


def _history(stt: dict) -> None:
    if not stt["events"]:
        return
    st.subheader("Storia della chiusura")
    names = {"approva": "approvazione", "invia": "invio al valutatore", "valida": "validazione", "riapri": "riapertura"}
    rows = pd.DataFrame([{"Quando": fmt_datetime(e["at"]), "Chi": e["by"], "Ruolo": e["role"],
                          "Azione": names.get(e["action"], e["action"]), "Stato": e["state"],
                          "Atto o motivo": e["act"] or e["reason"] or ""} for e in stt["events"]])
    show_table(rows, {c: (c, None) for c in rows.columns}, key="closing_history")
