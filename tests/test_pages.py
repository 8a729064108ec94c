"""Every page opens without exception: on the demo database, on an empty one, and on a
plan without verifications. Page-specific assertions live in tests/test_page_*.py."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import list_plans, plan_metrics
from metrics.fmt import fmt_pct
from tests.apptest import open_app
from tests.conftest import ROOT, plan_id_by_file

PAGES = re.findall(r'st\.Page\("(pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))




def test_app_lists_every_page_file():
    assert len(PAGES) >= 10
    for p in PAGES:
        assert (ROOT / p).exists(), p


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_demo_data(monkeypatch, demo_db, page):
    at = open_app(monkeypatch, demo_db.path, page)
    assert not at.exception, at.exception
    assert "TODO" not in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_empty_database(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "vuoto.duckdb", page)
    assert not at.exception, at.exception
    text = " ".join(e.value for e in list(at.info) + list(at.markdown) + list(at.caption) + list(at.warning))
    assert re.search(r"non contiene|nessun|Nessun|Carica", text), text[:500]


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_plan_without_verifications(monkeypatch, demo_db, page):
    pid = plan_id_by_file(demo_db, "000_")
    at = open_app(monkeypatch, demo_db.path, page, piano=pid)
    assert not at.exception, at.exception


def test_panoramica_shows_the_metrics_plan_achievement(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, piano=pid, anno=2023, data="2023-12-31")
    assert not at.exception
    expected = plan_metrics(demo_db, pid, year=2023, as_of=__import__("datetime").date(2023, 12, 31))
    values = {m.label: m.value for m in at.metric}
    assert values["Raggiungimento del piano"] == fmt_pct(expected.achievement)
    assert values["Scaduti"] == str(expected.counts["overdue"])


def test_selection_is_reflected_in_the_url(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, piano=pid, data="2023-08-31")
    assert at.query_params["piano"] == [str(pid)] or at.query_params["piano"] == str(pid)
    assert "2023-08-31" in str(at.query_params["data"])
    assert at.selectbox(key="sel_date").value.isoformat() == "2023-08-31"


def test_objective_page_by_url(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    at = open_app(monkeypatch, demo_db.path, "pages/obiettivo.py", piano=pid, obiettivo="D")
    assert not at.exception
    assert any(h.value.startswith("D · PNRR 1.1.2") for h in at.header)


def test_default_plan_is_the_one_with_monitoring(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db.path)
    plans = list_plans(demo_db)
    richest = plans.sort_values("n_verifications", ascending=False).iloc[0]
    assert at.selectbox(key="sel_plan").value == int(richest["plan_id"])
