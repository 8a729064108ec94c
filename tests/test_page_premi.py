"""Page Premi (issue 17) through AppTest: PROVVISORIO before validation (payroll off), the payroll file after;
the figures are the metrics' own; names only for direttore/amministratore, aggregates for the others; the
computation and the download in the Registro."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from domain.profile import BONUS_PRESETS
from loaders import import_file
from metrics import premi
from store import Database, users
from tests.apptest import capture_downloads, deliver, metrics_of, open_app, read
from tests.conftest import DEMO, ROOT

PAGE = "pages/premi.py"
PW = "password di prova"
CISA = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"
RULES = dataclasses.replace(BONUS_PRESETS["percentuali"], fund_organisational=4000.0, fund_individual=6000.0)


def validate_year(d: Database, pid: int = 1, year: int = 2023) -> None:
    """The real year-end workflow: the direttore records the CdA's act and submits, the valutatore validates."""
    from metrics import closing
    from store.access import Principal

    closing.approve(Principal("dario", "direttore"), d, pid, year, "Delibera CdA n. 12 del 20/06/2024")
    closing.submit(Principal("dario", "direttore"), d, pid, year)
    assert closing.validate(Principal("vera", "valutatore"), d, pid, year, "validata")["state"] == "validata"


def make_db(path, validated: bool = False, accounts: bool = False):
    d = Database(path)
    try:
        assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
        premi.save_rules(d, CISA, 2023, RULES, "test")
        if validated:
            validate_year(d)
        if accounts:
            for name, role in (("lettore_a", "lettore"), ("valutatore_a", "valutatore"), ("direttore_a", "direttore")):
                users.add_user(d, name, PW, role, [CISA], by="test")
    finally:
        d.close()
    return path


def everything(at: AppTest) -> str:
    parts = [str(getattr(e, "value", "")) for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                                         "warning", "success", "error") for e in getattr(at, kind)]
    parts += [m.label + " " + m.value for m in at.metric]
    parts += [t.value.to_string() for t in at.dataframe]
    return " ".join(parts)


def test_provisional_before_validation_with_the_metrics_figures(monkeypatch, tmp_path):
    path = make_db(tmp_path / "p.duckdb")
    at = open_app(monkeypatch, path, PAGE)
    text = everything(at)
    assert "PROVVISORIO — relazione non validata" in text and "Chiusura dell'anno" in text
    assert "raggiungimento **netto**" in text or "raggiungimento netto" in text
    assert not [c for c in at.checkbox if "validata" in c.label]      # no stand-in flag: the workflow decides
    m = metrics_of(at)
    assert m["Fondo"] == "10.000,00 €" and m["Distribuito"] == "10.000,00 €"
    assert m["Maggiorazione pro capite"] == "128,58 €" and m["Con premio individuale"] == "14 su 14"
    people = next(t.value for t in at.dataframe if "Nome" in t.value.columns)
    assert people.iloc[0]["Identificativo"] == "P008" and people.iloc[0]["Maggiorazione"] == "128,58 €"
    assert "Dipendente 01" in set(people["Nome"])
    assert [b for b in at.button if b.label == "File per gli stipendi (CSV)"][0].disabled
    at.run()                                                   # a rerun is not a new computation
    assert read(path, "SELECT count(*) FROM audit_log WHERE action = 'calcolo premi'") == [(1,)]
    at.text_input(key="premi_org").input("4.500,00").run()
    assert metrics_of(at)["Fondo"] == "10.500,00 €"
    at.selectbox(key="premi_preset").select("fasce").run()
    assert not at.exception
    assert read(path, "SELECT count(*) FROM audit_log WHERE action = 'calcolo premi'") == [(3,)]
    amount = next(t.value for t in at.dataframe if "Voce" in t.value.columns)
    assert amount.iloc[-1]["Distribuito (EUR)"] == "10.500,00 €" and amount.iloc[-1]["Pagato (EUR)"] == "0,00 €"


@pytest.mark.parametrize("text,euro", [("4.000,00", 4000.0), ("4000", 4000.0), ("10.000", 10000.0),
                                       ("1.234,5 €", 1234.5), ("4000.50", 4000.5)])
def test_euro_input_reads_italian_amounts(text, euro):
    from ui.views.premi import parse_euro

    assert parse_euro(text) == euro


