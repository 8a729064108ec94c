"""One identity per ente: the ``enti`` table, its aliases, matching, merge and its undo.

* An uploaded plan's ente is matched by **Codice IPA** first, then by its **normalised name**
  (accents, case, punctuation and spaces ignored: «C.S.S.M.» = «CSSM»), then by a **registered alias**.
  An ente merged into another resolves to the one that absorbed it.
* :func:`similar_enti` finds the enti an unknown name *looks like* (same acronym — «C.S.S.M. - Consorzio…»
  and «CSSM» — or one name contained in the other): the upload page asks «È lo stesso ente di «CSSM»?».
* :func:`merge_enti` moves every plan (with all its versions) of one ente to another, in one transaction,
  audited as «unione enti»; :func:`unmerge_enti` moves exactly those plans back («separazione enti»).
* :func:`migrate` gives the databases created before this module an ``enti`` row per distinct
  ``plans.ente`` (idempotent: only plans without ``ente_id`` are touched). ``plans.ente`` stays the
  ente's display name, so every reader keeps working.

No Streamlit here: the upload page, the «Enti» page and ``python -m store enti`` call these functions.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pandas as pd

from store import audit

#: Words ignored when a name is compared (articles, prepositions).
_STOP = {"di", "del", "della", "dei", "degli", "delle", "dello", "per", "i", "il", "la", "le", "lo", "l", "e", "ed",
         "a", "al", "ai", "alla", "in", "da", "d"}
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b\.?)?")   # C.S.S.M. / C.I.S.A.
_CAPS = re.compile(r"\b[A-Z]{3,10}\b")                          # CSSM, CISSA
IPA_RE = re.compile(r"^[A-Za-z0-9_]{2,20}$")


class EnteError(ValueError):
    """A refused ente operation (Italian message)."""


@dataclass(frozen=True)
class Match:
    ente_id: int
    nome: str
    how: str   # "codice IPA" | "nome" | "alias" | "scelta" (chosen on the upload page)


# ----------------------------------------------------------------------------- names
def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def name_key(name: str | None) -> str:
    """Normalised name: no accents, lower case, dots dropped (``C.S.S.M.`` → ``cssm``), any other
    punctuation a space, spaces collapsed."""
    s = _ascii(str(name or "")).lower().replace(".", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def acronyms(name: str | None) -> set[str]:
    """The acronyms written in a name: dotted (``C.S.S.M.``) or in capitals (``CSSM``), 3+ letters."""
    s = _ascii(str(name or ""))
    found = {m.group(0).replace(".", "").upper() for m in _DOTTED.finditer(s)}
    found |= set(_CAPS.findall(s))
    return {a for a in found if len(a) >= 3}


def _contains(short: str, long: str) -> bool:
    """Whole words of ``short`` appear, in order and contiguous, in ``long`` (ignoring stop words)."""
    a = [w for w in short.split() if w not in _STOP]
    b = [w for w in long.split() if w not in _STOP]
    if not a or len("".join(a)) < 3 or len(a) > len(b):
        return False
    return any(b[i:i + len(a)] == a for i in range(len(b) - len(a) + 1))


def looks_alike(a: str, b: str) -> str | None:
    """Why two different names may be the same ente («stessa sigla …», «… contenuto in …»), or None."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb or ka == kb:
        return None
    common = acronyms(a) & acronyms(b)
    if common:
        return f"stessa sigla {sorted(common)[0]}"
    if _contains(ka, kb) or _contains(kb, ka):
        short, long = (a, b) if len(ka) <= len(kb) else (b, a)
        return f"«{short}» è contenuto in «{long}»"
    return None


def clean_ipa(code: Any) -> str | None:
    """A Codice IPA as stored (trimmed, lower case) or None when not given."""
    s = str(code or "").strip()
    return s.lower() or None


# ----------------------------------------------------------------------------- reading
def resolve(cur, ente_id: int) -> tuple[int, str]:
    """Follow ``merged_into`` to the ente that stands for ``ente_id`` now."""
    seen = set()
    while True:
        row = cur.execute("SELECT nome, merged_into FROM enti WHERE ente_id = ?", [ente_id]).fetchone()
        if row is None:
            raise EnteError(f"Ente {ente_id} inesistente.")
        if row[1] is None or ente_id in seen:
            return ente_id, row[0]
        seen.add(ente_id)
        ente_id = row[1]


