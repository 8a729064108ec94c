"""One identity per ente (store/enti.py): names, matching (IPA, name, alias), the question «È lo stesso ente
di …?», merge and its undo (audited), migration of older databases, the CLI ``python -m store enti``."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from loaders import IMPORTED, import_bytes, import_file
from loaders.diff import ente_candidates, preview_changes
from store import Database, enti
from tests.conftest import DEMO, ROOT
from tests.workbooks import CSSM_FULL_NAME, cssm_2020, sheets, xlsx

CSSM_DEMO = DEMO / "000_cssm_piao_2025_2027.xlsx"


def plan_sheet(ente: str, titolo: str = "Piano 2025", ipa: str | None = None) -> list[list]:
    rows = [["Campo", "Valore"], ["Ente", ente], ["Titolo", titolo], ["Anno inizio", 2025], ["Anno fine", 2025]]
    return rows + ([["Codice IPA", ipa]] if ipa else [])


def workbook(ente: str, titolo: str = "Piano 2025", ipa: str | None = None) -> bytes:
    return xlsx(sheets(Piano=plan_sheet(ente, titolo, ipa)))


def n_enti(db, active_only=True) -> int:
    return db.scalar("SELECT count(*) FROM enti" + (" WHERE merged_into IS NULL" if active_only else ""))


# ----------------------------------------------------------------------------- names
def test_name_key_ignores_case_accents_dots_and_punctuation():
    assert enti.name_key("C.S.S.M.") == enti.name_key("cssm") == "cssm"
    assert enti.name_key("  Società   della Salute – Zona 1 ") == "societa della salute zona 1"


def test_acronyms_are_the_written_ones_only():
    assert enti.acronyms(CSSM_FULL_NAME) == {"CSSM"}
    assert enti.acronyms("CSSM") == {"CSSM"}
    assert enti.acronyms("Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)") == {"CISA"}
    assert enti.acronyms("Consorzio per i servizi") == set()   # initials are not an acronym


def test_looks_alike_same_acronym_or_contained_name():
    assert enti.looks_alike(CSSM_FULL_NAME, "CSSM") == "stessa sigla CSSM"
    assert "contenuto" in enti.looks_alike("Consorzio Monviso Solidale", "Monviso Solidale")
    assert enti.looks_alike("CISSA", "CISA") is None
    assert enti.looks_alike("Consorzio Test", "Consorzio Test") is None   # the same name is a match, not a question


def test_no_false_alarm_between_the_demo_enti(demo_db):
    names = [r[0] for r in demo_db.rows("SELECT nome FROM enti")]
    assert len(names) == 4
    for a in names:
        assert [b for b in names if b != a and enti.looks_alike(a, b)] == [], a


# ----------------------------------------------------------------------------- matching at import
def test_same_normalised_name_is_the_same_ente(db):
    a = import_bytes(db, workbook("Consorzio Test"), "a.xlsx")
    b = import_bytes(db, workbook("CONSORZIO  TEST.", "Piano 2026"), "b.xlsx")
    assert a.status == b.status == IMPORTED
    assert n_enti(db) == 1
    assert db.rows("SELECT DISTINCT ente FROM plans") == [("Consorzio Test",)]


def test_ipa_code_wins_over_the_name_and_registers_the_alias(db):
    import_bytes(db, workbook("Consorzio Test", ipa="ctest_to"), "a.xlsx")
    res = import_bytes(db, workbook("Consorzio Servizi Sociali Torinese", "Piano 2026", ipa="CTEST_TO"), "b.xlsx")
    assert res.status == IMPORTED and res.meta["ente_match"] == "codice IPA"
    assert n_enti(db) == 1 and db.scalar("SELECT codice_ipa FROM enti") == "ctest_to"
    assert db.rows("SELECT alias FROM ente_aliases") == [("Consorzio Servizi Sociali Torinese",)]
    # the alias now matches without the code
    third = import_bytes(db, workbook("Consorzio Servizi Sociali Torinese", "Piano 2027"), "c.xlsx")
    assert third.meta["ente_match"] == "alias" and n_enti(db) == 1
    assert "riconosciuto come «Consorzio Test» (codice IPA)" in db.scalar(
        "SELECT detail FROM audit_log WHERE action = 'import' AND import_id = ?", [res.import_id])


def test_different_ipa_codes_are_different_enti_even_with_the_same_name(db):
    import_bytes(db, workbook("Consorzio Test", ipa="uno"), "a.xlsx")
    import_bytes(db, workbook("Consorzio Test", "Piano 2026", ipa="due"), "b.xlsx")
    assert n_enti(db) == 2


def test_a_bad_ipa_code_is_a_row_level_error(db):
    res = import_bytes(db, workbook("Consorzio Test", ipa="non valido!"), "a.xlsx")
    assert not res.ok
    err = res.problems.errors[0]
    assert err.sheet == "Piano" and "Codice IPA" in err.message and err.row == 6


def test_similar_new_ente_is_a_question_and_yes_imports_under_the_known_ente(db):
    import_file(db, CSSM_DEMO, user="test")
    data = cssm_2020(ROOT)
    from loaders import validate_workbook
    parsed = validate_workbook(data, "cssm_2020.xlsx")
    cands = ente_candidates(db, parsed.meta)
    assert [(c["nome"], c["reason"]) for c in cands] == [("CSSM", "stessa sigla CSSM")]
    pv = preview_changes(db, parsed, same_as=cands[0]["ente_id"])
    assert bool(pv["plan"]["is_new"].iloc[0])                    # a new plan of that ente
    res = import_bytes(db, data, "cssm_2020.xlsx", user="mario", same_as=cands[0]["ente_id"])
    assert res.status == IMPORTED and res.meta["ente_nome"] == "CSSM" and res.meta["ente_match"] == "scelta"
    assert n_enti(db) == 1
    assert db.rows("SELECT ente, count(*) FROM plans GROUP BY ente") == [("CSSM", 2)]
    assert db.rows("SELECT alias FROM ente_aliases") == [(CSSM_FULL_NAME,)]
    assert ente_candidates(db, parsed.meta) == []                 # recognised now: no more questions
    detail = db.scalar("SELECT detail FROM audit_log WHERE action = 'import' AND import_id = ?", [res.import_id])
    assert f"«{CSSM_FULL_NAME}» riconosciuto come «CSSM» (scelta)" in detail


def test_no_makes_a_new_ente(db):
    import_file(db, CSSM_DEMO, user="test")
    res = import_bytes(db, cssm_2020(ROOT), "cssm_2020.xlsx")
    assert res.status == IMPORTED and res.meta["ente_match"] is None
    assert n_enti(db) == 2


# ----------------------------------------------------------------------------- merge and undo
def test_merge_moves_every_plan_and_version_and_can_be_undone(db):
    from metrics import list_plans, plan_metrics
    from metrics.compare import compare
    from metrics.engine import same_ente_plans

    p2025 = import_file(db, CSSM_DEMO, user="test").plan_id
    first = import_bytes(db, cssm_2020(ROOT), "cssm_2020.xlsx")
    # a second version of the 2020 plan: both versions must move
    second = import_bytes(db, cssm_2020(ROOT, codice_ipa="cssm_cn"), "cssm_2020_v2.xlsx")
    assert second.plan_id == first.plan_id and second.version == 2
    cssm = enti.lookup(db, "CSSM")
    full = enti.lookup(db, CSSM_FULL_NAME)
    assert cssm != full and same_ente_plans(db, p2025).empty
    v0 = db.version()

    msg = enti.merge_enti(db, full, cssm, "anna")
    assert "1 piano spostato" in msg
    assert n_enti(db) == 1
    plans = list_plans(db)
    assert sorted(plans[plans["ente"] == "CSSM"]["plan_id"]) == sorted([p2025, first.plan_id])
    assert db.scalar("SELECT count(*) FROM imports WHERE plan_id = ?", [first.plan_id]) == 2
    assert db.version() > v0                                     # pages see the merge at once
    # comparable in Confronto: the same ente's plans across years
    assert list(same_ente_plans(db, p2025)["plan_id"]) == [first.plan_id]
    cmp = compare(plan_metrics(db, first.plan_id), plan_metrics(db, p2025))
    assert cmp.achievement_before is not None and len(cmp.objectives) >= 4
    # an upload under the merged name goes to CSSM, the code too
    with db.cursor() as cur:
        assert enti.find_ente(cur, CSSM_FULL_NAME).ente_id == cssm
        assert enti.find_ente(cur, "altro nome", "cssm_cn").ente_id == cssm

    msg = enti.unmerge_enti(db, full, "anna")
    assert "1 piano tornato" in msg
    assert n_enti(db) == 2
    assert db.scalar("SELECT ente_id FROM plans WHERE plan_id = ?", [first.plan_id]) == full
    assert db.scalar("SELECT ente FROM plans WHERE plan_id = ?", [first.plan_id]) == CSSM_FULL_NAME
    assert db.rows("SELECT action, outcome, who, ente_id FROM audit_log WHERE action LIKE '%enti' ORDER BY audit_id") \
        == [("unione enti", "ok", "anna", cssm), ("separazione enti", "ok", "anna", full)]


def test_refused_merge_is_recorded_and_changes_nothing(db):
    import_bytes(db, workbook("Consorzio Test"), "a.xlsx")
    ente = enti.lookup(db, "Consorzio Test")
    v0 = db.version()
    with pytest.raises(enti.EnteError, match="se stesso"):
        enti.merge_enti(db, ente, ente, "anna")
    with pytest.raises(enti.EnteError, match="non è unito"):
        enti.unmerge_enti(db, ente, "anna")
    assert db.rows("SELECT action, outcome FROM audit_log WHERE action LIKE '%enti' ORDER BY audit_id") == [
        ("unione enti", "rifiutato"), ("separazione enti", "rifiutato")]
    assert db.version() == v0 and n_enti(db) == 1


# ----------------------------------------------------------------------------- migration
OLD_PLANS = """CREATE SEQUENCE seq_plan START 10;
CREATE TABLE plans (plan_id INTEGER PRIMARY KEY, ente TEXT NOT NULL, titolo TEXT NOT NULL,
                    plan_key TEXT NOT NULL UNIQUE, current_import_id INTEGER, created_at TIMESTAMP NOT NULL);
