"""Server load without browsers: N sessions speak Streamlit's own protocol to one ``streamlit run app.py``.

Each session is what a browser tab does on the wire, without the browser:

* ``GET /_stcore/health`` (the XSRF cookie, as the front end's first ping), then the websocket
  ``/_stcore/stream`` (subprotocol ``streamlit`` + the XSRF token, as the front end);
* the first ``BackMsg.rerun_script`` carries ``piano=ID`` in its query string and the page's URL path, as
  a person opening a link; the pages' script hashes come from the ``navigation`` ForwardMsg;
* then one page after another: a ``rerun_script`` with the page's hash and the query string the server
  last set (``page_info_changed``); a page is done at its ``script_finished`` (a run finished early
  for a rerun is not the end: the rerun follows). The time of a page is from the request to that message;
* every page is checked: no ``exception`` element, no compile error, the socket still open, and the
  page's elements name the plan the session opened on (its ente or its title);
* one session in ten first uploads a workbook in «Carica foglio» as the front end does (a
  ``file_urls_request``, an HTTP PUT of the file to ``/_stcore/upload_file/…``, the uploader's widget
  value in a rerun), answers «è lo stesso ente?» if asked, and presses «Conferma importazione».

Two regimes (:func:`run_level`): **back to back** (a page as soon as the last one finished: the server's
saturation rate) and **people reading** (a seeded pause of 2 s ± 50% between pages). For each level: p50
and p95 of the page times, pages per second, errors, the server's CPU seconds and peak RSS (psutil).
"""
from __future__ import annotations

import asyncio
import http.client
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

#: The ten dashboard pages (URL paths of app.py), cycled by every session.
DASHBOARD_PAGES = ("panoramica", "obiettivo", "cascata", "scadenze", "indicatori", "persone", "confronto",
                   "presentazione", "qualita", "sistema")
UPLOAD_PAGE = "carica"
CONFIRM_LABEL = "Conferma importazione"
SAME_ENTE_PREFIX = "È lo stesso ente"
NOT_SAME_ENTE = "No, è un ente diverso"
XSRF_COOKIE = "_streamlit_xsrf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_TIMEOUT_S = 120.0           # a page that takes longer is an error (a stuck server), not a slow page
READING_PAUSE_S = 2.0            # people reading: 2 s ± 50%, seeded


@dataclass(frozen=True)
class Plan:
    """A plan a session opens on, and the texts that name it on a page."""
    plan_id: int
    ente: str
    titolo: str


@dataclass
class Run:
    """One script run as the client saw it."""
    ms: float
    elements: int = 0                                    # new elements in the main area
    texts: list[str] = field(default_factory=list)       # readable texts of the main area
    widgets: dict[str, Any] = field(default_factory=dict)   # label → element proto (file uploader, buttons, radios)
    exceptions: list[str] = field(default_factory=list)
    compile_error: bool = False


class SessionError(Exception):
    """A dropped socket, a timeout or a refused upload: counted as an error of the level."""


