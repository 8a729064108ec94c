"""Pages «Cascata strategica» and «Scadenze e ritardi» in AppTest: the numbers shown are the
metrics' numbers, and empty / unmonitored plans give Italian messages instead of tracebacks."""
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from metrics import deadlines as D
from metrics import plan_metrics
from metrics.fmt import fmt_days, fmt_int, fmt_pct
from tests.apptest import metrics_of, open_app
from tests.conftest import plan_id_by_file

CASCATA, SCADENZE = "pages/cascata.py", "pages/scadenze.py"






def texts(at) -> str:
    return " ".join(e.value for e in list(at.info) + list(at.caption) + list(at.warning) + list(at.markdown))


def df_by_key(at, key):
    """A selectable table (a widget: its id carries the key)."""
    return next(d.value for d in at.dataframe if d.proto.id and key in d.proto.id)


def has_df(at, key) -> bool:
    return any(d.proto.id and key in d.proto.id for d in at.dataframe)


def df_by_column(at, column):
    """A plain table, found by its first column."""
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [column])


# ----------------------------------------------------------------------------- cascata
def test_cascata_seed_000_shows_the_cascade_of_the_metrics(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    pm = plan_metrics(demo_db, pid)
    at = open_app(monkeypatch, demo_db.path, CASCATA, piano=pid)
    m = metrics_of(at)
    assert m["Aree strategiche"] == "6" and m["Obiettivi strategici"] == "10"
    assert m["Obiettivi collegati"] == "10" and m["Senza collegamento strategico"] == "0"
    assert "non ha ancora verifiche" in texts(at)  # plan without verifications
    assert [c.key for c in at.get("plotly_chart")] == ["sankey"]      # lazy tabs: only the open chart
    at.session_state["cascade_view"] = "Raggiera"
    at.run()
    assert not at.exception
    assert [c.key for c in at.get("plotly_chart")] == ["cascade_tree_sunburst"]
    table = at.dataframe[-1].value
    shown = dict(zip(table["Codice"], table["Raggiungimento"]))
    for r in pm.strategic.itertuples():
        assert shown[r.code] == fmt_pct(r.achievement)
    # drill-down on strategic objective 5A: its eight objectives and its achievement (rule 4)
    at.selectbox(key="cascade_detail").set_value("a=5|s=5A").run()
    assert not at.exception
    s5a = pm.strategic.set_index("code").loc["5A"]
    # spec revision 2: never verified → no value («in attesa del primo monitoraggio»), not 0%
    assert s5a["achievement"] is None or s5a["achievement"] != s5a["achievement"]
    assert metrics_of(at)["Raggiungimento"] == "in attesa del primo monitoraggio"
    assert sorted(df_by_key(at, "cascade_objs")["Codice"]) == sorted(s5a["objectives"])


def test_cascata_with_verifications_and_no_links(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    pm = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 12, 31))
    at = open_app(monkeypatch, demo_db.path, CASCATA, piano=pid, anno=2023, data="2023-12-31")
    m = metrics_of(at)
    assert m["Senza collegamento strategico"] == fmt_int(len(pm.objectives))
    assert "Senza collegamento strategico" in texts(at)
    # the only group is «Senza collegamento strategico»: its achievement is the plan's (same objectives, rule 3)
    assert m["Raggiungimento"] == fmt_pct(pm.achievement)


def test_cascata_seed_003_objectives_non_valutabili(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "003_")
    at = open_app(monkeypatch, demo_db.path, CASCATA, piano=pid)
    m = metrics_of(at)
    assert m["Aree strategiche"] == "5" and m["Obiettivi strategici"] == "12" and m["Obiettivi collegati"] == "18"
    assert m["Raggiungimento"] == "valori non ancora rilevati"   # spec revision 2 (was «non valutabile»)
    assert "non contiene step" in texts(at) and "3.2, 5.1" in texts(at)


