"""Issue 8: the measuring-system profile, the spec's revision-2 rules, «Perché questo valore», the year-end
forecast (rule 8) and the score (rule 9), on the real demo plans."""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from domain.profile import (FASCE, LINEARE, PREDEFINITO, PRESETS, Profile, ProfileError, from_fields, sheet_rows,
                            validate)
from domain.status import STATUS_ACHIEVED
from loaders import import_bytes, import_file
from metrics import formulas as F
from metrics import plan_metrics
from metrics.explain import objective_explanation, plan_explanation, plan_value_text, slip_text
from metrics.profiles import current_profile, profile_history, profile_version, save_profile
from metrics.report import report_dict
from store import Database
from tests.conftest import DEMO, ROOT, plan_id_by_file
from tests.workbooks import sheets, xlsx

Y2023_END, Y2023_AUG = dt.date(2023, 12, 31), dt.date(2023, 8, 31)
WEIGHTS_002 = {"1": 20, "2": 20, "3": 16, "4": 14, "5": 14, "6": 16}   # objective weights of seed 002 (sum 100)


@pytest.fixture(scope="module")
def cissa(demo_db):
    return plan_id_by_file(demo_db, "002_")


def _ach(pm) -> dict[str, float]:
    return dict(zip(pm.objectives["code"], pm.objectives["achievement"]))


# ----------------------------------------------------------------------------- rules of revision 2
def test_seed_002_at_year_end_under_predefinito(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END)
    a = _ach(pm)
    assert a["2"] == pytest.approx(100.0)          # four continuativi «in itinere» count 100% (was 20%)
    assert a["4"] == pytest.approx(100.0)          # 4.10, 4.11 continuativi; 4.9 neutralised; 4.12 due in 2024
    assert a["1"] == pytest.approx(400 / 6)        # 1.4 and 1.5 (31/12/2023) still in progress → 66,7%
    assert a["5"] == pytest.approx(80.0)           # 5.4 not done
    assert a["3"] == pytest.approx(100.0) and a["6"] == pytest.approx(100.0)
    expected = sum(WEIGHTS_002[c] * a[c] for c in WEIGHTS_002) / 100
    assert pm.achievement == pytest.approx(expected) and plan_value_text(pm) == "90,5%"
    s24 = pm.steps.set_index("code").loc["2.4"]
    assert s24["status"] == STATUS_ACHIEVED        # «Obiettivo raggiunto e con realizzazione in itinere»
    assert pm.profile.name == "Predefinito" and pm.profile_version == 0
    assert pm.score == pytest.approx(pm.achievement)   # grezzo


def test_seed_002_scores_under_fasce_and_lineare_by_hand(demo_db, cissa):
    fasce = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END, profile="fasce")
    # 66,7% → 50 (50 ≤ a < 75); 80% → 75; 100% → 100
    assert dict(zip(fasce.objectives["code"], fasce.objectives["score"])) == {
        "1": 50.0, "2": 100.0, "3": 100.0, "4": 100.0, "5": 75.0, "6": 100.0}
    assert fasce.score == pytest.approx((20 * 50 + 20 * 100 + 16 * 100 + 14 * 100 + 14 * 75 + 16 * 100) / 100)  # 86,5
    assert fasce.achievement == pytest.approx(90.5333, abs=1e-3)   # the profile changes the score, not the achievement
    lin = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END, profile="lineare")
    # threshold 60% worth 60 points, then linear to 100: 66,7% → 66,7; 80% → 80 (all objectives ≥ 60%)
    assert lin.objectives.set_index("code")["score"].to_dict() == pytest.approx(
        {"1": 400 / 6, "2": 100.0, "3": 100.0, "4": 100.0, "5": 80.0, "6": 100.0})
    assert lin.score == pytest.approx(90.5333, abs=1e-3)
    # a stricter linear SMVP: threshold 70% worth 50 points → 66,7% scores 0, 80% → 50 + 10/30 × 50
    strict = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END,
                          profile=Profile(key="x", name="Soglia 70", scoring="lineare", linear_threshold=70.0,
                                          linear_threshold_points=50.0))
    s = strict.objectives.set_index("code")["score"]
    assert s["1"] == 0.0 and s["5"] == pytest.approx(50 + 10 / 30 * 50)
    assert strict.score == pytest.approx((20 * 0 + 20 * 100 + 16 * 100 + 14 * 100 + 14 * s["5"] + 16 * 100) / 100)
    # plan score from the plan's achievement instead of the mean of the objectives' scores: f(90,5%) = 75
    from_plan = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END,
                             profile=Profile(key="y", name="Fasce sul piano", scoring="fasce", plan_score="piano"))
    assert from_plan.score == 75.0


