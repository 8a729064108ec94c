"""Issue 9A through AppTest: local mode, the login gate, roles in the pages, deep links outside the grant,
idle expiry, the Utenti page."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from loaders import import_file
from store import Database, users
from store.access import NOT_AUTHORIZED
from tests.conftest import DEMO, ROOT
from tests.workbooks import BASE, sheets, xlsx
from ui.state import short_ente

PW = "password di prova"
CISA = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"
CISSA = "Consorzio Intercomunale dei Servizi Socio Assistenziali di Pianezza (C.I.S.S.A.)"


@pytest.fixture(scope="module")
def accounts_db(tmp_path_factory):
    """CISA 31 (with named staff) and CISSA Pianezza; a lettore of CISA 31, a referente of CISSA, an admin."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.duckdb"
    d = Database(path)
    for f in ("002_cissa_pianezza_2023.xlsx", "004_cisa31_2023.xlsx"):
        assert import_file(d, DEMO / f, user="test").ok
    users.add_user(d, "lettore_a", PW, "lettore", [CISA], by="test")
    users.add_user(d, "referente_b", PW, "referente", [CISSA], by="test")
    users.add_user(d, "capo", PW, "amministratore", [], by="test")
    plans = dict(d.rows("SELECT ente, plan_id FROM plans"))
    yield path, int(plans[CISA]), int(plans[CISSA])
    d.close()


def app(monkeypatch, path, **query) -> AppTest:
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, at.exception
    return at


def login(at: AppTest, name: str, password: str = PW) -> AppTest:
    at.text_input(key="auth_username").input(name)
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == "Accedi").click()
    at.run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "error", "warning", "success",
                 "metric"):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    for t in at.dataframe:
        parts.append(t.value.to_string())
    return " ".join(parts)


def test_local_mode_banner_and_refusal_of_a_network_address(monkeypatch, tmp_path):
    from streamlit import config

    at = app(monkeypatch, tmp_path / "locale.duckdb")
    assert any("modalità locale: nessun accesso dalla rete" in c.value for c in at.sidebar.caption)
    assert not at.text_input                          # no login form, no account to create
    original = config.get_option("server.address")
    try:
        config.set_option("server.address", "0.0.0.0")
        at = app(monkeypatch, tmp_path / "locale.duckdb")
        assert at.error and "non parte in ascolto su «0.0.0.0»" in at.error[0].value
        assert "python -m store users add" in at.error[0].value
        assert not at.info and not at.sidebar.selectbox
    finally:
        config.set_option("server.address", original)


def test_login_form_reveals_nothing_and_refuses_a_wrong_password(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    at = app(monkeypatch, path)
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]
    assert at.text_input(key="auth_password").proto.type == at.text_input(key="auth_password").proto.PASSWORD
    assert [b.label for b in at.button] == ["Accedi"]
    assert not at.sidebar.selectbox and CISA not in page_text(at)
    login(at, "lettore_a", "sbagliata")
    assert at.error and at.error[0].value == users.WRONG
    assert not at.sidebar.selectbox


