"""Indicatori: target vs valore rilevato (regola 6), per obiettivo e per area organizzativa."""
import streamlit as st

from charts.indicators import bullet_frame, indicator_bullets, indicators_by_group
from metrics.fmt import plural, fmt_int
from ui.common import PLACEHOLDER, lazy_expander, lazy_tabs, metric_row, plan_page, plotly, show_table

COLUMNS = {
    "name": ("Indicatore", None), "baseline_raw": ("Baseline", None), "target_raw": ("Target", None),
    "value_raw": ("Valore", None), "achievement": ("Raggiungimento", "pct"), "reason": ("Non valutabile perché", None),
    "mode": ("Direzione", None), "measured_on": ("Data rilevazione", "date"), "unit": ("Unità", None),
    "algorithm": ("Algoritmo", None), "code": ("Codice", None),
}
BY_OBJECTIVE = ({"objective_code": ("Obiettivo", None)}, {"org_area": ("Area organizzativa", None)})
BY_AREA = ({"org_area": ("Area organizzativa", None), "objective_code": ("Obiettivo", None)}, None)
ALL = "(tutti)"
BULLETS = "Target e valore rilevato"
GROUPINGS = ["Per obiettivo", "Per area organizzativa"]


NO_DATA = ("Questo piano non ha indicatori: il foglio «Indicatori» del file di monitoraggio è assente o "
            "vuoto. Per misurare gli obiettivi con target e valori, aggiungere il foglio (colonne Obiettivo, "
            "Indicatore, Baseline, Target, Direzione, Valore, Data rilevazione, Area organizzativa) e "
            "ricaricare il file.")

_count = plural   # the one helper (metrics.fmt.plural)


def prepared(pm) -> dict:
    """Indicators in objective order with their labels, counts, reasons, figures and the groups of
    the two tabs: once per PlanMetrics."""
    titles = dict(zip(pm.objectives["code"].astype(str), pm.objectives["title"]))
    order = {str(c): i for i, c in enumerate(pm.objectives["code"])}
    ind = pm.indicators.assign(
        objective_label=[f"{c} · {titles.get(str(c), '')}" for c in pm.indicators["objective_code"]],
        objective_ord=[order.get(str(c), len(order)) for c in pm.indicators["objective_code"]],
    ).sort_values(["objective_ord", "row_no"], kind="stable")
    areas = ind.assign(org_area=ind["org_area"].fillna("(non indicata)")).sort_values(
        ["org_area", "objective_ord", "row_no"], kind="stable")
    evaluable = ind["achievement"].notna()
    short = {c: f"{c} · {titles.get(c, '')[:45]}" for c in ind["objective_code"].astype(str)}
    return {
        "ind": ind, "areas": areas, "n": len(ind), "n_objectives": int(ind["objective_code"].nunique()),
        "evaluable": int(evaluable.sum()), "not_evaluable": int((~evaluable).sum()),
        "reached": int((ind["achievement"] >= 100.0 - 1e-9).sum()),
        "reasons": ind.loc[~evaluable, "reason"].fillna("motivo non indicato").value_counts()
                      .rename_axis("Motivo").reset_index(name="Indicatori"),
        "by_objective": {str(c): f"{c} · {titles.get(str(c), '')} — {_count(len(g), 'indicatore', 'indicatori')}, "
                                 f"{int(g['achievement'].notna().sum())} valutabili"
                         for c, g in ind.groupby("objective_code", sort=False)},
        "by_area": {str(a): f"{a} — {_count(len(g), 'indicatore', 'indicatori')}, "
                            f"{int(g['achievement'].notna().sum())} valutabili"
                    for a, g in areas.groupby("org_area", sort=True)},
        "bullets": indicator_bullets(ind, pm.profile) if not bullet_frame(ind).empty else None,
        "fig_objective": indicators_by_group(ind, "objective_code", labels=short, settings=pm.profile,
                                             title="Indicatori per obiettivo"),
        "fig_area": indicators_by_group(ind, "org_area", settings=pm.profile, title="Indicatori per area organizzativa"),
    }


def rows_of(pm, frame: str, column: str, pick: str):
    """The indicators of one objective or area (all with ALL), in the order of ``frame``."""
    rows = pm.derived(prepared, pm)[frame]
    return rows if pick == ALL else rows[rows[column].astype(str) == pick]


def table(pm, rows, key: str, first: dict, last: dict | None = None) -> None:
    """Indicators as an Italian table, leaving out the columns nobody filled in."""
    cols = {k: v for k, v in {**first, **COLUMNS, **(last or {})}.items() if k in first or rows[k].notna().any()}
    show_table(rows, cols, key=key, memo=pm)


def reasons(v: dict) -> None:
    if not v["not_evaluable"]:
        return
    if not v["evaluable"]:
        st.warning(f"Nessuno dei {v['n']} indicatori è valutabile: il raggiungimento non è calcolabile. "
                   "Qui sotto restano consultabili target e baseline per obiettivo e per area organizzativa.",
                   icon="⚠️")
    why = v["reasons"]
    missing = why.loc[why["Motivo"] == "valore non rilevato", "Indicatori"]
    if len(missing):
        st.info(f"{_count(int(missing.iloc[0]), 'indicatore non ha', 'indicatori non hanno')} un valore rilevato: "
                "compilare le colonne «Valore» e «Data rilevazione» del foglio «Indicatori» e ricaricare il file "
                "dalla pagina «Carica foglio».", icon="ℹ️")
    box = lazy_expander("Motivi di non valutabilità", key="ind_reasons", expanded=not v["evaluable"])
    if box.open:
        with box:
            st.dataframe(why, hide_index=True)


def render() -> None:
    sel, pm = plan_page("Indicatori", "indicators", NO_DATA)
    v = pm.derived(prepared, pm)
    metric_row([
        ("Indicatori", fmt_int(v["n"]), f"Su {v['n_objectives']} obiettivi"),
        ("Valutabili", fmt_int(v["evaluable"]), "Con target interpretabile e valore rilevato (regola 6)"),
        ("Target raggiunti", fmt_int(v["reached"]), "Raggiungimento dell'indicatore pari al 100%"),
        ("Non valutabili", fmt_int(v["not_evaluable"]), "Senza valore rilevato o con target non interpretabile"),
    ])
    reasons(v)
    st.header("Target, valori e baseline")
    bullets = v["bullets"] is not None
    tabs = lazy_tabs([BULLETS, *GROUPINGS] if bullets else GROUPINGS, key="ind_group")
    if bullets:
        tab, tabs = tabs[0], tabs[1:]
        if tab.open:
            with tab:
                st.caption("Barra = valore rilevato (colore della fascia di raggiungimento), linea nera = target, "
                           "zona grigia = baseline. ↑ più alto è meglio, ↓ più basso è meglio.")
                plotly(v["bullets"], "bullets")
    for tab, (figure, groups, label, frame, column, key, columns) in zip(tabs, (
            ("fig_objective", "by_objective", "Mostra l'obiettivo", "ind", "objective_code", "ind_obj", BY_OBJECTIVE),
            ("fig_area", "by_area", "Mostra l'area organizzativa", "areas", "org_area", "ind_area", BY_AREA))):
        if tab.open:
            with tab:
                plotly(v[figure], figure.replace("fig_", "by_"))
                names = v[groups]
                pick = st.selectbox(label, [ALL, *names], format_func=lambda c, n=names: n.get(c, c), key=key,
                                    placeholder=PLACEHOLDER)
                table(pm, pm.derived(rows_of, pm, frame, column, pick), f"ind_{groups}", *columns)
