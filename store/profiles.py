"""The measuring-system profiles (the profile store) stored per ente and year (table ``measurement_profiles``), versioned.

Saving inserts a new version (never an update) and records a ``profilo`` audit event in the same
transaction: ``profilo`` is a data-changing action, so the data version moves and every cache
(metrics, derived figures, catalogue queries) is refreshed. No Streamlit here; the caller passes who
saves (the role check is the caller's).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from domain.profile import PREDEFINITO, PRESETS, Profile, preset
from store import Database, audit

SOURCES = ("pagina", "foglio", "riga di comando")


@dataclass(frozen=True)
class StoredProfile:
    profile: Profile
    version: int            # 0 = nothing stored: the Predefinito preset
    saved_at: dt.datetime | None = None
    saved_by: str | None = None
    source: str | None = None
    act: str | None = None  # the approving act (delibera), when recorded

    @property
    def label(self) -> str:
        """«Fasce 0/50/75/100, versione 2» (or «Predefinito, non personalizzato»)."""
        return profile_label(self.profile, self.version, self.source == OVERRIDE)


#: ``source`` of a profile chosen for one report (CLI ``--profile``, the page's comparison): not stored.
OVERRIDE = "scelto per questo rapporto"


def profile_label(profile: Profile, version: int, override: bool = False) -> str:
    if override:
        return f"{profile.name} ({OVERRIDE})"
    return f"{profile.name}, versione {version}" if version else f"{profile.name} (nessun profilo salvato)"


def _latest_sql() -> str:
    return ("SELECT version, params_json, saved_at, saved_by, source, act FROM measurement_profiles "
            "WHERE ente = ? AND year = ? ORDER BY version DESC LIMIT 1")


def current_profile(db: Database, ente: str, year: int) -> StoredProfile:
    """The latest stored profile of (ente, year), else Predefinito (version 0). Memoised per data version."""
    def query() -> StoredProfile:
        rows = db.rows(_latest_sql(), [ente, int(year)])
        if not rows:
            return StoredProfile(PREDEFINITO, 0)
        v, js, at, by, src, act = rows[0]
        return StoredProfile(Profile.from_json(js), int(v), at, by, src, act)

    return db.memo(("profile", ente, int(year)), query)


def profile_version(db: Database, ente: str, year: int, version: int) -> StoredProfile:
    """A given stored version (figures computed earlier name it)."""
    rows = db.rows("SELECT version, params_json, saved_at, saved_by, source, act FROM measurement_profiles "
                   "WHERE ente = ? AND year = ? AND version = ?", [ente, int(year), int(version)])
    if not rows:
        raise LookupError(f"profilo versione {version} di {ente} {year} inesistente")
    v, js, at, by, src, act = rows[0]
    return StoredProfile(Profile.from_json(js), int(v), at, by, src, act)


def profile_history(db: Database, ente: str, year: int) -> pd.DataFrame:
    """Every stored version of (ente, year), newest first."""
    return db.df_cached("SELECT version, name, source, saved_at, saved_by, act FROM measurement_profiles "
                        "WHERE ente = ? AND year = ? ORDER BY version DESC", [ente, int(year)])


def save_profile(target: Any, ente: str, year: int, profile: Profile, user: str, source: str = "pagina",
                 plan_id: int | None = None, act: str | None = None) -> int:
    """Store ``profile`` as the new version for (ente, year) and record the ``profilo`` audit event;
    ``act`` is the approving act (delibera), optional, recorded with the version and in the audit detail.

    ``target`` is a :class:`store.Database` (own transaction) or a cursor inside the caller's
    transaction (the importer's, for the workbook sheet). Returns the new version."""
    if source not in SOURCES:
        raise ValueError(f"origine del profilo sconosciuta: {source!r}")
    act = " ".join(str(act).split())[:300] or None if act else None
    if isinstance(target, Database):
        with target.transaction() as cur:
            return _save(cur, ente, year, profile, user, source, plan_id, act)
    return _save(target, ente, year, profile, user, source, plan_id, act)


def _save(cur: Any, ente: str, year: int, profile: Profile, user: str, source: str, plan_id: int | None,
          act: str | None = None) -> int:
    version = int(cur.execute("SELECT coalesce(max(version), 0) + 1 FROM measurement_profiles WHERE ente = ? "
                              "AND year = ?", [ente, int(year)]).fetchone()[0])
    cur.execute("INSERT INTO measurement_profiles (profile_id, ente, year, version, name, params_json, source, "
                "saved_at, saved_by, act) VALUES (nextval('seq_profile'), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ente, int(year), version, profile.name, profile.to_json(), source,
                 dt.datetime.now().replace(microsecond=0), user or "?", act])
    audit.record(cur, user, "profilo", plan_id=plan_id,
                 detail=f"{ente} {year}: «{profile.name}» versione {version} ({source})"
                 + (f", approvato con {act}" if act else ""))
    return version


def resolve(db: Database, ente: str, year: int, override: Profile | str | None = None) -> StoredProfile:
    """The profile to compute with: an override (a preset key like ``fasce``, or a Profile: version 0,
    not stored) or the stored one for (ente, year)."""
    if override is None:
        return current_profile(db, ente, year)
    p = preset(override) if isinstance(override, str) else override
    return StoredProfile(p, 0, source=OVERRIDE)


__all__ = ["PRESETS", "SOURCES", "StoredProfile", "current_profile", "profile_history", "profile_label",
           "profile_version", "resolve", "save_profile"]
