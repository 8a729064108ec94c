"""The board deck, built once from a :class:`PlanMetrics`: the slide sequence of the «Presentazione»
(the page, the PowerPoint and the HTML report render the same list). Everything here is plain data
with the text already in Italian format; values for charts stay unrounded (0–1 fractions)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from charts.base import TIMING_COLORS
from charts.board import TIMING_ORDER
from exports.common import fraction, missing, objective_steps, text
from exports.criteria import achievement_bullet
from exports.paginate import (PAGE, POWERPOINT, SEGUE, Room, _lines, objective_budget, split_rows,  # noqa: F401
                              split_table_slide, table_budget, _rows_of)
from exports.phrasing import (TIMING_HELP, TIMING_LABELS, context_line, key_notes, no_steps_text, objective_label,
                              objective_result, verification_notes)
from exports.tables import Table, cascade_table, forecast_table, group_frames, late_table, objectives_table, steps_table
from metrics.engine import PlanMetrics
from metrics.explain import plan_value_text, waiting_text
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct
from metrics.settings import BAND_COLORS, BAND_NONE

# Slide kinds, in order; one «objective» slide per objective follows the fixed ones.
TITLE, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE, OBJECTIVE = (
    "title", "achievement", "cascade", "groups", "objectives", "late", "objective")
FIXED_KINDS = (TITLE, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE)
FIXED_SLIDES = len(FIXED_KINDS)
FORECAST = "forecast"   # «Previsione a fine anno» (after the fixed slides, only at an intermediate check)


@dataclass
class Chart:
    kind: str                     # "bar" (horizontal, clustered) | "doughnut"
    title: str
    categories: list[str]
    series: dict[str, list[float | None]]
    number_format: str = "0.0%"   # Excel/PowerPoint format of the values
    colors: list[str] | None = None  # one per category (band colours)
    percent: bool = True          # values are 0–1 fractions
    captions: list[str | None] | None = None   # one per category: the text of a point without a value
                                               # («in attesa del primo monitoraggio»), never a 0% label


@dataclass
class Slide:
    kind: str
    title: str
    subtitle: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)   # (label, value) big numbers
    charts: list[Chart] = field(default_factory=list)
    table: Table | None = None
    bullets: list[str] = field(default_factory=list)
    notes: str = ""
    message: str = ""             # shown instead of the content when there is nothing to show
    objective_code: str | None = None
    #: A long objective or cascade is split over several slides: part ``part`` of ``parts`` (titles of
    #: the following parts end with «(segue)»); ``step_range`` = the objective's steps on this slide
    #: (positions in the objective's steps, sheet order).
    part: int = 1
    parts: int = 1
    step_range: tuple[int, int] | None = None



def build_deck(pm: PlanMetrics, room: Room = PAGE) -> list[Slide]:
    """The board presentation: the fixed slides, then the objectives' slides (a long objective or
    table over several, «(segue)», as many as ``room`` needs)."""
    c, k = pm.ctx, pm.counts
    when = fmt_date(c.as_of)
    deck = [Slide(TITLE, text(c.titolo), subtitle=text(c.ente), figures=[
        ("Anno", str(c.year)), ("Data di monitoraggio", when), ("Versione del piano", str(c.version)),
        ("Sistema di misurazione", pm.profile_label)],
        notes=f"Monitoraggio del piano «{c.titolo}» di {c.ente}, anno {c.year}, con le verifiche fino al {when}.")]

    # plan achievement
    ach = Slide(ACHIEVEMENT, "Raggiungimento del piano", subtitle=f"Situazione al {when}", figures=[
        ("Raggiungimento del piano", plan_value_text(pm)),
        ("Obiettivi valutabili", f"{k['objectives_evaluable']} su {k['objectives']}"),
        ("Step dell'anno", fmt_int(k["steps_due"])), ("Completati", fmt_int(k["completed"])),
        ("In ritardo", fmt_int(k["late"])), ("Scaduti", fmt_int(k["overdue"])),
        ("Neutralizzati", fmt_int(k["neutralized"])), ("Continuativi", fmt_int(k["continuous"]))],
        notes=("Il raggiungimento del piano è la media dei raggiungimenti degli obiettivi valutabili, pesata sui "
               "pesi normalizzati; gli obiettivi neutralizzati o senza step nell'anno ne restano fuori. "
               f"Obiettivi neutralizzati: {k['objectives_neutralized']}."))
    if waiting := plan_value_text(pm) if pm.achievement is None and k["objectives"] else None:
        ach.message = f"Raggiungimento del piano: {waiting}."
    elif pm.achievement is None:
        ach.message = "Raggiungimento non calcolabile: nessun obiettivo valutabile nell'anno."
    else:
        ach.charts.append(Chart("doughnut", "Raggiungimento del piano", ["Raggiunto", "Da raggiungere"],
                                {"Raggiungimento": [pm.achievement / 100.0, max(0.0, 100.0 - pm.achievement) / 100.0]},
                                colors=["#1f4e79", "#d9e2ec"]))
    if k["verifications"] == 0 and k["steps"]:
        ach.bullets.append("Il piano non ha ancora verifiche: gli obiettivi sono in attesa del primo monitoraggio "
                           "(nessun valore, non 0%).")
    ach.bullets.append(achievement_bullet(pm))
    deck.append(ach)

    # cascade
    casc = Slide(CASCADE, "Cascata strategica", subtitle="Aree strategiche → obiettivi strategici → obiettivi",
                 table=cascade_table(pm),
                 notes=("Un obiettivo collegato a più obiettivi strategici conta per intero in ciascuno; il "
                        "raggiungimento di un'area è la media pesata degli obiettivi distinti collegati."))
    if casc.table is None:
        casc.message = "Il piano non collega gli obiettivi ad aree e obiettivi strategici: cascata non disponibile."
        deck.append(casc)
    else:
        deck += split_table_slide(casc, room.lines or table_budget(casc.title),
                                  lambda r: _lines(r[0], room.cascade_chars))

    # groups
    grp = Slide(GROUPS, "Raggiungimento per area e per tipo", subtitle=f"Situazione al {when}",
                notes="Media dei raggiungimenti degli obiettivi del gruppo, pesata sui pesi degli obiettivi.")
    if pm.objectives["achievement"].isna().all():
        grp.message = f"Nessun obiettivo valutabile nel {c.year}: raggiungimento per gruppo non calcolabile."
    for title, df in group_frames(pm):
        if df["achievement"].isna().all():
            continue
        grp.charts.append(Chart("bar", title, list(df["label"]), {"Raggiungimento": [fraction(a) for a in df["achievement"]]},
                                colors=[BAND_COLORS.get(b, BAND_COLORS[BAND_NONE]) for b in df["band"]]))
    deck.append(grp)

    # objectives
    ob = pm.objectives
    objs = Slide(OBJECTIVES, "Raggiungimento per obiettivo", subtitle=f"Situazione al {when}",
                 table=objectives_table(pm),
                 notes="\n".join(f"{o['code']} · {text(o['title'])}: {objective_result(o)}" for _, o in ob.iterrows()))
    if ob["achievement"].notna().any():
        objs.charts.append(Chart("bar", "Raggiungimento per obiettivo",
                                 [objective_label(cd, t, 40) for cd, t in zip(ob["code"], ob["title"])],
                                 {"Raggiungimento": [fraction(a) for a in ob["achievement"]]},
                                 colors=[BAND_COLORS.get(b, BAND_COLORS[BAND_NONE]) for b in ob["band"]],
                                 captions=[None if pd.notna(a) else (waiting_text(st) or "non valutabile")
                                           for a, st in zip(ob["achievement"], ob["status"])]))
    elif ob.empty:
        objs.message = "Il piano non contiene obiettivi."
    if objs.charts or objs.message:
        deck.append(objs)
    else:   # nothing evaluable: the table alone, over as many slides as it needs
        deck += split_table_slide(objs, room.lines or table_budget(objs.title),
                                  lambda r: _lines(r[1], room.objective_chars, objs.table.clip.get(1)))

    # late and overdue
    due = pm.steps[pm.steps["due_in_year"]]
    order = TIMING_ORDER
    counts = [int((due["timing"] == t).sum()) for t in order]
    late = Slide(LATE, "Step in ritardo e scaduti", subtitle=f"Step con termine nel {c.year}, situazione al {when}",
                 figures=[("In ritardo", fmt_int(k["late"])), ("Scaduti", fmt_int(k["overdue"])),
                          ("Ritardo mediano", fmt_days(pm.slippage.get("median_delay"))),
                          ("Ritardo massimo", fmt_days(pm.slippage.get("max_delay")))],
                 table=late_table(pm), notes=TIMING_HELP)
    if len(due):   # only the timings that occur: a zero slice would print a «0» label
        shown = [(t, n) for t, n in zip(order, counts) if n]
        late.charts.append(Chart("doughnut", "Tempi degli step dell'anno", [TIMING_LABELS[t] for t, _ in shown],
                                 {"Step": [float(n) for _, n in shown]}, number_format="0",
                                 colors=[TIMING_COLORS[t] for t, _ in shown], percent=False))
    if not late.table.rows:
        late.message = "Nessuno step in ritardo o scaduto alla data di monitoraggio."
    deck.append(late)
    if (fc := forecast_slide(pm)) is not None:   # «Previsione a fine anno», intermediate checks only
        deck.append(fc)

    by_objective = objective_steps(pm)
    for _, o in ob.iterrows():
        code = str(o["code"])
        steps = by_objective[code]
        figs = [("Raggiungimento", objective_result(o)), ("Peso nel piano", fmt_pct(o["weight_pct"])),
                ("Stato", text(o["status"])), ("Step dell'anno", f"{int(o['steps_due'])} su {int(o['steps'])}")]
        if int(o["late"]) or int(o["overdue"]):
            figs.append(("In ritardo / scaduti", f"{int(o['late'])} / {int(o['overdue'])}"))
        table = steps_table(pm, code, steps)
        title = f"{code} · {text(o['title'])}"
        bullets = key_notes(pm, code, steps)
        ranges = split_rows([_lines(r[1], room.step_chars, table.clip.get(1)) for r in table.rows],
                            room.lines or objective_budget(title, bullets, True),
                            room.lines or objective_budget(title + SEGUE, [], False)) or [(0, 0)]
        for part, (a, b) in enumerate(ranges, start=1):
            notes = verification_notes(pm, code, steps.iloc[a:b])
            deck.append(Slide(OBJECTIVE, title + (SEGUE if part > 1 else ""), subtitle=text(o["type"]),
                              figures=figs, table=_rows_of(table, a, b),
                              bullets=bullets if part == 1 else [],
                              notes="Testi di verifica:\n" + "\n".join(notes) if notes else "Nessun testo di verifica.",
                              objective_code=code, message="" if int(o["steps"]) else no_steps_text(pm, code),
                              part=part, parts=len(ranges), step_range=(a, b)))
    return deck



def forecast_slide(pm: PlanMetrics) -> Slide | None:
    """«Previsione a fine anno» (rule 8): only when the as-of date is before the year end."""
    fc = pm.forecast
    if fc is None or fc.get("expected") is None:
        return None
    return Slide(FORECAST, "Previsione a fine anno",
                 subtitle=f"Dalla situazione al {fmt_date(pm.ctx.as_of)} al 31/12/{pm.ctx.year}",
                 figures=[("Previsione attesa", fmt_pct(fc["expected"])), ("Ipotesi minima", fmt_pct(fc["low"])),
                          ("Ipotesi massima", fmt_pct(fc["high"])), ("Raggiungimento oggi", fmt_pct(pm.achievement))],
                 table=forecast_table(pm), bullets=[fc["method"]], notes=fc["method"])