def test_profile_parameters_change_the_figures(demo_db, cissa):
    half = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END,
                        profile=Profile(key="z", name="In corso 50", in_progress_value=50.0, continuous_in_progress=80.0))
    a = _ach(half)
    assert a["1"] == pytest.approx((3 * 100 + 2 * 50 + 80) / 6)   # 1.4, 1.5 in corso → 50; 1.6 continuativo → 80
    assert a["2"] == pytest.approx((100 + 100 + 3 * 80) / 5)       # 2.1 and 2.4 raggiunto; 2.2, 2.3, 2.5 → 80
    counted = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END,
                           profile=Profile(key="n", name="Neutralizzati raggiunti", neutralized="raggiunto"))
    s49 = counted.steps.set_index("code").loc["4.9"]
    assert s49["achievement"] == 100.0 and s49["year_weight"] == pytest.approx(100 / 11)   # now one of 11 steps
    bands = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END,
                         profile=Profile(key="b", name="Verde da 65", green_from=65.0, yellow_from=50.0))
    assert bands.objectives.set_index("code").loc["1", "band"] == "verde"


def test_seed_002_slippage_is_bounded_by_the_verifications(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END)
    dated = pm.steps[pm.steps["deadline"].notna() & ~pm.steps["continuous"] & ~pm.steps["neutralized"]]
    assert len(dated) == 26                               # the count (4.12 is due in 2024)
    unknown = int((dated["slip_basis"] == "unknown").sum())
    assert unknown <= len(dated) / 4                      # was 20 of 26 «non determinabili»
    by = pm.steps.set_index("code")
    # 3.2 due 30/09/2023, in corso at 31/08, realizzato at 31/12, no completion date: late between 0 and 92 days
    assert by.loc["3.2", "slip_basis"] == "verifications" and by.loc["3.2", "timing"] == "da verificare"
    assert by.loc["3.2", "slip_max_days"] == 92 and pd.isna(by.loc["3.2", "slip_days"])
    assert slip_text(by.loc["3.2"]) == ("completato tra il 31/08/2023 e il 31/12/2023 (verifiche): ritardo tra 0 e "
                                        "92 giorni")
    # 4.3 due 31/07, parziale at 31/08 (V0 ≥ Termine): certainly late, by 31 to 153 days
    assert by.loc["4.3", "timing"] == "in ritardo"
    assert (by.loc["4.3", "slip_min_days"], by.loc["4.3", "slip_max_days"]) == (31, 153)
    # 6.1 due 31/12, realizzato at 31/08 (V1 ≤ Termine): certainly on time
    assert by.loc["6.1", "timing"] == "in tempo" and by.loc["6.1", "slip_basis"] == "verifications"
    # a recorded completion date stays the exact value
    assert by.loc["3.3", "slip_basis"] == "completion_date" and by.loc["3.3", "slip_days"] == -9
    assert pm.slippage["on_time_on_bounds"] == 5 and pm.slippage["late_on_bounds"] == 2


def test_plan_without_verifications_is_waiting_not_zero(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "000_"))
    doc = report_dict(pm)
    assert doc["achievement"] is None and doc["score"] is None
    assert doc["objectives"] and all(o["monitored"] is False and o["achievement"] is None for o in doc["objectives"])
    assert set(pm.objectives["status"]) == {"non monitorato"} and set(pm.objectives["band"]) == {"n.d."}
    assert plan_value_text(pm) == "in attesa del primo monitoraggio"
    assert "non è 0%" in plan_explanation(pm)[1]


def test_indicator_only_plan_says_values_not_yet_measured(demo_db):
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "003_"))
    assert set(pm.objectives["status"]) == {"in attesa di rilevazione"}
    assert plan_value_text(pm) == "valori non ancora rilevati"
    assert "valori non ancora rilevati" in objective_explanation(pm, "1")[1]


def test_indicator_only_objective_rolls_up_its_indicators():
    assert F.indicator_objective_achievement(pd.Series([100.0, 50.0, None])) == 75.0
    assert F.indicator_objective_achievement(pd.Series([None, None], dtype="float64")) is None


