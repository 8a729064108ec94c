"""Qualità dei dati: i controlli della specifica, con gli elementi e le righe coinvolte."""
import pandas as pd
import streamlit as st

from metrics.fmt import fmt_date, fmt_int
from metrics.quality import CHECKS, weight_formats
from ui.common import metric_row, plain, plan_page, show_table

#: Italian label and format of the columns the checks put in their ``rows``.
ROW_COLUMNS: dict[str, tuple[str, str | None]] = {
    "objective_code": ("Obiettivo", None), "code": ("Step", None), "step_code": ("Step", None),
    "anno": ("Anno", None), "stampato": ("Peso stampato", "pct"), "regola_1": ("Peso secondo la regola 1", "pct"),
    "verified_on": ("Data verifica", "date"), "completed_on": ("Data completamento", "date"),
    "deadline": ("Termine", "date"), "deadline_raw": ("Termine (come scritto)", None),
    "overdue_days": ("Giorni scaduto", "int"), "status_raw": ("Stato (testo originale)", None),
    "note": ("Testo della verifica", None),
}


def row_columns(rows: pd.DataFrame) -> dict[str, tuple[str, str | None]]:
    """Known columns get their Italian label and format; any other column is shown as is."""
    return {c: ROW_COLUMNS.get(c, (c.replace("_", " ").capitalize(), None)) for c in rows.columns}


def _elements(n: int) -> str:
    return f"{n} {'elemento' if n == 1 else 'elementi'}"


def quality_view(pm) -> dict:
    """The checks' results and the summary table, once per PlanMetrics."""
    found = {q["rule"]: q for q in pm.quality}
    n_items = {rule: len(q["items"]) for rule, q in found.items()}
    summary = pd.DataFrame([{
        "Controllo": title,
        "Esito": f"⚠️ {_elements(n_items[rule])}" if rule in found else "✅ nessun problema",
        "Elementi": ", ".join(found[rule]["items"][:12]) + (" …" if len(found[rule]["items"]) > 12 else "")
        if rule in found else "",
    } for rule, title in CHECKS.items()])
    return {"found": found, "n_items": n_items, "summary": summary}


def render() -> None:
    sel, pm = plan_page("Qualità dei dati")
    v = pm.derived(quality_view, pm)
    found, n_items = v["found"], v["n_items"]
    metric_row([
        ("Controlli", fmt_int(len(CHECKS)), "Controlli della specifica del foglio di monitoraggio"),
        ("Superati", fmt_int(len(CHECKS) - len(found)), "Nessun problema trovato"),
        ("Con segnalazioni", fmt_int(len(found)), "Controlli che hanno trovato qualcosa da verificare"),
        ("Elementi segnalati", fmt_int(sum(n_items.values())), "Codici coinvolti, sommati su tutti i controlli"),
    ])
    if not found:
        st.success("Tutti i controlli sono superati: nessun problema nei dati di questo piano.", icon="✅")
    else:
        st.caption("Le segnalazioni non bloccano i calcoli (pesi normalizzati, stati sconosciuti contati con il "
                   f"raggiungimento indicato): servono a correggere il foglio. Situazione al {fmt_date(sel.as_of)}.")

    for note in pm.derived(weight_formats, pm):        # «pesi in punti su 50»: the ente's format, no warning
        st.info(note, icon="ℹ️")
    st.header("Riepilogo")
    st.dataframe(v["summary"], hide_index=True)

    st.header("Dettaglio dei controlli")
    for rule, title in CHECKS.items():
        q = found.get(rule)
        if q is None:
            st.success(f"**{title}**: nessun problema.", icon="✅")
            continue
        with st.expander(f"⚠️ {title} — {_elements(n_items[rule])}", expanded=True):
            st.warning(plain(q["message"]))
            st.markdown("**Elementi coinvolti:** " + ", ".join(plain(i) for i in q["items"]))
            rows = q["rows"]
            if isinstance(rows, pd.DataFrame) and len(rows):
                show_table(rows, row_columns(rows), key=f"quality_{rule}", memo=pm)
