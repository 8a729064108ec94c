"""Reads one plan version from DuckDB and applies the rules of :mod:`metrics.formulas`.

:func:`plan_metrics` is the one entry point the pages, the CLI and the exports use.
Its result is cached per (database file, data version, version of the plan, year,
as-of date, measuring-system profile and its version): an import, a restore or a profile change
moves the data version, so a cached result is never stale. Treat the returned frames as read-only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from domain.clock import today
from domain.codes import natural_sorted
from domain.profile import NEUTRALIZED_ACHIEVED, PREDEFINITO, Profile
from domain.status import (OBJ_NEUTRALIZED, OBJ_NOT_EVALUABLE, OBJ_NOT_MONITORED, OBJ_WAITING_VALUES,
                           STATUS_ACHIEVED, STATUS_IN_PROGRESS, STATUS_NEUTRALIZED, STATUS_UNVERIFIED)
from domain.text import normalize_status
from metrics import formulas as F
from metrics.fmt import fmt_date, fmt_pct
from metrics.netto import net_figures
from metrics.quality import quality_checks
from metrics.settings import QUALITY, Settings
from store import Database, get_db
from store import closing as closing_store
from store.profiles import StoredProfile, profile_version, resolve


class PlanNotFound(LookupError):
    """No plan (or several) match the selection; the message is Italian."""


@dataclass(frozen=True)
class Context:
    plan_id: int
    import_id: int
    version: int
    ente: str
    titolo: str
    anno_inizio: int
    anno_fine: int
    data_monitoraggio: dt.date | None
    year: int
    as_of: dt.date


@dataclass
class PlanMetrics:
    ctx: Context
    objectives: pd.DataFrame
    steps: pd.DataFrame
    strategic: pd.DataFrame
    areas: pd.DataFrame
    links: pd.DataFrame
    indicators: pd.DataFrame
    staff: pd.DataFrame
    people: pd.DataFrame
    achievement: float | None
    slippage: dict
    counts: dict
    quality: list[dict] = field(default_factory=list)
    verifications: pd.DataFrame = field(default_factory=pd.DataFrame)   # the version's verifications ≤ as-of
    profile: Profile = field(default_factory=Profile)
    profile_version: int = 0                 # 0 = Predefinito, nothing stored (or an override)
    profile_label: str = ""                  # «Fasce 0/50/75/100, versione 2»
    score: float | None = None               # rule 9, plan
    forecast: dict | None = None             # rule 8: low, expected, high, method (None at/after year end)
    net: dict | None = None                  # issue 16: lordo / netto, metrics.variances.net_figures
    validated: dict | None = None            # issue 16: {date, by, sha256} when these are the validated figures
    adherence: float | None = None           # rule 10: Rispetto del cronoprogramma of the plan
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def year_over(self) -> bool:
        """The as-of date is at or after the end of the year: everything is due (rule 10)."""
        return self.ctx.as_of >= dt.date(self.ctx.year, 12, 31)

    def headline(self) -> dict:
        """The plan's headline figure (rule 10), for pages and the deck: before the year end the
        schedule adherence («cronoprogramma»), at or after it the year's achievement («avanzamento»).

        Returns ``{"value": float | None, "band": "verde"|"giallo"|"rosso"|"n.d.", "basis": "cronoprogramma"
        | "avanzamento", "label": Italian label, "progress": the year's achievement (rule 2),
        "adherence": rule 10 value, "forecast": rule 8 dict or None}``."""
        interim = not self.year_over
        value = self.adherence if interim else self.achievement
        return {"value": value, "band": F.band(value, self.profile),
                "basis": "cronoprogramma" if interim else "avanzamento",
                "label": "Rispetto del cronoprogramma" if interim else "Raggiungimento del piano",
                "progress": self.achievement, "adherence": self.adherence, "forecast": self.forecast}

    def derived(self, fn, *args, **inputs):
        """``fn(*args, **inputs)`` computed once per PlanMetrics (itself cached per data version):
        figures and roll-ups that pages would otherwise rebuild on every rerun.

        The cache key is ``fn`` and ``args``: hashable values, or frames of this PlanMetrics (a frame
        built by the caller raises TypeError). ``inputs`` are passed to ``fn`` but are not part of the
        key: only for values the ``args`` fully determine. ``fn`` must be a module-level function:
        lambdas and nested functions are refused, because what they capture is not in the key."""
        qualname = getattr(fn, "__qualname__", repr(fn))
        if "<lambda>" in qualname or "<locals>" in qualname:
            raise TypeError(f"derived() vuole una funzione di modulo, non {qualname}")
        frames = {id(v): k for k, v in vars(self).items() if isinstance(v, pd.DataFrame)}
        code = getattr(fn, "__code__", None)
        key = (getattr(fn, "__module__", None), qualname, code and code.co_filename,
               tuple(("self",) if a is self else ("frame", frames[id(a)]) if isinstance(a, pd.DataFrame)
                     and id(a) in frames else a for a in args))
        hash(key)
        if key not in self._derived:
            self._derived[key] = fn(*args, **inputs)
        return self._derived[key]


# ----------------------------------------------------------------------------- plans
def list_plans(db: Database) -> pd.DataFrame:
    """Plans with their current version: one row per plan."""
    return db.df_cached("""
        SELECT p.plan_id, p.ente, p.titolo, p.current_import_id AS import_id, i.version, i.anno_inizio, i.anno_fine,
               i.data_monitoraggio, i.imported_at, i.n_objectives, i.n_steps, i.n_verifications
        FROM plans p JOIN imports i ON i.import_id = p.current_import_id
        ORDER BY p.ente, p.titolo""")


def same_ente_plans(db: Database, plan_id: int) -> pd.DataFrame:
    """The other plans of the plan's ente (one identity per ente, :mod:`store.enti`: after a merge, the
    plans of both), oldest first: the columns of :func:`list_plans`. For Confronto across years; memoised
    per data version (every Confronto run asks)."""
    return db.memo(("same_ente_plans", int(plan_id)), lambda: _same_ente_plans(db, int(plan_id))).copy()


def _same_ente_plans(db: Database, plan_id: int) -> pd.DataFrame:
    plans = list_plans(db)
    ente = db.df_cached("SELECT ente_id FROM plans WHERE plan_id = ?", [plan_id])
    if ente.empty or pd.isna(ente["ente_id"].iloc[0]):
        return plans.iloc[0:0]
    ids = set(db.df_cached("SELECT plan_id FROM plans WHERE ente_id = ?", [int(ente["ente_id"].iloc[0])])["plan_id"])
    out = plans[plans["plan_id"].isin(ids - {plan_id})]
    return out.sort_values(["anno_inizio", "plan_id"], kind="stable").reset_index(drop=True)


def plan_versions(db: Database, plan_id: int) -> pd.DataFrame:
    return db.df_cached("SELECT import_id, version, file_name, imported_at, imported_by FROM imports "
                 "WHERE plan_id = ? ORDER BY version DESC", [plan_id])


def resolve_plan(db: Database, plan_id: int | None = None, ente: str | None = None) -> int:
    """The plan id to use: explicit, by (part of) the ente's name, or the only plan."""
    plans = list_plans(db)
    if plan_id is not None:
        if plan_id not in set(plans["plan_id"]):
            raise PlanNotFound(f"Piano {plan_id} inesistente. Piani disponibili:\n{_plans_text(plans)}")
        return int(plan_id)
    if ente:
        plans = plans[plans["ente"].str.lower().str.contains(ente.lower(), regex=False)]
    if len(plans) == 1:
        return int(plans["plan_id"].iloc[0])
    if plans.empty:
        raise PlanNotFound("Nessun piano nel database" + (f" per l'ente «{ente}»." if ente else ": importare un foglio."))
    raise PlanNotFound("Più piani disponibili: indicare --plan ID (o --ente).\n" + _plans_text(plans))


