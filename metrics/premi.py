"""Premi: the distribution of the productivity fund (issue 17).

CCNL Funzioni Locali 16/11/2022 art. 80 (separate shares for organisational and individual performance),
art. 81 (differenziazione del premio individuale, ARAN CFL126), d.lgs. 150/2009 art. 18 (no automatic
distribution) and art. 14 c. 6 (nothing is paid before the Nucleo/OIV validates the Relazione), d.lgs. 33/2013
art. 20 (publication of the aggregated data). The rules are the SMVP's own: :class:`domain.profile.BonusRules`.

Pure functions over DataFrames (:func:`compute`, :func:`art20_tables`, :func:`payroll_csv`) plus the stored,
versioned rules per ente and year (:func:`current_rules`, :func:`save_rules`) and the validation gate
(:func:`validated`, which is :func:`metrics.closing.is_validated`: the year-end workflow is the only key). All money is computed in **integer cents**; every total equals its fund to the cent
(metodo dei resti maggiori, :func:`largest_remainder`). No Streamlit here; roles are checked in
:mod:`metrics.access` (names only for direttore and amministratore).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

import pandas as pd

from domain.profile import (BONUS_PERCENT, BONUS_PRESETS, BONUS_PROPORTIONAL, TIE_ALL, UPLIFT_BASE_TOTAL, BonusRules, bonus_describe,
                            bonus_preset, validate_bonus)
from metrics.fmt import fmt_date
from store import Database, audit

PROVISIONAL = "PROVVISORIO — relazione non validata"
#: the status of a distribution on validated figures: ``FINAL.format(date=…)`` («20/06/2024»)
FINAL = "definitivo — dati validati il {date}"
PAYROLL_REFUSED = ("Il file per gli stipendi non può essere prodotto: la Relazione sulla performance {year} non è "
                   "ancora validata (art. 14, c. 6, d.lgs. 150/2009: nessun premio prima della validazione). "
                   "I conteggi restano consultabili come PROVVISORI.")

PEOPLE_COLUMNS = ["id", "name", "matricola", "category", "score", "participation_total", "achievement",
                  "part_time", "presence", "coefficient", "weight_org", "weight_ind", "rank", "uplift",
                  "org_cents", "ind_cents", "uplift_cents", "total_cents"]


class PayrollRefused(Exception):
    """The payroll file asked for before validation; the message is Italian."""


# ---------------------------------------------------------------------- the arithmetic
def largest_remainder(total_cents: int, weights: Iterable[float | Fraction]) -> list[int]:
    """Metodo dei resti maggiori: ``total_cents`` split in proportion to ``weights`` in whole cents, each
    share the floor of its exact quota, the cents left over one each to the largest remainders (ties: the
    earlier position first, so the caller's order is the stated tie rule). The shares sum to ``total_cents``
    exactly; all-zero weights give all zeros (nothing can be distributed)."""
    ws = [Fraction(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError("pesi negativi")
    s = sum(ws, Fraction(0))
    if s == 0 or total_cents == 0:
        return [0] * len(ws)
    exact = [Fraction(total_cents) * w / s for w in ws]
    floors = [math.floor(q) for q in exact]
    left = total_cents - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def cents(euro: float) -> int:
    """Euro → integer cents (rounded half up on the decimal text, so 0.1 + 0.2 is not an issue)."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(str(euro)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fmt_eur(c: int | float | None) -> str:
    """Cents → «10.000,00 €»."""
    if c is None or (isinstance(c, float) and math.isnan(c)):
        return "—"
    s = f"{c / 100:,.2f}"
    return s.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".") + " €"


def coefficient(score: float | None, rules: BonusRules) -> float:
    """Coefficiente individuale: 0 sotto il punteggio minimo; poi il coefficiente della fascia (regola «fasce»),
    la percentuale della fascia /100 (regola «percentuali»), o punteggio / «pieno da», al massimo 1
    (regola «proporzionale»)."""
    if score is None or (isinstance(score, float) and math.isnan(score)) or score < rules.min_score:
        return 0.0
    if rules.rule == BONUS_PROPORTIONAL:
        return 1.0 if score >= rules.full_from else float(score) / rules.full_from
    c = 0.0
    for start, value in rules.bands:
        if score >= start:
            c = value
    return c / 100.0 if rules.rule == BONUS_PERCENT else c


