"""Chiusura dell'anno (issue 16, items 3 and 4): the validation workflow of a plan-year, the valutatore's carte di
lavoro, the frozen validated record and its verification.

States: *in lavorazione* → *approvata* (the act of the CdA, recorded by the direttore or the amministratore) →
*in validazione* → *validata* | *validata con rilievi* | *non validata* (decided by the valutatore, OIV / Nucleo,
never by whoever recorded the approval). *Riapri* (amministratore only, with a reason) brings the year back to
*in lavorazione* and voids the validated record. Every transition, allowed or refused, is in the Registro.

On *validata* (also *con rilievi*) a snapshot of every figure is inserted (``validated_snapshots``, never
updated) with the SHA-256 of its canonical JSON; from then on :func:`metrics.engine.plan_metrics` shows that
year with the validated version and profile (``store.closing.pinned``). :func:`verify` recomputes and compares.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import pandas as pd

from metrics import engine
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date, fmt_pct
from metrics.variances import CAUSES, net_figures, register_for, year_end
from store import audit
from store import closing as cs
from store.access import DECIDE, REOPEN, VALIDATE, NotAuthorized, Principal, require_plan

IN_PROGRESS, APPROVED, IN_VALIDATION = cs.IN_PROGRESS, "approvata", "in validazione"
VALIDATED, VALIDATED_NOTES, NOT_VALIDATED = "validata", "validata con rilievi", "non validata"
STATES = (IN_PROGRESS, APPROVED, IN_VALIDATION, VALIDATED, VALIDATED_NOTES, NOT_VALIDATED)
#: --outcome of the CLI → state
OUTCOMES = {"validata": VALIDATED, "con-rilievi": VALIDATED_NOTES, "non-validata": NOT_VALIDATED}
FROZEN = (VALIDATED, VALIDATED_NOTES)

#: the carte di lavoro per criterion (CiVIT delibera 6/2012): key → Italian label
CRITERIA = {
    "conformita": "Conformità al Piano (ogni obiettivo del Piano è rendicontato)",
    "attendibilita": "Attendibilità dei dati",
    "comprensibilita": "Comprensibilità",
    "coerenza": "Coerenza tra punteggi",
    "scostamenti": "Scostamenti motivati",
}
METHODS = ("controllo documentale", "ricalcolo", "campione")
PAPER_OUTCOMES = ("conforme", "con rilievi", "non conforme")


class ClosingError(ValueError):
    """A refused transition; ``str()`` is the Italian message to show."""


# ----------------------------------------------------------------------------- reads
current_state = cs.current_state


def is_validated(db, plan_id: int, year: int) -> bool:
    """True when the plan-year has a validated record in force (*validata* or *validata con rilievi*, not
    reopened): the condition for paying performance bonuses (d.lgs. 150/2009 art. 14 c. 6)."""
    return cs.valid_snapshot(db, plan_id, year) is not None


def state(db, plan_id: int, year: int) -> dict:
    """Where the plan-year stands. Keys: ``state``; ``approval`` {act, number, date, by} or None; ``submitted``
    {at, by} or None; ``validation`` {outcome, date, by, snapshot_sha256} or None (the last decision, also
    *non validata*; ``snapshot_sha256`` only while a validated record is in force); ``reopened`` [{at, by,
    reason}]; ``events`` (every event, oldest first, as dicts)."""
    ev = cs.closing_events(db, plan_id, year)
    out: dict = {"state": IN_PROGRESS, "approval": None, "submitted": None, "validation": None, "reopened": [],
                 "events": []}
    for e in ev.itertuples():
        at = pd.Timestamp(e.happened_at).to_pydatetime()
        out["events"].append({"action": e.action, "state": e.state, "at": at, "by": e.who, "role": e.role,
                              "act": e.act, "reason": e.reason})
        out["state"] = e.state
        if e.action == "approva":
            out["approval"] = {"act": e.act, "number": e.act_number,
                               "date": None if pd.isna(e.act_date) else pd.Timestamp(e.act_date).date(),
                               "by": e.who, "at": at}
            out["submitted"], out["validation"] = None, None
        elif e.action == "invia":
            out["submitted"] = {"at": at, "by": e.who}
        elif e.action == "valida":
            out["validation"] = {"outcome": e.state, "date": at.date(), "by": e.who, "snapshot_sha256": None}
        elif e.action == "riapri":
            out["reopened"].append({"at": at, "by": e.who, "reason": e.reason})
            out["approval"] = out["submitted"] = out["validation"] = None
    snap = cs.valid_snapshot(db, plan_id, year)
    if snap is not None and out["validation"] is not None:
        out["validation"]["snapshot_sha256"] = snap.sha256
    return out


def validation_summary(db, plan_id: int, year: int) -> dict:
    """The report JSON's ``validation``: {state, date (ISO), by, snapshot_sha256}."""
    s = state(db, plan_id, year)
    v = s["validation"] or {}
    return {"state": s["state"], "date": v["date"].isoformat() if v.get("date") else None, "by": v.get("by"),
            "snapshot_sha256": v.get("snapshot_sha256")}