def _plans_text(plans: pd.DataFrame) -> str:
    return "\n".join(f"  {r.plan_id}: {r.ente} — {r.titolo} (versione {r.version})" for r in plans.itertuples())


def monitoring_dates(db: Database, import_id: int) -> list[dt.date]:
    """Verification dates and the plan's Data monitoraggio, ascending."""
    def query() -> tuple[dt.date, ...]:
        rows = db.df("""SELECT DISTINCT d FROM (
                        SELECT verified_on AS d FROM verifications WHERE import_id = ? AND verified_on IS NOT NULL
                        UNION SELECT data_monitoraggio FROM imports WHERE import_id = ? AND data_monitoraggio IS NOT NULL)
                      ORDER BY d""", [import_id, import_id])
        return tuple(d.date() if hasattr(d, "date") else d for d in rows["d"])

    return list(db.memo(("monitoring_dates", import_id), query))


def make_context(db: Database, plan_id: int, import_id: int | None = None, year: int | None = None,
                 as_of: dt.date | None = None) -> Context:
    """Defaults: the current version; as-of = Data monitoraggio, else the latest Data verifica,
    else 31/12 of the year (given, or the first of the plan), never after today (:func:`domain.clock.today`);
    year = the as-of's year.
    Cached per data version (every page run asks for it several times)."""
    if db.path == ":memory:":
        return _make_context(db, plan_id, import_id, year, as_of, today())
    return _context_cached(db.path, db.version(), plan_id, import_id, year, as_of, today())


