"""The measuring system (*Sistema di misurazione e valutazione della performance*, SMVP) as a profile.

Every choice the spec leaves to the consortium's SMVP is a parameter of :class:`Profile`, never a
literal in code: what a *continuativo* step verified *in corso* is worth, what ``parziale`` without a
percentage, ``in corso`` and ``rinviato`` count, whether neutralised steps are excluded or counted as
achieved, the colour bands, the scoring function (rule 9) and its table, the slippage tolerance and
the forecast's default rate (rule 8). Three presets: *Predefinito*, *Fasce 0/50/75/100*, *Lineare con
soglia 60%*.

Pure Python (no pandas, no Streamlit): used by the importer (optional sheet «Sistema di misurazione»),
the metrics and the exports.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

NEUTRALIZED_EXCLUDE, NEUTRALIZED_ACHIEVED = "escludi", "raggiunto"
SCORING_RAW, SCORING_BANDS, SCORING_LINEAR = "grezzo", "fasce", "lineare"
PLAN_SCORE_MEAN, PLAN_SCORE_FROM_ACHIEVEMENT = "media", "piano"

SCORING_LABELS = {SCORING_RAW: "grezzo (punteggio = raggiungimento)", SCORING_BANDS: "a fasce",
                  SCORING_LINEAR: "lineare con soglia"}
NEUTRALIZED_LABELS = {NEUTRALIZED_EXCLUDE: "esclusi dal calcolo", NEUTRALIZED_ACHIEVED: "contati come raggiunti"}
PLAN_SCORE_LABELS = {PLAN_SCORE_MEAN: "media pesata dei punteggi degli obiettivi",
                     PLAN_SCORE_FROM_ACHIEVEMENT: "punteggio del raggiungimento del piano"}


@dataclass(frozen=True)
class Profile:
    """One measuring system. Percentages are on the 0–100 scale."""
    key: str = "predefinito"
    name: str = "Predefinito"
    #: Valore di uno step continuativo verificato «in corso» (l'attività ricorrente è svolta).
    continuous_in_progress: float = 100.0
    #: Valore di «parziale» senza percentuale indicata.
    partial_default: float = 0.0
    #: Valore di «in corso» (step con termine) senza percentuale indicata.
    in_progress_value: float = 0.0
    #: Valore di «rinviato» senza percentuale indicata.
    postponed_value: float = 0.0
    #: Step neutralizzati: esclusi dal calcolo (predefinito) o contati come raggiunti.
    neutralized: str = NEUTRALIZED_EXCLUDE
    #: Fascia verde da (raggiungimento ≥).
    green_from: float = 90.0
    #: Fascia gialla da (raggiungimento ≥); sotto è rossa.
    yellow_from: float = 60.0
    #: Funzione di punteggio (regola 9).
    scoring: str = SCORING_RAW
    #: Tabella delle fasce: (raggiungimento da, punti), crescente.
    score_bands: tuple[tuple[float, float], ...] = ((0.0, 0.0), (50.0, 50.0), (75.0, 75.0), (100.0, 100.0))
    #: Soglia della funzione lineare: sotto vale 0 punti.
    linear_threshold: float = 60.0
    #: Punti alla soglia (da lì lineare fino a 100 punti al 100%).
    linear_threshold_points: float = 60.0
    #: Punteggio del piano: media pesata dei punteggi degli obiettivi, o punteggio del raggiungimento del piano.
    plan_score: str = PLAN_SCORE_MEAN
    #: Tolleranza di slittamento: giorni oltre il termine ancora «in tempo».
    slip_tolerance_days: int = 0
    #: Previsione: tasso atteso per gli step aperti quando nessuno step è ancora scaduto.
    forecast_default_rate: float = 50.0

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score_bands"] = [list(b) for b in self.score_bands]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Profile":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "score_bands" in kw:
            kw["score_bands"] = tuple((float(a), float(b)) for a, b in kw["score_bands"])
        return validate(cls(**kw))

    @classmethod
    def from_json(cls, text: str) -> "Profile":
        return cls.from_dict(json.loads(text))

    def params(self) -> dict[str, Any]:
        """The parameters only (no key/name): two profiles with equal params compute the same figures."""
        d = self.to_dict()
        d.pop("key"), d.pop("name")
        return d

    def same_params(self, other: "Profile") -> bool:
        return self.params() == other.params()


PREDEFINITO = Profile()
FASCE = Profile(key="fasce", name="Fasce 0/50/75/100", scoring=SCORING_BANDS)
LINEARE = Profile(key="lineare", name="Lineare con soglia 60%", scoring=SCORING_LINEAR,
                  linear_threshold=60.0, linear_threshold_points=60.0)
PRESETS: dict[str, Profile] = {p.key: p for p in (PREDEFINITO, FASCE, LINEARE)}
PRESET_DESCRIPTIONS = {
    "predefinito": "Il punteggio è il raggiungimento stesso; continuativi in corso al 100%; neutralizzati esclusi.",
    "fasce": "Punteggio a fasce: sotto 50% → 0, da 50% → 50, da 75% → 75, 100% → 100.",
    "lineare": "Sotto il 60% il punteggio è 0; dal 60% (60 punti) al 100% (100 punti) cresce in modo lineare.",
}


def preset(key: str) -> Profile:
    """A preset by key (``predefinito``, ``fasce``, ``lineare``) or by its Italian name."""
    k = _key(key)
    for p in PRESETS.values():
        if k in (_key(p.key), _key(p.name)):
            return p
    raise KeyError(f"profilo «{key}» sconosciuto: usare predefinito, fasce o lineare")


# ---------------------------------------------------------------------- labels (Italian)
#: (field, Italian label (= «Campo» of the workbook sheet), description, kind)
PARAMS: tuple[tuple[str, str, str, str], ...] = (
    ("continuous_in_progress", "Continuativo in corso",
     "Quanto vale uno step continuativo («Al bisogno», «Cadenza mensile») verificato «in corso».", "pct"),
    ("partial_default", "Parziale senza percentuale",
     "Quanto vale uno step «parziale» quando la verifica non indica la percentuale.", "pct"),
    ("in_progress_value", "In corso",
     "Quanto vale uno step con termine verificato «in corso» senza percentuale.", "pct"),
    ("postponed_value", "Rinviato",
     "Quanto vale uno step «rinviato» (dilazione, proroga) senza percentuale.", "pct"),
    ("neutralized", "Neutralizzati",
     "Step neutralizzati per cause non imputabili: esclusi dal calcolo o contati come raggiunti.", "neutralized"),
    ("green_from", "Fascia verde da", "Raggiungimento minimo della fascia verde.", "pct"),
    ("yellow_from", "Fascia gialla da", "Raggiungimento minimo della fascia gialla (sotto è rossa).", "pct"),
    ("scoring", "Funzione di punteggio",
     "Come il raggiungimento diventa punteggio: grezzo, a fasce, lineare con soglia.", "scoring"),
    ("score_bands", "Fasce di punteggio",
     "Per il punteggio a fasce: raggiungimento minimo → punti (es. 0→0; 50→50; 75→75; 100→100).", "bands"),
    ("linear_threshold", "Soglia lineare", "Per il punteggio lineare: sotto la soglia il punteggio è 0.", "pct"),
    ("linear_threshold_points", "Punti alla soglia",
     "Per il punteggio lineare: punti alla soglia; da lì lineare fino a 100 punti al 100%.", "num"),
    ("plan_score", "Punteggio del piano",
     "Media pesata dei punteggi degli obiettivi, oppure punteggio del raggiungimento del piano.", "plan_score"),
    ("slip_tolerance_days", "Tolleranza di slittamento (giorni)",
     "Giorni di ritardo oltre il termine ancora considerati «in tempo».", "int"),
    ("forecast_default_rate", "Tasso di previsione predefinito",
     "Previsione a fine anno: quota attesa degli step aperti quando nessuno step è ancora scaduto.", "pct"),
)
LABELS = {f: label for f, label, _, _ in PARAMS}
DESCRIPTIONS = {f: desc for f, _, desc, _ in PARAMS}


def _num(x: float) -> str:
    return (f"{x:.1f}".rstrip("0").rstrip(".")).replace(".", ",")


def fmt_bands(bands: tuple[tuple[float, float], ...]) -> str:
    return "; ".join(f"{_num(a)}→{_num(b)}" for a, b in bands)


def param_text(p: Profile, fname: str) -> str:
    """One parameter's value, in Italian (as the workbook sheet accepts it back)."""
    kind = next(k for f, _, _, k in PARAMS if f == fname)
    v = getattr(p, fname)
    if kind == "pct":
        return f"{_num(v)}%"
    if kind == "bands":
        return fmt_bands(v)
    if kind == "scoring":
        return SCORING_LABELS[v]
    if kind == "neutralized":
        return NEUTRALIZED_LABELS[v]
    if kind == "plan_score":
        return PLAN_SCORE_LABELS[v]
    return _num(v)


