"""Links (issue 10, defect 6): a URL value that cannot be honoured (a plan that does not exist, a year outside
the plan, a date without monitoring or malformed, an objective not in the plan) gives an Italian message saying
what is shown instead, never other content silently; valid values are honoured and give no message."""
from __future__ import annotations

import pytest

from streamlit.testing.v1 import AppTest

from tests.apptest import open_app
from tests.conftest import ROOT, plan_id_by_file


def open_link(monkeypatch, db_path, page: str, **query) -> AppTest:
    """A new session opened on ``page`` with URL ``query`` (as a bookmarked link: the page runs first)."""
    monkeypatch.setenv("CRUSCOTTO_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_valid_link_is_honoured_without_messages(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_link(monkeypatch, demo_db.path, "pages/panoramica.py", piano=pid, anno=2023, data="2023-08-31")
    assert at.selectbox(key="sel_plan").value == pid
    assert at.selectbox(key="sel_date").value.isoformat() == "2023-08-31"
    assert not [w for w in warnings(at) if "Il link" in w]


@pytest.mark.parametrize("value", ["999", "abc", ""])
def test_unknown_plan(monkeypatch, demo_db, value):
    at = open_link(monkeypatch, demo_db.path, "pages/panoramica.py", piano=value, anno=2023)
    msg = [w for w in warnings(at) if w.startswith("Il link indica il piano")]
    assert msg, warnings(at)
    assert f"«{value}», che non esiste in questo database: è mostrato «" in msg[0]
    shown = at.selectbox(key="sel_plan").value
    assert str(at.query_params["piano"][0] if isinstance(at.query_params["piano"], list) else at.query_params["piano"]) \
        == str(shown)                                  # the URL now names what is shown


@pytest.mark.parametrize("value", ["1900", "duemila"])
def test_year_outside_the_plan(monkeypatch, demo_db, value):
    pid = plan_id_by_file(demo_db, "000_")                       # PIAO 2025–2027
    at = open_link(monkeypatch, demo_db.path, "pages/panoramica.py", piano=pid, anno=value)
    msg = [w for w in warnings(at) if w.startswith("Il link indica l'anno")]
    assert msg and f"«{value}», che non è un anno del piano (2025–2027)" in msg[0], warnings(at)
    assert str(at.selectbox(key="sel_year").value) in msg[0]


@pytest.mark.parametrize("value,what", [("2023-05-15", "il 15/05/2023, che non è una data di monitoraggio del 2023"),
                                        ("31/12/2023", "«31/12/2023», che non è una data (formato AAAA-MM-GG)")])
def test_date_without_monitoring(monkeypatch, demo_db, value, what):
    pid = plan_id_by_file(demo_db, "002_")
    at = open_link(monkeypatch, demo_db.path, "pages/panoramica.py", piano=pid, anno=2023, data=value)
    msg = [w for w in warnings(at) if w.startswith("Il link indica come data di monitoraggio")]
    assert msg and what in msg[0], warnings(at)
    assert at.selectbox(key="sel_date").value.strftime("%d/%m/%Y") in msg[0]


def test_objective_not_in_the_plan(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    at = open_link(monkeypatch, demo_db.path, "pages/obiettivo.py", piano=pid, obiettivo="ZZ9")
    msg = [w for w in warnings(at) if w.startswith("Il link indica l'obiettivo")]
    assert msg and "«ZZ9», che non è nel piano" in msg[0], warnings(at)
    shown = at.selectbox(key="obj_pick").value
    assert f"è mostrato l'obiettivo {shown}." in msg[0]
    at.run()                                                      # a rerun: the message was said once
    assert not [w for w in warnings(at) if w.startswith("Il link indica l'obiettivo")]


def test_url_text_is_shown_literally(monkeypatch, demo_db):
    at = open_link(monkeypatch, demo_db.path, "pages/panoramica.py", piano="**[x](http://e.vil)**")
    msg = [w for w in warnings(at) if w.startswith("Il link indica il piano")][0]
    assert "\\*\\*\\[x\\](http://e.vil)\\*\\*" in msg


def test_root_opens_the_panoramica(monkeypatch, demo_db):
    """"/" switches to /panoramica (the default page of st.navigation is served only at "/")."""
    pid = plan_id_by_file(demo_db, "002_")
    at = open_app(monkeypatch, demo_db.path, piano=pid)
    assert at.title[0].value.startswith("Panoramica")
    assert at.selectbox(key="sel_plan").value == pid
