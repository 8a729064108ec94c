"""Opening the app in AppTest, as every page test does."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def open_app(monkeypatch, db_path, page: str | None = None, check: bool = True, **query) -> AppTest:
    """Run app.py on ``db_path`` with URL ``query``, then switch to ``page``; fail on exceptions when ``check``."""
    monkeypatch.setenv("CRUSCOTTO_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    if check:
        assert not at.exception, at.exception
    return at


def metrics_of(at: AppTest) -> dict[str, str]:
    """st.metric values by label (the first one wins when a label repeats)."""
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out
