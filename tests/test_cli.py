"""The CLI contract used by automation: exit codes, one-line summaries, JSON keys."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from tests.workbooks import BASE, sheets, xlsx


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def dbfile(tmp_path):
    return str(tmp_path / "cli.duckdb")


def test_import_ok_then_noop_then_refused(tmp_path, dbfile):
    good = tmp_path / "buono.xlsx"
    good.write_bytes(xlsx())
    r = run("loaders", "import", str(good), "--db", dbfile)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 and "versione 1" in r.stdout
    r = run("loaders", "import", str(good), "--db", dbfile)
    assert r.returncode == 0 and "già importato" in r.stdout
    bad = tmp_path / "rotto.xlsx"
    rows = [r[:] for r in BASE["Verifiche"]]
    rows[1][3] = "130%"
    bad.write_bytes(xlsx(sheets(Verifiche=rows)))
    r = run("loaders", "import", str(bad), "--db", dbfile)
    assert r.returncode == 1
    assert "Importazione rifiutata" in r.stdout and "foglio «Verifiche», riga 2, colonna «Raggiungimento»" in r.stdout


def test_template_is_importable_shape(tmp_path):
    out = tmp_path / "modello.xlsx"
    r = run("loaders", "template", str(out))
    assert r.returncode == 0 and out.exists()
    from openpyxl import load_workbook
    wb = load_workbook(out)
    assert wb.sheetnames == ["Istruzioni", "Esempio", "Piano", "Aree", "Obiettivi strategici", "Obiettivi", "Step", "Verifiche",
                             "Indicatori", "Personale"]
    assert [c.value for c in wb["Step"][1]][:4] == ["Obiettivo", "Codice", "Descrizione", "Inizio"]


def test_report_json_contract(tmp_path, dbfile):
    f = tmp_path / "p.xlsx"
    f.write_bytes(xlsx())
    assert run("loaders", "import", str(f), "--db", dbfile).returncode == 0
    r = run("metrics", "report", "--db", dbfile, "--format", "json", "--as-of", "31/08/2025")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # the contract only grows: issue 8 added profile, score, forecast (objectives: score, monitored, forecast;
    # steps: bounds); issue 16 added achievement_gross / achievement_net (plan and objectives) and validation
    assert set(doc) == {"plan", "year", "as_of", "achievement", "objectives", "areas", "strategic_objectives", "quality",
                        "profile", "score", "forecast", "achievement_gross", "achievement_net", "validation",
                        "schedule_adherence"}      # issue 16: lordo/netto, validation; issue 15: rule 10
    assert doc["validation"] == {"state": "in lavorazione", "date": None, "by": None, "snapshot_sha256": None}
    assert doc["achievement_gross"] == doc["achievement_net"] == doc["achievement"]   # no decided treatment
    assert isinstance(doc["schedule_adherence"], float)
    assert doc["profile"] == {"name": "Predefinito", "version": 0} and doc["score"] == doc["achievement"]
    assert set(doc["forecast"]) == {"low", "expected", "high", "method"}   # 31/08: an intermediate check
    assert doc["forecast"]["low"] <= doc["forecast"]["expected"] <= doc["forecast"]["high"]
    assert set(doc["plan"]) == {"id", "ente", "titolo"}
    assert doc["as_of"] == "2025-08-31" and doc["year"] == 2025
    o = doc["objectives"][0]
    assert set(o) == {"code", "title", "type", "weight", "achievement", "neutralized", "status", "steps", "score",
                      "monitored", "forecast", "achievement_gross", "achievement_net", "schedule_adherence"}
    assert o["achievement_gross"] == o["achievement_net"] == o["achievement"]
    assert set(o["forecast"]) == {"low", "expected", "high"}                # rule 8 for each objective
    assert o["forecast"]["low"] <= o["forecast"]["expected"] <= o["forecast"]["high"]
    assert set(o["steps"][0]) == {"code", "deadline", "revised_deadline", "year_weight", "achievement", "status",
                                  "status_raw", "completed_on", "slip_days", "overdue_days", "slip_min_days",
                                  "slip_max_days", "slip_basis", "due"}
    assert all(isinstance(st["due"], bool) for ob in doc["objectives"] for st in ob["steps"])
    assert o["monitored"] is True
    assert o["weight"] == 60.0 and o["achievement"] == pytest.approx(70.0)
    assert doc["achievement"] == pytest.approx(42.0)
    assert {a["code"] for a in doc["areas"]} == {"1", "2"}
    assert all(set(q) == {"rule", "items", "message"} for q in doc["quality"])


def test_report_selects_plan_by_ente_and_complains_when_ambiguous(tmp_path, dbfile):
    r = run("loaders", "import", *[str(p) for p in sorted(DEMO.glob("*.xlsx"))], "--db", dbfile)
    assert r.returncode == 0, r.stdout
    r = run("metrics", "report", "--db", dbfile, "--format", "json")
    assert r.returncode == 2 and "Più piani" in r.stderr
    r = run("metrics", "report", "--db", dbfile, "--ente", "CSSM", "--year", "2025", "--format", "json")
    doc = json.loads(r.stdout)
    steps = {s["code"]: s for o in doc["objectives"] for s in o["steps"]}
    assert steps["C.1"]["year_weight"] == pytest.approx(21.43, abs=0.005)
    assert steps["E.2"]["year_weight"] == pytest.approx(60.0)
    assert "A" in next(q for q in doc["quality"] if q["rule"] == "year_weights_mismatch")["items"]
    r = run("metrics", "report", "--db", dbfile, "--ente", "CSSM", "--format", "table")
    assert r.returncode == 0 and "Raggiungimento del piano" in r.stdout


def test_report_bad_date_is_an_italian_error(dbfile):
    r = run("metrics", "report", "--db", dbfile, "--as-of", "31/02/2025")
    assert r.returncode == 2 and "non valida" in r.stderr