def find_ente(cur, name: str | None, codice_ipa: str | None = None) -> Match | None:
    """The known ente for this name / Codice IPA: IPA code first, then normalised name, then alias.
    An ente with a different IPA code is not matched by name (two administrations)."""
    ipa = clean_ipa(codice_ipa)
    if ipa:
        row = cur.execute("SELECT ente_id FROM enti WHERE codice_ipa = ? ORDER BY merged_into NULLS FIRST, ente_id "
                          "LIMIT 1", [ipa]).fetchone()
        if row:
            return Match(*resolve(cur, row[0]), "codice IPA")
    key = name_key(name)
    if not key:
        return None
    for how, sql in (("nome", "SELECT ente_id, codice_ipa FROM enti WHERE nome_key = ? "
                              "ORDER BY merged_into NULLS FIRST, ente_id"),
                     ("alias", "SELECT a.ente_id, e.codice_ipa FROM ente_aliases a JOIN enti e USING (ente_id) "
                               "WHERE a.alias_key = ? ORDER BY a.created_at DESC")):
        for ente_id, their_ipa in cur.execute(sql, [key]).fetchall():
            if ipa and their_ipa and their_ipa != ipa:
                continue
            return Match(*resolve(cur, ente_id), how)
    return None


def similar_enti(db_or_cur, name: str | None, codice_ipa: str | None = None) -> list[dict]:
    """Enti (not merged) whose name or an alias looks like ``name``, when ``name`` itself is unknown:
    ``[{"ente_id", "nome", "reason"}]``, best first. Empty when the name is already matched."""
    with _cursor(db_or_cur) as cur:
        if find_ente(cur, name, codice_ipa) is not None:
            return []
        ipa = clean_ipa(codice_ipa)
        rows = cur.execute("SELECT ente_id, nome, codice_ipa FROM enti WHERE merged_into IS NULL ORDER BY ente_id"
                           ).fetchall()
        aliases: dict[int, list[str]] = {}
        for ente_id, alias in cur.execute("SELECT ente_id, alias FROM ente_aliases").fetchall():
            aliases.setdefault(resolve(cur, ente_id)[0], []).append(alias)
    out = []
    for ente_id, nome, their_ipa in rows:
        if ipa and their_ipa and ipa != their_ipa:
            continue
        for candidate in [nome, *aliases.get(ente_id, [])]:
            reason = looks_alike(str(name or ""), candidate)
            if reason:
                out.append({"ente_id": int(ente_id), "nome": nome, "reason": reason})
                break
    out.sort(key=lambda r: (not r["reason"].startswith("stessa sigla"), r["ente_id"]))
    return out


def list_enti(db, include_merged: bool = True) -> pd.DataFrame:
    """Every ente: id, nome, codice IPA, plans, aliases, merged into (name). Memoised per data version
    (every change of enti, aliases or plans moves it)."""
    df = db.df_cached("""
        SELECT e.ente_id, e.nome, e.codice_ipa, e.merged_into, m.nome AS merged_into_nome, e.created_at,
               (SELECT count(*) FROM plans p WHERE p.ente_id = e.ente_id) AS n_plans,
               (SELECT string_agg(a.alias, ' · ' ORDER BY a.created_at) FROM ente_aliases a
                 WHERE a.ente_id = e.ente_id) AS aliases
        FROM enti e LEFT JOIN enti m ON m.ente_id = e.merged_into
        ORDER BY e.merged_into NULLS FIRST, lower(e.nome)""")
    if not include_merged:
        df = df[df["merged_into"].isna()].reset_index(drop=True)
    return df