def test_monitored_objective_counts_its_unverified_steps_at_zero(db):
    """Inside a monitored objective, a step with no verification still counts 0% (spec rule 2); an objective
    with no verification at all is non monitorato."""
    data = sheets(Verifiche=[["Step", "Data verifica", "Stato"], ["A.1", "31/08/2025", "Obiettivo realizzato"]])
    assert import_bytes(db, xlsx(data), "p.xlsx", user="t").ok
    pm = plan_metrics(db, 1)
    o = pm.objectives.set_index("code")
    assert o.loc["A", "achievement"] == pytest.approx(50.0) and bool(o.loc["A", "monitored"])
    assert pd.isna(o.loc["B", "achievement"]) and o.loc["B", "status"] == "non monitorato"
    assert pm.achievement == pytest.approx(50.0)   # B leaves the mean instead of counting 0%


def test_versions_imported_under_the_old_stato_rule_follow_the_new_one(cissa_db):
    """The raw Stato text is kept: a database imported before revision 2 computes with the new rule."""
    with cissa_db.transaction() as cur:   # what the first rule stored for «Obiettivo raggiunto e … in itinere»
        cur.execute("UPDATE verifications SET status = 'in corso' WHERE step_code = '2.4'")
    pm = plan_metrics(cissa_db, 1)
    assert pm.steps.set_index("code").loc["2.4", "status"] == STATUS_ACHIEVED
    assert pm.achievement == pytest.approx(90.5333, abs=1e-3)


# ----------------------------------------------------------------------------- rule 8: forecast
def test_forecast_at_31_08_brackets_the_actual_year_end_figure(demo_db, cissa):
    """Validation on real data: CISSA's forecast at 31/08/2023 against the same plan at 31/12/2023."""
    aug = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_AUG)
    dec = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END)
    fc = aug.forecast
    assert fc["low"] <= dec.achievement <= fc["high"]
    # the figures written in the README and in the closing note
    assert aug.achievement == pytest.approx(62.64, abs=0.01)
    assert (round(fc["low"], 1), round(fc["expected"], 1), round(fc["high"], 1)) == (62.6, 84.3, 98.7)
    assert round(dec.achievement, 1) == 90.5 and round(fc["expected"] - dec.achievement, 1) == -6.2
    assert fc["rate"] == pytest.approx(60.0)       # 7 on time + ½ × 4 to verify, over 15 steps already due
    assert "regola 8" in fc["method"] and "60,0%" in fc["method"]
    o = aug.objectives.set_index("code")
    assert (o["fc_low"] <= o["fc_expected"] + 1e-9).all() and (o["fc_expected"] <= o["fc_high"] + 1e-9).all()
    assert dec.forecast is None and report_dict(dec)["forecast"] is None   # at the year end: no forecast
    # the JSON report gives low, expected and high for each objective too (spec, rule 8)
    by_code = {x["code"]: x["forecast"] for x in report_dict(aug)["objectives"]}
    assert set(by_code) == set(o.index) and all(f is not None for f in by_code.values())
    for code, row in o.iterrows():
        assert [by_code[code][k] for k in ("low", "expected", "high")] == \
            pytest.approx([row["fc_low"], row["fc_expected"], row["fc_high"]], abs=0.01)
    weights = o["weight_eff"]
    assert sum(by_code[c]["expected"] * w for c, w in weights.items()) / weights.sum() == \
        pytest.approx(fc["expected"], abs=0.01)                            # the plan's figure is their weighted mean
    assert all(x["forecast"] is None for x in report_dict(dec)["objectives"])


def test_forecast_rule_per_step():
    steps = pd.DataFrame({
        "achievement": [100.0, 0.0, 0.0, 40.0, 100.0], "completed": [True, False, False, False, False],
        "continuous": [False, False, False, False, True],
        "deadline": [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 11, 30), dt.date(2025, 6, 30), None],
        "revised_deadline": [None, None, None, dt.date(2025, 10, 31), None]})
    out = F.forecast_steps(steps, dt.date(2025, 8, 31), 60.0)
    assert out["fc_low"].tolist() == [100.0, 0.0, 0.0, 40.0, 100.0]
    assert out["fc_high"].tolist() == [100.0, 0.0, 100.0, 100.0, 100.0]     # overdue without a new deadline: 0
    assert out["fc_expected"].tolist() == pytest.approx([100.0, 0.0, 60.0, 40.0 + 60.0 * 0.6, 100.0])


# ----------------------------------------------------------------------------- rule 9 and the profile model
@pytest.mark.parametrize("profile, achievement, expected", [
    (PREDEFINITO, 66.7, 66.7), (FASCE, 49.99, 0.0), (FASCE, 50.0, 50.0), (FASCE, 99.9, 75.0), (FASCE, 100.0, 100.0),
    (LINEARE, 59.9, 0.0), (LINEARE, 60.0, 60.0), (LINEARE, 80.0, 80.0), (LINEARE, None, None),
])
def test_score_functions(profile, achievement, expected):
    assert F.score(achievement, profile) == (pytest.approx(expected) if expected is not None else None)


