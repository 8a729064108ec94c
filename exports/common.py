"""What every board export shows, built once from a :class:`PlanMetrics`.

:func:`build_deck` returns the slide sequence of the «Presentazione» (the page, the
PowerPoint and the HTML report render the same list); :func:`objective_paragraph` and
the table builders feed the Word «Relazione». Everything here is plain data with the
text already in Italian format; values for charts stay unrounded (0–1 fractions).

:func:`neutralize` makes a text safe for a spreadsheet cell (no formula injection).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from charts.base import TIMING_COLORS
from charts.board import TIMING_NAMES, TIMING_ORDER
from domain.status import STATUS_NEUTRALIZED, STATUS_UNVERIFIED
from metrics import formulas as F
from metrics import timing
from metrics.engine import PlanMetrics
from metrics.explain import plan_value_text, waiting_text
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_num, fmt_pct
from metrics.settings import BAND_COLORS, BAND_NONE

# Slide kinds, in order; one «objective» slide per objective follows the fixed ones.
TITLE, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE, OBJECTIVE = (
    "title", "achievement", "cascade", "groups", "objectives", "late", "objective")
FIXED_KINDS = (TITLE, ACHIEVEMENT, CASCADE, GROUPS, OBJECTIVES, LATE)
FIXED_SLIDES = len(FIXED_KINDS)

#: Characters that make a spreadsheet read a cell as a formula (OWASP «CSV injection»).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TIMING_LABELS = TIMING_NAMES
TIMING_HELP = ("«Da verificare»: completati senza data di completamento, con un ritardo possibile ma solo limitato "
               "dalle verifiche. «Non valutabili»: step continuativi, neutralizzati, senza termine o completati "
               "senza alcuna verifica datata.")


def neutralize(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe, so it
    stays text: ``=HYPERLINK(...)`` → ``'=HYPERLINK(...)``. Other values are returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(s: str) -> str:
    """Without the control characters that Office XML cannot hold."""
    return _XML_ILLEGAL.sub("", s)


def text(x: Any) -> str:
    """A cell value as display text ('' for missing), safe for Office XML."""
    return "" if missing(x) else xml_safe(str(x).strip())


def clip(s: str, n: int) -> str:
    """At most ``n`` characters, cut on a word with an ellipsis."""
    s = " ".join(str(s).split())
    if len(s) <= n:
        return s
    cut = s[: n - 1]
    if " " in cut[n // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;.:-") + "…"


def fraction(x: Any) -> float | None:
    """0–100 value → 0–1 fraction for percent-formatted cells and charts (None if missing)."""
    return None if missing(x) else float(x) / 100.0


def plural(n: int, one: str, many: str) -> str:
    return f"{fmt_int(n)} {one if n == 1 else many}"


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


def step_weight_pct(steps: pd.DataFrame) -> pd.Series:
    """Peso step/obiettivo: the step's effective weight normalised within its objective (0–100)."""
    return steps.groupby("objective_code", sort=False)["weight_eff"].transform(
        lambda w: F.normalised_weights(w)).astype("float64")


def objective_steps(pm: PlanMetrics) -> dict[str, pd.DataFrame]:
    """The steps of each objective (computed once: boolean indexing of the wide frame is slow)."""
    groups = {str(k): g for k, g in pm.steps.groupby("objective_code", sort=False)}
    return {str(c): groups.get(str(c), pm.steps.iloc[0:0]) for c in pm.objectives["code"]}


def _steps_of(pm: PlanMetrics, code: str, steps: pd.DataFrame | None) -> pd.DataFrame:
    return pm.steps[pm.steps["objective_code"] == code] if steps is None else steps


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


# ----------------------------------------------------------------------------- data model
@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    #: Relative column widths (renderers scale them to the space they have).
    widths: list[float] | None = None
    #: Column index → max characters in compact renderers (slides); full text elsewhere.
    clip: dict[int, int] = field(default_factory=dict)
    #: Column indexes to right-align (numbers).
    numeric: tuple[int, ...] = ()
    #: Row indexes to emphasise (group rows, e.g. the areas of the cascade).
    bold_rows: set[int] = field(default_factory=set)


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


