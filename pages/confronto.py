"""Confronto: due date di monitoraggio o due versioni del piano, affiancate."""
import pandas as pd
import streamlit as st

from charts.compare import before_after_bars, delta_bars
from metrics import monitoring_dates, plan_metrics, plan_versions
from metrics.compare import compare
from metrics.fmt import fmt_date, fmt_delta, fmt_int, fmt_pct
from ui.common import italian_table, page_header, plotly, require_selection, show_table

sel = require_selection()
page_header("Confronto", sel)

DATES, VERSIONS = "Due date di monitoraggio", "Due versioni del piano"
dates = monitoring_dates(sel.db, sel.import_id)
versions = plan_versions(sel.db, sel.plan_id)
modes = [m for m, ok in ((DATES, len(dates) >= 2), (VERSIONS, len(versions) >= 2)) if ok]
if not modes:
    st.info("Per un confronto servono almeno due date di monitoraggio (verifiche con date diverse nel foglio "
            "«Verifiche») oppure due versioni del piano (lo stesso piano importato due volte). "
            f"Questo piano ha {len(dates)} {'data' if len(dates) == 1 else 'date'} di monitoraggio e "
            f"{len(versions)} {'versione' if len(versions) == 1 else 'versioni'}: caricare un foglio aggiornato "
            "dalla pagina «Carica foglio».", icon="ℹ️")
    st.stop()

mode = st.radio("Confrontare", modes, horizontal=True, key="cmp_mode")
if mode == DATES:
    default_after = sel.as_of if sel.as_of in dates else dates[-1]
    earlier = [d for d in dates if d < default_after]
    default_before = earlier[-1] if earlier else dates[0]
    c1, c2 = st.columns(2)
    d_before = c1.selectbox("Prima data", dates, index=dates.index(default_before), format_func=fmt_date,
                            key="cmp_date_before")
    d_after = c2.selectbox("Seconda data", dates, index=dates.index(default_after), format_func=fmt_date,
                           key="cmp_date_after")
    label_before, label_after = f"al {fmt_date(d_before)}", f"al {fmt_date(d_after)}"
    st.caption(f"Stessa versione del piano, raggiungimenti dell'anno {sel.year}: contano le verifiche fino a "
               "ciascuna data.")
    if d_before == d_after:
        st.warning("Scegliere due date diverse.")
        st.stop()
    before = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, d_before)
    after = plan_metrics(sel.db, sel.plan_id, sel.import_id, sel.year, d_after)
else:
    ids = [int(i) for i in versions["import_id"]]
    info = versions.set_index("import_id")
    label = lambda i: (f"versione {int(info.at[i, 'version'])} — {info.at[i, 'file_name']} "  # noqa: E731
                       f"(importata il {fmt_date(pd.Timestamp(info.at[i, 'imported_at']))})")
    default_after = sel.import_id if sel.import_id in ids else ids[0]
    older = [i for i in ids if int(info.at[i, "version"]) < int(info.at[default_after, "version"])]
    default_before = older[0] if older else next(i for i in ids if i != default_after)
    c1, c2 = st.columns(2)
    v_before = c1.selectbox("Versione di partenza", ids, index=ids.index(default_before), format_func=label,
                            key="cmp_version_before")
    v_after = c2.selectbox("Versione di confronto", ids, index=ids.index(default_after), format_func=label,
                           key="cmp_version_after")
    same_date = st.checkbox(f"Stessa data di monitoraggio per entrambe ({fmt_date(sel.as_of)}, dalla barra laterale)",
                            key="cmp_same_date",
                            help="Altrimenti ogni versione è letta alla propria data di monitoraggio.")
    if v_before == v_after:
        st.warning("Scegliere due versioni diverse.")
        st.stop()
    as_of = sel.as_of if same_date else None
    before = plan_metrics(sel.db, sel.plan_id, v_before, sel.year, as_of)
    after = plan_metrics(sel.db, sel.plan_id, v_after, sel.year, as_of)
    label_before, label_after = f"versione {before.ctx.version}", f"versione {after.ctx.version}"
    st.caption(f"Raggiungimenti dell'anno {sel.year}: {label_before} letta al {fmt_date(before.ctx.as_of)}, "
               f"{label_after} al {fmt_date(after.ctx.as_of)}.")



def comparison(before_ctx):
    """compare() of this pair, cached on ``after`` (keyed by the other side's context)."""
    return compare(before, after)


cmp = after.derived(comparison, before.ctx)
STEP_ID = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None)}
pair = f"{before.ctx.import_id}_{before.ctx.as_of}"   # tables are cached on `after`, per compared side
before_after = {   # the columns both tables share: status and achievement at the two moments
    "status_before": (f"Stato {label_before}", None), "status_after": (f"Stato {label_after}", None),
    "achievement_before": (f"Raggiungimento {label_before}", "pct"),
    "achievement_after": (f"Raggiungimento {label_after}", "pct"), "delta": ("Variazione", "delta"),
}


