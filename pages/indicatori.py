"""Indicatori: target vs valore rilevato (regola 6), per obiettivo e per area organizzativa."""
import streamlit as st

from charts.indicators import bullet_frame, indicator_bullets, indicators_by_group
from metrics.fmt import fmt_int
from ui.common import italian_table, metric_row, page_header, plotly, require_selection, show_table


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


COLUMNS = {
    "name": ("Indicatore", None), "baseline_raw": ("Baseline", None), "target_raw": ("Target", None),
    "value_raw": ("Valore", None), "achievement": ("Raggiungimento", "pct"), "reason": ("Non valutabile perché", None),
    "mode": ("Direzione", None), "measured_on": ("Data rilevazione", "date"), "unit": ("Unità", None),
    "algorithm": ("Algoritmo", None), "code": ("Codice", None),
}


def _table(rows, key: str, first: dict, last: dict | None = None) -> None:
    """Indicators as an Italian table, leaving out the columns nobody filled in."""
    cols = {k: v for k, v in {**first, **COLUMNS, **(last or {})}.items() if k in first or rows[k].notna().any()}
    show_table(rows, cols, key=key, memo=pm)


sel = require_selection()
pm = sel.metrics()
page_header("Indicatori", sel)

ind = pm.indicators
if ind.empty:
    st.info("Questo piano non ha indicatori: il foglio «Indicatori» del file di monitoraggio è assente o vuoto. "
            "Per misurare gli obiettivi con target e valori, aggiungere il foglio (colonne Obiettivo, Indicatore, "
            "Baseline, Target, Direzione, Valore, Data rilevazione, Area organizzativa) e ricaricare il file.",
            icon="ℹ️")
    st.stop()



def prepared() -> dict:
    """Indicators in objective order with their labels, and the groups of the two tabs: once per
    PlanMetrics."""
    titles = dict(zip(pm.objectives["code"].astype(str), pm.objectives["title"]))
    order = {str(c): i for i, c in enumerate(pm.objectives["code"])}
    ind = pm.indicators.assign(
        objective_label=[f"{c} · {titles.get(str(c), '')}" for c in pm.indicators["objective_code"]],
        objective_ord=[order.get(str(c), len(order)) for c in pm.indicators["objective_code"]],
    ).sort_values(["objective_ord", "row_no"], kind="stable")
    areas = ind.assign(org_area=ind["org_area"].fillna("(non indicata)"))
    by_objective = {str(c): f"{c} · {titles.get(str(c), '')} — {_count(len(g), 'indicatore', 'indicatori')}, "
                            f"{int(g['achievement'].notna().sum())} valutabili"
                    for c, g in ind.groupby("objective_code", sort=False)}
    by_area = {str(a): f"{a} — {_count(len(g), 'indicatore', 'indicatori')}, {int(g['achievement'].notna().sum())} "
                       "valutabili" for a, g in areas.groupby("org_area", sort=True)}
    return {"titles": titles, "ind": ind, "areas": areas, "by_objective": by_objective, "by_area": by_area,
            "has_bullets": not bullet_frame(ind).empty}


view = pm.derived(prepared)
titles, ind = view["titles"], view["ind"]
evaluable = ind[ind["achievement"].notna()]
not_eval = ind[ind["achievement"].isna()]
reached = evaluable[evaluable["achievement"] >= 100.0 - 1e-9]

metric_row([
    ("Indicatori", fmt_int(len(ind)), f"Su {ind['objective_code'].nunique()} obiettivi"),
    ("Valutabili", fmt_int(len(evaluable)), "Con target interpretabile e valore rilevato (regola 6)"),
    ("Target raggiunti", fmt_int(len(reached)), "Raggiungimento dell'indicatore pari al 100%"),
    ("Non valutabili", fmt_int(len(not_eval)), "Senza valore rilevato o con target non interpretabile"),
])

if len(not_eval):
    reasons = not_eval["reason"].fillna("motivo non indicato").value_counts()
    if evaluable.empty:
        st.warning(f"Nessuno dei {len(ind)} indicatori è valutabile: il raggiungimento non è calcolabile. "
                   "Qui sotto restano consultabili target e baseline per obiettivo e per area organizzativa.",
                   icon="⚠️")
    if "valore non rilevato" in reasons.index:
        n = int(reasons["valore non rilevato"])
        st.info(f"{_count(n, 'indicatore non ha', 'indicatori non hanno')} un valore rilevato: compilare le colonne "
                "«Valore» e «Data rilevazione» del foglio «Indicatori» e ricaricare il file dalla pagina "
                "«Carica foglio».", icon="ℹ️")
    with st.expander("Motivi di non valutabilità", expanded=evaluable.empty):
        st.dataframe(reasons.rename_axis("Motivo").reset_index(name="Indicatori"), hide_index=True)


def _bullets_figure():
    return indicator_bullets(ind)


def _by_objective_figure():
    short = {c: f"{c} · {titles.get(c, '')[:45]}" for c in ind["objective_code"].astype(str)}
    return indicators_by_group(ind, "objective_code", labels=short, title="Indicatori per obiettivo")


def _by_area_figure():
    return indicators_by_group(ind, "org_area", title="Indicatori per area organizzativa")


if view["has_bullets"]:
    st.subheader("Target e valore rilevato")
    st.caption("Barra = valore rilevato (colore della fascia di raggiungimento), linea nera = target, zona grigia = "
               "baseline. ↑ più alto è meglio, ↓ più basso è meglio.")
    plotly(pm.derived(_bullets_figure), "bullets")

ALL = "(tutti)"
st.subheader("Target e baseline per gruppo")
by_objective, by_area = st.tabs(["Per obiettivo", "Per area organizzativa"])
with by_objective:
    plotly(pm.derived(_by_objective_figure), "by_objective")
    groups = view["by_objective"]
    pick = st.selectbox("Mostra l'obiettivo", [ALL, *groups], format_func=lambda c: groups.get(c, c), key="ind_obj")
    rows = ind if pick == ALL else ind[ind["objective_code"].astype(str) == pick]
    _table(rows, "ind_by_objective", {"objective_code": ("Obiettivo", None)}, {"org_area": ("Area organizzativa", None)})
with by_area:
    plotly(pm.derived(_by_area_figure), "by_area")
    areas, groups = view["areas"], view["by_area"]
    pick = st.selectbox("Mostra l'area organizzativa", [ALL, *groups], format_func=lambda a: groups.get(a, a),
                        key="ind_area")
    rows = areas if pick == ALL else areas[areas["org_area"] == pick]
    _table(rows.sort_values(["org_area", "objective_ord", "row_no"], kind="stable"), "ind_by_area",
           {"org_area": ("Area organizzativa", None), "objective_code": ("Obiettivo", None)})
