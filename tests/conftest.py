from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import Database  # noqa: E402

DEMO = ROOT / "data" / "demo"


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