# ---------------------------------------------------------------------- per person
def person_table(staff: pd.DataFrame, achievement: dict[str, float | None]) -> pd.DataFrame:
    """Per person (one row each, in the order of first appearance in Personale): identifier (matricola, else
    a pseudonym «P001»…), category (Categoria, else Qualifica), punteggio individuale 0–100 (rule 7 × 10:
    Σ partecipazione × valutazione / Σ partecipazione), raggiungimento medio degli obiettivi a cui ha
    lavorato pesato sulla partecipazione (objectives without a measured achievement are left out), part-time
    and presence % (Presenza %, else Mesi di servizio / 12; default 100)."""
    df = staff.copy()
    for col in ("matricola", "part_time", "presence", "service_months", "category"):
        if col not in df:
            df[col] = None
    df["participation"] = pd.to_numeric(df["participation"], errors="coerce").fillna(100.0)
    rows = []
    for n, (name, g) in enumerate(df.groupby("name", sort=False), start=1):
        graded = g[g["grade"].notna()]
        ptot = float(graded["participation"].sum())
        score = float((graded["participation"] * graded["grade"]).sum() / ptot * 10.0) if ptot > 0 else None
        ach = g["objective_code"].map(lambda c: achievement.get(str(c)))
        measured = g[ach.notna()]
        mp = float(measured["participation"].sum())
        avg = float((measured["participation"] * ach[ach.notna()].astype(float)).sum() / mp) if mp > 0 else None
        first = lambda col: next((v for v in g[col] if v is not None and not (isinstance(v, float) and math.isnan(v))), None)  # noqa: E731
        presence = first("presence")
        if presence is None and first("service_months") is not None:
            presence = float(first("service_months")) / 12.0 * 100.0
        matricola = first("matricola")
        rows.append({"id": str(matricola) if matricola else f"P{n:03d}", "name": name, "matricola": matricola,
                     "category": first("category") or first("role") or "non indicata", "score": score,
                     "participation_total": float(g["participation"].sum()), "achievement": avg,
                     "part_time": float(first("part_time") if first("part_time") is not None else 100.0),
                     "presence": float(presence if presence is not None else 100.0)})
    return pd.DataFrame(rows, columns=["id", "name", "matricola", "category", "score", "participation_total",
                                       "achievement", "part_time", "presence"])


def ranking_order(people: pd.DataFrame) -> list[int]:
    """Graduatoria: punteggio decrescente; a parità, più partecipazione complessiva agli obiettivi; poi
    identificativo crescente (matricola o pseudonimo). Reproducible: it depends only on the data."""
    keyed = [(-(s if s is not None and not math.isnan(s) else -1.0), -p, str(i), k)
             for k, (s, p, i) in enumerate(zip(people["score"], people["participation_total"], people["id"]))]
    return [k for *_, k in sorted(keyed)]


@dataclass(frozen=True)
class BonusResult:
    """The distribution: ``people`` (PEOPLE_COLUMNS, amounts in cents), the rules, the funds in cents."""
    rules: BonusRules
    provisional: bool
    people: pd.DataFrame
    fund_org: int
    fund_ind: int
    uplift_each: int
    year: int | None = None
    ente: str | None = None
    plan_id: int | None = None
    redacted: bool = False
    #: the validated record the figures rest on (:mod:`metrics.closing`): date, valutatore, SHA-256
    validated_on: dt.date | None = None
    validated_by: str | None = None
    validated_sha256: str | None = None
    #: the organisational share rests on the *netto* achievements (decided neutralisations / re-weightings)
    net: bool = False

    @property
    def status(self) -> str:
        if self.provisional:
            return PROVISIONAL
        return FINAL.format(date=fmt_date(self.validated_on) if self.validated_on else "—")

    @property
    def basis(self) -> str:
        """Which figures the amounts rest on, for tables, files and pages (Italian)."""
        fig = ("quota organizzativa sul raggiungimento netto degli obiettivi (neutralizzazioni e ripesature decise "
               "con atto)" if self.net else "quota organizzativa sul raggiungimento degli obiettivi (nessuno "
               "scostamento neutralizzato o ripesato)")
        if self.provisional:
            return f"{PROVISIONAL}: simulazione sui dati correnti, {fig}"
        sha = f", impronta SHA-256 {self.validated_sha256[:16]}…" if self.validated_sha256 else ""
        by = f" da {self.validated_by}" if self.validated_by else ""
        return f"Dati validati il {fmt_date(self.validated_on)}{by}{sha}; {fig}"

    def totals(self) -> dict[str, int]:
        p = self.people
        return {"organizzativa": int(p["org_cents"].sum()), "individuale": int(p["ind_cents"].sum()),
                "maggiorazione": int(p["uplift_cents"].sum()), "totale": int(p["total_cents"].sum()),
                "fondo": self.fund_org + self.fund_ind}


