"""What an upload would change: a validated workbook against the current version of
the *same* plan (same ente — :mod:`store.enti` — and Titolo).

:func:`preview_changes` is pure (reads DuckDB, writes nothing) and returns plain
DataFrames the upload page shows before the user confirms the import.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

import pandas as pd

from loaders.validate import ParsedPlan
from store import Database, enti

ADDED, REMOVED, CHANGED = "aggiunto", "rimosso", "modificato"
CHANGE_ORDER = {ADDED: 0, CHANGED: 1, REMOVED: 2}

# column -> Italian field label (the header of the workbook)
OBJECTIVE_FIELDS = {
    "title": "Titolo", "type": "Tipo", "weight": "Peso", "strategic": "Obiettivi strategici",
    "year_added": "Anno inserimento", "public_value": "Dimensione valore pubblico", "stakeholders": "Stakeholder",
    "responsible": "Responsabile", "missione": "Missione", "programma": "Programma", "description": "Descrizione",
    "notes": "Note",
}
STEP_FIELDS = {
    "description": "Descrizione", "start_date": "Inizio", "deadline": "Termine", "revised_deadline": "Nuovo termine",
    "kpi": "KPI", "weight": "Peso", "responsible": "Responsabile", "notes": "Note",
}
VERIFICATION_FIELDS = {
    "status_raw": "Stato", "achievement": "Raggiungimento", "completed_on": "Data completamento",
    "new_deadline": "Nuovo termine", "note": "Verifica", "not_attributable": "Causa non imputabile",
}
COUNTED = {  # table -> Italian label, in display order
    "objectives": "Obiettivi", "steps": "Step", "verifications": "Verifiche", "indicators": "Indicatori",
    "staff": "Personale", "areas": "Aree", "strategic_objectives": "Obiettivi strategici",
}

OBJECTIVE_KEYS, STEP_KEYS = ["code"], ["objective_code", "code"]
VERIFICATION_KEYS = ["objective_code", "step_code", "verified_on"]


# ----------------------------------------------------------------------------- values
def _norm(v: Any) -> Any:
    """One comparable form for a value read from the workbook or from DuckDB."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, bool):
        return v
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        return _norm(v.item())
    if isinstance(v, (int, float)):
        return round(float(v), 9)
    if isinstance(v, str):
        return v.strip() or None
    if isinstance(v, (list, tuple, set, frozenset)):
        return tuple(sorted(str(x) for x in v))
    return v


def _show(v: Any, quote: bool = True) -> str:
    """A value in a change description (Italian formats; text in «» unless ``quote`` is false)."""
    v = _norm(v)
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "sì" if v else "no"
    if isinstance(v, dt.date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float):
        return (f"{v:.0f}" if v.is_integer() else f"{v:.2f}".rstrip("0")).replace(".", ",")
    if isinstance(v, tuple):
        return ", ".join(v) or "—"
    s = str(v).replace("\n", " ")
    s = s if len(s) <= 60 else s[:59] + "…"
    return f"«{s}»" if quote else s


def _weight_text(rec: dict) -> Any:
    raw = rec.get("weight_raw")
    return raw if _norm(raw) is not None else rec.get("weight")


def _deadline_key(rec: dict) -> Any:
    """A step's Termine: the date, or the text when the step is continuativo."""
    return ("continuativo", _norm(rec.get("deadline_raw"))) if rec.get("continuous") else _norm(rec.get("deadline"))


def _deadline_text(rec: dict) -> Any:
    if rec.get("continuous"):
        return f"{rec.get('deadline_raw') or ''} (continuativo)".strip()
    return rec.get("deadline")


# special comparisons: column -> (comparable value, displayed value)
_COMPARE: dict[str, tuple[Callable[[dict], Any], Callable[[dict], Any]]] = {
    "weight": (lambda r: _norm(r.get("weight")), _weight_text),
    "deadline": (_deadline_key, _deadline_text),
}


