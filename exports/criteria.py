"""What the exports say about the measuring system: the profile and version used, the «Criteri di
misurazione» section of the Relazione, and «Perché questo valore».

New content lives here; the existing exports call these functions from one place each."""
from __future__ import annotations

from typing import Any

from domain.profile import describe, scoring_sentence
from exports.common import missing, text
from metrics.engine import PlanMetrics
from metrics.explain import forecast_text, objective_explanation, plan_explanation, plan_waiting_text  # noqa: F401
from metrics.fmt import fmt_num, fmt_pct

def profile_line(pm: PlanMetrics) -> str:
    """«Sistema di misurazione: Fasce 0/50/75/100, versione 2»."""
    return f"Sistema di misurazione: {pm.profile_label}"


def score_text(pm: PlanMetrics) -> str:
    return fmt_num(pm.score) if pm.score is not None else "—"


def achievement_bullet(pm: PlanMetrics) -> str:
    """The achievement slide's line about score and profile."""
    return f"Punteggio del piano {score_text(pm)} · {profile_line(pm)}"


# ----------------------------------------------------------------------------- Word
def summary_rows(pm: PlanMetrics) -> list[list[str]]:
    """Rows the Relazione's summary table adds: schedule adherence before the year end (rule 10), score and
    measuring system."""
    adh = ([] if pm.year_over or pm.achievement is None else
           [["Rispetto del cronoprogramma", fmt_pct(pm.adherence) if pm.adherence is not None
             else "nessuna scadenza ancora"]])
    return adh + [["Punteggio del piano", score_text(pm)], ["Sistema di misurazione", pm.profile_label]]


def plan_value(pm: PlanMetrics) -> str:
    return plan_waiting_text(pm) or fmt_pct(pm.achievement)


def why_plan_paragraphs(pm: PlanMetrics) -> list[str]:
    """«Perché questo valore» of the plan and the forecast, as paragraphs."""
    _, sentence = plan_explanation(pm)
    out = sentence.split("\n\n")      # before the year end: the achievement, then the schedule adherence
    if (fc := forecast_text(pm)) is not None:
        out.append(fc)
    return out


def why_plan_table(pm: PlanMetrics) -> list[list[str]]:
    df, _ = plan_explanation(pm)
    rows = [["Codice", "Obiettivo", "Peso", "Raggiungimento", "Contributo", "Punteggio"]]
    for _, r in df.iterrows():
        rows.append([text(r["Codice"]), text(r["Obiettivo"])[:90], fmt_pct(r["Peso"]),
                     fmt_pct(r["Raggiungimento"]) if not missing(r["Raggiungimento"]) else (r["Nota"] or "—"),
                     fmt_num(r["Contributo"]), fmt_num(r["Punteggio"])])
    return rows


def why_objective_paragraph(pm: PlanMetrics, code: str) -> str:
    """«Perché questo valore» of one objective: each step's year weight × achievement and its rule."""
    df, sentence = objective_explanation(pm, code)
    parts = [f"{r['Step']}: {fmt_pct(r['Peso anno'])} × {fmt_pct(r['Raggiungimento'])} ({r['Perché']})"
             for _, r in df.iterrows() if not missing(r["Contributo"])]
    return sentence + (" Step: " + "; ".join(parts) + "." if parts else "")


def criteria_rows(pm: PlanMetrics) -> list[list[str]]:
    return [["Parametro", "Valore", "Significato"]] + [list(r) for r in describe(pm.profile)]


def criteria_paragraphs(pm: PlanMetrics) -> list[str]:
    """The «Criteri di misurazione» text generated from the profile."""
    p = pm.profile
    return [
        f"I valori di questa relazione sono calcolati con il sistema di misurazione «{pm.profile_label}». "
        "Il raggiungimento di un obiettivo è la somma, sugli step con termine nell'anno, del peso dello step "
        "nell'anno per il suo raggiungimento; quello del piano è la media dei raggiungimenti degli obiettivi, "
        "pesata sui pesi degli obiettivi.",
        f"Uno step continuativo verificato «in corso» conta {fmt_pct(p.continuous_in_progress)}; uno step «in "
        f"corso» con termine senza percentuale {fmt_pct(p.in_progress_value)}, «rinviato» "
        f"{fmt_pct(p.postponed_value)}, «parziale» senza percentuale {fmt_pct(p.partial_default)}. Gli step "
        f"neutralizzati per cause non imputabili sono "
        f"{'esclusi dal calcolo' if p.neutralized == 'escludi' else 'contati come raggiunti'}. Un obiettivo "
        "mai verificato alla data è «in attesa del primo monitoraggio» e resta fuori dalla media (non vale 0%).",
        f"Fasce di colore: verde da {fmt_pct(p.green_from)}, gialla da {fmt_pct(p.yellow_from)}, rossa sotto. "
        f"Il punteggio segue la regola: {scoring_sentence(p)}. Uno step è in ritardo oltre "
        f"{p.slip_tolerance_days} giorni dal termine; senza data di completamento, il ritardo è limitato dalle "
        "verifiche (completato dopo l'ultima verifica che lo vedeva aperto ed entro la prima che lo vedeva "
        "completato).",
    ]


def add_criteria_section(doc: Any, pm: PlanMetrics, table_fn: Any, number: int) -> None:
    """The Relazione's «Criteri di misurazione» section (``table_fn`` = the Word table builder)."""
    doc.add_heading(f"{number}. Criteri di misurazione", level=1)
    for para in criteria_paragraphs(pm):
        doc.add_paragraph(para)
    table_fn(doc, criteria_rows(pm), size=8)


# ----------------------------------------------------------------------------- figures (HTML report)
def gauge(pm: PlanMetrics, gauge_builder: Any, height: int):
    """The plan gauge, or the grey «in attesa» gauge when nothing has a value yet."""
    from charts.measure import waiting_gauge

    waiting = plan_waiting_text(pm)
    return waiting_gauge(waiting, height) if waiting else gauge_builder(pm.achievement, pm.profile, height=height)


def ranking(pm: PlanMetrics, ranking_builder: Any):
    from charts.measure import ranking_with_waiting

    return ranking_with_waiting(ranking_builder(pm.objectives), pm.objectives)


def forecast_chart(pm: PlanMetrics):
    from charts.measure import forecast_figure

    from metrics.fmt import as_of_label
    return forecast_figure(pm.achievement, pm.forecast, pm.objectives, None, as_of_label(pm.ctx.as_of))
