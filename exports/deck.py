"""The board deck, built once from a :class:`PlanMetrics`: the slide sequence of the «Presentazione»
(the page, the PowerPoint and the HTML report render the same list). Everything here is plain data
with the text already in Italian format; values for charts stay unrounded (0–1 fractions)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from charts.base import TIMING_COLORS
from charts.board import TIMING_ORDER
from exports.common import fraction, missing, objective_steps, text
from exports.criteria import achievement_bullet, profile_line
from exports.paginate import (PAGE, SEGUE, Room, objective_budget, row_lines, rows_of, split_rows, split_table_slide,
                              table_budget)
from exports.phrasing import (TIMING_HELP, TIMING_LABELS, key_notes, no_steps_text, objective_label, objective_result,
                              verification_notes)
from exports.tables import Table, cascade_table, forecast_table, group_frames, late_table, objectives_table, steps_table
from metrics.engine import PlanMetrics
from metrics.explain import (forecast_text, metric_value_text, objective_explanation, plan_explanation, plan_value_text,
                             plan_waiting_text, waiting_text, WAITING_SHORT)
from metrics.fmt import fmt_date, fmt_days, fmt_delta, fmt_int, fmt_pct
from metrics.previous import Previous
from metrics.settings import BAND_COLORS, BAND_GREEN, BAND_NONE, BAND_RED, BAND_YELLOW

# Slide kinds, in order; one «objective» slide per objective follows the fixed ones. A slide with nothing
# to show is left out (:func:`select`) and the summary says what is missing.
TITLE, SUMMARY, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE, OBJECTIVE = (
    "title", "summary", "achievement", "cascade", "groups", "objectives", "late", "objective")
FORECAST = "forecast"   # «Previsione a fine anno» (after the fixed slides, only at an intermediate check)
FIXED_KINDS = (TITLE, SUMMARY, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE, FORECAST)
#: Headings of the summary slide's sections.
RISKS, DECISIONS, ABSENT = "Obiettivi più a rischio", "Decisioni richieste al Consiglio", "Non in questa presentazione"
RISKS_SHOWN = 3


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
    #: Headed lists (the summary slide): (heading, items).
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    #: What the summary says when this slide is left out for having nothing to show.
    absent: str = ""


BAND_WORDS = {BAND_GREEN: "verde", BAND_YELLOW: "gialla", BAND_RED: "rossa", BAND_NONE: "—"}


def _headline(pm: PlanMetrics) -> tuple[float | None, str, str, str]:
    """The figure the board sees first: ``(value 0–100 or None, band, label, value text)``, from
    :meth:`PlanMetrics.headline`: before the year end the schedule adherence (rule 10, «Rispetto del
    cronoprogramma»), at or after it the plan's achievement (rule 3)."""
    h = pm.headline()
    value = h["value"]
    if value is None and h["basis"] == "cronoprogramma" and pm.achievement is not None:
        value_text = "nessuna scadenza ancora"       # monitored, but nothing due yet: grey, never red
    else:
        value_text = metric_value_text(value, plan_waiting_text(pm))[0]
    return value, h["band"], h["label"], value_text


def _change(pm: PlanMetrics, previous: Previous | None) -> tuple[str, str]:
    """(figure label, value) of the change since the previous check."""
    if previous is None:
        return "Variazione dal controllo precedente", "primo controllo"
    label = f"Variazione dal {fmt_date(previous.as_of)}"   # not «Rispetto»: that is the cronoprogramma
    if previous.achievement is None or pm.achievement is None:
        return label, "non confrontabile"
    return label, fmt_delta(pm.achievement - previous.achievement)


def _change_sentence(pm: PlanMetrics, previous: Previous | None) -> str:
    if previous is None:
        return "Nessun controllo precedente di questo piano: non c'è una variazione da mostrare."
    if previous.achievement is None or pm.achievement is None:
        return f"Al {previous.label} il piano non aveva un valore confrontabile."
    return (f"Al {previous.label} il raggiungimento era {fmt_pct(previous.achievement)}; oggi "
            f"{fmt_pct(pm.achievement)} ({fmt_delta(pm.achievement - previous.achievement)}).")


def _codes_list(codes: list[str], n: int = 6) -> str:
    return ", ".join(codes[:n]) + (f" e altri {len(codes) - n}" if len(codes) > n else "")