# ----------------------------------------------------------------------------- diff
def _records(df: pd.DataFrame | None, keys: list[str]) -> dict[tuple, dict]:
    """Rows by key; repeated keys are told apart by their order of appearance."""
    if df is None or df.empty:
        return {}
    out: dict[tuple, dict] = {}
    seen: dict[tuple, int] = {}
    for rec in df.to_dict("records"):
        k = tuple(_norm(rec.get(c)) for c in keys)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[k + (n,)] = rec
    return out


def _diff(old: pd.DataFrame | None, new: pd.DataFrame | None, keys: list[str], label_col: str,
          fields: dict[str, str]) -> pd.DataFrame:
    """Rows ``change, *keys, label_col, fields, details, changes``: added, changed (which fields, old → new;
    ``changes`` = list of ``(field, old, new)`` texts), removed."""
    columns = ["change", *keys, label_col, "fields", "details", "changes"]
    before, after = _records(old, keys), _records(new, keys)
    rows = []
    for k, rec in after.items():
        prev = before.get(k)
        if prev is None:
            rows.append([ADDED, *k[:-1], rec.get(label_col), "", "", []])
            continue
        changes = []
        for col, label in fields.items():
            special = col in _COMPARE
            value, shown = _COMPARE.get(col, (lambda r, c=col: _norm(r.get(c)), lambda r, c=col: r.get(c)))
            if value(prev) != value(rec):
                changes.append((label, _show(shown(prev), not special), _show(shown(rec), not special)))
        if changes:
            rows.append([CHANGED, *k[:-1], rec.get(label_col), ", ".join(c[0] for c in changes),
                         " · ".join(f"{f}: {a} → {b}" for f, a, b in changes), changes])
    for k, rec in before.items():
        if k not in after:
            rows.append([REMOVED, *k[:-1], rec.get(label_col), "", "", []])
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    out["_o"] = out["change"].map(CHANGE_ORDER)
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def _with_links(objectives: pd.DataFrame | None, links: pd.DataFrame | None) -> pd.DataFrame | None:
    """Objectives with the tuple of their strategic codes in column ``strategic``."""
    if objectives is None:
        return None
    out = objectives.copy()
    by_obj: dict[str, list[str]] = {}
    if links is not None and not links.empty:
        for o, s in zip(links["objective_code"], links["strategic_code"]):
            by_obj.setdefault(str(o), []).append(str(s))
    out["strategic"] = [tuple(sorted(by_obj.get(str(c), []))) for c in out["code"]]
    return out


def current_version(db: Database, ente: str | None, titolo: str | None, codice_ipa: str | None = None,
                    same_as: int | None = None) -> dict | None:
    """The plan with this ente (matched as the importer does, or ``same_as`` chosen on the upload page)
    + Titolo and its current version, or None for a new plan."""
    if not ente or not titolo:
        return None
    with db.cursor() as cur:
        if same_as is not None:
            ente_id = enti.resolve(cur, same_as)[0]
        else:
            match = enti.find_ente(cur, ente, codice_ipa)
            if match is None:
                return None
            ente_id = match.ente_id
        plan_id = enti.find_plan(cur, ente_id, titolo)
    if plan_id is None:
        return None
    row = next(iter(db.rows(
        "SELECT p.plan_id, p.current_import_id, i.version, i.file_name, i.imported_at, i.imported_by "
        "FROM plans p LEFT JOIN imports i ON i.import_id = p.current_import_id WHERE p.plan_id = ?",
        [plan_id])), None)
    if row is None or row[1] is None:
        return None
    keys = ("plan_id", "import_id", "version", "file_name", "imported_at", "imported_by")
    return dict(zip(keys, row))


def ente_candidates(db: Database, meta: dict) -> list[dict]:
    """When the file's ente is unknown but looks like known ones (same acronym, one name inside the
    other): ``[{"ente_id", "nome", "reason"}]`` for the question «È lo stesso ente di «…»?». Empty when
    the ente is recognised (Codice IPA, name, alias) or nothing looks like it."""
    return enti.similar_enti(db, meta.get("ente"), meta.get("codice_ipa")) if meta.get("ente") else []


