"""Premi (issue 17): the distribution of the productivity fund on CISA 31 2023 (seed 004), under the three
presets, to the cent; the validation gate; the art. 20 tables; the roles."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from fractions import Fraction

import pandas as pd
import pytest

from domain.profile import BONUS_PRESETS, BonusRules, ProfileError, bonus_preset
from metrics import closing as C
from metrics import engine, premi
from store.access import NotAuthorized, Principal
from tests.conftest import DEMO, plan_id_by_file

FUND = (4000, 6000)
REF, DIR, VAL = Principal("rita", "referente"), Principal("dario", "direttore"), Principal("vera", "valutatore")
ACT = "Delibera CdA n. 12 del 20/06/2024"


@pytest.fixture(scope="module")
def cisa(demo_db):
    return demo_db, plan_id_by_file(demo_db, "004_")


@pytest.fixture
def cisa_rw(db):
    """A writable database with CISA 31 2023 only (to save rules, validate, audit)."""
    from loaders import import_file

    assert import_file(db, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    return db, int(db.scalar("SELECT plan_id FROM plans"))


# ---------------------------------------------------------------------- arithmetic
def test_largest_remainder_sums_to_the_cent_and_gives_cents_to_largest_remainders():
    assert premi.largest_remainder(1000, [1, 1, 1]) == [334, 333, 333]       # tie: earlier position first
    assert premi.largest_remainder(100, [Fraction(1, 3), Fraction(2, 3)]) == [33, 67]
    assert premi.largest_remainder(1001, [0.2, 0.3, 0.5]) == [200, 300, 501]
    assert premi.largest_remainder(500, [0, 0]) == [0, 0]
    for total in (1, 999_999, 600_000):
        assert sum(premi.largest_remainder(total, [0.942792, 1, 0.75, 1 / 3, 7])) == total


def test_cents_and_euro_format():
    assert premi.cents(0.1 + 0.2) == 30 and premi.cents(4000) == 400_000
    assert premi.fmt_eur(1_000_000) == "10.000,00 €"


@pytest.mark.parametrize("rule,score,expected", [
    ("fasce", 59.9, 0), ("fasce", 60, 100), ("fasce", 75, 150), ("fasce", 80, 200), ("fasce", 100, 200),
    ("proporzionale", 59, 0), ("proporzionale", 76, 0.8), ("proporzionale", 95, 1), ("proporzionale", 99, 1),
    ("percentuali", 65, 0.25), ("percentuali", 72, 0.5), ("percentuali", 85, 0.75), ("percentuali", 90, 1),
])
def test_coefficient_of_each_preset(rule, score, expected):
    assert premi.coefficient(score, BONUS_PRESETS[rule]) == pytest.approx(expected)


def test_rules_validation_refuses_an_uplift_below_30_percent():
    with pytest.raises(ProfileError, match="almeno 30%"):
        BonusRules.from_dict({**BONUS_PRESETS["fasce"].to_dict(), "uplift_pct": 25})
    r = dataclasses.replace(BONUS_PRESETS["percentuali"], fund_individual=6000.0, uplift_share=20)
    assert BonusRules.from_json(r.to_json()) == r
    assert bonus_preset("Proporzionale").key == "proporzionale"


# ---------------------------------------------------------------------- CISA 31 2023, the three presets
def _check_distribution(res: premi.BonusResult, fund=FUND):
    p, t = res.people, res.totals()
    # totals equal the fund to the cent
    assert t["organizzativa"] == fund[0] * 100
    assert t["individuale"] + t["maggiorazione"] == fund[1] * 100
    assert t["totale"] == sum(fund) * 100 == int(p["total_cents"].sum())
    assert (p["total_cents"] == p["org_cents"] + p["ind_cents"] + p["uplift_cents"]).all()
    # nobody below the minimum score gets an individual share (nor an uplift)
    below = p[p["score"] < res.rules.min_score]
    assert (below["ind_cents"] == 0).all() and (below["uplift_cents"] == 0).all()
    # uplift holders: the top of the ranking among those rewarded, each ≥ 30% of the average individual bonus
    rewarded = p[p["ind_cents"] + p["uplift_cents"] > 0].sort_values("rank")
    holders = p[p["uplift"]]
    assert len(holders) >= 1
    assert sorted(holders["rank"]) == list(rewarded["rank"].iloc[:len(holders)])
    assert holders["score"].min() >= rewarded[~rewarded["uplift"]]["score"].max()
    average = (rewarded["ind_cents"] + rewarded["uplift_cents"]).mean()
    assert (holders["uplift_cents"] >= 0.30 * average).all()
    return p


@pytest.mark.parametrize("preset", ["fasce", "proporzionale", "percentuali"])
def test_cisa31_2023_fund_10000_under_each_preset(cisa, preset):
    db, pid = cisa
    res = premi.compute_for_plan(db, pid, preset=preset, fund=FUND)
    assert res.year == 2023 and res.provisional and res.rules.key == preset
    p = _check_distribution(res)
    assert len(p) == 14                               # 29 Personale rows, 14 people
    assert res.uplift_each == 12858                   # ⌈30% × 6.000,00 € / 14⌉ = 128,58 €
    assert p.loc[p["uplift"], "id"].tolist() == ["P008"]   # score 100, most participation (65%)
    assert (p["org_cents"].isin([28571, 28572])).all()     # every objective 100%: 4.000 / 14 each


def test_cisa31_percentuali_worked_example_of_the_readme(cisa):
    """The README's worked example, figures checked by hand there."""
    db, pid = cisa
    p = premi.compute_for_plan(db, pid, preset="percentuali", fund=FUND).people.set_index("id")
    # Dipendente 01 (P001): (20×10 + 30×10 + 15×10 + 40×7 + 10×10) / 115 = 8,9565 → 89,57 → band 80–90: 75%
    assert p.loc["P001", "score"] == pytest.approx(89.565, abs=1e-3) and p.loc["P001", "coefficient"] == 0.75
    # Σw = 12 × 1 + 2 × 0,75 = 13,5; B' = 6.000,00 − 128,58 = 5.871,42 €; 5.871,42 / 13,5 = 434,92 → 43.492 cents
    assert p.loc["P002", "ind_cents"] == 43492 and p.loc["P001", "ind_cents"] == 32619
    assert p.loc["P008", "total_cents"] == 28572 + 43492 + 12858


