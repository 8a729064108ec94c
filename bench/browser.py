"""Speed as a person feels it: the dashboard in a real browser, against an empty Streamlit app.

Two ``streamlit run`` servers side by side, same Streamlit, same flags:

* the **app** (``app.py``) on a copy of the regional bench database (100 plans);
* the **floor**: an app whose only content is one ``st.title`` — what any Streamlit page costs
  (front-end boot, websocket, one script run).

Debian's headless Chromium driven by Playwright (as ``tests/e2e/conftest.py``), one browser
context (its HTTP cache warm, as for a returning user). For every page:

* ``new_tab_ms``: ``pairs`` alternating fresh-tab navigations (floor page, then the page);
  the time from navigation start to the page's **main content visible** — its first Plotly
  chart drawn (an ``svg.main-svg`` with a size, in an element that is not stale), or its first
  metric where it has no chart (the floor: its title). Measured inside the page
  (``performance.now()`` in a ``MutationObserver``), so Playwright's own round trips do not count.
  ``ratio`` = median of the pair ratios page / floor;
* ``ws_open_ms``: when the websocket opened (the front-end's part, the same for any app);
* ``ws_bytes``: the websocket bytes the page received until its script run finished;
* ``server_cpu_ms``: the server's CPU time (psutil, user + system) for the new session;
* ``runs_on_load``: how many script runs the new tab started (1 = no extra rerun on load);
* ``warm_ms``: a click in the sidebar's navigation from another page to the content visible.

**20 sessions** (``sessions``): that many browser contexts, each cycling through all pages in
fresh navigations for ``sessions_s`` seconds, while one of them uploads and imports a workbook
(a new plan) in the page «Carica foglio»: p50/p95 of the time to the main content, errors (an
exception element on a page, or a page that never showed its content) and the server's peak RSS.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import psutil

ROOT = Path(__file__).resolve().parent.parent
FLOOR_TITLE = "Cruscotto Performance"
FLOOR_SOURCE = f'import streamlit as st\n\nst.title("{FLOOR_TITLE}")\n'
# A second reference, not the floor: the least any page with a Plotly chart costs (Streamlit loads its
# ~4,7 MB Plotly bundle for the first chart of a tab). Served by the floor's server, as a second page.
CHART_FLOOR_SOURCE = (f'import plotly.graph_objects as go\nimport streamlit as st\n\nst.title("{FLOOR_TITLE}")\n'
                      'st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])), key="c")\n')
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
STARTUP_TIMEOUT_S = 60
CONTENT_TIMEOUT_MS = 60_000       # a loaded 2-core machine: generous, these are measures, not assertions

# What counts as "the main content", in order of preference (inside stMain, not stale, with a size).
TARGETS = {
    "chart": "[data-testid='stPlotlyChart'] svg.main-svg",
    "metric": "[data-testid='stMetric'] [data-testid='stMetricValue']",
    "uploader": "[data-testid='stFileUploader'] [data-testid='stFileUploaderDropzone']",
    "title": "h1",
}

METHOD = (
    "Due server `streamlit run` affiancati (stessi parametri): l'app sul DB regionale (copia) e il «pavimento», "
    "un'app con un solo st.title. Chromium headless di Debian via Playwright, un contesto (cache HTTP calda). Per "
    "ogni pagina, coppie alternate di schede nuove (pavimento, pagina): tempo dall'inizio della navigazione al "
    "contenuto principale visibile (primo grafico Plotly disegnato; il primo st.metric se la pagina non ha "
    "grafici; il titolo per il pavimento), misurato nella pagina (performance.now() in un MutationObserver). "
    "ratio = mediana dei rapporti delle coppie. warm_ms: clic nella navigazione laterale da un'altra pagina. "
    "ws_bytes: byte ricevuti sul websocket fino alla fine dell'esecuzione dello script; server_cpu_ms: tempo CPU "
    "del processo server (psutil) per la nuova sessione; runs_on_load: esecuzioni dello script avviate dalla "
    "scheda nuova. Sessioni concorrenti: N contesti che aprono a ciclo tutte le pagine, mentre uno di essi importa "
    "un foglio (nuovo piano) dalla pagina «Carica foglio».")

# Installed in every tab before its scripts run: records when the websocket opens, how many script runs
# start, and the first moment the wanted element is visible (see ``__benchWatch``).
INIT_SCRIPT = """
(() => {
  const b = window.__bench = {wsOpen: null, runs: 0, found: null, mark: 0, selector: null, title: null, done: null,
                              extra: {}, foundExtra: {}};
  const WS = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new WS(...args);
    ws.addEventListener('open', () => { if (b.wsOpen === null) b.wsOpen = performance.now(); });
    return ws;
  };
  window.WebSocket.prototype = WS.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    const box = el.closest("[data-stale]");
    return !box || box.getAttribute("data-stale") !== "true";
  };
  const first = (main, selector) => {
    for (const el of main.querySelectorAll(selector)) { if (visible(el)) return true; }
    return false;
  };
  const check = () => {
    if (!b.selector) return;
    const main = document.querySelector("[data-testid='stMain']");
    if (!main) return;
    if (b.title !== null) {
      const h = main.querySelector("h1");
      if (!h || h.textContent.trim() !== b.title) return;
    }
    const now = performance.now();
    // the other figures of the same visit (first metric, first chart): each the first time it is visible
    for (const [name, sel] of Object.entries(b.extra)) {
      if (b.foundExtra[name] === undefined && first(main, sel)) b.foundExtra[name] = now;
    }
    if (b.found === null && first(main, b.selector)) b.found = now;
  };
  window.__benchWatch = (selector, title, extra) => {
    b.selector = selector; b.title = title; b.found = null; b.mark = performance.now();
    b.extra = extra || {}; b.foundExtra = {}; check();
  };
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      // a run ends with 'notRunning' (React may batch running → notRunning: 'running' is then never seen)
      if (r.type === 'attributes' && r.attributeName === 'data-test-script-state'
          && r.target.getAttribute('data-test-script-state') === 'notRunning') { b.runs += 1; b.done = performance.now(); }
    }
    check();
  });
  const start = () => observer.observe(document.documentElement,
      {subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state', 'data-stale']});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
  setInterval(check, 20);
})();
"""


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``streamlit run <script>`` on a free port, in its own process group (as the e2e tests)."""

    def __init__(self, script: Path, db_path: Path | None, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "w", encoding="utf-8")
        self.log_path = log_path
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
               "CRUSCOTTO_USER": "bench"}
        if db_path is not None:
            env["CRUSCOTTO_DB"] = str(db_path)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit run {script.name} non è partito:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def cpu_s(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


class _RssSampler(threading.Thread):
    """The server's peak RSS, sampled every 100 ms."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server, self.peak, self._halt = server, server.rss_mb(), threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.1):
            try:
                self.peak = max(self.peak, self.server.rss_mb())
            except psutil.Error:
                return

    def stop(self) -> float:
        self._halt.set()
        self.join(2)
        return self.peak


def _pct(xs: list[float], q: float) -> float:
    """Percentile by linear interpolation (q in 0..100)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ----------------------------------------------------------------------------- one tab
async def _script_done(page, timeout_ms: int = CONTENT_TIMEOUT_MS) -> None:
    """Connected, script not running, no running indicator (as tests/e2e/conftest.wait_for_app)."""
    app = "[data-testid='stApp']"
    await page.locator(f"{app}[data-test-connection-state='CONNECTED']").wait_for(state="attached", timeout=timeout_ms)
    await page.locator(f"{app}[data-test-script-state='notRunning']").wait_for(state="attached", timeout=timeout_ms)
    await page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=timeout_ms)


