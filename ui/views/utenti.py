"""Utenti: the accounts of the app, their roles and the enti granted to them (amministratore only).

:func:`manage_users` is the whole user-management block, so that the audit trail («Registro», issue 9B,
``ui/views/registro.py``) can be a tab of this page or a page of its own. Every change goes through
:mod:`store.users`, which checks it and records it in the audit trail.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from store import get_db
from store.access import ALL_ENTES, MANAGE_USERS, ROLES, Principal
from store.tokens import TokenError, add_token, list_tokens, revoke_token
from store.users import (MIN_PASSWORD_LENGTH, UserError, add_user, has_accounts, known_entes, list_users,
                         set_active, set_grants, set_password, set_role)
from ui.auth import current_principal
from ui.common import ensure_app_navigation

ROLE_HELP = {
    "lettore": "legge i piani degli enti autorizzati; Persone solo in forma aggregata",
    "referente": "come lettore, e carica i fogli dei propri enti",
    "direttore": "come referente, e vede nomi e valutazioni (Persone), ripristina versioni",
    "valutatore": "OIV / Nucleo di valutazione: legge gli enti autorizzati",
    "amministratore": "tutto, su tutti gli enti, compresa la gestione degli utenti",
}
ALL_LABEL = "Tutti gli enti (*)"
ROLES_HELP = "  \n".join(f"**{r}**: {h}" for r, h in ROLE_HELP.items())


def _when(ts) -> str:
    return "—" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%d/%m/%Y %H:%M")


def users_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Nome utente": df["username"], "Ruolo": df["role"],
        "Stato": df["active"].map({True: "attivo", False: "disattivato"}),
        "Enti": [e or ("tutti" if r == "amministratore" else "nessuno") for e, r in zip(df["entes"], df["role"])],
        "Accesso": df["has_password"].map({True: "password", False: "solo accesso unico"}),
        "Ultimo accesso": df["last_login"].map(_when),
        "Tentativi falliti": df["failed_logins"].astype(int),
        "Bloccato fino a": df["locked_until"].map(_when),
    })


def _grants_input(label: str, options: list[str], default: list[str], key: str) -> list[str]:
    chosen = st.multiselect(label, [ALL_LABEL] + options, default=default, key=key, placeholder="Scegli gli enti",
                            help="Gli enti come compaiono nella barra laterale. L'amministratore vede sempre tutti "
                                 "gli enti.")
    return [ALL_ENTES if c == ALL_LABEL else c for c in chosen]


def new_user_form(db, principal: Principal) -> None:
    entes = known_entes(db)
    first = not has_accounts(db)
    with st.form("new_user", clear_on_submit=True):
        st.markdown("**Nuovo utente**")
        if first:
            st.caption("Il primo utente deve essere un amministratore: da quel momento il cruscotto chiede "
                       "l'accesso a tutti e può essere aperto alla rete.")
        c1, c2 = st.columns(2)
        name = c1.text_input("Nome utente", key="u_new_name")
        role = c2.selectbox("Ruolo", ROLES, index=ROLES.index("amministratore") if first else 0,
                            help=ROLES_HELP, key="u_new_role")
        grants = _grants_input("Enti autorizzati", entes, [], "u_new_entes")
        sso_only = st.checkbox("Solo accesso unico (OIDC): nessuna password locale", key="u_new_sso")
        p1, p2 = st.columns(2)
        pw1 = p1.text_input("Password", type="password", key="u_new_pw1",
                            help=f"Almeno {MIN_PASSWORD_LENGTH} caratteri.", autocomplete="new-password")
        pw2 = p2.text_input("Ripeti la password", type="password", key="u_new_pw2", autocomplete="new-password")
        submitted = st.form_submit_button("Crea utente", type="primary")
    if not submitted:
        return
    try:
        if first and role != "amministratore":
            raise UserError("Il primo utente deve essere un amministratore.")
        if not sso_only and pw1 != pw2:
            raise UserError("Le due password non coincidono.")
        add_user(db, name, None if sso_only else pw1, role, grants, by=principal.name)
    except UserError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state["u_flash"] = f"Utente «{name.strip()}» creato ({role})." + (
        " Da ora il cruscotto chiede l'accesso: entrare con il nuovo amministratore." if first else "")
    st.rerun()


def edit_user(db, principal: Principal, users: pd.DataFrame) -> None:
    st.markdown("**Modifica un utente**")
    names = list(users["username"])
    name = st.selectbox("Utente", names, key="u_edit_name")
    row = users[users["username"] == name].iloc[0]
    st.caption(f"Ruolo {row['role']}: {ROLE_HELP[row['role']]}.")
    entes = known_entes(db)
    current = [e.strip() for e in (row["entes"] or "").split(",") if e.strip()]
    default = [ALL_LABEL if e == ALL_ENTES else e for e in current if e == ALL_ENTES or e in entes]
    with st.form(f"edit_user_{name}"):
        role = st.selectbox("Ruolo", ROLES, index=ROLES.index(row["role"]), key=f"u_role_{name}", help=ROLES_HELP)
        grants = _grants_input("Enti autorizzati", entes, default, f"u_entes_{name}")
        save = st.form_submit_button("Salva ruolo ed enti", type="primary")
    with st.form(f"pw_user_{name}", clear_on_submit=True):
        p1, p2 = st.columns(2)
        pw1 = p1.text_input("Nuova password", type="password", key=f"u_pw1_{name}", autocomplete="new-password")
        pw2 = p2.text_input("Ripeti la password", type="password", key=f"u_pw2_{name}", autocomplete="new-password")
        change_pw = st.form_submit_button("Cambia password")
    active = bool(row["active"])
    toggle = st.button("Disattiva l'utente" if active else "Riattiva l'utente", key=f"u_toggle_{name}",
                       icon=":material/person_off:" if active else ":material/person:",
                       help="Nulla viene cancellato: un utente disattivato non può più accedere.")
    try:
        if save:
            set_role(db, name, role, by=principal.name)
            set_grants(db, name, grants, by=principal.name)
            st.session_state["u_flash"] = f"Utente «{name}» aggiornato."
        elif change_pw:
            if pw1 != pw2:
                raise UserError("Le due password non coincidono.")
            set_password(db, name, pw1, by=principal.name)
            st.session_state["u_flash"] = f"Password di «{name}» cambiata."
        elif toggle:
            set_active(db, name, not active, by=principal.name)
            st.session_state["u_flash"] = f"Utente «{name}» {'disattivato' if active else 'riattivato'}."
        else:
            return
    except UserError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.rerun()


def api_tokens(db, principal: Principal, name: str, active: bool) -> None:
    """Personal tokens of the read-only API (``/api/v1``) for one user: list, create (shown once), revoke."""
    principal.require(MANAGE_USERS)
    st.markdown("**Token per l'API in sola lettura**")
    st.caption("Un altro sistema (Regione, intranet, paghe) legge i dati con questo token agendo come "
               f"«{name}», con gli stessi enti e lo stesso ruolo. Si vede una sola volta, alla creazione.")
    if new := st.session_state.pop("u_new_token", None):
        st.warning("Copiare ora il token: non sarà più mostrato.", icon=":material/key:")
        st.code(new, language=None, wrap_lines=True)
    df = list_tokens(db, name)
    if not df.empty:
        st.dataframe(pd.DataFrame({
            "N.": df["token_id"].astype(int), "Etichetta": df["label"].fillna("—"),
            "Creato": df["created_at"].map(_when), "Ultimo uso": df["last_used"].map(_when),
            "Stato": ["revocato il " + _when(r) if not pd.isna(r) else "attivo" for r in df["revoked_at"]],
        }), hide_index=True, width="stretch", key=f"u_tokens_{name}")
    with st.form(f"u_token_new_{name}", clear_on_submit=True):
        label = st.text_input("Etichetta del nuovo token", key=f"u_token_label_{name}", placeholder="es. intranet",
                              help="A cosa serve: compare nell'elenco e nel Registro.")
        create = st.form_submit_button("Crea un token", icon=":material/key:", disabled=not active)
    live = [int(t) for t, r in zip(df["token_id"], df["revoked_at"]) if pd.isna(r)] if not df.empty else []
    revoke = None
    if live:
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        chosen = c1.selectbox("Token da revocare", live, format_func=lambda t: f"n. {t}", key=f"u_token_rev_{name}")
        if c2.button("Revoca", key=f"u_token_revoke_{name}", icon=":material/key_off:"):
            revoke = chosen
    try:
        if create:
            token_id, token = add_token(db, name, by=principal.name, label=label.strip() or None)
            st.session_state["u_new_token"] = token
            st.session_state["u_flash"] = f"Token n. {token_id} creato per «{name}»."
        elif revoke is not None:
            st.session_state["u_flash"] = revoke_token(db, revoke, by=principal.name)
        else:
            return
    except TokenError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.rerun()


def manage_users(db, principal: Principal) -> None:
    """The user-management block: list, new user, changes. Refused (data layer) to non-administrators."""
    principal.require(MANAGE_USERS)
    if msg := st.session_state.pop("u_flash", None):
        st.success(msg, icon=":material/check_circle:")
    users = list_users(db)
    if users.empty:
        st.info("Nessun utente: il cruscotto è in **modalità locale** (solo da questo computer, senza accesso). "
                "Per aprirlo alla rete creare un amministratore qui o con "
                "`.venv/bin/python -m store users add NOME --ruolo amministratore`.", icon=":material/info:")
    else:
        st.dataframe(users_table(users), hide_index=True, width="stretch", key="users_table")
    left, right = st.columns(2, gap="large")
    with left:
        new_user_form(db, principal)
    if not users.empty:
        with right:
            edit_user(db, principal, users)
            name = st.session_state.get("u_edit_name") or users["username"].iloc[0]
            row = users[users["username"] == name]
            if len(row):
                st.divider()
                api_tokens(db, principal, name, bool(row["active"].iloc[0]))


def render() -> None:
    ensure_app_navigation()
    principal = current_principal()
    st.title("Utenti")
    st.caption("Chi può accedere al cruscotto, con quale ruolo e per quali enti. Ogni modifica è registrata.")
    if not principal.can(MANAGE_USERS):
        st.error("Non autorizzato: la gestione degli utenti è riservata all'amministratore.", icon=":material/block:")
        st.stop()
    manage_users(get_db(), principal)