def test_payroll_after_validation(monkeypatch, tmp_path):
    path = make_db(tmp_path / "v.duckdb", validated=True)
    files = capture_downloads(monkeypatch)
    at = open_app(monkeypatch, path, PAGE)
    today = dt.date.today().strftime("%d/%m/%Y")        # validated just now, by «vera»
    text = everything(at)
    assert "PROVVISORIO" not in text and f"Dati validati il {today} da vera" in text
    assert f"definitivo — dati validati il {today}" in text                       # the art. 20 tables' state
    assert not [c for c in at.checkbox if "validata" in c.label]
    data = deliver(files, "premi_payroll").decode("utf-8")
    assert data.startswith("Identificativo,") and f"TOTALE,4000.00,5871.42,128.58,10000.00,2023,{today}" in data
    assert "Dipendente" not in data
    assert read(path, "SELECT count(*) FROM audit_log WHERE action = 'scaricamento'") == [(1,)]


def login(at: AppTest, name: str) -> AppTest:
    at.text_input(key="auth_username").input(name)
    at.text_input(key="auth_password").input(PW)
    next(b for b in at.button if b.label == "Accedi").click()
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("who", ["lettore_a", "valutatore_a"])
def test_lettore_and_valutatore_get_aggregates_only(monkeypatch, tmp_path, who):
    path = make_db(tmp_path / "r.duckdb", validated=True, accounts=True)
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at = login(at, who)
    text = everything(at)
    assert "solo dati aggregati" in text and "Dati relativi ai premi" in text
    assert metrics_of(at)["Distribuito"] == "10.000,00 €"
    assert "Dipendente" not in text and "P008" not in text
    assert not [t for t in at.dataframe if "Nome" in t.value.columns]
    assert not [b for b in at.button if "stipendi" in b.label]


def test_direttore_sees_names(monkeypatch, tmp_path):
    path = make_db(tmp_path / "d.duckdb", accounts=True)
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at = login(at, "direttore_a")
    assert "Dipendente 01" in everything(at)
    assert "Salva le regole" not in [b.label for b in at.button]      # the rules are the amministratore's


def test_a_plan_without_evaluations_distributes_nothing_and_says_why(monkeypatch, tmp_path):
    """CISSA 2023: 240 participation rows, no Valutazione: no score, no bonus (art. 18), explained."""
    path = tmp_path / "c.duckdb"
    d = Database(path)
    try:
        assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
        ente = d.scalar("SELECT ente FROM plans")
        premi.save_rules(d, ente, 2023, RULES, "test")
    finally:
        d.close()
    at = open_app(monkeypatch, path, PAGE)
    assert "non riporta valutazioni" in everything(at)
    m = metrics_of(at)
    assert m["Fondo"] == "10.000,00 €" and m["Distribuito"] == "0,00 €" and m["Con premio individuale"] == "0 su 40"


def test_the_page_says_when_the_organisational_share_rests_on_netto_figures(monkeypatch, tmp_path):
    """Objective B (0%) neutralised with the CdA's act: the page says the share rests on the netto figures and
    Persona Tre (half on A, half on B) gets half of the organisational fund instead of a third."""
    from loaders import IMPORTED, import_bytes
    from metrics import variances as V
    from store.access import Principal
    from tests.test_premi import NET_STAFF
    from tests.workbooks import sheets, xlsx

    path = tmp_path / "n.duckdb"
    d = Database(path)
    try:
        assert import_bytes(d, xlsx(sheets(Personale=NET_STAFF)), "netto.xlsx").status == IMPORTED
        premi.save_rules(d, "Consorzio Test", 2025, RULES, "test")
        V.propose(Principal("rita", "referente"), d, 1, 2025, "obiettivo", "B", cause="esogena",
                  treatment="neutralizzazione")
        V.decide(Principal("dario", "direttore"), d, 1, 2025, "obiettivo", "B", act="Delibera CdA n. 5 del 10/03/2026")
    finally:
        d.close()
    at = open_app(monkeypatch, path, PAGE)
    text = everything(at)
    assert "Quota organizzativa sul raggiungimento netto" in text and "PROVVISORIO" in text
    people = next(t.value for t in at.dataframe if "Nome" in t.value.columns).set_index("Nome")
    assert people.loc["Persona Tre", "Organizzativa"] == "2.000,00 €"
    assert people.loc["Persona Uno", "Organizzativa"] == "2.000,00 €"