async def _new_tab(context):
    """A tab with the bench's init script, and the bytes its websockets received (``counter["bytes"]``)."""
    page = await context.new_page()
    counter = {"bytes": 0}

    def on_ws(ws):
        ws.on("framereceived", lambda payload: counter.__setitem__(
            "bytes", counter["bytes"] + len(payload if isinstance(payload, (bytes, bytearray)) else payload.encode())))

    page.on("websocket", on_ws)
    await page.add_init_script(INIT_SCRIPT)
    return page, counter


async def visit(context, url: str, selector: str, title: str | None, server: Server | None = None,
                timeout_ms: int = CONTENT_TIMEOUT_MS, metrics: bool = True,
                extra: dict[str, str] | None = None) -> dict[str, Any]:
    """One fresh-tab navigation: time to content, websocket open, bytes, server CPU, script runs and,
    with ``metrics``, Chrome's main-thread time (script, layout) for the tab. ``extra`` (name → selector):
    other figures timed in the same visit (``extra_ms``: performance.now() when each was first visible)."""
    page, counter = await _new_tab(context)
    cdp = None
    try:
        if metrics:
            cdp = await context.new_cdp_session(page)
            await cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        await asyncio.sleep(0.05)                      # let the previous tab's session close on the server
        cpu0 = server.cpu_s() if server else 0.0
        t0 = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.evaluate("([s, t, x]) => window.__benchWatch(s, t, x)", [selector, title, extra or {}])
        await page.wait_for_function("() => window.__bench.found !== null", timeout=timeout_ms, polling=20)
        wall = (time.perf_counter() - t0) * 1000
        if extra:
            await page.wait_for_function("(n) => Object.keys(window.__bench.foundExtra).length >= n",
                                         arg=len(extra), timeout=timeout_ms, polling=20)
        await _script_done(page, timeout_ms)
        await asyncio.sleep(0.1)
        cpu = (server.cpu_s() - cpu0) if server else 0.0
        errors = await page.locator("[data-testid='stException']").count()
        b = await page.evaluate("() => window.__bench")
        out = {"content_ms": b["found"], "wall_ms": wall, "ws_open_ms": b["wsOpen"], "ws_bytes": counter["bytes"],
               "server_cpu_ms": cpu * 1000, "runs_on_load": b["runs"], "script_done_ms": b["done"],
               "exceptions": errors, "extra_ms": b.get("foundExtra") or {}}
        if cdp is not None:   # Chrome's own accounting of the tab's main thread (Performance domain)
            m = {x["name"]: x["value"] for x in (await cdp.send("Performance.getMetrics"))["metrics"]}
            out.update(browser_script_ms=m.get("ScriptDuration", 0) * 1000, browser_task_ms=m.get("TaskDuration", 0) * 1000,
                       browser_layout_ms=(m.get("LayoutDuration", 0) + m.get("RecalcStyleDuration", 0)) * 1000,
                       dom_nodes=m.get("Nodes"))
        return out
    finally:
        await page.close()