def compute(staff: pd.DataFrame, achievement: dict[str, float | None], rules: BonusRules,
            provisional: bool = True, **meta: Any) -> BonusResult:
    """Distribuzione del fondo (quota organizzativa, quota individuale, maggiorazione art. 81), in centesimi.

    - *Quota organizzativa*: fondo A × w_i / Σw, w_i = raggiungimento medio pesato sulla partecipazione ×
      part-time × presenza (0 sotto il punteggio minimo se ``min_score_organisational``).
    - *Quota individuale*: quota_i = B' × w_i / Σw, w_i = coefficiente × part-time × presenza × parametro
      di categoria, B' = fondo B meno le maggiorazioni.
    - *Maggiorazione*: ai primi della graduatoria (:func:`ranking_order`) tra chi riceve la quota individuale,
      per la quota del personale fissata (per difetto, almeno una persona); ciascuno riceve
      ⌈uplift% × B / N⌉ centesimi, N = persone con quota individuale (la media pro capite).
    Ogni importo è arrotondato con il metodo dei resti maggiori: le quote sommano al fondo al centesimo."""
    rules = validate_bonus(rules)
    people = person_table(staff, achievement)
    cat = dict(rules.category_weights)
    pt = people["part_time"] / 100.0 if rules.part_time else 1.0
    pr = people["presence"] / 100.0 if rules.presence else 1.0
    people["coefficient"] = [coefficient(s, rules) for s in people["score"]]
    eligible_org = [not rules.min_score_organisational or (s is not None and not math.isnan(s) and s >= rules.min_score)
                    for s in people["score"]]
    people["weight_org"] = (people["achievement"].fillna(0.0) / 100.0 * pt * pr).where(eligible_org, 0.0)
    people["weight_ind"] = people["coefficient"] * pt * pr * people["category"].map(lambda c: cat.get(str(c), 1.0))
    order = ranking_order(people)
    people["rank"] = 0
    for r, k in enumerate(order, start=1):
        people.loc[k, "rank"] = r
    fund_org, fund_ind = rules_cents(rules)
    # organisational share
    org = largest_remainder(fund_org, [Fraction(w) for w in people["weight_org"].iloc[order]])
    # uplift: top of the ranking among those with an individual share
    ranked_eligible = [k for k in order if people.loc[k, "weight_ind"] > 0]
    n = len(ranked_eligible)
    holders: list[int] = []
    uplift_each = 0
    if n and rules.uplift_share > 0 and fund_ind > 0:
        count = min(n, max(1, math.floor(n * rules.uplift_share / 100.0 + 1e-9)))
        holders = ranked_eligible[:count]
        if rules.tie_rule == TIE_ALL:
            last = people.loc[holders[-1], "score"]
            holders += [k for k in ranked_eligible[count:] if people.loc[k, "score"] == last]
        uplift_each = math.ceil(Fraction(uplift_base_cents(rules, fund_org, fund_ind))
                                * Fraction(str(rules.uplift_pct)) / 100 / n)
        if uplift_each * len(holders) > fund_ind:
            uplift_each = fund_ind // len(holders)
    base = largest_remainder(fund_ind - uplift_each * len(holders),
                             [Fraction(w) for w in people["weight_ind"].iloc[order]])
    people["org_cents"] = 0
    people["ind_cents"] = 0
    for pos, k in enumerate(order):
        people.loc[k, "org_cents"] = org[pos]
        people.loc[k, "ind_cents"] = base[pos]
    people["uplift"] = people.index.isin(holders)
    people["uplift_cents"] = people["uplift"].astype(int) * uplift_each
    people["total_cents"] = people["org_cents"] + people["ind_cents"] + people["uplift_cents"]
    people = people[PEOPLE_COLUMNS].astype({"org_cents": "int64", "ind_cents": "int64", "uplift_cents": "int64",
                                            "total_cents": "int64", "rank": "int64"})
    return BonusResult(rules, provisional, people, fund_org, fund_ind, uplift_each, **meta)


