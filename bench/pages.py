"""Full-script timings of every dashboard page, against an empty page run through the same app.

Each page is run with Streamlit's AppTest exactly as a browser session runs it: ``app.py``
(page config, ``st.navigation``, the sidebar selection and its DuckDB queries) and then the
page. The **baseline** is the same ``app.py`` with a page that only does ``st.write('x')``: it
measures the fixed cost every page pays, so ``ratio = page / baseline`` is the page's own
cost on top of it (target ≤ 1,5).

The empty page is added to the navigation at run time (``st.navigation`` is wrapped while
timing) instead of editing ``app.py``: the real pages, their relative links and the sidebar
stay exactly as users get them. Pages are discovered by parsing ``app.py``; a page that is
still a placeholder (only a call such as ``st.write("TODO")``) is reported as
``pending``, a page that raises as ``error`` — neither stops the benchmark.
"""
from __future__ import annotations

import ast
import gc
import logging
import os
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
EMPTY_PAGE_SOURCE = 'import streamlit as st\n\nst.write("x")\n'
EMPTY_URL = "bench_pagina_vuota"

BASELINE_DESCRIPTION = (
    "app.py completo (set_page_config, st.navigation, selezione nella barra laterale con le sue query DuckDB) "
    "+ una pagina che contiene solo st.write('x'), aggiunta alla navigazione solo durante la misura; stesso "
    "AppTest e stesso piano delle pagine vere. Eseguita alternandola con ogni pagina: rapporto = mediana, sulle "
    "coppie (pagina vuota, pagina), di pagina / pagina vuota. / Full app.py (page config, navigation, "
    "sidebar selection and its DuckDB queries) plus a page with only st.write('x'), added to the navigation only "
    "while timing; same AppTest harness and plan as the real pages. Run alternately with each page: ratio = the "
    "median, over the (empty page, page) pairs, of page / empty page.")


def discover_pages(app: Path = APP) -> list[dict[str, str]]:
    """``st.Page("pages/…", title=…)`` entries of ``app.py``, in navigation (source) order."""
    found = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "Page"):
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            continue
        kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        path = node.args[0].value
        if kw.get("visibility") == "hidden":     # pages/inizio.py: the root "/" that only opens the Panoramica
            continue
        found.append((node.lineno, node.col_offset, {"path": path, "title": str(kw.get("title") or Path(path).stem)}))
    return [entry for *_, entry in sorted(found, key=lambda f: f[:2])]


