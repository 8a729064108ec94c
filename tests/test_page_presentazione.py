"""Presentazione page: slide navigation (buttons, ?slide=N), the slides' content and the
export buttons."""
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from exports.deck import OBJECTIVE, build_deck
from exports.paginate import SEGUE
from metrics import plan_metrics
from metrics.fmt import fmt_pct
from tests.apptest import open_app
from tests.conftest import ROOT, plan_id_by_file

PAGE = "pages/presentazione.py"
LABELS = ["Scarica PowerPoint", "Scarica Excel", "Scarica Relazione (Word)", "Scarica report HTML"]




def open_page(monkeypatch, db_path, **query):
    return open_app(monkeypatch, db_path, PAGE, **query)


def button(at, prefix):
    return next(b for b in at.button if b.label.startswith(prefix))


@pytest.fixture(scope="module")
def cissa(demo_db):
    pid = plan_id_by_file(demo_db, "002_")
    return pid, plan_metrics(demo_db, pid, year=2023, as_of=dt.date(2023, 12, 31))


def test_title_slide_then_buttons_move_and_update_the_url(monkeypatch, demo_db, cissa):
    pid, pm = cissa
    n = len(build_deck(pm))
    at = open_page(monkeypatch, demo_db.path, piano=pid)
    assert at.title[0].value == pm.ctx.titolo
    assert at.caption[0].value.startswith(f"Diapositiva 1 di {n}")
    assert button(at, "◀ Precedente").disabled
    button(at, "Successiva ▶").click()
    at.run()
    assert not at.exception
    assert at.query_params["slide"] in ("2", ["2"])
    # the first content slide is the summary: headline, band, change since the 31/08 check
    assert at.header[0].value == "Sintesi per il Consiglio"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Raggiungimento del piano": fmt_pct(pm.achievement), "Fascia": "verde",
                       "Variazione dal 31/08/2023": metrics["Variazione dal 31/08/2023"]}
    assert metrics["Variazione dal 31/08/2023"].endswith(" punti")
    texts = " ".join(m.value for m in at.markdown)
    assert "Obiettivi più a rischio" in texts and "Decisioni richieste al Consiglio" in texts and "5.4" in texts
    button(at, "Successiva ▶").click()
    at.run()
    assert at.header[0].value == "Raggiungimento del piano"
    metrics = {m.label: m.value for m in at.metric}
    k = pm.counts
    assert metrics["Obiettivi valutabili"] == f"{k['objectives_evaluable']} su {k['objectives']}"
    assert metrics["Scaduti"] == str(k["overdue"]) and metrics["Completati"] == str(k["completed"])
    button(at, "◀ Precedente").click()
    at.run()
    assert at.caption[0].value.startswith(f"Diapositiva 2 di {n}")


def test_url_opens_an_objective_slide(monkeypatch, demo_db, cissa):
    pid, pm = cissa
    o = pm.objectives.iloc[2]
    deck = build_deck(pm)
    slides = [i for i, s in enumerate(deck, start=1) if s.objective_code == o["code"]]
    steps = list(pm.steps.loc[pm.steps["objective_code"] == o["code"], "code"])
    shown = []
    for part, slide in enumerate(slides, start=1):
        at = open_page(monkeypatch, demo_db.path, piano=pid, slide=slide)
        heads = [h.value for h in at.header] + [h.value for h in at.subheader]
        assert f"{o['code']} · {o['title']}" + (SEGUE if part > 1 else "") in heads
        if part == 1:
            assert fmt_pct(o["achievement"]) in [m.value for m in at.metric]
        shown += list(at.table[0].value["Step"])
    assert shown == steps      # every step once, in order, over the objective's slides


def test_long_objective_is_split_over_slides_with_segue(cissa):
    _, pm = cissa
    deck = build_deck(pm)
    objective = [s for s in deck if s.kind == OBJECTIVE]
    assert [c for i, c in enumerate(s.objective_code for s in objective)
            if i == 0 or objective[i - 1].objective_code != c] == list(pm.objectives["code"].astype(str))
    long = [s for s in objective if s.objective_code == "4"]      # 12 steps
    assert len(long) >= 2 and not long[0].title.endswith(SEGUE)
    assert all(s.title.endswith(SEGUE) and s.parts == len(long) for s in long[1:])
    assert sum(len(s.table.rows) for s in long) == 12
    assert [s.step_range for s in long] == [(a, b) for a, b in zip([0] + [s.step_range[1] for s in long[:-1]],
                                                                   [s.step_range[1] for s in long])]


