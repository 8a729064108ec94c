"""Issue 15: the time-aware reading of spec revision 3 (rule 10, the «Stato» of a step not yet due, every figure
as of its date, no date after today) and one vocabulary for a step's timing (metrics.timing)."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from domain import clock
from metrics import timing
from metrics.engine import plan_metrics
from metrics.explain import slip_text
from metrics.report import report_dict
from tests.conftest import plan_id_by_file

AUG, DEC = dt.date(2023, 8, 31), dt.date(2023, 12, 31)


@pytest.fixture(scope="module")
def cissa(demo_db):
    return plan_id_by_file(demo_db, "002")


def test_cissa_at_31_08_objective_3_is_on_schedule_green_with_25_percent_progress(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=AUG)
    o = pm.objectives.set_index("code").loc["3"]
    assert o["adherence"] == pytest.approx(100.0) and o["band"] == "verde"      # cronoprogramma
    assert o["achievement"] == pytest.approx(25.0) and o["band_progress"] == "rosso"   # avanzamento dell'anno
    # objective 6: nothing due yet at 31/08 → no adherence, grey, never red
    six = pm.objectives.set_index("code").loc["6"]
    assert pd.isna(six["adherence"]) and six["band"] == "n.d." and six["nothing_due"]
    h = pm.headline()
    assert h["basis"] == "cronoprogramma" and h["value"] == pm.adherence and h["progress"] == pm.achievement
    assert h["band"] == "verde" and h["forecast"] is not None


def test_cissa_at_31_08_steps_3_3_and_3_4_are_in_progress_not_yet_due(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=AUG)
    s = pm.steps.set_index("code")
    for code in ("3.3", "3.4"):
        assert s.loc[code, "status_raw"].startswith("Obiettivo, al momento non realizzato")
        assert s.loc[code, "status"] == "in corso"                  # revision 3: not «non raggiunto»
        assert not s.loc[code, "due"]
        assert timing.category(s.loc[code]) == timing.CAT_NOT_DUE
        assert "non ancora scaduto" in slip_text(s.loc[code])
    assert s.loc["3.1", "due"] and s.loc["2.2", "due"]               # done on time; continuativo
    hist = pm.verifications.set_index("step_code")                     # the history lists say the same
    assert hist.loc["3.3", "status"] == "in corso" and hist.loc["3.4", "status"] == "in corso"
    # at 31/12 the same words on a step now due would be «non raggiunto»; the seed says «realizzato» then
    assert plan_metrics(demo_db, cissa, year=2023, as_of=DEC).steps.set_index("code").loc["3.3", "status"] == "raggiunto"


def test_every_count_uses_only_the_verifications_up_to_the_as_of(demo_db, cissa):
    assert plan_metrics(demo_db, cissa, year=2023, as_of=AUG).counts["verifications"] == 34
    assert plan_metrics(demo_db, cissa, year=2023, as_of=DEC).counts["verifications"] == 68


def test_report_json_carries_schedule_adherence_and_due(demo_db, cissa):
    doc = report_dict(plan_metrics(demo_db, cissa, year=2023, as_of=AUG))
    assert doc["schedule_adherence"] == pytest.approx(plan_metrics(demo_db, cissa, year=2023, as_of=AUG).adherence)
    o3 = next(o for o in doc["objectives"] if o["code"] == "3")
    assert o3["schedule_adherence"] == pytest.approx(100.0) and o3["achievement"] == pytest.approx(25.0)
    assert {s["code"]: s["due"] for s in o3["steps"]} == {"3.1": True, "3.2": False, "3.3": False, "3.4": False}


def test_at_31_12_every_figure_is_unchanged_and_adherence_equals_achievement(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=DEC)
    assert round(pm.achievement, 1) == 90.5 and pm.adherence == pm.achievement
    assert (pm.objectives["adherence"].fillna(-1) == pm.objectives["achievement"].fillna(-1)).all()
    assert (pm.objectives["band"] == pm.objectives["band_progress"]).all()
    assert pm.headline()["basis"] == "avanzamento" and pm.headline()["value"] == pm.achievement
    assert pm.steps.loc[pm.steps["due_in_year"], "due"].all()


def test_year_end_wording_is_consistent(demo_db, cissa):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=DEC)
    s = pm.steps.set_index("code")
    for code in ("1.4", "1.5"):     # due 31/12, not completed at 31/12: due, not «in scadenza / non ancora scaduto»
        assert timing.category(s.loc[code]) == timing.CAT_DUE_NOW and s.loc[code, "due"]
        assert timing.short_text(s.loc[code]) == "termine raggiunto, non completato"
        assert "non ancora scaduto" not in slip_text(s.loc[code]) + timing.short_text(s.loc[code])
    # 4.8: bounded by the verifications; the lowest delay is 0, never −30
    assert (s.loc["4.8", "slip_min_days"], s.loc["4.8", "slip_max_days"]) == (0, 92)
    assert "tra 0 e 92 giorni" in slip_text(s.loc["4.8"]) and "-30" not in slip_text(s.loc["4.8"])
    # 4.3 and 4.5: late, bounded by the verifications
    assert timing.delay_text(s.loc["4.3"]) == "tra 31 e 153 giorni (verifiche)"
    assert timing.delay_text(s.loc["4.5"]) == "tra 0 e 122 giorni (verifiche)"


@pytest.mark.parametrize("as_of", [AUG, DEC])
def test_the_relazione_sentence_adds_up(demo_db, cissa, as_of):
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=as_of)
    due = pm.steps[pm.steps["due_in_year"]]
    b = timing.breakdown(due)
    assert sum(b.values()) == len(due) == 33
    text = timing.year_sentence(due, 2023)
    assert text.startswith("Dei 33 step con termine nel 2023: ")
    done = sum(b.get(c, 0) for c in timing.DONE_CATEGORIES)
    assert f"{done} completati" in text
    if as_of == DEC:
        assert "1 neutralizzato" in text and "7 continuativi" in text and "1 scaduto senza completamento" in text
        assert "2 al termine senza completamento" in text


def test_cssm_2026_without_monitoring_has_no_date_after_today(demo_db):
    cssm = plan_id_by_file(demo_db, "000")
    fixed = dt.date(2026, 3, 15)
    clock.set_today(fixed)
    try:
        pm = plan_metrics(demo_db, cssm, year=2026)
        assert pm.ctx.as_of == fixed                          # not 31/12/2026
        assert pm.headline()["basis"] == "cronoprogramma"
        od = pm.steps.loc[pm.steps["due_in_year"], "overdue_days"].dropna()
        # no delay computed against a future date: every overdue step's deadline is on or before «today»
        assert (pd.to_datetime(pm.steps.loc[od.index, "deadline"]) <= pd.Timestamp(fixed)).all()
        assert od.max() <= (fixed - dt.date(2026, 1, 1)).days
        assert pm.forecast is not None
    finally:
        clock.set_today(None)
    # an explicit as-of date is the user's choice and is kept
    assert plan_metrics(demo_db, cssm, year=2026, as_of=dt.date(2026, 12, 31)).ctx.as_of == dt.date(2026, 12, 31)


def test_clock_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CRUSCOTTO_OGGI", "2024-02-29")
    assert clock.today() == dt.date(2024, 2, 29)
    monkeypatch.setenv("CRUSCOTTO_OGGI", "non una data")
    assert clock.today() == dt.date.today()


# ----------------------------------------------------------------------------- pages (AppTest)
def test_panoramica_at_31_08_leads_with_the_schedule_and_counts_34_verifications(monkeypatch, demo_db, cissa):
    from metrics.fmt import fmt_pct
    from tests.apptest import metrics_of, open_app
    at = open_app(monkeypatch, demo_db.path, "pages/panoramica.py", piano=cissa, anno=2023, data="2023-08-31")
    pm = plan_metrics(demo_db, cissa, year=2023, as_of=AUG)
    m = metrics_of(at)
    assert m["Rispetto del cronoprogramma"] == fmt_pct(pm.adherence)
    assert m["Avanzamento dell'anno"] == fmt_pct(pm.achievement)
    assert "Raggiungimento del piano" not in m
    assert m["Verifiche"] == "34"


def test_obiettivo_3_at_31_08_is_100_percent_on_schedule_and_25_percent_done(monkeypatch, demo_db, cissa):
    from tests.apptest import metrics_of, open_app
    at = open_app(monkeypatch, demo_db.path, "pages/obiettivo.py", piano=cissa, anno=2023, data="2023-08-31",
                  obiettivo="3")
    m = metrics_of(at)
    assert m["Cronoprogramma"] == "100,0%" and m["Avanzamento dell'anno"] == "25,0%"
    md = " ".join(e.value for e in at.markdown)
    assert "Rispetto del cronoprogramma = " in md and "Non ancora scaduti (né fatti né mancati): 3.2, 3.3, 3.4" in md
    steps = next(d.value for d in at.dataframe if "Tempi" in d.value.columns and "Stato" in d.value.columns
                 and "Giorni scaduto" in d.value.columns)
    by = dict(zip(steps["Step"], zip(steps["Stato"], steps["Tempi"])))
    assert by["3.3"] == by["3.4"] == ("in corso", "non ancora scaduto") and by["3.1"][1] == "in tempo"


def test_obiettivo_at_31_12_is_unchanged(monkeypatch, demo_db, cissa):
    from tests.apptest import metrics_of, open_app
    at = open_app(monkeypatch, demo_db.path, "pages/obiettivo.py", piano=cissa, anno=2023, data="2023-12-31",
                  obiettivo="3")
    m = metrics_of(at)
    assert m["Raggiungimento"] == "100,0%" and "Cronoprogramma" not in m


# ----------------------------------------------------------------------------- weights in points
@pytest.mark.parametrize("prefix", ["002", "004"])        # CISSA 10/10/8/7/7/8, CISA 31 5 × 10: «punti su 50»
def test_weights_in_points_are_the_entes_format_not_a_warning(monkeypatch, demo_db, prefix):
    from metrics.quality import weight_formats
    from tests.apptest import open_app
    pid = plan_id_by_file(demo_db, prefix)
    pm = plan_metrics(demo_db, pid)
    assert not any(q["rule"] == "weights_sum" and "piano" in q["items"] for q in pm.quality)
    assert any("in punti su 50" in n for n in weight_formats(pm))
    at = open_app(monkeypatch, demo_db.path, "pages/qualita.py", piano=pid)
    assert any("in punti su 50" in i.value for i in at.info)
    assert not any("somma 50,0%" in w.value for w in at.warning)


def test_points_total_recognises_only_whole_points_with_a_round_total():
    from metrics.formulas import points_total
    s = lambda *v: pd.Series(v, dtype="float64")  # noqa: E731
    assert points_total(s(10, 10, 8, 7, 7, 8)) == 50
    assert points_total(s(10, 10, 8, 7, 7, 8), pd.Series(["10", "10", "8", "7", "7", "8"])) == 50
    assert points_total(s(5, 5, 5, 5), pd.Series(["5%"] * 4)) is None         # percentages summing to 20%
    assert points_total(s(33.3, 33.3, 33.3)) is None                           # not whole points
    assert points_total(s(30, 30, 40)) is None                                 # 100: plain percentages
    assert points_total(s(7, 8, 6)) is None                                    # 21: no round total


def test_linked_objectives_in_natural_order(demo_db):
    """COeSO: «8, 10, 12 … 18», not «10, 12, … 18, 8» (issue 15)."""
    from domain.codes import natural_key
    pm = plan_metrics(demo_db, plan_id_by_file(demo_db, "003"))
    lists = [list(x) for x in pm.strategic["objectives"]] + [list(x) for x in pm.areas["objectives"]]
    assert all(x == sorted(x, key=natural_key) for x in lists)
    assert any("8" in x and "10" in x and x.index("8") < x.index("10") for x in lists)


# ----------------------------------------------------------------------------- plurals
def test_one_plural_helper():
    from domain.words import plural as domain_plural
    from metrics.fmt import plural
    assert plural is domain_plural
    assert plural(1, "indicatore", "indicatori") == "1 indicatore"
    assert plural(0, "avviso", "avvisi") == "0 avvisi"
    assert plural(1234, "step", "step") == "1.234 step"


def test_import_message_agrees_with_its_numbers(db):
    from loaders import import_bytes
    from tests.workbooks import sheets, xlsx
    data = sheets(Indicatori=[["Obiettivo", "Indicatore", "Target", "Valore"], ["A", "Famiglie seguite", "≥ 10", "8"]])
    res = import_bytes(db, xlsx(data), "uno.xlsx", user="test")
    assert res.ok, res.message
    assert "1 indicatore," in res.message and "1 indicatori" not in res.message
    assert "2 obiettivi" in res.message and "4 verifiche" in res.message
    assert not re.search(r"\b1 (avvisi|indicatori|obiettivi|verifiche|righe)\b", res.message)


# ----------------------------------------------------------------------------- CLI: enti by acronym and Codice IPA
def test_cli_users_add_recognises_an_ente_by_acronym_and_codice_ipa(tmp_path):
    import subprocess
    import sys

    from store import Database, enti
    from tests.conftest import DEMO, ROOT

    path = tmp_path / "cli.duckdb"
    d = Database(path)
    from loaders import import_file
    for f in ("002_cissa_pianezza_2023.xlsx", "004_cisa31_2023.xlsx"):
        assert import_file(d, DEMO / f, user="test").ok
    enti.set_codice_ipa(d, enti.lookup(d, "C.I.S.S.A."), "cissa_to", who="test")
    d.close()
    pw = "una-password-lunga-123"

    def add(name, ente):
        return subprocess.run([sys.executable, "-m", "store", "users", "add", name, "--ruolo", "lettore", "--enti", ente,
                               "--db", str(path)], input=f"{pw}\n{pw}\n", capture_output=True, text=True, cwd=ROOT,
                              timeout=120)

    r = add("anna", "C.I.S.A. 31")
    assert r.returncode == 0, r.stderr
    r = add("bruno", "CISSA_TO")
    assert r.returncode == 0, r.stderr
    r = add("carla", "CISSA")
    assert r.returncode == 0, r.stderr
    r = add("dario", "C.I.X. 99")
    assert r.returncode != 0 and "sconosciuto" in r.stderr
    d = Database(path)
    grants = dict(d.rows("SELECT username, ente FROM user_grants ORDER BY username"))
    d.close()
    assert "C.I.S.A. 31" in grants["anna"] and grants["bruno"] == grants["carla"]
    assert "Pianezza" in grants["bruno"]


# ----------------------------------------------------------------------------- Excel
def _rows(ws):
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r and r[0] in ("Codice", "Obiettivo"))
    return [dict(zip(rows[head], r)) for r in rows[head + 1:] if any(v is not None for v in r)]


def test_excel_carries_the_schedule_adherence_and_bounded_delays(demo_db, cissa):
    import io

    from openpyxl import load_workbook

    from exports.xlsx import to_xlsx
    wb = load_workbook(io.BytesIO(to_xlsx(plan_metrics(demo_db, cissa, year=2023, as_of=AUG))))
    summary = {r[0].value: r[1].value for r in wb["Riepilogo"].iter_rows() if r[0].value}
    assert summary["Rispetto del cronoprogramma"] == pytest.approx(0.979, abs=0.001)
    assert summary["Fascia e stato da"] == "cronoprogramma" and summary["Verifiche"] == 34
    o3 = next(r for r in _rows(wb["Obiettivi"]) if r["Codice"] == "3")
    assert o3["% cronoprogramma"] == pytest.approx(1.0) and o3["% raggiungimento"] == pytest.approx(0.25)
    wb = load_workbook(io.BytesIO(to_xlsx(plan_metrics(demo_db, cissa, year=2023, as_of=DEC))))
    late = {r["Step"]: r for r in _rows(wb["Ritardi"])}
    assert late["4.3"]["Ritardo"] == "tra 31 e 153 giorni (verifiche)"
    assert (late["4.3"]["Ritardo minimo (giorni)"], late["4.3"]["Ritardo massimo (giorni)"]) == (31, 153)
    assert late["4.5"]["Ritardo"] == "tra 0 e 122 giorni (verifiche)"


def test_cascata_at_31_08_gives_the_schedule_beside_the_achievement(monkeypatch, demo_db, cissa):
    from tests.apptest import metrics_of, open_app
    at = open_app(monkeypatch, demo_db.path, "pages/cascata.py", piano=cissa, anno=2023, data="2023-08-31")
    assert "Rispetto del cronoprogramma" in metrics_of(at)
    assert any("Cronoprogramma" in d.value.columns for d in at.dataframe)


@pytest.mark.parametrize("page", ["pages/scadenze.py", "pages/panoramica.py", "pages/obiettivo.py"])
def test_cssm_2026_pages_show_no_date_after_today(monkeypatch, demo_db, page):
    """CSSM 2026, no monitoring, «today» fixed at 07/12/2026 (tests/conftest.py): no «31/12/2026» anywhere."""
    from tests.apptest import open_app
    assert clock.today() == dt.date(2026, 12, 7)
    at = open_app(monkeypatch, demo_db.path, page, piano=plan_id_by_file(demo_db, "000"), anno=2026)
    shown = " ".join(str(e.value) for e in list(at.markdown) + list(at.caption) + list(at.info) + list(at.metric)
                     + list(at.warning) + list(at.selectbox))
    assert "07/12/2026" in shown and "31/12/2026" not in shown      # (deadlines in tables may be later: plans)
    assert [o for o in at.selectbox(key="sel_date").options] == ["07/12/2026"]


def test_scadenze_at_31_12_does_not_call_steps_due_today_not_yet_due(monkeypatch, demo_db, cissa):
    from tests.apptest import open_app
    at = open_app(monkeypatch, demo_db.path, "pages/scadenze.py", piano=cissa, anno=2023, data="2023-12-31")
    cap = " ".join(c.value for c in at.caption)
    assert "al termine senza completamento 2" in cap and "non ancora scaduti 0" in cap
