"""Cascata strategica and Scadenze e ritardi: pure chart builders and the deadline roll-ups
(numbers checked by hand on small workbooks of tests/workbooks.py)."""
import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.base import TIMING_COLORS
from charts.cascade import cascade_groups, cascade_hierarchy, cascade_paths, cascade_sankey, cascade_tree, node_of
from charts.deadlines import deadlines_timeline, delay_histogram, delay_summary_text, timing_bars
from loaders import import_bytes
from metrics import deadlines as D
from metrics import plan_metrics
from metrics.settings import BAND_COLORS
from tests.conftest import plan_id_by_file
from tests.workbooks import BASE, sheets, xlsx

GREEN, YELLOW, RED, GREY = (BAND_COLORS[b] for b in ("verde", "giallo", "rosso", "n.d."))

# BASE plus responsibles, a continuous step and a Nuovo termine for B.1.
RICH = sheets(
    Obiettivi=[["Codice", "Titolo", "Tipo", "Peso", "Obiettivi strategici", "Responsabile"],
               ["A", "Obiettivo A", "performance", "60%", "1A, 2A", "Area Minori"],
               ["B", "Obiettivo B", "PEG", "40%", "2B", "Area Anziani"]],
    Step=[["Obiettivo", "Codice", "Descrizione", "Termine", "Peso", "Responsabile"],
          ["A", "A.1", "Primo step", "31/03/2025", "50%", "Mario Rossi"],
          ["A", "A.2", "Secondo step", "30/06/2025", "50%", ""],
          ["B", "B.1", "Unico step", "Entro settembre 2025", "100%", "Anna Bianchi"],
          ["B", "B.2", "Sportello", "Al bisogno", "100%", ""]],
    Verifiche=[["Step", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Nuovo termine", "Verifica"],
               ["A.1", "31/08/2025", "Obiettivo realizzato", "", "10/04/2025", "", "Fatto con delibera 1"],
               ["A.2", "31/08/2025", "In fase di realizzazione", "40%", "", "", "Avviato"],
               ["B.1", "31/08/2025", "In corso", "", "", "15/10/2025", "In lavorazione"],
               ["A.2", "31/12/2025", "Obiettivo realizzato", "", "15/07/2025", "", "Concluso"]],
)


def _pm(db, data=None, **kw):
    res = import_bytes(db, xlsx(data), "piano.xlsx", user="test")
    assert res.ok, [str(p) for p in res.problems]
    return plan_metrics(db, res.plan_id, **kw)


@pytest.fixture
def base(db):
    return _pm(db)


@pytest.fixture
def rich(db):
    return _pm(db, RICH)


def frames(pm):
    return pm.objectives, pm.links, pm.strategic, pm.areas


# ----------------------------------------------------------------------------- cascade
def test_sankey_of_the_small_workbook_by_hand(base):
    # A: A.1 and A.2 achieved → 100% (verde); B: in corso → 0% (rosso).
    # Area 1 = A → 100%; area 2 = A, B weighted 60/40 → 60% (giallo, threshold included).
    fig = cascade_sankey(*frames(base))
    s = fig.data[0]
    assert isinstance(s, go.Sankey)
    keys = [c[0] for c in s.node.customdata]
    assert keys == ["a=1", "s=1A", "a=2", "s=2A", "s=2B", "o=A", "o=B"]
    colors = dict(zip(keys, s.node.color))
    assert colors == {"a=1": GREEN, "s=1A": GREEN, "a=2": YELLOW, "s=2A": GREEN, "s=2B": RED, "o=A": GREEN, "o=B": RED}
    flows = {(keys[a], keys[b]): v for a, b, v in zip(s.link.source, s.link.target, s.link.value)}
    assert flows == pytest.approx({("a=1", "s=1A"): 60.0, ("a=2", "s=2A"): 60.0, ("a=2", "s=2B"): 40.0,
                                   ("s=1A", "o=A"): 60.0, ("s=2A", "o=A"): 60.0, ("s=2B", "o=B"): 40.0})
    labels = dict(zip(keys, s.node.label))
    assert labels["a=2"] == "2 · Anziani (60,0%)" and labels["o=B"].endswith("(0,0%)")
    assert fig.layout.separators == ",."
    assert dict(zip(keys, s.node.customdata))["o=A"][3] == "60,0%"


def test_sankey_and_sunburst_of_seed_000_count_every_link(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "000_"))
    s = cascade_sankey(*frames(pm)).data[0]
    # 6 areas + 10 strategic objectives + 10 objectives; 10 area→strategic + 30 objective links
    assert len(s.node.label) == 26 and len(s.link.source) == 40
    assert set(s.node.color) == {GREY}  # no verification yet: waiting, grey (spec revision 2; was a red 0%)
    h = cascade_hierarchy(*frames(pm), pm.steps)
    assert h["id"].is_unique
    assert h["kind"].value_counts().to_dict() == {"step": 146, "obiettivo": 30, "strategico": 10, "area": 6}
    # objective 2 is linked to 8 strategic objectives: it appears under each
    assert (h.loc[h["kind"] == "obiettivo", "objective_code"] == "2").sum() == 8
    tree = cascade_tree(*frames(pm), pm.steps)
    assert isinstance(tree.data[0], go.Sunburst) and len(tree.data[0].ids) == 192
    assert isinstance(cascade_tree(*frames(pm), pm.steps, kind="treemap").data[0], go.Treemap)


