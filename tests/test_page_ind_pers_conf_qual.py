"""Pages Indicatori, Persone, Confronto and Qualità dei dati (AppTest): on the demo data the
numbers shown are the metrics' own; on an empty database and on a plan without verifications
they explain in Italian instead of failing."""
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from loaders import IMPORTED, import_bytes
from metrics import plan_metrics
from metrics.compare import compare
from metrics.fmt import fmt_delta, fmt_num, fmt_pct
from metrics.quality import CHECKS
from tests.apptest import metrics_of, open_app
from tests.conftest import ROOT, plan_id_by_file
from tests.workbooks import BASE, sheets, xlsx

IND, PERS, CONF, QUAL = "pages/indicatori.py", "pages/persone.py", "pages/confronto.py", "pages/qualita.py"
MINE = [IND, PERS, CONF, QUAL]

INDICATORS = [["Obiettivo", "Indicatore", "Baseline", "Target", "Valore", "Area organizzativa"],
              ["A", "Utenti presi in carico", "100", "≥ 120", "132", "Minori"],
              ["A", "Tempo medio di attesa", "40", "≤ 30", "36", "Minori"],
              ["B", "Copertura formazione", "57%", "60%", "", "Anziani"]]
STAFF = [["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione"],
         ["A", "Persona Uno", "D1", "30%", 9],
         ["B", "Persona Uno", "D1", "20%", 10],
         ["A", "Persona Due", "C3", "50%", 8]]






def texts(at) -> str:
    return " ".join(e.value for e in [*at.info, *at.warning, *at.success, *at.caption, *at.markdown])


@pytest.fixture
def small_db(db):
    res = import_bytes(db, xlsx(sheets(Indicatori=INDICATORS, Personale=STAFF)), "piccolo.xlsx")
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    return db, res


# ----------------------------------------------------------------------------- empty DB, no verifications
@pytest.mark.parametrize("page", MINE)
def test_pages_on_an_empty_database(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "vuoto.duckdb", page)
    assert "non contiene ancora alcun piano" in texts(at)


def test_pages_on_a_plan_without_verifications(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    pm = plan_metrics(demo_db, pid)
    assert pm.counts["verifications"] == 0
    assert "non ha indicatori" in texts(open_app(monkeypatch, demo_db.path, IND, piano=pid))
    assert "non elenca il personale" in texts(open_app(monkeypatch, demo_db.path, PERS, piano=pid))
    assert "almeno due date di monitoraggio" in texts(open_app(monkeypatch, demo_db.path, CONF, piano=pid))
    at = open_app(monkeypatch, demo_db.path, QUAL, piano=pid)
    assert metrics_of(at)["Con segnalazioni"] == str(len(pm.quality))
    assert "overdue_without_verification" in {q["rule"] for q in pm.quality}
    assert any(e.label.startswith("⚠️ " + CHECKS["overdue_without_verification"]) for e in at.expander)


# ----------------------------------------------------------------------------- indicatori
def test_indicatori_without_values_says_so_and_still_lists_targets(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "003_")
    ind = plan_metrics(demo_db, pid).indicators
    at = open_app(monkeypatch, demo_db.path, IND, piano=pid)
    m = metrics_of(at)
    assert m["Indicatori"] == str(len(ind)) == "60"
    assert m["Valutabili"] == str(int(ind["achievement"].notna().sum())) == "0"
    assert m["Non valutabili"] == "60"
    assert any(f"Nessuno dei {len(ind)} indicatori" in w.value for w in at.warning)
    assert any("valore rilevato" in i.value for i in at.info)
    tables = [t.value for t in at.dataframe]
    by_objective = next(t for t in tables if "Target" in t.columns and "Obiettivo" in t.columns and len(t) == 60)
    assert set(by_objective["Target"]) >= set(ind["target_raw"].dropna())
    assert by_objective["Obiettivo"].iloc[0] == str(ind.iloc[0]["objective_code"])
    assert not any(t.columns[0] == "Area organizzativa" for t in tables)   # lazy tab: not computed until opened
    at.session_state["ind_group"] = "Per area organizzativa"
    at.run()
    assert not at.exception
    tables = [t.value for t in at.dataframe]
    by_area = next(t for t in tables if "Area organizzativa" in t.columns and t.columns[0] == "Area organizzativa")
    assert len(by_area) == 60 and set(by_area["Area organizzativa"]) == set(ind["org_area"].fillna("(non indicata)"))


def test_indicatori_with_values_shows_bullets_and_achievement(monkeypatch, small_db):
    db, res = small_db
    ind = plan_metrics(db, res.plan_id).indicators
    at = open_app(monkeypatch, db.path, IND, piano=res.plan_id)
    m = metrics_of(at)
    assert m["Valutabili"] == "2" and m["Target raggiunti"] == "1" and m["Non valutabili"] == "1"
    assert [c.key for c in at.get("plotly_chart")] == ["bullets"]      # the first tab; the others are lazy
    assert not at.dataframe
    at.session_state["ind_group"] = "Per obiettivo"
    at.run()
    assert not at.exception
    table = next(t.value for t in at.dataframe if "Raggiungimento" in t.value.columns)
    expected = ind.set_index("name")["achievement"]
    shown = table.set_index("Indicatore")["Raggiungimento"]
    assert shown["Tempo medio di attesa"] == fmt_pct(expected["Tempo medio di attesa"]) == "83,3%"
    assert shown["Copertura formazione"] == "—"


# ----------------------------------------------------------------------------- persone
def test_persone_scores_are_rule_7(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "004_")
    people = plan_metrics(demo_db, pid).people
    at = open_app(monkeypatch, demo_db.path, PERS, piano=pid)
    m = metrics_of(at)
    assert m["Persone"] == "14" == str(len(people))
    assert m["Persone valutate"] == "14"
    assert m["Punteggio più alto"] == fmt_num(people["score"].max())
    table = next(t.value for t in at.dataframe if "Punteggio" in t.value.columns)
    shown = table.set_index("Nome")["Punteggio"]
    for r in people.itertuples():
        assert shown[r.name] == fmt_num(r.score)
    assert at.radio(key="people_value").options == ["Partecipazione", "Valutazione"]


def test_persone_without_participation_and_grades(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, PERS, piano=pid)
    m = metrics_of(at)
    assert m["Persone"] == "40" and m["Persone valutate"] == "0"
    assert any("né la partecipazione né la valutazione" in i.value for i in at.info)
    names = next(t.value for t in at.dataframe if "Nome" in t.value.columns)["Nome"]
    assert all(n.startswith("Dipendente ") for n in names)   # only the (pseudonymised) names as stored


def test_persone_grade_view(monkeypatch, small_db):
    db, res = small_db
    at = open_app(monkeypatch, db.path, PERS, piano=res.plan_id)
    assert metrics_of(at)["Punteggio più alto"] == fmt_num((30 * 9 + 20 * 10) / 50)
    at.radio(key="people_value").set_value("grade").run()
    assert not at.exception


# ----------------------------------------------------------------------------- confronto
def test_confronto_two_dates_of_cissa(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, CONF, piano=pid, anno=2023, data="2023-12-31")
    before = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 8, 31))
    after = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 12, 31))
    c = compare(before, after)
    assert at.selectbox(key="cmp_date_before").value == dt.date(2023, 8, 31)
    metric = {x.label: x for x in at.metric}
    assert metric["Raggiungimento al 31/08/2023"].value == fmt_pct(before.achievement)
    assert metric["Raggiungimento al 31/12/2023"].value == fmt_pct(after.achievement)
    assert metric["Raggiungimento al 31/12/2023"].delta == fmt_delta(c.achievement_delta)
    assert metric["Step completati"].value == str(after.counts["completed"])
    objectives = next(t.value for t in at.dataframe if "Variazione" in t.value.columns and "Codice" in t.value.columns)
    assert list(objectives["Variazione"]) == [fmt_delta(d) for d in c.objectives["delta"]]
    steps = next(t.value for t in at.dataframe if "Step" in t.value.columns and "Stato al 31/08/2023" in t.value.columns)
    assert len(steps) == len(c.status_changes) > 0
    assert any(f"{int(c.status_changes['status_changed'].sum())} step hanno cambiato stato" in x.value for x in at.caption)