def objectives_at_risk(pm: PlanMetrics, n: int = RISKS_SHOWN) -> list[str]:
    """The ``n`` objectives most at risk, each with why: red before yellow, then more overdue and late
    steps, then the lower value; an objective in the green band with no late or overdue step is not at risk."""
    ob = pm.objectives
    by_objective = objective_steps(pm)
    rank = {BAND_RED: 0, BAND_YELLOW: 1}
    rows = []
    for _, o in ob.iterrows():
        if bool(o["neutralized"]) or missing(o["achievement"]):
            continue
        late, overdue = int(o["late"]), int(o["overdue"])
        if o["band"] not in rank and not late and not overdue:
            continue
        rows.append((rank.get(o["band"], 2), -(overdue + late), float(o["achievement"]), str(o["code"]), o))
    out = []
    for *_, code, o in sorted(rows, key=lambda r: r[:3])[:n]:
        due = by_objective[code]
        due = due[due["due_in_year"]]
        why = [f"fascia {BAND_WORDS.get(o['band'], 'n.d.')}"]
        if overdue := [str(c) for c in due.loc[due["timing"] == "scaduto", "code"]]:
            why.append(f"scaduti {_codes_list(overdue)}")
        if late := [str(c) for c in due.loc[due["timing"] == "in ritardo", "code"]]:
            why.append(f"in ritardo {_codes_list(late)}")
        if not overdue and not late:
            why.append(f"completati {fmt_int(int(due['completed'].sum()))} step su {len(due)}")
        out.append(f"{objective_label(code, o['title'], 45)}: {fmt_pct(o['achievement'])} ({', '.join(why)})")
    return out


def board_decisions(pm: PlanMetrics) -> list[str]:
    """What the board is asked to decide: the neutralisations proposed, the deadlines to move (steps
    overdue, or with a new deadline proposed in a verification or written in the plan)."""
    due = pm.steps[pm.steps["due_in_year"]]
    out = []
    neutral = [str(c) for c in due.loc[due["neutralized"], "code"]]
    if neutral:
        out.append(f"Prendere atto della neutralizzazione (cause non imputabili all'ente) di "
                   f"{'uno step' if len(neutral) == 1 else f'{len(neutral)} step'}: {_codes_list(neutral)}")
    over = due[due["timing"] == "scaduto"]
    if len(over):
        items = [f"{s['code']} (da {fmt_days(s['overdue_days'])})" if not missing(s["overdue_days"]) else str(s["code"])
                 for _, s in over.iterrows()]
        out.append(f"Fissare un nuovo termine per {'lo step scaduto' if len(over) == 1 else f'{len(over)} step scaduti'}"
                   f": {_codes_list(items, 4)}")
    new = due[(due["new_deadline"].notna() | due["revised_deadline"].notna()) & (due["timing"] != "scaduto")]
    if len(new):
        items = [f"{s['code']} al {fmt_date(s['revised_deadline'] if not missing(s['revised_deadline']) else s['new_deadline'])}"
                 for _, s in new.iterrows()]
        out.append(f"Approvare {'il nuovo termine' if len(new) == 1 else 'i nuovi termini'}: {_codes_list(items, 4)}")
    return out


