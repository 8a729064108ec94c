"""Issue 12: a few hundred seeded bad and odd workbooks through the CLI import (``make fuzz``: thousands).

Each file: no traceback, exit code 0 or 1, the database unchanged table by table after a refusal, an
Italian message naming the sheet where the fault has a location, under 30 s and 500 MB, every figure of
an accepted file finite and within 0–100; no incident. See tests/fuzz.py for the families."""
from __future__ import annotations

import os

from tests import fuzz

FILES = int(os.environ.get("CRUSCOTTO_FUZZ_FILES", "225"))     # 25 per family


def test_fuzz_seeded_workbooks(tmp_path, monkeypatch):
    monkeypatch.setenv("CRUSCOTTO_INCIDENT_LOG", str(tmp_path / "incidenti.log"))
    from store import incident

    monkeypatch.setattr(incident, "_logger", None)
    s = fuzz.run(seed=2026, n=FILES, work=tmp_path)
    print(f"\nfuzz: {s.files} file, {s.refused} rifiutati, {s.accepted} importati, {s.unchanged} invariati, "
          f"max {s.max_seconds:.2f} s, max {s.max_rss_mb:.0f} MB, incidenti {s.incidents}, {s.seconds:.0f} s; "
          f"famiglie {s.by_family}")
    assert s.files == FILES and set(s.by_family) == set(fuzz.FAMILIES)
    assert s.refused > FILES // 3 and s.accepted > 0        # the generator produces both
    assert s.incidents == 0
    assert s.failures == [], "\n".join(s.failures[:30])