@lru_cache(maxsize=256)
def _context_cached(db_path: str, data_version: int, plan_id: int, import_id: int | None, year: int | None,
                    as_of: dt.date | None, now: dt.date) -> Context:
    return _make_context(get_db(db_path), plan_id, import_id, year, as_of, now)


def _make_context(db: Database, plan_id: int, import_id: int | None, year: int | None,
                  as_of: dt.date | None, now: dt.date | None = None) -> Context:
    given_as_of = as_of
    row = db.rows("""SELECT p.ente, p.titolo, i.import_id, i.version, i.anno_inizio, i.anno_fine, i.data_monitoraggio
                     FROM plans p JOIN imports i ON i.plan_id = p.plan_id
                     WHERE p.plan_id = ? AND i.import_id = coalesce(?, p.current_import_id)""", [plan_id, import_id])
    if not row:
        raise PlanNotFound(f"Versione {import_id} del piano {plan_id} inesistente.")
    ente, titolo, imp, version, a, b, dm = row[0]
    if as_of is None:
        if year is not None and dm is not None and dm.year != year:
            dm = None
        latest = db.scalar("SELECT max(verified_on) FROM verifications WHERE import_id = ?"
                           + (" AND year(verified_on) = ?" if year is not None else ""),
                           [imp] + ([year] if year is not None else []))
        as_of = dm or latest or dt.date(year or a, 12, 31)
        as_of = min(as_of, now or today())      # spec revision 3: the default as-of is never after today
    if year is None:
        year = min(max(as_of.year, a), b)
    if import_id is None:   # a validated year (issue 16) shows the validated version unless one is asked for
        pin = closing_store.pinned(db, plan_id, year)
        if pin is not None and pin[0] != imp:
            return _make_context(db, plan_id, pin[0], year, given_as_of, now)
    return Context(plan_id, imp, version, ente, titolo, a, b, row[0][6], year, as_of)