def test_seed_003_objectives_without_steps_are_grey_and_strategic_without_area_grouped(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "003_"))
    s = cascade_sankey(*frames(pm)).data[0]
    keys = [c[0] for c in s.node.customdata]
    # 5 areas + «Senza area» (S1–S3), 10 strategic objectives with objectives (3.2 and 5.1 have none), 18 objectives
    assert len(keys) == 34 and "n" in keys and "s=3.2" not in keys
    assert len(s.link.source) == 10 + 36
    assert {c for k, c in zip(keys, s.node.color) if k.startswith("o=")} == {GREY}
    assert all(lab.endswith("(n.v.)") for lab in s.node.label)
    assert {c[2] for c in s.node.customdata} == {"non valutabile"}
    g = cascade_groups(*frames(pm)).set_index("key")
    assert g.loc["n", "label"] == "Senza area" and g.loc["n|s=S1", "objectives"] == ["1", "2", "3", "4", "5", "6", "7"]
    h = cascade_hierarchy(*frames(pm), pm.steps)
    assert "step" not in set(h["kind"]) and (h["value"] > 0).sum() == 36


def test_unlinked_objectives_hang_from_senza_collegamento(db):
    data = sheets(Obiettivi=[["Codice", "Titolo", "Tipo", "Peso", "Obiettivi strategici"],
                             ["A", "Obiettivo A", "performance", "60%", "1A"], ["B", "Obiettivo B", "PEG", "40%", ""]])
    pm = _pm(db, data)
    paths = cascade_paths(*frames(pm))
    assert paths.iloc[-1]["objective_code"] == "B" and pd.isna(paths.iloc[-1]["strategic_code"])
    s = cascade_sankey(*frames(pm)).data[0]
    keys = [c[0] for c in s.node.customdata]
    assert "u" in keys and (keys.index("u"), keys.index("o=B")) in list(zip(s.link.source, s.link.target))
    assert s.node.label[keys.index("u")] == "Senza collegamento strategico (0,0%)"
    h = cascade_hierarchy(*frames(pm), pm.steps).set_index("id")
    assert h.loc["u|o=B", "parent"] == "u" and h.loc["u|o=B|p=B.1", "kind"] == "step"
    # a plan with no link at all: everything under the one group
    g = cascade_groups(*frames(_pm(db, sheets(Obiettivi=[["Codice", "Titolo", "Peso"], ["A", "A", "1"],
                                                           ["B", "B", "1"]])))).set_index("key")
    assert g.loc["u", "objectives"] == ["A", "B"] and g.loc["a=1", "objectives"] == []


def test_node_of_reads_the_clicked_sector():
    assert node_of("a=1|s=1A|o=C|p=C.1") == {"kind": "step", "key": "a=1|s=1A", "objective": "C"}
    assert node_of("a=1|s=1A|o=1.10") == {"kind": "obiettivo", "key": "a=1|s=1A", "objective": "1.10"}
    assert node_of("u|o=3") == {"kind": "obiettivo", "key": "u", "objective": "3"}
    assert node_of("n|s=S1") == {"kind": "strategico", "key": "n|s=S1", "objective": None}
    assert node_of("a=4") == {"kind": "area", "key": "a=4", "objective": None}
    assert node_of(None)["kind"] is None