def describe(p: Profile) -> list[tuple[str, str, str]]:
    """(label, value, description) of every parameter, in Italian."""
    return [(label, param_text(p, f), desc) for f, label, desc, _ in PARAMS]


def scoring_sentence(p: Profile) -> str:
    """The scoring function in one Italian sentence."""
    if p.scoring == SCORING_BANDS:
        return "punteggio a fasce: " + ", ".join(f"da {_num(a)}% → {_num(b)} punti" for a, b in p.score_bands)
    if p.scoring == SCORING_LINEAR:
        return (f"punteggio lineare con soglia: sotto {_num(p.linear_threshold)}% → 0 punti, da "
                f"{_num(p.linear_threshold)}% ({_num(p.linear_threshold_points)} punti) a 100% (100 punti) lineare")
    return "punteggio grezzo: il punteggio è il raggiungimento"


# ---------------------------------------------------------------------- validation, sheet
class ProfileError(ValueError):
    """An invalid profile value; the message is Italian."""


def validate(p: Profile) -> Profile:
    for f, label, _, kind in PARAMS:
        v = getattr(p, f)
        if kind == "pct" and not (0.0 <= float(v) <= 100.0):
            raise ProfileError(f"«{label}»: {v} fuori dall'intervallo 0–100%")
    if p.yellow_from > p.green_from:
        raise ProfileError("«Fascia gialla da» non può superare «Fascia verde da»")
    if p.neutralized not in NEUTRALIZED_LABELS:
        raise ProfileError(f"«Neutralizzati»: «{p.neutralized}» non valido (escludi o raggiunto)")
    if p.scoring not in SCORING_LABELS:
        raise ProfileError(f"«Funzione di punteggio»: «{p.scoring}» non valida (grezzo, fasce o lineare)")
    if p.plan_score not in PLAN_SCORE_LABELS:
        raise ProfileError(f"«Punteggio del piano»: «{p.plan_score}» non valido (media o piano)")
    b = p.score_bands
    if not b or any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
        raise ProfileError("«Fasce di punteggio»: soglie crescenti, es. 0→0; 50→50; 75→75; 100→100")
    if p.slip_tolerance_days < 0:
        raise ProfileError("«Tolleranza di slittamento»: i giorni non possono essere negativi")
    return p