async def discover(context, url: str) -> dict[str, Any]:
    """What the page shows first: the selector of its main content and its title (first h1). Read in one
    ``evaluate`` once the run is over and the charts had time to draw (no auto-waiting locator that a rerun
    could detach); retried until the page settles."""
    page, _ = await _new_tab(context)
    probe = """(targets) => {
        const main = document.querySelector("[data-testid='stMain']");
        const h = main && main.querySelector("h1");
        if (!h || main.querySelector("[data-testid='stSkeleton']")) return null;   // lazy elements still loading
        const kind = Object.keys(targets).find((k) => main.querySelector(targets[k]));
        const kinds = Object.keys(targets).filter((k) => main.querySelector(targets[k]));
        return {h1: h.textContent.trim(), kind, kinds};
    }"""
    try:
        await page.goto(url, wait_until="commit")
        deadline = time.monotonic() + CONTENT_TIMEOUT_MS / 1000
        while True:
            await _script_done(page)
            await page.wait_for_timeout(1000)          # charts are drawn after the run ends
            found = await page.evaluate(probe, TARGETS)
            if found and found["kind"] and (found["kind"] != "title" or time.monotonic() > deadline - 20):
                return {"target": found["kind"], "selector": TARGETS[found["kind"]], "h1": found["h1"],
                        "kinds": found["kinds"]}
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: nessun contenuto riconoscibile")
    finally:
        await page.close()