def test_sunburst_colours_steps_by_band_and_greys_other_years(rich):
    h = cascade_hierarchy(*frames(rich), rich.steps).set_index("id")
    assert h.loc["a=1|s=1A|o=A|p=A.1", "band"] == "verde"
    assert h.loc["a=2|s=2B|o=B|p=B.1", "band"] == "rosso"
    # leaves carry the size: A (60) split 50/50 between its steps, parents 0 (branchvalues=remainder)
    assert h.loc["a=1|s=1A|o=A|p=A.1", "value"] == pytest.approx(30.0)
    assert h.loc["a=1|s=1A|o=A", "value"] == 0.0
    fig = cascade_tree(*frames(rich), rich.steps)
    assert fig.data[0].branchvalues == "remainder" and fig.layout.separators == ",."
    assert GREEN in fig.data[0].marker.colors


# ----------------------------------------------------------------------------- deadlines: roll-ups
def test_slippage_roll_ups_by_hand(rich):
    steps = rich.steps
    # A.1 completed 10/04 vs 31/03 → 10 days late; A.2 15/07 vs 30/06 → 15; B.1 open at 31/12 vs 30/09 → 92 overdue
    assert D.delay_days(steps).dropna().tolist() == [10, 15, 92]
    assert list(D.continuous_steps(steps)["code"]) == ["B.2"]
    assert list(D.dated_steps(steps)["code"]) == ["A.1", "A.2", "B.1"]
    assert list(D.late_steps(steps)["code"]) == ["A.2", "A.1"]
    assert list(D.overdue_steps(steps)["delay"]) == [92]

    m = D.by_month(steps)
    assert m["label"].tolist() == ["mar 2025", "giu 2025", "set 2025"]
    assert m[["steps", "late", "overdue", "on_time"]].values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0]]
    assert m["max_delay"].tolist() == [10.0, 15.0, 92.0]

    a = D.by_area(steps, rich.links, rich.strategic, rich.areas).set_index("area")
    assert list(a.index) == ["1 · Minori", "2 · Anziani"]
    assert a.loc["1 · Minori", ["steps", "late", "overdue"]].tolist() == [2, 2, 0]
    assert a.loc["1 · Minori", "median_delay"] == 12.5 and a.loc["1 · Minori", "max_delay"] == 15.0
    assert a.loc["2 · Anziani", ["steps", "late", "overdue"]].tolist() == [3, 2, 1]  # A.1, A.2 via 2A; B.1 via 2B
    assert a.loc["2 · Anziani", "median_delay"] == 15.0 and a.loc["2 · Anziani", "overdue_pct"] == pytest.approx(100 / 3)

    r = D.by_responsible(steps, rich.objectives)
    assert r["responsible"].tolist() == ["Area Minori", "Area Anziani"]
    assert r[["late", "overdue", "median_delay"]].values.tolist() == [[2, 0, 12.5], [0, 1, 92.0]]
    r = D.by_responsible(steps, rich.objectives, "step").set_index("responsible")
    assert r.loc["Mario Rossi", "late"] == 1 and r.loc["Anna Bianchi", "overdue"] == 1
    assert r.loc["Area Minori", "late"] == 1  # A.2 has no responsible of its own: the objective's
    assert D.has_responsible(steps, rich.objectives, "step") and D.has_responsible(steps, rich.objectives, "objective")


def test_roll_ups_agree_with_the_plan_summary(rich):
    total = D.rollup(D.dated_steps(D.scope(rich.steps)).assign(all="x"), "all").iloc[0]
    for k in ("judged", "on_time", "late", "overdue", "median_delay", "max_delay"):
        assert total[k] == rich.slippage[k], k
    assert rich.slippage["median_delay"] == 15.0 and rich.slippage["max_delay"] == 92.0


