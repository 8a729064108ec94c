"""Persone: performance individuale (regola 7) e matrice di partecipazione persona × obiettivo."""
import streamlit as st

from charts.people import ASSIGNMENT, GRADE, PARTICIPATION, participation_heatmap, scores_bar
from metrics.access import is_redacted, staff_summary
from metrics.fmt import fmt_int, fmt_num
from ui.common import lazy_expander, metric_row, plan_page, plotly, show_table

STAFF_COLS = {"objective": ("Obiettivo", None), "name": ("Nome", None), "role": ("Qualifica", None),
              "participation": ("Partecipazione", "pct"), "grade": ("Valutazione", "num")}
CELL_VALUES = {PARTICIPATION: "Partecipazione", GRADE: "Valutazione"}


NO_DATA = ("Questo piano non elenca il personale: il foglio «Personale» del file di monitoraggio è assente "
            "o vuoto. Per la performance individuale aggiungere il foglio (colonne Obiettivo, Nome, "
            "Qualifica, Partecipazione, Valutazione) e ricaricare il file.")

def people_view(pm) -> dict:
    """Scores, table, columns and figures of the page, once per PlanMetrics."""
    staff, people = pm.staff, pm.people.assign(score=pm.people["score"].astype("float64"))
    has_part, has_grade = bool(staff["participation"].notna().any()), bool(staff["grade"].notna().any())
    titles = dict(zip(pm.objectives["code"].astype(str), pm.objectives["title"]))
    scored = people[people["score"].notna()]
    cols = {"name": ("Nome", None)}
    if has_grade:
        cols["score"] = ("Punteggio", "num")
    cols.update({"role": ("Qualifica", None), "objectives": ("Obiettivi", "int")})
    if has_part:
        cols["participation_total"] = ("Partecipazione complessiva", "pct")
    n_objectives = int(staff["objective_code"].nunique())
    return {
        "people": people, "has_part": has_part, "has_grade": has_grade, "titles": titles,
        "n_people": len(people), "n_objectives": n_objectives, "n_scored": len(scored),
        "top": fmt_num(scored["score"].max()) if len(scored) else "—",
        "table": people.sort_values(["score", "name"], ascending=[False, True], na_position="last"), "cols": cols,
        "scores": scores_bar(people) if has_grade else None,
        "everyone_everywhere": len(staff.drop_duplicates(["name", "objective_code"])) == len(people) * n_objectives,
        "staff": staff.assign(objective=[f"{c} · {titles.get(str(c), '')}" for c in staff["objective_code"]]),
    }


def matrix_figure(pm, cell_value: str):
    """The person × objective heatmap for one cell value, built once per PlanMetrics."""
    titles = pm.derived(people_view, pm)["titles"]
    return participation_heatmap(pm.staff, titles, cell_value, [str(c) for c in pm.objectives["code"]])


def notices(v: dict) -> None:
    if not v["has_part"] and not v["has_grade"]:
        st.info(f"Il foglio «Personale» assegna {v['n_people']} persone agli obiettivi ma non riporta né la "
                "partecipazione né la valutazione: il punteggio individuale non è calcolabile. La matrice qui sotto "
                "mostra solo chi lavora su quale obiettivo. Per calcolare i punteggi compilare le colonne "
                "«Partecipazione» e «Valutazione» e ricaricare il file.", icon="ℹ️")
    elif not v["has_grade"]:
        st.info("Il foglio «Personale» non riporta valutazioni: il punteggio individuale non è calcolabile; è "
                "mostrata la partecipazione.", icon="ℹ️")


def matrix(pm, v: dict) -> None:
    st.header("Matrice persona × obiettivo")
    if v["has_part"] or v["has_grade"]:
        options = [k for k in CELL_VALUES if v["has_part" if k == PARTICIPATION else "has_grade"]]
        value = st.radio("Valore nelle celle", options, format_func=CELL_VALUES.get, horizontal=True,
                         key="people_value")
    else:
        value = ASSIGNMENT
        if v["everyone_everywhere"]:
            st.caption(f"Ogni persona è assegnata a tutti i {v['n_objectives']} obiettivi con personale.")
    st.caption("Una riga per persona, una colonna per obiettivo (passare il mouse su una cella per il titolo)."
               + (" Celle vuote: persona non assegnata all'obiettivo." if value != ASSIGNMENT else
                  " ✓ = persona assegnata all'obiettivo."))
    plotly(pm.derived(matrix_figure, pm, value), "matrix")


def aggregate_view(pm) -> dict:
    """What a role below direttore sees: counts per objective, no names, no grades (the PlanMetrics
    it gets from :mod:`metrics.access` has none)."""
    titles = dict(zip(pm.objectives["code"].astype(str), pm.objectives["title"]))
    table = staff_summary(pm.staff)
    table = table.assign(objective=[f"{c} · {titles.get(str(c), '')}" for c in table["objective_code"]])
    return {"table": table, "n_people": int(pm.counts.get("people", 0)), "n_objectives": len(table),
            "participation": bool(pm.staff["participation"].notna().any())}


def render_aggregates(pm) -> None:
    v = pm.derived(aggregate_view, pm)
    metric_row([
        ("Persone", fmt_int(v["n_people"]), "Persone distinte nel foglio «Personale»"),
        ("Obiettivi con personale", fmt_int(v["n_objectives"]), f"Su {len(pm.objectives)} obiettivi"),
        ("Persone per obiettivo (media)",
         fmt_num(v["table"]["people"].mean()) if len(v["table"]) else "—", None),
    ])
    st.info("Il tuo ruolo mostra solo dati aggregati: nomi e valutazioni individuali sono visibili ai ruoli "
            "direttore e amministratore.", icon=":material/lock:")
    st.subheader("Personale per obiettivo")
    cols = {"objective": ("Obiettivo", None), "people": ("Persone assegnate", "int")}
    if v["participation"]:
        cols["participation_mean"] = ("Partecipazione media", "pct")
    show_table(v["table"], cols, key="people_aggregate", memo=pm)


def render() -> None:
    sel, pm = plan_page("Persone", "staff", NO_DATA)
    if is_redacted(pm):
        render_aggregates(pm)
        return
    v = pm.derived(people_view, pm)
    metric_row([
        ("Persone", fmt_int(v["n_people"]), "Nomi distinti nel foglio «Personale», come registrati"),
        ("Obiettivi con personale", fmt_int(v["n_objectives"]), f"Su {len(pm.objectives)} obiettivi"),
        ("Persone valutate", fmt_int(v["n_scored"]), "Con almeno una valutazione"),
        ("Punteggio più alto", v["top"], "Scala 0–10 (regola 7)"),
    ])
    notices(v)
    table = v["table"]
    if v["has_grade"]:
        st.header("Punteggio individuale")
        st.caption("Punteggio = Σ partecipazione × valutazione / Σ partecipazione sugli obiettivi della persona "
                   "(regola 7, scala 0–10). Se la partecipazione manca conta come 100%.")
        left, right = st.columns([3, 2])
        with left:
            plotly(v["scores"], "scores")
        with right:
            show_table(table, v["cols"], key="people_scores", memo=pm, height=min(600, 35 * len(table) + 40),
                       room=320)   # 2/5 of the page
    else:
        st.header("Persone")
        show_table(table, v["cols"], key="people_list", memo=pm)
    matrix(pm, v)
    staff = lazy_expander("Elenco completo del personale per obiettivo", key="people_staff_open")
    if staff.open:
        with staff:
            show_table(v["staff"], STAFF_COLS, key="people_staff", memo=pm)
