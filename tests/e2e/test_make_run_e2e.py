"""``make run`` on a fresh clone (the committed files only, ``git archive HEAD``): it opens straight onto the
demo, with no account to create, on 127.0.0.1 only; ``make run PORT=…`` and ``CRUSCOTTO_DB=altro.duckdb make run``
do what the README says; ``make run ADDRESS=0.0.0.0`` without accounts refuses to start.

The clone shares the project's ``.venv`` (a symlink, as in every worktree): ``make -o .venv/.installed`` tells
make not to reinstall it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, ROOT, _healthy, expect, free_port, full_screenshot, open_page

pytestmark = pytest.mark.e2e
MAKE_RUN_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("clone") / "cruscotto"
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True, timeout=120)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=120)
    (dest / ".venv").symlink_to((ROOT / ".venv").resolve())
    assert not (dest / "data" / "cruscotto.duckdb").exists()
    return dest


def make_run(clone: Path, log: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    out = open(log, "w", encoding="utf-8")
    return subprocess.Popen(["make", "-o", ".venv/.installed", "run", *args], cwd=clone, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "STREAMLIT_SERVER_HEADLESS": "true", **(env or {})})


def wait_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + MAKE_RUN_TIMEOUT_S
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"make run non è partito (exit {proc.poll()}):\n{log.read_text(errors='replace')}")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (psutil, pinned in requirements-dev.txt)."""
    import psutil

    return {c.laddr.ip for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port}


def test_make_run_opens_the_demo_at_once_on_loopback(page, clone, tmp_path):
    port = free_port()
    log = tmp_path / "make-run.log"
    proc = make_run(clone, log, f"PORT={port}")
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}", log)
        assert (clone / "data" / "cruscotto.duckdb").exists()
        assert listening_addresses(port) == {"127.0.0.1"}      # not 0.0.0.0, not the LAN address
        open_page(page, f"http://127.0.0.1:{port}/")
        expect(page.get_by_role("heading", name="Panoramica")).to_be_visible()
        expect(page.get_by_text("modalità locale: nessun accesso dalla rete")).to_be_visible()
        expect(page.get_by_role("button", name="Accedi")).to_have_count(0)
        expect(page.get_by_text("modalità sviluppo")).to_have_count(0)   # the edge (ui/server.py), not app.py alone
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=30) as r:
            assert r.status == 200 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        full_screenshot(page, ARTIFACTS / "make-run-clone-panoramica.png")
        text = log.read_text(errors="replace")
        assert "solo da questo computer" in text and f":{port}" in text
    finally:
        stop(proc)


def test_make_run_with_cruscotto_db_builds_and_opens_that_file(page, clone, tmp_path):
    port = free_port()
    log = tmp_path / "make-run-altro.log"
    proc = make_run(clone, log, f"PORT={port}", env={"CRUSCOTTO_DB": "altro.duckdb"})
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}", log)
        assert (clone / "altro.duckdb").exists()
        open_page(page, f"http://127.0.0.1:{port}/")
        expect(page.get_by_role("heading", name="Panoramica")).to_be_visible()
        expect(page.get_by_text("non contiene ancora alcun piano")).to_have_count(0)
        assert str(clone / "altro.duckdb") in log.read_text(errors="replace")
    finally:
        stop(proc)


def test_make_run_on_a_network_address_without_accounts_refuses_to_start(clone, tmp_path):
    port = free_port()
    log = tmp_path / "make-run-rete.log"
    proc = make_run(clone, log, f"PORT={port}", "ADDRESS=0.0.0.0")
    try:
        rc = proc.wait(timeout=MAKE_RUN_TIMEOUT_S)
    finally:
        stop(proc)
    text = log.read_text(errors="replace")
    assert rc != 0, text
    assert "non parte in ascolto su «0.0.0.0»" in text and "python -m store users add" in text
    assert not _healthy(f"http://127.0.0.1:{port}")