async def nav_link(page, title: str):
    """The sidebar's link to page ``title``. Streamlit shows the first pages of a long navigation and a
    «View more» button (``stSidebarNavViewButton``) for the rest: pressed when the link is not shown."""
    nav = page.get_by_test_id("stSidebarNav")
    link = nav.get_by_role("link", name=title, exact=True)
    if not await link.is_visible():
        more = nav.get_by_test_id("stSidebarNavViewButton")
        if await more.count() and await more.is_visible():
            await more.click()
    return link


WARM_TIMEOUT_MS = 30_000


async def warm_switch(context, base: str, src: dict, dst: dict, runs: int,
                      back: list[float] | None = None) -> tuple[list[float], list[str]]:
    """Click the sidebar's link to page ``dst`` from page ``src`` (``runs`` times, going back between; the
    first is the first switch to ``dst`` in the tab, today's tail). Returns the times and the failures
    (the times of the way back are appended to ``back``): a switch whose content does not show within
    :data:`WARM_TIMEOUT_MS` is recorded (``warm_failures``), the tab reopened on ``src`` and the bench
    goes on (one stuck click must not lose the other measures)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    page, _ = await _new_tab(context)
    out: list[float] = []
    back = [] if back is None else back
    failures: list[str] = []
    try:
        await page.goto(f"{base}/{src['url']}", wait_until="commit")
        await _script_done(page)
        for _ in range(runs):
            try:
                link = await nav_link(page, dst["title"])          # before the clock starts: not part of the switch
                await page.evaluate("([s, t]) => window.__benchWatch(s, t)", [dst["selector"], dst["h1"]])
                await link.click()
                await page.wait_for_function("() => window.__bench.found !== null", timeout=WARM_TIMEOUT_MS,
                                             polling=20)
                out.append(await page.evaluate("() => window.__bench.found - window.__bench.mark"))
                await _script_done(page)
                # the way back is a warm switch too (timed: more samples for the p95 at no extra cost)
                link = await nav_link(page, src["title"])
                await page.evaluate("([s, t]) => window.__benchWatch(s, t)", [src["selector"], src["h1"]])
                await link.click()
                await page.wait_for_function("() => window.__bench.found !== null", timeout=WARM_TIMEOUT_MS,
                                             polling=20)
                back.append(await page.evaluate("() => window.__bench.found - window.__bench.mark"))
                await _script_done(page)
            except PlaywrightTimeout as exc:
                failures.append(f"{src['title']} → {dst['title']}: {str(exc).splitlines()[0]}")
                await page.goto(f"{base}/{src['url']}", wait_until="commit")
                await _script_done(page)
    finally:
        await page.close()
    return out, failures


# ----------------------------------------------------------------------------- N sessions at once
async def _user(browser, base: str, pages: list[dict], until: float, k: int, out: dict,
                upload: tuple[str, bytes] | None) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1280, "height": 720}, locale="it-IT")
    context.set_default_timeout(CONTENT_TIMEOUT_MS)
    try:
        if upload is not None:
            page, _ = await _new_tab(context)
            try:
                await page.goto(f"{base}/carica", wait_until="commit")
                await _script_done(page)
                await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                    files=[{"name": upload[0], "mimeType": XLSX_MIME, "buffer": upload[1]}])
                button = page.get_by_role("button", name="Conferma importazione")
                await button.wait_for(state="visible", timeout=120_000)
                t0 = time.perf_counter()
                await button.click()
                await page.get_by_test_id("stAlert").filter(has_text="Importato").wait_for(state="visible",
                                                                                         timeout=120_000)
                out["import_ms"] = (time.perf_counter() - t0) * 1000
                out["import_done_at_s"] = time.perf_counter() - out["t0"]
                await _script_done(page)
                out["errors"] += await page.locator("[data-testid='stException']").count()
            except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                out["errors"] += 1
                out["error_messages"].append(f"importazione: {type(exc).__name__}: {str(exc)[:200]}")
            finally:
                await page.close()
        i = k
        while time.perf_counter() < until:
            p = pages[i % len(pages)]
            i += 1
            try:
                r = await visit(context, f"{base}/{p['url']}", p["selector"], p["h1"])
                out["content_ms"].append(r["content_ms"])
                out["errors"] += r["exceptions"]
                if r["exceptions"]:
                    out["error_messages"].append(f"{p['url']}: eccezione nella pagina")
            except PlaywrightTimeout as exc:   # content not shown within CONTENT_TIMEOUT_MS: not an app error,
                out["timeouts"] += 1            # but counted and reported (see concurrent_sessions)
                out["error_messages"].append(f"{p['url']}: {type(exc).__name__}: {str(exc)[:200]}")
            except Exception as exc:  # noqa: BLE001
                out["errors"] += 1
                out["error_messages"].append(f"{p['url']}: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await context.close()


async def concurrent_sessions(browser, server: Server, pages: list[dict], n: int, seconds: float,
                              upload: tuple[str, bytes] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"content_ms": [], "errors": 0, "timeouts": 0, "error_messages": [], "t0": time.perf_counter()}
    sampler = _RssSampler(server)
    sampler.start()
    load0, cpu0, t0 = _load(), server.cpu_s(), time.perf_counter()
    until = t0 + seconds
    await asyncio.gather(*(_user(browser, server.url, pages, until, k, out, upload if k == 0 else None)
                           for k in range(n)))
    wall = time.perf_counter() - t0
    peak = sampler.stop()
    xs = out["content_ms"]
    # a navigation whose content never showed counts at the timeout in the percentiles «with timeouts»
    with_timeouts = xs + [float(CONTENT_TIMEOUT_MS)] * out["timeouts"]
    return {"sessions": n, "duration_s": round(wall, 1), "navigations": len(xs),
            "p50_ms": _pct(xs, 50), "p95_ms": _pct(xs, 95), "max_ms": max(xs, default=float("nan")),
            "p95_with_timeouts_ms": _pct(with_timeouts, 95),
            "errors": out["errors"], "timeouts": out["timeouts"], "error_messages": out["error_messages"][:20],
            "import_ms": out.get("import_ms"), "import_done_at_s": out.get("import_done_at_s"),
            "server_peak_rss_mb": peak, "server_cpu_s": server.cpu_s() - cpu0,
            "load_avg_start": load0, "load_avg_end": _load()}


# ----------------------------------------------------------------------------- the whole browser bench
def page_urls(pages_only: list[str] | None = None) -> list[dict[str, str]]:
    """(path, title, url) of app.py's pages, in navigation order."""
    import ast

    out = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            path = node.args[0].value
            if kw.get("visibility") == "hidden":     # pages/inizio.py: the root "/" that opens the Panoramica
                continue
            # the default page lives at the root: its url_path is not a route (a "Page not found" dialog)
            url = "" if kw.get("default") else kw.get("url_path", Path(path).stem)
            out.append((node.lineno, {"path": path, "title": kw.get("title", path), "url": url}))
    pages = [p for _, p in sorted(out, key=lambda x: x[0])]
    return [p for p in pages if pages_only is None or p["path"] in pages_only]