def test_lettore_sees_only_own_ente_and_no_names(monkeypatch, accounts_db):
    path, plan_a, _b = accounts_db
    at = login(app(monkeypatch, path), "lettore_a")
    assert at.sidebar.selectbox(key="sel_ente").options == [short_ente(CISA)]   # acronym first (issue 10)
    assert any("lettore_a" in c.value and "lettore" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/persone.py")
    at.run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "solo dati aggregati" in text and "Persone assegnate" in text
    d = Database(path)
    try:
        names = [r[0] for r in d.rows("SELECT DISTINCT name FROM staff")]
    finally:
        d.close()
    assert names and not [n for n in names if n in text]
    for other in ("pages/obiettivo.py", "pages/qualita.py"):     # the staff of an objective, quality messages
        at.switch_page(other)
        at.run()
        assert not at.exception, at.exception
        text = page_text(at)
        assert not [n for n in names if n in text], other
    at.switch_page("pages/obiettivo.py")
    at.run()
    assert any("persone assegnate all'obiettivo" in c.value for c in at.caption)


def test_deep_link_outside_the_grant_is_refused(monkeypatch, accounts_db):
    path, plan_a, plan_b = accounts_db
    for query in ({"piano": plan_b}, {"piano": plan_b, "obiettivo": "1"}, {"piano": 999999}):
        at = login(app(monkeypatch, path, **query), "lettore_a")
        assert [e.value for e in at.error] == [NOT_AUTHORIZED]
        text = page_text(at)
        assert CISSA not in text and "Pianezza" not in text
        assert at.sidebar.selectbox(key="sel_ente").options == [short_ente(CISA)]   # acronym first (issue 10)
        assert at.query_params.get("piano") in ([str(plan_a)], str(plan_a))


def offered(at: AppTest, page: str) -> bool:
    """Is ``page`` among the pages st.navigation registered for this session? Then open it."""
    try:
        at.switch_page(page)
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
        return False
    at.run()
    assert not at.exception, at.exception
    return True


def test_only_upload_roles_get_carica_and_only_admin_gets_utenti(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    for who, carica, utenti in (("lettore_a", False, False), ("referente_b", True, False), ("capo", True, True)):
        at = login(app(monkeypatch, path), who)
        assert offered(at, "pages/carica.py") is carica, who
        if carica:
            assert "Carica foglio" in [t.value for t in at.title]
            restore = [b for b in at.button if b.label == "Ripristina questa versione"]
            assert bool(restore) is (who == "capo"), who
            assert not [t for t in at.text_input if t.label == "Il tuo nome"]   # who imports is the login
        assert offered(at, "pages/utenti.py") is utenti, who
        if utenti:
            assert "Utenti" in [t.value for t in at.title]
            assert set(at.dataframe[0].value["Nome utente"]) >= {"lettore_a", "referente_b", "capo"}


def test_session_expires_after_idle_time(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    monkeypatch.setenv("CRUSCOTTO_IDLE_MINUTES", "5")
    at = login(app(monkeypatch, path), "lettore_a")
    assert at.sidebar.selectbox
    at.session_state["_auth_seen"] = dt.datetime.now() - dt.timedelta(minutes=6)
    at.run()
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]
    assert any("Sessione scaduta" in w.value for w in at.warning)
    d = Database(path)
    try:
        assert d.scalar("SELECT count(*) FROM audit_log WHERE action = 'uscita' AND who = 'lettore_a' "
                        "AND detail LIKE 'sessione scaduta%'") >= 1
    finally:
        d.close()


def last_audit_id(path) -> int:
    d = Database(path)
    try:
        return int(d.scalar("SELECT coalesce(max(audit_id), 0) FROM audit_log"))
    finally:
        d.close()


def test_logout(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    before = last_audit_id(path)
    at = login(app(monkeypatch, path), "referente_b")
    next(b for b in at.sidebar.button if b.label == "Esci").click()
    at.run()
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]
    assert any("Sei uscito" in w.value for w in at.warning)
    d = Database(path)
    try:
        rows = d.rows("SELECT action FROM audit_log WHERE who = 'referente_b' AND action IN ('accesso', 'uscita') "
                      "AND audit_id > ? ORDER BY audit_id", [before])
    finally:
        d.close()
    assert rows == [("accesso",), ("uscita",)]                     # exactly one of each


def test_utenti_page_creates_a_user(monkeypatch, tmp_path):
    path = tmp_path / "utenti.duckdb"
    d = Database(path)
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    d.close()
    at = app(monkeypatch, path)                               # local mode: the local administrator
    at.switch_page("pages/utenti.py")
    at.run()
    assert "modalità locale" in page_text(at)
    at.text_input(key="u_new_name").input("prima")
    assert at.selectbox(key="u_new_role").value == "amministratore"
    at.text_input(key="u_new_pw1").input(PW)
    at.text_input(key="u_new_pw2").input(PW)
    next(b for b in at.button if b.label == "Crea utente").click()
    at.run()
    assert not at.exception, at.exception
    # accounts exist now: the app asks for a login
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]
    login(at, "prima")
    at.switch_page("pages/utenti.py")
    at.run()
    assert "Utente «prima» creato" in page_text(at) or at.dataframe
    assert list(at.dataframe[0].value["Nome utente"]) == ["prima"]
    d = Database(path)
    try:
        rows = d.rows("SELECT who, action FROM audit_log WHERE action IN ('utente', 'accesso') ORDER BY audit_id")
    finally:
        d.close()
    assert rows == [("amministratore locale", "utente"), ("prima", "accesso")]


def test_referente_cannot_upload_another_entes_plan(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    before = last_audit_id(path)
    at = login(app(monkeypatch, path), "referente_b")
    at.switch_page("pages/carica.py")
    at.run()
    piano = [[r[0], CISA] if r[0] == "Ente" else r for r in BASE["Piano"]]     # a new plan of the other ente
    at.file_uploader[0].set_value(("cisa.xlsx", xlsx(sheets(Piano=piano)),
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    assert not at.exception, at.exception
    assert any(f"non puoi caricare piani dell'ente «{CISA}»" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "Conferma importazione"]
    at.run()                                                        # a rerun does not record it again
    d = Database(path)
    try:
        refused = d.rows("SELECT who, outcome FROM audit_log WHERE action = 'accesso negato' AND audit_id > ?",
                         [before])
        versions = d.scalar("SELECT count(*) FROM imports")
    finally:
        d.close()
    assert refused == [("referente_b", "rifiutato")] and versions == 2


def test_disabled_or_changed_account_applies_at_the_next_run(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    d = Database(path)
    try:
        users.add_user(d, "temporaneo", PW, "direttore", [CISA], by="test")
    finally:
        d.close()
    at = login(app(monkeypatch, path), "temporaneo")
    assert offered(at, "pages/carica.py")
    d = Database(path)
    try:
        users.set_role(d, "temporaneo", "lettore", by="test")       # role lowered: no upload page any more
    finally:
        d.close()
    at.run()
    assert not offered(at, "pages/carica.py")
    d = Database(path)
    try:
        users.set_active(d, "temporaneo", False, by="test")
    finally:
        d.close()
    at.run()
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]


def test_an_account_added_from_the_cli_while_the_app_is_open_ends_local_mode(monkeypatch, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "cli_aperto.duckdb"
    d = Database(path)
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    d.close()
    at = app(monkeypatch, path)
    assert any("modalità locale" in c.value for c in at.sidebar.caption)
    r = subprocess.run([sys.executable, "-m", "store", "users", "add", "capo", "--ruolo", "amministratore",
                        "--db", str(path)], input=f"{PW}\n{PW}\n", capture_output=True, text=True, cwd=ROOT,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    at.run()                                  # the same browser session, next interaction
    assert not at.exception, at.exception
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]
    assert not at.sidebar.selectbox


# ----------------------------------------------------------------------------- issue 19: behind the edge
def edge_app(monkeypatch, path, cookie: str | None, **query) -> AppTest:
    """app.py as ui/server.py serves it: CRUSCOTTO_EDGE=1 and the tab's session cookie (st.context.cookies,
    which AppTest cannot send: ``ui.auth.request_cookie`` stands for it)."""
    from store.sessions import COOKIE_NAME
    from ui import auth

    monkeypatch.setenv("CRUSCOTTO_EDGE", "1")
    monkeypatch.setattr(auth, "request_cookie", lambda name: cookie if name == COOKIE_NAME else "csrf-della-prova")
    return app(monkeypatch, path, **query)


def html_text(at: AppTest) -> str:
    return " ".join(str(e.proto.body) for e in at.get("html"))


def test_behind_the_edge_the_session_cookie_opens_a_deep_link_directly(monkeypatch, accounts_db):
    from store import sessions

    path, a, _b = accounts_db
    d = Database(path)
    try:
        cookie = sessions.create(d, "lettore_a")
    finally:
        d.close()
    at = edge_app(monkeypatch, path, cookie, piano=a)
    assert any("**lettore_a** ·" in c.value for c in at.sidebar.caption)      # no login: the cookie is the session
    assert not any("modalità sviluppo" in c.value for c in at.sidebar.caption)
    sidebar_html = " ".join(str(e.proto.body) for e in at.sidebar.get("html"))
    assert 'action="/uscita"' in sidebar_html and 'value="csrf-della-prova"' in sidebar_html   # «Esci» posts
    d = Database(path)
    try:
        users.set_password(d, "lettore_a", PW, by="test")              # revokes every session of lettore_a
    finally:
        d.close()
    at.run()                                                          # the next interaction in the same tab
    assert not at.exception, at.exception
    assert 'action="/accesso"' in html_text(at) and "Nome utente" in html_text(at)
    assert "sessione è stata chiusa" in page_text(at)
    assert not any("**lettore_a** ·" in c.value for c in at.sidebar.caption)


def test_behind_the_edge_without_a_cookie_the_form_posts_to_the_route_and_leads_back(monkeypatch, accounts_db):
    path, a, _b = accounts_db
    at = edge_app(monkeypatch, path, None, piano=a)
    body = html_text(at)
    assert 'method="post" action="/accesso"' in body and 'name="csrf" value="csrf-della-prova"' in body
    assert f'name="next" value="/?piano={a}"' in body
    assert [t.label for t in at.text_input] == []                     # no Streamlit form: the HTML one
    assert "Selezione" not in page_text(at) and not at.dataframe
    at.switch_page("pages/obiettivo.py")                              # a deep link leads back to itself
    at.query_params["obiettivo"] = "3"
    at.run()
    assert f'name="next" value="/obiettivo?piano={a}&amp;obiettivo=3"' in html_text(at)


def test_streamlit_run_app_py_says_what_it_lacks(monkeypatch, accounts_db):
    path, _a, _b = accounts_db
    monkeypatch.delenv("CRUSCOTTO_EDGE", raising=False)
    at = login(app(monkeypatch, path), "capo")
    assert any("senza API e senza accesso persistente" in c.value for c in at.sidebar.caption)


def test_utenti_page_creates_and_revokes_an_api_token(monkeypatch, accounts_db):
    from store import tokens

    path, _a, _b = accounts_db
    at = login(app(monkeypatch, path), "capo")
    at.switch_page("pages/utenti.py")
    at.run()
    at.selectbox(key="u_edit_name").select("lettore_a")
    at.run()
    at.text_input(key="u_token_label_lettore_a").input("intranet")
    next(b for b in at.button if b.label == "Crea un token").click()
    at.run()
    assert not at.exception, at.exception
    token = at.code[0].value
    assert token.startswith("crp_") and "Copiare ora il token" in page_text(at)
    d = Database(path)
    try:
        assert tokens.lookup(d, token)[1] == "lettore_a"
        token_id = int(d.scalar("SELECT max(token_id) FROM api_tokens"))
    finally:
        d.close()
    at.run()                                                          # shown once only
    assert token not in " ".join(c.value for c in at.code) and token not in page_text(at)
    assert "intranet" in page_text(at) and "attivo" in page_text(at)
    at.selectbox(key="u_token_rev_lettore_a").select(token_id)
    next(b for b in at.button if b.label == "Revoca").click()
    at.run()
    assert not at.exception, at.exception
    assert f"Token n. {token_id} di «lettore_a» revocato." in page_text(at)
    d = Database(path)
    try:
        assert tokens.lookup(d, token) is None
    finally:
        d.close()
