"""«Perché questo valore»: every figure traced to its parts, in Italian (DataFrames and sentences).

Used by the pages (Obiettivo, Panoramica, Scadenze), the CLI table and the Word Relazione. No Streamlit.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from domain.profile import NEUTRALIZED_ACHIEVED, scoring_sentence
from domain.status import (OBJ_NOT_MONITORED, OBJ_WAITING_VALUES, STATUS_ACHIEVED, STATUS_IN_PROGRESS,
                           STATUS_NOT_ACHIEVED, STATUS_PARTIAL, STATUS_POSTPONED, WAITING_FIRST_MONITORING,
                           WAITING_VALUES)
from metrics import timing
from metrics.fmt import fmt_date, fmt_num, fmt_pct


def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x)


# ----------------------------------------------------------------------------- values
def waiting_text(status: str) -> str | None:
    """What to show instead of a percentage: «in attesa del primo monitoraggio» / «valori non ancora rilevati»."""
    return {OBJ_NOT_MONITORED: WAITING_FIRST_MONITORING, OBJ_WAITING_VALUES: WAITING_VALUES}.get(status)


#: The short form for a KPI tile (the long one goes in its help and next to it).
WAITING_SHORT = "in attesa"


def metric_value_text(value: Any, status_or_waiting: str | None) -> tuple[str, str | None]:
    """(value for a KPI tile, help addition): a percentage, or «in attesa» with the full reason."""
    w = waiting_text(status_or_waiting) or (status_or_waiting if status_or_waiting in (
        WAITING_FIRST_MONITORING, WAITING_VALUES) else None)
    if w:
        return WAITING_SHORT, w
    return fmt_pct(value), None


def objective_value_text(o: Any) -> str:
    """An objective's achievement as shown: «83,5%», or why there is no percentage."""
    w = waiting_text(o["status"])
    if w:
        return w
    return fmt_pct(o["achievement"]) if not _missing(o["achievement"]) else str(o["status"])


def plan_waiting_text(pm: Any) -> str | None:
    """Why the plan has no achievement: no objective monitored yet (or no indicator value yet)."""
    if pm.achievement is not None:
        return None
    st = set(pm.objectives["status"])
    if st and st <= {OBJ_WAITING_VALUES, OBJ_NOT_MONITORED, "non valutabile", "neutralizzato"}:
        return WAITING_VALUES if OBJ_WAITING_VALUES in st and OBJ_NOT_MONITORED not in st else WAITING_FIRST_MONITORING
    return None


def group_waiting_text(objectives: pd.DataFrame) -> str | None:
    """Why a group (area, strategic objective) has no value: its objectives all wait for their first value."""
    st = set(objectives["status"]) if len(objectives) else set()
    if st and st <= {OBJ_WAITING_VALUES, OBJ_NOT_MONITORED}:
        return WAITING_VALUES if OBJ_NOT_MONITORED not in st else WAITING_FIRST_MONITORING
    return None


def plan_value_text(pm: Any) -> str:
    return plan_waiting_text(pm) or fmt_pct(pm.achievement)


# ----------------------------------------------------------------------------- steps
def step_rule_text(s: Any, profile: Any, year: int) -> str:
    """The rule or profile parameter that decided a step's achievement, in Italian."""
    rule, status, name = s["rule"], s["status"], f"profilo {profile.name}"
    if rule == "non dovuto":
        return f"termine in un altro anno: non conta nel {year}"
    if rule == "neutralizzato":
        return "neutralizzato (cause non imputabili): escluso dal calcolo"
    if rule == "neutralizzato raggiunto":
        return f"neutralizzato: contato come raggiunto → 100% ({name})"
    if rule == "indicato":
        return f"raggiungimento indicato nella verifica: {fmt_pct(s['achievement'])}"
    if rule == "continuativo":
        return f"continuativo, in corso → {fmt_pct(profile.continuous_in_progress)} ({name})"
    if rule == "non verificato":
        return "nessuna verifica alla data → 0%"
    if status == STATUS_ACHIEVED:
        return "raggiunto → 100%"
    if status == STATUS_NOT_ACHIEVED:
        return "non raggiunto → 0%"
    if status == STATUS_IN_PROGRESS:
        return f"in corso, senza percentuale → {fmt_pct(profile.in_progress_value)} ({name})"
    if status == STATUS_POSTPONED:
        return f"rinviato, senza percentuale → {fmt_pct(profile.postponed_value)} ({name})"
    if status == STATUS_PARTIAL:
        return f"parziale, senza percentuale → {fmt_pct(profile.partial_default)} ({name})"
    return f"stato non riconosciuto → {fmt_pct(s['achievement'])}"