async def _run(db_path: Path, work: Path, pairs: int, warm_runs: int, sessions: int, sessions_s: float,
               pages_only: list[str] | None, upload: tuple[str, bytes] | None, log: Callable[[str], None],
               load: Any = None, plans: list | None = None) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import chromium_path  # the same browser as the e2e tests

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("serve chromium-headless-shell di Debian (make browser)")
    floor_script = work / "floor_app.py"
    floor_script.write_text(FLOOR_SOURCE, encoding="utf-8")
    chart_script = work / "floor_chart_app.py"
    chart_script.write_text(CHART_FLOOR_SOURCE, encoding="utf-8")
    app = Server(ROOT / "app.py", db_path, work / "browser-app.log")
    floor = chart = None
    try:
        floor = Server(floor_script, None, work / "browser-floor.log")
        chart = Server(chart_script, None, work / "browser-floor-chart.log")
        pages = page_urls(pages_only)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="it-IT",
                                                timezone_id="Europe/Rome")
            context.set_default_timeout(CONTENT_TIMEOUT_MS)
            # warm-up: front-end in the HTTP cache, app.py has run once (navigation mode), caches filled
            await discover(context, floor.url + "/")
            await discover(context, chart.url + "/")
            for p in pages:
                p.update(await discover(context, f"{app.url}/{p['url']}"))
            floor_sel, results, floor_all, page_all, warm_all = TARGETS["title"], {}, [], [], []
            warm_first: list[float] = []
            # the second reference: floor vs floor + one tiny Plotly chart, alternated
            load0, cf, cc = _load(), [], []
            for _ in range(pairs):
                cf.append(await visit(context, floor.url + "/", floor_sel, FLOOR_TITLE, floor))
                cc.append(await visit(context, chart.url + "/", TARGETS["chart"], FLOOR_TITLE, chart))
            chart_ref = {"source": CHART_FLOOR_SOURCE, "new_tab_ms": statistics.median(x["content_ms"] for x in cc),
                         "floor_ms": statistics.median(x["content_ms"] for x in cf),
                         "ratio": statistics.median(a["content_ms"] / b["content_ms"] for a, b in zip(cc, cf)),
                         "browser_script_ms": statistics.median(x["browser_script_ms"] for x in cc),
                         "floor_browser_script_ms": statistics.median(x["browser_script_ms"] for x in cf),
                         "server_cpu_ms": statistics.median(x["server_cpu_ms"] for x in cc),
                         "load_avg_start": load0, "load_avg_end": _load()}
            log(f"   riferimento: pavimento + un grafico Plotly minimo {chart_ref['new_tab_ms']:.0f} ms (pavimento "
                f"{chart_ref['floor_ms']:.0f} ms) {chart_ref['ratio']:.2f}×; JS {chart_ref['browser_script_ms']:.0f} ms "
                f"(pavimento {chart_ref['floor_browser_script_ms']:.0f}); carico {load0[0]}")
            for n, p in enumerate(pages):
                load0 = _load()
                fl, pg = [], []
                figure = {"figure": TARGETS["metric"] if "metric" in p.get("kinds", ()) else TARGETS["title"]}
                for _ in range(pairs):
                    fl.append(await visit(context, floor.url + "/", floor_sel, FLOOR_TITLE, floor))
                    pg.append(await visit(context, f"{app.url}/{p['url']}", p["selector"], p["h1"], app,
                                          extra=figure))
                src = pages[n - 1] if n else pages[1] if len(pages) > 1 else None
                warm_back: list[float] = []
                warm, warm_failures = (await warm_switch(context, app.url, src, p, warm_runs, warm_back)
                                       if src is not None and warm_runs else ([], []))
                def med(rs: list[dict], k: str) -> float | None:   # None where the browser gave no value
                    xs = [r[k] for r in rs if r.get(k) is not None]
                    return statistics.median(xs) if xs else None
                r = {"title": p["title"], "target": p["target"],
                     "new_tab_ms": med(pg, "content_ms"), "floor_ms": med(fl, "content_ms"),
                     "ratio": statistics.median(a["content_ms"] / b["content_ms"] for a, b in zip(pg, fl)),
                     "warm_ms": statistics.median(warm) if warm else None,
                     "warm_first_ms": warm[0] if warm else None,   # the first switch to this page in the tab
                     "ws_open_ms": med(pg, "ws_open_ms"), "floor_ws_open_ms": med(fl, "ws_open_ms"),
                     "ws_bytes": med(pg, "ws_bytes"), "floor_ws_bytes": med(fl, "ws_bytes"),
                     "server_cpu_ms": med(pg, "server_cpu_ms"), "floor_server_cpu_ms": med(fl, "server_cpu_ms"),
                     "script_done_ms": med(pg, "script_done_ms"), "floor_script_done_ms": med(fl, "script_done_ms"),
                     "browser_script_ms": med(pg, "browser_script_ms"), "floor_browser_script_ms": med(fl, "browser_script_ms"),
                     "browser_task_ms": med(pg, "browser_task_ms"), "floor_browser_task_ms": med(fl, "browser_task_ms"),
                     "browser_layout_ms": med(pg, "browser_layout_ms"), "dom_nodes": med(pg, "dom_nodes"),
                     "runs_on_load": max(x["runs_on_load"] for x in pg),
                     # the issue-20 figures: the first figure (st.metric, else the title) against the floor, and
                     # the first chart against the chart floor (the floor + one Plotly chart, same run)
                     "first_figure_target": "metric" if "metric" in p.get("kinds", ()) else "title",
                     "first_figure_ms": statistics.median(x["extra_ms"]["figure"] for x in pg),
                     "first_figure_ratio": statistics.median(a["extra_ms"]["figure"] / b["content_ms"]
                                                             for a, b in zip(pg, fl)),
                     "chart_floor_ratio": (statistics.median(x["content_ms"] for x in pg) / chart_ref["new_tab_ms"]
                                           if p["target"] == "chart" else None),
                     "exceptions": sum(x["exceptions"] for x in pg),
                     "new_tab_runs_ms": [round(x["content_ms"]) for x in pg],
                     "floor_runs_ms": [round(x["content_ms"]) for x in fl],
                     "warm_runs_ms": [round(x) for x in warm], "warm_failures": warm_failures,
                     "warm_back_ms": [round(x) for x in warm_back], "warm_back_to": src["title"] if src else None,
                     "server_cpu_runs_ms": [round(x["server_cpu_ms"]) for x in pg],
                     "load_avg_start": load0, "load_avg_end": _load()}
                results[p["path"]] = r
                floor_all += [x["content_ms"] for x in fl]
                page_all += [x["content_ms"] for x in pg]
                warm_all += warm + warm_back
                warm_first += warm[:1]
                log(f"   {p['title']:<22} {r['new_tab_ms']:6.0f} ms (pavimento {r['floor_ms']:4.0f} ms) "
                    f"{r['ratio']:.2f}×; prima cifra {r['first_figure_ms']:.0f} ms {r['first_figure_ratio']:.2f}×"
                    + (f"; grafico {r['chart_floor_ratio']:.2f}× il pavimento con grafico" if r['chart_floor_ratio'] else "")
                    + f"; cambio pagina {r['warm_ms'] or 0:4.0f} ms"
                    f"{f' ({len(warm_failures)} MAI MOSTRATO)' if warm_failures else ''}; "
                    f"{r['ws_bytes'] / 1024:5.0f} KiB; CPU server {r['server_cpu_ms']:4.0f} ms "
                    f"(pavimento {r['floor_server_cpu_ms']:.0f}); JS {r['browser_script_ms']:.0f} ms "
                    f"(pavimento {r['floor_browser_script_ms']:.0f}); fine script {r['script_done_ms'] or 0:.0f} ms; "
                    f"esecuzioni {r['runs_on_load']}; carico {load0[0]}")
            load_block = None
            if load is not None and plans:      # the same app server, now without browsers (bench/load.py)
                from bench import load as L
                check = await L.element_check(context, app, plans[0])
                log(f"   protocollo e browser, stessa pagina: {check['protocol_elements']} elementi nel protocollo, "
                    f"{check['browser_elements']} nel browser")
                log("   carico senza browser (protocollo di Streamlit):")
                load_block = await L.run_load(app, plans, load, L.upload_maker(work), log)
                load_block["browser_check"] = check
            await context.close()
            summary = {"floor_ms": statistics.median(floor_all), "chart_floor_ms": chart_ref["new_tab_ms"],
                       "new_tab_p50_ms": _pct(page_all, 50),
                       "new_tab_p95_ms": _pct(page_all, 95), "warm_p95_ms": _pct(warm_all, 95) if warm_all else None,
                       "warm_first_p95_ms": _pct(warm_first, 95) if warm_first else None,
                       "warm_first_max_ms": max(warm_first, default=None), "warm_switches": len(warm_all),
                       "server_cpu_ms_max": max(r["server_cpu_ms"] for r in results.values()),
                       "warm_failures": sum(len(r["warm_failures"]) for r in results.values())}
            conc = None
            if sessions and sessions_s > 0:
                log(f"   {sessions} sessioni per {sessions_s:.0f} s, una importa un foglio…")
                conc = await concurrent_sessions(browser, app, pages, sessions, sessions_s, upload)
                conc["p95_vs_single_p95"] = conc["p95_with_timeouts_ms"] / summary["new_tab_p95_ms"]
                log(f"   {conc['navigations']} aperture: p50 {conc['p50_ms']:.0f} ms, p95 {conc['p95_ms']:.0f} ms "
                    f"({conc['p95_vs_single_p95']:.2f}× la p95 di una sessione), errori {conc['errors']}, "
                    f"mai mostrati in 60 s {conc['timeouts']}, "
                    f"picco RSS {conc['server_peak_rss_mb']:.0f} MB, importazione "
                    f"{(conc['import_ms'] or float('nan')) / 1000:.1f} s; carico {conc['load_avg_end'][0]}")
            await browser.close()
        return {"pages": results, "summary": summary, "sessions": conc, "floor": FLOOR_SOURCE, "load": load_block,
                "chart_reference": chart_ref,
                "pairs": pairs, "warm_runs": warm_runs, "method": METHOD}
    finally:
        app.stop()
        for srv in (floor, chart):
            if srv is not None:
                srv.stop()