def test_steps_due_soon_use_the_new_deadline(db):
    pm = _pm(db, RICH, as_of=dt.date(2025, 8, 31))
    # at 31/08 B.1 is open: deadline 30/09 (30 days) but Nuovo termine 15/10 (45 days)
    assert D.due_soon(pm.steps, pm.ctx.as_of, 30).empty
    soon = D.due_soon(pm.steps, pm.ctx.as_of, 60)
    assert soon[["code", "next_deadline", "days_left"]].values.tolist() == [["B.1", dt.date(2025, 10, 15), 45]]
    base = _pm(db, sheets(Verifiche=BASE["Verifiche"][:4]), as_of=dt.date(2025, 8, 31))
    assert D.due_soon(base.steps, base.ctx.as_of, 30)["days_left"].tolist() == [30]  # 30/09, window included
    # A.2 open at 31/08 past 30/06: overdue, not «in scadenza»
    assert "A.2" in set(D.overdue_steps(base.steps)["code"])


def test_unlinked_and_no_area_groups_in_step_areas(db):
    data = sheets(**{"Obiettivi strategici": [["Codice", "Obiettivo", "Area"], ["1A", "Famiglie", "1"],
                                              ["2A", "Domiciliarità", "2"], ["9Z", "Senza area", ""]],
                     "Obiettivi": [["Codice", "Titolo", "Tipo", "Peso", "Obiettivi strategici"],
                                   ["A", "Obiettivo A", "performance", "60%", "9Z"], ["B", "Obiettivo B", "PEG", "40%", ""]]})
    pm = _pm(db, data)
    a = D.step_areas(pm.steps, pm.links, pm.strategic, pm.areas)
    assert dict(zip(a["code"], a["area"])) == {"A.1": D.NO_AREA, "A.2": D.NO_AREA, "B.1": D.UNLINKED}


# ----------------------------------------------------------------------------- deadlines: charts
def test_timeline_colours_by_timing_and_carries_the_objective(rich):
    fig = deadlines_timeline(rich.steps, rich.ctx.as_of)
    markers = [t for t in fig.data if t.mode == "markers"]
    assert {t.name: t.marker.color for t in markers} == {"In ritardo": TIMING_COLORS["in ritardo"],
                                                         "Scaduto": TIMING_COLORS["scaduto"]}
    assert sum(len(t.x) for t in markers) == 3  # continuous B.2 left out
    assert [c[0] for t in markers for c in t.customdata] == ["A", "A", "B"]
    assert list(fig.layout.yaxis.categoryarray) == ["B · B.1", "A · A.2", "A · A.1"]
    assert fig.layout.separators == ",." and "31/12/2025" in fig.layout.annotations[0].text
    late = next(t for t in markers if t.name == "In ritardo")
    assert {c[4] for c in late.customdata} == {"10 giorni", "15 giorni"}


def test_histogram_and_bars(rich):
    h = delay_histogram(rich.steps)
    assert {t.name: sorted(t.x) for t in h.data} == {"In ritardo": [10.0, 15.0], "Scaduto": [92.0]}
    bars = timing_bars(D.by_month(rich.steps), "label", "Per mese")
    assert {t.name: list(t.y) for t in bars.data} == {"In ritardo": [1, 1, 0], "Scaduto": [0, 0, 1]}
    assert list(bars.data[0].x) == ["mar 2025", "giu 2025", "set 2025"]
    hb = timing_bars(D.by_area(rich.steps, rich.links, rich.strategic, rich.areas), "area", "Per area", horizontal=True)
    assert hb.data[0].orientation == "h" and "12,5 giorni" in {c[4] for c in hb.data[0].customdata}
    assert delay_summary_text(rich.slippage) == ("3 step valutati: 0,0% in tempo, 66,7% in ritardo, 33,3% scaduti; "
                                                "ritardo mediano 15 giorni, massimo 92 giorni.")


def test_empty_inputs_give_italian_placeholders(rich):
    none = rich.steps.iloc[0:0]
    for fig in (deadlines_timeline(none, rich.ctx.as_of), delay_histogram(none),
                timing_bars(D.by_month(none), "label", "x")):
        assert fig.layout.annotations[0].text.startswith("Nessuno")
    assert delay_summary_text({"judged": 0}) == "Nessuno step valutabile per i tempi."
    assert D.by_area(none, rich.links, rich.strategic, rich.areas).empty