def validated_caption(db, plan_id: int, year: int) -> str | None:
    """«Dati validati il 20/06/2024 da …» for pages and documents; None when the year is not validated."""
    snap = cs.valid_snapshot(db, plan_id, year)
    if snap is None:
        return None
    return f"Dati validati il {fmt_date(snap.validated_at)} da {snap.validated_by} (versione {snap.plan_version} " \
           "del piano)"


# ----------------------------------------------------------------------------- carte di lavoro
def automatic_checks(db, pm: PlanMetrics, reg: pd.DataFrame) -> dict:
    """What the product checks itself, for the carte di lavoro: {key: {ok, text}}."""
    planned = set(engine_objectives(db, pm.ctx.import_id))
    reported = set(pm.objectives["code"].astype(str))
    missing = sorted(planned - reported)
    scoped = reg[reg["in_scope"]] if len(reg) else reg
    no_cause = scoped[scoped["cause"].isna()] if len(scoped) else scoped
    treated = reg[reg["treatment"].isin(["neutralizzazione", "ripesatura"])] if len(reg) else reg
    no_act = treated[~treated["decided"]] if len(treated) else treated
    snap = cs.valid_snapshot(db, pm.ctx.plan_id, pm.ctx.year)
    diffs = verify_differences(db, snap) if snap is not None else _recompute_differences(db, pm)
    return {
        "conformita": {"ok": not missing, "text": "Tutti gli obiettivi del Piano sono rendicontati "
                       f"({len(reported)})." if not missing else f"Obiettivi non rendicontati: {', '.join(missing)}."},
        "attendibilita": {"ok": not diffs, "text": "I valori ricalcolati dai dati archiviati coincidono con "
                          "quelli mostrati." if not diffs else f"{len(diffs)} differenze: " + "; ".join(diffs[:5])},
        "scostamenti": {"ok": len(no_cause) == 0, "text": "Ogni riga del registro degli scostamenti ha una causa "
                        f"({len(scoped)} righe)." if len(no_cause) == 0 else
                        f"{len(no_cause)} righe del registro su {len(scoped)} senza causa."},
        "atti": {"ok": len(no_act) == 0, "text": "Ogni neutralizzazione o ripesatura ha il suo atto."
                 if len(no_act) == 0 else f"{len(no_act)} trattamenti proposti senza atto di decisione: non "
                 "modificano i valori."},
    }


def engine_objectives(db, import_id: int) -> list[str]:
    return [str(r[0]) for r in db.rows("SELECT code FROM objectives WHERE import_id = ? ORDER BY ord", [import_id])]


