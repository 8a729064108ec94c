"""The tables of the board exports as plain data (text already in Italian format): the cascade,
the groups, the objectives, the late steps and the steps of an objective. Shared by the deck,
the Word Relazione and the Excel."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from charts.base import natural_key
from exports.common import clip, missing, steps_of, text
from exports.phrasing import objective_label, objective_result, step_achievement_text, step_delay_text, step_timing_text
from metrics import formulas as F
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date, fmt_int, fmt_num, fmt_pct


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
            rows.append([f"{st.code} · {text(st.name)}", _linked(st.objectives), fmt_pct(st.achievement)])

    for a in pm.areas.itertuples():
        bold.add(len(rows))
        rows.append([f"Area {a.code} · {text(a.name)}", _linked(a.objectives), fmt_pct(a.achievement)])
        strategic_rows(pm.strategic[pm.strategic["area_code"].astype(str) == str(a.code)])
    rest = pm.strategic[~pm.strategic["code"].astype(str).isin(seen)]
    if len(rest):
        bold.add(len(rows))
        rows.append(["Senza area strategica", "", ""])
        strategic_rows(rest)
    return Table(["Area strategica / obiettivo strategico", "Obiettivi collegati", "Raggiungimento"], rows,
                 widths=[8.0, 2.0, 1.6], clip={0: 110, 1: 40}, numeric=(2,), bold_rows=bold)


def _linked(codes) -> str:
    """The linked objectives in the order a person reads codes: ``8, 10, 12`` (not ``10, 12, 8``)."""
    return ", ".join(sorted(map(str, codes), key=natural_key))


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
    s = steps_of(pm, code, steps)
    w = F.normalised_weights(s["weight_eff"].astype("float64"))
    rows = [[text(r["code"]), text(r["description"]), fmt_date(r["deadline"], empty=text(r["deadline_raw"]) or "—"),
             fmt_pct(wi), fmt_pct(r["year_weight"]) if r["due_in_year"] else "—", text(r["status"]),
             step_achievement_text(r), step_timing_text(r)]
            for (_, r), wi in zip(s.iterrows(), w)]
    return Table(["Step", "Descrizione", "Termine", "Peso", f"Peso {pm.ctx.year}", "Stato",
                  "Raggiung.", "Tempi"], rows,
                 widths=[0.7, 5.6, 1.25, 0.9, 1.05, 1.3, 1.1, 1.9], clip={1: 110, 2: 24}, numeric=(3, 4, 6))



def forecast_table(pm: PlanMetrics) -> Table:
    rows = [["Piano", fmt_pct(pm.achievement), fmt_pct(pm.forecast["low"]), fmt_pct(pm.forecast["expected"]),
             fmt_pct(pm.forecast["high"])]]
    for _, o in pm.objectives.iterrows():
        if missing(o.get("fc_expected")):
            continue
        rows.append([objective_label(o["code"], o["title"], 60), fmt_pct(o["achievement"]), fmt_pct(o["fc_low"]),
                     fmt_pct(o["fc_expected"]), fmt_pct(o["fc_high"])])
    return Table(["Obiettivo", "Oggi", "Minima", "Attesa", "Massima"], rows, widths=[6, 1.2, 1.2, 1.2, 1.2],
                 clip={0: 70}, numeric=(1, 2, 3, 4))
