"""Cascata strategica: aree → obiettivi strategici → obiettivi → step (rule 4)."""
import streamlit as st

from charts.cascade import cascade_groups, cascade_sankey, cascade_tree, node_of
from metrics.explain import group_waiting_text
from metrics.formulas import weighted_mean
from metrics.fmt import fmt_int, fmt_pct
from ui.common import (PLACEHOLDER, PLOTLY_CONFIG, goto_objective, lazy_tabs, metric_row, plain, plan_page, plotly,
                       serialised_once, show_table)

OBJECTIVE_COLS = {
    "code": ("Codice", None), "title": ("Obiettivo", None), "weight_pct": ("Peso", "pct"),
    "achievement": ("Raggiungimento", "pct"), "adherence": ("Cronoprogramma", "pct"), "status": ("Stato", None),
    "strategic_codes": ("Obiettivi strategici", "list"), "responsible": ("Responsabile", None),
}
GROUP_COLS = {
    "kind": ("Livello", None), "area": ("Area", None), "code": ("Codice", None), "name": ("Nome", None),
    "n": ("Obiettivi", "int"), "objectives": ("Codici obiettivi", "list"), "achievement": ("Raggiungimento", "pct"),
    "band": ("Fascia", None),
}
VIEWS = ["Flussi", "Raggiera", "Mappa ad albero"]


NO_DATA = ("Il piano non contiene obiettivi: non c'è nessuna cascata da mostrare.")

def cascade_view(pm) -> dict:
    """Groups, counts and figures of the page, once per PlanMetrics."""
    groups = cascade_groups(pm.objectives, pm.links, pm.strategic, pm.areas, pm.profile)
    linked = pm.objectives["code"].isin(pm.links["objective_code"])
    return {
        "groups": groups, "keys": list(groups["key"]), "labels": dict(zip(groups["key"], groups["label"])),
        "table": groups.assign(n=groups["objectives"].map(len)),
        "linked": int(linked.sum()), "unlinked": int((~linked).sum()),
        "sankey": cascade_sankey(pm.objectives, pm.links, pm.strategic, pm.areas, settings=pm.profile),
        "empty_strategic": [str(c) for c, objs in zip(pm.strategic["code"], pm.strategic["objectives"])
                            if len(objs) == 0],
    }


def tree_figure(pm, kind: str):
    return serialised_once(cascade_tree(pm.objectives, pm.links, pm.strategic, pm.areas, pm.steps, kind,
                                        settings=pm.profile))


def group_detail(pm, key: str) -> tuple:
    """One area or strategic objective and its objectives."""
    groups = pm.derived(cascade_view, pm)["groups"]
    g = groups[groups["key"] == key].iloc[0]
    return g, pm.objectives[pm.objectives["code"].astype(str).isin(g["objectives"])]


def notices(pm) -> None:
    if pm.links.empty:
        st.info("Il piano non collega gli obiettivi ad obiettivi strategici (colonna «Obiettivi strategici» del foglio "
                "Obiettivi vuota o assente): tutti gli obiettivi sono raggruppati sotto «Senza collegamento "
                "strategico».", icon="ℹ️")
    if pm.steps.empty:
        st.info("Il piano non contiene step: gli obiettivi non sono valutabili (grigio) e la gerarchia si ferma agli "
                "obiettivi.", icon="ℹ️")
    elif pm.counts["verifications"] == 0:
        st.info("Questo piano non ha ancora verifiche: gli obiettivi sono «in attesa del primo monitoraggio» (grigio, "
                "non 0%) finché non si carica un foglio con il monitoraggio.", icon="ℹ️")
    st.caption(f"Colore = raggiungimento: verde da {fmt_pct(pm.profile.green_from, 0)}, giallo da "
               f"{fmt_pct(pm.profile.yellow_from, 0)}, rosso sotto, grigio = non valutabile nell'anno (n.v.). Un "
               "obiettivo collegato a più obiettivi strategici compare sotto ciascuno e conta per intero in ognuno "
               "(regola 4).")


