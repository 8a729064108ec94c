"""metrics.compare: two monitoring dates of one version, two versions of one plan."""
import datetime as dt

import pytest

from loaders import IMPORTED, import_bytes
from metrics import plan_metrics
from metrics.compare import ADDED, REMOVED, compare, count_deltas, objective_deltas
from tests.workbooks import BASE, sheets, xlsx

AUG, DEC = dt.date(2025, 8, 31), dt.date(2025, 12, 31)

# BASE plus a Nuovo termine given for B.1 at the 31/12 verification (a rimodulazione between the dates)
VERIFICATIONS = [["Step", "Data verifica", "Stato", "Raggiungimento", "Data completamento", "Nuovo termine", "Verifica"],
                 ["A.1", "31/08/2025", "Obiettivo realizzato", "", "10/04/2025", "", "Fatto con delibera 1"],
                 ["A.2", "31/08/2025", "In fase di realizzazione", "40%", "", "", "Avviato"],
                 ["B.1", "31/08/2025", "In corso", "", "", "", "In lavorazione"],
                 ["A.2", "31/12/2025", "Obiettivo realizzato", "", "15/07/2025", "", "Concluso"],
                 ["B.1", "31/12/2025", "In corso", "30%", "", "31/03/2026", "Proroga concessa"]]


def _import(db, data, name):
    res = import_bytes(db, xlsx(data), name)
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    return res


@pytest.fixture
def two_dates(db):
    res = _import(db, sheets(Verifiche=VERIFICATIONS), "date.xlsx")
    return plan_metrics(db, res.plan_id, as_of=AUG), plan_metrics(db, res.plan_id, as_of=DEC)


def test_two_dates_objective_and_plan_deltas(two_dates):
    before, after = two_dates
    c = compare(before, after)
    obj = c.objectives.set_index("code")
    # A: 50% × 100 + 50% × 40 = 70 → both steps achieved = 100; B: 0 → 30
    assert obj.at["A", "achievement_before"] == pytest.approx(70.0)
    assert obj.at["A", "achievement_after"] == pytest.approx(100.0)
    assert obj.at["A", "delta"] == pytest.approx(30.0)
    assert obj.at["B", "delta"] == pytest.approx(30.0)
    assert list(c.objectives["code"]) == ["A", "B"]
    assert c.objectives["change"].isna().all()
    # plan: weights 60/40 → 42 → 72
    assert c.achievement_before == pytest.approx(before.achievement) == pytest.approx(42.0)
    assert c.achievement_delta == pytest.approx(after.achievement - before.achievement) == pytest.approx(30.0)
    assert c.steps_added.empty and c.steps_removed.empty


def test_two_dates_status_changes(two_dates):
    c = compare(*two_dates)
    sc = c.status_changes.set_index("code")
    assert set(sc.index) == {"A.2", "B.1"}
    assert sc.at["A.2", "status_before"] == "in corso" and sc.at["A.2", "status_after"] == "raggiunto"
    assert bool(sc.at["A.2", "status_changed"]) and sc.at["A.2", "delta"] == pytest.approx(60.0)
    # B.1 stays «in corso» but its achievement moves 0 → 30: listed, not as a status change
    assert not bool(sc.at["B.1", "status_changed"]) and sc.at["B.1", "achievement_after"] == pytest.approx(30.0)


def test_two_dates_new_deadline_is_a_rimodulazione(two_dates):
    dc = compare(*two_dates).deadline_changes
    assert list(dc["code"]) == ["B.1"]
    r = dc.iloc[0]
    assert r["deadline_before"] == r["deadline_after"] == dt.date(2025, 9, 30)
    assert r["revised_deadline_before"] is None and r["revised_deadline_after"] == dt.date(2026, 3, 31)
    assert r["shift_days"] == (dt.date(2026, 3, 31) - dt.date(2025, 9, 30)).days


def test_same_metrics_compare_to_nothing(two_dates):
    _, after = two_dates
    c = compare(after, after)
    assert c.achievement_delta == 0
    assert (c.objectives["delta"] == 0).all()
    assert c.status_changes.empty and c.deadline_changes.empty
    assert (count_deltas(after, after)["delta"] == 0).all()


def test_two_versions_with_a_moved_deadline_and_added_objective(db):
    v1 = _import(db, BASE, "v1.xlsx")
    steps = [r[:] for r in BASE["Step"]]
    steps[3][3] = "31/12/2025"                                   # B.1: «Entro settembre 2025» → 31/12/2025
    steps.append(["C", "C.1", "Step nuovo", "30/11/2025", "100%"])
    objectives = BASE["Obiettivi"] + [["C", "Obiettivo C", "performance", "0%", ""]]
    v2 = _import(db, sheets(Step=steps, Obiettivi=objectives), "v2.xlsx")
    assert v2.plan_id == v1.plan_id and v2.version == 2
    before = plan_metrics(db, v1.plan_id, import_id=v1.import_id, year=2025)
    after = plan_metrics(db, v1.plan_id, import_id=v2.import_id, year=2025)
    c = compare(before, after)

    dc = c.deadline_changes
    assert list(dc["code"]) == ["B.1"]
    assert dc.iloc[0]["deadline_before"] == dt.date(2025, 9, 30) and dc.iloc[0]["deadline_after"] == dt.date(2025, 12, 31)
    assert dc.iloc[0]["shift_days"] == 92
    assert list(c.steps_added["code"]) == ["C.1"] and c.steps_removed.empty
    obj = c.objectives.set_index("code")
    assert obj.at["C", "change"] == ADDED and obj.at["C", "achievement_before"] != obj.at["C", "achievement_before"]
    assert obj.at["A", "delta"] == pytest.approx(0.0)
    assert c.status_changes.empty

    back = compare(after, before)                                 # the other way round: removed
    assert list(back.steps_removed["code"]) == ["C.1"]
    assert objective_deltas(after, before).set_index("code").at["C", "change"] == REMOVED
    assert back.deadline_changes.iloc[0]["shift_days"] == -92