# ----------------------------------------------------------------------------- HTTP (stdlib, in a thread)
def _http(base: str, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=PAGE_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        cookies = {}
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        return r.status, cookies, r.read()
    finally:
        conn.close()


def _multipart(name: str, data: bytes, mime: str) -> tuple[bytes, str]:
    boundary = "----cruscotto" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {mime}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ----------------------------------------------------------------------------- one session
class Session:
    """One browser tab's worth of protocol on one websocket."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ws: Any = None
        self.xsrf = ""
        self.session_id = ""
        self.query = ""
        self.pages: dict[str, str] = {}          # url path → script hash
        self._request_id = 0

    async def connect(self) -> None:
        import websockets

        _, cookies, _ = await asyncio.to_thread(_http, self.base, "GET", "/_stcore/health")
        self.xsrf = cookies.get(XSRF_COOKIE, "")
        url = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        protocols = ["streamlit", self.xsrf] if self.xsrf else ["streamlit"]
        headers = {"Origin": self.base}
        if self.xsrf:
            headers["Cookie"] = f"{XSRF_COOKIE}={self.xsrf}"
        self.ws = await websockets.connect(url, subprotocols=protocols, additional_headers=headers, max_size=None,
                                           open_timeout=PAGE_TIMEOUT_S, ping_interval=None, compression=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _send(self, msg: Any) -> None:
        import websockets

        try:
            await self.ws.send(msg.SerializeToString())
        except websockets.ConnectionClosed as exc:
            raise SessionError(f"socket chiuso: {exc}") from exc

    async def _recv(self, deadline: float) -> Any:
        import websockets
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError as exc:
            raise SessionError(f"nessuna risposta in {PAGE_TIMEOUT_S:.0f} s") from exc
        except websockets.ConnectionClosed as exc:
            raise SessionError(f"socket chiuso: {exc}") from exc
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        return fm

    async def run(self, page: str | None = None, widgets: list[Any] | None = None, page_name: str = "") -> Run:
        """Ask for a run (``page``: a URL path of the navigation; None: the current page) and read until
        its ``script_finished``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        bm = BackMsg()
        rs = bm.rerun_script
        rs.query_string = self.query
        if page is not None and page in self.pages:
            rs.page_script_hash = self.pages[page]
        rs.page_name = page_name
        if widgets:
            rs.widget_states.widgets.extend(widgets)
        t0 = time.perf_counter()
        await self._send(bm)
        return await self._read_run(t0)

    async def _read_run(self, t0: float) -> Run:
        out = Run(0.0)
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while True:
            fm = await self._recv(deadline)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages if p.url_pathname}
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self._element(fm, out)
            elif kind == "script_finished":
                status = fm.script_finished
                if status == fm.FINISHED_EARLY_FOR_RERUN:   # the rerun follows: its elements replace these
                    out = Run(0.0)
                    continue
                out.compile_error = status == fm.FINISHED_WITH_COMPILE_ERROR
                out.ms = (time.perf_counter() - t0) * 1000
                return out

    @staticmethod
    def _element(fm: Any, out: Run) -> None:
        el = fm.delta.new_element
        kind = el.WhichOneof("type")
        path = list(fm.metadata.delta_path)
        main = bool(path) and path[0] == 0
        if main:
            out.elements += 1
        if kind == "exception":
            out.exceptions.append(f"{el.exception.type}: {el.exception.message[:200]}")
        elif kind in ("heading", "markdown"):
            if main:
                out.texts.append(getattr(el, kind).body)
        elif kind == "alert":
            if main:
                out.texts.append(el.alert.body)
        elif kind == "metric":
            if main:
                out.texts.append(f"{el.metric.label} {el.metric.body}")
        elif kind in ("file_uploader", "button", "radio"):
            out.widgets[getattr(el, kind).label] = (kind, getattr(el, kind))

    async def open(self, plan: Plan, page: str) -> Run:
        """The first request of a tab opened on ``/page?piano=ID``."""
        self.query = f"piano={plan.plan_id}"
        return await self.run(None, page_name=page)

    # ------------------------------------------------------------------------- upload (as the front end)
    async def upload(self, name: str, data: bytes) -> float:
        """Upload ``data`` in «Carica foglio» and confirm the import; returns the ms from the confirmation
        to the page saying «Importato» (the session then shows the new plan, as after a real import).
        Raises :class:`SessionError` when any step fails."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        page = await self.run(UPLOAD_PAGE)
        uploader = next((w for k, w in page.widgets.values() if k == "file_uploader"), None)
        if uploader is None:
            raise SessionError("«Carica foglio» senza caricatore di file")
        self._request_id += 1
        req = BackMsg()
        req.file_urls_request.request_id = str(self._request_id)
        req.file_urls_request.file_names.append(name)
        req.file_urls_request.session_id = self.session_id
        await self._send(req)
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while True:
            fm = await self._recv(deadline)
            if fm.WhichOneof("type") == "file_urls_response" and fm.file_urls_response.response_id == str(self._request_id):
                break
        resp = fm.file_urls_response
        if resp.error_msg or not resp.file_urls:
            raise SessionError(f"indirizzo di caricamento negato: {resp.error_msg}")
        urls = resp.file_urls[0]
        body, ctype = _multipart(name, data, XLSX_MIME)
        headers = {"Content-Type": ctype, "Origin": self.base}
        if self.xsrf:
            headers.update({"X-Xsrftoken": self.xsrf, "Cookie": f"{XSRF_COOKIE}={self.xsrf}"})
        status, _, text = await asyncio.to_thread(_http, self.base, "PUT", urlsplit(urls.upload_url).path
                                                  if urls.upload_url.startswith("http") else urls.upload_url,
                                                  body, headers)
        if status >= 300:
            raise SessionError(f"caricamento rifiutato ({status}): {text[:200]!r}")
        ws = WidgetState(id=uploader.id)
        info = ws.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        state = [ws]
        page = await self.run(UPLOAD_PAGE, state)
        for label, (kind, w) in page.widgets.items():          # «È lo stesso ente di …?» → no, a new ente
            if kind == "radio" and label.startswith(SAME_ENTE_PREFIX):
                state.append(WidgetState(id=w.id, int_value=list(w.options).index(NOT_SAME_ENTE)))
                page = await self.run(UPLOAD_PAGE, state)
        confirm = page.widgets.get(CONFIRM_LABEL)
        if confirm is None:
            raise SessionError("nessun pulsante «Conferma importazione»: " + " | ".join(page.texts)[:300])
        t0 = time.perf_counter()
        page = await self.run(UPLOAD_PAGE, state + [WidgetState(id=confirm[1].id, trigger_value=True)])
        if page.exceptions or not any("Importato" in t for t in page.texts):
            raise SessionError("importazione non confermata: " + " | ".join(page.exceptions + page.texts)[:300])
        return (time.perf_counter() - t0) * 1000


# ----------------------------------------------------------------------------- a level of load
def names_plan(run: Run, plan: Plan) -> bool:
    """The page's elements name the plan the session opened on (its ente or its title)."""
    text = "\n".join(run.texts)
    return plan.ente in text or plan.titolo in text


