"""Premi (issue 17): the productivity fund's distribution by the SMVP's rules, the art. 20 tables, the payroll
file (after validation, direttore and amministratore only) and the «Amministrazione trasparente» package.

Names and per-person amounts come only from :mod:`metrics.access` for roles with NAMES; the others see the
aggregates. Every distinct computation goes to the Registro once per session («calcolo premi»), every
download as «scaricamento»."""
from __future__ import annotations

import dataclasses

import streamlit as st

from domain.profile import BONUS_PRESET_DESCRIPTIONS, BONUS_PRESETS, ProfileError
from metrics import access
from metrics import premi as P
from store.access import NAMES, PROFILES
from ui.common import download_button, metric_row, plain, plan_page, show_table

NO_DATA = ("Questo piano non elenca il personale: il foglio «Personale» del file di monitoraggio è assente o vuoto. "
           "Per distribuire i premi servono le colonne Obiettivo, Nome, Partecipazione e Valutazione "
           "(facoltative: Matricola, Part-time %, Presenza % o Mesi di servizio, Categoria).")
PEOPLE_COLS = {"rank": ("N.", "int"), "name": ("Nome", None), "id": ("Identificativo", None),
               "category": ("Categoria", None), "score": ("Punti", "num"),
               "org_eur": ("Organizzativa", None), "ind_eur": ("Individuale", None),
               "uplift_eur": ("Maggiorazione", None), "total_eur": ("Totale", None)}


def _rules_form(sel, stored: P.BonusRules) -> P.BonusRules:
    """The rules of this computation: the stored ones, or the preset and fund chosen on the page."""
    keys = list(BONUS_PRESETS)
    c1, c2, c3 = st.columns([2, 1, 1])
    key = c1.selectbox("Regole dei premi", keys, index=keys.index(stored.key) if stored.key in keys else 0,
                       format_func=lambda k: BONUS_PRESETS[k].name, key="premi_preset")
    org = _euro_input(c2, "Fondo performance organizzativa (€)", stored.fund_organisational, "premi_org")
    ind = _euro_input(c3, "Fondo performance individuale (€)", stored.fund_individual, "premi_ind")
    st.caption(BONUS_PRESET_DESCRIPTIONS[key])
    base = stored if key == stored.key else BONUS_PRESETS[key]
    return dataclasses.replace(base, fund_organisational=org, fund_individual=ind,
                               uplift_pct=stored.uplift_pct, uplift_share=stored.uplift_share)


def parse_euro(text: str) -> float:
    """«10.000,00 €», «4000», «4.000,5» → euro (Italian: dot for thousands, comma for decimals)."""
    t = str(text).replace("€", "").replace(" ", "").replace("\u00a0", "")
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    elif t.count(".") > 1 or (t.count(".") == 1 and len(t.split(".")[1]) == 3):
        t = t.replace(".", "")                      # «10.000»: thousands
    v = float(t)
    if v < 0 or v != v:
        raise ValueError
    return v


def _euro_input(col, label: str, value: float, key: str) -> float:
    text = col.text_input(label, value=P.fmt_eur(P.cents(value)), key=key,
                          help="In euro, per esempio 4.000,00")
    try:
        return parse_euro(text)
    except ValueError:
        col.error(f"«{plain(text)}» non è un importo valido: scrivere per esempio 4.000,00.")
        return float(value)


def display_table(df):
    """An art. 20 table for the screen: euro and percentages the Italian way (the files keep plain numbers)."""
    from metrics.fmt import fmt_int, fmt_num

    out = df.drop(columns=["Stato"]).copy()
    for c in out.columns:
        if "(EUR)" in c:
            out[c] = out[c].map(lambda v: P.fmt_eur(round(float(v) * 100)))
        elif "(%)" in c:
            out[c] = out[c].map(lambda v: fmt_num(v) + "%")
        elif "(numero)" in c:
            out[c] = out[c].map(fmt_int)
    if {"Unità", "Valore"} <= set(out.columns):
        out["Valore"] = [P.fmt_eur(round(float(v) * 100)) if u == "EUR" else fmt_num(v) + "%" if u == "%" else fmt_int(v)
                         for u, v in zip(out["Unità"], out["Valore"])]
        out = out.drop(columns=["Unità"])
    return out