def active_merges(db) -> pd.DataFrame:
    """Merges not undone, newest first: merge_id, source, target, plans moved, when, who (memoised per
    data version)."""
    return db.df_cached("""
        SELECT m.merge_id, m.source_id, s.nome AS source_nome, m.target_id, t.nome AS target_nome,
               json_array_length(m.plan_ids::JSON) AS n_plans, m.merged_at, m.merged_by
        FROM ente_merges m JOIN enti s ON s.ente_id = m.source_id JOIN enti t ON t.ente_id = m.target_id
        WHERE m.undone_at IS NULL ORDER BY m.merge_id DESC""")


def lookup(db, text: str) -> int:
    """An ente by id, Codice IPA or name (exact normalised name or alias; else a unique partial name),
    for the CLI. Raises :class:`EnteError` in Italian."""
    text = str(text).strip()
    if text.isdigit():
        if db.scalar("SELECT count(*) FROM enti WHERE ente_id = ?", [int(text)]):
            return int(text)
    with _cursor(db) as cur:
        row = cur.execute("SELECT ente_id FROM enti WHERE codice_ipa = ?", [clean_ipa(text)]).fetchone()
        if row:
            return int(row[0])
        row = cur.execute("SELECT ente_id FROM enti WHERE nome_key = ? ORDER BY merged_into NULLS FIRST",
                          [name_key(text)]).fetchone()
        if row:
            return int(row[0])
        row = cur.execute("SELECT ente_id FROM ente_aliases WHERE alias_key = ?", [name_key(text)]).fetchone()
        if row:
            return int(row[0])
        key = name_key(text)
        hits = [r for r in cur.execute("SELECT ente_id, nome, nome_key FROM enti").fetchall() if key and key in r[2]]
    if len(hits) == 1:
        return int(hits[0][0])
    if not hits:
        raise EnteError(f"Nessun ente «{text}»: indicare l'id, il Codice IPA o il nome (python -m store enti list).")
    raise EnteError(f"«{text}» indica più enti ({', '.join(f'{h[0]}: {h[1]}' for h in hits)}): indicare l'id.")


# ----------------------------------------------------------------------------- writing
def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def create_ente(cur, nome: str, codice_ipa: str | None = None) -> int:
    ente_id = cur.execute("SELECT nextval('seq_ente')").fetchone()[0]
    cur.execute("INSERT INTO enti (ente_id, nome, codice_ipa, nome_key, merged_into, created_at) "
                "VALUES (?, ?, ?, ?, NULL, ?)", [ente_id, nome.strip(), clean_ipa(codice_ipa), name_key(nome), _now()])
    return int(ente_id)


def add_alias(cur, ente_id: int, alias: str, who: str | None = None) -> bool:
    """Register ``alias`` for the ente (no-op when it is already its name or an alias)."""
    key = name_key(alias)
    if not key:
        return False
    if cur.execute("SELECT 1 FROM enti WHERE ente_id = ? AND nome_key = ?", [ente_id, key]).fetchone() or \
            cur.execute("SELECT 1 FROM ente_aliases WHERE ente_id = ? AND alias_key = ?", [ente_id, key]).fetchone():
        return False
    cur.execute("INSERT INTO ente_aliases VALUES (?, ?, ?, ?, ?)", [ente_id, alias.strip(), key, _now(), who])
    return True


def resolve_for_import(cur, nome: str, codice_ipa: str | None = None, same_as: int | None = None,
                       who: str | None = None) -> tuple[Match | None, int, str]:
    """The ente an import goes to, inside the import's transaction: ``(match, ente_id, nome)``.

    ``same_as``: the ente chosen on the upload page («È lo stesso ente di …?» → sì); the file's name
    is registered as its alias. Otherwise a matched ente (IPA, name, alias), else a new ente.
    A matched or chosen ente without a Codice IPA takes the file's."""
    ipa = clean_ipa(codice_ipa)
    if same_as is not None:
        ente_id, canonical = resolve(cur, int(same_as))
        add_alias(cur, ente_id, nome, who)
        match = Match(ente_id, canonical, "scelta")
    else:
        match = find_ente(cur, nome, ipa)
    if match is None:
        ente_id = create_ente(cur, nome, ipa)
        return None, ente_id, nome.strip()
    if match.how == "codice IPA":
        add_alias(cur, match.ente_id, nome, who)
    if ipa:
        cur.execute("UPDATE enti SET codice_ipa = ? WHERE ente_id = ? AND codice_ipa IS NULL", [ipa, match.ente_id])
    return match, match.ente_id, match.nome