def test_minimum_score_with_a_person_below_it(cisa):
    """Seed data has nobody below 60: plant one (Dipendente 14 graded 5) and check nothing individual is paid."""
    db, pid = cisa
    from metrics.engine import plan_metrics

    pm = plan_metrics(db, pid)
    staff = pm.staff.copy()
    staff.loc[staff["name"] == "Dipendente 14", "grade"] = 5.0
    ach = dict(zip(pm.objectives["code"], pm.objectives["achievement"]))
    for preset in BONUS_PRESETS:
        rules = dataclasses.replace(BONUS_PRESETS[preset], fund_organisational=4000, fund_individual=6000)
        res = premi.compute(staff, ach, rules)
        p = _check_distribution(res)
        low = p[p["name"] == "Dipendente 14"].iloc[0]
        assert low["score"] == 50 and low["ind_cents"] == 0 and low["org_cents"] == 0 and low["total_cents"] == 0
        # with the minimum only for the individual share, the organisational one is paid
        res2 = premi.compute(staff, ach, dataclasses.replace(rules, min_score_organisational=False))
        low2 = res2.people[res2.people["name"] == "Dipendente 14"].iloc[0]
        assert low2["org_cents"] > 0 and low2["ind_cents"] == 0
        _check_distribution(res2)


def test_part_time_presence_category_and_ties(cisa):
    db, pid = cisa
    from metrics.engine import plan_metrics

    pm = plan_metrics(db, pid)
    staff = pm.staff.copy()
    staff["part_time"] = staff["name"].map({"Dipendente 02": 50.0})
    staff["service_months"] = staff["name"].map({"Dipendente 04": 6.0})
    staff["matricola"] = staff["name"].str[-2:].map(lambda s: f"M{s}")
    ach = dict(zip(pm.objectives["code"], pm.objectives["achievement"]))
    rules = dataclasses.replace(BONUS_PRESETS["fasce"], fund_organisational=4000, fund_individual=6000,
                                category_weights=(("DIR", 0.5),), uplift_share=20)
    p = _check_distribution(premi.compute(staff, ach, rules)).set_index("id")
    base = p.loc["M03", "ind_cents"]                          # full time, full year, coefficient 200
    assert abs(p.loc["M02", "ind_cents"] - base / 2) <= 1     # part-time 50%
    assert abs(p.loc["M04", "ind_cents"] - base / 2) <= 1     # 6 months of service
    assert abs(p.loc["M01", "ind_cents"] - base / 2) <= 1     # category DIR × 0,5
    assert abs(p.loc["M02", "org_cents"] * 2 - p.loc["M03", "org_cents"]) <= 2
    # 20% of 14 → 2 holders: six people score 100; order: participation desc (M08 65%, M02 45%), then id
    assert sorted(p.index[p["uplift"]]) == ["M02", "M08"]
    # «tutti»: every one tied at the margin's score gets it too
    tied_res = premi.compute(staff, ach, dataclasses.replace(rules, tie_rule="tutti"))
    tied = tied_res.people
    assert tied["uplift"].sum() == (tied["score"] == 100).sum() == 6
    _check_distribution(tied_res)


