"""Issue 21: kaleido finds a browser only *by name* (``chromium``, Chrome…), and a fresh machine has only
Debian's ``chromium-headless-shell`` (what the Makefile installs). Every drawing must go through the
project's one lookup, ``exports.images.browser_path`` (which sets ``$BROWSER_PATH`` for kaleido).

The guard runs in a child process whose PATH holds no ``chromium`` / Chrome at all, only the headless
shell, and draws one figure to SVG and to PNG through the product's path. Its negative control, in the
same child, is the bypass that broke ``make test``: ``plotly.io.to_image`` must fail there; if it does
not, the child is not the fresh machine it stands for and the test says so.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exports.images import browser_path

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BY_NAME = ("chromium", "chromium-browser", "chrome", "google-chrome", "google-chrome-stable")

CHILD = r"""
import json, shutil, sys
import plotly.graph_objects as go
from exports.images import browser_path, to_png, to_svg
fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
out = {"by_name": [n for n in %r if shutil.which(n)], "browser": browser_path()}
svg = to_svg(fig, width=400)
png = to_png([fig], width=400, scale=1)[0]
out["svg"] = bool(svg) and svg.lstrip().startswith("<svg")
out["png"] = bool(png) and png[:8] == b"\x89PNG\r\n\x1a\n"
import plotly.io as pio
try:
    pio.to_image(fig, format="svg", width=400)
    out["bypass"] = "drew"
except Exception as exc:  # kaleido: «requires Chrome to be installed»
    out["bypass"] = type(exc).__name__
print(json.dumps(out))
""" % (BY_NAME,)


def _bare_path(tmp_path: Path, shell: str) -> str:
    """Only the headless shell (through a bin of its own) and PATH entries with no browser by name."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium-headless-shell").symlink_to(os.path.realpath(shell))
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not any(os.access(os.path.join(d, n), os.X_OK) for n in BY_NAME)]
    return os.pathsep.join([str(bin_dir), *keep])


def test_drawing_needs_no_browser_by_name(tmp_path):
    shell = next((p for p in (browser_path(),) if p and "headless" in Path(p).name), None) \
        or ("/usr/bin/chromium-headless-shell" if os.access("/usr/bin/chromium-headless-shell", os.X_OK) else None)
    if shell is None:
        pytest.fail("Serve chromium-headless-shell di Debian (`make browser`)")
    env = {k: v for k, v in os.environ.items() if k != "BROWSER_PATH"}
    env.update(PATH=_bare_path(tmp_path, shell), PYTHONPATH=str(ROOT), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["by_name"] == [], f"il PATH del figlio contiene ancora un browser per nome: {out['by_name']}"
    assert out["bypass"] != "drew", "controllo negativo: plotly.io.to_image ha trovato un browser da solo"
    assert out["browser"] and Path(out["browser"]).name == "chromium-headless-shell", out
    assert out["svg"] and out["png"], out


def test_nothing_else_draws_around_the_lookup():
    """No code of the project calls kaleido / ``to_image`` / ``write_image`` except ``exports/images.py``."""
    pattern = re.compile(r"\b(to_image|write_image|calc_fig(_sync)?)\s*\(|^\s*(import|from)\s+kaleido\b|\bkaleido\.\w+\s*\(")
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "node_modules/")) or rel in ("exports/images.py", "tests/e2e/test_browser_lookup.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "disegno fuori da exports.images:\n" + "\n".join(offenders)
