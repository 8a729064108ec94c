"""Who may see and change what: roles, the principal of a session, the enti granted to it.

No Streamlit here. The pages never decide on their own: they ask the guarded functions of
:mod:`metrics.access` (reads) and :mod:`loaders.guarded` (import, preview, restore), which raise
:class:`NotAuthorized` (an Italian message that reveals nothing: not a title, not whether a plan exists).

Roles (issue 9), each with the rights of the ones before it except where noted:

* ``lettore`` reads the plans of the enti granted to them; Persone shows aggregates only;
* ``referente`` may also upload and preview workbooks for those enti;
* ``direttore`` may also see Persone with names and grades, and restore versions;
* ``valutatore`` (OIV / Nucleo di valutazione) reads every granted ente (no upload, no names);
* ``amministratore`` manages users and everything else, on every ente.

Grants are by ente *name*, as shown in the sidebar (``plans.ente``); the grant ``*`` means every ente.
:func:`granted_entes` (reading the grants) and :meth:`Principal.sees_ente` (matching an ente against them)
are the one place that handles them, so that they can move to ente ids (Codice IPA, issue 9 part B) without
touching the callers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

ROLES = ("lettore", "referente", "direttore", "valutatore", "amministratore")
ALL_ENTES = "*"

# capabilities
VIEW, UPLOAD, RESTORE, NAMES, MANAGE_USERS, AUDIT, PROFILES = (
    "lettura", "caricamento", "ripristino", "nominativi", "gestione utenti", "registro", "sistema di misurazione")
# year-end closing (issue 16): propose a variance cause, record a decision / approve the Relazione, fill the carte
# di lavoro and validate, reopen a closed year (metrics/closing.py checks them, plus «nobody validates their own
# approval»)
PROPOSE, DECIDE, VALIDATE, REOPEN = ("proposta scostamenti", "decisione e approvazione", "validazione",
                                     "riapertura")
TEXTS = "testi della relazione"    # the ente's texts of the Relazione sulla performance (store/relazione.py)
ROUNDS = "giri di monitoraggio"   # issue 18: open and close a round, choose between disagreeing answers
CAPABILITIES: dict[str, frozenset[str]] = {
    "lettore": frozenset({VIEW}),
    "referente": frozenset({VIEW, UPLOAD, PROPOSE, TEXTS}),
    "direttore": frozenset({VIEW, UPLOAD, RESTORE, NAMES, PROPOSE, DECIDE, TEXTS, ROUNDS}),
    "valutatore": frozenset({VIEW, VALIDATE}),
    "amministratore": frozenset({VIEW, UPLOAD, RESTORE, NAMES, MANAGE_USERS, AUDIT, PROFILES, PROPOSE, DECIDE,
                                 REOPEN, TEXTS, ROUNDS}),
}

#: The message of every refusal: the same whether the plan exists or not.
NOT_AUTHORIZED = "Non autorizzato: il contenuto richiesto non è tra quelli a cui hai accesso."


class NotAuthorized(PermissionError):
    """A refusal; ``str()`` is the Italian message to show (it reveals nothing)."""

    def __init__(self, message: str = NOT_AUTHORIZED) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user name, a role and the enti granted (``None`` = every ente)."""
    name: str
    role: str
    entes: frozenset[str] | None = None
    source: str = "account"          # "locale" (local mode) | "account" | "oidc" | "cli"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"ruolo sconosciuto: {self.role!r} (ruoli: {', '.join(ROLES)})")

    def can(self, capability: str) -> bool:
        return capability in CAPABILITIES[self.role]

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise NotAuthorized(f"Non autorizzato: il ruolo «{self.role}» non consente questa operazione "
                                f"({capability}).")

    @property
    def every_ente(self) -> bool:
        return self.entes is None

    def sees_ente(self, ente: str | None) -> bool:
        """Is ``ente`` (a name as in ``plans.ente``) granted? Case and spacing do not count. Hook for issue 9B:
        when enti have ids and aliases, resolve both sides to the ente id here."""
        return ente is not None and (self.entes is None or _norm(ente) in self._granted)

    @cached_property
    def _granted(self) -> frozenset[str]:
        return frozenset(_norm(g) for g in self.entes or ())