def uplift_base_cents(rules: BonusRules, fund_org: int, fund_ind: int) -> int:
    """The amount whose per-capita mean the uplift is a % of: the individual fund, or both funds."""
    return fund_ind + (fund_org if rules.uplift_base == UPLIFT_BASE_TOTAL else 0)


def rules_cents(rules: BonusRules) -> tuple[int, int]:
    return cents(rules.fund_organisational), cents(rules.fund_individual)


def redact(result: BonusResult) -> BonusResult:
    """Aggregates only (lettore, referente, valutatore): no names, identifiers, scores or per-person rows."""
    return dataclasses.replace(result, people=result.people.assign(id=None, name=None, matricola=None),
                               redacted=True)


# ---------------------------------------------------------------------- outputs
def result_dict(result: BonusResult) -> dict[str, Any]:
    """The JSON of ``python -m metrics premi`` (amounts in euro, 2 decimals)."""
    eur = lambda c: round(int(c) / 100, 2)  # noqa: E731
    t = result.totals()
    people = [] if result.redacted else [
        {"id": r.id, "organizzativa": eur(r.org_cents), "individuale": eur(r.ind_cents),
         "maggiorazione": eur(r.uplift_cents), "totale": eur(r.total_cents),
         "punteggio": None if r.score is None or math.isnan(r.score) else round(float(r.score), 2)}
        for r in result.people.sort_values("rank").itertuples()]
    return {"provisional": result.provisional, "stato": result.status, "preset": result.rules.key,
            "anno": result.year, "ente": result.ente,
            "dati_validati": None if result.provisional else {
                "data": result.validated_on.isoformat() if result.validated_on else None, "da": result.validated_by,
                "sha256": result.validated_sha256},
            "raggiungimento": "netto" if result.net else "lordo",
            "fund": {"organizzativa": eur(result.fund_org), "individuale": eur(result.fund_ind)},
            "people": people,
            "totals": {k: eur(v) for k, v in t.items()},
            "maggiorazione_pro_capite": eur(result.uplift_each),
            "criteri": dict(bonus_describe(result.rules))}