def _compute(sel, rules: P.BonusRules) -> P.BonusResult:
    """The distribution for the principal; recorded once per session and set of rules."""
    done = st.session_state.setdefault("_premi_recorded", set())
    key = (sel.plan_id, sel.year, rules.to_json(), sel.principal.name)
    worth = rules.fund_organisational + rules.fund_individual > 0      # no fund: nothing computed, nothing recorded
    res = access.premi(sel.principal, sel.db, sel.plan_id, sel.year, rules=rules, record=worth and key not in done)
    if worth:
        done.add(key)
    return res


def _people_table(res: P.BonusResult):
    p = res.people.sort_values("rank")
    return p.assign(**{f"{k}_eur": p[f"{k}_cents"].map(P.fmt_eur) for k in ("org", "ind", "uplift", "total")})


def _art20(res: P.BonusResult) -> None:
    st.header("Dati relativi ai premi (art. 20, d.lgs. 33/2013)")
    st.caption("Tabelle aggregate, senza nomi: sono quelle del pacchetto per «Amministrazione trasparente». "
               f"Stato: {res.status}.")
    tables = P.art20_tables(res)
    for key, df in tables.items():
        st.subheader(P.ART20_DESCRIPTIONS[key])
        st.dataframe(display_table(df), hide_index=True, key=f"premi_t_{key}")


def _save(sel, rules: P.BonusRules, stored_version: int) -> None:
    if not sel.principal.can(PROFILES):
        return
    with st.expander("Salva le regole dei premi per l'ente e l'anno", expanded=False):
        st.caption("Ogni salvataggio è una nuova versione, registrata nel Registro. Il file per gli stipendi si "
                   "sblocca solo con la validazione del Nucleo di valutazione o dell'OIV, registrata nella pagina "
                   "«Chiusura dell'anno» (art. 14, c. 6, d.lgs. 150/2009).")
        share = st.number_input("Quota del personale con maggiorazione (%)", 0.0, 100.0, float(rules.uplift_share),
                                key="premi_share")
        pct = st.number_input("Maggiorazione (% della media pro capite, almeno 30)", 30.0, 300.0,
                              float(rules.uplift_pct), key="premi_pct")
        if st.button("Salva le regole", key="premi_save", type="primary"):
            try:
                new = dataclasses.replace(rules, uplift_share=share, uplift_pct=pct)
                v = access.save_premi_rules(sel.principal, sel.db, sel.plan_id, sel.ente, sel.year, new)
            except ProfileError as exc:
                st.error(str(exc))
            else:
                st.success(f"Regole dei premi salvate: versione {v} (la precedente era la {stored_version}).")


def _downloads(sel, res: P.BonusResult) -> None:
    st.header("Scaricamenti")
    c1, c2 = st.columns(2)
    with c1:
        if not sel.principal.can(NAMES):
            st.caption("Il file per gli stipendi contiene gli identificativi del personale: riservato ai ruoli "
                       "direttore e amministratore.")
        elif res.provisional:
            st.caption("File per gli stipendi: disponibile dopo la validazione del Nucleo di valutazione o "
                       "dell'OIV (pagina «Chiusura dell'anno»).")
            st.button("File per gli stipendi (CSV)", disabled=True, key="premi_payroll_off")
        else:
            st.caption(f"{res.basis}.")
            download_button("File per gli stipendi (CSV)", data=lambda: P.payroll_csv(res),
                            file_name=f"premi_{res.year}_stipendi.csv", mime="text/csv", key="premi_payroll",
                            audit=f"file stipendi premi {res.year}", plan_id=sel.plan_id, import_id=sel.import_id)
    with c2:
        def package() -> bytes:
            from exports.publish import build_package, relazione_documents
            from metrics.engine import plan_metrics

            pm = access.redacted(plan_metrics(sel.db, sel.plan_id, year=sel.year))
            names = [r[0] for r in sel.db.rows("SELECT DISTINCT s.name FROM staff s JOIN plans p ON "
                                               "p.current_import_id = s.import_id WHERE p.plan_id = ?", [sel.plan_id])]
            return build_package(pm, res, relazione_documents(pm, db=sel.db), names=names)

        download_button("Pacchetto «Amministrazione trasparente» (zip)", data=package,
                        file_name=f"amministrazione_trasparente_{res.year}.zip", mime="application/zip",
                        key="premi_package", audit=f"pacchetto Amministrazione trasparente {res.year}",
                        plan_id=sel.plan_id, import_id=sel.import_id)
        st.caption("Relazione (PDF/A e ODT), obiettivi e risultati del Piano, tabelle art. 20 in CSV e ODS, con "
                   "INDICE.csv. Nessun dato personale. La preparazione richiede circa mezzo minuto.")


