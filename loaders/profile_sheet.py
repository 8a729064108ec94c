"""The optional sheet «Sistema di misurazione» (``Campo``/``Valore``): the ente's measuring-system profile
(:mod:`domain.profile`) for the plan's years. Validated with the rest of the workbook (an invalid value is an
error naming sheet, row and value: nothing is imported); stored by the importer in the same transaction as
the plan, as a new profile version for each year of the plan, only when it differs from the stored one."""
from __future__ import annotations

from typing import Any

from domain.profile import Profile, from_fields
from loaders.parsing import cell_text, norm_key
from loaders.problems import ProblemList
from store.profiles import save_profile

SHEET_KEY = norm_key("Sistema di misurazione")
SHEET_NAME = "Sistema di misurazione"


def parse(raw: dict[str, list[list]], problems: ProblemList) -> Profile | None:
    """The profile of the sheet, if the workbook has it (errors go to ``problems``)."""
    name = next((n for n in raw if norm_key(n) == SHEET_KEY), None)
    if name is None:
        return None
    pairs: list[tuple[Any, Any]] = []
    rows_of: dict[int, int] = {}
    for i, r in enumerate(raw[name], start=1):
        campo = cell_text(r[0]) if len(r) > 0 else None
        valore = r[1] if len(r) > 1 else None
        if campo is None or norm_key(campo) in ("campo", "parametro"):
            continue
        if isinstance(valore, str) or valore is None:
            valore = cell_text(valore)
        rows_of[len(pairs)] = i
        pairs.append((campo, valore))
    if not pairs:
        problems.warning("foglio «Sistema di misurazione» vuoto: si usa il profilo salvato (o Predefinito)", name)
        return None
    profile, errors = from_fields(pairs)
    for e in errors:
        row = next((rows_of[j] for j, (c, _) in enumerate(pairs) if str(c) in e), None)
        problems.error(f"sistema di misurazione: {e}", name, row, "Valore" if row else None)
    return profile


def store(cur: Any, profile: Profile | None, ente: str, years: range, user: str, plan_id: int) -> list[int]:
    """Inside the import's transaction: a new profile version for each year where it changes something."""
    if profile is None:
        return []
    import json

    out = []
    for y in years:
        row = cur.execute("SELECT params_json, name FROM measurement_profiles WHERE ente = ? AND year = ? "
                          "ORDER BY version DESC LIMIT 1", [ente, y]).fetchone()
        if row and Profile.from_dict(json.loads(row[0])).same_params(profile) and row[1] == profile.name:
            continue
        out.append(save_profile(cur, ente, y, profile, user, "foglio", plan_id=plan_id))
    return out
