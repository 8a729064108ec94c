"""Page «Sistema di misurazione» and the measuring-system blocks of Panoramica, Obiettivo and Presentazione in
AppTest: presets compared on the plan, saving a profile changes every page's figures at once (nothing stale)."""
from __future__ import annotations

import json

import pytest

from loaders import import_file
from metrics import plan_metrics
from store import Database
from tests.apptest import metrics_of, open_app
from tests.conftest import DEMO, plan_id_by_file

SISTEMA, PANORAMICA, OBIETTIVO, PRESENTAZIONE = ("pages/sistema.py", "pages/panoramica.py", "pages/obiettivo.py",
                                                 "pages/presentazione.py")


def texts(at) -> str:
    return " ".join(str(e.value) for e in list(at.info) + list(at.caption) + list(at.markdown) + list(at.success))


@pytest.fixture
def cissa_db(tmp_path):
    d = Database(tmp_path / "pages.duckdb")
    assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
    yield d
    d.close()


def test_presets_side_by_side_then_saving_changes_every_page(monkeypatch, cissa_db):
    at = open_app(monkeypatch, cissa_db.path, SISTEMA, piano=1, anno=2023, data="2023-12-31")
    assert "Predefinito (nessun profilo salvato)" in texts(at)
    scores = [m.value for m in at.metric if m.label == "Punteggio del piano"]
    assert scores == ["90,5", "86,5", "90,5"]            # Predefinito, Fasce 0/50/75/100, Lineare con soglia 60%
    table = next(d.value for d in at.dataframe if "Punti · Fasce 0/50/75/100" in d.value.columns)
    assert dict(zip(table["Codice"], table["Punti · Fasce 0/50/75/100"]))["1"] == "50,0"
    assert "presets_chart" in [c.key for c in at.get("plotly_chart")]
    at.radio(key="profile_choice").set_value("fasce").run()
    assert not at.exception
    assert "punteggio **86,5**" in texts(at)              # preview before saving
    at.button(key="profile_save").click().run()
    assert not at.exception
    # issue 15: saving asks for confirmation first, with an optional approving act
    assert cissa_db.scalar("SELECT count(*) FROM measurement_profiles") == 0
    at.text_input(key="profile_act").set_value("Delibera del CdA n. 12 del 15/03/2024")
    at.button(key="profile_confirm_save").click().run()
    assert not at.exception
    assert cissa_db.scalar("SELECT act FROM measurement_profiles") == "Delibera del CdA n. 12 del 15/03/2024"
    assert "approvato con Delibera del CdA n. 12" in cissa_db.scalar(
        "SELECT detail FROM audit_log WHERE action = 'profilo'")
    assert "versione 1" in texts(at)
    assert "Fasce 0/50/75/100, versione 1" in texts(at)
    assert cissa_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'profilo'") == 1
    # the history and the parameters in use, computed once per data version, show the new version at once
    hist = next(d.value for d in at.dataframe if {"Versione", "Profilo"} <= set(d.value.columns))
    assert hist["Profilo"].tolist() == ["Fasce 0/50/75/100"]
    params = next(d.value for d in at.dataframe if "Parametro" in d.value.columns)
    assert params.shape[0] > 5
    # every page now computes with the saved profile: the same session, no restart
    at.switch_page(PANORAMICA).run()
    assert not at.exception
    assert metrics_of(at)["Punteggio del piano"] == "86,5"
    assert "Fasce 0/50/75/100, versione 1" in texts(at)
    at.switch_page(OBIETTIVO).run()
    assert metrics_of(at)["Punteggio"] == "50,0"          # objective 1 (66,7%) under the bands
    # and a fresh session (another user) too
    at2 = open_app(monkeypatch, cissa_db.path, PANORAMICA, piano=1, anno=2023, data="2023-12-31")
    assert metrics_of(at2)["Punteggio del piano"] == "86,5"
    assert plan_metrics(cissa_db, 1).profile_version == 1


def test_panoramica_shows_forecast_and_why_at_an_intermediate_check(monkeypatch, cissa_db):
    at = open_app(monkeypatch, cissa_db.path, PANORAMICA, piano=1, anno=2023, data="2023-08-31")
    m = metrics_of(at)
    assert m["Previsione attesa"] == "84,3%" and m["Ipotesi minima"] == "62,6%" and m["Ipotesi massima"] == "98,7%"
    help_ = next(x.help for x in at.metric if x.label == "Previsione attesa")
    assert "regola 8" in help_
    assert "forecast" in [c.key for c in at.get("plotly_chart")]
    at.session_state["why_plan"] = True    # open the lazy expander «Perché questo valore»
    at.run()
    assert not at.exception
    assert "Raggiungimento del piano = Σ peso normalizzato × raggiungimento" in texts(at)


