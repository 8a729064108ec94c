"""Year-end closing (issue 16): the variance register with lordo / netto, the validation workflow with its roles,
the carte di lavoro, the frozen validated record and ``metrics verify``."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loaders import import_bytes, import_file
from metrics import closing as C
from metrics import engine
from metrics import variances as V
from metrics.report import report_dict
from store.access import NotAuthorized, Principal
from tests.conftest import DEMO, ROOT
from tests.workbooks import BASE, sheets, xlsx

CISSA = DEMO / "002_cissa_pianezza_2023.xlsx"
REF, DIR, VAL = Principal("rita", "referente"), Principal("dario", "direttore"), Principal("vera", "valutatore")
ADMIN, READER = Principal("anna", "amministratore"), Principal("luca", "lettore")
ACT = "Delibera CdA n. 12 del 20/06/2024"


@pytest.fixture
def cissa(db):
    assert import_file(db, CISSA, user="test").ok
    return db, int(db.scalar("SELECT plan_id FROM plans"))


def year_end_metrics(db, pid, year=2023):
    return engine.plan_metrics(db, pid, year=year, as_of=V.year_end(year))


# ----------------------------------------------------------------------------- variance register
def test_register_cissa_2023_has_objectives_1_and_5(cissa):
    db, pid = cissa
    reg = V.register(db, pid, 2023)
    assert list(reg.columns) == V.REGISTER_COLUMNS
    obj = reg[reg["level"] == "obiettivo"].set_index("objective_code")
    assert set(obj.index) == {"1", "5"}          # the two objectives below 100% at 31/12/2023
    assert obj.at["1", "actual"] == pytest.approx(200 / 3) and obj.at["5", "actual"] == pytest.approx(80.0)
    assert obj.at["1", "variance_abs"] == pytest.approx(-100 / 3) and obj.at["5", "variance_pct"] == pytest.approx(-20)
    steps = reg[reg["level"] == "step"]
    assert {("5", "5.4")} <= set(zip(steps["objective_code"], steps["step_code"]))
    assert steps.set_index("step_code").at["5.4", "overdue"] == 1          # overdue at the year end
    assert not reg["decided"].any() and (reg["treatment"] == "nessuno").all()


def test_a_neutralisation_without_an_act_leaves_every_figure_unchanged(cissa):
    db, pid = cissa
    before = C.snapshot_figures(db, year_end_metrics(db, pid))
    V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="esogena", imputabile="no",
              description="Decreto di riparto arrivato a novembre", treatment="neutralizzazione")
    V.propose(REF, db, pid, 2023, "step", "5", step="5.4", cause="endogena", imputabile="sì",
              treatment="ripesatura", new_weight=0)
    pm = year_end_metrics(db, pid)
    net = V.plan_net_figures(db, pm)
    assert net["plan"]["gross"] == net["plan"]["net"] == pytest.approx(90.5333, abs=1e-3)
    assert (net["objectives"]["gross"].fillna(-1) == net["objectives"]["net"].fillna(-1)).all()
    assert not net["objectives"]["treated"].any()
    after = C.snapshot_figures(db, pm)
    for k in ("plan", "objectives", "steps", "indicators"):
        assert after[k] == before[k], k
    reg = V.register(db, pid, 2023).set_index(["level", "objective_code", "step_code"])
    assert reg.loc[("obiettivo", "1", ""), "cause"] == "esogena" and not reg.loc[("obiettivo", "1", ""), "decided"]


def test_with_the_act_netto_changes_and_lordo_stays(cissa):
    db, pid = cissa
    V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="esogena", imputabile="no", treatment="neutralizzazione")
    with pytest.raises(NotAuthorized):
        V.decide(REF, db, pid, 2023, "obiettivo", "1", act="Delibera CdA n. 5 del 10/03/2024")
    V.decide(DIR, db, pid, 2023, "obiettivo", "1", act="Delibera CdA n. 5 del 10/03/2024")
    pm = year_end_metrics(db, pid)
    assert pm.achievement == pytest.approx(90.5333, abs=1e-3)                       # lordo: as measured
    net = V.plan_net_figures(db, pm)
    # netto: objective 1 (weight 20 of 100) leaves the mean: (20+16+14+16)·100 + 14·80 over 80 = 96,5%
    assert net["plan"]["gross"] == pytest.approx(pm.achievement)
    assert net["plan"]["net"] == pytest.approx(96.5)
    o = net["objectives"].set_index("code")
    assert o.at["1", "gross"] == pytest.approx(200 / 3) and o.at["1", "net"] != o.at["1", "net"]   # NaN: neutralised
    assert o.at["5", "net"] == pytest.approx(80.0) and bool(o.at["1", "treated"])
    reg = V.register(db, pid, 2023)
    row = reg[(reg["level"] == "obiettivo") & (reg["objective_code"] == "1")].iloc[0]
    assert row["decided"] and row["decided_by"] == "dario" and row["proposed_by"] == "rita"
    assert str(row["decision_date"])[:10] == "2024-03-10"
    # a step re-weighting: step 5.4 (0%, overdue) weighted 0 → objective 5 at 100% netto
    V.propose(REF, db, pid, 2023, "step", "5", step="5.4", cause="indicatore", imputabile="no",
              treatment="ripesatura", new_weight=0)
    V.decide(DIR, db, pid, 2023, "step", "5", step="5.4", act="Delibera CdA n. 6 del 10/03/2024")
    o = V.plan_net_figures(db, year_end_metrics(db, pid))["objectives"].set_index("code")
    assert o.at["5", "gross"] == pytest.approx(80.0) and o.at["5", "net"] == pytest.approx(100.0)
    audit = db.rows("SELECT who, detail FROM audit_log WHERE action = 'scostamento' ORDER BY audit_id")
    assert [w for w, _ in audit] == ["rita", "dario", "rita", "dario"]


def test_register_edits_are_refused_to_a_lettore_and_once_the_year_is_approved(cissa):
    db, pid = cissa
    with pytest.raises(NotAuthorized):
        V.propose(READER, db, pid, 2023, "obiettivo", "1", cause="esogena")
    with pytest.raises(V.VarianceError, match="Causa non valida"):
        V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="sfortuna")
    C.approve(DIR, db, pid, 2023, ACT)
    with pytest.raises(V.VarianceError, match="chiuso"):
        V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="esogena")


# ----------------------------------------------------------------------------- workflow
def test_workflow_roles_and_states(cissa):
    db, pid = cissa
    assert C.state(db, pid, 2023)["state"] == C.IN_PROGRESS and not C.is_validated(db, pid, 2023)
    for who in (REF, VAL, READER):
        with pytest.raises(NotAuthorized):
            C.approve(who, db, pid, 2023, ACT)
    with pytest.raises(C.ClosingError, match="numero o la data"):
        C.approve(DIR, db, pid, 2023, "delibera")
    with pytest.raises(C.ClosingError, match="dopo l'approvazione"):
        C.submit(DIR, db, pid, 2023)
    st = C.approve(DIR, db, pid, 2023, ACT)
    assert st["state"] == "approvata"
    assert st["approval"]["number"] == "12" and str(st["approval"]["date"]) == "2024-06-20"
    st = C.submit(DIR, db, pid, 2023)
    assert st["state"] == "in validazione" and st["submitted"]["by"] == "dario"
    for who in (DIR, ADMIN, REF):       # only the valutatore validates
        with pytest.raises(NotAuthorized):
            C.validate(who, db, pid, 2023, "validata")
    refused = db.scalar("SELECT count(*) FROM audit_log WHERE action = 'chiusura' AND outcome = 'rifiutato'")
    assert refused >= 8


def test_nobody_validates_their_own_approval(cissa):
    db, pid = cissa
    both = Principal("dario", "valutatore")       # same person, later with another role
    C.approve(DIR, db, pid, 2023, ACT)
    C.submit(DIR, db, pid, 2023)
    with pytest.raises(NotAuthorized, match="propria approvazione"):
        C.validate(both, db, pid, 2023, "validata")
    assert C.validate(VAL, db, pid, 2023, "non-validata")["state"] == "non validata"
    assert not C.is_validated(db, pid, 2023)
    assert db.scalar("SELECT count(*) FROM validated_snapshots") == 0


def test_work_papers_prefilled_checks_and_valutatore_only(cissa):
    db, pid = cissa
    wp = C.work_papers(db, pid, 2023)
    assert [c["key"] for c in wp["criteria"]] == list(C.CRITERIA)
    assert [o["code"] for o in wp["objectives"]] == ["1", "2", "3", "4", "5", "6"]
    assert wp["checks"]["conformita"]["ok"] and wp["checks"]["attendibilita"]["ok"]
    assert not wp["checks"]["scostamenti"]["ok"]            # no cause given yet
    assert wp["checks"]["atti"]["ok"]
    V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="esogena", treatment="neutralizzazione")
    assert not C.work_papers(db, pid, 2023)["checks"]["atti"]["ok"]     # a neutralisation without its act
    with pytest.raises(C.ClosingError, match="in validazione"):
        C.save_work_paper(VAL, db, pid, 2023, "criterio", "conformita", outcome="conforme")
    C.approve(DIR, db, pid, 2023, ACT)
    C.submit(DIR, db, pid, 2023)
    with pytest.raises(NotAuthorized):
        C.save_work_paper(DIR, db, pid, 2023, "criterio", "conformita", outcome="conforme")
    with pytest.raises(C.ClosingError, match="n su N"):
        C.save_work_paper(VAL, db, pid, 2023, "obiettivo", "1", method="campione", sample_n=5, sample_total=3)
    C.save_work_paper(VAL, db, pid, 2023, "obiettivo", "1", data_source="Determina 45/2023", method="campione",
                      sample_n=3, sample_total=10, outcome="con rilievi", note="Due pratiche senza data")
    o1 = C.work_papers(db, pid, 2023)["objectives"][0]
    assert (o1["method"], o1["sample_n"], o1["sample_total"], o1["outcome"], o1["saved_by"]) == \
        ("campione", 3, 10, "con rilievi", "vera")
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'carta di lavoro'") == 1


def validate_cissa(db, pid):
    V.propose(REF, db, pid, 2023, "obiettivo", "1", cause="esogena", treatment="neutralizzazione")
    V.decide(DIR, db, pid, 2023, "obiettivo", "1", act="Delibera CdA n. 5 del 10/03/2024")
    C.approve(DIR, db, pid, 2023, ACT)
    C.submit(DIR, db, pid, 2023)
    return C.validate(VAL, db, pid, 2023, "validata")


def test_validation_freezes_a_snapshot_with_its_hash_and_reopen_voids_it(cissa):
    db, pid = cissa
    st = validate_cissa(db, pid)
    assert st["state"] == "validata" and C.is_validated(db, pid, 2023)
    text, sha = db.rows("SELECT figures_json, sha256 FROM validated_snapshots")[0]
    assert st["validation"]["snapshot_sha256"] == sha and re.fullmatch(r"[0-9a-f]{64}", sha)
    fig = json.loads(text)
    assert C.canonical(fig) == (text, sha)
    assert fig["plan"]["achievement_gross"] == pytest.approx(90.5333, abs=1e-3)
    assert fig["plan"]["achievement_net"] == pytest.approx(96.5)
    assert {"objectives", "steps", "indicators", "register", "plan_version", "profile_version"} <= set(fig)
    assert C.verify(db, pid, 2023)[0]
    with pytest.raises(C.ClosingError, match="motivo"):
        C.reopen(ADMIN, db, pid, 2023, "  ")
    with pytest.raises(NotAuthorized):
        C.reopen(DIR, db, pid, 2023, "errore nei dati")
    assert C.is_validated(db, pid, 2023)
    st = C.reopen(ADMIN, db, pid, 2023, "Errore materiale nella verifica dello step 5.4")
    assert st["state"] == "in lavorazione" and st["reopened"][0]["by"] == "anna"
    assert not C.is_validated(db, pid, 2023)
    assert db.scalar("SELECT count(*) FROM validated_snapshots") == 1          # voided, not deleted
    assert db.scalar("SELECT detail FROM audit_log WHERE action = 'chiusura' AND detail LIKE 'riapertura%' "
                     "AND outcome = 'ok'").endswith("Errore materiale nella verifica dello step 5.4")


def test_verify_finds_an_altered_snapshot_and_an_altered_stored_figure(cissa):
    db, pid = cissa
    validate_cissa(db, pid)
    assert C.verify(db, pid, 2023) == (True, [C.verify(db, pid, 2023)[1][0]])
    with db.transaction() as cur:      # the stored record itself, edited behind the product's back
        cur.execute("UPDATE validated_snapshots SET figures_json = replace(figures_json, '\"achievement_net\":96.5', "
                    "'\"achievement_net\":99.5')")
    ok, msgs = C.verify(db, pid, 2023)
    assert not ok and any("impronta SHA-256 non corrisponde" in m for m in msgs)
    assert any("plan.achievement_net: validato 99,5%, ricalcolato 96,5%" in m for m in msgs), msgs


def test_a_later_import_does_not_move_the_validated_figures(db):
    assert import_bytes(db, xlsx(), "p.xlsx").ok
    pid = int(db.scalar("SELECT plan_id FROM plans"))
    C.approve(DIR, db, pid, 2025, ACT)
    C.submit(DIR, db, pid, 2025)
    C.validate(VAL, db, pid, 2025, "validata")
    validated = engine.plan_metrics(db, pid, year=2025)
    assert validated.achievement == pytest.approx(60.0)      # A 100% (weight 60), B «in corso» without % → 0
    rows = [r[:] for r in BASE["Verifiche"]] + [["B.1", "31/12/2025", "Obiettivo realizzato", "", "30/09/2025", "ok"]]
    assert import_bytes(db, xlsx(sheets(Verifiche=rows)), "p2.xlsx").ok      # version 2: B reached
    current_id = int(db.scalar("SELECT current_import_id FROM plans"))
    assert engine.plan_metrics(db, pid, current_id, 2025).achievement == pytest.approx(100.0)  # compare: current
    pm = engine.plan_metrics(db, pid, year=2025)                             # default: the validated figures
    assert pm.ctx.import_id != current_id and pm.achievement == pytest.approx(60.0)
    assert C.verify(db, pid, 2025)[0]
    doc = report_dict(pm, V.plan_net_figures(db, pm), C.validation_summary(db, pid, 2025))
    assert doc["achievement"] == doc["achievement_gross"] == pytest.approx(60.0)
    assert doc["validation"]["state"] == "validata" and doc["validation"]["by"] == "vera"
    assert pm.validated["by"] == "vera" and pm.validated["sha256"] == doc["validation"]["snapshot_sha256"]
    # the exports of the plan-year: the validated figures, «validato il …»
    from openpyxl import load_workbook
    from docx import Document
    import io
    from exports import export

    ws = load_workbook(io.BytesIO(export(pm, "xlsx")))["Riepilogo"]
    cells = {r[0].value: r[1].value for r in ws.iter_rows(min_row=1) if r[0].value}
    assert cells["Raggiungimento del piano"] == pytest.approx(0.6) and cells["Validato da"] == "vera"
    assert cells["Versione del piano"] == 1
    text = "\n".join(p.text for p in Document(io.BytesIO(export(pm, "docx"))).paragraphs)
    assert "Valori validati il" in text
    assert "validato il" in export(pm, "html").decode("utf-8")
    C.reopen(ADMIN, db, pid, 2025, "Nuove verifiche")
    after = engine.plan_metrics(db, pid, year=2025)
    assert after.achievement == pytest.approx(100.0) and after.validated is None


def test_no_update_or_delete_on_the_closing_tables():
    pattern = re.compile(r"\b(UPDATE\s+|DELETE\s+FROM\s+)(variance_entries|closing_events|work_papers|"
                         r"validated_snapshots)\b", re.IGNORECASE)
    hits = [str(p) for p in ROOT.rglob("*.py") if ".venv" not in p.parts and "tests" not in p.parts
            and pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []


# ----------------------------------------------------------------------------- command line
def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_closing_and_verify(tmp_path):
    from store import Database
    from store.users import add_user

    path = str(tmp_path / "c.duckdb")
    d = Database(path)
    assert import_file(d, CISSA, user="test").ok
    for name, role in (("dario", "direttore"), ("vera", "valutatore")):
        add_user(d, name, "password-lunga-1", role, ["*"], by="test")
    d.close()
    base = ["metrics", "closing", "--db", path, "--plan", "1", "--year", "2023"]
    r = run("metrics", "verify", "--db", path, "--plan", "1", "--year", "2023")
    assert r.returncode == 1 and "Nessun dato validato" in r.stderr
    assert run(*base, "--user", "dario", "approve", "--act", ACT).returncode == 0
    assert run(*base, "--user", "dario", "submit").returncode == 0
    r = run(*base, "--user", "dario", "validate", "--outcome", "validata")
    assert r.returncode == 1 and "Non autorizzato" in r.stderr
    r = run(*base, "--user", "vera", "validate", "--outcome", "validata")
    assert r.returncode == 0 and "validata" in r.stdout and "SHA-256" in r.stdout, r.stderr
    r = run("metrics", "verify", "--db", path, "--plan", "1", "--year", "2023")
    assert r.returncode == 0 and "coincidono" in r.stdout, r.stderr
    r = run("metrics", "report", "--db", path, "--plan", "1", "--year", "2023", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["validation"]["state"] == "validata" and doc["validation"]["by"] == "vera"
    assert len(doc["validation"]["snapshot_sha256"]) == 64
    # a stored figure edited directly in DuckDB: verify finds it
    d = Database(path)
    with d.transaction() as cur:
        cur.execute("UPDATE verifications SET achievement = 100, status = 'raggiunto', status_raw = NULL "
                    "WHERE step_code = '5.4'")
    d.close()
    r = run("metrics", "verify", "--db", path, "--plan", "1", "--year", "2023")
    assert r.returncode == 1 and "differenze" in r.stderr and "objectives[5]" in r.stderr, r.stdout + r.stderr
    r = run(*base, "reopen")
    assert r.returncode == 1 and "motivo" in r.stderr
    r = run(*base, "reopen", "--reason", "Dati corretti")
    assert r.returncode == 0 and "riaperta" in r.stdout and "Dati corretti" in r.stdout


# ----------------------------------------------------------------------------- the sheet «Scostamenti»
SCOSTAMENTI = [["Obiettivo", "Step", "Indicatore", "Causa", "Imputabile", "Descrizione", "Evidenze", "Trattamento",
                "Nuovo peso", "Atto"],
               ["B", "", "", "esogena", "no", "Gara deserta", "https://albo.example/det-12", "neutralizzazione", "",
                "Delibera CdA n. 5 del 10/03/2026"],
               ["A", "A.2", "", "endogena", "in parte", "Ritardo interno", "", "ripesatura", "20", ""]]


def test_sheet_scostamenti_fills_the_register_and_only_the_decided_row_counts(db):
    r = import_bytes(db, xlsx(sheets(Scostamenti=SCOSTAMENTI)), "p.xlsx", user="rita")
    assert r.ok, [str(p) for p in r.problems]
    assert not [p for p in r.problems if "Scostamenti" in str(p)]          # a known sheet: no warning
    pid = int(db.scalar("SELECT plan_id FROM plans"))
    reg = V.register(db, pid, 2025).set_index(["level", "objective_code", "step_code"])
    b = reg.loc[("obiettivo", "B", "")]
    assert (b["cause"], b["imputabile"], b["treatment"], b["decided"]) == ("esogena", "no", "neutralizzazione", True)
    assert str(b["decision_date"])[:10] == "2026-03-10" and b["evidence"] == "https://albo.example/det-12"
    a2 = reg.loc[("step", "A", "A.2")]
    assert a2["treatment"] == "ripesatura" and a2["new_weight"] == 20 and not a2["decided"]
    pm = engine.plan_metrics(db, pid, year=2025)
    assert pm.achievement == pytest.approx(60.0)                               # lordo: as measured
    assert pm.net["plan"]["net"] == pytest.approx(100.0)                       # netto: B neutralised by its act
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'scostamento'") == 1
    # the same rows again (a new version of the workbook): nothing new in the register
    assert import_bytes(db, xlsx(sheets(Scostamenti=SCOSTAMENTI + [[None] * 10])), "p2.xlsx", user="rita").ok
    assert db.scalar("SELECT count(*) FROM variance_entries") == 2


def test_sheet_scostamenti_bad_values_refuse_the_import(db):
    bad = [SCOSTAMENTI[0], ["Z", "", "", "esogena", "no", "", "", "nessuno", "", ""],
           ["A", "A.9", "", "esogena", "no", "", "", "nessuno", "", ""],
           ["A", "", "", "sfortuna", "no", "", "", "nessuno", "", ""],
           ["A", "", "", "esogena", "no", "", "", "ripesatura", "", ""]]
    r = import_bytes(db, xlsx(sheets(Scostamenti=bad)), "p.xlsx")
    assert not r.ok
    text = "\n".join(str(p) for p in r.problems.errors)
    assert "obiettivo «Z» inesistente" in text and "step «A.9»" in text and "«Causa» non valida" in text
    assert "ripesatura senza «Nuovo peso»" in text
    assert db.scalar("SELECT count(*) FROM plans") == 0


def test_template_documents_the_sheet_scostamenti():
    import io

    from openpyxl import load_workbook

    from loaders import template_bytes

    ws = load_workbook(io.BytesIO(template_bytes()))["Istruzioni"]
    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    assert "Foglio facoltativo «Scostamenti»" in text and "vuoto = non ancora deciso" in text
