"""The optional sheet «Scostamenti» (workbook spec revision 3, issue 16): the variance register written in the
workbook. Columns ``Obiettivo`` (required), ``Step``, ``Indicatore``, ``Causa`` (esogena / endogena /
indicatore), ``Imputabile`` (sì / no / in parte), ``Descrizione``, ``Evidenze``, ``Trattamento`` (nessuno /
neutralizzazione / ripesatura), ``Nuovo peso``, ``Atto`` (empty = not decided: the treatment has no effect on the
figures until an act is recorded).

Validated with the rest of the workbook (a bad value or a reference to an objective or step that does not exist is
an error naming sheet, row and column: nothing is imported); stored by the importer in the same transaction as the
plan, as rows of the register of the plan's year (the year of Data monitoraggio, else the first year of the plan),
only where they differ from the register's current row, and only while that year is «in lavorazione».
"""
from __future__ import annotations

import re
from typing import Any

from loaders.parsing import cell_text, norm_key, parse_number_it
from loaders.problems import ProblemList

SHEET_NAME = "Scostamenti"
SHEET_KEY = norm_key(SHEET_NAME)
COLUMNS = {"obiettivo": "Obiettivo", "step": "Step", "indicatore": "Indicatore", "causa": "Causa",
           "imputabile": "Imputabile", "descrizione": "Descrizione", "evidenze": "Evidenze",
           "trattamento": "Trattamento", "nuovopeso": "Nuovo peso", "atto": "Atto"}
CAUSES = {"esogena": "esogena", "endogena": "endogena", "indicatore": "indicatore",
          "indicatoreotargetnonadeguato": "indicatore"}
IMPUTABILE = {"si": "sì", "no": "no", "inparte": "in parte"}
TREATMENTS = {"nessuno": "nessuno", "": "nessuno", "neutralizzazione": "neutralizzazione", "ripesatura": "ripesatura"}
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse(raw: dict[str, list[list]], problems: ProblemList, objectives: set[str],
          steps: set[tuple[str, str]]) -> list[dict] | None:
    """The sheet's rows as register entries (``level``, ``objective_code``, ``step_code``, ``indicator`` and the
    register's fields), or None when the workbook has no such sheet. Errors go to ``problems``."""
    name = next((n for n in raw if norm_key(n) == SHEET_KEY), None)
    if name is None:
        return None
    rows = raw[name]
    header_at = next((i for i, r in enumerate(rows[:15]) if any(norm_key(c) == "obiettivo" for c in r if c)), None)
    if header_at is None:
        problems.error("foglio «Scostamenti» senza la colonna «Obiettivo» nell'intestazione", name, 1)
        return []
    cols = {norm_key(c): j for j, c in enumerate(rows[header_at]) if c is not None and norm_key(c) in COLUMNS}
    out = []
    for i, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        def get(key: str) -> str | None:
            j = cols.get(key)
            return cell_text(r[j]) if j is not None and j < len(r) else None

        obj = get("obiettivo")
        if obj is None and not any(get(k) for k in COLUMNS):
            continue
        if obj is None or obj not in objectives:
            problems.error(f"obiettivo «{obj or ''}» inesistente nel foglio Obiettivi", name, i, "Obiettivo", obj)
            continue
        step, ind = get("step") or "", get("indicatore") or ""
        if step and (obj, step) not in steps:
            problems.error(f"step «{step}» dell'obiettivo {obj} inesistente nel foglio Step", name, i, "Step", step)
            continue
        entry: dict[str, Any] = {"level": "indicatore" if ind else "step" if step else "obiettivo",
                                 "objective_code": obj, "step_code": step, "indicator": ind}
        bad = False
        for key, table, label in (("causa", CAUSES, "Causa"), ("imputabile", IMPUTABILE, "Imputabile"),
                                  ("trattamento", TREATMENTS, "Trattamento")):
            text = get(key)
            value = table.get(norm_key(text or ""))
            if text is not None and value is None:
                allowed = {"causa": "esogena, endogena o indicatore", "imputabile": "sì, no o in parte",
                           "trattamento": "nessuno, neutralizzazione o ripesatura"}[key]
                problems.error(f"«{label}» non valida: usare {allowed}", name, i, label, text)
                bad = True
            entry[{"causa": "cause", "imputabile": "imputabile", "trattamento": "treatment"}[key]] = value
        entry["treatment"] = entry["treatment"] or "nessuno"
        weight_text = get("nuovopeso")
        weight = parse_number_it(weight_text.rstrip("%").strip()) if weight_text else None
        if weight_text and (weight is None or weight < 0):
            problems.error("«Nuovo peso» non valido: un numero non negativo", name, i, "Nuovo peso", weight_text)
            bad = True
        if entry["treatment"] == "ripesatura" and weight is None and not bad:
            problems.error("ripesatura senza «Nuovo peso»", name, i, "Nuovo peso")
            bad = True
        if bad:
            continue
        act = get("atto")
        entry.update(new_weight=weight, description=get("descrizione"), evidence=get("evidenze"),
                     decision_act=act, decision_organ="organo di indirizzo" if act else None,
                     decision_date=_act_date(act), row=i)
        out.append(entry)
    return out