@dataclass
class LevelStats:
    times_ms: list[float] = field(default_factory=list)
    open_ms: list[float] = field(default_factory=list)
    errors: int = 0
    exceptions: int = 0
    compile_errors: int = 0
    dropped: int = 0
    wrong_plan: int = 0
    uploads_ms: list[float] = field(default_factory=list)
    upload_errors: int = 0
    messages: list[str] = field(default_factory=list)

    def error(self, msg: str) -> None:
        self.errors += 1
        if len(self.messages) < 20:
            self.messages.append(msg)


async def _session(k: int, base: str, plans: list[Plan], until: float, pause: float | None, rng: random.Random,
                   stats: LevelStats, upload: tuple[str, bytes, str] | None) -> None:
    plan = plans[k % len(plans)]
    pages = list(DASHBOARD_PAGES)
    s = Session(base)
    i = k % len(pages)
    try:
        if pause:   # people do not all arrive in the same second
            await asyncio.sleep(rng.uniform(0, pause))
        await s.connect()
        first = await s.open(plan, pages[i])
        stats.open_ms.append(first.ms)
        _check(first, plan, pages[i], stats)
        if upload is not None:
            try:
                stats.uploads_ms.append(await s.upload(upload[0], upload[1]))
                plan = Plan(-1, upload[2], upload[2])      # the pages now show the imported plan
            except SessionError as exc:
                stats.upload_errors += 1
                stats.error(f"sessione {k}, caricamento: {exc}")
        while time.monotonic() < until:
            if pause:
                await asyncio.sleep(pause * rng.uniform(0.5, 1.5))
                if time.monotonic() >= until:
                    break
            i += 1
            page = pages[i % len(pages)]
            run = await s.run(page)
            _check(run, plan, page, stats)
    except SessionError as exc:
        stats.dropped += 1
        stats.error(f"sessione {k}: {exc}")
    except OSError as exc:      # refused connection
        stats.dropped += 1
        stats.error(f"sessione {k}: {type(exc).__name__}: {exc}")
    finally:
        await s.close()


def _check(run: Run, plan: Plan, page: str, stats: LevelStats) -> None:
    stats.times_ms.append(run.ms)
    if run.exceptions:
        stats.exceptions += 1
        stats.error(f"{page} (piano {plan.plan_id}): eccezione {run.exceptions[0]}")
    elif run.compile_error:
        stats.compile_errors += 1
        stats.error(f"{page}: errore di compilazione")
    elif not names_plan(run, plan):
        stats.wrong_plan += 1
        stats.error(f"{page}: la pagina non nomina il piano {plan.plan_id} ({plan.ente}): "
                    + " | ".join(run.texts)[:300])


async def warm_up(server: Any, plans: list[Plan]) -> dict[str, Any]:
    """One session opens every dashboard page once before the levels, as the first visitor of a new server.
    Also needed because of a cold-start race in the app (report: concurrent first sessions on a fresh
    server may run a page in Streamlit's legacy ``pages/`` mode, see ui.common.ensure_app_navigation)."""
    s = Session(server.url)
    t0 = time.perf_counter()
    await s.connect()
    try:
        await s.open(plans[0], DASHBOARD_PAGES[0])
        for page in DASHBOARD_PAGES[1:]:
            await s.run(page)
    finally:
        await s.close()
    return {"pages": len(DASHBOARD_PAGES), "s": time.perf_counter() - t0}


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


