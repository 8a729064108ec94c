"""The board deck (exports/deck.py): the selection rule (a slide with nothing to show is left out and
named in the summary; no slide twice; no one-bar group chart) and the summary slide, on the four demo
plans and on small cases."""
from __future__ import annotations

import datetime as dt

import pytest

from exports.deck import (ABSENT, CASCADE, DECISIONS, GROUPS, LATE, OBJECTIVE, RISKS, SUMMARY, TITLE, Chart, Slide,
                          build_deck, has_content, select, signature)
from exports.paginate import POWERPOINT
from exports.tables import Table
from metrics import plan_metrics
from metrics.previous import previous_check
from tests.conftest import plan_id_by_file

PLANS = ["000_", "002_", "003_", "004_"]


def _pm(db, prefix, **kw):
    return plan_metrics(db, plan_id_by_file(db, prefix), **kw)


def _summary(deck) -> dict[str, list[str]]:
    (s,) = [s for s in deck if s.kind == SUMMARY]
    return dict(s.sections)


# ----------------------------------------------------------------------------- the rule
def test_an_empty_slide_is_left_out_and_named_in_the_summary():
    table = Table(["A"], [["x"]])
    full = Slide(CASCADE, "Cascata strategica", table=table)
    empty = Slide(CASCADE, "Cascata strategica", message="non disponibile", absent="cascata non disponibile: perché")
    figures_only = Slide(LATE, "Step in ritardo e scaduti", figures=[("In ritardo", "0")], absent="nessuno in ritardo")
    chart = Slide(GROUPS, "Per tipo", charts=[Chart("bar", "Per tipo", ["a", "b"], {"R": [0.5, 0.6]})])
    assert has_content(full) and has_content(chart) and not has_content(empty) and not has_content(figures_only)
    kept, absent = select([empty, chart, figures_only])
    assert kept == [chart] and absent == ["cascata non disponibile: perché", "nessuno in ritardo"]
    assert select([full])[1] == []


def test_no_slide_twice_and_objectives_without_steps_named_once():
    a = Slide(GROUPS, "Per tipo", charts=[Chart("bar", "Per tipo", ["a", "b"], {"R": [0.5, 0.6]})])
    b = Slide(GROUPS, "Per tipo", charts=[Chart("bar", "Per tipo", ["a", "b"], {"R": [0.5, 0.6]})])
    c = Slide(GROUPS, "Per tipo", charts=[Chart("bar", "Per tipo", ["a", "b"], {"R": [0.5, 0.7]})])
    no_steps = [Slide(OBJECTIVE, f"{k} · X", objective_code=str(k), message="L'obiettivo non ha step.") for k in (1, 2)]
    kept, absent = select([a, b, c, *no_steps])
    assert kept == [a, c] and signature(a) == signature(b) != signature(c)
    assert absent == ["obiettivi 1, 2 senza step (misurati con indicatori: pagina «Indicatori» del cruscotto)"]


# ----------------------------------------------------------------------------- the demo plans
@pytest.mark.parametrize("room", ["page", "pptx"])
@pytest.mark.parametrize("prefix", PLANS)
def test_every_slide_has_content_none_repeats_and_the_summary_comes_first(demo_db, prefix, room):
    pm = _pm(demo_db, prefix)
    deck = build_deck(pm, POWERPOINT) if room == "pptx" else build_deck(pm)
    assert deck[0].kind == TITLE and deck[1].kind == SUMMARY            # the first content slide is the summary
    assert [s.kind for s in deck].count(SUMMARY) == 1
    assert all(has_content(s) for s in deck), [s.title for s in deck if not has_content(s)]
    sigs = [signature(s) for s in deck]
    assert len(set(sigs)) == len(sigs)
    for s in deck:   # no group chart with a single bar
        assert all(len([v for v in c.series["Raggiungimento"] if v is not None]) > 1
                   for c in s.charts if s.kind == GROUPS)
    assert all(s.notes for s in deck)                                   # every slide has speaker notes