def summary_slide(pm: PlanMetrics, previous: Previous | None, absent: list[str]) -> Slide:
    """«Sintesi per il Consiglio»: the headline and its band, the change since the previous check, the
    objectives most at risk and why, the decisions asked, and what the deck leaves out."""
    value, band, label, value_text = _headline(pm)
    risks = objectives_at_risk(pm)
    decisions = board_decisions(pm)
    if pm.counts["verifications"] == 0 and pm.counts["steps"]:
        no_risk = ("Il piano non ha ancora verifiche: gli obiettivi sono in attesa del primo monitoraggio "
                   "(nessun valore, non 0%).")
    elif pm.objectives["achievement"].isna().all():
        no_risk = f"Nessun obiettivo ha ancora un valore ({plan_value_text(pm)}): il rischio non è ancora valutabile."
    else:
        no_risk = "Nessun obiettivo a rischio: tutti in fascia verde, senza step in ritardo o scaduti."
    sections = [(RISKS, risks or [no_risk]),
                (DECISIONS, decisions or ["Nessuna decisione richiesta: nessuna neutralizzazione proposta e nessun "
                                          "termine da spostare."])]
    if absent:
        sections.append((ABSENT, absent))
    _, why = plan_explanation(pm)
    notes = [f"{label}: {plan_value_text(pm)}. Perché questo valore: {why}", _change_sentence(pm, previous)]
    if (fc := forecast_text(pm)) is not None:
        notes.append(fc)
    notes.append("Obiettivi a rischio: prima la fascia rossa, poi la gialla; a parità, più step scaduti o in ritardo "
                 "e il valore più basso.")
    return Slide(SUMMARY, "Sintesi per il Consiglio", subtitle=f"Situazione al {fmt_date(pm.ctx.as_of)}",
                 figures=[(label, value_text), ("Fascia", BAND_WORDS.get(band, "—")), _change(pm, previous),
                          *([("Avanzamento dell'anno", metric_value_text(pm.achievement, plan_waiting_text(pm))[0])]
                            if not pm.year_over else [])],
                 sections=sections, notes="\n".join(notes))


# ----------------------------------------------------------------------------- selection
def has_content(s: Slide) -> bool:
    """A slide shows something when it has a chart, a table row or headed lists (the title slide always
    does); figures, bullets and a message alone only go with them."""
    return s.kind == TITLE or bool(s.charts or (s.table is not None and s.table.rows) or s.sections)


def signature(s: Slide) -> tuple:
    """What a slide shows, for «no slide repeats another»."""
    return (s.title, tuple(s.figures), tuple((c.kind, c.title, tuple(c.categories),
                                              tuple((k, tuple(v)) for k, v in c.series.items())) for c in s.charts),
            tuple(map(tuple, s.table.rows)) if s.table is not None else (), tuple(s.bullets),
            tuple((h, tuple(i)) for h, i in s.sections), s.message)


def select(slides: list[Slide]) -> tuple[list[Slide], list[str]]:
    """The slides that show something, each once, and what the summary says about the others (one line
    for the objectives without steps)."""
    kept, seen, absent, no_steps = [], set(), [], []
    for s in slides:
        if not has_content(s):
            if s.kind == OBJECTIVE:
                no_steps.append(s.objective_code)
            elif s.absent and s.absent not in absent:
                absent.append(s.absent)
            continue
        sig = signature(s)
        if sig in seen:
            continue
        seen.add(sig)
        kept.append(s)
    if no_steps:
        absent.append(f"{'obiettivo' if len(no_steps) == 1 else 'obiettivi'} {_codes_list(no_steps, 8)} senza step "
                      "(misurati con indicatori: pagina «Indicatori» del cruscotto)")
    return kept, absent


# ----------------------------------------------------------------------------- deck
def build_deck(pm: PlanMetrics, room: Room = PAGE, previous: Previous | None = None) -> list[Slide]:
    """The board presentation: the title, the summary, the plan's slides that have something to show
    (each once), then the objectives' slides (a long objective or table over several, «(segue)», as
    many as ``room`` needs). ``previous``: the previous check (:func:`metrics.previous.previous_check`)."""
    c, k = pm.ctx, pm.counts
    when = fmt_date(c.as_of)
    title = Slide(TITLE, text(c.titolo), subtitle=text(c.ente), figures=[
        ("Anno", str(c.year)), ("Data di monitoraggio", when), ("Versione del piano", str(c.version))],
        bullets=[profile_line(pm)],
        notes=(f"Monitoraggio del piano «{c.titolo}» di {c.ente}, anno {c.year}, con le verifiche fino al {when}. "
               f"{profile_line(pm)}."))
    slides = plan_slides(pm, room) + objective_slides(pm, room)
    kept, absent = select(slides)
    return [title, summary_slide(pm, previous, absent)] + kept