def comparison_figure(before_ctx, kind: str):
    """Delta or before/after bars of this pair, cached on ``after``."""
    builder = delta_bars if kind == "delta" else before_after_bars
    return builder(cmp.objectives, label_before, label_after)

counts = cmp.counts.set_index("key")
cols = st.columns(4)
cols[0].metric(f"Raggiungimento {label_before}", fmt_pct(cmp.achievement_before))
cols[1].metric(f"Raggiungimento {label_after}", fmt_pct(cmp.achievement_after),
               delta=fmt_delta(cmp.achievement_delta) if cmp.achievement_delta is not None else None,
               delta_color="normal" if cmp.achievement_delta and round(cmp.achievement_delta, 1) else "off",
               help="Raggiungimento del piano (regola 3) e variazione in punti percentuali")
for col, key, label, help_, good in ((cols[2], "completed", "Step completati", "Step dell'anno completati", "normal"),
                                    (cols[3], "overdue", "Step scaduti", "Non completati e oltre il termine", "inverse")):
    d = int(counts.at[key, "delta"])
    col.metric(label, fmt_int(counts.at[key, "after"]), delta=f"{d:+d}" if d else "invariato",
               delta_color=good if d else "off", delta_arrow="auto" if d else "off", help=f"{help_}, {label_after}")
if before.counts["verifications"] == 0 and after.counts["verifications"] == 0:
    st.info("Nessuna delle due versioni contiene verifiche: i raggiungimenti sono a 0%; il confronto mostra "
            "comunque obiettivi, step e termini cambiati.", icon="ℹ️")

st.subheader("Raggiungimento per obiettivo")
st.caption("Clic su una barra o su una riga per aprire l'obiettivo.")
left, right = st.columns(2)
with left:
    plotly(after.derived(comparison_figure, before.ctx, "delta"), "cmp_delta", sel, clickable=True)
with right:
    plotly(after.derived(comparison_figure, before.ctx, "both"), "cmp_both", sel, clickable=True)
show_table(cmp.objectives, {
    "code": ("Codice", None), "title": ("Obiettivo", None),
    **before_after,
    "change": ("Modifica", None),
}, key=f"cmp_objectives_{pair}", memo=after, objective_col="code", sel=sel)

st.subheader("Step che hanno cambiato stato")
sc = cmp.status_changes
if sc.empty:
    st.success("Nessuno step ha cambiato stato o raggiungimento tra i due momenti.", icon="✅")
else:
    st.caption(f"{int(sc['status_changed'].sum())} step hanno cambiato stato, "
               f"{int((~sc['status_changed']).sum())} solo il raggiungimento.")
    show_table(sc, {
        **STEP_ID,
        **before_after,
        "status_raw_after": ("Stato (testo originale)", None), "completed_on_after": ("Completato il", "date"),
    }, key=f"cmp_steps_{pair}", memo=after, objective_col="objective_code", sel=sel)

st.subheader("Termini spostati (rimodulazioni)")
dc = cmp.deadline_changes
if dc.empty:
    st.success("Nessun termine spostato: termini e nuovi termini sono gli stessi nei due momenti.", icon="✅")
else:
    show_table(dc, {
        **STEP_ID,
        "deadline_before": (f"Termine {label_before}", "date"),
        "revised_deadline_before": (f"Nuovo termine {label_before}", "date"),
        "deadline_after": (f"Termine {label_after}", "date"),
        "revised_deadline_after": (f"Nuovo termine {label_after}", "date"),
        "shift_days": ("Spostamento", "days"), "status_after": ("Stato", None),
    }, key=f"cmp_deadlines_{pair}", memo=after, objective_col="objective_code", sel=sel)

if len(cmp.steps_added) or len(cmp.steps_removed):
    st.subheader("Step aggiunti e rimossi")
    step_cols = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None),
                 "deadline": ("Termine", "date"), "deadline_raw": ("Termine (come scritto)", None)}
    for col, title, rows in zip(st.columns(2), ("aggiunti", "rimossi"), (cmp.steps_added, cmp.steps_removed)):
        with col:
            st.markdown(f"**Step {title}** ({len(rows)})")
            if len(rows):
                show_table(rows, step_cols)
            else:
                st.caption(f"Nessuno step {title}.")

with st.expander("Conteggi a confronto"):
    labels = {"objectives_evaluable": "Obiettivi valutabili", "steps_due": "Step dell'anno",
              "completed": "Step completati", "late": "Completati in ritardo", "overdue": "Step scaduti",
              "neutralized": "Step neutralizzati", "verifications": "Verifiche registrate"}
    table = cmp.counts.assign(label=cmp.counts["key"].map(labels),
                              change=[f"{int(d):+d}" if pd.notna(d) else "—" for d in cmp.counts["delta"]])
    show_table(table, {
        "label": ("Conteggio", None), "before": (label_before, "int"), "after": (label_after, "int"),
        "change": ("Variazione", None),
    })