def _key(text: Any) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", str(text or "")) if not unicodedata.combining(c))
    return re.sub(r"[\s_.()%/]+", "", s.lower())


def _pct(text: str) -> float:
    s = str(text).strip().rstrip("%").strip().replace(",", ".")
    v = float(s)
    return v * 100.0 if 0 < v <= 1 and "%" not in str(text) and "." in s else v


_CHOICES = {
    "neutralized": {"escludi": NEUTRALIZED_EXCLUDE, "esclusi": NEUTRALIZED_EXCLUDE, "raggiunto": NEUTRALIZED_ACHIEVED,
                    "raggiunti": NEUTRALIZED_ACHIEVED, "contati": NEUTRALIZED_ACHIEVED},
    "scoring": {"grezzo": SCORING_RAW, "fasce": SCORING_BANDS, "afasce": SCORING_BANDS, "lineare": SCORING_LINEAR,
                "lineareconsoglia": SCORING_LINEAR},
    "plan_score": {"media": PLAN_SCORE_MEAN, "piano": PLAN_SCORE_FROM_ACHIEVEMENT,
                   "punteggiodelraggiungimento": PLAN_SCORE_FROM_ACHIEVEMENT},
}


def parse_value(fname: str, kind: str, raw: Any) -> Any:
    if kind == "pct":
        return _pct(raw) if not isinstance(raw, (int, float)) else (float(raw) * 100.0 if 0 < raw < 1 else float(raw))
    if kind == "num":
        return float(str(raw).replace(",", "."))
    if kind == "int":
        return int(float(str(raw).replace(",", ".")))
    if kind == "bands":
        pairs = re.findall(r"(\d+(?:[.,]\d+)?)\s*%?\s*(?:→|->|=|:)\s*(\d+(?:[.,]\d+)?)", str(raw))
        if not pairs:
            nums = re.findall(r"\d+(?:[.,]\d+)?", str(raw))   # «0/50/75/100»: thresholds = points
            pairs = [(n, n) for n in nums]
        if not pairs:
            raise ValueError
        return tuple((float(a.replace(",", ".")), float(b.replace(",", "."))) for a, b in pairs)
    k = _key(raw)
    for word, value in _CHOICES[kind].items():
        if k.startswith(word):
            return value
    raise ValueError