def test_profile_serialisation_and_sheet_fields():
    for p in PRESETS.values():
        assert Profile.from_json(p.to_json()) == p
        back, errors = from_fields(sheet_rows(p))
        assert not errors and back == p
    p, errors = from_fields([("Profilo", "Fasce 0/50/75/100"), ("Continuativo in corso", "80%")])
    assert not errors and p.scoring == "fasce" and p.continuous_in_progress == 80.0
    assert p.name == "Fasce 0/50/75/100 (personalizzato)"
    p, errors = from_fields([("Funzione di punteggio", "fasce"), ("Fasce di punteggio", "0/50/75/100")])
    assert p == FASCE                              # the same parameters as a preset are that preset
    p, errors = from_fields([("Continuativo in corso", "120%"), ("Colore", "blu")])
    assert p is None and len(errors) == 1 and "Colore" in errors[0]
    with pytest.raises(ProfileError):
        validate(Profile(yellow_from=95.0))


# ----------------------------------------------------------------------------- storage, audit, caches
@pytest.fixture
def cissa_db(tmp_path):
    d = Database(tmp_path / "p.duckdb")
    assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
    yield d
    d.close()


def test_saving_a_profile_versions_it_audits_it_and_refreshes_every_cache(cissa_db):
    db = cissa_db
    before = plan_metrics(db, 1)
    version_before = db.version()
    assert before.profile_version == 0 and before.score == pytest.approx(90.5333, abs=1e-3)
    ente = before.ctx.ente
    assert save_profile(db, ente, 2023, FASCE, "direttrice") == 1
    assert db.version() != version_before              # «profilo» is a data-changing action
    after = plan_metrics(db, 1)                        # same arguments: not the cached result
    assert after.profile_version == 1 and after.profile.name == "Fasce 0/50/75/100"
    assert after.score == pytest.approx(86.5) and after.profile_label == "Fasce 0/50/75/100, versione 1"
    assert report_dict(after)["profile"] == {"name": "Fasce 0/50/75/100", "version": 1}
    assert save_profile(db, ente, 2023, LINEARE, "direttrice") == 2
    assert plan_metrics(db, 1).profile_version == 2
    assert profile_history(db, ente, 2023)["version"].tolist() == [2, 1]
    assert profile_version(db, ente, 2023, 1).profile == FASCE        # earlier versions stay
    events = db.df("SELECT who, action, detail FROM audit_log WHERE action = 'profilo' ORDER BY audit_id")
    assert events["who"].tolist() == ["direttrice", "direttrice"] and "versione 2" in events["detail"].iloc[1]
    assert current_profile(db, ente, 2024).version == 0                # another year: Predefinito
    # the CLI override does not store anything and names itself
    over = plan_metrics(db, 1, profile="predefinito")
    assert over.profile_version == 0 and "scelto per questo rapporto" in over.profile_label


