"""Where a new session's server CPU goes: ``python -m bench.profile [rounds]``.

Starts ``streamlit run app.py`` on a copy of the regional bench database (``bench/work/regional.duckdb``,
built by ``make bench``), opens every page once in Chromium to warm the caches, then samples the server
with ``py-spy record`` (all threads, 200 Hz) while ``rounds`` × every page are opened in fresh tabs.
Prints the server CPU per new session and the functions with the most samples (inclusive and self time),
idle threads left out. The raw samples stay in ``bench/work/profile/py-spy.txt``.
"""
from __future__ import annotations

import asyncio
import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM_ARGS, Server, discover, page_urls, visit  # noqa: E402

WORK = ROOT / "bench" / "work" / "profile"
IDLE = ("time.sleep", "polling_path_watcher.py:90", "_worker (concurrent/futures/thread.py:81)",
        "select (selectors.py", "wait (threading.py")


def summarise(raw: Path, top: int = 30) -> str:
    """Inclusive and self shares of py-spy's ``raw`` (collapsed stacks) output, idle samples left out."""
    incl: collections.Counter = collections.Counter()
    self_: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        stack, n = line.rsplit(" ", 1)
        frames = stack.split(";")
        if any(i in frames[-1] for i in IDLE):
            continue
        total += int(n)
        for key in {re.sub(r":\d+\)$", ")", f) for f in frames}:
            incl[key] += int(n)
        self_[frames[-1]] += int(n)
    out = [f"campioni non inattivi / busy samples: {total}", "-- inclusivo / inclusive"]
    out += [f"{v / total * 100:5.1f}%  {k[:140]}" for k, v in incl.most_common(top)]
    out += ["-- proprio / self"] + [f"{v / total * 100:5.1f}%  {k[:140]}" for k, v in self_.most_common(top // 2)]
    return "\n".join(out)


async def _profile(rounds: int) -> str:
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import chromium_path

    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "profile.duckdb"
    shutil.copyfile(ROOT / "bench" / "work" / "regional.duckdb", db)
    raw = WORK / "py-spy.txt"
    app = Server(ROOT / "app.py", db, WORK / "server.log")
    try:
        pages = page_urls()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            for p in pages:
                p.update(await discover(context, f"{app.url}/{p['url']}"))
            spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(app.proc.pid),
                                    "-r", "200", "-f", "raw", "-o", str(raw), "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5)
            cpu0, n = app.cpu_s(), 0
            for _ in range(rounds):
                for p in pages:
                    await visit(context, f"{app.url}/{p['url']}", p["selector"], p["h1"], app, metrics=False)
                    n += 1
            per_session = (app.cpu_s() - cpu0) / n * 1000
            spy.send_signal(2)
            spy.wait(30)
            await browser.close()
    finally:
        app.stop()
    return f"{n} sessioni nuove: CPU del server {per_session:.0f} ms per sessione\n" + summarise(raw)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(asyncio.run(_profile(int(argv[0]) if argv else 2)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
