"""Issue 18: a pre-filled round workbook as LibreOffice Calc renders it (PDF, then PNG pages in
``tests/artifacts/giri/`` for a human to look at): landscape A4 pages, the fill-in sheet one page wide with every
column header, the instructions and the read-only steps with their whole descriptions."""
from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from loaders import import_file
from loaders import rounds as R
from store import Database
from store.access import local_administrator
from tests.conftest import DEMO
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_export_render import page_sizes, to_pdf

pytestmark = pytest.mark.e2e


def test_round_workbook_renders_readable(tmp_path):
    db = Database(":memory:")
    res = import_file(db, DEMO / "002_cissa_pianezza_2023.xlsx", user="test")
    me = local_administrator()
    rid = R.open_round(db, me, res.plan_id, dt.date(2023, 8, 31), dt.date(2023, 9, 15))
    _fname, data = R.round_workbook(db, me, rid, "Responsabile minori disabili")
    src = tmp_path / "giro.xlsx"
    src.write_bytes(data)
    (pdf,) = to_pdf([src], tmp_path)
    sizes = page_sizes(pdf)
    assert sizes and all(w > h for w, h in sizes), sizes          # landscape
    assert len(sizes) <= 4                                        # Istruzioni, Verifiche, Step assegnati (one wide)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    verif = next(p for p in pages if "Data verifica" in p and "31/08/2023" in p and "4.12" in p)
    for header in R.HEADERS:                                      # every column on the same page
        assert header in verif, header
    assert "Giro di monitoraggio n." in pages[0] and "15/09/2023" in pages[0]
    assert "Quantificazione dell'importo" in text                 # step 4.1's description, whole words
    out = ARTIFACTS / "giri"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / "foglio_giro")], check=True)