def from_fields(rows: list[tuple[Any, Any]]) -> tuple[Profile | None, list[str]]:
    """A profile from the workbook sheet «Sistema di misurazione» (``Campo``/``Valore`` rows).

    A ``Profilo`` row names the preset to start from (default *Predefinito*); every other row sets the
    parameter with that Italian label. Returns (profile, Italian error messages)."""
    errors: list[str] = []
    base = PREDEFINITO
    by_label = {_key(label): (f, label, kind) for f, label, _, kind in PARAMS}
    changes: dict[str, Any] = {}
    for campo, valore in rows:
        if campo is None or str(campo).strip() == "":
            continue
        k = _key(campo)
        if valore is None or str(valore).strip() == "":
            continue
        if k in ("profilo", "preset", "nome"):
            try:
                base = preset(str(valore))
            except KeyError as exc:
                errors.append(str(exc.args[0]))
            continue
        hit = by_label.get(k)
        if hit is None:
            errors.append(f"campo «{campo}» sconosciuto (campi ammessi: Profilo, "
                          + ", ".join(label for _, label, _, _ in PARAMS) + ")")
            continue
        f, label, kind = hit
        try:
            changes[f] = parse_value(f, kind, valore)
        except (ValueError, TypeError):
            errors.append(f"«{label}»: valore «{valore}» non valido")
    if errors:
        return None, errors
    p = replace(base, **changes) if changes else base
    if changes and not p.same_params(base):
        same = next((q for q in PRESETS.values() if p.same_params(q)), None)
        p = same or replace(p, key="personalizzato", name=f"{base.name} (personalizzato)")
    try:
        return validate(p), []
    except ProfileError as exc:
        return None, [str(exc)]


def sheet_rows(p: Profile) -> list[tuple[str, str]]:
    """The Campo/Valore rows that write ``p`` back (template and exports)."""
    return [("Profilo", p.name if p.key in PRESETS else PREDEFINITO.name)] + \
        [(label, param_text(p, f)) for f, label, _, _ in PARAMS]


# ====================================================================== bonus rules (issue 17)
BONUS_BANDS, BONUS_PROPORTIONAL, BONUS_PERCENT = "fasce", "proporzionale", "percentuali"
BONUS_RULE_LABELS = {BONUS_BANDS: "fasce con coefficienti", BONUS_PROPORTIONAL: "proporzionale al punteggio",
                     BONUS_PERCENT: "percentuale del premio per fascia"}
TIE_ORDER, TIE_ALL = "ordine", "tutti"
TIE_LABELS = {TIE_ORDER: "a parità di punteggio: più partecipazione agli obiettivi, poi identificativo crescente",
              TIE_ALL: "a parità di punteggio al margine la maggiorazione va a tutti i pari merito"}
UPLIFT_BASE_INDIVIDUAL, UPLIFT_BASE_TOTAL = "individuale", "complessivo"
UPLIFT_BASE_LABELS = {UPLIFT_BASE_INDIVIDUAL: "media dei premi individuali (fondo individuale / premiati)",
                      UPLIFT_BASE_TOTAL: "media dei premi complessivi (fondo organizzativo + individuale / premiati)"}
#: The differentiation uplift is «non inferiore al 30% del valore medio pro-capite» (CCNL 16/11/2022, art. 81).
MIN_UPLIFT_PCT = 30.0


