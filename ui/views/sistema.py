"""Sistema di misurazione: the measuring-system profile of the ente for the year, the presets compared
side by side on the current plan, and saving a (new version of the) profile."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from charts.measure import presets_comparison
from domain.profile import (DESCRIPTIONS, LABELS, NEUTRALIZED_LABELS, PLAN_SCORE_LABELS, PRESET_DESCRIPTIONS, PRESETS,
                            SCORING_LABELS, Profile, ProfileError, parse_value, describe, fmt_bands, validate)
from metrics import plan_metrics
from metrics.explain import objective_value_text, plan_value_text
from metrics.fmt import fmt_date, fmt_num
from metrics.access import save_profile
from store.profiles import current_profile, profile_history
from store.access import PROFILES
from ui.common import PLACEHOLDER, lazy_expander, plain, plan_page, plotly, show_table

CUSTOM = "personalizzato"
PCT_FIELDS = ("continuous_in_progress", "in_progress_value", "postponed_value", "partial_default", "green_from",
              "yellow_from", "linear_threshold", "forecast_default_rate")
HISTORY_COLS = {"version": ("Versione", "int"), "name": ("Profilo", None), "source": ("Origine", None),
                "saved_at": ("Salvato il", None), "saved_by": ("Da", None), "act": ("Atto di approvazione", None)}


def comparison(sel, profiles: tuple[Profile, ...]):
    """(plan figures, objective scores, chart) of the current plan under each profile (once per data version)."""
    plan_rows, obj = [], None
    for p in profiles:
        pm = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, sel.as_of, profile=p)
        plan_rows.append({"Profilo": p.name, "Raggiungimento del piano": plan_value_text(pm),
                          "Punteggio del piano": fmt_num(pm.score), "Funzione di punteggio": SCORING_LABELS[p.scoring]})
        col = pm.objectives[["code", "title"]].copy()
        col[p.name] = pm.objectives["score"]
        obj = col if obj is None else obj.merge(col, on=["code", "title"])
        if p is profiles[0]:
            obj.insert(2, "Raggiungimento", [objective_value_text(o) for _, o in pm.objectives.iterrows()])
    return pd.DataFrame(plan_rows), obj, presets_comparison(obj.drop(columns=["Raggiungimento"]))


def _profile_form(base: Profile, key: str) -> tuple[Profile | None, list[str]]:
    """Inputs for every parameter, starting from ``base``; returns the profile they describe."""
    changes, errors = {}, []
    cols = st.columns(2)
    for i, f in enumerate(PCT_FIELDS):
        changes[f] = cols[i % 2].number_input(f"{LABELS[f]} (%)", 0.0, 100.0, float(getattr(base, f)), 5.0,
                                              key=f"prof_{f}_{key}", help=DESCRIPTIONS[f])
    changes["linear_threshold_points"] = cols[0].number_input(
        LABELS["linear_threshold_points"], 0.0, 100.0, float(base.linear_threshold_points), 5.0,
        key=f"prof_ltp_{key}", help=DESCRIPTIONS["linear_threshold_points"])
    changes["slip_tolerance_days"] = int(cols[1].number_input(
        LABELS["slip_tolerance_days"], 0, 365, int(base.slip_tolerance_days), 1, key=f"prof_tol_{key}",
        help=DESCRIPTIONS["slip_tolerance_days"]))
    changes["scoring"] = cols[0].selectbox(LABELS["scoring"], list(SCORING_LABELS), list(SCORING_LABELS).index(base.scoring),
                                           format_func=SCORING_LABELS.get, key=f"prof_scoring_{key}",
                                           placeholder=PLACEHOLDER)
    changes["neutralized"] = cols[1].selectbox(LABELS["neutralized"], list(NEUTRALIZED_LABELS),
                                               list(NEUTRALIZED_LABELS).index(base.neutralized),
                                               format_func=NEUTRALIZED_LABELS.get, key=f"prof_neutr_{key}",
                                           placeholder=PLACEHOLDER)
    changes["plan_score"] = cols[0].selectbox(LABELS["plan_score"], list(PLAN_SCORE_LABELS),
                                              list(PLAN_SCORE_LABELS).index(base.plan_score),
                                              format_func=PLAN_SCORE_LABELS.get, key=f"prof_plan_{key}",
                                           placeholder=PLACEHOLDER)
    bands = cols[1].text_input(LABELS["score_bands"], fmt_bands(base.score_bands), key=f"prof_bands_{key}",
                               help=DESCRIPTIONS["score_bands"])
    try:
        changes["score_bands"] = parse_value("score_bands", "bands", bands)
    except ValueError:
        errors.append(f"«{LABELS['score_bands']}»: «{bands}» non valido (es. 0→0; 50→50; 75→75; 100→100)")
    if errors:
        return None, errors
    p = replace(base, **changes)
    if not p.same_params(base):
        p = replace(p, key=CUSTOM, name=f"{base.name} (personalizzato)")
    try:
        return validate(p), []
    except ProfileError as exc:
        return None, [str(exc)]


def _params_frame(profile: Profile) -> pd.DataFrame:
    """The parameters of the profile in use, as shown (once per PlanMetrics: saving a profile moves the data version)."""
    return pd.DataFrame(describe(profile), columns=["Parametro", "Valore", "Significato"])


def _history_frame(ente: str, year: int, db=None) -> pd.DataFrame:
    """The stored versions of (ente, year) with their Italian date, once per PlanMetrics (as above)."""
    hist = profile_history(db, ente, year)
    return hist.assign(saved_at=hist["saved_at"].map(lambda d: f"{fmt_date(d)} {d:%H:%M}"))
def _confirm_save(sel, chosen: Profile, stored) -> None:
    """The confirmation box: what changes, the optional act, «Conferma e salva» / «Annulla»."""
    with st.container(border=True):
        st.markdown(f"**Confermare il nuovo sistema di misurazione?** «{plain(chosen.name)}» diventa la versione "
                    f"{(stored.version or 0) + 1} per {plain(sel.ente)}, anno {sel.year}: tutte le pagine e le "
                    "esportazioni useranno questo profilo (le versioni precedenti restano nello storico).")
        act = st.text_input("Atto di approvazione (facoltativo)", key="profile_act",
                            placeholder="p. es. Delibera del CdA n. 12 del 15/03/2024",
                            help="L'atto che approva il sistema di misurazione: è registrato con la versione.")
        ok, cancel = st.columns(2)
        if ok.button("Conferma e salva", type="primary", key="profile_confirm_save"):
            version = save_profile(sel.principal, sel.db, sel.plan_id, sel.ente, sel.year, chosen, "pagina",
                                   act=act or None)
            st.session_state.pop("profile_confirm", None)
            st.session_state["profile_saved"] = (f"Salvato «{chosen.name}», versione {version}"
                                                 + (f" (approvato con {act.strip()})" if act and act.strip() else "")
                                                 + ": tutte le pagine e le esportazioni usano ora questo profilo.")
            st.rerun()
        if cancel.button("Annulla", key="profile_confirm_cancel"):
            st.session_state.pop("profile_confirm", None)
            st.rerun()


def render() -> None:
    sel, pm = plan_page("Sistema di misurazione")
    stored = current_profile(sel.db, sel.ente, sel.year)
    st.markdown(f"Profilo in uso per **{plain(sel.ente)}**, anno **{sel.year}**: **{plain(stored.label)}**"
                + (f" — salvato da {plain(stored.saved_by)} il {fmt_date(stored.saved_at)} ({stored.source})"
                   + (f", approvato con {plain(stored.act)}" if stored.act else "")
                   if stored.version else ""))
    st.caption("Il sistema di misurazione e valutazione della performance (SMVP) dell'ente decide quanto valgono gli "
               "step continuativi, parziali, in corso e rinviati, come contano i neutralizzati, le fasce di colore, la "
               "funzione di punteggio, la tolleranza sui ritardi e il tasso della previsione. Cambiarlo qui cambia "
               "subito i valori di tutte le pagine e delle esportazioni (che ne riportano nome e versione).")

    st.subheader("I profili a confronto sul piano")
    presets = tuple(PRESETS.values())
    shown = presets if stored.profile.key in PRESETS and stored.profile.same_params(PRESETS[stored.profile.key]) \
        else presets + (stored.profile,)
    plan_df, obj_df, chart = pm.derived(comparison, sel, shown)
    cols = st.columns(len(shown))
    for col, p, (_, row) in zip(cols, shown, plan_df.iterrows()):
        with col.container(border=True):
            st.markdown(f"**{p.name}**" + (" · in uso" if p.same_params(stored.profile) else ""))
            st.metric("Punteggio del piano", row["Punteggio del piano"])
            st.caption(f"Raggiungimento {row['Raggiungimento del piano']} · "
                       + PRESET_DESCRIPTIONS.get(p.key, "Profilo personalizzato dell'ente."))
    plotly(chart, "presets_chart")
    show_table(obj_df, {"code": ("Codice", None), "title": ("Obiettivo", None),
                        "Raggiungimento": ("Raggiungimento", None),
                        **{p.name: (f"Punti · {p.name}", "num") for p in shown}}, key="presets_table", memo=pm)

    st.subheader("Scegliere il sistema di misurazione")
    options = list(PRESETS) + [CUSTOM]
    start = stored.profile.key if stored.profile.key in PRESETS else CUSTOM
    choice = st.radio("Profilo di partenza", options, index=options.index(start), horizontal=True,
                      format_func=lambda k: PRESETS[k].name if k in PRESETS else "Profilo salvato / personalizzato",
                      key="profile_choice")
    base = PRESETS[choice] if choice in PRESETS else stored.profile
    # the 14 inputs run only while the expander is open (closed: the starting profile as it is)
    form = lazy_expander("Parametri del profilo (modificabili)", key=f"profile_form_{choice}",
                         expanded=choice == CUSTOM)
    chosen, errors = base, []
    if form.open:
        with form:
            chosen, errors = _profile_form(base, choice)
    for e in errors:
        st.error(e)
    if chosen is not None:
        preview = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, sel.as_of, profile=chosen)
        st.markdown(f"Con «{plain(chosen.name)}»: raggiungimento del piano **{plan_value_text(preview)}**, punteggio "
                    f"**{fmt_num(preview.score)}** (ora: {plan_value_text(pm)}, punteggio {fmt_num(pm.score)}).")
        same = stored.version and chosen.same_params(stored.profile) and chosen.name == stored.profile.name
        may_save = sel.principal.can(PROFILES)
        if not may_save:
            st.info("Il confronto è libero; salvare il sistema di misurazione dell'ente spetta a un amministratore.",
                    icon="ℹ️")
        if st.button(f"Salva come sistema di misurazione di {plain(sel.ente)} per il {sel.year}", type="primary",
                     disabled=bool(same) or not may_save, key="profile_save",
                     help="Chiede conferma, poi crea una nuova versione del profilo (le precedenti restano nello "
                          "storico)."):
            st.session_state["profile_confirm"] = chosen.to_json()
        # issue 15: saving asks for confirmation and records the approving act (delibera), optional
        if may_save and not same and st.session_state.get("profile_confirm") == chosen.to_json():
            _confirm_save(sel, chosen, stored)
    if msg := st.session_state.pop("profile_saved", None):
        st.success(msg, icon="✅")

    st.subheader("Parametri del profilo in uso")
    show_table(pm.derived(_params_frame, stored.profile),
               {"Parametro": ("Parametro", None), "Valore": ("Valore", None), "Significato": ("Significato", None)},
               key="profile_params", memo=pm)   # the stored profile moves the data version: a new pm
    hist = pm.derived(_history_frame, sel.ente, int(sel.year), db=sel.db)
    st.subheader("Storico delle versioni")
    if hist.empty:
        st.info("Nessun profilo salvato per questo ente e anno: si usa il profilo «Predefinito». Si può salvare da "
                "questa pagina o con il foglio «Sistema di misurazione» del file Excel.", icon="ℹ️")
    else:
        show_table(hist, HISTORY_COLS,
                   key="profile_history", memo=pm)