def work_papers(db, plan_id: int, year: int) -> dict:
    """Le carte di lavoro of a plan-year: ``{"criteria": [{key, label, data_source, method, sample_n,
    sample_total, outcome, note, saved_by, saved_at, auto: {ok, text} | None}], "objectives": [{code, title,
    ...same fields}], "checks": automatic_checks}`` (fields None where the valutatore has not written yet)."""
    pm = engine.plan_metrics(db, int(plan_id), year=int(year), as_of=year_end(year))
    reg = register_for(pm, cs.variance_entries(db, plan_id, year))
    checks = automatic_checks(db, pm, reg)
    papers = cs.work_papers(db, plan_id, year)
    stored = {(r.level, r.item): r for r in papers.itertuples()}
    auto_for = {"conformita": "conformita", "attendibilita": "attendibilita", "scostamenti": "scostamenti"}

    def fields(level, item):
        r = stored.get((level, item))
        out = {f: None for f in (*cs.PAPER_FIELDS, "saved_by", "saved_at")}
        if r is not None:
            for f in out:
                v = getattr(r, f)
                out[f] = None if not isinstance(v, str) and pd.isna(v) else int(v) if f.startswith("sample") else v
        return out

    criteria = [{"key": k, "label": label, **fields("criterio", k),
                 "auto": checks.get(auto_for[k]) if k in auto_for else None} for k, label in CRITERIA.items()]
    objectives = [{"code": str(o.code), "title": str(o.title), "achievement": o.achievement,
                   **fields("obiettivo", str(o.code))} for o in pm.objectives.itertuples()]
    return {"criteria": criteria, "objectives": objectives, "checks": checks}


def save_work_paper(principal: Principal, db, plan_id: int, year: int, level: str, item: str, *,
                    data_source: str | None = None, method: str | None = None, sample_n: int | None = None,
                    sample_total: int | None = None, outcome: str | None = None, note: str | None = None) -> None:
    """The valutatore writes one carta di lavoro (a criterion or an objective): while the year is in validation."""
    principal.require(VALIDATE)
    pid = require_plan(db, principal, plan_id)
    if level not in ("criterio", "obiettivo"):
        raise ClosingError("Livello della carta di lavoro sconosciuto: usare criterio o obiettivo.")
    if level == "criterio" and item not in CRITERIA:
        raise ClosingError(f"Criterio «{item}» sconosciuto.")
    if method is not None and method not in METHODS:
        raise ClosingError("Metodo non valido: usare controllo documentale, ricalcolo o campione.")
    if method == "campione" and not (sample_n and sample_total and 0 < sample_n <= sample_total):
        raise ClosingError("Per un campione indicare quanti elementi su quanti (n su N, con n ≤ N).")
    if outcome is not None and outcome not in PAPER_OUTCOMES:
        raise ClosingError("Esito non valido: usare conforme, con rilievi o non conforme.")
    st = current_state(db, pid, year)
    if st != IN_VALIDATION:
        raise ClosingError(f"Le carte di lavoro si compilano mentre l'anno è «in validazione» (ora: «{st}»).")
    with db.transaction() as cur:
        cs.insert_work_paper(cur, pid, year, level, item, dict(data_source=data_source, method=method,
                             sample_n=sample_n, sample_total=sample_total, outcome=outcome, note=note),
                             principal.name)
        audit.record(cur, principal.name, "carta di lavoro", plan_id=pid,
                     detail=f"anno {year}, {level} {item}: {outcome or 'senza esito'}")


# ----------------------------------------------------------------------------- transitions
def _refuse(db, principal: Principal, plan_id: int, year: int, what: str, message: str, exc=ClosingError):
    audit.record(db, principal.name, "chiusura", outcome=audit.REFUSED, plan_id=plan_id,
                 detail=f"{what}, anno {year}: {message}")
    raise exc(message)


def _guard(principal: Principal, db, plan_id: int, capability: str, year: int, what: str) -> int:
    pid = require_plan(db, principal, plan_id)
    if not principal.can(capability):
        _refuse(db, principal, pid, year, what, f"Non autorizzato: il ruolo «{principal.role}» non consente "
                f"questa operazione ({capability}).", NotAuthorized)
    return pid