def title_key(titolo: str | None) -> str:
    return " ".join(_ascii(str(titolo or "")).lower().split())


def find_plan(cur, ente_id: int, titolo: str) -> int | None:
    """The plan of this ente with this title (case, accents and spaces ignored)."""
    key = title_key(titolo)
    for plan_id, t in cur.execute("SELECT plan_id, titolo FROM plans WHERE ente_id = ? ORDER BY plan_id",
                                  [ente_id]).fetchall():
        if title_key(t) == key:
            return int(plan_id)
    return None


def migrate(cur) -> int:
    """Give every plan without ``ente_id`` an ente (matched by name, else created), inside the caller's
    transaction (:class:`store.db.Database` runs it with the schema when it opens a file). Idempotent;
    returns the number of plans attached."""
    rows = cur.execute("SELECT plan_id, ente FROM plans WHERE ente_id IS NULL ORDER BY plan_id").fetchall()
    for plan_id, ente in rows:
        match = find_ente(cur, ente)
        ente_id, nome = (match.ente_id, match.nome) if match else (create_ente(cur, ente), ente)
        cur.execute("UPDATE plans SET ente_id = ?, ente = ? WHERE plan_id = ?", [ente_id, nome, plan_id])
    return len(rows)


def set_codice_ipa(db, ente_id: int, codice_ipa: str | None, who: str) -> str:
    """Set (or clear, with an empty code) the Codice IPA of an ente; refused when the code is malformed or
    already another ente's. Audited «ente». Returns an Italian message."""
    ipa = clean_ipa(codice_ipa)
    try:
        with db.transaction() as cur:
            row = cur.execute("SELECT nome, codice_ipa FROM enti WHERE ente_id = ?", [ente_id]).fetchone()
            if row is None:
                raise EnteError(f"Ente {ente_id} inesistente.")
            if ipa and not IPA_RE.fullmatch(ipa):
                raise EnteError(f"Codice IPA «{codice_ipa}» non valido: solo lettere, cifre e _ (es. cssm_cn).")
            other = cur.execute("SELECT nome FROM enti WHERE codice_ipa = ? AND ente_id <> ?", [ipa, ente_id]
                                ).fetchone() if ipa else None
            if other:
                raise EnteError(f"Il Codice IPA «{ipa}» è già di «{other[0]}»: se è lo stesso ente, unirli.")
            cur.execute("UPDATE enti SET codice_ipa = ? WHERE ente_id = ?", [ipa, ente_id])
            msg = (f"Codice IPA di «{row[0]}»: {ipa}." if ipa else f"Codice IPA di «{row[0]}» tolto.")
            audit.record(cur, who, "ente", ente_id=ente_id, detail=f"{msg} (prima: {row[1] or 'nessuno'})")
    except EnteError as exc:
        audit.record(db, who, "ente", outcome=audit.REFUSED, ente_id=ente_id, detail=str(exc))
        raise
    return msg


