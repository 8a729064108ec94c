"""Metric rules 1–7, on synthetic frames and on the seeds."""
import datetime as dt

import pandas as pd
import pytest

from loaders import import_bytes
from metrics import formulas as F
from metrics import plan_metrics
from metrics.settings import Settings
from tests.conftest import plan_id_by_file
from tests.workbooks import BASE, sheets, xlsx

# "peso step/2025" column printed in seed 000 (CSSM PIAO 2025-2027), reproduced by rule 1
SEED_000_YEAR_WEIGHTS = {
    "B.1": 10.0, "B.2": 25.0, "B.3": 65.0,
    "C.1": 21.43, "C.2": 35.71, "C.3": 42.86, "C.4": 0.0,
    "D.1": 26.67, "D.2": 53.33, "D.3": 20.0, "D.4": 0.0,
    "E.1": 40.0, "E.2": 60.0, "E.3": 0.0, "E.4": 0.0,
    "F.1": 100.0, "F.2": 0.0,
    "G.1": 6.25, "G.2": 12.5, "G.3": 12.5, "G.4": 18.75, "G.5": 25.0, "G.6": 25.0, "G.7": 0.0, "G.8": 0.0, "G.9": 0.0,
    "1.1.1": 10.0, "1.2.1": 5.0, "1.3.1": 10.0, "1.4.1": 5.0, "1.3.2": 10.0, "1.3.3": 5.0, "1.5.1": 5.0,
    "1.6.1": 5.0, "1.7.1": 20.0, "1.8.1": 25.0,
    "2.4.1": 20.0, "2.1": 10.0, "2.2": 15.0, "2.3": 15.0, "2.4.2": 20.0, "2.4.3": 20.0,
}


@pytest.fixture(scope="module")
def seed000(demo_db):
    return plan_metrics(demo_db, plan_id_by_file(demo_db, "000_"), year=2025)


def test_seed_000_year_weights_reproduce_the_printed_column(seed000):
    yw = dict(zip(seed000.steps["code"], seed000.steps["year_weight"]))
    for code, printed in SEED_000_YEAR_WEIGHTS.items():
        assert yw[code] == pytest.approx(printed, abs=0.005), code


def test_seed_000_objective_a_is_a_quality_finding_not_a_bent_formula(seed000):
    yw = dict(zip(seed000.steps["code"], seed000.steps["year_weight"]))
    assert yw["A.1"] == pytest.approx(20 / 70 * 100)       # rule 1, not the printed 20%
    q = {c["rule"]: c for c in seed000.quality}
    assert q["year_weights_mismatch"]["items"] == ["A"]
    assert "70,0%" in q["year_weights_mismatch"]["message"]
    assert "A" in q["weights_sum"]["items"]


def test_seed_000_cascade_is_many_to_many(seed000):
    links = seed000.links
    assert set(links.loc[links.objective_code == "A", "strategic_code"]) == {"4A", "5A"}
    assert len(seed000.strategic) == 10 and len(seed000.areas) == 6


def test_year_weights_skip_neutralised_and_other_years():
    w = pd.Series([20.0, 40.0, 15.0, 25.0])
    obj = pd.Series(["D"] * 4)
    due = pd.Series([True, True, True, False])
    neut = pd.Series([False, False, False, False])
    assert F.year_weights(w, obj, due, neut).round(2).tolist() == [26.67, 53.33, 20.0, 0.0]
    neut = pd.Series([False, True, False, False])
    assert F.year_weights(w, obj, due, neut).round(2).tolist() == [57.14, 0.0, 42.86, 0.0]


def test_objective_achievement_rules():
    yw = pd.Series([50.0, 50.0])
    ach = pd.Series([100.0, 40.0])
    r = F.objective_achievement(yw, ach, pd.Series([True, True]), pd.Series([False, False]))
    assert (r.achievement, r.neutralized, r.evaluable) == (70.0, False, True)
    r = F.objective_achievement(yw, ach, pd.Series([True, True]), pd.Series([True, True]))
    assert (r.achievement, r.neutralized) == (None, True)
    r = F.objective_achievement(yw, ach, pd.Series([False, False]), pd.Series([False, False]))
    assert (r.achievement, r.evaluable) == (None, False)


def test_step_achievement_defaults_by_status():
    status = pd.Series(["raggiunto", "non raggiunto", "in corso", "rinviato", "parziale", "raggiunto", "non verificato"])
    given = pd.Series([None, None, None, None, None, 80.0, None], dtype="float64")
    assert F.step_achievement(status, given).tolist() == [100.0, 0.0, 0.0, 0.0, 0.0, 80.0, 0.0]