# ----------------------------------------------------------------------------- compute
def _load(db: Database, import_id: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    q = lambda sql: db.df(sql, [import_id])  # noqa: E731
    t = {
        "objectives": q("SELECT * EXCLUDE (import_id) FROM objectives WHERE import_id = ? ORDER BY ord"),
        "steps": q("SELECT * EXCLUDE (import_id) FROM steps WHERE import_id = ? ORDER BY ord"),
        "links": q("SELECT objective_code, strategic_code FROM objective_links WHERE import_id = ?"),
        "strategic": q("SELECT code, name, area_code FROM strategic_objectives WHERE import_id = ? ORDER BY row_no"),
        "areas": q("SELECT code, name FROM areas WHERE import_id = ? ORDER BY row_no"),
        "indicators": q("SELECT * EXCLUDE (import_id) FROM indicators WHERE import_id = ? ORDER BY row_no"),
        "staff": q("SELECT * EXCLUDE (import_id) FROM staff WHERE import_id = ? ORDER BY row_no"),
    }
    t["latest"] = db.df("""
        SELECT objective_code, step_code, verified_on, status, status_raw, achievement, completed_on, new_deadline,
               note, row_no AS verification_row, not_attributable
        FROM (SELECT *, row_number() OVER (PARTITION BY objective_code, step_code
                                           ORDER BY verified_on DESC NULLS LAST, row_no DESC) AS rn
              FROM verifications WHERE import_id = ? AND (verified_on IS NULL OR verified_on <= ?))
        WHERE rn = 1""", [import_id, as_of])
    t["all_verifications"] = q("SELECT * EXCLUDE (import_id) FROM verifications WHERE import_id = ? ORDER BY row_no")
    for k in ("latest", "all_verifications"):
        t[k] = _current_statuses(t[k])
    t["latest"] = t["latest"].drop(columns=["not_attributable"])
    return t


def _current_statuses(v: pd.DataFrame) -> pd.DataFrame:
    """The status of each verification under the current Stato rule (spec revision 2): versions imported
    under an earlier rule keep their raw text, so their figures follow the rule without a re-import.
    Verifications without a Stato text keep the status the importer derived from the Raggiungimento."""
    if v.empty or "status_raw" not in v:
        return v
    raw = v["status_raw"]
    has = raw.notna()
    if not has.any():
        return v
    v = v.copy()
    v.loc[has, "status"] = [normalize_status(r, bool(n)) for r, n in zip(raw[has], v.loc[has, "not_attributable"])]
    return v


def _until(v: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The verifications the as-of date sees (rule 10: dated ≤ as-of, or undated)."""
    if v.empty:
        return v
    d = pd.to_datetime(v["verified_on"])
    return v[d.isna() | (d <= pd.Timestamp(as_of))]


def _history(v: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The verifications with each one's status under revision 3 (a «non raggiunto» before the step's effective
    deadline is «in corso», not yet due), as the history lists show them."""
    if v.empty or "status" not in v:
        return v
    d = steps[["objective_code", "code", "deadline", "revised_deadline"]].rename(columns={"code": "step_code"})
    m = v.merge(d, how="left", on=["objective_code", "step_code"])
    revised = m["new_deadline"].where(m["new_deadline"].notna(), m["revised_deadline"])
    v = v.copy()
    v["status"] = F.status_at_verification(m["status"], m["deadline"], revised, m["verified_on"]).values
    return v


def _verifications_until(v: pd.DataFrame, as_of: dt.date) -> int:
    """How many verifications the as-of date sees (rule 10: dated ≤ as-of, or undated)."""
    return len(_until(v, as_of))


def _to_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.date.astype(object).where(s.notna(), None)


def _verification_bounds(verifs: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per step, from its dated verifications up to the as-of date: ``done_by`` (V1) = the first that
    saw it completed, ``done_after`` (V0) = the last before V1 that saw it not completed (rule 5)."""
    cols = ["objective_code", "step_code", "done_after", "done_by"]
    v = verifs[verifs["verified_on"].notna()].copy()
    if v.empty:
        return pd.DataFrame(columns=cols)
    v["verified_on"] = pd.to_datetime(v["verified_on"])
    v = v[v["verified_on"] <= pd.Timestamp(as_of)]
    done = (v["status"] == STATUS_ACHIEVED) | (v["achievement"].astype("float64") >= 100.0)
    keys = ["objective_code", "step_code"]
    v1 = v[done].groupby(keys)["verified_on"].min().rename("done_by")
    v = v.join(v1, on=keys)
    v0 = v[~done & (v["verified_on"] < v["done_by"])].groupby(keys)["verified_on"].max().rename("done_after")
    out = pd.concat([v0, v1], axis=1).reset_index()
    return out[cols]


#: Why a step counts what it counts (explained in Italian by metrics.explain).
RULE_GIVEN, RULE_STATUS, RULE_CONTINUOUS, RULE_UNVERIFIED = "indicato", "stato", "continuativo", "non verificato"
RULE_EXCLUDED, RULE_NEUTRALIZED_ACHIEVED, RULE_NOT_DUE = "neutralizzato", "neutralizzato raggiunto", "non dovuto"


def _steps(t: dict, ctx: Context, profile: Profile) -> pd.DataFrame:
    s = t["steps"].merge(t["latest"], how="left", left_on=["objective_code", "code"],
                         right_on=["objective_code", "step_code"]).drop(columns=["step_code"])
    s = s.merge(_verification_bounds(t["all_verifications"], ctx.as_of), how="left",
                left_on=["objective_code", "code"], right_on=["objective_code", "step_code"]).drop(columns=["step_code"])
    for c in ("deadline", "revised_deadline", "start_date", "verified_on", "completed_on", "new_deadline",
              "done_after", "done_by"):
        s[c] = _to_date(s[c])
    s["status"] = s["status"].fillna(STATUS_UNVERIFIED)
    s["verified"] = s["status"] != STATUS_UNVERIFIED
    s["revised_deadline"] = s["new_deadline"].where(s["new_deadline"].notna(), s["revised_deadline"])
    s["status"] = F.status_at_verification(s["status"], s["deadline"], s["revised_deadline"], s["verified_on"])
    s["neutralized"] = s["status"] == STATUS_NEUTRALIZED
    neutral_achieved = s["neutralized"] & (profile.neutralized == NEUTRALIZED_ACHIEVED)
    s["excluded"] = s["neutralized"] & ~neutral_achieved
    s["weight_eff"] = F.effective_weights(s["weight"].astype("float64"), s["objective_code"])
    years = pd.to_datetime(s["deadline"]).dt.year
    in_plan = ctx.anno_inizio <= ctx.year <= ctx.anno_fine
    s["due_in_year"] = (years == ctx.year) | (years.isna() & in_plan)
    # rule 10: already due at the as-of (at or after the year end, every step of the year is)
    year_over = ctx.as_of >= dt.date(ctx.year, 12, 31)
    s["due"] = s["due_in_year"] & (year_over | F.step_due(s["deadline"], s["revised_deadline"], s["continuous"],
                                                           ctx.as_of))
    s["year_weight"] = F.year_weights(s["weight_eff"], s["objective_code"], s["due_in_year"], s["excluded"])
    s["achievement_given"] = s["achievement"]
    s["achievement"] = F.step_achievement(s["status"], s["achievement"], s["continuous"], profile)
    s.loc[neutral_achieved, "achievement"] = 100.0
    s["completed"] = (s["status"] == STATUS_ACHIEVED) | (s["completed_on"].notna() & (s["achievement"] >= 100.0))
    given = s["achievement_given"].notna()
    cont = s["continuous"].astype(bool) & (s["status"] == STATUS_IN_PROGRESS) & ~given
    s["rule"] = np.select(
        [~s["due_in_year"], s["excluded"], neutral_achieved, given, cont, ~s["verified"]],
        [RULE_NOT_DUE, RULE_EXCLUDED, RULE_NEUTRALIZED_ACHIEVED, RULE_GIVEN, RULE_CONTINUOUS, RULE_UNVERIFIED],
        default=RULE_STATUS)
    s = F.slippage(s, ctx.as_of, profile)
    return s


def _objectives(t: dict, steps: pd.DataFrame, indicators: pd.DataFrame, profile: Profile,
                year_over: bool = True) -> pd.DataFrame:
    o = t["objectives"].copy()
    o["weight_eff"] = F.effective_weights(o["weight"].astype("float64"), pd.Series(0, index=o.index))
    o["weight_pct"] = F.normalised_weights(o["weight_eff"])
    res = {}
    for code, g in steps.groupby("objective_code", sort=False):
        res[code] = F.objective_achievement(g["year_weight"], g["achievement"], g["due_in_year"], g["excluded"],
                                            g["verified"])
    by_ind = {k: g for k, g in indicators.groupby("objective_code", sort=False)} if len(indicators) else {}
    none = F.ObjectiveResult(None, False, False, False)
    o["achievement"] = [res.get(c, none).achievement for c in o["code"]]
    o["achievement"] = o["achievement"].astype("float64")
    o["neutralized"] = [res.get(c, none).neutralized for c in o["code"]]
    o["evaluable"] = [res.get(c, none).evaluable for c in o["code"]]
    o["monitored"] = [res.get(c, none).monitored for c in o["code"]]
    o["indicator_only"] = [c not in res and c in by_ind for c in o["code"]]
    for i in o.index[o["indicator_only"]]:
        a = F.indicator_objective_achievement(by_ind[o.at[i, "code"]]["achievement"])
        o.at[i, "achievement"] = a if a is not None else float("nan")
        o.at[i, "evaluable"] = True
        o.at[i, "monitored"] = a is not None
    o["status"] = [
        OBJ_NEUTRALIZED if n else OBJ_WAITING_VALUES if io and not m else OBJ_NOT_EVALUABLE if not e
        else OBJ_NOT_MONITORED if not m else "raggiunto" if a >= 100.0 - 1e-9 else "in corso"
        for a, n, e, m, io in zip(o["achievement"].fillna(-1), o["neutralized"], o["evaluable"], o["monitored"],
                                  o["indicator_only"])]
    # rule 10: Rispetto del cronoprogramma; at or after the year end it is the achievement itself
    adh = {code: F.schedule_adherence(g["year_weight"], g["achievement"], g["due"], g["due_in_year"] & ~g["excluded"])
           for code, g in steps.groupby("objective_code", sort=False)}
    o["adherence"] = pd.Series([a if year_over or io else adh.get(c) if m else None
                                for c, a, m, io in zip(o["code"], o["achievement"], o["monitored"], o["indicator_only"])],
                               index=o.index, dtype="float64")
    o.loc[o["achievement"].isna(), "adherence"] = float("nan")
    o["band_progress"] = [F.band(a, profile) for a in o["achievement"]]
    o["band"] = [F.band(a, profile) for a in o["adherence"]]   # before the year end bands come from adherence
    o["nothing_due"] = o["achievement"].notna() & o["adherence"].isna()
    o["score"] = [F.score(a, profile) for a in o["achievement"]]
    o["score"] = o["score"].astype("float64")
    counted = o["achievement"].notna()
    o["weight_counted_pct"] = F.normalised_weights(o["weight_eff"].where(counted, 0.0))
    agg = steps.groupby("objective_code").agg(
        steps=("code", "size"), steps_due=("due_in_year", "sum"),
        late=("timing", lambda x: int((x == "in ritardo").sum())),
        overdue=("timing", lambda x: int((x == "scaduto").sum())))
    o = o.join(agg, on="code")
    for c in ("steps", "steps_due", "late", "overdue"):
        o[c] = pd.to_numeric(o[c], errors="coerce").fillna(0).astype(int)
    o["strategic_codes"] = [natural_sorted(t["links"].loc[t["links"]["objective_code"] == c, "strategic_code"]) for c in o["code"]]
    return o


def _forecast(ctx: Context, steps: pd.DataFrame, objectives: pd.DataFrame, profile: Profile) -> dict | None:
    """Rule 8 at an intermediate check: adds ``fc_*`` columns to steps and objectives (in place) and
    returns the plan's {low, expected, high, method, rate}; None at or after the year end."""
    for df in (steps, objectives):
        for c in ("fc_low", "fc_expected", "fc_high"):
            df[c] = float("nan")
    if ctx.as_of >= dt.date(ctx.year, 12, 31):
        return None
    due = steps[steps["due_in_year"]]
    rate, why = F.forecast_rate(due, ctx.as_of, profile.forecast_default_rate)
    counted = due[~due["excluded"]]
    fc = F.forecast_steps(counted, ctx.as_of, rate)
    for c in ("fc_low", "fc_expected", "fc_high"):
        steps.loc[fc.index, c] = fc[c]
    for i, o in objectives.iterrows():
        if o["indicator_only"] or o["neutralized"]:
            for c in ("fc_low", "fc_expected", "fc_high"):
                objectives.at[i, c] = o["achievement"]
            continue
        g = fc[fc["objective_code"] == o["code"]]
        if g.empty:
            continue
        for c in ("fc_low", "fc_expected", "fc_high"):
            objectives.at[i, c] = float((g["year_weight"] * g[c]).sum() / 100.0)
    out = {c: F.weighted_mean(objectives[f"fc_{c}"], objectives["weight_eff"]) for c in ("low", "expected", "high")}
    out["rate"] = rate
    out["method"] = (f"Previsione al 31/12/{ctx.year} dalla situazione al {fmt_date(ctx.as_of)} (regola 8): gli step "
                     "completati e i continuativi mantengono il loro raggiungimento; gli step scaduti senza un nuovo "
                     "termine futuro mantengono quello che hanno (0% se non indicato); gli step ancora aperti con "
                     "termine futuro contano 0% nell'ipotesi minima, 100% nella massima e, in quella attesa, il "
                     f"{fmt_pct(rate)} ({why}).")
    return out


def _compute(db: Database, ctx: Context, sp: StoredProfile) -> PlanMetrics:
    profile = sp.profile
    t = _load(db, ctx.import_id, ctx.as_of)
    steps = _steps(t, ctx, profile)
    indicators = t["indicators"].copy()
    res = [F.indicator_achievement(r.target_raw, r.value_raw, r.baseline_raw, r.direction) for r in indicators.itertuples()]
    indicators["achievement"] = pd.Series([r.achievement for r in res], index=indicators.index, dtype="float64")
    indicators["target_value"] = [r.target for r in res]
    indicators["mode"] = [r.direction for r in res]
    indicators["reason"] = [r.reason for r in res]
    objectives = _objectives(t, steps, indicators, profile, ctx.as_of >= dt.date(ctx.year, 12, 31))
    w = objectives.set_index("code")["weight_counted_pct"]
    steps["objective_weight_pct"] = steps["objective_code"].map(w).fillna(0.0)
    steps["points_at_risk"] = F.points_at_risk(steps["year_weight"], steps["objective_weight_pct"], steps["achievement"])
    achievement = F.weighted_mean(objectives["achievement"], objectives["weight_eff"])
    strategic, areas = F.cascade(objectives, t["links"], t["strategic"], t["areas"])
    # rule 10 for the groups of the cascade: the same weighted means over the objectives' adherence
    s_adh, a_adh = F.cascade(objectives.drop(columns="achievement").rename(columns={"adherence": "achievement"}),
                             t["links"], t["strategic"], t["areas"])
    strategic["adherence"], areas["adherence"] = s_adh["achievement"].values, a_adh["achievement"].values
    year_over = ctx.as_of >= dt.date(ctx.year, 12, 31)
    for df in (strategic, areas):
        df["band"] = [F.band(a, profile) for a in df["achievement" if year_over else "adherence"]]
    due = steps[steps["due_in_year"]]
    counts = {
        "objectives": len(objectives),
        "objectives_evaluable": int(objectives["achievement"].notna().sum()),
        "objectives_neutralized": int(objectives["neutralized"].sum()),
        "objectives_monitored": int(objectives["monitored"].sum()),
        "steps": len(steps),
        "steps_due": len(due),
        "completed": int(due["completed"].sum()),
        "late": int((due["timing"] == "in ritardo").sum()),
        "overdue": int((due["timing"] == "scaduto").sum()),
        "to_verify": int((due["timing"] == "da verificare").sum()),
        "neutralized": int(due["neutralized"].sum()),
        "continuous": int(due["continuous"].sum()),
        "verifications": _verifications_until(t["all_verifications"], ctx.as_of),
    }
    forecast = _forecast(ctx, steps, objectives, profile)
    pm = PlanMetrics(ctx, objectives, steps, strategic, areas, t["links"], indicators, t["staff"],
                     F.individual_scores(t["staff"]), achievement, F.slippage_summary(due), counts)
    pm.verifications = _history(_until(t["all_verifications"], ctx.as_of), t["steps"])   # only those ≤ as-of
    pm.profile, pm.profile_version, pm.profile_label = profile, sp.version, sp.label
    pm.score = F.plan_score(objectives["score"], objectives["weight_eff"], achievement, profile)
    pm.forecast = forecast
    pm.adherence = F.weighted_mean(objectives["adherence"], objectives["weight_eff"])
    pm.quality = quality_checks(pm, t, QUALITY)
    _closing(db, pm)
    return pm


def _closing(db: Database, pm: PlanMetrics) -> None:
    """Issue 16: the figures netto (after the treatments decided in the variance register) and, when ``pm`` is
    the validated version of its year, the validation (date, by, SHA-256 of the frozen record)."""

    ctx = pm.ctx
    if (ctx.plan_id, ctx.year) not in closing_store.active_plan_years(db):   # nothing recorded: netto = lordo
        pm.net = net_figures(pm, pd.DataFrame(columns=["level", "objective_code", "step_code", "indicator"]))
        return
    pm.net = net_figures(pm, closing_store.variance_entries(db, ctx.plan_id, ctx.year))
    snap = closing_store.valid_snapshot(db, ctx.plan_id, ctx.year)
    if snap is not None and snap.import_id == ctx.import_id:
        pm.validated = {"date": snap.validated_at.date(), "by": snap.validated_by, "sha256": snap.sha256}


def validated_profile(db: Database, ctx: Context) -> StoredProfile | None:
    """The profile version of the plan-year's validated record (issue 16), when ``ctx`` is the validated
    version: a later profile change does not move validated figures. None otherwise."""
    pin = closing_store.pinned(db, ctx.plan_id, ctx.year)
    if pin is None or pin[0] != ctx.import_id:
        return None
    if pin[1] == 0:
        return StoredProfile(PREDEFINITO, 0)
    return profile_version(db, ctx.ente, ctx.year, pin[1])


@lru_cache(maxsize=64)
def _cached(db_path: str, data_version: int, ctx: Context, sp: StoredProfile) -> PlanMetrics:
    return _compute(get_db(db_path), ctx, sp)


def plan_metrics(db: Database, plan_id: int, import_id: int | None = None, year: int | None = None,
                 as_of: dt.date | None = None, settings: Settings | None = None,
                 profile: Profile | str | None = None) -> PlanMetrics:
    """Every metric of one plan version for a year at an as-of date (cached per data version).

    The measuring-system profile is the one stored for the plan's ente and year (Predefinito when none);
    ``profile`` (a preset key — ``predefinito``, ``fasce``, ``lineare`` — or a Profile) overrides it for
    this computation (``settings`` is its old name). The cache key includes the profile and its version."""
    ctx = make_context(db, plan_id, import_id, year, as_of)
    sp = resolve(db, ctx.ente, ctx.year, profile if profile is not None else settings)
    if profile is None and settings is None:
        sp = validated_profile(db, ctx) or sp
    if db.path == ":memory:":
        return _compute(db, ctx, sp)
    return _cached(db.path, db.version(), ctx, sp)