async def run_level(server: Any, plans: list[Plan], n: int, seconds: float, pause: float | None, seed: int,
                    uploads: Callable[[int], tuple[str, bytes, str]] | None = None) -> dict[str, Any]:
    """``n`` sessions for ``seconds`` against ``server`` (a :class:`bench.browser.Server`): one in ten
    uploads ``uploads(k)`` first. ``pause``: None = back to back, else the mean reading pause (± 50%)."""
    from bench.browser import _RssSampler

    stats = LevelStats()
    sampler = _RssSampler(server)
    sampler.start()
    cpu0, t0 = server.cpu_s(), time.monotonic()
    until = t0 + seconds
    rngs = [random.Random(seed * 1000 + k) for k in range(n)]
    await asyncio.gather(*(_session(k, server.url, plans, until, pause, rngs[k], stats,
                                    uploads(k) if uploads is not None and k % 10 == 0 else None)
                           for k in range(n)))
    wall = time.monotonic() - t0
    peak = sampler.stop()
    pages = len(stats.times_ms)
    return {"sessions": n, "p50_ms": _pct(stats.times_ms, 50), "p95_ms": _pct(stats.times_ms, 95),
            "max_ms": max(stats.times_ms, default=None), "open_p50_ms": _pct(stats.open_ms, 50),
            "open_p95_ms": _pct(stats.open_ms, 95), "pages": pages, "pages_per_s": pages / wall if wall else None,
            "errors": stats.errors, "exceptions": stats.exceptions, "compile_errors": stats.compile_errors,
            "dropped": stats.dropped, "wrong_plan": stats.wrong_plan, "uploads": len(stats.uploads_ms),
            "upload_errors": stats.upload_errors, "upload_p50_ms": _pct(stats.uploads_ms, 50),
            "server_cpu_s": server.cpu_s() - cpu0, "peak_rss_mb": peak, "duration_s": wall,
            "pause_s": pause, "error_messages": stats.messages}


DEMO = "data/demo"


def add_demo_plans(db_path: str | Path, root: Path) -> int:
    """Import the demo workbooks (``data/demo/*.xlsx``) into ``db_path``: the load test opens its sessions on
    the four real plans too, not only on the synthetic regional ones. Returns how many were imported."""
    from loaders import IMPORTED, import_file
    from store import Database

    db = Database(db_path)
    try:
        return sum(import_file(db, f, user="bench").status == IMPORTED for f in sorted((root / DEMO).glob("*.xlsx")))
    finally:
        db.close()