# ---------------------------------------------------------------------- gate, outputs
def test_provisional_everywhere_and_payroll_refused_until_validated(cisa_rw):
    db, pid = cisa_rw
    res = premi.compute_for_plan(db, pid, preset="fasce", fund=FUND, who="test")
    assert res.provisional and not premi.validated(db, pid, 2023)
    assert premi.result_dict(res)["stato"] == premi.PROVISIONAL
    for name, df in premi.art20_tables(res).items():
        assert (df["Stato"] == premi.PROVISIONAL).all(), name
    with pytest.raises(premi.PayrollRefused, match="non è ancora validata"):
        premi.payroll_csv(res)
    ente = db.scalar("SELECT ente FROM plans WHERE plan_id = ?", [pid])
    rules = dataclasses.replace(BONUS_PRESETS["fasce"], fund_organisational=4000, fund_individual=6000)
    assert premi.save_rules(db, ente, 2023, rules, "test") == 1
    # approved by the CdA and submitted is not enough: only the valutatore's decision unlocks payment
    C.approve(DIR, db, pid, 2023, ACT)
    C.submit(DIR, db, pid, 2023)
    assert not premi.validated(db, pid, 2023) and premi.compute_for_plan(db, pid).provisional
    with pytest.raises(NotAuthorized, match="propria approvazione"):      # nobody validates their own approval
        C.validate(Principal("dario", "valutatore"), db, pid, 2023, "validata")
    assert C.validate(VAL, db, pid, 2023, "non-validata")["state"] == "non validata"
    res = premi.compute_for_plan(db, pid)
    assert not premi.validated(db, pid, 2023) and res.provisional
    with pytest.raises(premi.PayrollRefused, match="non è ancora validata"):
        premi.payroll_csv(res)
    # a second round: approved again, validated by the valutatore
    C.approve(DIR, db, pid, 2023, ACT)
    C.submit(DIR, db, pid, 2023)
    C.validate(VAL, db, pid, 2023, "validata")
    assert premi.validated(db, pid, 2023)
    res = premi.compute_for_plan(db, pid, who="test")
    on = dt.date.today()
    assert not res.provisional and (res.validated_on, res.validated_by) == (on, "vera")
    day = on.strftime("%d/%m/%Y")
    assert res.status == f"definitivo — dati validati il {day}"
    for name, df in premi.art20_tables(res).items():
        assert (df["Stato"] == f"definitivo — dati validati il {day}").all(), name
    rows = list(csv.reader(io.StringIO(premi.payroll_csv(res).decode("utf-8"))))
    assert rows[0] == ["Identificativo", "Quota organizzativa (EUR)", "Quota individuale (EUR)",
                       "Maggiorazione (EUR)", "Totale (EUR)", "Anno del fondo", "Dati validati il"]
    assert {r[-1] for r in rows[1:]} == {day}
    assert len(rows) == 1 + 14 + 3 and rows[-3][0] == "TOTALE" and rows[-3][4] == rows[-2][4] == "10000.00"
    assert rows[-1][4] == "0.00"
    assert not any("Dipendente" in c for r in rows for c in r)
    trail = db.rows("SELECT action, detail FROM audit_log WHERE action IN ('calcolo premi', 'profilo') ORDER BY audit_id")
    assert [a for a, _ in trail] == ["calcolo premi", "profilo", "calcolo premi"]
    assert "PROVVISORIO" in trail[0][1] and f"dati validati il {day}" in trail[2][1]
    # reopened by the amministratore: provisional again, the payroll refused again
    C.reopen(Principal("anna", "amministratore"), db, pid, 2023, "Errore materiale nel foglio Personale")
    res = premi.compute_for_plan(db, pid)
    assert res.provisional and res.validated_on is None
    with pytest.raises(premi.PayrollRefused):
        premi.payroll_csv(res)