def _csv(rows: list[list[Any]], sep: str = ",") -> bytes:
    """RFC 4180: CRLF line ends, fields quoted when needed, UTF-8 (no BOM)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _dec(c: int) -> str:
    """Cents as a plain decimal with a dot (machine-readable CSV: «1234.56»)."""
    return f"{int(c) / 100:.2f}"


def payroll_csv(result: BonusResult) -> bytes:
    """File per gli stipendi: one row per person (matricola or pseudonym, quota organizzativa, quota
    individuale, maggiorazione, totale, anno del fondo, «Dati validati il» GG/MM/AAAA: the validated record the
    amounts rest on), then the reconciliation rows («TOTALE»,
    «FONDO», «DIFFERENZA»). Refused (:class:`PayrollRefused`) while provisional, or redacted."""
    if result.provisional:
        raise PayrollRefused(PAYROLL_REFUSED.format(year=result.year or ""))
    if result.redacted:
        raise PayrollRefused("Il file per gli stipendi contiene dati personali: riservato a direttore e amministratore.")
    header = ["Identificativo", "Quota organizzativa (EUR)", "Quota individuale (EUR)", "Maggiorazione (EUR)",
              "Totale (EUR)", "Anno del fondo", "Dati validati il"]
    on = fmt_date(result.validated_on) if result.validated_on else ""
    rows: list[list[Any]] = [header]
    p = result.people.sort_values("id", key=lambda s: s.astype(str))
    for r in p.itertuples():
        rows.append([r.id, _dec(r.org_cents), _dec(r.ind_cents), _dec(r.uplift_cents), _dec(r.total_cents),
                     result.year, on])
    t = result.totals()
    rows.append(["TOTALE", _dec(t["organizzativa"]), _dec(t["individuale"]), _dec(t["maggiorazione"]),
                 _dec(t["totale"]), result.year, on])
    rows.append(["FONDO", _dec(result.fund_org), _dec(result.fund_ind), "", _dec(t["fondo"]), result.year, on])
    rows.append(["DIFFERENZA", _dec(result.fund_org - t["organizzativa"]),
                 _dec(result.fund_ind - t["individuale"] - t["maggiorazione"]), "", _dec(t["fondo"] - t["totale"]),
                 result.year, on])
    return _csv(rows)


def score_bands(rules: BonusRules) -> list[tuple[str, float, float]]:
    """Fasce di valutazione dell'art. 20: ≥ 90, minimo–90, sotto il minimo (label, from, to-exclusive)."""
    lo = rules.min_score
    if lo >= 90:
        return [("≥ 90", 90.0, math.inf), ("< 90", -math.inf, 90.0)]
    return [("≥ 90", 90.0, math.inf), (f"{_n(lo)}–90", lo, 90.0), (f"< {_n(lo)}", -math.inf, lo)]


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def art20_tables(result: BonusResult) -> dict[str, pd.DataFrame]:
    """Dati relativi ai premi (d.lgs. 33/2013 art. 20), aggregated, no names. Four tables, each with a
    «Stato» column (PROVVISORIO before validation, then «definitivo — dati validati il GG/MM/AAAA»). Amounts in euro (2 decimals), units in the headers.

    - ``ammontare_premi``: ammontare complessivo stanziato, distribuito e pagato («pagato» = distributed
      once the Relazione is validated, 0 before: the payroll file is refused until then);
    - ``distribuzione_valutazioni``: persone per fascia di punteggio;
    - ``premi_per_categoria``: premio medio, minimo e massimo per categoria (the categories with fewer than
      ``publication_min_group`` people merged in «altre categorie»: no single bonus readable);
    - ``differenziazione``: grado di differenziazione (quota con maggiorazione, maggiorazione / media)."""
    p, t, st = result.people, result.totals(), result.status
    paid = 0 if result.provisional else 1
    eur = lambda c: round(int(c) / 100, 2)  # noqa: E731
    amount = pd.DataFrame([
        ["Performance organizzativa", eur(result.fund_org), eur(t["organizzativa"]), eur(t["organizzativa"] * paid)],
        ["Performance individuale (esclusa la maggiorazione)", eur(result.fund_ind - t["maggiorazione"]),
         eur(t["individuale"]), eur(t["individuale"] * paid)],
        ["Maggiorazione del premio individuale (art. 81 CCNL 16/11/2022)", eur(t["maggiorazione"]),
         eur(t["maggiorazione"]), eur(t["maggiorazione"] * paid)],
        ["Totale", eur(t["fondo"]), eur(t["totale"]), eur(t["totale"] * paid)],
    ], columns=["Voce", "Stanziato (EUR)", "Distribuito (EUR)", "Pagato (EUR)"])
    n = len(p)
    bands = []
    for label, lo, hi in score_bands(result.rules):
        k = int(((p["score"] >= lo) & (p["score"] < hi)).sum())
        bands.append([label, k, round(100.0 * k / n, 1) if n else 0.0])
    unscored = int(p["score"].isna().sum())
    if unscored:
        bands.append(["non valutati", unscored, round(100.0 * unscored / n, 1)])
    dist = pd.DataFrame(bands, columns=["Fascia di punteggio (punti su 100)", "Persone (numero)", "Persone (%)"])
    cats = []
    small = p["category"].map(p["category"].value_counts()) < result.rules.publication_min_group
    other = f"altre categorie (meno di {result.rules.publication_min_group} persone ciascuna)"
    for c, g in p.assign(category=p["category"].astype(str).where(~small, other)).groupby("category", sort=True):
        cats.append([c, len(g), eur(g["total_cents"].mean()), eur(g["total_cents"].min()), eur(g["total_cents"].max())])
    per_cat = pd.DataFrame(cats, columns=["Categoria", "Persone (numero)", "Premio medio (EUR)", "Premio minimo (EUR)",
                                          "Premio massimo (EUR)"])
    rewarded = int((p["ind_cents"] + p["uplift_cents"] > 0).sum())
    holders = int(p["uplift"].sum())
    mean_ind = (uplift_base_cents(result.rules, result.fund_org, result.fund_ind) / rewarded) if rewarded else 0
    diff = pd.DataFrame([
        ["Personale valutato", "numero", n],
        ["Personale con premio individuale", "numero", rewarded],
        ["Personale con maggiorazione", "numero", holders],
        ["Quota del personale premiato con maggiorazione", "%", round(100.0 * holders / rewarded, 1) if rewarded else 0.0],
        ["Quota fissata dal contratto integrativo", "%", result.rules.uplift_share],
        ["Premio medio pro capite (base della maggiorazione)", "EUR", eur(round(mean_ind))],
        ["Maggiorazione pro capite", "EUR", eur(result.uplift_each)],
        ["Maggiorazione in % del premio medio pro capite", "%",
         round(100.0 * result.uplift_each / mean_ind, 1) if mean_ind else 0.0],
    ], columns=["Indicatore", "Unità", "Valore"], dtype=object)
    out = {"ammontare_premi": amount, "distribuzione_valutazioni": dist, "premi_per_categoria": per_cat,
           "differenziazione": diff}
    return {k: v.assign(Stato=st) for k, v in out.items()}