def test_obiettivo_explains_its_value(monkeypatch, cissa_db):
    at = open_app(monkeypatch, cissa_db.path, OBIETTIVO, piano=1, anno=2023, data="2023-12-31", obiettivo="1")
    assert metrics_of(at)["Raggiungimento"] == "66,7%"
    why = next(d.value for d in at.dataframe if "Perché" in d.value.columns)
    assert dict(zip(why["Step"], why["Perché"]))["1.6"] == "continuativo, in corso → 100,0% (profilo Predefinito)"
    slip = next(d.value for d in at.dataframe if "Su che cosa si basa" in d.value.columns)
    assert "verifiche" in " ".join(slip["Su che cosa si basa"])
    assert "= 66,7% (regola 2" in texts(at)


def test_plan_without_verifications_waits_in_grey(monkeypatch, demo_db):
    pid = plan_id_by_file(demo_db, "000_")
    at = open_app(monkeypatch, demo_db.path, PANORAMICA, piano=pid)
    tile = next(m for m in at.metric if m.label == "Raggiungimento del piano")
    assert tile.value == "in attesa" and "in attesa del primo monitoraggio" in tile.help
    assert "Punti a rischio: in attesa del primo monitoraggio." in texts(at)   # not «tutti raggiunti»
    gauge = next(c for c in at.get("plotly_chart") if c.key == "gauge")
    spec = json.loads(gauge.proto.spec)
    caption = " ".join(a["text"].replace("<br>", " ") for a in spec["layout"].get("annotations", []))
    assert "in attesa del primo monitoraggio" in caption and "#e0e0e0" in gauge.proto.spec
    assert "value" not in spec["data"][0]          # no needle, no number: not a red 0%
    ranking = next(c for c in at.get("plotly_chart") if c.key == "ranking")
    assert "in attesa del primo monitoraggio" in ranking.proto.spec
    at = open_app(monkeypatch, demo_db.path, OBIETTIVO, piano=pid)
    assert metrics_of(at)["Raggiungimento"] == "in attesa"
    assert "Raggiungimento: in attesa del primo monitoraggio" in texts(at)


def test_presentazione_has_the_forecast_slide_at_an_intermediate_check(monkeypatch, cissa_db):
    import datetime as dt

    from exports.deck import FORECAST, build_deck
    from metrics import plan_metrics

    kinds = [s.kind for s in build_deck(plan_metrics(cissa_db, 1, year=2023, as_of=dt.date(2023, 8, 31)))]
    slide = kinds.index(FORECAST) + 1                   # after the plan's slides that have something to show
    at = open_app(monkeypatch, cissa_db.path, PRESENTAZIONE, piano=1, anno=2023, data="2023-08-31", slide=slide)
    assert [h.value for h in at.header][-1] == "Previsione a fine anno"
    assert metrics_of(at)["Previsione attesa"] == "84,3%"
    assert "pres_forecast" in [c.key for c in at.get("plotly_chart")]
    at = open_app(monkeypatch, cissa_db.path, PRESENTAZIONE, piano=1, anno=2023, data="2023-12-31", slide=slide)
    assert "Previsione a fine anno" not in [h.value for h in at.header]   # at the year end: no such slide
    assert FORECAST not in [s.kind for s in build_deck(plan_metrics(cissa_db, 1, year=2023, as_of=dt.date(2023, 12, 31)))]


def test_the_parameter_form_runs_only_when_open_and_a_change_makes_a_custom_profile(monkeypatch, cissa_db):
    at = open_app(monkeypatch, cissa_db.path, SISTEMA, piano=1, anno=2023, data="2023-12-31")
    assert not [w for w in at.number_input if w.key.startswith("prof_")]      # closed: its 14 inputs never run
    assert "Con «Predefinito»: raggiungimento del piano **90,5%**" in texts(at)
    at.session_state["profile_form_predefinito"] = True                        # open the lazy expander
    at.run()
    assert not at.exception
    assert len([w for w in at.number_input if w.key.startswith("prof_")]) == 10
    at.number_input(key="prof_continuous_in_progress_predefinito").set_value(0.0).run()
    assert not at.exception
    text = texts(at)
    assert "Con «Predefinito (personalizzato)»" in text and "raggiungimento del piano **90,5%**" not in text