def plans_of(db_path: str | Path, root: Path, regional: int = 6) -> list[Plan]:
    """The plans the sessions open on: the demo plans and ``regional`` plans spread over the regional
    database, interleaved (read before the server opens the file: DuckDB locks it per process)."""
    from store import Database

    demo_files = sorted(f.name for f in (root / DEMO).glob("*.xlsx"))
    db = Database(db_path)
    try:
        rows = [Plan(int(a), b, c) for a, b, c in db.rows("SELECT plan_id, ente, titolo FROM plans ORDER BY plan_id")]
        demo_ids = {int(r[0]) for r in db.rows(
            f"SELECT DISTINCT plan_id FROM imports WHERE file_name IN ({', '.join('?' * len(demo_files))})",
            demo_files)} if demo_files else set()
    finally:
        db.close()
    demo = [p for p in rows if p.plan_id in demo_ids]
    others = [p for p in rows if p.plan_id not in demo_ids]
    step = max(1, len(others) // max(1, regional))
    picked = others[::step][:regional]
    out: list[Plan] = []
    for k in range(max(len(demo), len(picked))):
        out += demo[k:k + 1] + picked[k:k + 1]
    return out


def upload_maker(work: Path, objectives: int = 20) -> Callable[[int], tuple[str, bytes, str]]:
    """``k`` → (file name, bytes, ente) of a new small synthetic plan of its own ente at every call (each
    upload imports a new plan, never «già importato»)."""
    from bench import synth

    made = [0]

    def make(k: int) -> tuple[str, bytes, str]:
        made[0] += 1
        seed = 9000 + made[0]
        ente = f"Consorzio Sintetico del Carico {seed}"
        path, _ = synth.workbook(synth.Shape(objectives=objectives, seed=seed, ente=ente), work, f"carico-{seed}")
        return f"carico_{seed}.xlsx", path.read_bytes(), ente
    return make


async def element_check(context: Any, server: Any, plan: Plan, page: str = "panoramica") -> dict[str, Any]:
    """The protocol client sees what a browser shows: the elements of the main area of ``page`` opened on
    ``plan``, counted by a protocol session and in Chromium (``stElementContainer`` in ``stMain``)."""
    from bench.browser import _new_tab, _script_done

    s = Session(server.url)
    await s.connect()
    try:
        run = await s.open(plan, page)
    finally:
        await s.close()
    tab, _ = await _new_tab(context)
    try:
        await tab.goto(f"{server.url}/{page}?piano={plan.plan_id}", wait_until="commit")
        await _script_done(tab)
        await tab.wait_for_timeout(1000)            # lazy elements (charts) mount after the run
        await _script_done(tab)
        shown = await tab.locator("[data-testid='stMain'] [data-testid='stElementContainer']").count()
    finally:
        await tab.close()
    return {"page": page, "plan_id": plan.plan_id, "protocol_elements": run.elements, "browser_elements": shown,
            "same": run.elements == shown}


@dataclass
class LoadOptions:
    back_to_back: tuple[int, ...] = (10, 25, 50)
    reading: tuple[int, ...] = (25, 50, 100)
    b2b_s: float = 8.0
    reading_s: float = 15.0
    seed: int = 2026


async def run_load(server: Any, plans: list[Plan], opts: LoadOptions | None = None,
                   uploads: Callable[[int], tuple[str, bytes, str]] | None = None,
                   log: Callable[[str], None] = print) -> dict[str, Any]:
    """Both regimes against one running server; the ``load`` block of results.json."""
    o = opts or LoadOptions()
    back_to_back, reading, b2b_s, reading_s, seed = o.back_to_back, o.reading, o.b2b_s, o.reading_s, o.seed
    out: dict[str, Any] = {"back_to_back": {}, "reading": {}}
    out["warm_up"] = await warm_up(server, plans)
    for n in back_to_back:
        r = await run_level(server, plans, n, b2b_s, None, seed + n, uploads)
        out["back_to_back"][str(n)] = r
        log(f"   di seguito N={n}: p50 {r['p50_ms'] or 0:.0f} ms, p95 {r['p95_ms'] or 0:.0f} ms, "
            f"{r['pages_per_s']:.1f} pagine/s, errori {r['errors']}, CPU server {r['server_cpu_s']:.1f} s, "
            f"RSS {r['peak_rss_mb']:.0f} MB")
    for n in reading:
        r = await run_level(server, plans, n, reading_s, READING_PAUSE_S, seed + 7 * n, uploads)
        out["reading"][str(n)] = r
        log(f"   lettura 2 s N={n}: p50 {r['p50_ms'] or 0:.0f} ms, p95 {r['p95_ms'] or 0:.0f} ms, "
            f"{r['pages_per_s']:.1f} pagine/s, errori {r['errors']}, CPU server {r['server_cpu_s']:.1f} s, "
            f"RSS {r['peak_rss_mb']:.0f} MB")
    rates = [v["pages_per_s"] for v in out["back_to_back"].values() if v["pages_per_s"]]
    out["saturation_pages_per_s"] = max(rates) if rates else None
    out["plans"] = [p.plan_id for p in plans]
    out["uptime_load_avg"] = [round(x, 2) for x in os.getloadavg()]
    out["method"] = (f"Sessioni senza browser nel protocollo di Streamlit (BackMsg/ForwardMsg su /_stcore/stream): "
                     f"ognuna apre un piano (?piano=ID), chiede a turno le dieci pagine del cruscotto e attende "
                     f"script_finished; una su dieci carica e conferma un foglio. Di seguito: {b2b_s:.0f} s per "
                     f"livello senza pause; lettura: {reading_s:.0f} s con pause di {READING_PAUSE_S:g} s ± 50% "
                     "(seme fisso). Errori: un elemento exception, un errore di compilazione, un socket chiuso, una "
                     "pagina che non nomina il piano aperto.")
    return out



def standalone(db_path: str | Path, work: Path, opts: LoadOptions | None = None, upload: bool = True,
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """The load test on its own server (``streamlit run app.py`` on ``db_path``, which must hold the plans:
    see :func:`add_demo_plans`); ``make bench`` runs it on the browser bench's server instead."""
    from bench.browser import ROOT, Server, run_async

    work.mkdir(parents=True, exist_ok=True)
    plans = plans_of(db_path, ROOT)
    server = Server(ROOT / "app.py", Path(db_path), work / "load-app.log")
    try:
        return run_async(run_load(server, plans, opts, upload_maker(work) if upload else None, log))
    finally:
        server.stop()