# ----------------------------------------------------------------------------- tables
def cascade_table(pm: PlanMetrics) -> Table | None:
    """Cascata strategica: each area (bold row) followed by its strategic objectives, with the
    objectives linked and the achievements."""
    if pm.strategic.empty and pm.areas.empty:
        return None
    rows: list[list[str]] = []
    bold: set[int] = set()
    seen: set[str] = set()

    def strategic_rows(df: pd.DataFrame) -> None:
        for st in df.itertuples():
            seen.add(str(st.code))
            rows.append([f"{st.code} · {text(st.name)}", ", ".join(map(str, st.objectives)), fmt_pct(st.achievement)])

    for a in pm.areas.itertuples():
        bold.add(len(rows))
        rows.append([f"Area {a.code} · {text(a.name)}", ", ".join(map(str, a.objectives)), fmt_pct(a.achievement)])
        strategic_rows(pm.strategic[pm.strategic["area_code"].astype(str) == str(a.code)])
    rest = pm.strategic[~pm.strategic["code"].astype(str).isin(seen)]
    if len(rest):
        bold.add(len(rows))
        rows.append(["Senza area strategica", "", ""])
        strategic_rows(rest)
    return Table(["Area strategica / obiettivo strategico", "Obiettivi collegati", "Raggiungimento"], rows,
                 widths=[8.0, 2.0, 1.6], clip={0: 110, 1: 40}, numeric=(2,), bold_rows=bold)


def group_frames(pm: PlanMetrics) -> list[tuple[str, pd.DataFrame]]:
    """Summary groups: (title, frame with ``label``, ``achievement``, ``objectives``, ``band``).

    By strategic area when the plan has a cascade, else by Responsabile (area/CDR) when
    given; always by Tipo."""
    out = []
    if len(pm.areas):
        df = pd.DataFrame({"label": [f"{a.code} · {text(a.name)}" for a in pm.areas.itertuples()],
                           "achievement": pm.areas["achievement"].astype("float64").values,
                           "objectives": [len(x) for x in pm.areas["objectives"]],
                           "band": pm.areas["band"].values})
        out.append(("Per area strategica", df))
    elif pm.objectives["responsible"].notna().any():
        out.append(("Per responsabile", _group(pm, "responsible")))
    out.append(("Per tipo di obiettivo", _group(pm, "type")))
    return out


def _group(pm: PlanMetrics, by: str) -> pd.DataFrame:
    g = F.group_achievement(pm.objectives, by)
    return pd.DataFrame({"label": g[by].astype(str).map(lambda s: clip(s, 60)),
                         "achievement": g["achievement"].astype("float64"), "objectives": g["objectives"],
                         "band": [F.band(a, pm.profile) for a in g["achievement"]]})


def group_table(df: pd.DataFrame, label: str) -> Table:
    return Table([label, "Obiettivi", "Raggiungimento"],
                 [[r.label, fmt_int(r.objectives), fmt_pct(r.achievement)] for r in df.itertuples()],
                 widths=[6, 1.4, 1.8], clip={0: 60}, numeric=(1, 2))


def objectives_table(pm: PlanMetrics) -> Table:
    rows = [[text(o["code"]), text(o["title"]), text(o["type"]), fmt_pct(o["weight_pct"]), objective_result(o),
             f"{int(o['steps_due'])}", fmt_int(o["late"]), fmt_int(o["overdue"]), fmt_num(o["score"])]
            for _, o in pm.objectives.iterrows()]
    return Table(["Codice", "Obiettivo", "Tipo", "Peso", "Raggiungimento", "Step dell'anno", "In ritardo", "Scaduti",
                  "Punteggio"],
                 rows, widths=[0.8, 6, 1.3, 1, 1.6, 1.2, 1.1, 1, 1.1], clip={1: 70}, numeric=(3, 4, 5, 6, 7, 8))


def late_steps(pm: PlanMetrics) -> pd.DataFrame:
    """Steps of the year completed late or overdue, the longest delay first."""
    s = pm.steps[pm.steps["due_in_year"] & pm.steps["timing"].isin(["in ritardo", "scaduto"])].copy()
    s["_days"] = s["slip_days"].astype("Float64").fillna(s["overdue_days"].astype("Float64")).fillna(0)
    return s.sort_values(["_days", "objective_code", "ord"], ascending=[False, True, True]).drop(columns="_days")


def late_table(pm: PlanMetrics) -> Table:
    rows = [[text(s["objective_code"]), text(s["code"]), text(s["description"]), fmt_date(s["deadline"]),
             fmt_date(s["revised_deadline"], empty=""), text(s["status"]), step_delay_text(s)]
            for _, s in late_steps(pm).iterrows()]
    return Table(["Obiettivo", "Step", "Descrizione", "Termine", "Nuovo termine", "Stato", "Ritardo"], rows,
                 widths=[1, 0.8, 6, 1.3, 1.3, 1.4, 2], clip={2: 80}, numeric=(3, 4, 6))


