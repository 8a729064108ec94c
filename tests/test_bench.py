"""``make bench`` can't rot: the synthetic generator is deterministic and realistic, its workbooks
import without errors, and a tiny end-to-end bench run produces every key of results.json."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from bench import synth
from bench.__main__ import run
from bench.load import LoadOptions
from bench.pages import ROOT, discover_pages, is_placeholder
from loaders import IMPORTED, import_bytes

SMALL = synth.Shape(objectives=20, seed=7)


def _xlsx_bytes(shape: synth.Shape, tmp_path) -> bytes:
    return synth.write_xlsx(synth.build_sheets(shape), tmp_path / "s.xlsx").read_bytes()


def test_generator_is_deterministic(tmp_path):
    assert synth.build_sheets(SMALL) == synth.build_sheets(SMALL)
    a = synth.write_xlsx(synth.build_sheets(SMALL), tmp_path / "a.xlsx").read_bytes()
    b = synth.write_xlsx(synth.build_sheets(SMALL), tmp_path / "b.xlsx").read_bytes()
    assert a == b
    assert synth.build_sheets(synth.Shape(objectives=20, seed=8)) != synth.build_sheets(SMALL)


def test_generator_content_is_realistic():
    sheets = synth.build_sheets(SMALL)
    steps, verif = sheets["Step"][1:], sheets["Verifiche"][1:]
    assert len(sheets["Obiettivi"]) - 1 == 20 and len(steps) == 200 and len(verif) == 400
    deadlines = [r[4] for r in steps]
    assert any(isinstance(d, str) and d.startswith("Entro ") for d in deadlines)
    assert any(d in ("Al bisogno", "Cadenza mensile", "Con il Bilancio civilistico") for d in deadlines)
    assert any(isinstance(d, dt.date) for d in deadlines)
    achievements = [r[3] for r in verif]
    assert any(isinstance(x, str) and x.endswith("%") for x in achievements)
    assert any(isinstance(x, (float, synth.Pct)) for x in achievements)
    statuses = {r[2] for r in verif}
    assert {"Obiettivo realizzato", "In fase di realizzazione"} <= statuses
    dates = {r[1] if isinstance(r[1], dt.date) else dt.datetime.strptime(r[1], "%d/%m/%Y" if len(r[1]) == 10 else "%d/%m/%y").date()
             for r in verif}
    assert dates == {dt.date(2025, 8, 31), dt.date(2025, 12, 31)}
    assert synth.data_rows(sheets) == sum(len(v) - 1 for v in sheets.values())


def test_synthetic_workbook_imports_without_errors(db, tmp_path):
    res = import_bytes(db, _xlsx_bytes(SMALL, tmp_path), "sintetico.xlsx", user="test")
    assert res.status == IMPORTED, [str(p) for p in res.problems.errors[:5]]
    assert not res.problems.errors
    assert (res.counts["obiettivi"], res.counts["step"], res.counts["verifiche"]) == (20, 200, 400)


def test_regional_shapes_are_distinct_plans():
    shapes = synth.regional_shapes(plans=100)
    assert len({(s.ente, s.titolo) for s in shapes}) == 100
    assert sum(s.steps for s in shapes) == 20_000


def test_page_discovery_and_placeholders(tmp_path):
    pages = discover_pages()
    assert pages and pages[0]["path"].startswith("pages/")
    assert all(p["title"] for p in pages)
    todo = tmp_path / "todo.py"
    todo.write_text('import streamlit as st\nst.write("TODO")\n')
    assert is_placeholder(todo)
    real = tmp_path / "real.py"
    real.write_text('"""Doc."""\nimport streamlit as st\nx = 1\nst.write(x)\n')
    assert not is_placeholder(real)
    thin = tmp_path / "thin.py"
    thin.write_text('"""Doc."""\nfrom ui.views.panoramica import render\n\nrender()\n')
    assert not is_placeholder(thin)
    assert all(not is_placeholder(ROOT / p["path"]) for p in pages)   # every page of the app is real


def test_tiny_bench_run(tmp_path):
    out = tmp_path / "results.json"
    run(big=SMALL, regional=synth.regional_shapes(plans=2, objectives=3, steps=2), runs=1, page_runs=1,
        openpyxl_too=False, work=tmp_path / "work", out=out, log=lambda _m: None,
        pages_only=["pages/panoramica.py"])
    r = json.loads(out.read_text(encoding="utf-8"))
    for key in ("import_s", "raw_read_s", "rows", "peak_rss_mb", "ratio_import_vs_raw", "report_s", "report_cached_s",
                "regional", "pages", "baseline_page_s", "machine"):
        assert key in r, key
    assert r["rows"] == synth.data_rows(synth.build_sheets(SMALL))
    assert r["regional"]["plans"] == 2 and r["regional"]["steps"] == 12
    assert set(r["machine"]) >= {"cores", "python", "date"}
    assert r["import_s"] > 0 and r["raw_read_s"] > 0 and r["peak_rss_mb"] > 0
    page = r["pages"]["pages/panoramica.py"]
    assert "status" not in page and "error" not in page, page     # a real page (not pending), timed without errors
    assert page["ratio"] > 0 and page["run_s"] > 0 and r["baseline_page_s"] > 0


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_tiny_browser_bench_run(tmp_path):
    """bench/browser.py on a 2-plan database: 1 pair per page, 1 warm switch, 2 sessions for a few seconds
    (one imports a small workbook): every key of browser_pages / browser, and sane values."""
    out = tmp_path / "results.json"
    # «Utenti» is last in the sidebar, behind Streamlit's «View more» (the warm switch must press it)
    pages = ["pages/panoramica.py", "pages/carica.py", "pages/utenti.py"]
    run(big=SMALL, regional=synth.regional_shapes(plans=2, objectives=3, steps=2), runs=1, page_runs=1,
        openpyxl_too=False, work=tmp_path / "work", out=out, log=lambda _m: None, pages=False,
        pages_only=pages, browser=True, browser_pairs=1, warm_runs=1, sessions=2, sessions_s=3,
        upload_shape=synth.Shape(objectives=3, steps_per_objective=2, seed=99, ente="Ente del test del bench"),
        load=LoadOptions(back_to_back=(2,), reading=(2,), b2b_s=2.0, reading_s=3.0))
    r = json.loads(out.read_text(encoding="utf-8"))
    assert set(r["browser_pages"]) == set(pages)
    for path, p in r["browser_pages"].items():
        for key in ("new_tab_ms", "floor_ms", "ratio", "warm_ms", "ws_bytes", "server_cpu_ms", "runs_on_load",
                    "ws_open_ms", "browser_script_ms", "load_avg_start"):
            assert key in p, (path, key)
        assert p["new_tab_ms"] > p["ws_open_ms"] > 0 and p["floor_ms"] > 0 and p["ratio"] > 0
        assert p["warm_ms"] > 0 and p["ws_bytes"] > p["floor_ws_bytes"] > 0 and p["server_cpu_ms"] >= 0
        assert p["exceptions"] == 0 and p["runs_on_load"] >= 1
        assert 0 < p["first_figure_ms"] <= p["new_tab_ms"] and p["first_figure_ratio"] > 0     # issue 20
        assert (p["chart_floor_ratio"] > 0) if p["target"] == "chart" else p["chart_floor_ratio"] is None
        assert round(p["warm_first_ms"]) == p["warm_runs_ms"][0] and len(p["warm_back_ms"]) == 1
    assert r["browser_pages"]["pages/panoramica.py"]["target"] == "chart"
    assert r["browser_pages"]["pages/carica.py"]["target"] in ("metric", "uploader")
    assert r["browser_pages"]["pages/utenti.py"]["warm_runs_ms"]      # reached through «View more»
    b = r["browser"]
    assert b["summary"]["floor_ms"] > 0 and b["summary"]["new_tab_p95_ms"] > 0 and b["summary"]["warm_p95_ms"] > 0
    assert b["chart_reference"]["new_tab_ms"] > 0
    s = b["sessions"]
    assert s["sessions"] == 2 and s["navigations"] >= 1 and s["errors"] == 0, s["error_messages"]
    assert s["import_ms"] and s["import_ms"] > 0 and s["server_peak_rss_mb"] > 50
    assert s["p95_ms"] >= s["p50_ms"] > 0
    assert s["timeouts"] == 0 and s["p95_with_timeouts_ms"] == s["p95_ms"]   # timeouts reported apart from errors
    assert set(r["pass"]) >= {"browser_pages", "warm_p95_ms", "server_cpu_ms", "sessions", "load_reading_50",
                              "load_back_to_back_50", "bench_wall_s"}
    assert r["browser_pages"]["pages/panoramica.py"]["first_figure_target"] == "metric"
    assert b["summary"]["chart_floor_ms"] > 0 and b["summary"]["warm_failures"] == 0
    assert b["summary"]["warm_switches"] == 6                    # 3 pages × (there and back)
    assert r["bench_wall_s"] > 0
    ld = r["load"]                                               # the protocol load on the same server
    assert set(ld) >= {"back_to_back", "reading", "saturation_pages_per_s", "browser_check"}
    for level in (ld["back_to_back"]["2"], ld["reading"]["2"]):
        assert set(level) >= {"p50_ms", "p95_ms", "errors", "peak_rss_mb", "server_cpu_s", "pages_per_s"}
        assert level["errors"] == 0, level["error_messages"]
    assert ld["saturation_pages_per_s"] == ld["back_to_back"]["2"]["pages_per_s"] > 0
    assert ld["browser_check"]["same"], ld["browser_check"]     # the protocol sees what the browser shows


# ----------------------------------------------------------------------------- the protocol load client
@pytest.fixture(scope="module")
def load_server(tmp_path_factory):
    """``streamlit run app.py`` on the four demo plans (bench/load.py's own server)."""
    from bench.browser import Server
    from bench.load import add_demo_plans, plans_of

    work = tmp_path_factory.mktemp("load")
    db_path = work / "load.duckdb"
    assert add_demo_plans(db_path, ROOT) == 4
    plans = plans_of(db_path, ROOT)
    server = Server(ROOT / "app.py", db_path, work / "app.log")
    yield server, plans, work
    server.stop()


def test_load_client_opens_plans_cycles_pages_and_uploads(load_server):
    """Two sessions back to back for a few seconds, one of them uploading a new plan through «Carica
    foglio»: every page finishes, names the plan, and the upload ends in «Importato»."""
    from bench.browser import run_async
    from bench.load import DASHBOARD_PAGES, run_level, upload_maker, warm_up

    server, plans, work = load_server
    assert len(plans) == 4 and len({p.ente for p in plans}) == 4
    run_async(warm_up(server, plans))
    r = run_async(run_level(server, plans, 2, 4.0, None, seed=1, uploads=upload_maker(work, objectives=5)))
    assert r["errors"] == 0, r["error_messages"]
    assert r["uploads"] == 1 and r["upload_errors"] == 0
    assert r["pages"] >= 4 and r["p95_ms"] > 0 and r["pages_per_s"] > 0
    assert r["server_cpu_s"] > 0 and r["peak_rss_mb"] > 50
    assert len(DASHBOARD_PAGES) == 10


def test_load_client_sees_a_page_that_names_another_plan(load_server):
    """The plan check can fail: a session told to expect another ente counts every page as wrong."""
    from bench.browser import run_async
    from bench.load import Plan, Session, names_plan

    server, plans, _ = load_server

    async def one():
        s = Session(server.url)
        await s.connect()
        try:
            return await s.open(plans[0], "panoramica"), await s.run("qualita"), dict(s.pages)
        finally:
            await s.close()

    first, second, hashes = run_async(one())
    assert first.elements > 5 and not first.exceptions and not first.compile_error
    assert names_plan(first, plans[0]) and names_plan(second, plans[0])
    assert not names_plan(first, Plan(99, "Ente che non esiste", "Piano che non esiste"))
    from bench.load import DASHBOARD_PAGES
    assert set(DASHBOARD_PAGES) <= set(hashes) and len(set(hashes.values())) == len(hashes)   # from «navigation»


def test_concurrent_first_visits_to_a_new_server_show_their_plan(tmp_path):
    """Found by the load test: on a server just started, sessions opening their first page together could run
    it in Streamlit's legacy ``pages/`` mode (no app.py, no sidebar selection: «Il database non contiene ancora
    alcun piano», 2 sessions out of 3 before the fix in ``ui.common.ensure_app_navigation``)."""
    import asyncio

    from bench.browser import Server, run_async
    from bench.load import Session, add_demo_plans, names_plan, plans_of

    db_path = tmp_path / "cold.duckdb"
    add_demo_plans(db_path, ROOT)
    plans = plans_of(db_path, ROOT)
    server = Server(ROOT / "app.py", db_path, tmp_path / "app.log")

    async def one(plan, page):
        s = Session(server.url)
        await s.connect()
        try:
            return plan, page, await s.open(plan, page)
        finally:
            await s.close()

    async def together():
        pages = ["obiettivo", "scadenze", "persone", "qualita", "sistema", "confronto"]
        return await asyncio.gather(*(one(plans[k % len(plans)], p) for k, p in enumerate(pages)))

    try:
        results = run_async(together())
    finally:
        server.stop()
    wrong = [(page, plan.ente, run.texts[:1]) for plan, page, run in results
             if run.exceptions or not names_plan(run, plan)]
    assert not wrong, wrong


def test_import_only_part_measures_the_import_against_the_plain_read(tmp_path, capsys):
    """``python -m bench import``: the first part of the bench alone (issue 20: import / plain read)."""
    from bench.__main__ import _import_only

    assert _import_only(["--runs", "2"], big=synth.Shape(objectives=10, seed=3), work=tmp_path) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["import_runs_s"]) == 2 and out["raw_read_s"] > 0
    assert out["ratio_import_vs_raw"] > 1      # an import reads the file too, and validates and writes it
    assert {"parse_s", "write_s"} <= set(out["phases"]) and out["peak_rss_mb"] > 0