def _act_date(act: str | None):
    import datetime as dt

    m = _DATE.search(act or "")
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def register_year(meta: dict) -> int:
    dm = meta.get("data_monitoraggio")
    if dm is not None and meta["anno_inizio"] <= dm.year <= meta["anno_fine"]:
        return int(dm.year)
    return int(meta["anno_inizio"])


def store(cur: Any, entries: list[dict] | None, plan_id: int, meta: dict, user: str) -> int:
    """Inside the import's transaction: the sheet's rows that change the register; returns how many."""
    if not entries:
        return 0
    from store import audit
    from store import closing as cs

    year = register_year(meta)
    state = cur.execute("SELECT state FROM closing_events WHERE plan_id = ? AND year = ? ORDER BY event_id DESC "
                        "LIMIT 1", [plan_id, year]).fetchone()
    if state is not None and state[0] != "in lavorazione":
        audit.record(cur, user, "scostamento", outcome=audit.REFUSED, plan_id=plan_id,
                     detail=f"foglio «Scostamenti» ignorato: l'anno {year} è «{state[0]}»")
        return 0
    current = cs.variance_entries(_Reader(cur), plan_id, year)
    have = {tuple(r[k] for k in cs.KEY): r for r in current.to_dict("records")}
    n = 0
    for e in entries:
        key = tuple(e[k] for k in cs.KEY)
        values = {f: e.get(f) for f in cs.VARIANCE_FIELDS}
        values["proposed_by"] = user
        values["decided_by"] = user if e.get("decision_act") else None
        old = have.get(key)
        if old is not None and all(_same(old.get(f), values[f]) for f in cs.VARIANCE_FIELDS
                                   if f not in ("proposed_by", "decided_by")):
            continue
        cs.insert_variance(cur, plan_id, year, key, values, "foglio", user)
        n += 1
    if n:
        audit.record(cur, user, "scostamento", plan_id=plan_id,
                     detail=f"dal foglio «Scostamenti»: {n} righe del registro, anno {year}")
    return n


def _same(a, b) -> bool:
    import pandas as pd

    na, nb = a is None or (not isinstance(a, str) and pd.isna(a)), b is None or (not isinstance(b, str) and pd.isna(b))
    if na or nb:
        return na and nb
    if hasattr(a, "date") and not isinstance(a, str):
        a = a.date() if callable(a.date) else a
    return a == b or str(a) == str(b)


class _Reader:
    """A cursor seen as a :class:`store.Database` for the read helpers (``df``)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def df(self, sql: str, params=None):
        return self.cur.execute(sql, params or []).df()


INSTRUCTIONS = [
    "",
    "Foglio facoltativo «Scostamenti» (registro degli scostamenti della verifica finale; colonne Obiettivo, Step, "
    "Indicatore, Causa, Imputabile, Descrizione, Evidenze, Trattamento, Nuovo peso, Atto): una riga per obiettivo, "
    "step o indicatore sotto il 100%, in ritardo o scaduto.",
    "   Obiettivo (obbligatoria): il codice dell'obiettivo; Step: il codice dello step (riga di uno step); Indicatore: "
    "il codice o il nome dell'indicatore (riga di un indicatore). Solo l'Obiettivo = riga dell'obiettivo.",
    "   Causa: esogena, endogena o indicatore (indicatore o target non adeguato; Linee guida DFP 2/2017). Imputabile: "
    "sì, no o in parte. Descrizione ed Evidenze: testo o collegamento.",
    "   Trattamento: nessuno, neutralizzazione o ripesatura (con il Nuovo peso). Atto: l'atto dell'organo di "
    "indirizzo che lo decide (es. «Delibera CdA n. 5 del 10/03/2024»); vuoto = non ancora deciso: il trattamento "
    "non cambia i valori finché l'atto non è registrato. I valori «lordi» restano quelli misurati, i «netti» "
    "tengono conto dei trattamenti decisi.",
    "   Le righe vanno nel registro dell'anno della Data monitoraggio (o del primo anno del piano), solo se l'anno "
    "è ancora «in lavorazione» (non approvato né validato).",
]