def slip_text(s: Any) -> str:
    """What a step's slippage rests on: the completion date, the verification bounds, or nothing
    (the one timing vocabulary, :func:`metrics.timing.sentence`)."""
    return timing.sentence(s)


# ----------------------------------------------------------------------------- objective
STEP_EXPLAIN_COLS = ["Step", "Descrizione", "Peso anno", "Raggiungimento", "Contributo", "Perché"]


def objective_explanation(pm: Any, code: str) -> tuple[pd.DataFrame, str]:
    """Each step's year weight × achievement = contribution, with the rule that decided it; and the
    sentence that sums them up."""
    o = pm.objectives[pm.objectives["code"] == code].iloc[0]
    steps = pm.steps[pm.steps["objective_code"] == code]
    rows = []
    for _, s in steps.iterrows():
        counted = bool(s["due_in_year"]) and not bool(s["excluded"])
        rows.append({"Step": s["code"], "Descrizione": s["description"],
                     "Peso anno": float(s["year_weight"]) if counted else None,
                     "Raggiungimento": float(s["achievement"]) if counted else None,
                     "Contributo": float(s["year_weight"]) * float(s["achievement"]) / 100.0 if counted else None,
                     "Perché": step_rule_text(s, pm.profile, pm.ctx.year)})
    df = pd.DataFrame(rows, columns=STEP_EXPLAIN_COLS)
    w = waiting_text(o["status"])
    if o.get("indicator_only", False):
        text = ("Obiettivo misurato dai suoi indicatori: " + (f"{WAITING_VALUES}." if w else
                f"media dei raggiungimenti degli indicatori = {fmt_pct(o['achievement'])}."))
    elif w:
        text = f"Nessuna verifica di questo obiettivo alla data: {w} (non 0%)."
    elif _missing(o["achievement"]):
        text = f"Obiettivo {o['status']} nel {pm.ctx.year}."
    else:
        parts = " + ".join(fmt_num(c) for c in df["Contributo"].dropna())
        text = (f"Raggiungimento = Σ peso anno × raggiungimento degli step = {parts} = {fmt_pct(o['achievement'])}"
                f" (regola 2, sistema di misurazione {pm.profile_label}).")
    if not _missing(o.get("score")) and pm.profile.scoring != "grezzo":
        text += f" Punteggio {fmt_num(o['score'])} ({scoring_sentence(pm.profile)})."
    if adh := objective_adherence_text(pm, code):
        text += "\n\n" + adh
    return df, text


# ----------------------------------------------------------------------------- plan
PLAN_EXPLAIN_COLS = ["Codice", "Obiettivo", "Peso", "Raggiungimento", "Contributo", "Punteggio", "Nota"]


def plan_explanation(pm: Any) -> tuple[pd.DataFrame, str]:
    """Each objective's weight × achievement = contribution to the plan; the sentence that sums them up."""
    rows = []
    for _, o in pm.objectives.iterrows():
        counted = not _missing(o["achievement"])
        w = float(o["weight_counted_pct"])
        rows.append({"Codice": o["code"], "Obiettivo": o["title"], "Peso": w if counted else None,
                     "Raggiungimento": float(o["achievement"]) if counted else None,
                     "Contributo": w * float(o["achievement"]) / 100.0 if counted else None,
                     "Punteggio": None if _missing(o["score"]) else float(o["score"]),
                     "Nota": "" if counted else (waiting_text(o["status"]) or o["status"]) + ": escluso dalla media"})
    df = pd.DataFrame(rows, columns=PLAN_EXPLAIN_COLS)
    waiting = plan_waiting_text(pm)
    if waiting:
        return df, f"Raggiungimento del piano: {waiting} (nessun obiettivo ha ancora un valore; non è 0%)."
    if pm.achievement is None:
        return df, "Nessun obiettivo valutabile nell'anno."
    text = ("Raggiungimento del piano = Σ peso normalizzato × raggiungimento degli obiettivi valutabili = "
            + " + ".join(fmt_num(c) for c in df["Contributo"].dropna()) + f" = {fmt_pct(pm.achievement)} (regola 3).")
    if pm.profile.scoring != "grezzo":
        how = ("media pesata dei punteggi degli obiettivi" if pm.profile.plan_score == "media"
               else "punteggio del raggiungimento del piano")
        text += f" Punteggio {fmt_num(pm.score)}: {how} ({scoring_sentence(pm.profile)})."
    if pm.profile.neutralized == NEUTRALIZED_ACHIEVED:
        text += " Gli step neutralizzati contano come raggiunti (profilo)."
    if adh := plan_adherence_text(pm):
        text += "\n\n" + adh
    return df, text