def clicked_tree(pm, sel, v: dict, kind: str) -> None:
    """The sunburst or treemap: a click on an objective or a step opens it, on a group selects its detail."""
    st.caption("Dimensione = peso (ripartito tra gli step secondo i loro pesi). Clic su un'area o un obiettivo "
               "strategico per ingrandirlo e vederne il dettaglio sotto; clic su un obiettivo o su uno step per "
               "aprire la scheda dell'obiettivo.")
    event = st.plotly_chart(pm.derived(tree_figure, pm, kind), key=f"cascade_tree_{kind}", on_select="rerun",
                            selection_mode=("points",), config=PLOTLY_CONFIG)
    points = event.selection.points if event and event.selection else []
    clicked = node_of(points[0].get("id")) if points else node_of(None)
    ss = st.session_state
    if clicked["objective"]:
        goto_objective(sel, clicked["objective"])
    elif clicked["key"] in v["keys"] and clicked["key"] != ss.get("_cascade_clicked"):
        ss["cascade_detail"] = clicked["key"]
    ss["_cascade_clicked"] = clicked["key"]


def charts(pm, sel, v: dict) -> None:
    """Sankey, sunburst and treemap, one tab at a time (only the open one runs)."""
    t_flows, t_sun, t_tree = lazy_tabs(VIEWS, key="cascade_view")
    if t_flows.open:
        with t_flows:
            st.caption("Larghezza dei flussi = peso normalizzato degli obiettivi. Per aprire un'area o un obiettivo "
                       "strategico usare il menu «Dettaglio» più sotto, oppure fare clic sulla raggiera.")
            plotly(v["sankey"], "sankey")
            if v["empty_strategic"]:
                st.caption("Obiettivi strategici senza obiettivi collegati (non disegnati): "
                           + ", ".join(plain(c) for c in v["empty_strategic"]) + ".")
    for tab, kind in ((t_sun, "sunburst"), (t_tree, "treemap")):
        if tab.open:
            with tab:
                clicked_tree(pm, sel, v, kind)


def render() -> None:
    sel, pm = plan_page("Cascata strategica", "objectives", NO_DATA, warn=True)
    v = pm.derived(cascade_view, pm)
    metric_row([
        ("Aree strategiche", fmt_int(len(pm.areas)), None),
        ("Obiettivi strategici", fmt_int(len(pm.strategic)), None),
        ("Obiettivi collegati", fmt_int(v["linked"]), "Obiettivi collegati ad almeno un obiettivo strategico"),
        ("Senza collegamento strategico", fmt_int(v["unlinked"]), None),
    ])
    notices(pm)

    st.header("Area → obiettivo strategico → obiettivo → step")
    charts(pm, sel, v)

    st.header("Dettaglio")
    keys = v["keys"]
    if st.session_state.get("cascade_detail") not in keys:
        st.session_state["cascade_detail"] = keys[0]
    key = st.selectbox("Area o obiettivo strategico", keys, key="cascade_detail", placeholder=PLACEHOLDER,
                       format_func=v["labels"].get)
    g, objs = pm.derived(group_detail, pm, key)
    adherence = [] if pm.year_over else [(           # rule 10: before the year end, the schedule beside it
        "Rispetto del cronoprogramma", fmt_pct(weighted_mean(objs["adherence"], objs["weight_eff"]),
                                               empty="nessuna scadenza ancora"),
        "Media del rispetto del cronoprogramma degli obiettivi collegati, pesata (regole 4 e 10)")]
    metric_row([
        ("Raggiungimento", fmt_pct(g["achievement"], empty=group_waiting_text(objs) or "non valutabile"),
         "Media dei raggiungimenti degli obiettivi collegati pesata sui loro pesi (regola 4)"),
        *adherence,
        ("Obiettivi", fmt_int(len(objs)), None),
    ])
    if g["kind"] == "strategico":
        st.caption(f"Area: {g['area']}")
    st.caption("Clic su una riga per aprire l'obiettivo.")
    show_table(objs, OBJECTIVE_COLS, key=f"cascade_objs_{key}", objective_col="code", sel=sel, memo=pm)

    st.header("Raggiungimento per area e per obiettivo strategico")
    show_table(v["table"], GROUP_COLS, key="cascade_groups", memo=pm)