def test_rules_saved_with_the_old_validated_flag_still_load_and_unlock_nothing(cisa_rw):
    """Before the year-end workflow the rules carried a «relazione validata» flag: stored rules keep loading,
    the flag is dropped, and it does not unlock the payroll."""
    db, pid = cisa_rw
    ente = db.scalar("SELECT ente FROM plans WHERE plan_id = ?", [pid])
    old = {**dataclasses.replace(BONUS_PRESETS["fasce"], fund_organisational=4000, fund_individual=6000).to_dict(),
           "validated": True}
    with db.transaction() as cur:
        cur.execute("INSERT INTO bonus_rules (rules_id, ente, year, version, name, params_json, source, saved_at, "
                    "saved_by) VALUES (nextval('seq_bonus_rules'), ?, 2023, 1, 'Fasce', ?, 'pagina', now(), 'test')",
                    [ente, json.dumps(old)])
    rules, version = premi.current_rules(db, ente, 2023)
    assert version == 1 and rules.fund_individual == 6000 and not hasattr(rules, "validated")
    assert "validated" not in rules.to_dict()
    res = premi.compute_for_plan(db, pid)
    assert res.provisional and not premi.validated(db, pid, 2023)
    with pytest.raises(premi.PayrollRefused):
        premi.payroll_csv(res)


NET_STAFF = [["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione"],
             ["A", "Persona Uno", "D1", "100%", 9], ["B", "Persona Due", "C1", "100%", 9],
             ["A", "Persona Tre", "C1", "50%", 9], ["B", "Persona Tre", "C1", "50%", 9]]


def test_organisational_share_uses_the_decided_netto_figures(db):
    """Objective A at 100%, B at 0% (step B.1 never done) at 31/12/2025. Persona Tre worked half on each:
    50% → a third of the organisational fund. B's neutralisation changes nothing until the CdA's act is
    recorded; then B no longer counts, Persona Tre's achievement is 100% and her share a half."""
    from loaders import IMPORTED, import_bytes
    from metrics import variances as V
    from tests.workbooks import sheets, xlsx

    assert import_bytes(db, xlsx(sheets(Personale=NET_STAFF)), "netto.xlsx").status == IMPORTED
    pid = int(db.scalar("SELECT plan_id FROM plans"))

    def shares():
        res = premi.compute_for_plan(db, pid, preset="fasce", fund=FUND)
        assert res.totals()["organizzativa"] == FUND[0] * 100          # always the whole fund, to the cent
        return res, res.people.set_index("name")

    before, p0 = shares()
    assert not before.net and premi.result_dict(before)["raggiungimento"] == "lordo"
    assert p0["achievement"].to_dict() == {"Persona Uno": 100.0, "Persona Due": 0.0, "Persona Tre": 50.0}
    assert p0["org_cents"].to_dict() == {"Persona Uno": 266667, "Persona Due": 0, "Persona Tre": 133333}
    V.propose(REF, db, pid, 2025, "obiettivo", "B", cause="esogena", imputabile="no",
              description="Il finanziamento regionale non è arrivato", treatment="neutralizzazione")
    undecided, p1 = shares()
    assert not undecided.net and p1["org_cents"].equals(p0["org_cents"])          # no act, no change
    V.decide(DIR, db, pid, 2025, "obiettivo", "B", act="Delibera CdA n. 5 del 10/03/2026")
    after, p2 = shares()
    assert after.net and premi.result_dict(after)["raggiungimento"] == "netto"
    assert p2.loc["Persona Tre", "achievement"] == 100.0 and pd.isna(p2.loc["Persona Due", "achievement"])
    assert p2["org_cents"].to_dict() == {"Persona Uno": 200000, "Persona Due": 0, "Persona Tre": 200000}
    assert "raggiungimento netto" in after.basis
    ach, net = premi.org_achievement(engine.plan_metrics(db, pid, year=2025))
    assert net and ach == {"A": 100.0, "B": None}