def plan_slides(pm: PlanMetrics, room: Room = PAGE) -> list[Slide]:
    """The plan's slides before the selection (some may have nothing to show)."""
    c, k = pm.ctx, pm.counts
    when = fmt_date(c.as_of)
    deck: list[Slide] = []
    _, why_plan = plan_explanation(pm)
    ach = Slide(ACHIEVEMENT, "Raggiungimento del piano", subtitle=f"Situazione al {when}", figures=[
        ("Raggiungimento del piano", plan_value_text(pm)),
        ("Obiettivi valutabili", f"{k['objectives_evaluable']} su {k['objectives']}"),
        ("Step dell'anno", fmt_int(k["steps_due"])), ("Completati", fmt_int(k["completed"])),
        ("In ritardo", fmt_int(k["late"])), ("Scaduti", fmt_int(k["overdue"])),
        ("Neutralizzati", fmt_int(k["neutralized"])), ("Continuativi", fmt_int(k["continuous"]))],
        notes=(f"Perché questo valore: {why_plan} Gli obiettivi neutralizzati o senza step nell'anno restano fuori "
               f"dalla media. Obiettivi neutralizzati: {k['objectives_neutralized']}."))
    if pm.achievement is None:
        ach.message = (f"Raggiungimento del piano: {plan_value_text(pm)}." if k["objectives"] and plan_value_text(pm) != "—"
                       else "Raggiungimento non calcolabile: nessun obiettivo valutabile nell'anno.")
        ach.absent = f"grafico del raggiungimento del piano: {plan_value_text(pm) if plan_value_text(pm) != '—' else 'nessun obiettivo valutabile'}"
    else:
        ach.charts.append(Chart("doughnut", "Raggiungimento del piano", ["Raggiunto", "Da raggiungere"],
                                {"Raggiungimento": [pm.achievement / 100.0, max(0.0, 100.0 - pm.achievement) / 100.0]},
                                colors=["#1f4e79", "#d9e2ec"]))
    ach.bullets.append(achievement_bullet(pm))
    deck.append(ach)

    casc = Slide(CASCADE, "Cascata strategica", subtitle="Aree strategiche → obiettivi strategici → obiettivi",
                 table=cascade_table(pm),
                 notes=("Un obiettivo collegato a più obiettivi strategici conta per intero in ciascuno; il "
                        "raggiungimento di un'area è la media pesata degli obiettivi distinti collegati."),
                 absent="cascata strategica non disponibile: il piano non collega obiettivi strategici")
    if casc.table is None:
        deck.append(casc)
    else:
        deck += split_table_slide(casc, room.lines or table_budget(casc.title),
                                  lambda r: row_lines(r[0], room.cascade_chars))

    grp = Slide(GROUPS, "Raggiungimento per area e per tipo", subtitle=f"Situazione al {when}",
                notes="Media dei raggiungimenti degli obiettivi del gruppo, pesata sui pesi degli obiettivi.")
    single = []
    for gtitle, df in group_frames(pm):
        shown = df[df["achievement"].notna()]
        if len(shown) < 2:   # one bar says nothing the plan's figure does not: left out
            single.append(gtitle.removeprefix("Per ").lower())
            continue
        grp.charts.append(Chart("bar", gtitle, list(df["label"]), {"Raggiungimento": [fraction(a) for a in df["achievement"]]},
                                colors=[BAND_COLORS.get(b, BAND_COLORS[BAND_NONE]) for b in df["band"]]))
        grp.notes += "\n" + gtitle + ": " + "; ".join(
            f"{lb} {fmt_pct(a)} ({fmt_int(n)} obiettivi)" for lb, a, n in zip(df["label"], df["achievement"], df["objectives"]))
    grp.title = "Raggiungimento per " + " e per ".join(ch.title.removeprefix("Per ") for ch in grp.charts) if grp.charts \
        else grp.title
    if pm.objectives["achievement"].isna().all():
        grp.absent = "raggiungimento per gruppo: nessun obiettivo ancora con un valore"
    elif single and not grp.charts:
        grp.absent = (f"raggiungimento per {' e per '.join(single)}: un solo gruppo con un valore, "
                      "uguale al dato del piano")
    deck.append(grp)

    ob = pm.objectives
    objs = Slide(OBJECTIVES, "Raggiungimento per obiettivo", subtitle=f"Situazione al {when}",
                 table=objectives_table(pm),
                 notes="\n".join(f"{o['code']} · {text(o['title'])}: {objective_result(o)}" for _, o in ob.iterrows()),
                 absent="il piano non contiene obiettivi")
    if ob["achievement"].notna().any():
        objs.charts.append(Chart("bar", "Raggiungimento per obiettivo",
                                 [objective_label(cd, t, 40) for cd, t in zip(ob["code"], ob["title"])],
                                 {"Raggiungimento": [fraction(a) for a in ob["achievement"]]},
                                 colors=[BAND_COLORS.get(b, BAND_COLORS[BAND_NONE]) for b in ob["band"]],
                                 captions=[None if pd.notna(a) else (waiting_text(st) or "non valutabile")
                                           for a, st in zip(ob["achievement"], ob["status"])]))
        deck.append(objs)
    else:   # nothing evaluable: the table alone, over as many slides as it needs
        deck += split_table_slide(objs, room.lines or table_budget(objs.title),
                                  lambda r: row_lines(r[1], room.objective_chars, objs.table.clip.get(1)))

    due = pm.steps[pm.steps["due_in_year"]]
    counts = [int((due["timing"] == t).sum()) for t in TIMING_ORDER]
    late = Slide(LATE, "Step in ritardo e scaduti", subtitle=f"Step con termine nel {c.year}, situazione al {when}",
                 figures=[("In ritardo", fmt_int(k["late"])), ("Scaduti", fmt_int(k["overdue"])),
                          ("Ritardo mediano", fmt_days(pm.slippage.get("median_delay"))),
                          ("Ritardo massimo", fmt_days(pm.slippage.get("max_delay")))],
                 table=late_table(pm), notes=TIMING_HELP,
                 absent=f"step in ritardo o scaduti: nessuno al {when}")
    if late.table.rows:   # only the timings that occur: a zero slice would print a «0» label
        shown = [(t, n) for t, n in zip(TIMING_ORDER, counts) if n]
        late.charts.append(Chart("doughnut", "Tempi degli step dell'anno", [TIMING_LABELS[t] for t, _ in shown],
                                 {"Step": [float(n) for _, n in shown]}, number_format="0",
                                 colors=[TIMING_COLORS[t] for t, _ in shown], percent=False))
    deck.append(late)
    if (fc := forecast_slide(pm)) is not None:   # «Previsione a fine anno», intermediate checks only
        deck.append(fc)
    return deck


