"""Issue 12: the CLI while another process uses the database, crash safety (``kill -9``), backups."""
from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tests.workbooks import xlsx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# A process that uses the database as the Streamlit server does: version checks and queries in a loop,
# through store.Database; prints its figures as JSON at the end.
BROWSER = """
import json, sys, time
sys.path.insert(0, {root!r})
from store import get_db
db = get_db(sys.argv[1]); end = time.time() + float(sys.argv[2]); n = errors = 0; versions = set()
while time.time() < end:
    try:
        versions.add(db.version()); db.scalar("SELECT count(*) FROM steps"); n += 1
    except Exception as exc:
        errors += 1; print(repr(exc), file=sys.stderr)
    time.sleep(0.005)
print(json.dumps({{"queries": n, "errors": errors, "versions": len(versions), "opens": db.opens}}))
"""
# A process that holds the file and never lets go (DuckDB directly, as the server did before issue 12).
HOGGER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1]); print("pronto", flush=True); time.sleep(float(sys.argv[2]))
"""


def run(args: list[str], env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([PY, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def demo_file(tmp_path) -> Path:
    path = tmp_path / "cli.duckdb"
    r = run(["-m", "loaders", "import", str(DEMO / "000_cssm_piao_2025_2027.xlsx"), "--db", str(path), "--user", "t"])
    assert r.returncode == 0, r.stderr
    return path


def test_cli_import_report_and_history_while_another_process_browses(demo_file, tmp_path):
    browser = subprocess.Popen([PY, "-c", BROWSER.format(root=str(ROOT)), str(demo_file), "25"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)                                     # the browsing process has the file open
    small = tmp_path / "piccolo.xlsx"
    small.write_bytes(xlsx())
    t0 = time.monotonic()
    imp = run(["-m", "loaders", "import", str(small), "--db", str(demo_file), "--user", "cli"])
    t_import = time.monotonic() - t0
    hist = run(["-m", "loaders", "history", "--db", str(demo_file)])
    rep = run(["-m", "metrics", "report", "--db", str(demo_file), "--ente", "Consorzio Test", "--format", "json"])
    out, err = browser.communicate(timeout=120)
    for r in (imp, hist, rep):
        assert r.returncode == 0 and "Traceback" not in r.stderr + r.stdout, r.stderr
    assert "come versione 1" in imp.stdout and "piccolo.xlsx" in hist.stdout
    assert json.loads(rep.stdout)["plan"]["ente"] == "Consorzio Test"
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["errors"] == 0 and figures["queries"] > 100, err
    assert figures["versions"] == 2                   # the browsing process saw the CLI's import
    print(f"\nimportazione da riga di comando mentre un altro processo legge: {t_import:.2f} s; "
          f"il processo che legge: {figures}")


def test_cli_that_cannot_get_the_file_says_why_in_italian_and_exits_1(demo_file, tmp_path):
    hog = subprocess.Popen([PY, "-c", HOGGER, str(demo_file), "900"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert hog.stdout.readline().strip() == "pronto"
        small = tmp_path / "piccolo.xlsx"
        small.write_bytes(xlsx())
        env = {"CRUSCOTTO_LOCK_WAIT_S": "2"}
        for args in (["-m", "loaders", "import", str(small)], ["-m", "loaders", "history"],
                     ["-m", "loaders", "restore", "1"], ["-m", "metrics", "report", "--format", "json"],
                     ["-m", "store", "backup"]):
            r = run(args + ["--db", str(demo_file)], env=env)
            text = r.stdout + r.stderr
            assert r.returncode == 1, (args, text)
            assert "Traceback" not in text and "IOException" not in text, text
            assert "è occupato da un altro programma" in text and "nessuna modifica è stata fatta" in text, text
    finally:
        hog.kill()
        hog.wait()
    r = run(["-m", "loaders", "history", "--db", str(demo_file)])
    assert r.returncode == 0 and "000_cssm" in r.stdout


def test_backup_and_restore_bring_back_a_consistent_copy(demo_file, tmp_path):
    copy = tmp_path / "copia.duckdb"
    r = run(["-m", "store", "backup", "--db", str(demo_file), "--out", str(copy)])
    assert r.returncode == 0 and "Copia del database scritta" in r.stdout, r.stderr
    small = tmp_path / "piccolo.xlsx"
    small.write_bytes(xlsx())
    assert run(["-m", "loaders", "import", str(small), "--db", str(demo_file)]).returncode == 0
    r = run(["-m", "store", "restore", str(copy), "--db", str(demo_file)])
    assert r.returncode == 0 and "(1 piani)" in r.stdout, r.stderr
    safety = Path(re.search(r"salvato in (\S+)\.$", r.stdout.strip()).group(1))
    hist = run(["-m", "loaders", "history", "--db", str(demo_file)]).stdout
    assert "000_cssm" in hist and "piccolo.xlsx" not in hist
    hist_safety = run(["-m", "loaders", "history", "--db", str(safety)]).stdout
    assert "piccolo.xlsx" in hist_safety                 # the replaced database was kept
    bad = tmp_path / "non-un-db.duckdb"
    bad.write_bytes(b"x" * 100)
    r = run(["-m", "store", "restore", str(bad), "--db", str(demo_file)])
    assert r.returncode == 1 and "non è una copia leggibile" in r.stderr and "Traceback" not in r.stderr


def test_daily_backups_keep_the_last_seven(demo_file):
    from store.backup import daily

    folder = demo_file.parent
    for day in range(1, 10):                          # nine older daily copies
        (folder / f"cli.giornaliero-2026-01-{day:02d}.duckdb").write_bytes(b"")
    made, removed = daily(demo_file, keep=7)
    assert made is not None and made.exists()
    kept = sorted(p.name for p in folder.glob("cli.giornaliero-*.duckdb"))
    assert len(kept) == 7 and kept[-1] == made.name and len(removed) == 3
    assert daily(demo_file, keep=7)[0] is None        # one a day


# ----------------------------------------------------------------------------- kill -9
def consistency(path: Path) -> dict:
    """Open the file (it must open) and check that every version is complete."""
    from store import Database

    db = Database(path)
    try:
        bad = db.rows("""
            SELECT i.import_id FROM imports i
            WHERE i.n_objectives <> (SELECT count(*) FROM objectives o WHERE o.import_id = i.import_id)
               OR i.n_steps <> (SELECT count(*) FROM steps s WHERE s.import_id = i.import_id)
               OR i.n_verifications <> (SELECT count(*) FROM verifications v WHERE v.import_id = i.import_id)
               OR 1 <> (SELECT count(*) FROM audit_log a WHERE a.import_id = i.import_id AND a.action = 'import')""")
        orphans = db.scalar("SELECT count(*) FROM steps WHERE import_id NOT IN (SELECT import_id FROM imports)")
        current = db.scalar("SELECT count(*) FROM plans p JOIN imports i ON i.import_id = p.current_import_id")
        plans = db.scalar("SELECT count(*) FROM plans")
        versions = db.scalar("SELECT count(*) FROM imports")
    finally:
        db.close()
    assert not bad and orphans == 0 and current == plans, (bad, orphans, current, plans)
    return {"versions": versions}


def test_kill_9_at_random_moments_of_a_large_import_leaves_the_old_or_the_new_version(tmp_path):
    from bench import synth

    shape = synth.Shape(objectives=300, steps_per_objective=10, verifications_per_step=2, seed=9)
    big, _ = synth.workbook(shape, tmp_path, "grande")
    db = tmp_path / "kill.duckdb"
    r = run(["-m", "loaders", "import", str(big), "--db", str(db)])
    assert r.returncode == 0, r.stderr
    base = big.read_bytes()

    def variant(i: int) -> Path:  # same content, another file (SHA): every trial writes a whole new version
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in zin.infolist():
                body = zin.read(info.filename)
                if info.filename == "docProps/core.xml":
                    body += f"<!-- prova {i} -->".encode()
                zo.writestr(info, body)
        p = tmp_path / f"prova-{i}.xlsx"
        p.write_bytes(out.getvalue())
        return p

    t0 = time.monotonic()
    r = run(["-m", "loaders", "import", str(variant(0)), "--db", str(db)])
    full = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    rng = random.Random(12)
    versions = consistency(db)["versions"]
    outcomes = {"vecchia": 0, "nuova": 0}
    for i in range(1, 21):
        f = variant(i)
        proc = subprocess.Popen([PY, "-m", "loaders", "import", str(f), "--db", str(db)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.1) * full)      # from process start to just after the commit
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        now = consistency(db)["versions"]
        assert now in (versions, versions + 1)
        outcomes["nuova" if now > versions else "vecchia"] += 1
        versions = now
        f.unlink()
    print(f"\n20 kill -9 (importazione completa {full:.1f} s): {outcomes}")
    assert sum(outcomes.values()) == 20


def test_a_busy_server_hands_the_file_over_to_a_cli_import(tmp_path):
    """20 threads querying without pause (a busy server is never idle) and a CLI import of a large plan:
    the import gets the file, every query succeeds."""
    import threading

    from bench import synth
    from loaders import import_file
    from store import Database

    big, _ = synth.workbook(synth.Shape(objectives=150, seed=7, ente="Consorzio Concorrente"), tmp_path, "grande")
    db = Database(tmp_path / "busy.duckdb")
    assert import_file(db, DEMO / "000_cssm_piao_2025_2027.xlsx").ok
    stop, errors, counts = threading.Event(), [], [0] * 20

    def reader(i: int) -> None:
        while not stop.is_set():
            try:
                db.version()
                db.df("SELECT * FROM steps LIMIT 100")
                counts[i] += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(20)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        r = run(["-m", "loaders", "import", str(big), "--db", str(db.path)])
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert r.returncode == 0 and "come versione 1" in r.stdout, r.stdout + r.stderr
    assert errors == [] and all(counts)
    assert db.scalar("SELECT count(*) FROM plans") == 2              # the reader sees the CLI's plan
    db.close()
