"""Import, preview, restore and history as a principal may do them (issue 9): the page calls these,
never the unguarded functions. A refusal raises :class:`store.access.NotAuthorized` and is audited
(``accesso negato``); nothing is written."""
from __future__ import annotations

import pandas as pd

from loaders.diff import preview_changes
from loaders.importer import ImportResult, import_bytes, import_history, restore_version
from loaders.validate import ParsedPlan, validate_workbook
from store import audit
from store.access import RESTORE, UPLOAD, NotAuthorized, Principal, require_ente, require_plan


def _refuse(db, principal: Principal, exc: NotAuthorized, what: str, plan_id: int | None = None) -> None:
    audit.record(db, principal.name, "accesso negato", outcome=audit.REFUSED, plan_id=plan_id, detail=what)
    raise exc


def check_upload(db, principal: Principal, parsed: ParsedPlan) -> None:
    """May ``principal`` upload (and preview) this validated workbook? Role with upload, ente granted."""
    ente = (parsed.meta or {}).get("ente")
    try:
        principal.require(UPLOAD)
        if ente:
            require_ente(principal, ente)
    except NotAuthorized as exc:
        _refuse(db, principal, exc, f"caricamento di un piano dell'ente «{ente}»")


def preview_as(db, principal: Principal, parsed: ParsedPlan) -> dict:
    check_upload(db, principal, parsed)
    return preview_changes(db, parsed)


def import_as(db, principal: Principal, data: bytes, file_name: str, parsed: ParsedPlan | None = None,
              progress=None) -> ImportResult:
    """:func:`loaders.importer.import_bytes` by ``principal`` (recorded as who imported)."""
    if not principal.can(UPLOAD):
        _refuse(db, principal, NotAuthorized(f"Non autorizzato: il ruolo «{principal.role}» non consente di "
                                             "caricare fogli."), f"importazione di «{file_name}»")
    parsed = parsed if parsed is not None else validate_workbook(data, file_name)
    if parsed.ok:
        check_upload(db, principal, parsed)
    return import_bytes(db, data, file_name, user=principal.name, progress=progress)


def restore_as(db, principal: Principal, import_id: int) -> str:
    plan_id = db.scalar("SELECT plan_id FROM imports WHERE import_id = ?", [int(import_id)])
    try:
        principal.require(RESTORE)
        require_plan(db, principal, plan_id)
    except NotAuthorized as exc:
        _refuse(db, principal, exc, f"ripristino della versione {import_id}")
    return restore_version(db, int(import_id), user=principal.name)


def history_for(db, principal: Principal) -> pd.DataFrame:
    """The import history of the plans the principal may read."""
    hist = import_history(db)
    if principal.every_ente or hist.empty:
        return hist
    return hist[hist["ente"].map(principal.sees_ente).astype(bool)].reset_index(drop=True)
