"""Confronto: due date di monitoraggio, due versioni del piano o due piani dello stesso ente (anni diversi),
affiancati."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from charts.compare import before_after_bars, delta_bars
from metrics import monitoring_dates, plan_metrics, plan_versions
from metrics.engine import same_ente_plans
from metrics.compare import compare
from metrics.fmt import fmt_date, fmt_delta, fmt_int, fmt_pct
from ui.common import PLACEHOLDER, lazy_expander, lazy_tabs, page_header, plain, plotly, require_selection, show_table

DATES, VERSIONS, PLANS = "Due date di monitoraggio", "Due versioni del piano", "Due piani dello stesso ente"
STEP_ID = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None)}
ADDED_REMOVED_COLS = {**STEP_ID, "deadline": ("Termine", "date"), "deadline_raw": ("Termine (come scritto)", None)}
CHANGES = ["Step che hanno cambiato stato", "Termini spostati (rimodulazioni)", "Step aggiunti e rimossi"]
COUNT_LABELS = {"objectives_evaluable": "Obiettivi valutabili", "steps_due": "Step dell'anno",
                "completed": "Step completati", "late": "Completati in ritardo", "overdue": "Step scaduti",
                "neutralized": "Step neutralizzati", "verifications": "Verifiche registrate"}


def before_after(label_before: str, label_after: str) -> dict:
    """The columns the objectives and steps tables share: status and achievement at the two moments."""
    return {
        "status_before": (f"Stato {label_before}", None), "status_after": (f"Stato {label_after}", None),
        "achievement_before": (f"Raggiungimento {label_before}", "pct"),
        "achievement_after": (f"Raggiungimento {label_after}", "pct"), "delta": ("Variazione", "delta"),
    }


def pair_view(after, before_ctx, labels: tuple[str, str], *, before) -> dict:
    """compare() of one pair and what the page shows of it; cached on ``after`` per compared side
    (``before_ctx`` identifies ``before``)."""
    cmp = compare(before, after)
    sc = cmp.status_changes
    return {
        "cmp": cmp, "counts": cmp.counts.set_index("key"),
        "delta_fig": delta_bars(cmp.objectives, *labels), "both_fig": before_after_bars(cmp.objectives, *labels),
        "status_changed": int(sc["status_changed"].sum()) if len(sc) else 0,
        "counts_table": cmp.counts.assign(label=cmp.counts["key"].map(COUNT_LABELS),
                                          change=[f"{int(d):+d}" if pd.notna(d) else "—"
                                                  for d in cmp.counts["delta"]]),
    }


def pick_dates(sel, dates: list):
    """Two monitoring dates of the same version: (before, after, labels)."""
    default_after = sel.as_of if sel.as_of in dates else dates[-1]
    earlier = [d for d in dates if d < default_after]
    default_before = earlier[-1] if earlier else dates[0]
    c1, c2 = st.columns(2)
    d_before = c1.selectbox("Prima data", dates, index=dates.index(default_before), format_func=fmt_date,
                            key="cmp_date_before", placeholder=PLACEHOLDER)
    d_after = c2.selectbox("Seconda data", dates, index=dates.index(default_after), format_func=fmt_date,
                           key="cmp_date_after", placeholder=PLACEHOLDER,
                           help=f"Stessa versione del piano, raggiungimenti dell'anno {sel.year}: contano le "
                                "verifiche fino a ciascuna data.")
    if d_before == d_after:
        st.warning("Scegliere due date diverse.")
        st.stop()
    before = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, d_before)
    after = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, d_after)
    return before, after, (f"al {fmt_date(d_before)}", f"al {fmt_date(d_after)}")


def pick_versions(sel, versions: pd.DataFrame):
    """Two versions of the plan: (before, after, labels)."""
    ids = [int(i) for i in versions["import_id"]]
    info = versions.set_index("import_id")

    def label(i: int) -> str:
        return (f"versione {int(info.at[i, 'version'])} — {info.at[i, 'file_name']} "
                f"(importata il {fmt_date(pd.Timestamp(info.at[i, 'imported_at']))})")

    default_after = sel.import_id if sel.import_id in ids else ids[0]
    older = [i for i in ids if int(info.at[i, "version"]) < int(info.at[default_after, "version"])]
    default_before = older[0] if older else next(i for i in ids if i != default_after)
    c1, c2 = st.columns(2)
    v_before = c1.selectbox("Versione di partenza", ids, index=ids.index(default_before), format_func=label,
                            key="cmp_version_before", placeholder=PLACEHOLDER)
    v_after = c2.selectbox("Versione di confronto", ids, index=ids.index(default_after), format_func=label,
                           key="cmp_version_after", placeholder=PLACEHOLDER)
    same_date = st.checkbox(f"Stessa data di monitoraggio per entrambe ({fmt_date(sel.as_of)}, dalla barra laterale)",
                            key="cmp_same_date",
                            help="Altrimenti ogni versione è letta alla propria data di monitoraggio.")
    if v_before == v_after:
        st.warning("Scegliere due versioni diverse.")
        st.stop()
    as_of = sel.as_of if same_date else None
    before = plan_metrics(sel.db, sel.plan_id, v_before, sel.year, as_of)
    after = plan_metrics(sel.db, sel.plan_id, v_after, sel.year, as_of)
    labels = (f"versione {before.ctx.version}", f"versione {after.ctx.version}")
    st.caption(f"Raggiungimenti dell'anno {sel.year}: {labels[0]} letta al {fmt_date(before.ctx.as_of)}, "
               f"{labels[1]} al {fmt_date(after.ctx.as_of)}.")
    return before, after, labels


def pick_plans(sel, others: pd.DataFrame):
    """The selected plan and another plan of the same ente (e.g. the 2020 plan and the 2025 one), each
    read at its own default year and monitoring date: (before, after, labels) — the older plan first."""
    info = others.set_index("plan_id")
    ids = [int(i) for i in others["plan_id"]]

    def label(i: int) -> str:
        a, b = int(info.at[i, "anno_inizio"]), int(info.at[i, "anno_fine"])
        return f"{info.at[i, 'titolo']} ({a}–{b})" if b != a else f"{info.at[i, 'titolo']} ({a})"

    other = st.selectbox("Piano da confrontare", ids, index=len(ids) - 1, format_func=label, key="cmp_other_plan",
                         help=f"Un altro piano di {plain(sel.ente)}. Ogni piano è letto al proprio anno e alla propria "
                              "data di monitoraggio; gli obiettivi sono confrontati per codice.")
    mine = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, sel.as_of)
    theirs = plan_metrics(sel.db, other)
    before, after = (theirs, mine) if (theirs.ctx.year, other) <= (mine.ctx.year, sel.plan_id) else (mine, theirs)
    labels = (f"piano {before.ctx.year}", f"piano {after.ctx.year}")
    if labels[0] == labels[1]:
        labels = (f"piano {before.ctx.plan_id}", f"piano {after.ctx.plan_id}")
    st.caption(f"«{plain(before.ctx.titolo)}» letto al {fmt_date(before.ctx.as_of)} (anno {before.ctx.year}) e "
               f"«{plain(after.ctx.titolo)}» al {fmt_date(after.ctx.as_of)} (anno {after.ctx.year}).")
    return before, after, labels


def headline(v: dict, before, after, labels: tuple[str, str]) -> None:
    cmp, counts = v["cmp"], v["counts"]
    label_before, label_after = labels
    cols = st.columns(4)
    cols[0].metric(f"Raggiungimento {label_before}", fmt_pct(cmp.achievement_before))
    cols[1].metric(f"Raggiungimento {label_after}", fmt_pct(cmp.achievement_after),
                   delta=fmt_delta(cmp.achievement_delta) if cmp.achievement_delta is not None else None,
                   delta_color="normal" if cmp.achievement_delta and round(cmp.achievement_delta, 1) else "off",
                   help="Raggiungimento del piano (regola 3) e variazione in punti percentuali")
    for col, key, label, help_, good in (
            (cols[2], "completed", "Step completati", "Step dell'anno completati", "normal"),
            (cols[3], "overdue", "Step scaduti", "Non completati e oltre il termine", "inverse")):
        d = int(counts.at[key, "delta"])
        col.metric(label, fmt_int(counts.at[key, "after"]), delta=f"{d:+d}" if d else "invariato",
                   delta_color=good if d else "off", delta_arrow="auto" if d else "off",
                   help=f"{help_}, {label_after}")
    if before.counts["verifications"] == 0 and after.counts["verifications"] == 0:
        st.info("Nessuna delle due versioni contiene verifiche: i raggiungimenti sono a 0%; il confronto mostra "
                "comunque obiettivi, step e termini cambiati.", icon="ℹ️")


def changes(sel, v: dict, after, pair: str, labels: tuple[str, str]) -> None:
    """Steps that changed status, deadlines moved, steps added and removed: only the open tab runs."""
    cmp = v["cmp"]
    label_before, label_after = labels
    sc = cmp.status_changes
    st.caption(f"{v['status_changed']} step hanno cambiato stato, {len(sc) - v['status_changed']} solo il "
               f"raggiungimento · termini spostati: {fmt_int(len(cmp.deadline_changes))} · step aggiunti: "
               f"{fmt_int(len(cmp.steps_added))}, rimossi: {fmt_int(len(cmp.steps_removed))}.")
    t_status, t_deadlines, t_added = lazy_tabs(CHANGES, key="cmp_changes")
    if t_status.open:
        with t_status:
            if sc.empty:
                st.success("Nessuno step ha cambiato stato o raggiungimento tra i due momenti.", icon="✅")
            else:
                show_table(sc, {**STEP_ID, **before_after(*labels),
                                "status_raw_after": ("Stato (testo originale)", None),
                                "completed_on_after": ("Completato il", "date")},
                           key=f"cmp_steps_{pair}", memo=after, objective_col="objective_code", sel=sel)
    if t_deadlines.open:
        with t_deadlines:
            dc = cmp.deadline_changes
            if dc.empty:
                st.success("Nessun termine spostato: termini e nuovi termini sono gli stessi nei due momenti.",
                           icon="✅")
            else:
                show_table(dc, {
                    **STEP_ID,
                    "deadline_before": (f"Termine {label_before}", "date"),
                    "revised_deadline_before": (f"Nuovo termine {label_before}", "date"),
                    "deadline_after": (f"Termine {label_after}", "date"),
                    "revised_deadline_after": (f"Nuovo termine {label_after}", "date"),
                    "shift_days": ("Spostamento", "days"), "status_after": ("Stato", None),
                }, key=f"cmp_deadlines_{pair}", memo=after, objective_col="objective_code", sel=sel)
    if t_added.open:
        with t_added:
            for col, title, rows in zip(st.columns(2), ("aggiunti", "rimossi"),
                                        (cmp.steps_added, cmp.steps_removed)):
                with col:
                    st.markdown(f"**Step {title}** ({len(rows)})")
                    if len(rows):
                        show_table(rows, ADDED_REMOVED_COLS, key=f"cmp_{title}_{pair}", memo=after)
                    else:
                        st.caption(f"Nessuno step {title}.")


def render() -> None:
    sel = require_selection()
    page_header("Confronto", sel)
    dates = monitoring_dates(sel.db, sel.import_id)
    versions = plan_versions(sel.db, sel.plan_id)
    others = same_ente_plans(sel.db, sel.plan_id)
    modes = [m for m, ok in ((DATES, len(dates) >= 2), (VERSIONS, len(versions) >= 2), (PLANS, len(others) >= 1))
             if ok]
    if not modes:
        st.info("Per un confronto servono almeno due date di monitoraggio (verifiche con date diverse nel foglio "
                "«Verifiche»), due versioni del piano (lo stesso piano importato due volte) oppure un altro piano "
                "dello stesso ente (ad esempio quello di un altro anno). "
                f"Questo piano ha {len(dates)} {'data' if len(dates) == 1 else 'date'} di monitoraggio e "
                f"{len(versions)} {'versione' if len(versions) == 1 else 'versioni'}: caricare un foglio aggiornato "
                "dalla pagina «Carica foglio».", icon="ℹ️")
        st.stop()

    mode = st.radio("Confrontare", modes, horizontal=True, key="cmp_mode") if len(modes) > 1 else modes[0]
    if mode == PLANS:
        before, after, labels = pick_plans(sel, others)
    else:
        before, after, labels = pick_dates(sel, dates) if mode == DATES else pick_versions(sel, versions)
    v = after.derived(pair_view, after, before.ctx, labels, before=before)
    pair = f"{before.ctx.import_id}_{before.ctx.as_of}"   # tables are cached on `after`, per compared side
    headline(v, before, after, labels)

    # two plans: an objective code may exist in one of them only, so no drill-down to the selected plan
    link = None if mode == PLANS else sel
    st.header("Raggiungimento per obiettivo")
    if link is not None:
        st.caption("Clic su una barra o su una riga per aprire l'obiettivo.")
    plotly(v["delta_fig"], "cmp_delta", link, clickable=True)
    both = lazy_expander(f"Raggiungimento {labels[0]} e {labels[1]} a confronto (grafico)", key="cmp_both_open")
    if both.open:
        with both:
            plotly(v["both_fig"], "cmp_both", link, clickable=True)
    show_table(v["cmp"].objectives, {"code": ("Codice", None), "title": ("Obiettivo", None),
                                     **before_after(*labels), "change": ("Modifica", None)},
               key=f"cmp_objectives_{pair}", memo=after, objective_col="code", sel=link)

    st.header("Che cosa è cambiato negli step")
    changes(link, v, after, pair, labels)

    counts = lazy_expander("Conteggi a confronto", key="cmp_counts_open")
    if counts.open:
        with counts:
            show_table(v["counts_table"], {
                "label": ("Conteggio", None), "before": (labels[0], "int"), "after": (labels[1], "int"),
                "change": ("Variazione", None),
            }, key=f"cmp_counts_{pair}", memo=after)