def merge_enti(db, source_id: int, target_id: int, who: str) -> str:
    """Merge ``source_id`` into ``target_id``: every plan of the first (all versions) moves to the second,
    which keeps its name; the first stays as a merged ente (its name still matches uploads) until
    :func:`unmerge_enti`. One transaction, audited «unione enti». Returns an Italian message."""
    try:
        with db.transaction() as cur:
            src = cur.execute("SELECT nome, merged_into FROM enti WHERE ente_id = ?", [source_id]).fetchone()
            tgt = cur.execute("SELECT nome, merged_into FROM enti WHERE ente_id = ?", [target_id]).fetchone()
            if src is None or tgt is None:
                raise EnteError(f"Ente {source_id if src is None else target_id} inesistente.")
            if source_id == target_id:
                raise EnteError("Un ente non si può unire a se stesso.")
            if src[1] is not None or tgt[1] is not None:
                raise EnteError(f"«{src[0] if src[1] is not None else tgt[0]}» è già unito a un altro ente: "
                                "separarlo prima.")
            plans = [int(r[0]) for r in cur.execute("SELECT plan_id FROM plans WHERE ente_id = ? ORDER BY plan_id",
                                                    [source_id]).fetchall()]
            cur.execute("UPDATE plans SET ente_id = ?, ente = ? WHERE ente_id = ?", [target_id, tgt[0], source_id])
            cur.execute("UPDATE enti SET merged_into = ? WHERE ente_id = ?", [target_id, source_id])
            # enti previously merged into the source now resolve through it: nothing else to move
            merge_id = cur.execute("SELECT nextval('seq_ente_merge')").fetchone()[0]
            cur.execute("INSERT INTO ente_merges (merge_id, source_id, target_id, plan_ids, merged_at, merged_by) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [merge_id, source_id, target_id, json.dumps(plans), _now(), who])
            n = len(plans)
            msg = (f"«{src[0]}» unito a «{tgt[0]}»: {n} {'piano spostato' if n == 1 else 'piani spostati'} "
                   f"con tutte le versioni.")
            audit.record(cur, who, "unione enti", ente_id=target_id,
                         detail=f"{msg} (unione {merge_id}: ente {source_id} → ente {target_id}; piani {plans})")
    except EnteError as exc:
        audit.record(db, who, "unione enti", outcome=audit.REFUSED, ente_id=target_id,
                     detail=f"ente {source_id} → ente {target_id}: {exc}")
        raise
    return msg


def unmerge_enti(db, source_id: int, who: str) -> str:
    """Undo the merge of ``source_id`` (its latest, not yet undone): the plans it moved go back, the
    ente stands alone again. Plans imported into the merged ente afterwards stay where they are.
    Audited «separazione enti»."""
    try:
        with db.transaction() as cur:
            row = cur.execute("SELECT merge_id, target_id, plan_ids FROM ente_merges WHERE source_id = ? AND "
                              "undone_at IS NULL ORDER BY merge_id DESC LIMIT 1", [source_id]).fetchone()
            if row is None:
                nome = cur.execute("SELECT nome FROM enti WHERE ente_id = ?", [source_id]).fetchone()
                raise EnteError(f"«{nome[0]}» non è unito ad altri enti." if nome
                                else f"Ente {source_id} inesistente.")
            merge_id, target_id, plan_ids = row
            src_nome = cur.execute("SELECT nome FROM enti WHERE ente_id = ?", [source_id]).fetchone()[0]
            tgt_nome = cur.execute("SELECT nome FROM enti WHERE ente_id = ?", [target_id]).fetchone()[0]
            plans = json.loads(plan_ids)
            moved = 0
            for plan_id in plans:
                moved += cur.execute("UPDATE plans SET ente_id = ?, ente = ? WHERE plan_id = ? AND ente_id = ?",
                                     [source_id, src_nome, plan_id, target_id]).fetchone()[0]
            cur.execute("UPDATE enti SET merged_into = NULL WHERE ente_id = ?", [source_id])
            cur.execute("UPDATE ente_merges SET undone_at = ?, undone_by = ? WHERE merge_id = ?",
                        [_now(), who, merge_id])
            msg = (f"«{src_nome}» separato da «{tgt_nome}»: {moved} "
                   f"{'piano tornato' if moved == 1 else 'piani tornati'} a «{src_nome}».")
            audit.record(cur, who, "separazione enti", ente_id=source_id,
                         detail=f"{msg} (annullata l'unione {merge_id})")
    except EnteError as exc:
        audit.record(db, who, "separazione enti", outcome=audit.REFUSED, ente_id=source_id,
                     detail=f"ente {source_id}: {exc}")
        raise
    return msg


class _cursor:
    """A cursor of a Database, or the cursor given."""

    def __init__(self, db_or_cur):
        self.src = db_or_cur

    def __enter__(self):
        if hasattr(self.src, "cursor") and hasattr(self.src, "transaction"):
            self._cm = self.src.cursor()
            return self._cm.__enter__()
        self._cm = None
        return self.src

    def __exit__(self, *exc):
        if self._cm is not None:
            return self._cm.__exit__(*exc)
        return False
