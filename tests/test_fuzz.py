"""Issue 12: a few hundred seeded bad and odd workbooks through the CLI import (``make fuzz``: thousands).

Each file: no traceback, exit code 0 or 1, the database unchanged table by table after a refusal, an
Italian message naming the sheet where the fault has a location, under 30 s and 500 MB, every figure of
an accepted file finite and within 0–100; no incident. See tests/fuzz.py for the families.

The suite runs in a process of its own, as ``make fuzz`` and the CLI do: the parse is a child forked from
that process, and its memory (the 500 MB limit) would otherwise include whatever this pytest process has
accumulated from the tests before it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests import fuzz
from tests.conftest import ROOT

FILES = int(os.environ.get("CRUSCOTTO_FUZZ_FILES", "225"))     # 25 per family


def test_fuzz_seeded_workbooks(tmp_path):
    out = tmp_path / "fuzz.json"
    env = {**os.environ, "CRUSCOTTO_INCIDENT_LOG": str(tmp_path / "incidenti.log")}
    r = subprocess.run([sys.executable, "-m", "tests.fuzz", "--files", str(FILES), "--seed", "2026",
                        "--work", str(tmp_path / "work"), "--json", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    print(r.stdout[-3000:])
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["files"] == FILES and set(s["famiglie"]) == set(fuzz.FAMILIES)
    assert s["rifiutati"] > FILES // 3 and s["importati"] > 0        # the generator produces both
    assert s["incidenti"] == 0
    assert s["difetti"] == 0, "\n".join(ln for ln in r.stdout.splitlines() if ln.startswith("DIFETTO"))[:5000]
    assert s["rss_max_mb"] <= fuzz.MAX_RSS_MB and s["tempo_max_s"] <= 30
    assert r.returncode == 0, r.stderr[-3000:]
