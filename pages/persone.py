"""Persone: performance individuale (regola 7) e matrice di partecipazione persona × obiettivo."""
import streamlit as st

from charts.people import ASSIGNMENT, GRADE, PARTICIPATION, participation_heatmap, scores_bar
from metrics.fmt import fmt_int, fmt_num
from ui.common import italian_table, metric_row, page_header, plotly, require_selection, show_table

sel = require_selection()
pm = sel.metrics()
page_header("Persone", sel)

staff, people = pm.staff, pm.people.assign(score=pm.people["score"].astype("float64"))
if staff.empty:
    st.info("Questo piano non elenca il personale: il foglio «Personale» del file di monitoraggio è assente o vuoto. "
            "Per la performance individuale aggiungere il foglio (colonne Obiettivo, Nome, Qualifica, "
            "Partecipazione, Valutazione) e ricaricare il file.", icon="ℹ️")
    st.stop()

has_part = bool(staff["participation"].notna().any())
has_grade = bool(staff["grade"].notna().any())
scored = people[people["score"].notna()]
titles = dict(zip(pm.objectives["code"].astype(str), pm.objectives["title"]))
order = [str(c) for c in pm.objectives["code"]]

metric_row([
    ("Persone", fmt_int(len(people)), "Nomi distinti nel foglio «Personale», come registrati"),
    ("Obiettivi con personale", fmt_int(staff["objective_code"].nunique()), f"Su {len(pm.objectives)} obiettivi"),
    ("Persone valutate", fmt_int(len(scored)), "Con almeno una valutazione"),
    ("Punteggio più alto", fmt_num(scored["score"].max()) if len(scored) else "—", "Scala 0–10 (regola 7)"),
])

if not has_part and not has_grade:
    st.info(f"Il foglio «Personale» assegna {len(people)} persone agli obiettivi ma non riporta né la "
            "partecipazione né la valutazione: il punteggio individuale non è calcolabile. La matrice qui sotto "
            "mostra solo chi lavora su quale obiettivo. Per calcolare i punteggi compilare le colonne "
            "«Partecipazione» e «Valutazione» e ricaricare il file.", icon="ℹ️")
elif not has_grade:
    st.info("Il foglio «Personale» non riporta valutazioni: il punteggio individuale non è calcolabile; è mostrata "
            "la partecipazione.", icon="ℹ️")

def scores_figure():
    return scores_bar(people)


table = people.sort_values(["score", "name"], ascending=[False, True], na_position="last")
cols = {"name": ("Nome", None)}
if has_grade:
    cols["score"] = ("Punteggio", "num")
cols.update({"role": ("Qualifica", None), "objectives": ("Obiettivi", "int")})
if has_part:
    cols["participation_total"] = ("Partecipazione complessiva", "pct")
if has_grade:
    st.subheader("Punteggio individuale")
    st.caption("Punteggio = Σ partecipazione × valutazione / Σ partecipazione sugli obiettivi della persona "
               "(regola 7, scala 0–10). Se la partecipazione manca conta come 100%.")
    left, right = st.columns([3, 2])
    with left:
        plotly(pm.derived(scores_figure), "scores")
    with right:
        show_table(table, cols, key="people_scores", memo=pm, height=min(600, 35 * len(table) + 40))
else:
    st.subheader("Persone")
    show_table(table, cols, key="people_list", memo=pm)



def matrix_figure(cell_value: str):
    """The person × objective heatmap for one cell value, built once per PlanMetrics."""
    return participation_heatmap(staff, titles, cell_value, order)


st.subheader("Matrice persona × obiettivo")
if has_part or has_grade:
    options = {k: v for k, v in ((PARTICIPATION, "Partecipazione"), (GRADE, "Valutazione"))
               if (k == PARTICIPATION and has_part) or (k == GRADE and has_grade)}
    value = st.radio("Valore nelle celle", list(options), format_func=options.get, horizontal=True, key="people_value")
else:
    value = ASSIGNMENT
    if len(staff.drop_duplicates(["name", "objective_code"])) == len(people) * staff["objective_code"].nunique():
        st.caption(f"Ogni persona è assegnata a tutti i {staff['objective_code'].nunique()} obiettivi con personale.")
st.caption("Una riga per persona, una colonna per obiettivo (passare il mouse su una cella per il titolo)."
           + (" Celle vuote: persona non assegnata all'obiettivo." if value != ASSIGNMENT else
              " ✓ = persona assegnata all'obiettivo."))
plotly(pm.derived(matrix_figure, value), "matrix")

with st.expander("Elenco completo del personale per obiettivo"):
    show_table(staff.assign(objective=[f"{c} · {titles.get(str(c), '')}" for c in staff["objective_code"]]), {
        "objective": ("Obiettivo", None), "name": ("Nome", None), "role": ("Qualifica", None),
        "participation": ("Partecipazione", "pct"), "grade": ("Valutazione", "num"),
    }, key="people_staff", memo=pm)