def test_org_achievement_objective_reweighted_to_zero_does_not_count(db):
    """A re-weighting decided at 0 takes the objective out of everybody's organisational share; any other weight
    keeps the objective's (unchanged) achievement."""
    from loaders import IMPORTED, import_bytes
    from metrics import variances as V
    from tests.workbooks import sheets, xlsx

    assert import_bytes(db, xlsx(sheets(Personale=NET_STAFF)), "netto.xlsx").status == IMPORTED
    pid = int(db.scalar("SELECT plan_id FROM plans"))
    V.propose(REF, db, pid, 2025, "obiettivo", "B", cause="endogena", treatment="ripesatura", new_weight=10)
    V.decide(DIR, db, pid, 2025, "obiettivo", "B", act="Delibera CdA n. 6 del 10/03/2026")
    assert premi.org_achievement(engine.plan_metrics(db, pid, year=2025)) == ({"A": 100.0, "B": 0.0}, True)
    V.propose(REF, db, pid, 2025, "obiettivo", "B", cause="endogena", treatment="ripesatura", new_weight=0)
    V.decide(DIR, db, pid, 2025, "obiettivo", "B", act="Delibera CdA n. 7 del 11/03/2026")
    assert premi.org_achievement(engine.plan_metrics(db, pid, year=2025)) == ({"A": 100.0, "B": None}, True)
    p = premi.compute_for_plan(db, pid, preset="fasce", fund=FUND).people.set_index("name")
    assert p.loc["Persona Tre", "org_cents"] == 200000


def test_art20_tables_are_aggregated(cisa):
    db, pid = cisa
    t = premi.art20_tables(premi.compute_for_plan(db, pid, preset="percentuali", fund=FUND))
    amount = t["ammontare_premi"].set_index("Voce")
    assert amount.loc["Totale", "Distribuito (EUR)"] == 10000.00 and amount.loc["Totale", "Pagato (EUR)"] == 0
    dist = t["distribuzione_valutazioni"]
    assert dist["Persone (numero)"].tolist() == [12, 2, 0] and dist["Persone (numero)"].sum() == 14
    cats = t["premi_per_categoria"]
    assert cats["Persone (numero)"].sum() == 14 and (cats["Persone (numero)"] >= 3).all()
    assert cats["Categoria"].tolist() == ["C1", "D1", "altre categorie (meno di 3 persone ciascuna)"]
    diff = t["differenziazione"].set_index("Indicatore")["Valore"]
    assert diff["Personale con maggiorazione"] == 1 and diff["Maggiorazione in % del premio medio pro capite"] >= 30
    for df in t.values():
        assert not df.astype(str).apply(lambda c: c.str.contains("Dipendente")).any().any()


