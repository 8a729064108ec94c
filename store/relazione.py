"""The texts the ente writes for its Relazione sulla performance (table ``relazione_texts``): the
presentation and the blocks of «Contesto e risorse», per ente and year.

Saving inserts a new version of each changed block (nothing is updated in place) and records a
``contesto relazione`` audit event in the same transaction; that action moves the data version, so
the cached exports are built again with the new text. No Streamlit here: the caller passes who saves;
who may save is checked by :func:`metrics.access.save_relazione_texts` (capability ``TEXTS`` of
:mod:`store.access`), the one entry the pages use.
"""
from __future__ import annotations

import datetime as dt

from store import audit

#: The blocks, in the order of the document: key → (title in the Relazione, hint for the editor).
BLOCKS: dict[str, tuple[str, str]] = {
    "presentazione": ("Presentazione", "Chi siamo, che cosa presenta questa Relazione e a chi si rivolge: poche "
                      "righe per i cittadini."),
    "territorio": ("Territorio", "Comuni del consorzio, superficie, caratteristiche del territorio."),
    "popolazione": ("Popolazione", "Residenti al 31/12, per fasce d'età o per gruppi di utenza."),
    "personale": ("Personale", "Dipendenti, contratti, profili professionali (i numeri del foglio Personale "
                  "sono aggiunti dal cruscotto)."),
    "organizzazione": ("Organizzazione", "Aree, servizi, responsabili; organi (Assemblea, CdA, Nucleo)."),
    "risorse": ("Risorse finanziarie", "Entrate e spese dell'anno, trasferimenti dei Comuni, fondi PNRR."),
}
MAX_CHARS = 20_000


def current_texts(db, ente: str, year: int) -> dict[str, str]:
    """The latest version of each block of (ente, year) with some text: block → text. Memoised per data
    version (saving moves it)."""
    def query() -> dict[str, str]:
        rows = db.rows("SELECT block, body FROM relazione_texts t WHERE ente = ? AND year = ? AND version = "
                       "(SELECT max(version) FROM relazione_texts u WHERE u.ente = t.ente AND u.year = t.year "
                       "AND u.block = t.block)", [ente, int(year)])
        found = {b: body for b, body in rows if body and body.strip()}
        return {b: found[b] for b in BLOCKS if b in found}

    return dict(db.memo(("relazione_texts", ente, int(year)), query))


def text_history(db, ente: str, year: int):
    """Every saved version, newest first (block, version, saved_at, saved_by, characters)."""
    return db.df("SELECT block, version, saved_at, saved_by, length(body) AS caratteri FROM relazione_texts "
                 "WHERE ente = ? AND year = ? ORDER BY saved_at DESC, block", [ente, int(year)])


def save_texts(db, ente: str, year: int, texts: dict[str, str], who: str, plan_id: int | None = None) -> list[str]:
    """Save the blocks that changed (a new version each) and audit them, in one transaction. Returns
    the titles of the blocks saved ([] when nothing changed). ValueError (Italian) for an unknown block
    or a text too long."""
    for block, body in texts.items():
        if block not in BLOCKS:
            raise ValueError(f"sezione «{block}» sconosciuta: usare {', '.join(BLOCKS)}")
        if len(body or "") > MAX_CHARS:
            raise ValueError(f"il testo «{BLOCKS[block][0]}» supera {MAX_CHARS:,} caratteri: "
                             "accorciarlo".replace(",", "."))
    before = current_texts(db, ente, year)
    changed = {b: (t or "").strip() for b, t in texts.items() if (t or "").strip() != before.get(b, "").strip()}
    if not changed:
        return []
    now = dt.datetime.now().replace(microsecond=0)
    with db.transaction() as cur:
        for block, body in changed.items():
            version = int(cur.execute("SELECT coalesce(max(version), 0) + 1 FROM relazione_texts WHERE ente = ? "
                                      "AND year = ? AND block = ?", [ente, int(year), block]).fetchone()[0])
            cur.execute("INSERT INTO relazione_texts (text_id, ente, year, block, version, body, saved_at, saved_by) "
                        "VALUES (nextval('seq_relazione_text'), ?, ?, ?, ?, ?, ?, ?)",
                        [ente, int(year), block, version, body, now, who])
        titles = [BLOCKS[b][0] for b in BLOCKS if b in changed]
        audit.record(cur, who, "contesto relazione", plan_id=plan_id,
                     detail=f"{ente}, anno {year}: " + ", ".join(titles))
    return titles


__all__ = ["BLOCKS", "MAX_CHARS", "current_texts", "save_texts", "text_history"]