def local_administrator(name: str = "amministratore locale", source: str = "locale") -> Principal:
    """The machine's owner: local mode (no accounts) and the CLI."""
    return Principal(name, "amministratore", None, source)


def _norm(ente: str) -> str:
    return " ".join(str(ente).split()).casefold()


def granted_entes(db, username: str, role: str) -> frozenset[str] | None:
    """The enti granted to a local account (``None`` = every ente: amministratore, or a ``*`` grant).

    A grant names an ente as it was written (a name, an alias or a Codice IPA); it is resolved to the ente that
    stands for it now (:func:`store.enti.find_ente`: after «unione enti» the ente that absorbed it, after
    «separazione enti» the ente itself), so a grant follows its ente through merges."""
    if role == "amministratore":
        return None
    rows = [r[0] for r in db.rows("SELECT ente FROM user_grants WHERE username = ? ORDER BY ente", [username])]
    return None if ALL_ENTES in rows else frozenset(current_ente_name(db, g) for g in rows)


def current_ente_name(db, ente: str) -> str:
    """The name (as in ``plans.ente``) of the ente that ``ente`` (name, alias or Codice IPA) stands for now."""
    from store import enti

    with db.cursor() as cur:
        match = enti.find_ente(cur, None, codice_ipa=ente) or enti.find_ente(cur, ente)
    return match.nome if match is not None else ente


def plan_entes(db) -> dict[int, str]:
    """plan id → ente, memoised until the next import (the data version)."""
    return db.memo(("plan_entes",), lambda: {int(p): e for p, e in db.rows("SELECT plan_id, ente FROM plans")})


def allowed_plan_ids(db, principal: Principal) -> frozenset[int]:
    """The plans the principal may read (every plan for every-ente principals)."""
    return db.memo(("allowed_plans", principal.entes),
                   lambda: frozenset(p for p, e in plan_entes(db).items() if principal.sees_ente(e)))


def require_plan(db, principal: Principal, plan_id: int | None) -> int:
    """``plan_id`` if the principal may read it; else :class:`NotAuthorized` (also when it does not exist)."""
    try:
        pid = int(plan_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NotAuthorized() from None
    if not principal.sees_ente(plan_entes(db).get(pid)):
        raise NotAuthorized()
    return pid


def require_ente(principal: Principal, ente: str) -> None:
    """For writes naming an ente (an upload): refused unless the ente is granted."""
    if not principal.sees_ente(ente):
        raise NotAuthorized(f"Non autorizzato: non puoi caricare piani dell'ente «{ente}». Chiedi a un "
                            "amministratore di autorizzarti per questo ente.")


# ----------------------------------------------------------------------------- guarded writes on the enti
def merge_enti(principal: Principal, db, source_id: int, target_id: int) -> str:
    """«Unione enti» (:func:`store.enti.merge_enti`), for an amministratore only; recorded as the principal."""
    from store import enti

    principal.require(AUDIT)
    return enti.merge_enti(db, source_id, target_id, principal.name)


def unmerge_enti(principal: Principal, db, source_id: int) -> str:
    """«Separazione enti» (:func:`store.enti.unmerge_enti`), for an amministratore only."""
    from store import enti

    principal.require(AUDIT)
    return enti.unmerge_enti(db, source_id, principal.name)


def set_codice_ipa(principal: Principal, db, ente_id: int, codice_ipa: str | None) -> str:
    """The Codice IPA of an ente (:func:`store.enti.set_codice_ipa`), for an amministratore only."""
    from store import enti

    principal.require(AUDIT)
    return enti.set_codice_ipa(db, ente_id, codice_ipa, principal.name)
