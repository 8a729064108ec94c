"""Opening the app in AppTest, as every page test does."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from store import Database
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


def capture_downloads(monkeypatch) -> dict:
    """The files of the download buttons AppTest renders, by element id. AppTest does not fetch files: a test
    delivers one by calling its callable, as Streamlit's server does when the button is clicked."""
    import ui.common  # noqa: F401  (its own patch of add_deferred first: ours wraps it)
    from streamlit.runtime.media_file_manager import MediaFileManager

    captured: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        captured[element_id] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return captured


def deliver(captured: dict, key: str) -> bytes:
    """Deliver the file of the download button with ``key`` (see :func:`capture_downloads`)."""
    (build,) = [f for element_id, f in captured.items() if element_id.endswith(key)]
    return build()


def read(path, sql, params=None) -> list[tuple]:
    """Rows of ``sql`` on the database file at ``path`` (opened and closed around the query)."""
    d = Database(path)
    try:
        return d.rows(sql, params)
    finally:
        d.close()