def test_cissa_summary_names_what_is_missing_and_what_the_board_decides(demo_db):
    pm = _pm(demo_db, "002_")
    previous = previous_check(demo_db, pm)
    assert previous is not None and previous.as_of == dt.date(2023, 8, 31)
    deck = build_deck(pm, previous=previous)
    kinds = [s.kind for s in deck]
    assert CASCADE not in kinds and GROUPS not in kinds                 # «cascata non disponibile», one bar each
    summary = deck[1]
    assert summary.figures[0] == ("Raggiungimento del piano", "90,5%") and summary.figures[1] == ("Fascia", "verde")
    label, change = summary.figures[2]
    assert label == "Variazione dal 31/08/2023" and change.startswith("+") and change.endswith(" punti")
    sections = _summary(deck)
    assert len(sections[RISKS]) == 3 and sections[RISKS][0].startswith("5 · ") and "scaduti 5.4" in sections[RISKS][0]
    decisions = " ".join(sections[DECISIONS])
    assert "neutralizzazione" in decisions and "4.9" in decisions            # neutralisation proposed
    assert "5.4 (da 92 giorni)" in decisions and "4.5 al 31/10/2023" in decisions   # deadlines to move
    assert sections[ABSENT] == [
        "cascata strategica non disponibile: il piano non collega obiettivi strategici",
        "raggiungimento per responsabile e per tipo di obiettivo: un solo gruppo con un valore, uguale al dato del piano"]
    assert "Perché questo valore" in summary.notes and "31/08/2023" in summary.notes
    # without a previous check the summary says so instead of a change
    assert build_deck(pm)[1].figures[2] == ("Variazione dal controllo precedente", "primo controllo")


def test_coeso_objectives_without_steps_are_named_not_shown(demo_db):
    pm = _pm(demo_db, "003_")
    deck = build_deck(pm)
    assert OBJECTIVE not in [s.kind for s in deck]
    absent = _summary(deck)[ABSENT]
    assert any(a.startswith("obiettivi 1, 2, 3") and "senza step" in a for a in absent)
    assert any("nessun obiettivo ancora con un valore" in a for a in absent)
    assert "Nessun obiettivo ha ancora un valore" in _summary(deck)[RISKS][0]


def test_a_group_chart_with_one_bar_is_left_out(demo_db):
    pm = _pm(demo_db, "004_")                      # CISA 31: five responsabili, one tipo
    (groups,) = [s for s in build_deck(pm) if s.kind == GROUPS]
    assert [c.title for c in groups.charts] == ["Per responsabile"] and groups.title == "Raggiungimento per responsabile"


def test_objective_notes_carry_the_why(demo_db):
    pm = _pm(demo_db, "002_")
    first = next(s for s in build_deck(pm) if s.kind == OBJECTIVE)
    assert first.notes.startswith("Perché questo valore: Raggiungimento = Σ peso anno × raggiungimento")


def test_cascade_lists_linked_objectives_in_reading_order(demo_db):
    from exports.tables import cascade_table

    rows = cascade_table(_pm(demo_db, "003_")).rows
    linked = [r[1] for r in rows if r[1]]
    assert "8, 10, 12, 14, 15, 16, 17, 18" in linked and "8, 9, 10" in linked          # was «10, 12, … 18, 8»
    assert not any(r.endswith(", 8") for r in linked)


def test_summary_of_a_plan_never_verified_says_why_in_a_short_figure(demo_db):
    deck = build_deck(_pm(demo_db, "000_"))
    assert deck[1].figures[:2] == [("Raggiungimento del piano", "in attesa"), ("Fascia", "—")]
    assert _summary(deck)[RISKS][0].startswith("Il piano non ha ancora verifiche")


def test_previous_check_is_the_earlier_date_of_the_version_else_the_previous_version(db):
    from loaders import import_bytes
    from tests.workbooks import BASE, sheets, xlsx

    piano = [r if r[0] != "Data monitoraggio" else ["Data monitoraggio", "31/08/2025"] for r in BASE["Piano"]]
    august = [r for r in BASE["Verifiche"] if r[1] != "31/12/2025"]
    first = import_bytes(db, xlsx(sheets(Piano=piano, Verifiche=august)), "agosto.xlsx", user="test")
    assert first.ok
    v1 = plan_metrics(db, first.plan_id)
    assert previous_check(db, v1) is None                              # the first check: nothing before
    assert build_deck(v1)[1].figures[2] == ("Variazione dal controllo precedente", "primo controllo")
    december = [BASE["Verifiche"][0]] + [r[:1] + ["31/12/2025"] + r[2:] for r in BASE["Verifiche"][1:]]
    second = import_bytes(db, xlsx(sheets(Verifiche=december)), "dicembre.xlsx", user="test")
    assert second.ok and second.plan_id == first.plan_id
    v2 = plan_metrics(db, second.plan_id)
    assert v2.ctx.version == 2 and v2.ctx.as_of == dt.date(2025, 12, 31)
    prev = previous_check(db, v2)
    assert prev is not None and prev.as_of == dt.date(2025, 8, 31) and prev.achievement == v1.achievement
    assert prev.label == "versione 1 del piano (31/08/2025)"
    label, change = build_deck(v2, previous=prev)[1].figures[2]
    assert label == "Variazione dal 31/08/2025" and change.endswith(" punti")