# ----------------------------------------------------------------------------- scadenze
def test_scadenze_shows_the_slippage_of_the_metrics(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    pm = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 12, 31))
    s = pm.slippage
    at = open_app(monkeypatch, demo_db.path, SCADENZE, piano=pid, anno=2023, data="2023-12-31")
    m = metrics_of(at)
    # spec revision 2: the verification history bounds the steps completed without a date (was 4 judged, 75%
    # on time): 8 on time (5 of them on bounds), 2 late on bounds (4.3: 31–153 days, 4.5: 0–122), 1 overdue
    assert m["Step valutati"] == fmt_int(s["judged"]) == "11"
    assert s["on_time_on_bounds"] == 5 and s["late_on_bounds"] == 2 and s["to_verify"] == 12
    assert m["In tempo"] == fmt_pct(s["on_time_pct"]) == "72,7%"
    assert m["In ritardo"] == fmt_pct(s["late_pct"]) == "18,2%"
    assert m["Scaduti"] == fmt_pct(s["overdue_pct"]) == "9,1%"
    assert m["Ritardo mediano"] == fmt_days(s["median_delay"]) == "31 giorni"   # 0, 31 (lower bounds), 92
    assert m["Ritardo massimo"] == fmt_days(s["max_delay"])
    overdue = df_by_key(at, "dl_overdue")
    assert overdue["Step"].tolist() == list(D.overdue_steps(D.scope(pm.steps))["code"])
    assert has_df(at, "dl_overdue") and not has_df(at, "dl_continuous")   # lazy tabs: only the open one runs
    at.session_state["dl_list"] = "Attività continuative"
    at.session_state["dl_rollup"] = "Per mese di scadenza"
    at.run()
    assert not at.exception
    cont = df_by_key(at, "dl_continuous")
    assert len(cont) == int(pm.counts["continuous"]) == 7
    assert not has_df(at, "dl_overdue")
    month = df_by_column(at, "Mese")
    assert month["Step"].map(int).sum() == len(D.dated_steps(D.scope(pm.steps)))


def test_scadenze_roll_up_tab_from_the_url(monkeypatch, demo_db):
    """A bookmarked tab (``?dl_rollup=Per responsabile``) opens on that tab."""
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, SCADENZE, piano=pid, dl_rollup="Per responsabile")
    resp = df_by_column(at, "Responsabile")
    assert len(resp) and resp["Step"].map(int).sum() >= 1
    assert at.session_state["dl_rollup"] == "Per responsabile"


def test_scadenze_plan_without_verifications_and_window(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    pm = plan_metrics(demo_db, pid)
    at = open_app(monkeypatch, demo_db.path, SCADENZE, piano=pid)
    m = metrics_of(at)
    assert m["Scaduti"] == "100,0%" and m["Ritardo massimo"] == fmt_days(pm.slippage["max_delay"]) == "275 giorni"
    assert "non ha ancora verifiche" in texts(at)
    assert len(df_by_key(at, "dl_overdue")) == pm.counts["overdue"] == 13
    at.session_state["dl_list"] = "In scadenza"
    at.run()
    assert "Nessuno step da completare con termine nei 30 giorni successivi al 31/12/2025" in texts(at)
    at.radio(key="dl_window").set_value(60).run()
    assert not at.exception
    soon = df_by_key(at, "dl_soon")
    assert soon[["Obiettivo", "Step", "Termine", "Giorni mancanti"]].values.tolist() == [["G", "G.7", "31/01/2026", "31"]]
    # the roll-up tabs are lazy: only the open one (the distribution of delays, the first) runs
    assert any(c.key == "dl_hist" for c in at.get("plotly_chart"))
    assert not any(list(d.value.columns)[:1] in (["Mese"], ["Area"], ["Responsabile"]) for d in at.dataframe)
    at.session_state["dl_rollup"] = "Per area strategica"
    at.run()
    assert not at.exception
    area = df_by_column(at, "Area")
    assert area["Area"].tolist()[0] == "1 · Minori e famiglie" and area["Scaduti"].map(int).sum() >= 13
    assert not any(list(d.value.columns)[:1] == ["Mese"] for d in at.dataframe)
    at.toggle(key="dl_all_years").set_value(True).run()
    assert not at.exception
    assert metrics_of(at)["Step valutati"] == "13"  # the 2026 steps are not due yet at 31/12/2025


@pytest.mark.parametrize("page", [CASCATA, SCADENZE])
def test_pages_on_an_empty_database(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "vuoto.duckdb", page)
    assert "non contiene ancora alcun piano" in texts(at)


def test_scadenze_on_a_plan_without_steps(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db.path, SCADENZE, piano=plan_id_by_file(demo_db, "003_"))
    assert "non contiene step" in texts(at)