def test_roles_names_only_for_direttore_and_amministratore(cisa):
    from metrics import access
    from store.access import NotAuthorized, Principal

    db, pid = cisa
    for role in ("lettore", "referente", "valutatore"):
        res = access.premi(Principal("u", role), db, pid, preset="fasce", fund=FUND)
        assert res.redacted and res.people["name"].isna().all() and res.people["id"].isna().all()
        assert premi.result_dict(res)["people"] == []
        assert res.totals()["totale"] == 1_000_000                 # aggregates still there
        with pytest.raises(NotAuthorized):
            access.premi_payroll(Principal("u", role), db, pid)
    for role in ("direttore", "amministratore"):
        res = access.premi(Principal("u", role), db, pid, preset="fasce", fund=FUND)
        assert not res.redacted and res.people["name"].str.startswith("Dipendente").all()
    with pytest.raises(NotAuthorized):
        access.premi(Principal("u", "direttore", frozenset({"Altro ente"})), db, pid)


# ---------------------------------------------------------------------- Personale, spec revision 3
def test_personale_optional_columns_are_read_and_used(db):
    from loaders import IMPORTED, import_bytes
    from tests.workbooks import sheets, xlsx

    staff = [["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione", "Matricola", "Part-time %",
              "Mesi di servizio", "Categoria"],
             ["A", "Persona Uno", "D1", "30%", 9, "000123", "50%", 12, "Funzionari"],
             ["B", "Persona Uno", "D1", "20%", 10, "000123", "50%", 12, "Funzionari"],
             ["A", "Persona Due", "C3", "50%", 8, "000456", "", 6, "Istruttori"],
             ["B", "Persona Tre", "B1", "50%", 5, "000789", "100%", "", "Operatori"]]
    res = import_bytes(db, xlsx(sheets(Personale=staff)), "premi.xlsx")
    assert res.status == IMPORTED, [str(p) for p in res.problems]
    rows = db.rows("SELECT name, matricola, part_time, service_months, category, role FROM staff ORDER BY row_no")
    assert rows[0] == ("Persona Uno", "000123", 50.0, 12.0, "Funzionari", "D1")
    assert rows[2][1:5] == ("000456", None, 6.0, "Istruttori")
    pid = int(db.scalar("SELECT plan_id FROM plans"))
    rules = dataclasses.replace(BONUS_PRESETS["fasce"], fund_organisational=1000, fund_individual=2000)
    p = premi.compute_for_plan(db, pid, rules=rules).people.set_index("id")
    assert list(p.index) == ["000123", "000456", "000789"]
    assert p.loc["000123", "part_time"] == 50 and p.loc["000456", "presence"] == 50
    assert p.loc["000789", "total_cents"] == 0                     # 5/10 → 50 points, below 60
    assert p["total_cents"].sum() == 300_000
    # a sheet with «Categoria» and no «Qualifica» (Categoria was Qualifica's synonym before revision 3)
    only_cat = [["Obiettivo", "Nome", "Categoria", "Valutazione"], ["A", "Persona Uno", "C1", 9]]
    assert import_bytes(db, xlsx(sheets(Personale=only_cat)), "premi3.xlsx").status == IMPORTED
    assert db.rows("SELECT role, category FROM staff WHERE import_id = (SELECT max(import_id) FROM imports)") == \
        [("C1", "C1")]
    # Mesi di servizio outside 0–12 is an error, with sheet, row and column
    bad = [staff[0], ["A", "Persona Uno", "D1", "30%", 9, "000123", "50%", 14, "Funzionari"]]
    res = import_bytes(db, xlsx(sheets(Personale=bad)), "premi2.xlsx")
    assert res.status != IMPORTED and any("mesi di servizio" in str(pr) for pr in res.problems.errors)


def test_cisa31_fasce_and_proporzionale_figures_of_the_readme(cisa):
    db, pid = cisa
    f = premi.compute_for_plan(db, pid, preset="fasce", fund=FUND).people.set_index("id")
    assert set(f["ind_cents"]) == {41938, 41939}
    p = premi.compute_for_plan(db, pid, preset="proporzionale", fund=FUND).people.set_index("id")
    assert p.loc["P001", "ind_cents"] == 40055 and p.loc["P005", "ind_cents"] == 38758
