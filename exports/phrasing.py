"""The Italian phrasing of figures, written once: percentages with their article («l'80,0%»), an
objective's result, a step's achievement and timing, the paragraph of an objective in the
Relazione, the key notes of its slide, the verification notes and the context line.

Shared by the deck, the Relazione and the documento di validazione (no slide or table model here)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from charts.board import TIMING_NAMES
from domain.status import STATUS_NEUTRALIZED, STATUS_UNVERIFIED
from exports.common import clip, ente_short, missing, steps_of, text
from metrics import timing
from metrics.engine import PlanMetrics
from metrics.explain import waiting_text
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct, plural  # noqa: F401 (plural: the one helper)

TIMING_LABELS = TIMING_NAMES
TIMING_HELP = ("«Da verificare»: completati senza data di completamento, con un ritardo possibile ma solo limitato "
               "dalle verifiche. «Non valutabili»: step continuativi, neutralizzati, senza termine o completati "
               "senza alcuna verifica datata.")


def _article(x: Any) -> str:
    """How a percentage read aloud begins: ``l`` (uno, otto, undici, ottanta…), ``lo`` (zero), ``il``."""
    n = int(fmt_pct(x).split(",")[0].replace(".", "") or 0)
    if n == 0:
        return "lo"
    return "l" if n in (1, 8, 11) or 80 <= n <= 89 or 800 <= n <= 899 else "il"


def il_pct(x: Any) -> str:
    """``il 20,0%`` / ``l'80,0%`` / ``lo 0,0%``."""
    return {"l": "l'", "lo": "lo ", "il": "il "}[_article(x)] + fmt_pct(x)


def del_pct(x: Any) -> str:
    """``del 20,0%`` / ``dell'80,0%`` / ``dello 0,0%``."""
    return {"l": "dell'", "lo": "dello ", "il": "del "}[_article(x)] + fmt_pct(x)


def objective_label(code: Any, title: Any, n: int = 48) -> str:
    return f"{code} · {clip(text(title), n)}"


def objective_result(o: Any) -> str:
    """Achievement of an objective for display: ``83,5%``, ``neutralizzato``, ``non valutabile`` or
    why there is no value yet (``in attesa del primo monitoraggio``, ``valori non ancora rilevati``)."""
    if waiting := waiting_text(o["status"]):
        return waiting
    if bool(o["neutralized"]):
        return "neutralizzato"
    if not bool(o["evaluable"]) or missing(o["achievement"]):
        return "non valutabile"
    return fmt_pct(o["achievement"])


def step_achievement_text(s: Any) -> str:
    if s["status"] == STATUS_NEUTRALIZED:
        return "neutralizzato"
    if s["status"] == STATUS_UNVERIFIED:
        return "—"
    return fmt_pct(s["achievement"])


def step_delay_text(s: Any) -> str:
    """A late or overdue step's delay (:func:`metrics.timing.delay_text`: bounded delays «tra X e Y giorni»)."""
    return timing.delay_text(s)


def step_timing_text(s: Any) -> str:
    """The «Tempi» of a step in a few words (:func:`metrics.timing.short_text`)."""
    return timing.short_text(s)


def verification_notes(pm: PlanMetrics, code: str, steps: pd.DataFrame | None = None) -> list[str]:
    """«1.1 (verifica del 31/08/2025, raggiunto): testo» for each step with a verification."""
    out = []
    for _, s in steps_of(pm, code, steps).iterrows():
        note = text(s["note"])
        raw = text(s["status_raw"])
        if not note and not raw:
            continue
        when = f"verifica del {fmt_date(s['verified_on'])}, " if not missing(s["verified_on"]) else ""
        body = note or raw
        out.append(f"{s['code']} ({when}{s['status']}): {body}")
    return out


def _codes(df: pd.DataFrame, with_days: str | None = None) -> str:
    """``1.3, 1.4`` or, with a days column, ``1.3: 15 giorni; 1.4: 3 giorni``."""
    if not with_days:
        return ", ".join(str(c) for c in df["code"])
    return "; ".join(f"{s['code']}: {fmt_days(s[with_days])}" if not missing(s[with_days]) else str(s["code"])
                     for _, s in df.iterrows())