# ----------------------------------------------------------------------------- rule 10
def plan_adherence_text(pm: Any) -> str | None:
    """«Perché questo valore» before the year end: what the headline (rispetto del cronoprogramma, rule 10)
    measures, and what «avanzamento dell'anno» (rule 2) and the forecast (rule 8) add. None at the year end,
    where the two coincide."""
    if pm.year_over or pm.achievement is None:
        return None
    when = fmt_date(pm.ctx.as_of)
    due = pm.steps[pm.steps["due_in_year"] & ~pm.steps["excluded"]]
    not_yet = int((~due["due"]).sum())
    if pm.adherence is None:
        head = (f"Rispetto del cronoprogramma: nessuna scadenza ancora al {when} (nessuno step è scaduto: "
                "niente di fatto o di mancato, non 0%).")
    else:
        head = (f"Rispetto del cronoprogramma al {when}: {fmt_pct(pm.adherence)} (regola 10) = per ogni obiettivo, "
                "Σ peso anno × raggiungimento degli step già scaduti e dei continuativi, diviso la somma dei loro "
                "pesi; poi la media pesata sugli obiettivi. Misura se il piano è in linea con le scadenze maturate: "
                "da qui vengono la fascia di colore e lo stato.")
    tail = (f" Avanzamento dell'anno: {fmt_pct(pm.achievement)} (regola 2): quanto dell'anno è già fatto, compresi "
            f"gli step non ancora scaduti ({not_yet}), che contano 0 finché non sono completati; cresce fino al "
            f"31/12/{pm.ctx.year}.")
    fc = pm.forecast
    if fc is not None and fc.get("expected") is not None:
        tail += (f" Previsione a fine anno: {fmt_pct(fc['expected'])} (tra {fmt_pct(fc['low'])} e "
                 f"{fmt_pct(fc['high'])}, regola 8).")
    return head + tail


def objective_adherence_text(pm: Any, code: str) -> str | None:
    """The same for one objective: which steps are already due, which are not yet («non ancora scaduti»)."""
    if pm.year_over:
        return None
    o = pm.objectives[pm.objectives["code"] == code].iloc[0]
    if _missing(o["achievement"]) or o.get("indicator_only", False):
        return None
    steps = pm.steps[(pm.steps["objective_code"] == code) & pm.steps["due_in_year"] & ~pm.steps["excluded"]]
    due, later = steps[steps["due"]], steps[~steps["due"]]
    later_txt = (f" Non ancora scaduti (né fatti né mancati): {', '.join(map(str, later['code']))}." if len(later)
                 else "")
    if _missing(o["adherence"]):
        return (f"Rispetto del cronoprogramma: nessuna scadenza ancora al {fmt_date(pm.ctx.as_of)} (grigio, non "
                f"rosso).{later_txt} Avanzamento dell'anno: {fmt_pct(o['achievement'])} (regola 2).")
    parts = " + ".join(f"{fmt_num(w)} × {fmt_pct(a)}" for w, a in zip(due["year_weight"], due["achievement"]))
    return (f"Rispetto del cronoprogramma = ({parts}) / {fmt_num(due['year_weight'].sum())} = "
            f"{fmt_pct(o['adherence'])} (regola 10, step già scaduti e continuativi: "
            f"{', '.join(map(str, due['code']))}).{later_txt} Avanzamento dell'anno: {fmt_pct(o['achievement'])} "
            "(regola 2, tutti gli step dell'anno); la fascia di colore viene dal cronoprogramma fino al 31/12.")


def forecast_text(pm: Any) -> str | None:
    """«Previsione a fine anno: 84,3% (tra 62,6% e 98,7%)» and its method; None at year end."""
    fc = pm.forecast
    if fc is None or fc.get("expected") is None:
        return None
    return (f"Previsione a fine anno: {fmt_pct(fc['expected'])} (tra {fmt_pct(fc['low'])} e {fmt_pct(fc['high'])}). "
            + fc["method"])
