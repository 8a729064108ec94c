from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import Database  # noqa: E402

#: A fixed «today» (spec revision 3: no as-of date after today; domain.clock): the tests do not move with the
#: calendar, and the CLI subprocesses inherit it.
TODAY = "2026-12-07"
os.environ.setdefault("CRUSCOTTO_OGGI", TODAY)

DEMO = ROOT / "data" / "demo"


@pytest.fixture(autouse=True)
def run_app_py_on_every_rerun(monkeypatch):
    """Make AppTest behave like the real server.

    AppTest resets ``PagesManager.uses_pages_directory`` before each run and, because a
    ``pages/`` folder exists, would then run a switched-to page file *alone* (legacy
    multipage mode) without app.py and its sidebar. The real server runs app.py on every
    rerun (``st.navigation`` and ``ui.common.ensure_app_navigation`` turn that flag off)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)

@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "test.duckdb")
    yield d
    d.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A database with every demo workbook imported (read-only for tests)."""
    from loaders import import_file

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    d = Database(path)
    for f in sorted(DEMO.glob("*.xlsx")):
        res = import_file(d, f, user="test")
        assert res.ok, (f, [str(p) for p in res.problems.errors])
    yield d
    d.close()


def plan_id_by_file(db, prefix: str) -> int:
    return int(db.scalar("SELECT plan_id FROM imports WHERE file_name LIKE ? ORDER BY import_id LIMIT 1", [prefix + "%"]))