def render() -> None:
    sel, pm = plan_page("Premi", "staff", NO_DATA)
    stored, version = P.current_rules(sel.db, sel.ente, sel.year)
    st.caption("Distribuzione del fondo risorse decentrate per la performance (CCNL Funzioni Locali 16/11/2022, "
               "artt. 80–81) con le regole del sistema di misurazione dell'ente. La quota organizzativa usa il "
               "raggiungimento **netto** degli obiettivi: conta le neutralizzazioni e le ripesature decise con atto "
               "nel registro degli scostamenti (pagina «Chiusura dell'anno»); un obiettivo neutralizzato non conta "
               "per nessuno. A anno validato, i dati sono quelli validati.")
    rules = _rules_form(sel, stored)
    res = _compute(sel, rules)
    if res.provisional:
        st.warning(f"**{P.PROVISIONAL}.** Nessun premio può essere pagato prima della validazione del Nucleo di "
                   "valutazione o dell'OIV (art. 14, c. 6, d.lgs. 150/2009), registrata nella pagina «Chiusura "
                   "dell'anno»: gli importi sono una simulazione.", icon=":material/warning:")
    else:
        st.success(f"Importi definitivi. {res.basis}" + (". Il file per gli stipendi è disponibile qui sotto."
                                                          if not res.redacted else "."), icon=":material/verified:")
    if res.net:
        st.info("Quota organizzativa sul raggiungimento netto: sono applicati i trattamenti degli scostamenti "
                "decisi con atto (neutralizzazioni e ripesature).", icon=":material/rule:")
    t = res.totals()
    rewarded = int((res.people["ind_cents"] + res.people["uplift_cents"] > 0).sum())
    metric_row([
        ("Fondo", P.fmt_eur(t["fondo"]), "Performance organizzativa + individuale"),
        ("Distribuito", P.fmt_eur(t["totale"]), "Somma degli importi, al centesimo (metodo dei resti maggiori)"),
        ("Con premio individuale", f"{rewarded} su {len(res.people)}",
         "Persone con punteggio almeno pari al minimo"),
        ("Maggiorazione pro capite", P.fmt_eur(res.uplift_each),
         f"{int(res.people['uplift'].sum())} persone, art. 81 CCNL"),
    ])
    if t["fondo"] and res.people["score"].isna().all():
        st.warning("Il foglio «Personale» non riporta valutazioni: senza punteggio individuale nessun premio può "
                   "essere attribuito (l'art. 18 del d.lgs. 150/2009 vieta distribuzioni automatiche o a pioggia). "
                   "Compilare la colonna «Valutazione» e ricaricare il file.", icon=":material/warning:")
    elif t["fondo"] > t["totale"]:
        st.warning(f"Non distribuiti {P.fmt_eur(t['fondo'] - t['totale'])}: nessuna persona ha i requisiti per "
                   "una parte del fondo (punteggio sotto il minimo o obiettivi senza raggiungimento misurato).",
                   icon=":material/warning:")
    if t["fondo"] == 0:
        st.info("Indicare il fondo (organizzativo e individuale) per vedere la distribuzione.", icon="ℹ️")
    if res.redacted:
        st.info("Il tuo ruolo mostra solo dati aggregati: nomi e importi individuali sono visibili ai ruoli "
                "direttore e amministratore.", icon=":material/lock:")
    else:
        st.header("Distribuzione per persona")
        st.caption("Graduatoria: punti (su 100) decrescenti; a parità, più partecipazione agli obiettivi, poi "
                   "identificativo. Quote organizzativa e individuale, maggiorazione ai primi della graduatoria "
                   "(art. 81 CCNL), totale.")
        show_table(_people_table(res), PEOPLE_COLS, key="premi_people", memo=None)
    _art20(res)
    with st.expander("Criteri di distribuzione", expanded=False):
        show_table(P.criteria_table(res), {"Criterio": ("Criterio", None), "Valore": ("Valore", None)},
                   key="premi_criteria", memo=None)
    _downloads(sel, res)
    _save(sel, rules, version)
    st.caption(f"Regole salvate per {plain(sel.ente)}, {sel.year}: "
               + (f"versione {version}" if version else "nessuna (valori del profilo «fasce»)") + ".")