def objective_slides(pm: PlanMetrics, room: Room = PAGE) -> list[Slide]:
    """One slide per objective (a long one over several, «(segue)»); an objective without steps has
    nothing to show on a slide (the selection names it in the summary)."""
    deck: list[Slide] = []
    by_objective = objective_steps(pm)
    for _, o in pm.objectives.iterrows():
        code = str(o["code"])
        steps = by_objective[code]
        waiting = waiting_text(o["status"])     # «in attesa del primo monitoraggio»: said once, in short
        figs = [("Raggiungimento", WAITING_SHORT if waiting else objective_result(o)),
                ("Peso nel piano", fmt_pct(o["weight_pct"])),
                *([] if waiting else [("Stato", text(o["status"]))]),
                ("Step dell'anno", f"{int(o['steps_due'])} su {int(o['steps'])}")]
        if int(o["late"]) or int(o["overdue"]):
            figs.append(("In ritardo / scaduti", f"{int(o['late'])} / {int(o['overdue'])}"))
        table = steps_table(pm, code, steps)
        title = f"{code} · {text(o['title'])}"
        bullets = key_notes(pm, code, steps)
        why = objective_explanation(pm, code)[1] if int(o["steps"]) else ""
        ranges = split_rows([row_lines(r[1], room.step_chars, table.clip.get(1)) for r in table.rows],
                            room.lines or objective_budget(title, bullets, True),
                            room.lines or objective_budget(title + SEGUE, [], False)) or [(0, 0)]
        for part, (a, b) in enumerate(ranges, start=1):
            notes = verification_notes(pm, code, steps.iloc[a:b])
            text_notes = "Testi di verifica:\n" + "\n".join(notes) if notes else "Nessun testo di verifica."
            deck.append(Slide(OBJECTIVE, title + (SEGUE if part > 1 else ""), subtitle=text(o["type"]),
                              figures=figs, table=rows_of(table, a, b),
                              bullets=bullets if part == 1 else [],
                              notes=(f"Perché questo valore: {why}\n" if why and part == 1 else "") + text_notes,
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