ART20_DESCRIPTIONS = {
    "ammontare_premi": "Ammontare complessivo dei premi stanziati, distribuiti e pagati (art. 20, c. 1)",
    "distribuzione_valutazioni": "Distribuzione delle valutazioni per fascia di punteggio (art. 20, c. 2)",
    "premi_per_categoria": "Premio medio, minimo e massimo per categoria (art. 20, c. 2)",
    "differenziazione": "Grado di differenziazione dei premi: maggiorazione art. 81 CCNL (art. 20, c. 2)",
}


def criteria_table(result: BonusResult) -> pd.DataFrame:
    """I criteri di distribuzione (art. 20 c. 2), from the rules."""
    return pd.DataFrame(bonus_describe(result.rules), columns=["Criterio", "Valore"]).assign(Stato=result.status)


def table_csv(df: pd.DataFrame, sep: str = ",") -> bytes:
    """One table, one header row, RFC 4180, UTF-8: numbers with a dot, no thousands separator."""
    rows = [list(df.columns)] + [["" if v is None or (isinstance(v, float) and math.isnan(v)) else v
                                  for v in r] for r in df.itertuples(index=False)]
    return _csv(rows, sep)


# ---------------------------------------------------------------------- storage and gate
def current_rules(db: Database, ente: str, year: int) -> tuple[BonusRules, int]:
    """The latest stored bonus rules of (ente, year) and their version; (preset «fasce» with no fund, 0)."""
    rows = db.rows("SELECT version, params_json FROM bonus_rules WHERE ente = ? AND year = ? "
                   "ORDER BY version DESC LIMIT 1", [ente, int(year)])
    if not rows:
        return BONUS_PRESETS["fasce"], 0
    return BonusRules.from_json(rows[0][1]), int(rows[0][0])


def save_rules(db: Database, ente: str, year: int, rules: BonusRules, user: str, source: str = "pagina",
               plan_id: int | None = None) -> int:
    """Store ``rules`` as a new version for (ente, year); one «profilo» event in the same transaction."""
    rules = validate_bonus(rules)
    with db.transaction() as cur:
        version = int(cur.execute("SELECT coalesce(max(version), 0) + 1 FROM bonus_rules WHERE ente = ? AND year = ?",
                                  [ente, int(year)]).fetchone()[0])
        cur.execute("INSERT INTO bonus_rules (rules_id, ente, year, version, name, params_json, source, saved_at, "
                    "saved_by) VALUES (nextval('seq_bonus_rules'), ?, ?, ?, ?, ?, ?, ?, ?)",
                    [ente, int(year), version, rules.name, rules.to_json(), source,
                     dt.datetime.now().replace(microsecond=0), user or "?"])
        audit.record(cur, user, "profilo", plan_id=plan_id,
                     detail=f"{ente} {year}: regole dei premi «{rules.name}» versione {version} ({source})")
    return version