INSERT INTO plans VALUES (1, 'CSSM', 'Piano A', 'cssm|piano a', NULL, now()),
                         (2, 'C.S.S.M.', 'Piano B', 'c.s.s.m.|piano b', NULL, now()),
                         (3, 'COeSO', 'Piano C', 'coeso|piano c', NULL, now());"""


def test_older_database_gets_one_ente_per_distinct_name_once(tmp_path):
    path = tmp_path / "vecchio.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_PLANS)
    con.close()
    for _ in range(2):  # idempotent: opening again changes nothing
        d = Database(path)
        assert d.rows("SELECT nome FROM enti ORDER BY ente_id") == [("CSSM",), ("COeSO",)]
        assert d.rows("SELECT plan_id, ente_id, ente FROM plans ORDER BY plan_id") == [
            (1, 1, "CSSM"), (2, 1, "CSSM"), (3, 2, "COeSO")]
        d.close()


# ----------------------------------------------------------------------------- CLI
def run_cli(*args: str, env_user: str = "proprietario") -> subprocess.CompletedProcess:
    import os
    env = {**os.environ, "CRUSCOTTO_USER": env_user}
    return subprocess.run([sys.executable, "-m", "store", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_cli_enti_list_merge_unmerge(tmp_path):
    path = tmp_path / "cli.duckdb"
    d = Database(path)
    import_file(d, CSSM_DEMO, user="test")
    import_bytes(d, cssm_2020(ROOT), "cssm_2020.xlsx")
    d.close()
    out = run_cli("enti", "list", "--db", str(path))
    assert out.returncode == 0 and "1: CSSM · 1 piano" in out.stdout
    assert f"2: {CSSM_FULL_NAME} · 1 piano" in out.stdout
    out = run_cli("enti", "merge", "2", "CSSM", "--db", str(path))
    assert out.returncode == 0, out.stderr
    assert "unito a «CSSM»: 1 piano spostato" in out.stdout
    out = run_cli("enti", "list", "--db", str(path))
    assert "1: CSSM · 2 piani" in out.stdout and "unito a «CSSM» (1)" in out.stdout
    out = run_cli("enti", "merge", "2", "1", "--db", str(path))
    assert out.returncode == 1 and "già unito" in out.stderr
    out = run_cli("enti", "unmerge", "2", "--db", str(path))
    assert out.returncode == 0 and "separato da «CSSM»" in out.stdout
    out = run_cli("enti", "merge", "inesistente", "1", "--db", str(path))
    assert out.returncode == 1 and "Nessun ente «inesistente»" in out.stderr
    out = run_cli("enti", "ipa", "CSSM", "cssm_cn", "--db", str(path))
    assert out.returncode == 0 and "Codice IPA di «CSSM»: cssm_cn." in out.stdout
    assert "1: CSSM · IPA cssm_cn · 1 piano" in run_cli("enti", "list", "--db", str(path)).stdout
    d = Database(path)
    assert d.rows("SELECT action, outcome, who FROM audit_log WHERE action LIKE '%enti' ORDER BY audit_id") == [
        ("unione enti", "ok", "proprietario"), ("unione enti", "rifiutato", "proprietario"),
        ("separazione enti", "ok", "proprietario")]
    assert d.rows("SELECT action, who FROM audit_log WHERE action = 'ente'") == [("ente", "proprietario")]
    d.close()


def test_cli_import_warns_about_a_similar_new_ente(tmp_path):
    import os
    src = tmp_path / "cssm_2020.xlsx"
    src.write_bytes(cssm_2020(ROOT))
    path = tmp_path / "cli.duckdb"
    out = subprocess.run([sys.executable, "-m", "loaders", "import", str(CSSM_DEMO), str(src), "--db", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert (f"Attenzione: «{CSSM_FULL_NAME}» è un ente nuovo ma somiglia a «CSSM» (stessa sigla CSSM). "
            "Se è lo stesso: python -m store enti merge 2 1") in out.stdout


def test_set_codice_ipa_then_uploads_match_by_it(db):
    import_bytes(db, workbook("Consorzio Test"), "a.xlsx")
    import_bytes(db, workbook("Altro Consorzio", "Piano X"), "b.xlsx")
    ente, other = enti.lookup(db, "Consorzio Test"), enti.lookup(db, "Altro Consorzio")
    v = db.version()
    assert enti.set_codice_ipa(db, ente, " CTEST_TO ", "anna") == "Codice IPA di «Consorzio Test»: ctest_to."
    assert db.version() > v                                                  # «ente» changes what pages show
    with pytest.raises(enti.EnteError, match="già di «Consorzio Test»"):
        enti.set_codice_ipa(db, other, "ctest_to", "anna")
    with pytest.raises(enti.EnteError, match="non valido"):
        enti.set_codice_ipa(db, other, "con spazi", "anna")
    assert db.rows("SELECT action, outcome FROM audit_log WHERE action = 'ente' ORDER BY audit_id") == [
        ("ente", "ok"), ("ente", "rifiutato"), ("ente", "rifiutato")]
    res = import_bytes(db, workbook("Nome del tutto diverso", "Piano 2030", ipa="ctest_to"), "c.xlsx")
    assert res.meta["ente_match"] == "codice IPA" and res.meta["ente_nome"] == "Consorzio Test"
    assert enti.set_codice_ipa(db, ente, "", "anna") == "Codice IPA di «Consorzio Test» tolto."
    assert db.scalar("SELECT codice_ipa FROM enti WHERE ente_id = ?", [ente]) is None