def approve(principal: Principal, db, plan_id: int, year: int, act: str) -> dict:
    """*approvata*: the act of the organo di indirizzo that approves the Relazione (direttore, amministratore)."""
    from metrics.variances import parse_act

    pid = _guard(principal, db, plan_id, DECIDE, year, "approvazione")
    st = current_state(db, pid, year)
    if st not in (IN_PROGRESS, NOT_VALIDATED):
        _refuse(db, principal, pid, year, "approvazione", f"L'anno {year} è «{st}»: si approva solo un anno in "
                "lavorazione (o non validato).")
    if not (act or "").strip():
        _refuse(db, principal, pid, year, "approvazione", "Indicare l'atto di approvazione (es. «Delibera CdA n. 12 "
                "del 20/06/2024»).")
    number, date = parse_act(act)
    if number is None or date is None:
        _refuse(db, principal, pid, year, "approvazione", f"Nell'atto «{act.strip()}» mancano il numero o la data: "
                "scriverlo come «Delibera CdA n. 12 del 20/06/2024».")
    with db.transaction() as cur:
        cs.insert_event(cur, pid, year, "approva", APPROVED, principal.name, principal.role, act=act.strip(),
                        act_number=number, act_date=date)
        audit.record(cur, principal.name, "chiusura", plan_id=pid, detail=f"approvazione, anno {year}: {act.strip()}")
    return state(db, pid, year)


def submit(principal: Principal, db, plan_id: int, year: int) -> dict:
    """*in validazione*: sent to the valutatore (direttore, amministratore)."""
    pid = _guard(principal, db, plan_id, DECIDE, year, "invio al valutatore")
    st = current_state(db, pid, year)
    if st != APPROVED:
        _refuse(db, principal, pid, year, "invio al valutatore", f"L'anno {year} è «{st}»: si invia al valutatore "
                "solo dopo l'approvazione.")
    with db.transaction() as cur:
        cs.insert_event(cur, pid, year, "invia", IN_VALIDATION, principal.name, principal.role)
        audit.record(cur, principal.name, "chiusura", plan_id=pid, detail=f"invio al valutatore, anno {year}")
    return state(db, pid, year)


def validate(principal: Principal, db, plan_id: int, year: int, outcome: str) -> dict:
    """The valutatore's decision: *validata*, *validata con rilievi* (both freeze the figures) or *non validata*.
    ``outcome``: a state or a CLI key (``validata``, ``con-rilievi``, ``non-validata``)."""
    pid = _guard(principal, db, plan_id, VALIDATE, year, "validazione")
    new = OUTCOMES.get(outcome, outcome)
    if new not in (VALIDATED, VALIDATED_NOTES, NOT_VALIDATED):
        _refuse(db, principal, pid, year, "validazione", "Esito non valido: usare validata, con rilievi o non "
                "validata.")
    s = state(db, pid, year)
    if s["state"] != IN_VALIDATION:
        _refuse(db, principal, pid, year, "validazione", f"L'anno {year} è «{s['state']}»: si valida solo un anno "
                "inviato al valutatore.")
    if s["approval"] and s["approval"]["by"] == principal.name:
        _refuse(db, principal, pid, year, "validazione", "Non si valida la propria approvazione: la validazione "
                "spetta a un valutatore diverso da chi ha registrato l'approvazione.", NotAuthorized)
    figures = None
    if new in FROZEN:
        pm = engine.plan_metrics(db, pid, year=year, as_of=year_end(year))
        figures = snapshot_figures(db, pm)
    with db.transaction() as cur:
        event = cs.insert_event(cur, pid, year, "valida", new, principal.name, principal.role)
        detail = f"validazione, anno {year}: {new}"
        if figures is not None:
            text, sha = canonical(figures)
            cs.insert_snapshot(cur, pid, year, event, figures["import_id"], figures["plan_version"],
                               figures["profile_version"], year_end(year), text, sha, principal.name)
            detail += f" (istantanea SHA-256 {sha[:12]}…)"
        audit.record(cur, principal.name, "chiusura", plan_id=pid, detail=detail)
    return state(db, pid, year)