def validated(db: Database, plan_id: int, year: int) -> bool:
    """Is the Relazione of (plan, year) validated? THE one gate of every bonus output: the Nucleo/OIV's decision
    in the year-end workflow (:func:`metrics.closing.is_validated`: *validata* or *validata con rilievi*, not
    reopened), never a flag of the bonus rules (d.lgs. 150/2009 art. 14 c. 6)."""
    from metrics.closing import is_validated

    return is_validated(db, int(plan_id), int(year))


def org_achievement(pm) -> tuple[dict[str, float | None], bool]:
    """Raggiungimento per obiettivo della quota organizzativa: the *netto* achievement (``pm.net``, after the
    neutralisations and re-weightings whose act is recorded, :func:`metrics.variances.net_figures`) when present,
    else the measured one. A neutralised objective, or one re-weighted to 0, does not count for anybody's share.
    Returns ({code: achievement or None}, whether any net figure differs from the gross one)."""
    val = lambda a: None if a is None or (isinstance(a, float) and math.isnan(a)) else float(a)  # noqa: E731
    gross = {str(c): val(a) for c, a in zip(pm.objectives["code"], pm.objectives["achievement"])}
    net = getattr(pm, "net", None)
    if not net or net.get("objectives") is None or not net["objectives"]["treated"].any():
        return gross, False
    out = dict(gross)
    for r in net["objectives"].itertuples():
        if r.treated:
            out[str(r.code)] = None if r.weight_net == 0 else val(r.net)
    return out, True


def compute_for_plan(db: Database, plan_id: int, year: int | None = None, rules: BonusRules | None = None,
                     preset: str | None = None, fund: tuple[float, float] | None = None,
                     who: str | None = None) -> BonusResult:
    """The distribution for a plan: the staff and the objectives' achievement (:func:`org_achievement`: the
    *netto* figures once a treatment is decided; a validated year shows its validated version), the stored rules (or ``rules``; ``preset`` and ``fund``
    override them), the validation gate. Recorded in the Registro as «calcolo premi» when ``who`` is given."""
    from metrics.engine import plan_metrics

    pm = plan_metrics(db, plan_id, year=year)
    y = pm.ctx.year
    stored, _ = current_rules(db, pm.ctx.ente, y)
    r = rules or stored
    if preset:
        b = bonus_preset(preset)
        r = dataclasses.replace(b, fund_organisational=r.fund_organisational, fund_individual=r.fund_individual,
                                uplift_pct=r.uplift_pct, uplift_share=r.uplift_share)
    if fund is not None:
        r = dataclasses.replace(r, fund_organisational=float(fund[0]), fund_individual=float(fund[1]))
    from store.closing import valid_snapshot

    achievement, net = org_achievement(pm)
    snap = valid_snapshot(db, pm.ctx.plan_id, y) if validated(db, pm.ctx.plan_id, y) else None
    res = compute(pm.staff, achievement, r, provisional=snap is None, year=y, ente=pm.ctx.ente,
                  plan_id=pm.ctx.plan_id, net=net,
                  validated_on=None if snap is None else pd.Timestamp(snap.validated_at).date(),
                  validated_by=None if snap is None else snap.validated_by,
                  validated_sha256=None if snap is None else snap.sha256)
    if who is not None:
        t = res.totals()
        audit.record(db, who, "calcolo premi", plan_id=pm.ctx.plan_id, import_id=pm.ctx.import_id,
                     detail=f"anno {y}, regole «{r.name}», fondo {fmt_eur(t['fondo'])}, distribuiti "
                            f"{fmt_eur(t['totale'])}" + (f", {PROVISIONAL}" if res.provisional else f", {res.status}")
                            + (", raggiungimento netto" if net else ""))
    return res


__all__ = ["PROVISIONAL", "BonusResult", "PayrollRefused", "art20_tables", "coefficient", "compute",
           "compute_for_plan", "criteria_table", "current_rules", "largest_remainder", "org_achievement", "payroll_csv",
           "person_table", "redact", "result_dict", "save_rules", "table_csv", "validated"]