def test_exports_name_the_profile_and_explain_the_figures(cissa_db):
    from docx import Document
    from pptx import Presentation

    from exports import export

    save_profile(cissa_db, plan_metrics(cissa_db, 1).ctx.ente, 2023, FASCE, "direttrice")
    pm = plan_metrics(cissa_db, 1)
    doc = Document(io.BytesIO(export(pm, "docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = " ".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "Criteri di misurazione" in body and "Fasce 0/50/75/100, versione 1" in body + cells
    assert "Perché questo valore" in body and "continuativo, in corso → 100,0% (profilo Fasce 0/50/75/100)" in body
    assert "Punteggio del piano" in cells and "86,5" in cells
    prs = Presentation(io.BytesIO(export(pm, "pptx")))
    first = " ".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert "Fasce 0/50/75/100, versione 1" in first
    # at an intermediate check the deck gets one «Previsione a fine anno» slide
    aug = plan_metrics(cissa_db, 1, as_of=Y2023_AUG)
    prs = Presentation(io.BytesIO(export(aug, "pptx")))
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert titles.count("Previsione a fine anno") == 1
    assert "Previsione a fine anno" not in [s.shapes.title.text for s in
                                            Presentation(io.BytesIO(export(pm, "pptx"))).slides if s.shapes.title]


def test_workbook_sheet_sets_the_profile_and_bad_values_refuse_the_import(db):
    data = sheets(Sistema_di_misurazione=[["Campo", "Valore"], ["Profilo", "Lineare con soglia 60%"],
                                          ["Continuativo in corso", "90%"]])
    res = import_bytes(db, xlsx(data), "p.xlsx", user="ufficio")
    assert res.ok and not [w for w in res.problems.warnings if "non previsto" in w.message]
    assert "Sistema di misurazione del foglio: «Lineare con soglia 60% (personalizzato)»" in res.message
    pm = plan_metrics(db, 1)
    assert pm.profile.scoring == "lineare" and pm.profile.continuous_in_progress == 90.0
    assert pm.profile_version == 1 and pm.profile.name == "Lineare con soglia 60% (personalizzato)"
    assert db.scalar("SELECT source FROM measurement_profiles") == "foglio"
    # the same sheet again (another file): nothing new; a bad value: refused, nothing written
    data2 = sheets(Sistema_di_misurazione=data["Sistema di misurazione"],
                   Piano=[r if r[0] != "Data monitoraggio" else ["Data monitoraggio", "30/12/2025"]
                          for r in data["Piano"]])
    assert import_bytes(db, xlsx(data2), "p2.xlsx", user="ufficio").ok
    assert db.scalar("SELECT count(*) FROM measurement_profiles") == 1
    bad = sheets(Sistema_di_misurazione=[["Campo", "Valore"], ["Fascia verde da", "150%"]])
    res = import_bytes(db, xlsx(bad), "bad.xlsx", user="ufficio")
    assert not res.ok and any(p.sheet == "Sistema di misurazione" and "Fascia verde" in p.message
                              for p in res.problems.errors)
    assert db.scalar("SELECT count(*) FROM measurement_profiles") == 1


def test_cli_profile_override(tmp_path):
    dbfile = str(tmp_path / "cli.duckdb")
    d = Database(dbfile)
    assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
    d.close()
    r = subprocess.run([sys.executable, "-m", "metrics", "report", "--db", dbfile, "--format", "json", "--profile",
                        "fasce"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["profile"] == {"name": "Fasce 0/50/75/100", "version": 0} and doc["score"] == pytest.approx(86.5)
    assert {o["code"]: o["score"] for o in doc["objectives"]}["1"] == 50.0
    r = subprocess.run([sys.executable, "-m", "metrics", "report", "--db", dbfile, "--profile", "lineare"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and "Lineare con soglia 60% (scelto per questo rapporto)" in r.stdout


# ----------------------------------------------------------------------------- «Perché questo valore»
def test_objective_and_plan_explanations(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_END)
    df, text = objective_explanation(pm, "1")
    assert df["Contributo"].sum() == pytest.approx(pm.objectives.set_index("code").loc["1", "achievement"])
    why = dict(zip(df["Step"], df["Perché"]))
    assert why["1.6"] == "continuativo, in corso → 100,0% (profilo Predefinito)"
    assert why["1.4"] == "in corso, senza percentuale → 0,0% (profilo Predefinito)"
    assert why["1.1"] == "raggiunto → 100%"
    assert text.endswith("= 66,7% (regola 2, sistema di misurazione Predefinito (nessun profilo salvato)).")
    why4 = dict(zip(*objective_explanation(pm, "4")[0][["Step", "Perché"]].T.values))
    assert why4["4.9"].startswith("neutralizzato") and why4["4.12"] == "termine in un altro anno: non conta nel 2023"
    df, text = plan_explanation(pm)
    assert df["Contributo"].sum() == pytest.approx(pm.achievement)
    assert "13,3 + 20,0 + 16,0 + 14,0 + 11,2 + 16,0 = 90,5%" in text


def test_html_and_excel_name_the_profile_show_the_forecast_and_the_waiting_plans(demo_db, cissa):
    from openpyxl import load_workbook

    from exports import export

    aug = plan_metrics(demo_db, cissa, year=2023, as_of=Y2023_AUG)
    html = export(aug, "html").decode("utf-8")
    assert "Previsione a fine anno" in html and "Predefinito (nessun profilo salvato)" in html
    ws = load_workbook(io.BytesIO(export(aug, "xlsx")))["Riepilogo"]
    cells = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert cells["Sistema di misurazione"] == "Predefinito (nessun profilo salvato)"
    assert cells["Previsione a fine anno (attesa)"] == pytest.approx(aug.forecast["expected"] / 100)
    cssm = plan_metrics(demo_db, plan_id_by_file(demo_db, "000_"))
    html = export(cssm, "html").decode("utf-8")
    assert "in attesa del primo monitoraggio" in html and "Previsione a fine anno" not in html