def test_weighted_mean_ignores_non_evaluable():
    assert F.weighted_mean(pd.Series([100.0, None, 50.0]), pd.Series([1.0, 5.0, 1.0])) == 75.0
    assert F.weighted_mean(pd.Series([None]), pd.Series([1.0])) is None


def test_cascade_counts_objective_fully_in_each_strategic_and_once_per_area():
    objectives = pd.DataFrame({"code": ["A", "B"], "achievement": [100.0, 0.0], "weight_eff": [60.0, 40.0]})
    links = pd.DataFrame({"objective_code": ["A", "A", "B"], "strategic_code": ["1A", "2A", "2A"]})
    strategic = pd.DataFrame({"code": ["1A", "2A", "2B"], "name": ["x", "y", "z"], "area_code": ["1", "2", "2"]})
    areas = pd.DataFrame({"code": ["1", "2"], "name": ["M", "N"]})
    s, a = F.cascade(objectives, links, strategic, areas)
    sa = s.set_index("code")["achievement"]
    assert sa["1A"] == 100.0 and sa["2A"] == 60.0 and pd.isna(sa["2B"])
    assert a.set_index("code")["achievement"].tolist() == [100.0, 60.0]


def _slip_frame(**cols):
    base = dict(deadline=[dt.date(2025, 3, 31)], revised_deadline=[None], completed=[False], completed_on=[None],
                continuous=[False], neutralized=[False])
    base.update(cols)
    return pd.DataFrame(base)


def test_slippage_completed_late_on_time_overdue_unknown():
    as_of = dt.date(2025, 8, 31)
    late = F.slippage(_slip_frame(completed=[True], completed_on=[dt.date(2025, 4, 10)]), as_of)
    assert late["slip_days"].iloc[0] == 10 and late["timing"].iloc[0] == "in ritardo"
    ok = F.slippage(_slip_frame(completed=[True], completed_on=[dt.date(2025, 3, 1)]), as_of)
    assert ok["slip_days"].iloc[0] == -30 and ok["timing"].iloc[0] == "in tempo"
    over = F.slippage(_slip_frame(revised_deadline=[dt.date(2025, 6, 30)]), as_of)
    assert over["overdue_days"].iloc[0] == 153 and over["overdue_revised_days"].iloc[0] == 62
    assert over["timing"].iloc[0] == "scaduto"
    unknown = F.slippage(_slip_frame(completed=[True]), as_of)
    assert pd.isna(unknown["slip_days"].iloc[0]) and unknown["timing"].iloc[0] == "n.d."
    cont = F.slippage(_slip_frame(deadline=[None], continuous=[True]), as_of)
    assert cont["timing"].iloc[0] == "n.d."


def test_slippage_tolerance_is_a_parameter():
    f = _slip_frame(completed=[True], completed_on=[dt.date(2025, 4, 3)])
    assert F.slippage(f, dt.date(2025, 8, 31))["timing"].iloc[0] == "in ritardo"
    assert F.slippage(f, dt.date(2025, 8, 31), Settings(slip_tolerance_days=5))["timing"].iloc[0] == "in tempo"


@pytest.mark.parametrize("target, value, baseline, direction, expected", [
    ("≥ 80%", "60%", None, None, 75.0),
    (">= 10", "12", None, None, 100.0),
    ("≤ 30", "20", None, None, 100.0),
    ("≤ 30", "60", None, None, 50.0),
    ("≤ 0", "0", None, None, 100.0),
    ("≤ 0", "2", None, None, 0.0),
    ("+2", "5", "3", None, 100.0),
    ("+3", "4", "2", None, 80.0),
    ("mantenimento", "90", "100", None, 90.0),
    ("mantenimento", "110", "100", "decrescente", pytest.approx(100 / 110 * 100)),
    ("90%", "45%", None, None, 50.0),
    ("10", "20", None, "decrescente", 50.0),
    ("Entro il 31/07/2021", "15/07/2021", None, None, 100.0),
    ("Entro il 31/07/2021", "15/08/2021", None, None, 0.0),
    ("31/12/2021", "30/11/2021", None, None, 100.0),      # seed 003: bare date target
])
def test_indicator_achievement(target, value, baseline, direction, expected):
    r = F.indicator_achievement(target, value, baseline, direction)
    assert r.reason is None and r.achievement == expected