def run_async(coro):
    """``asyncio.run(coro)``, in a thread of its own when this thread already runs an event loop (pytest after
    the sync Playwright of the e2e tests, whose loop stays open in the main thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def time_browser(db_path: str | Path, work: Path, pairs: int = 7, warm_runs: int = 3, sessions: int = 20,
                 sessions_s: float = 60.0, pages_only: list[str] | None = None,
                 upload: tuple[str, bytes] | None = None, log: Callable[[str], None] = print,
                 load: Any = None) -> dict[str, Any]:
    """The browser bench on a copy of ``db_path`` (the original stays as built; DuckDB locks a file
    per process, so the caller must have closed it). ``upload`` = (file name, bytes) imported by one
    of the concurrent sessions."""
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "browser.duckdb"
    for suffix in ("", ".wal"):
        src, dst = Path(f"{db_path}{suffix}"), Path(f"{copy}{suffix}")
        if dst.exists():
            dst.unlink()
        if src.exists():
            shutil.copyfile(src, dst)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    plans = None
    if load is not None:     # ``load`` (bench.load.LoadOptions): the demo plans too, then the load test
        from bench import load as L
        L.add_demo_plans(copy, ROOT)
        plans = L.plans_of(copy, ROOT)

    def interrupted(*_a: Any) -> None:      # SIGTERM as Ctrl-C: the servers are stopped in ``_run``'s finally
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted) if threading.current_thread() is threading.main_thread() else None
    try:
        return run_async(_run(copy, work, pairs, warm_runs, sessions, sessions_s, pages_only, upload, log, load, plans))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