def preview_changes(db: Database, parsed: ParsedPlan, same_as: int | None = None) -> dict[str, pd.DataFrame]:
    """Compare a validated workbook with the current version of the same plan.

    Returns DataFrames:

    * ``plan`` — one row: ``ente, titolo, is_new, plan_id, import_id, version`` (version = the
      current one, which the import would follow with ``version + 1``);
    * ``objectives`` — ``change`` (aggiunto / modificato / rimosso), ``code``, ``title``,
      ``fields`` (Italian labels of the changed fields), ``details`` (old → new values, one text),
      ``changes`` (the same as a list of ``(field, old, new)``);
    * ``steps`` — the same with ``objective_code, code, description``;
    * ``verifications`` — the same keyed by ``objective_code, step_code, verified_on`` with ``status_raw``;
    * ``counts`` — ``table, label, before, after`` for every kind of row.

    A new plan has empty change tables except additions, and ``is_new`` true.
    """
    meta = parsed.meta or {}
    cur = current_version(db, meta.get("ente"), meta.get("titolo"), meta.get("codice_ipa"), same_as)
    plan = pd.DataFrame([{
        "ente": meta.get("ente"), "titolo": meta.get("titolo"), "is_new": cur is None,
        "plan_id": cur and cur["plan_id"], "import_id": cur and cur["import_id"], "version": cur and cur["version"],
    }])
    old: dict[str, pd.DataFrame] = {}
    if cur is not None:
        for table in ("objectives", "objective_links", "steps", "verifications", *COUNTED):
            if table not in old:
                old[table] = db.df(f"SELECT * FROM {table} WHERE import_id = ?", [cur["import_id"]])
    new = parsed.tables
    counts = pd.DataFrame(
        [(t, label, len(old[t]) if t in old else 0, parsed.count(t)) for t, label in COUNTED.items()],
        columns=["table", "label", "before", "after"])
    if cur is None:  # a new plan: everything is an addition, nothing to compare
        return {
            "plan": plan,
            "objectives": _diff(None, new.get("objectives"), OBJECTIVE_KEYS, "title", {}),
            "steps": _diff(None, new.get("steps"), STEP_KEYS, "description", {}),
            "verifications": _diff(None, None, VERIFICATION_KEYS, "status_raw", {}),
            "counts": counts,
        }
    return {
        "plan": plan,
        "objectives": _diff(_with_links(old["objectives"], old["objective_links"]),
                            _with_links(new.get("objectives"), new.get("objective_links")),
                            OBJECTIVE_KEYS, "title", OBJECTIVE_FIELDS),
        "steps": _diff(old["steps"], new.get("steps"), STEP_KEYS, "description", STEP_FIELDS),
        "verifications": _diff(old["verifications"], new.get("verifications"), VERIFICATION_KEYS, "status_raw",
                               VERIFICATION_FIELDS),
        "counts": counts,
    }


def one_row_per_field(df: pd.DataFrame) -> pd.DataFrame:
    """A change table with one row per changed field (``field, before, after``) instead of
    ``fields, details, changes``; added and removed rows keep one row with empty fields."""
    base = [c for c in df.columns if c not in ("fields", "details", "changes")]
    rows = []
    for rec in df.to_dict("records"):
        head = [rec[c] for c in base]
        for field, before, after in rec.get("changes") or [("", "", "")]:
            rows.append(head + [field, before, after])
    return pd.DataFrame(rows, columns=base + ["field", "before", "after"])


def has_changes(preview: dict[str, pd.DataFrame]) -> bool:
    """True when the import would change anything visible (or the plan is new)."""
    if bool(preview["plan"]["is_new"].iloc[0]):
        return True
    if any(not preview[k].empty for k in ("objectives", "steps", "verifications")):
        return True
    c = preview["counts"]
    return bool((c["before"] != c["after"]).any())


__all__ = ["ADDED", "CHANGED", "REMOVED", "current_version", "has_changes", "one_row_per_field", "preview_changes"]
