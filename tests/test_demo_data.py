"""The bundled demo workbooks: transcriptions of the four seeds, imported cleanly."""
import datetime as dt

import pytest

from loaders import validate_workbook
from metrics import plan_metrics
from tests.conftest import DEMO, plan_id_by_file

FILES = sorted(DEMO.glob("*.xlsx"))


def test_four_demo_plans():
    assert [f.name[:3] for f in FILES] == ["000", "002", "003", "004"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_demo_workbook_validates_without_errors(path):
    parsed = validate_workbook(path.read_bytes(), path.name)
    assert parsed.ok, [str(p) for p in parsed.problems.errors]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_demo_people_are_pseudonyms(path):
    parsed = validate_workbook(path.read_bytes(), path.name)
    names = set(parsed.tables["staff"]["name"])
    assert all(n.startswith("Dipendente ") for n in names), names


def test_seed_002_statuses_at_the_two_monitoring_dates(demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    v = demo_db.df("SELECT verified_on, status, count(*) AS n FROM verifications v JOIN plans p "
                   "ON p.current_import_id = v.import_id WHERE p.plan_id = ? GROUP BY ALL", [pid])
    by = {(str(r.verified_on)[:10], r.status): r.n for r in v.itertuples()}
    assert set(d for d, _ in by) == {"2023-08-31", "2023-12-31"}
    # the 31/08 monitoring has steps in progress, a partial one and two postponed ("dilazione")
    assert by[("2023-08-31", "in corso")] >= 5
    assert by[("2023-08-31", "parziale")] == 1
    assert by.get(("2023-08-31", "rinviato"), 0) + by.get(("2023-12-31", "rinviato"), 0) == 2
    assert by[("2023-12-31", "raggiunto")] > by[("2023-08-31", "raggiunto")]


def test_seed_002_revised_deadlines_from_two_dates_in_one_cell(demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    rows = demo_db.rows("SELECT deadline_raw, deadline, revised_deadline FROM steps s JOIN plans p "
                        "ON p.current_import_id = s.import_id WHERE p.plan_id = ? AND revised_deadline IS NOT NULL",
                        [pid])
    assert ("Entro agosto-2023 entro ottobre 2023", dt.date(2023, 8, 31), dt.date(2023, 10, 31)) in rows


def test_seed_002_progress_between_monitoring_dates(demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    mid = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 8, 31))
    end = plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 12, 31))
    assert end.achievement > mid.achievement
    assert end.counts["continuous"] == 7


def test_seed_003_tree_and_indicators(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "003_"))
    assert (len(pm.areas), len(pm.strategic), len(pm.objectives), len(pm.indicators)) == (5, 12, 18, 60)
    assert pm.achievement is None                            # a plan with indicators only: nothing to average
    assert set(pm.indicators["reason"].dropna()) >= {"valore non rilevato"}


def test_seed_004_people_scores(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "004_"))
    assert len(pm.people) == 14 and pm.people["score"].between(0, 10).all()
    assert set(pm.objectives["type"]) == {"PEG"} and pm.objectives["missione"].notna().all()