@dataclass(frozen=True)
class BonusRules:
    """Le regole dei premi del SMVP (fondo risorse decentrate, CCNL Funzioni Locali 16/11/2022 artt. 80–81).

    Amounts in euro; scores on the 0–100 scale (the individual evaluation 0–10 × 10). Every choice the
    law or the contract leaves to the ente is a parameter here, never a literal in the computation."""
    key: str = BONUS_BANDS
    name: str = "Fasce con coefficienti"
    #: Fondo per la performance organizzativa (€).
    fund_organisational: float = 0.0
    #: Fondo per la performance individuale (€), comprensivo della maggiorazione.
    fund_individual: float = 0.0
    #: Punteggio minimo (0–100): sotto non si riceve il premio individuale.
    min_score: float = 60.0
    #: Il punteggio minimo vale anche per la quota organizzativa (molti SMVP: «sotto la soglia nulla è dovuto»).
    min_score_organisational: bool = True
    #: Regola: fasce con coefficienti, proporzionale, percentuali per fascia.
    rule: str = BONUS_BANDS
    #: Fasce: (punteggio da, coefficiente), crescente. Per «percentuali» il coefficiente è la % del premio.
    bands: tuple[tuple[float, float], ...] = ((0.0, 0.0), (60.0, 100.0), (70.0, 150.0), (80.0, 200.0))
    #: Proporzionale: dal punteggio minimo il coefficiente è punteggio / «pieno da»; pieno (1) da qui in su.
    full_from: float = 95.0
    #: Riproporzionare per il part-time (colonna «Part-time %»).
    part_time: bool = True
    #: Riproporzionare per la presenza («Presenza %» o «Mesi di servizio» / 12).
    presence: bool = True
    #: Parametro per categoria (facoltativo): categoria → coefficiente; le categorie assenti valgono 1.
    category_weights: tuple[tuple[str, float], ...] = ()
    #: Maggiorazione del premio individuale (art. 81): % della media pro capite, almeno 30.
    uplift_pct: float = 30.0
    #: Quota del personale (tra chi riceve il premio individuale) che riceve la maggiorazione, in %.
    uplift_share: float = 10.0
    #: Base della maggiorazione: «valore medio pro-capite dei premi attribuiti» (art. 81 c. 2) inteso come media
    #: dei soli premi individuali (fondo individuale / premiati) o dei premi complessivi (entrambi i fondi / premiati).
    uplift_base: str = UPLIFT_BASE_INDIVIDUAL
    #: Regola dei pari merito al margine della quota.
    tie_rule: str = TIE_ORDER
    #: Tabelle art. 20: le categorie con meno persone di così sono unite in «altre categorie» (nessun premio
    #: individuale riconoscibile in una tabella pubblicata; 1 = nessuna unione).
    publication_min_group: int = 3
    # No «relazione validata» flag here: only the Nucleo/OIV's validation (metrics.closing.is_validated) unlocks
    # payment (art. 14 c. 6 d.lgs. 150/2009). Rules saved with the old flag still load: from_dict drops it.

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bands"] = [list(b) for b in self.bands]
        d["category_weights"] = [list(c) for c in self.category_weights]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BonusRules":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "bands" in kw:
            kw["bands"] = tuple((float(a), float(b)) for a, b in kw["bands"])
        if "category_weights" in kw:
            kw["category_weights"] = tuple((str(a), float(b)) for a, b in kw["category_weights"])
        return validate_bonus(cls(**kw))

    @classmethod
    def from_json(cls, text: str) -> "BonusRules":
        return cls.from_dict(json.loads(text))


BONUS_FASCE = BonusRules()
BONUS_PROPORZIONALE = BonusRules(key=BONUS_PROPORTIONAL, name="Proporzionale 60–94, pieno da 95",
                                 rule=BONUS_PROPORTIONAL, bands=((0.0, 0.0), (60.0, 1.0)), full_from=95.0)
BONUS_PERCENTUALI = BonusRules(key=BONUS_PERCENT, name="Percentuali 0/25/50/75/100 per fascia", rule=BONUS_PERCENT,
                               bands=((0.0, 0.0), (60.0, 25.0), (70.0, 50.0), (80.0, 75.0), (90.0, 100.0)))
BONUS_PRESETS: dict[str, BonusRules] = {b.key: b for b in (BONUS_FASCE, BONUS_PROPORZIONALE, BONUS_PERCENTUALI)}
BONUS_PRESET_DESCRIPTIONS = {
    BONUS_BANDS: "Sotto 60 nessun premio; 60–70 → coefficiente 100, 70–80 → 150, da 80 → 200.",
    BONUS_PROPORTIONAL: "Sotto 60 nessun premio; da 60 a 94 premio proporzionale al punteggio (punteggio/95); "
                        "pieno da 95.",
    BONUS_PERCENT: "Sotto 60 nessun premio; 60–70 → 25%, 70–80 → 50%, 80–90 → 75%, da 90 → 100% del premio.",
}


def bonus_preset(key: str) -> BonusRules:
    """A bonus-rules preset by key (``fasce``, ``proporzionale``, ``percentuali``)."""
    k = _key(key)
    for b in BONUS_PRESETS.values():
        if k in (_key(b.key), _key(b.name)):
            return b
    raise KeyError(f"regole dei premi «{key}» sconosciute: usare fasce, proporzionale o percentuali")


