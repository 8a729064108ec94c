"""Quality checks of the spec («Qualità dei dati»). Each has a stable id, lists the
codes involved and says what is wrong in Italian; ``rows`` carries the offending rows
for the page and the import report."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from domain.status import STATUS_ACHIEVED, STATUS_UNKNOWN, STATUS_UNVERIFIED
from domain.text import strip_accents
from metrics import formulas as F
from metrics.fmt import fmt_date, fmt_pct, plural
from metrics.settings import QualitySettings

CHECKS: dict[str, str] = {
    "weights_sum": "Pesi che non sommano a 100%",
    "year_weights_mismatch": "Colonna «peso step/anno» diversa dalla regola 1",
    "duplicate_verification_text": "Stesso testo di verifica su obiettivi diversi",
    "achieved_without_evidence": "Step raggiunti senza testo di verifica",
    "deadline_outside_plan": "Termini fuori dagli anni del piano",
    "overdue_without_verification": "Step scaduti senza verifica",
    "completion_after_verification": "Data di completamento successiva alla verifica",
    "date_before_plan": "Date precedenti l'inizio del piano",
    "duplicate_code": "Codici duplicati",
    "unknown_status": "Stati non riconosciuti",
}


def weight_formats(pm: "PlanMetrics") -> list[str]:
    """The weight formats recognised as the ente's own (spec revision 3: weights in points), for the quality page
    and the import report: «Pesi degli obiettivi in punti su 50 …». Not a warning."""
    out = []
    o = pm.objectives
    total = F.points_total(o["weight"], o["weight_raw"] if "weight_raw" in o else None)
    if total:
        out.append(f"Pesi degli obiettivi in punti su {total}: è il formato dell'ente, riconosciuto; ogni peso vale "
                   f"la sua quota del totale (p. es. 10 punti su {total} = {fmt_pct(1000 / total)}).")
    codes = [str(c) for c, g in pm.steps.groupby("objective_code", sort=False)
             if F.points_total(g["weight"], g["weight_raw"] if "weight_raw" in g else None)]
    if codes:
        out.append(f"Pesi degli step in punti (formato dell'ente, riconosciuto) negli obiettivi {', '.join(codes)}.")
    return out


def _item(check: str, items: list[str], message: str, rows: pd.DataFrame | None = None) -> dict:
    return {"rule": check, "title": CHECKS[check], "items": items, "message": message,
            "rows": rows if rows is not None else pd.DataFrame()}


def _n(count: int, singular: str, many: str) -> str:
    """``1 step scaduto`` / ``3 step scaduti`` (:func:`metrics.fmt.plural`)."""
    return plural(count, singular, many)


def _codes(df: pd.DataFrame, col: str = "code") -> list[str]:
    return list(dict.fromkeys(str(c) for c in df[col]))


def quality_checks(pm: Any, t: dict[str, pd.DataFrame], settings: QualitySettings) -> list[dict]:
    """All checks that find something, in the order of :data:`CHECKS`. ``pm`` is the
    :class:`metrics.engine.PlanMetrics` being computed (not imported: the engine imports this module)."""
    ctx = pm.ctx
    steps, objectives = pm.steps, pm.objectives
    out: list[dict] = []
    tol = settings.weight_sum_tolerance

    # weights_sum — step weights per objective, objective weights of the plan
    bad, notes = [], []
    given = objectives["weight"].dropna()
    raw_o = objectives["weight_raw"] if "weight_raw" in objectives else None
    if len(given) and abs(given.sum() - 100.0) > tol and F.points_total(objectives["weight"], raw_o) is None:
        bad.append("piano")
        notes.append(f"pesi degli obiettivi: somma {fmt_pct(given.sum())}")
    for code, g in steps.groupby("objective_code", sort=False):
        w = g["weight"].dropna()
        raw_s = g["weight_raw"] if "weight_raw" in g else None
        if len(w) and abs(w.sum() - 100.0) > tol and F.points_total(g["weight"], raw_s) is None:
            bad.append(str(code))
            notes.append(f"obiettivo {code}: somma pesi step {fmt_pct(w.sum())}")
    if bad:
        out.append(_item("weights_sum", bad, "; ".join(notes) + " (normalizzati comunque sulla somma)."))

    # year_weights_mismatch — printed "peso step/<anno>" against rule 1 for that year
    printed = steps[steps["printed_year_weight"].notna()]
    if len(printed):
        mism_rows = []
        for year, g in printed.groupby("printed_year"):
            year = int(year)
            all_s = steps
            due = pd.to_datetime(all_s["deadline"]).dt.year == year
            yw = F.year_weights(all_s["weight_eff"], all_s["objective_code"], due, all_s["neutralized"])
            calc = yw.loc[g.index]
            diff = (calc - g["printed_year_weight"]).abs() > settings.year_weight_tolerance + 0.005
            for i in g.index[diff]:
                mism_rows.append({"objective_code": steps.at[i, "objective_code"], "code": steps.at[i, "code"],
                                  "anno": year, "stampato": steps.at[i, "printed_year_weight"], "regola_1": calc[i]})
        if mism_rows:
            df = pd.DataFrame(mism_rows)
            objs = _codes(df, "objective_code")
            detail = "; ".join(
                f"{o}: stampati {' / '.join(fmt_pct(x) for x in df.loc[df.objective_code == o, 'stampato'])}"
                f" (somma {fmt_pct(df.loc[df.objective_code == o, 'stampato'].sum())}), regola 1 "
                f"{' / '.join(fmt_pct(x) for x in df.loc[df.objective_code == o, 'regola_1'])}" for o in objs)
            out.append(_item("year_weights_mismatch", objs, f"Peso step/anno stampato diverso dalla regola 1 — {detail}.", df))

    # duplicate_verification_text — same non-trivial text on steps of different objectives
    v = t["all_verifications"]
    if len(v):
        vv = v[v["note"].notna()].copy()
        vv["key"] = vv["note"].map(lambda s: re.sub(r"\W+", " ", strip_accents(s).lower()).strip())
        vv = vv[vv["key"].str.len() >= settings.min_duplicate_text_len]
        multi = vv.groupby("key")["objective_code"].nunique()
        dup = vv[vv["key"].isin(multi[multi > 1].index)]
        if len(dup):
            items = _codes(dup, "step_code")
            out.append(_item("duplicate_verification_text", items,
                             f"{dup['key'].nunique()} testi di verifica identici compaiono su step di obiettivi diversi "
                             f"(copia-incolla?): step {', '.join(items)}.",
                             dup[["objective_code", "step_code", "verified_on", "note"]]))

    # achieved_without_evidence
    ach = steps[(steps["status"] == STATUS_ACHIEVED) & steps["note"].isna()]
    if len(ach):
        out.append(_item("achieved_without_evidence", _codes(ach),
                         f"{_n(len(ach), 'step risulta raggiunto', 'step risultano raggiunti')} senza testo di verifica che lo documenti.",
                         ach[["objective_code", "code", "status_raw", "verified_on"]]))

    # deadline_outside_plan
    years = pd.to_datetime(steps["deadline"]).dt.year
    outside = steps[years.notna() & ((years < ctx.anno_inizio) | (years > ctx.anno_fine))]
    if len(outside):
        out.append(_item("deadline_outside_plan", _codes(outside),
                         f"{_n(len(outside), 'termine', 'termini')} fuori dagli anni del piano ({ctx.anno_inizio}–{ctx.anno_fine}).",
                         outside[["objective_code", "code", "deadline", "deadline_raw"]]))

    # overdue_without_verification
    ov = steps[(steps["timing"] == "scaduto") & (steps["status"] == STATUS_UNVERIFIED)]
    if len(ov):
        out.append(_item("overdue_without_verification", _codes(ov),
                         f"{_n(len(ov), 'step scaduto', 'step scaduti')} al {fmt_date(ctx.as_of)} senza alcuna verifica.",
                         ov[["objective_code", "code", "deadline", "overdue_days"]]))

    # completion_after_verification
    if len(v):
        ca = v[v["completed_on"].notna() & v["verified_on"].notna()]
        ca = ca[pd.to_datetime(ca["completed_on"]) > pd.to_datetime(ca["verified_on"])]
        if len(ca):
            out.append(_item("completion_after_verification", _codes(ca, "step_code"),
                             f"{_n(len(ca), 'verifica riporta', 'verifiche riportano')} una data di completamento successiva alla data della "
                             "verifica stessa (lo slittamento usa comunque la data registrata).",
                             ca[["objective_code", "step_code", "verified_on", "completed_on"]]))

    # date_before_plan
    if len(v):
        start = pd.Timestamp(dt.date(ctx.anno_inizio, 1, 1))
        before = v[(pd.to_datetime(v["verified_on"]) < start) | (pd.to_datetime(v["completed_on"]) < start)]
        if len(before):
            out.append(_item("date_before_plan", _codes(before, "step_code"),
                             f"{_n(len(before), 'data di verifica o completamento precedente', 'date di verifica o completamento precedenti')} l'inizio del piano "
                             f"(01/01/{ctx.anno_inizio}).",
                             before[["objective_code", "step_code", "verified_on", "completed_on"]]))

    # duplicate_code — sheets whose duplicates do not break references (core sheets refuse them at import)
    dups = []
    ind = t["indicators"]
    if len(ind):
        d = ind[ind["code"].notna() & ind.duplicated(["objective_code", "code"], keep=False)]
        dups += [f"Indicatori {c}" for c in dict.fromkeys(d["code"])]
    st = t["staff"]
    if len(st):
        d = st[st.duplicated(["objective_code", "name"], keep=False)]
        dups += [f"Personale {o}/{n}" for o, n in dict.fromkeys(zip(d["objective_code"], d["name"]))]
    if dups:
        out.append(_item("duplicate_code", dups, f"Codici ripetuti nello stesso foglio: {', '.join(dups)}."))

    # unknown_status
    unk = v[v["status"] == STATUS_UNKNOWN] if len(v) else v
    if len(unk):
        out.append(_item("unknown_status", _codes(unk, "step_code"),
                         f"{_n(len(unk), 'testo di «Stato» non riconosciuto', 'testi di «Stato» non riconosciuti')}: "
                         f"{'conta' if len(unk) == 1 else 'contano'} con il «Raggiungimento» indicato "
                         f"(o 0%): {', '.join(dict.fromkeys('«' + s + '»' if isinstance(s, str) else '(vuoto)' for s in unk['status_raw']))}.",
                         unk[["objective_code", "step_code", "verified_on", "status_raw"]]))
    return out