def test_confronto_same_date_twice_warns(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, CONF, piano=pid)
    at.selectbox(key="cmp_date_before").set_value(dt.date(2023, 12, 31)).run()
    assert not at.exception
    assert any("due date diverse" in w.value for w in at.warning)


def test_confronto_two_versions(monkeypatch, db):
    v1 = import_bytes(db, xlsx(BASE), "v1.xlsx")
    steps = [r[:] for r in BASE["Step"]]
    steps[3][3] = "31/12/2025"
    v2 = import_bytes(db, xlsx(sheets(Step=steps)), "v2.xlsx")
    assert v1.status == v2.status == IMPORTED
    at = open_app(monkeypatch, db.path, CONF, piano=v1.plan_id)
    assert at.radio(key="cmp_mode").options == ["Due date di monitoraggio", "Due versioni del piano"]
    at.radio(key="cmp_mode").set_value("Due versioni del piano").run()
    assert not at.exception
    assert at.selectbox(key="cmp_version_before").value == v1.import_id
    assert at.selectbox(key="cmp_version_after").value == v2.import_id
    assert any("termini spostati: 1 " in x.value for x in at.caption)
    assert not any("Spostamento" in t.value.columns for t in at.dataframe)   # lazy tab, still closed
    at.session_state["cmp_changes"] = "Termini spostati (rimodulazioni)"
    at.run()
    assert not at.exception
    moved = next(t.value for t in at.dataframe if "Spostamento" in t.value.columns)
    assert list(moved["Step"]) == ["B.1"] and list(moved["Spostamento"]) == ["92 giorni"]
    assert moved.iloc[0, 3] == "30/09/2025"


# ----------------------------------------------------------------------------- qualità
@pytest.mark.parametrize("prefix", ["002_", "003_", "004_"])
def test_qualita_lists_every_check(monkeypatch, demo_db, prefix):
    pid = plan_id_by_file(demo_db, prefix)
    pm = plan_metrics(demo_db, pid)
    at = open_app(monkeypatch, demo_db.path, QUAL, piano=pid)
    m = metrics_of(at)
    assert m["Controlli"] == str(len(CHECKS))
    assert m["Con segnalazioni"] == str(len(pm.quality))
    assert m["Superati"] == str(len(CHECKS) - len(pm.quality))
    summary = next(t.value for t in at.dataframe if "Controllo" in t.value.columns)
    assert list(summary["Controllo"]) == list(CHECKS.values())
    found = {q["title"] for q in pm.quality}
    passed = [s.value for s in at.success if s.value.endswith("**: nessun problema.")]
    assert len(passed) == len(CHECKS) - len(found)
    for q in pm.quality:
        assert any(e.label.startswith(f"⚠️ {q['title']} — {len(q['items'])} ") for e in at.expander)
        assert any(w.value == q["message"] for w in at.warning)