def steps_table(pm: PlanMetrics, code: str, steps: pd.DataFrame | None = None) -> Table:
    """The steps of one objective as in the seeds' report tables."""
    s = _steps_of(pm, code, steps)
    w = F.normalised_weights(s["weight_eff"].astype("float64"))
    rows = [[text(r["code"]), text(r["description"]), fmt_date(r["deadline"], empty=text(r["deadline_raw"]) or "—"),
             fmt_pct(wi), fmt_pct(r["year_weight"]) if r["due_in_year"] else "—", text(r["status"]),
             step_achievement_text(r), step_timing_text(r)]
            for (_, r), wi in zip(s.iterrows(), w)]
    return Table(["Step", "Descrizione", "Termine", "Peso", f"Peso {pm.ctx.year}", "Stato",
                  "Raggiung.", "Tempi"], rows,
                 widths=[0.7, 5.6, 1.25, 0.9, 1.05, 1.3, 1.1, 1.9], clip={1: 110, 2: 24}, numeric=(3, 4, 6))


# ----------------------------------------------------------------------------- texts
def verification_notes(pm: PlanMetrics, code: str, steps: pd.DataFrame | None = None) -> list[str]:
    """«1.1 (verifica del 31/08/2025, raggiunto): testo» for each step with a verification."""
    out = []
    for _, s in _steps_of(pm, code, steps).iterrows():
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
    steps = _steps_of(pm, code, steps)
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
    steps = _steps_of(pm, code, steps)
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


# ----------------------------------------------------------------------------- deck
def context_line(pm: PlanMetrics, short: bool = False) -> str:
    c = pm.ctx
    if short:
        return f"{clip(text(c.ente), 60)} — {clip(text(c.titolo), 55)} · al {fmt_date(c.as_of)}"
    return f"{text(c.ente)} — {text(c.titolo)} · anno {c.year} · situazione al {fmt_date(c.as_of)}"


@dataclass(frozen=True)
class Room:
    """How much a slide holds, for splitting long tables: the «Presentazione» page at 1280×720
    (:data:`PAGE`, budgets from its pixel measures) or the PowerPoint (:data:`POWERPOINT`: a wider
    table under a fixed band, ``lines`` table lines per slide)."""
    step_chars: int = 38          # characters per line of a step description
    cascade_chars: int = 50
    objective_chars: int = 40
    lines: float | None = None    # fixed table lines per slide; None = computed (page)


PAGE = Room()
POWERPOINT = Room(step_chars=62, cascade_chars=100, objective_chars=70, lines=15.0)


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
    from exports.criteria import achievement_bullet, forecast_slide   # measuring system (issue 8)
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
                              objective_code=code, message="" if int(o["steps"]) else _no_steps(pm, code),
                              part=part, parts=len(ranges), step_range=(a, b)))
    return deck


# ----------------------------------------------------------------------------- splitting long slides
#: Suffix of the title of the following slides of a split objective or cascade.
SEGUE = " (segue)"
#: Room of a slide, measured on the «Presentazione» page in «Modalità sala» at 1280×720 (the smallest
#: projector; the PowerPoint has more room): pixels for the slide's content under the navigation, and
#: what each part takes. A table line is LINE_PX; a row costs its lines plus ROW_PADDING.
SLIDE_PX, LINE_PX, ROW_PADDING = 590, 21, 0.6
TITLE_LINE_PX, TITLE_CHARS = 36, 80          # slide title (h2/h3)
FIGURES_PX, CAPTION_PX, TABLE_HEAD_PX = 95, 26, 32
NOTES_HEAD_PX, NOTE_LINE_PX, NOTE_CHARS = 44, 34, 70   # «Note chiave», 1.2 rem bullets


def table_budget(title: str) -> float:
    """Lines of table that fit on a slide with a title, a caption and the table alone."""
    return (SLIDE_PX - TITLE_LINE_PX * math.ceil(len(title) / TITLE_CHARS) - CAPTION_PX - TABLE_HEAD_PX) / LINE_PX