def objective_paragraph(pm: PlanMetrics, code: str, steps: pd.DataFrame | None = None) -> str:
    """The generated Italian paragraph of the «Relazione» for one objective."""
    o = pm.objectives[pm.objectives["code"] == code].iloc[0]
    y, when = pm.ctx.year, fmt_date(pm.ctx.as_of)
    steps = steps_of(pm, code, steps)
    due = steps[steps["due_in_year"]]
    out = [f"L'obiettivo {code} «{text(o['title'])}» pesa {il_pct(o['weight_pct'])} del piano."]
    if bool(o["neutralized"]):
        out.append(f"Per il {y} è neutralizzato: tutti i suoi step dell'anno sono stati esclusi per cause non "
                   "imputabili all'ente e l'obiettivo non entra nel raggiungimento del piano.")
    elif not bool(o["evaluable"]):
        out.append(f"Non è valutabile per il {y}: nessuno dei suoi step ha termine nell'anno.")
    elif waiting := waiting_text(o["status"]):
        out.append(f"Al {when} è {waiting}: nessun valore ancora, non 0%.")
    else:
        if pm.year_over or missing(o.get("adherence")):
            out.append(f"Al {when} il raggiungimento è {del_pct(o['achievement'])} ({_band_text(o['band'])})."
                       if pm.year_over else f"Al {when} l'avanzamento dell'anno è {del_pct(o['achievement'])}: "
                       "nessuno step è ancora scaduto, il rispetto del cronoprogramma non è ancora misurabile.")
        else:   # rule 10: before the year end the band comes from the schedule adherence
            out.append(f"Al {when} il rispetto del cronoprogramma è {del_pct(o['adherence'])} "
                       f"({_band_text(o['band'])}); l'avanzamento dell'anno è {del_pct(o['achievement'])}.")
    if len(due):
        late = due[due["timing"] == "in ritardo"]
        overdue = due[due["timing"] == "scaduto"]
        neutral = due[due["neutralized"]]
        cont = due[due["continuous"]]
        out.append(timing.year_sentence(due, y))    # one vocabulary: the parts add up to the total
        if len(late):
            out.append("In ritardo rispetto al termine: " + "; ".join(
                timing.late_detail(r) for _, r in late.iterrows()) + ".")
        if len(overdue):
            out.append(f"{'È scaduto' if len(overdue) == 1 else 'Sono scaduti'} senza completamento "
                       f"{plural(len(overdue), 'step', 'step')} ({_codes(overdue, 'overdue_days')}).")
        for _, n in neutral.iterrows():
            why = text(n["note"]) or text(n["status_raw"])
            out.append(f"Lo step {n['code']} è neutralizzato per cause non imputabili all'ente"
                       + (f": «{clip(why, 300)}»." if why else "."))
        if len(cont):
            out.append(f"{'È continuativo' if len(cont) == 1 else 'Sono continuativi'} (termine non datato) "
                       f"{plural(len(cont), 'step', 'step')}: {_codes(cont)}.")
        unverified = due[due["status"] == STATUS_UNVERIFIED]
        if len(unverified):
            out.append(f"{'Manca' if len(unverified) == 1 else 'Mancano'} la verifica per "
                       f"{plural(len(unverified), 'step', 'step')}: {_codes(unverified)}.")
    return " ".join(out)


def _band_text(band: str) -> str:
    return {"verde": "fascia verde", "giallo": "fascia gialla", "rosso": "fascia rossa"}.get(band, "fascia n.d.")


def key_notes(pm: PlanMetrics, code: str, steps: pd.DataFrame | None = None) -> list[str]:
    """Short bullets for the objective slide."""
    o = pm.objectives[pm.objectives["code"] == code].iloc[0]
    steps = steps_of(pm, code, steps)
    due = steps[steps["due_in_year"]]
    out = []
    if len(due):
        out.append(f"Completati {fmt_int(int(due['completed'].sum()))} step su {len(due)} dell'anno")
    else:
        out.append(f"Nessuno step con termine nel {pm.ctx.year}")
    late = due[due["timing"] == "in ritardo"]
    if len(late):
        out.append(f"In ritardo: {_codes(late, 'slip_days')}")
    overdue = due[due["timing"] == "scaduto"]
    if len(overdue):
        out.append(f"Scaduti: {_codes(overdue, 'overdue_days')}")
    for _, n in due[due["neutralized"]].iterrows():
        why = text(n["note"]) or text(n["status_raw"])
        out.append(f"Neutralizzato {n['code']}" + (f": {clip(why, 110)}" if why else ""))
    cont = due[due["continuous"]]
    if len(cont):
        out.append(f"Continuativi: {_codes(cont)}")
    unverified = due[due["status"] == STATUS_UNVERIFIED]
    if len(unverified):
        out.append(f"Senza verifica: {_codes(unverified)}")
    if text(o["responsible"]):
        out.append(f"Responsabile: {clip(text(o['responsible']), 80)}")
    return out


def context_line(pm: PlanMetrics, short: bool = False) -> str:
    c = pm.ctx
    validated = f" · validato il {fmt_date(pm.validated['date'])}" if pm.validated else ""   # issue 16
    if short:
        return f"{ente_short(c.ente, 45)} — {clip(text(c.titolo), 80)} · al {fmt_date(c.as_of)}{validated}"
    return f"{text(c.ente)} — {text(c.titolo)} · anno {c.year} · situazione al {fmt_date(c.as_of)}{validated}"


def no_steps_text(pm: PlanMetrics, code: str) -> str:
    n = int((pm.indicators["objective_code"].astype(str) == code).sum()) if len(pm.indicators) else 0
    if n:
        return (f"L'obiettivo non ha step: è misurato con {plural(n, 'indicatore', 'indicatori')} "
                "(pagina «Indicatori» del cruscotto).")
    return "L'obiettivo non ha step."