def reopen(principal: Principal, db, plan_id: int, year: int, reason: str) -> dict:
    """*Riapri*: the amministratore only, with a reason; voids the validated record (it stays, as history)."""
    pid = _guard(principal, db, plan_id, REOPEN, year, "riapertura")
    if not (reason or "").strip():
        _refuse(db, principal, pid, year, "riapertura", "Per riaprire l'anno indicare il motivo.")
    st = current_state(db, pid, year)
    if st == IN_PROGRESS:
        _refuse(db, principal, pid, year, "riapertura", f"L'anno {year} è già in lavorazione.")
    with db.transaction() as cur:
        cs.insert_event(cur, pid, year, "riapri", IN_PROGRESS, principal.name, principal.role, reason=reason.strip())
        audit.record(cur, principal.name, "chiusura", plan_id=pid,
                     detail=f"riapertura, anno {year} (era «{st}»): {reason.strip()}")
    return state(db, pid, year)


def next_step(st: dict, principal: Principal) -> str:
    """What comes next, in Italian, for the principal's role."""
    s, role = st["state"], principal.role
    if s in (IN_PROGRESS, NOT_VALIDATED):
        if principal.can(DECIDE):
            return ("Completa il registro degli scostamenti (le decisioni con il loro atto), poi registra l'atto "
                    "di approvazione della Relazione.")
        if role in ("referente",):
            return "Indica la causa di ogni scostamento e proponi il trattamento; il direttore registrerà le decisioni."
        return "La Relazione è in preparazione: il direttore registrerà l'atto di approvazione."
    if s == APPROVED:
        return ("Invia la Relazione al valutatore (OIV / Nucleo) per la validazione." if principal.can(DECIDE)
                else "La Relazione è approvata: attende l'invio al valutatore.")
    if s == IN_VALIDATION:
        return ("Compila le carte di lavoro e decidi l'esito della validazione." if principal.can(VALIDATE)
                else "La Relazione è all'esame del valutatore (OIV / Nucleo).")
    return ("L'anno è chiuso: i valori mostrati ed esportati sono quelli validati. "
            + ("Puoi riaprirlo indicando il motivo." if principal.can(REOPEN) else
               "Solo l'amministratore può riaprirlo, indicando il motivo."))


# ----------------------------------------------------------------------------- frozen record
def _f(x) -> float | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 6)


def _s(x) -> str | None:
    if x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    return x.isoformat() if hasattr(x, "isoformat") else str(x)


def snapshot_figures(db, pm: PlanMetrics, up_to_entry: int | None = None) -> dict:
    """Every figure of the plan-year at ``pm``: plan, objectives, steps, indicators, register, lordo and netto
    (plain data, canonical with :func:`canonical`). ``up_to_entry``: the register as it stood then."""
    ctx = pm.ctx
    if up_to_entry is None:
        up_to_entry = cs.max_variance_entry(db, ctx.plan_id, ctx.year)
    entries = cs.variance_entries(db, ctx.plan_id, ctx.year, up_to_entry)
    reg = register_for(pm, entries)
    net = net_figures(pm, entries)
    nobj = net["objectives"].set_index("code")
    return {
        "plan_id": ctx.plan_id, "year": ctx.year, "import_id": ctx.import_id, "plan_version": ctx.version,
        "profile_version": pm.profile_version, "as_of": ctx.as_of.isoformat(), "register_entry": up_to_entry,
        "plan": {"achievement": _f(pm.achievement), "achievement_gross": _f(net["plan"]["gross"]),
                 "achievement_net": _f(net["plan"]["net"]), "score": _f(pm.score)},
        "objectives": [{"code": str(o.code), "weight": _f(o.weight_pct), "achievement": _f(o.achievement),
                        "achievement_gross": _f(nobj.at[str(o.code), "gross"]),
                        "achievement_net": _f(nobj.at[str(o.code), "net"]), "score": _f(o.score),
                        "status": o.status} for o in pm.objectives.itertuples()],
        "steps": [{"objective": str(s.objective_code), "code": str(s.code), "year_weight": _f(s.year_weight),
                   "achievement": _f(s.achievement), "status": s.status, "timing": _s(s.timing)}
                  for s in pm.steps.itertuples()],
        "indicators": [{"objective": str(i.objective_code), "name": str(i.name), "value": _s(i.value_raw),
                        "target": _s(i.target_raw), "achievement": _f(i.achievement)}
                       for i in pm.indicators.itertuples()],
        "register": [{k: (_f(v) if isinstance(v, float) else _s(v) if not isinstance(v, (bool, int)) else v)
                      for k, v in r.items()} for r in reg.to_dict("records")],
    }