def objective_budget(title: str, bullets: list[str], first: bool) -> float:
    """Lines of step table (in table lines, see :func:`_lines`) that fit on an objective slide
    with this title, after the figures and the key notes on the first slide."""
    px = SLIDE_PX - TITLE_LINE_PX * math.ceil(len(title) / TITLE_CHARS) - TABLE_HEAD_PX
    px -= FIGURES_PX + CAPTION_PX if first else CAPTION_PX
    if bullets:
        px -= NOTES_HEAD_PX + NOTE_LINE_PX * sum(math.ceil(len(b) / NOTE_CHARS) for b in bullets)
    return max(px / LINE_PX, 3.0)


def _lines(value: str, per_line: int, clip_at: int | None = None) -> float:
    """Estimated lines of a table cell (clipped as the slides clip it) plus the row padding."""
    v = clip(value, clip_at) if clip_at else value
    return max(1, math.ceil(len(v) / per_line)) + ROW_PADDING


def split_rows(costs: list[float], first: float, rest: float | None = None) -> list[tuple[int, int]]:
    """Consecutive ranges ``(start, stop)`` of rows whose costs fit ``first`` (the first slide) and
    ``rest`` (the following ones); a row larger than a slide gets a slide of its own."""
    out, start, used, budget = [], 0, 0.0, first
    for i, c in enumerate(costs):
        if i > start and used + c > budget:
            out.append((start, i))
            start, used, budget = i, 0.0, rest if rest is not None else first
        used += c
    if costs:
        out.append((start, len(costs)))
    return out


def _rows_of(t: Table, a: int, b: int) -> Table:
    return Table(t.columns, t.rows[a:b], widths=t.widths, clip=t.clip, numeric=t.numeric,
                 bold_rows={i - a for i in t.bold_rows if a <= i < b})


def unsplit(deck: list[Slide]) -> list[Slide]:
    """The deck with each split slide joined again (one section per objective in a scrolling
    document such as the HTML report)."""
    out: list[Slide] = []
    for s in deck:
        if s.part > 1 and out and out[-1].kind == s.kind:
            prev = out[-1]
            n = len(prev.table.rows)
            table = replace(prev.table, rows=prev.table.rows + s.table.rows,
                            bold_rows=prev.table.bold_rows | {n + i for i in s.table.bold_rows})
            rng = (prev.step_range[0], s.step_range[1]) if prev.step_range and s.step_range else None
            notes = prev.notes if s.notes == "Nessun testo di verifica." else (
                s.notes if prev.notes == "Nessun testo di verifica." else
                prev.notes + "\n" + s.notes.removeprefix("Testi di verifica:\n"))
            out[-1] = replace(prev, table=table, step_range=rng, notes=notes, parts=1)
        else:
            out.append(s)
    return out


def split_table_slide(s: Slide, budget: float, cost) -> list[Slide]:
    """``s`` as one slide, or several (titles «… (segue)») when its table is longer than ``budget``."""
    ranges = split_rows([cost(r) for r in s.table.rows], budget) or [(0, 0)]
    if len(ranges) == 1:
        return [s]
    return [replace(s, title=s.title + (SEGUE if k > 1 else ""), table=_rows_of(s.table, a, b), part=k,
                    parts=len(ranges))
            for k, (a, b) in enumerate(ranges, start=1)]


def _no_steps(pm: PlanMetrics, code: str) -> str:
    n = int((pm.indicators["objective_code"].astype(str) == code).sum()) if len(pm.indicators) else 0
    if n:
        return (f"L'obiettivo non ha step: è misurato con {plural(n, 'indicatore', 'indicatori')} "
                "(pagina «Indicatori» del cruscotto).")
    return "L'obiettivo non ha step."


#: Longest ente part of an export file name (cut on a word, never mid-word).
FILE_NAME_ENTE = 60


def export_file_name(pm: PlanMetrics, ext: str) -> str:
    """``performance_<ente>_<anno>_<data>.<ext>``: the ente's words (accented letters kept, NFC) joined
    by ``_``, cut on a whole word; anything a file system could not hold becomes ``_``."""
    ente = unicodedata.normalize("NFC", text(pm.ctx.ente))
    words = [w for w in re.split(r"[\W_]+", ente) if w]
    kept: list[str] = []
    for w in words:
        if kept and len("_".join(kept + [w])) > FILE_NAME_ENTE:
            break
        kept.append(w[:FILE_NAME_ENTE])
    name = "_".join(kept) or "piano"
    return f"performance_{name}_{pm.ctx.year}_{pm.ctx.as_of:%Y%m%d}.{ext}"
