"""The deadlines calendar (issue 18): the .ics parses back with icalendar, one event per dated step with
the revised deadline where present, the legal and monitoring dates; the subscribable address carries only
the user's enti and a revoked or unknown token gets 403."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import icalendar
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from loaders import import_file
from metrics.calendar import build_calendar
from store import Database
from store.access import local_administrator
from store.calendar_tokens import create_token, principal_for_token, revoke_tokens
from store.users import add_user
from tests.conftest import DEMO
from ui.routes_calendar import ROUTE

CISSA, CSSM = "002_cissa_pianezza_2023.xlsx", "000_cssm_piao_2025_2027.xlsx"
PASSWORD = "una-password-lunga-123"


@pytest.fixture(scope="module")
def cal_db(tmp_path_factory):
    d = Database(tmp_path_factory.mktemp("cal") / "cal.duckdb")
    for f in (CISSA, CSSM):
        assert import_file(d, DEMO / f, user="test").ok
    cissa = d.scalar("SELECT ente FROM plans p JOIN imports i USING (plan_id) WHERE i.file_name = ?", [CISSA])
    add_user(d, "lettrice", PASSWORD, "lettore", [cissa], by="test")
    add_user(d, "admin", PASSWORD, "amministratore", [], by="test")
    yield d
    d.close()


def _events(ics: bytes) -> list:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def _step_events(events) -> dict[str, object]:
    return {str(e["UID"]): e for e in events if str(e["UID"]).startswith("step-")}


def _dated_steps(db, file_name: str) -> list[tuple]:
    return db.rows("""SELECT s.objective_code, s.code, s.deadline, s.revised_deadline FROM steps s
                      JOIN imports i USING (import_id) JOIN plans p ON p.current_import_id = i.import_id
                      WHERE i.file_name = ? AND s.deadline IS NOT NULL AND NOT s.continuous""", [file_name])


def test_ics_parses_back_one_event_per_dated_step_with_revised_deadlines(cal_db):
    ics = build_calendar(cal_db, local_administrator(), ente="Pianezza")
    events = _events(ics)
    steps = _step_events(events)
    dated = _dated_steps(cal_db, CISSA)
    assert len(dated) == 27 and len(steps) == len(dated)
    plan_id = cal_db.scalar("SELECT plan_id FROM imports WHERE file_name = ?", [CISSA])
    for obj, code, deadline, revised in dated:
        ev = steps[f"step-{plan_id}-{obj}-{code}@cruscotto-performance"]
        assert ev.decoded("DTSTART") == (revised or deadline), code
    # seed 002: step 4.5 «Entro agosto-2023 entro ottobre 2023» → 31/10/2023, the original named
    ev45 = steps[f"step-{plan_id}-4-4.5@cruscotto-performance"]
    assert ev45.decoded("DTSTART") == dt.date(2023, 10, 31)
    assert "termine originale 31/08/2023" in str(ev45["DESCRIPTION"])
    assert "(rivista)" in str(ev45["SUMMARY"])
    others = {str(e["SUMMARY"]).split(" – ")[0]: e.decoded("DTSTART") for e in events if e not in steps.values()}
    assert others["Relazione sulla performance 2023: termine"] == dt.date(2024, 6, 30)
    assert others["Monitoraggio intermedio al 31/08/2023"] == dt.date(2023, 8, 31)
    assert others["Monitoraggio finale al 31/12/2023"] == dt.date(2023, 12, 31)
    assert all("Pianezza" in str(e["SUMMARY"]) for e in events)


def test_per_responsible_only_their_steps(cal_db):
    events = _events(build_calendar(cal_db, local_administrator(), ente="Pianezza",
                                    responsabile="responsabile MINORI disabili"))
    codes = sorted(str(e["UID"]).split("-")[3].split("@")[0] for e in events)
    assert codes == sorted(["4.1", "4.2", "4.3", "4.6", "4.7", "4.8", "4.9", "4.12"])
    assert len(events) == 8          # no monitoring or legal dates in a responsible's own calendar


def _client(db) -> TestClient:
    app = Starlette(routes=[ROUTE])
    app.state.db = db
    return TestClient(app)


def test_lettore_address_carries_only_the_lettore_enti_and_revoked_token_gets_403(cal_db):
    client = _client(cal_db)
    token = create_token(cal_db, "lettrice", by="lettrice")
    r = client.get(f"/calendario/{token}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    summaries = [str(e["SUMMARY"]) for e in _events(r.content)]
    assert summaries and all("Pianezza" in s for s in summaries)
    assert not any("CSSM" in s for s in summaries)
    admin_token = create_token(cal_db, "admin", by="admin")
    every = [str(e["SUMMARY"]) for e in _events(client.get(f"/calendario/{admin_token}.ics").content)]
    assert any("CSSM" in s for s in every) and any("Pianezza" in s for s in every)
    # asking for another ente through the address gives nothing of it
    other = client.get(f"/calendario/{token}.ics", params={"ente": "CSSM"})
    assert other.status_code == 200 and _events(other.content) == []
    assert revoke_tokens(cal_db, "lettrice", by="admin") == 1
    refused = client.get(f"/calendario/{token}.ics")
    assert refused.status_code == 403 and "revocato" in refused.text and "BEGIN" not in refused.text
    assert client.get("/calendario/inventato.ics").status_code == 403
    assert principal_for_token(cal_db, token) is None
    # a new token replaces the old one; only its hash is stored
    again = create_token(cal_db, "lettrice", by="lettrice")
    assert client.get(f"/calendario/{again}.ics").status_code == 200
    assert not cal_db.scalar("SELECT count(*) FROM calendar_tokens WHERE token_hash = ?", [again])
    actions = [r[0] for r in cal_db.rows("SELECT action FROM audit_log WHERE action = 'calendario'")]
    assert len(actions) == 4


def test_cli_writes_the_ics(cal_db, tmp_path):
    src = tmp_path / "cli.duckdb"
    d = Database(src)
    assert import_file(d, DEMO / CISSA, user="test").ok
    d.close()
    out = tmp_path / "scadenze.ics"
    res = subprocess.run([sys.executable, "-m", "metrics", "calendar", "--db", str(src), "--ente", "Pianezza",
                          "--responsabile", "Responsabile minori disabili", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "8 eventi" in res.stdout
    assert len(_events(out.read_bytes())) == 8


def test_route_mounted_on_streamlit_app(monkeypatch, tmp_path):
    """How the lead mounts it on the edge server: ``st.App("app.py", routes=[ROUTE])``; without ``app.state.db``
    the endpoint uses the app's database (``CRUSCOTTO_DB``)."""
    import streamlit as st

    path = tmp_path / "app.duckdb"
    d = Database(path)
    assert import_file(d, DEMO / CISSA, user="test").ok
    add_user(d, "dora", PASSWORD, "direttore", ["*"], by="test")
    token = create_token(d, "dora", by="dora")
    d.close()
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    with TestClient(st.App("app.py", routes=[ROUTE])) as client:
        ok = client.get(f"/calendario/{token}.ics")
        assert ok.status_code == 200 and len(_step_events(_events(ok.content))) == 27
        assert client.get("/calendario/sconosciuto.ics").status_code == 403
