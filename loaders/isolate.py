"""Untrusted workbooks are read in a child process (issue 12).

A value in cell XFD1048576 makes the reading library ask for 549.755.813.888 bytes and abort the
process; a crafted file can take minutes. :func:`run_isolated` forks, caps the child's address space
(``RLIMIT_AS``: what it has at the fork plus :data:`MEMORY_BUDGET_MB`) and CPU time, runs the reader
and validator there and gets the validated result back through a pipe (pickle). If the child dies,
hits a limit or runs out of time, the caller gets an Italian refusal; this process (the Streamlit
server, or the CLI) and the database are untouched.

The fork happens after every library is imported, so the child starts in a few milliseconds;
measurements in README.md («Robustezza»).
"""
from __future__ import annotations

import fcntl
import gc
import os
import pickle
import resource
import select
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from store import incident
from loaders.parsed import ParsedPlan
from loaders.problems import Problem, ProblemList

MEMORY_BUDGET_MB = int(os.environ.get("CRUSCOTTO_PARSE_MEMORY_MB", "320"))   # beyond what the parent holds (the bench's 68.020-row plan needs ~100)
TIME_LIMIT_S = float(os.environ.get("CRUSCOTTO_PARSE_TIMEOUT_S", "60"))


@dataclass
class ChildStats:
    """What the last isolated run cost (tests and the fuzz suite read it)."""
    seconds: float = 0.0
    max_rss_mb: float = 0.0
    outcome: str = ""          # "ok", "eccezione", "memoria", "tempo", "terminato"


last_stats = ChildStats()


def enabled() -> bool:
    return hasattr(os, "fork") and os.environ.get("CRUSCOTTO_ISOLATE", "1") != "0"


def _vsize() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(fn: Callable, args: tuple, w: int, memory_mb: int, time_s: float) -> None:
    """In the child: limits, run, pickle the result to ``w``; never returns."""
    code = 0
    try:
        try:
            limit = _vsize() + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (OSError, ValueError):
            pass
        cpu = int(time_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        import faulthandler

        faulthandler.disable()                        # its dump would reach the parent's terminal
        devnull = os.open(os.devnull, os.O_WRONLY)   # a native crash report is no message for a user
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # No cyclic collector in this short-lived process (its memory is capped and freed at exit): a
        # collection would walk every object inherited from the parent and copy their pages (fork's
        # copy-on-write), ~0,1 s for a server-sized parent.
        gc.disable()
        try:
            payload = ("ok", fn(*args))
        except MemoryError:
            payload = ("memoria", None)
        except BaseException:  # noqa: BLE001 - reported to the parent as an incident
            payload = ("eccezione", traceback.format_exc())
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            n = os.write(w, view[:1 << 20])
            view = view[n:]
        os.close(w)   # the parent gets its end-of-file now, not after this process has freed its memory
    except MemoryError:
        code = 3
    except BaseException:  # noqa: BLE001
        code = 4
    finally:
        os._exit(code)


def _refusal(file_name: str, why: str) -> Any:
    return ParsedPlan(problems=ProblemList([Problem.file(
        f"File troppo grande o danneggiato: «{file_name or 'file'}» {why}. La lettura è stata interrotta; "
        "il database non è stato modificato.")]))


def run_isolated(fn: Callable, data: bytes, file_name: str = "", *, memory_mb: int | None = None,
                 time_s: float | None = None) -> Any:
    """``fn(data, file_name)`` in a child process with a memory ceiling and a time limit."""
    global last_stats
    if not enabled():
        return fn(data, file_name)
    memory_mb = memory_mb or MEMORY_BUDGET_MB
    time_s = time_s or TIME_LIMIT_S
    t0 = time.perf_counter()
    r, w = os.pipe()
    try:   # a bigger pipe: the result (megabytes) crosses in fewer round trips
        fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        _child(fn, (data, file_name), w, memory_mb, time_s)
    os.close(w)
    chunks: list[bytes] = []
    timed_out = False
    deadline = time.monotonic() + time_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(r, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(r)
        if timed_out:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(pid, 0)
    stats = ChildStats(time.perf_counter() - t0, usage.ru_maxrss / 1024)
    last_stats = stats
    if timed_out:
        stats.outcome = "tempo"
        return _refusal(file_name, f"ha richiesto più di {time_s:.0f} secondi")
    payload = None
    if chunks:
        try:
            payload = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a truncated pipe: the child died while writing
            payload = None
    if payload is None:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        stats.outcome = "memoria" if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS) or \
            os.WEXITSTATUS(status) == 3 else "tempo" if sig in (signal.SIGXCPU, signal.SIGKILL) else "terminato"
        why = {"memoria": f"richiede più di {memory_mb} MB di memoria per essere letto",
               "tempo": f"ha richiesto più di {time_s:.0f} secondi"}.get(stats.outcome, "ha interrotto la lettura")
        return _refusal(file_name, why)
    kind, value = payload
    stats.outcome = kind
    if kind == "ok":
        return value
    if kind == "memoria":
        return _refusal(file_name, f"richiede più di {memory_mb} MB di memoria per essere letto")
    code = incident.record(f"lettura di «{file_name}»", tb=value)
    return ParsedPlan(problems=ProblemList([Problem.file(incident.message(code, f"la lettura di «{file_name}»"))]))
