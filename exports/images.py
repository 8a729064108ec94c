"""Plotly figures as PNG (or SVG) for the static exports (the Word «Relazione»): the dashboard's own
figures, drawn by kaleido in Debian's Chromium. Kaleido ≥ 1 looks for ``chromium`` / Chrome *by name*,
and Debian's ``chromium-headless-shell`` (what ``make run`` / ``make test`` install) is not among those
names: every drawing goes through :func:`draw` here, which sets ``$BROWSER_PATH`` to
:func:`browser_path` for the batch. Nothing else in the project (tests, bench) calls
``plotly.io.to_image`` / ``write_image`` directly (``tests/e2e/test_browser_lookup.py`` keeps it so).
Kaleido's own browser download is never used.

One headless browser per batch of figures, started and stopped here (no browser left running in
the server), one batch at a time (kaleido's sync server is a process-wide singleton). When no
browser can be started the images are ``None`` and the caller says so in the document: the export
itself never fails because of a chart.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading

import plotly.graph_objects as go

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
#: The browsers looked for, first found wins: Debian's headless shell (what the Makefile installs), then a
#: full Chromium or Chrome. The one lookup of the project (the browser tests and the bench use it too).
BROWSERS = ("chromium-headless-shell", "chromium", "google-chrome", "chrome")
#: Longest wait for a batch of figures: a browser that starts but never answers must not hang the export.
TIMEOUT_S = 120.0


def browser_path() -> str | None:
    """The browser to draw with: ``$BROWSER_PATH``, else the first of :data:`BROWSERS` on the PATH or in
    ``/usr/bin`` (Debian's place, when a service runs with a bare PATH). None if that is not an executable
    file: kaleido would fail in a thread of its own and never answer."""
    path = os.environ.get("BROWSER_PATH") or next(filter(None, map(_find, BROWSERS)), None)
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def _find(name: str) -> str | None:
    usr = f"/usr/bin/{name}"
    return shutil.which(name) or (usr if os.access(usr, os.X_OK) else None)


def to_png(figures: list[go.Figure], width: int | list[int] = 1000, scale: float = 2.0) -> list[bytes | None]:
    """PNG bytes of each figure (``width`` px wide, or one width per figure; its own height), drawn
    in one browser session, or ``None`` for all when no browser can draw them."""
    return draw(figures, "png", width, scale)


def to_svg(figure: go.Figure, width: int = 900) -> str | None:
    """The figure as Plotly draws it, as SVG text (None when no browser can draw it)."""
    out = draw([figure], "svg", width, 1.0)[0]
    return out.decode("utf-8") if isinstance(out, bytes) else out


def draw(figures: list[go.Figure], fmt: str, width: int | list[int] = 1000,
         scale: float = 2.0) -> list[bytes | None]:
    """Each figure drawn by kaleido as ``fmt`` (png, svg…) in one browser session, the browser being
    :func:`browser_path`; ``None`` for all when no browser can draw them."""
    widths = list(width) if isinstance(width, (list, tuple)) else [width] * len(figures)
    if not figures:
        return []
    path = browser_path()
    if path is None:
        log.warning("Grafici della Relazione non disponibili: nessun Chromium trovato")
        return [None] * len(figures)
    try:
        import kaleido
    except ImportError:  # pragma: no cover - pinned in requirements.txt
        log.warning("Grafici della Relazione non disponibili: kaleido non installato")
        return [None] * len(figures)
    result: list = []

    def draw() -> None:
        kaleido.start_sync_server(silence_warnings=True)
        try:
            for f, w in zip(figures, widths):
                result.append(kaleido.calc_fig_sync(f, opts=dict(format=fmt, width=w,
                                                                 height=f.layout.height or 400, scale=scale)))
        finally:
            kaleido.stop_sync_server(silence_warnings=True)

    env_before = os.environ.get("BROWSER_PATH")
    with _LOCK:
        os.environ["BROWSER_PATH"] = path
        errors: list[BaseException] = []

        def run() -> None:
            try:
                draw()
            except Exception as exc:  # noqa: BLE001 - a chart must never break the export
                errors.append(exc)

        worker = threading.Thread(target=run, name="kaleido-batch", daemon=True)
        try:
            worker.start()
            worker.join(TIMEOUT_S)
        finally:
            if env_before is None:
                os.environ.pop("BROWSER_PATH", None)
            else:
                os.environ["BROWSER_PATH"] = env_before
        if worker.is_alive() or errors or len(result) != len(figures):
            log.warning("Grafici della Relazione non disponibili: %s",
                        errors[0] if errors else f"nessuna risposta dal browser entro {TIMEOUT_S:.0f} s")
            return [None] * len(figures)
        return result