def canonical(figures: dict) -> tuple[str, str]:
    """(canonical JSON, its SHA-256): sorted keys, no spaces, UTF-8."""
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _diff(a, b, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} elementi validati, {len(b)} ricalcolati")
        for i, (x, y) in enumerate(zip(a, b)):
            label = x.get("code") if isinstance(x, dict) and "code" in x else i
            _diff(x, y, f"{path}[{label}]", out)
    elif isinstance(a, float) and isinstance(b, float):
        if abs(a - b) > 1e-6:
            out.append(f"{path}: validato {fmt_pct(a)}, ricalcolato {fmt_pct(b)}")
    elif a != b:
        out.append(f"{path}: validato {a!r}, ricalcolato {b!r}")


def verify_differences(db, snap: cs.Snapshot) -> list[str]:
    """The differences between a validated record and the figures recomputed now from the stored data (the
    validated version, profile version and register); also a hash that no longer matches its JSON."""
    out = []
    if hashlib.sha256(snap.figures_json.encode("utf-8")).hexdigest() != snap.sha256:
        out.append("l'impronta SHA-256 non corrisponde al contenuto dell'istantanea: l'istantanea è stata alterata")
    stored = json.loads(snap.figures_json)
    ctx = engine._make_context(db, snap.plan_id, snap.import_id, snap.year, snap.as_of)   # not cached: the
    sp = engine.validated_profile(db, ctx) or engine.resolve(db, ctx.ente, ctx.year)    # data as stored now
    pm = engine._compute(db, ctx, sp)
    now = json.loads(canonical(snapshot_figures(db, pm, stored.get("register_entry")))[0])
    _diff(stored, now, "", out)
    return out


def _recompute_differences(db, pm: PlanMetrics) -> list[str]:
    """Before validation: the figures shown (cached) against a fresh computation from the stored data."""
    sp = engine.validated_profile(db, pm.ctx) or engine.resolve(db, pm.ctx.ente, pm.ctx.year)
    fresh = engine._compute(db, pm.ctx, sp)
    out: list[str] = []
    a = json.loads(canonical(snapshot_figures(db, pm))[0])
    b = json.loads(canonical(snapshot_figures(db, fresh))[0])
    _diff(a, b, "", out)
    return out


def verify(db, plan_id: int, year: int | None = None) -> tuple[bool, list[str]]:
    """``python -m metrics verify``: (ok, messages). Without a validated record in force: not ok, one message."""
    years = [int(year)] if year is not None else [int(r[0]) for r in db.rows(
        "SELECT DISTINCT year FROM validated_snapshots WHERE plan_id = ? ORDER BY year", [int(plan_id)])]
    msgs, ok, any_snap = [], True, False
    for y in years:
        snap = cs.valid_snapshot(db, plan_id, y)
        if snap is None:
            continue
        any_snap = True
        diffs = verify_differences(db, snap)
        if diffs:
            ok = False
            msgs.append(f"Anno {y}: {len(diffs)} differenze rispetto ai dati validati il "
                        f"{fmt_date(snap.validated_at)}:")
            msgs += [f"  - {d}" for d in diffs]
        else:
            msgs.append(f"Anno {y}: i valori ricalcolati coincidono con quelli validati il "
                        f"{fmt_date(snap.validated_at)} (SHA-256 {snap.sha256}).")
    if not any_snap:
        return False, [f"Nessun dato validato per il piano {plan_id}" + (f", anno {year}." if year else ".")]
    return ok, msgs


__all__ = ["APPROVED", "CAUSES", "CRITERIA", "ClosingError", "FROZEN", "IN_PROGRESS", "IN_VALIDATION",
           "NOT_VALIDATED", "OUTCOMES", "STATES", "VALIDATED", "VALIDATED_NOTES", "approve", "automatic_checks",
           "canonical", "current_state", "is_validated", "next_step", "reopen", "save_work_paper", "snapshot_figures",
           "state", "submit", "validate", "validated_caption", "validation_summary", "verify", "work_papers"]