def validate_bonus(b: BonusRules) -> BonusRules:
    """Check a set of bonus rules; Italian :class:`ProfileError` messages."""
    if b.fund_organisational < 0 or b.fund_individual < 0:
        raise ProfileError("«Fondo»: gli importi non possono essere negativi")
    if not 0.0 <= b.min_score <= 100.0:
        raise ProfileError(f"«Punteggio minimo»: {b.min_score} fuori dall'intervallo 0–100")
    if b.rule not in BONUS_RULE_LABELS:
        raise ProfileError(f"«Regola dei premi»: «{b.rule}» non valida (fasce, proporzionale o percentuali)")
    bands = b.bands
    if not bands or any(bands[i][0] >= bands[i + 1][0] for i in range(len(bands) - 1)):
        raise ProfileError("«Fasce dei premi»: soglie crescenti, es. 0→0; 60→100; 70→150; 80→200")
    if any(c < 0 for _, c in bands) or any(c < 0 for _, c in b.category_weights):
        raise ProfileError("«Coefficienti»: non possono essere negativi")
    if b.rule == BONUS_PERCENT and any(c > 100 for _, c in bands):
        raise ProfileError("«Percentuali per fascia»: al massimo 100%")
    if not 0.0 < b.full_from <= 100.0:
        raise ProfileError("«Pieno da»: un punteggio tra 0 e 100")
    if b.uplift_pct < MIN_UPLIFT_PCT:
        raise ProfileError(f"«Maggiorazione»: almeno {_num(MIN_UPLIFT_PCT)}% della media pro capite "
                           "(CCNL Funzioni Locali 16/11/2022, art. 81)")
    if not 0.0 <= b.uplift_share <= 100.0:
        raise ProfileError("«Quota del personale con maggiorazione»: tra 0 e 100%")
    if int(b.publication_min_group) < 1:
        raise ProfileError("«Persone minime per categoria pubblicata»: almeno 1")
    if b.uplift_base not in UPLIFT_BASE_LABELS:
        raise ProfileError(f"«Base della maggiorazione»: «{b.uplift_base}» non valida (individuale o complessivo)")
    if b.tie_rule not in TIE_LABELS:
        raise ProfileError(f"«Pari merito»: «{b.tie_rule}» non valido (ordine o tutti)")
    return b


def bonus_describe(b: BonusRules) -> list[tuple[str, str]]:
    """(label, value) of the bonus rules, in Italian (the art. 20 «criteri» and the page)."""
    from_eur = lambda x: f"{x:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")  # noqa: E731
    rows = [("Regole", b.name), ("Fondo performance organizzativa", from_eur(b.fund_organisational)),
            ("Fondo performance individuale", from_eur(b.fund_individual)),
            ("Punteggio minimo", f"{_num(b.min_score)}/100" + (" (anche per la quota organizzativa)"
                                                               if b.min_score_organisational else "")),
            ("Regola", BONUS_RULE_LABELS[b.rule])]
    if b.rule == BONUS_PROPORTIONAL:
        rows.append(("Proporzionale", f"dal minimo coefficiente = punteggio/{_num(b.full_from)}; pieno da "
                                      f"{_num(b.full_from)}"))
    else:
        unit = "%" if b.rule == BONUS_PERCENT else ""
        rows.append(("Fasce", "; ".join(f"da {_num(a)} → {_num(c)}{unit}" for a, c in b.bands)))
    rows += [("Part-time", "riproporzionato" if b.part_time else "non considerato"),
             ("Presenza", "riproporzionata" if b.presence else "non considerata"),
             ("Parametro per categoria", "; ".join(f"{c} → {_num(v)}" for c, v in b.category_weights) or "nessuno"),
             ("Maggiorazione (art. 81)", f"{_num(b.uplift_pct)}% della media pro capite, al {_num(b.uplift_share)}% "
                                         "del personale premiato"),
             ("Base della maggiorazione", UPLIFT_BASE_LABELS[b.uplift_base]),
             ("Pari merito", TIE_LABELS[b.tie_rule]),
             ("Tabelle pubblicate", f"categorie con meno di {b.publication_min_group} persone unite in «altre categorie»"
              if b.publication_min_group > 1 else "ogni categoria separata")]
    return rows