@pytest.mark.parametrize("target, value, reason", [
    ("Con il Bilancio civilistico", "fatto", "non interpretabile"),   # seed 003
    ("≥ 80%", None, "valore non rilevato"),
    ("+2", "5", "senza baseline"),
    (None, "5", "target non indicato"),
])
def test_indicator_not_evaluable_has_a_reason(target, value, reason):
    r = F.indicator_achievement(target, value, None, None)
    assert r.achievement is None and reason in r.reason


def test_individual_scores():
    staff = pd.DataFrame({"name": ["P1", "P1", "P2"], "role": ["D1", "D1", "C1"],
                          "participation": [50.0, 150.0, None], "grade": [10.0, 6.0, 8.0]})
    s = F.individual_scores(staff).set_index("name")
    assert s.loc["P1", "score"] == pytest.approx((50 * 10 + 150 * 6) / 200)
    assert s.loc["P2", "score"] == 8.0


def test_band_thresholds_are_parameters():
    assert [F.band(x) for x in (95, 90, 75, 59.9, None)] == ["verde", "verde", "giallo", "rosso", "n.d."]
    assert F.band(85, Settings(green_from=80)) == "verde"


def test_plan_metrics_end_to_end(db):
    res = import_bytes(db, xlsx(), "p.xlsx")
    pm = plan_metrics(db, res.plan_id)
    assert pm.ctx.as_of == dt.date(2025, 12, 31) and pm.ctx.year == 2025
    o = pm.objectives.set_index("code")
    assert o.loc["A", "achievement"] == 100.0          # A.1 realizzato, A.2 realizzato at 31/12
    assert o.loc["B", "achievement"] == 0.0            # in corso
    assert pm.achievement == pytest.approx(60.0)
    s = pm.steps.set_index("code")
    assert s.loc["A.1", "slip_days"] == 10 and s.loc["A.2", "slip_days"] == 15
    assert s.loc["B.1", "overdue_days"] == 92           # Entro settembre 2025 → 30/09 ; as-of 31/12
    # at the intermediate date A.2 is at 40%
    mid = plan_metrics(db, res.plan_id, as_of=dt.date(2025, 8, 31))
    assert mid.objectives.set_index("code").loc["A", "achievement"] == pytest.approx(70.0)
    assert mid.achievement == pytest.approx(0.6 * 70.0)
    # points at risk add up to what the plan misses
    assert mid.steps["points_at_risk"].sum() == pytest.approx(100 - mid.achievement)


def test_neutralised_objective_leaves_the_plan(db):
    ver = BASE["Verifiche"] + [["B.1", "31/12/2025", "Non realizzabile per cause esterne", "", "", "Bando revocato"]]
    res = import_bytes(db, xlsx(sheets(Verifiche=ver)), "n.xlsx")
    pm = plan_metrics(db, res.plan_id)
    o = pm.objectives.set_index("code")
    assert bool(o.loc["B", "neutralized"]) and o.loc["B", "status"] == "neutralizzato"
    assert pm.achievement == 100.0


def test_cache_is_never_stale_after_import(tmp_path):
    from store import get_db
    db = get_db(tmp_path / "c.duckdb")
    first = import_bytes(db, xlsx(), "p.xlsx")
    before = plan_metrics(db, first.plan_id)
    ver = BASE["Verifiche"] + [["B.1", "31/12/2025", "Obiettivo realizzato", "", "", "Fatto"]]
    import_bytes(db, xlsx(sheets(Verifiche=ver)), "p2.xlsx")
    after = plan_metrics(db, first.plan_id)
    assert before.achievement == pytest.approx(60.0) and after.achievement == 100.0
    db.close()


_CALLS: list[str] = []


def count_steps(steps, label):
    _CALLS.append(label)
    return len(steps)


def test_derived_results_are_computed_once_per_plan_metrics(db):
    res = import_bytes(db, xlsx(), "p.xlsx")
    pm = plan_metrics(db, res.plan_id)
    _CALLS.clear()
    assert pm.derived(count_steps, pm.steps, "a") == 3
    assert pm.derived(count_steps, pm.steps, "a") == 3
    assert pm.derived(count_steps, pm.steps, "b") == 3
    assert pm.derived(count_steps, pm.steps, "b", unkeyed="ignored") == 3   # inputs are not in the key
    assert _CALLS == ["a", "b"]
    with pytest.raises(TypeError):
        pm.derived(lambda steps: len(steps), pm.steps)      # what a lambda captures is not in the key

    def nested(steps):
        return len(steps)
    with pytest.raises(TypeError):
        pm.derived(nested, pm.steps)
    with pytest.raises(TypeError):
        pm.derived(count_steps, pm.steps.copy(), "c")     # a frame of the caller cannot be a cache key