def is_placeholder(page: Path) -> bool:
    """A page still to be written: nothing but imports, the docstring and at most one direct
    ``st.…(…)`` call such as ``st.write("TODO")``. A thin page that calls its view
    (``render()``) is a real page."""
    try:
        body = ast.parse(page.read_text(encoding="utf-8")).body
    except (OSError, SyntaxError):
        return True
    stmts = [s for s in body if not isinstance(s, (ast.Import, ast.ImportFrom))
             and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
    if not stmts:
        return True
    if len(stmts) > 1:
        return False
    call = stmts[0].value if isinstance(stmts[0], ast.Expr) else None
    func = call.func if isinstance(call, ast.Call) else None
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "st"


@contextmanager
def empty_page_in_navigation(page_file: Path) -> Iterator[None]:
    """Wrap ``st.navigation`` so that the app also registers the empty page (bench only)."""
    import streamlit as st

    original = st.navigation

    def navigation(pages: Any, *args: Any, **kwargs: Any) -> Any:
        extra = st.Page(str(page_file), title="Pagina vuota (bench)", url_path=EMPTY_URL)
        if isinstance(pages, dict):
            pages = {**{k: list(v) for k, v in pages.items()}, "Bench": [extra]}
        else:
            pages = [*pages, extra]
        return original(pages, *args, **kwargs)

    st.navigation = navigation
    try:
        yield
    finally:
        st.navigation = original


class _NoBareModeWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


@contextmanager
def _quiet_streamlit() -> Iterator[None]:
    """Drop Streamlit's "missing ScriptRunContext" warnings of bare-mode AppTest while timing
    (a filter, because Streamlit resets its loggers' levels when it reads its config)."""
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    flt = _NoBareModeWarning()
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _exception_text(at: Any) -> str | None:
    if not at.exception:
        return None
    e = at.exception[0]
    return str(getattr(e, "message", None) or getattr(e, "value", None) or e)[:300]


def open_page(page_rel: str, plan_id: int | None, timeout: float = 120.0) -> tuple[Any, str | None]:
    """An AppTest session on ``page_rel``, warmed up (metrics cache filled for this data version)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if plan_id is not None:
        at.query_params["piano"] = str(plan_id)
    at.run()                       # the session starts on the default page, as in a browser
    at.switch_page(page_rel)
    at.run()                       # warm-up
    at.run()
    return at, _exception_text(at)


def _timed(at: Any) -> float:
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def time_pages(db_path: str | Path, work: Path, runs: int = 31, plan_id: int | None = None,
               only: list[str] | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Time every page of ``app.py`` against the empty page; returns the ``pages`` block of results.json.

    Runs are interleaved: empty page, page, empty page, page… so that both see the same machine
    (a 2-core VM drifts by ±30% over a minute); each page's ratio is the median, over the pairs, of
    page run / empty-page run."""
    work.mkdir(parents=True, exist_ok=True)
    empty = work / "pagina_vuota.py"
    empty.write_text(EMPTY_PAGE_SOURCE, encoding="utf-8")
    empty_rel = os.path.relpath(empty, APP.parent)
    pages = discover_pages()
    if only is not None:
        pages = [p for p in pages if p["path"] in only]
    results: dict[str, Any] = {}
    base_runs: list[float] = []
    with _env("CRUSCOTTO_DB", str(db_path)), empty_page_in_navigation(empty), _quiet_streamlit():
        base, err = open_page(empty_rel, plan_id)
        if err is not None:
            raise RuntimeError(f"la pagina vuota non funziona: {err}")
        gc.collect()                      # settle after building the database: nothing pending
        for _ in range(5):
            base.run()
        for p in pages:
            path = ROOT / p["path"]
            r: dict[str, Any] = {"title": p["title"]}
            if not path.is_file():
                r["status"] = "missing"
            elif is_placeholder(path):
                r["status"] = "pending"
            else:
                at, err = open_page(p["path"], plan_id)
                page_times: list[float] = []
                mine: list[float] = []
                for _ in range(runs):
                    if err is not None:
                        break
                    mine.append(_timed(base))
                    page_times.append(_timed(at))
                    err = _exception_text(at)
                if err is not None:
                    r.update(status="error", error=err)
                else:
                    r.update(status="ok", run_s=statistics.median(page_times), baseline_s=statistics.median(mine),
                             runs_s=[round(t, 4) for t in page_times], baseline_runs_s=[round(t, 4) for t in mine])
                    # median of the ratios of each (empty page, page) pair: robust to drift between pairs
                    r["ratio"] = statistics.median(pt / bt for pt, bt in zip(page_times, mine))
                    base_runs += mine
            results[p["path"]] = r
            log(f"   {p['title']:<22} {r['status']:<8}" + (f" {r['run_s']:.4f} s, pagina vuota {r['baseline_s']:.4f} s,"
                                                           f" rapporto {r['ratio']:.2f}" if "run_s" in r else "")
                + (f"  {r['error']}" if "error" in r else ""))
    if not base_runs:   # no page timed: the empty page alone
        base_runs = [_timed_alone(empty_rel, plan_id, runs, empty)]
    return {"pages": results, "baseline_page_s": statistics.median(base_runs), "baseline_runs_s": base_runs,
            "baseline_description": BASELINE_DESCRIPTION}


def _timed_alone(empty_rel: str, plan_id: int | None, runs: int, empty: Path) -> float:
    with empty_page_in_navigation(empty), _quiet_streamlit():
        at, _ = open_page(empty_rel, plan_id)
        return statistics.median(_timed(at) for _ in range(max(runs, 1)))