def test_slide_number_out_of_range_is_clamped(monkeypatch, demo_db, cissa):
    pid, pm = cissa
    n = len(build_deck(pm))
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide=999)
    assert at.caption[0].value.startswith(f"Diapositiva {n} di {n}")
    assert button(at, "Successiva ▶").disabled
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide="abc")
    assert at.caption[0].value.startswith(f"Diapositiva 1 di {n}")


@pytest.mark.parametrize("slide", range(1, 8))
def test_every_fixed_slide_of_a_plan_without_verifications(monkeypatch, demo_db, slide):
    pid = plan_id_by_file(demo_db, "000_")
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide=slide)
    assert not at.exception
    if slide == 2:   # the summary says why there is no value, and what the deck leaves out
        assert at.header[0].value == "Sintesi per il Consiglio"
        assert any("non ha ancora verifiche" in m.value for m in at.markdown)
        assert any("Non in questa presentazione" in c.value and "in attesa del primo monitoraggio" in c.value
                   for c in at.caption)


def test_plan_without_cascade_says_so_in_the_summary(monkeypatch, demo_db, cissa):
    pid, pm = cissa
    assert "cascade" not in [s.kind for s in build_deck(pm)]        # no slide with only «non disponibile»
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide=2)
    assert any("cascata strategica non disponibile: il piano non collega obiettivi strategici" in c.value
               for c in at.caption)


def test_export_buttons(monkeypatch, demo_db, cissa):
    pid, _ = cissa
    at = open_page(monkeypatch, demo_db.path, piano=pid)
    assert [d.proto.label for d in at.get("download_button")] == LABELS


def test_room_mode_hides_the_sidebar_and_keeps_the_slide(monkeypatch, demo_db, cissa):
    pid, _ = cissa
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide=4)
    assert not any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    button(at, "Modalità sala").click()
    at.run()
    assert not at.exception
    assert any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    assert at.caption[0].value.startswith("Diapositiva 4 di")
    # the room sees the slide only: no export block
    assert not at.get("download_button") and "Esporta" not in [h.value for h in at.subheader]
    button(at, "Modalità sala").click()
    at.run()
    assert [d.proto.label for d in at.get("download_button")] == LABELS


CALLS: list[str] = []


def counting_export(pm, fmt: str, previous=None) -> bytes:
    CALLS.append(fmt)
    return f"{fmt}-bytes".encode()


def test_an_export_is_built_once_per_plan_version_and_shared_by_every_click(cissa, monkeypatch):
    """The Word Relazione draws its charts in Chromium (seconds): quick clicks, or two people, must not wait
    for it again (issue 10, defect 7: 10 clicks → 10 files)."""
    from ui.views import presentazione

    monkeypatch.setattr(presentazione, "export", counting_export)
    pm = cissa[1]
    first = presentazione.export_once(pm, "docx")
    assert first == b"docx-bytes"
    assert [presentazione.export_once(pm, "docx") for _ in range(5)] == [first] * 5
    assert presentazione.export_once(pm, "xlsx") == b"xlsx-bytes"
    assert CALLS == ["docx", "xlsx"]


def test_a_slide_of_undated_steps_says_so_in_text_not_in_a_clipped_empty_chart(monkeypatch, demo_db, cissa):
    """CISSA 2.4 and 2.5 are continuous: the empty timeline's centred note was clipped in the narrow column."""
    from ui.views.presentazione import NO_DATED_STEPS

    pid, pm = cissa
    deck = build_deck(pm)
    slide = next(i for i, s in enumerate(deck, start=1) if s.objective_code == "2" and s.part == 2)
    at = open_page(monkeypatch, demo_db.path, piano=pid, slide=slide)
    assert NO_DATED_STEPS in [c.value for c in at.caption]
    assert not [c for c in at.get("plotly_chart") if c.key and c.key.startswith("pres_timeline_")]
