"""Issue 19, the server's edge (``ui/server.py``) without a browser: the routes and the middleware of the
``st.App``, mounted on a plain Starlette app (the same objects) and driven by Starlette's TestClient;
the session and token stores; the API against the CLI. The browser journeys are in tests/e2e/test_edge_e2e.py."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from loaders import import_bytes
from store import Database, get_db, sessions, tokens, users
from tests.conftest import ROOT
from tests.test_access import PW, workbook

BASE_URL = "http://127.0.0.1:8501"
ORIGIN = {"Origin": BASE_URL}


@pytest.fixture
def edge(tmp_path, monkeypatch):
    """A database with Ente A (staff with names) and Ente B, an amministratore, a direttore and a lettore of
    A, and a client of the edge's routes and middleware on it."""
    from ui import server

    path = tmp_path / "edge.duckdb"
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    monkeypatch.setenv("CRUSCOTTO_API_RATE", "1000")
    server.LIMITER.reset()
    db = get_db(path)
    a = import_bytes(db, workbook("Ente A"), "a.xlsx", user="test")
    b = import_bytes(db, workbook("Ente B", staff=False), "b.xlsx", user="test")
    users.add_user(db, "capo", PW, "amministratore", by="test")
    users.add_user(db, "dir_a", PW, "direttore", ["Ente A"], by="test")
    users.add_user(db, "lettore_a", PW, "lettore", ["Ente A"], by="test")
    app = Starlette(routes=server.all_routes(), middleware=[Middleware(server.SecurityHeaders)])
    with TestClient(app, base_url=BASE_URL) as client:
        yield {"db": db, "client": client, "a": a.plan_id, "b": b.plan_id, "path": path, "server": server}


def _csrf(client) -> str:
    r = client.get("/accesso")
    assert r.status_code == 200
    return client.cookies.get("cruscotto_csrf")


def login(client, name: str, password: str = PW, headers=ORIGIN, next_path: str = "/obiettivo?piano=1&obiettivo=A"):
    token = _csrf(client)
    return client.post("/accesso", data={"username": name, "password": password, "csrf": token, "next": next_path},
                       headers=headers, follow_redirects=False)


def set_cookie_header(response, name: str) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith(name + "="))


# ----------------------------------------------------------------------------- login, cookie, logout
def test_login_sets_an_httponly_lax_cookie_without_secure_on_plain_http(edge):
    r = login(edge["client"], "dir_a")
    assert r.status_code == 303
    assert r.headers["location"] == "/obiettivo?piano=1&obiettivo=A"
    cookie = set_cookie_header(r, "cruscotto_sessione")
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
    assert "secure" not in attrs
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40
    # only the hash is stored, and it names the user
    db = edge["db"]
    assert db.scalar("SELECT count(*) FROM sessions WHERE id_hash = ?", [value]) == 0
    assert sessions.lookup(db, value) == "dir_a"


def test_cookie_is_secure_when_the_proxy_says_https(edge):
    r = login(edge["client"], "dir_a", headers={"Origin": "https://cruscotto.ente.it", "Host": "cruscotto.ente.it",
                                                 "X-Forwarded-Proto": "https"})
    assert r.status_code == 303
    attrs = [a.strip().lower() for a in set_cookie_header(r, "cruscotto_sessione").split(";")]
    assert "secure" in attrs and "httponly" in attrs and "samesite=lax" in attrs
    assert "max-age=31536000" in r.headers["strict-transport-security"]


def test_a_forged_login_post_from_another_origin_is_refused(edge):
    client, db = edge["client"], edge["db"]
    r = login(client, "dir_a", headers={"Origin": "https://attacker.example"})
    assert r.status_code == 403
    assert "cruscotto_sessione" not in r.headers.get("set-cookie", "")
    assert "non arriva da questa pagina" in r.text
    # without the anti-forgery value (a cross-site form cannot read the cookie) also refused, even with no Origin
    r = client.post("/accesso", data={"username": "dir_a", "password": PW, "csrf": "indovinato"},
                    follow_redirects=False)
    assert r.status_code == 403
    assert db.scalar("SELECT count(*) FROM sessions") == 0
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'accesso negato' AND detail LIKE '%altra origine%'") == 2


def test_wrong_password_keeps_lockout_and_audit(edge):
    client, db = edge["client"], edge["db"]
    for _ in range(users.FREE_ATTEMPTS):
        r = login(client, "dir_a", password="sbagliata!!")
        assert r.status_code == 401 and "Nome utente o password non corretti" in r.text or "bloccato" in r.text
    r = login(client, "dir_a")                                        # the right password while locked
    assert r.status_code == 401 and "bloccato" in r.text
    assert db.scalar("SELECT count(*) FROM audit_log WHERE who = 'dir_a' AND action = 'accesso negato'") >= 6


def test_next_must_be_a_same_origin_path(edge):
    from ui.login_page import safe_next

    for bad in ("https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", None):
        assert safe_next(bad) == "/"
    assert safe_next("/obiettivo?piano=1&obiettivo=A") == "/obiettivo?piano=1&obiettivo=A"
    r = login(edge["client"], "dir_a", next_path="https://evil.example/")
    assert r.headers["location"] == "/"


def test_logout_revokes_the_record_and_clears_the_cookie(edge):
    client, db = edge["client"], edge["db"]
    value = set_cookie_header(login(client, "dir_a"), "cruscotto_sessione").split(";")[0].split("=", 1)[1]
    r = client.post("/uscita", data={"csrf": client.cookies.get("cruscotto_csrf")}, headers=ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/accesso")
    cleared = set_cookie_header(r, "cruscotto_sessione")
    assert 'cruscotto_sessione=""' in cleared or "max-age=0" in cleared.lower()
    assert sessions.lookup(db, value) is None
    assert db.scalar("SELECT revoked_why FROM sessions") == "uscita"
    assert db.scalar("SELECT count(*) FROM audit_log WHERE who = 'dir_a' AND action = 'uscita'") == 1


# ----------------------------------------------------------------------------- session store
def test_sessions_expire_when_idle_and_at_the_absolute_maximum(db, monkeypatch):
    users.add_user(db, "mario", PW, "amministratore", by="test")
    monkeypatch.setenv("CRUSCOTTO_IDLE_MINUTES", "30")
    monkeypatch.setenv("CRUSCOTTO_SESSION_HOURS", "12")
    t0 = dt.datetime(2025, 12, 31, 8, 0)
    idle = sessions.create(db, "mario", now=t0)
    assert sessions.lookup(db, idle, now=t0 + dt.timedelta(minutes=29)) == "mario"
    assert sessions.lookup(db, idle, now=t0 + dt.timedelta(minutes=29 + 31)) is None        # 31 min idle
    assert sessions.expired_why(db, idle) == "scaduta per inattività"
    assert sessions.lookup(db, idle, now=t0 + dt.timedelta(minutes=61)) is None             # closed for good
    busy = sessions.create(db, "mario", now=t0)
    for step in range(1, 36):                                   # used every 20 minutes up to 11 h 40: never idle
        t = t0 + dt.timedelta(minutes=20 * step)
        assert sessions.lookup(db, busy, now=t) == "mario", t
    assert sessions.lookup(db, busy, now=t0 + dt.timedelta(hours=12, minutes=5)) is None
    assert sessions.expired_why(db, busy) == "durata massima raggiunta"
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'uscita' AND who = 'mario'") == 2


def test_disabling_a_user_or_changing_the_password_revokes_their_sessions(db):
    users.add_user(db, "capo", PW, "amministratore", by="test")
    users.add_user(db, "mario", PW, "direttore", by="test")
    s1, s2 = sessions.create(db, "mario"), sessions.create(db, "mario")
    other = sessions.create(db, "capo")
    users.set_password(db, "mario", "un'altra password lunga", by="test")
    assert sessions.lookup(db, s1) is None and sessions.lookup(db, s2) is None
    assert sessions.lookup(db, other) == "capo"
    s3 = sessions.create(db, "mario")
    _tid, token = tokens.add_token(db, "mario", by="test")
    users.set_active(db, "mario", False, by="test")
    assert sessions.lookup(db, s3) is None
    assert tokens.lookup(db, token) is None
    users.set_active(db, "mario", True, by="test")             # enabled again: the old ones stay revoked
    assert sessions.lookup(db, s3) is None and tokens.lookup(db, token) is None
    assert db.scalar("SELECT count(*) FROM sessions WHERE username = 'mario' AND revoked_at IS NULL") == 0


def test_tokens_store_only_a_hash_and_the_cli_prints_the_token_last(tmp_path):
    path = tmp_path / "t.duckdb"
    run = lambda *a, **kw: subprocess.run([sys.executable, "-m", "store", *a, "--db", str(path)], cwd=ROOT,  # noqa: E731
                                          capture_output=True, text=True, timeout=120, **kw)
    assert run("users", "add", "mario", "--ruolo", "lettore", input=f"{PW}\n{PW}\n").returncode == 0
    r = run("tokens", "add", "mario", "--etichetta", "intranet")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("crp_") and " " not in token and len(token) > 40
    r = run("tokens", "list")
    assert r.returncode == 0 and token not in r.stdout
    line = r.stdout.strip().splitlines()[0]
    assert line.startswith("1\tmario (intranet)\tcreato il ") and "mai usato" in line and "attivo" in line
    assert "revocato" in run("tokens", "revoke", "1").stdout
    assert "revocato il" in run("tokens", "list").stdout
    assert run("tokens", "add", "nessuno").returncode == 1
    db = Database(path)
    try:
        stored = [r[0] for r in db.rows("SELECT token_hash FROM api_tokens")]
        assert stored == [tokens.digest(token)] and token not in stored
        assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'autorizzazione' AND detail LIKE '%token API%'") == 2
    finally:
        db.close()


# ----------------------------------------------------------------------------- headers
def test_security_headers_on_every_response(edge, monkeypatch):
    client = edge["client"]
    for r in (client.get("/accesso"), client.get("/api/v1/piani"), client.get("/api/v1/openapi.json"),
              client.get("/api/v1/non-esiste")):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "unsafe-eval'" not in csp.replace("wasm-unsafe-eval'", "")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in r.headers          # plain http: no HSTS
    monkeypatch.setenv("CRUSCOTTO_FRAME_ANCESTORS", "https://intranet.ente.it")
    r = client.get("/accesso")
    assert "frame-ancestors https://intranet.ente.it" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers


def test_the_csp_allows_the_app_inline_scripts_by_hash():
    from ui.common import ITALIAN_DOCUMENT
    from ui.server import CSP_BASE, script_hashes

    hashes = script_hashes(ITALIAN_DOCUMENT)
    assert len(hashes) == 1 and hashes[0] in CSP_BASE
    assert "'unsafe-inline'" not in CSP_BASE.split("script-src")[1].split(";")[0]


# ----------------------------------------------------------------------------- API
def api_get(edge, path: str, token: str | None):
    return edge["client"].get(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def test_api_401_403_404_422(edge):
    db = edge["db"]
    _id, lettore = tokens.add_token(db, "lettore_a", by="test")
    _id, capo = tokens.add_token(db, "capo", by="test")
    r = api_get(edge, "/api/v1/piani", None)
    assert r.status_code == 401 and r.json()["errore"]["stato"] == 401 and "Token" in r.json()["errore"]["messaggio"]
    assert api_get(edge, "/api/v1/piani", "crp_inventato").status_code == 401
    r = api_get(edge, f"/api/v1/piani/{edge['b']}/report", lettore)
    assert r.status_code == 403 and r.json()["errore"]["messaggio"].startswith("Non autorizzato")
    assert api_get(edge, "/api/v1/piani/999/report", lettore).status_code == 403      # reveals nothing
    r = api_get(edge, "/api/v1/piani/999/obiettivi", capo)
    assert r.status_code == 404 and "non esiste" in r.json()["errore"]["messaggio"]
    r = api_get(edge, f"/api/v1/piani/{edge['a']}/report?data=31/13/2025", capo)
    assert r.status_code == 422 and "data" in r.json()["errore"]["messaggio"]
    assert api_get(edge, "/api/v1/piani/uno/report", capo).status_code == 422
    assert api_get(edge, "/api/v1/altro", capo).status_code == 404


def test_lettore_sees_only_own_ente_and_no_names(edge):
    db = edge["db"]
    _id, lettore = tokens.add_token(db, "lettore_a", by="test")
    _id, direttore = tokens.add_token(db, "dir_a", by="test")
    r = api_get(edge, "/api/v1/piani", lettore)
    assert r.status_code == 200 and [p["id"] for p in r.json()["piani"]] == [edge["a"]]
    r = api_get(edge, f"/api/v1/piani/{edge['a']}/obiettivi", lettore)
    body = r.text
    assert r.status_code == 200 and r.json()["nominativi"] is False
    assert "Maria Bianchi" not in body and "Luca Verdi" not in body and "personale" not in body
    assert r.json()["obiettivi"][0]["persone"] == 2
    report = api_get(edge, f"/api/v1/piani/{edge['a']}/report", lettore).text
    assert "Maria Bianchi" not in report and "Luca Verdi" not in report
    r = api_get(edge, f"/api/v1/piani/{edge['a']}/obiettivi", direttore)
    assert r.json()["nominativi"] is True
    assert {p["nome"] for p in r.json()["obiettivi"][0]["personale"]} == {"Maria Bianchi", "Luca Verdi"}


def test_revoked_token_and_disabled_user_get_401(edge):
    db = edge["db"]
    tid, token = tokens.add_token(db, "dir_a", by="test")
    assert api_get(edge, "/api/v1/piani", token).status_code == 200
    tokens.revoke_token(db, tid, by="test")
    assert api_get(edge, "/api/v1/piani", token).status_code == 401
    _tid, token2 = tokens.add_token(db, "dir_a", by="test")
    users.set_active(db, "dir_a", False, by="test")
    assert api_get(edge, "/api/v1/piani", token2).status_code == 401


def test_rate_limit_per_token(edge, monkeypatch):
    db = edge["db"]
    monkeypatch.setenv("CRUSCOTTO_API_RATE", "3")
    _id, t1 = tokens.add_token(db, "capo", by="test")
    _id, t2 = tokens.add_token(db, "dir_a", by="test")
    assert [api_get(edge, "/api/v1/piani", t1).status_code for _ in range(4)] == [200, 200, 200, 429]
    r = api_get(edge, "/api/v1/piani", t1)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "al minuto" in r.json()["errore"]["messaggio"]
    assert api_get(edge, "/api/v1/piani", t2).status_code == 200                  # another token: its own budget
    limiter = edge["server"].RateLimiter(limit=lambda: 2, window=60)
    assert [limiter.allow("k", now=t)[0] for t in (0, 1, 2, 61)] == [True, True, False, True]


def test_every_api_call_is_in_the_registro(edge):
    db = edge["db"]
    tid, token = tokens.add_token(db, "lettore_a", by="test")
    api_get(edge, "/api/v1/piani", token)
    api_get(edge, f"/api/v1/piani/{edge['b']}/obiettivi", token)
    api_get(edge, "/api/v1/piani", "crp_sbagliato")
    rows = db.rows("SELECT who, outcome, detail FROM audit_log WHERE action = 'lettura API' ORDER BY audit_id")
    assert rows == [("lettore_a", "ok", f"GET /api/v1/piani (token n. {tid})"),
                    ("lettore_a", "rifiutato", f"GET /api/v1/piani/{edge['b']}/obiettivi: 403 (token n. {tid})"),
                    ("?", "rifiutato", "GET /api/v1/piani: token assente o non valido")]


def test_api_report_equals_the_cli_report(edge):
    db, path = edge["db"], edge["path"]
    _id, token = tokens.add_token(db, "capo", by="test")
    api = api_get(edge, f"/api/v1/piani/{edge['a']}/report?data=30/06/2025", token)
    assert api.status_code == 200
    db.close()                                   # the CLI is another process (DuckDB locks the file per process)
    cli = subprocess.run([sys.executable, "-m", "metrics", "report", "--format", "json", "--plan", str(edge["a"]),
                          "--as-of", "30/06/2025", "--db", str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert api.json() == json.loads(cli.stdout)
    assert api.json()["as_of"] == "2025-06-30"


def test_openapi_document_validates(edge):
    from openapi_spec_validator import validate

    r = edge["client"].get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert set(doc["paths"]) == {"/piani", "/piani/{plan_id}/report", "/piani/{plan_id}/obiettivi"}
    for route in edge["server"].ROUTES:                  # every API route is described
        if route.path.startswith("/api/v1/") and not route.path.endswith("openapi.json"):
            assert route.path.removeprefix("/api/v1") in doc["paths"]


def test_the_anti_forgery_cookie_is_set_on_a_page_load_even_when_the_page_is_cached(edge):
    client = edge["client"]
    r = client.get("/api/v1/openapi.json", headers={"Accept": "text/html,application/xhtml+xml"})
    attrs = [a.strip().lower() for a in set_cookie_header(r, "cruscotto_csrf").split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs and "secure" not in attrs
    assert "cruscotto_csrf" not in client.get("/api/v1/openapi.json").headers.get("set-cookie", "")   # has it


def test_streamlit_run_finds_the_edge_app_in_ui_server_py():
    """``make run`` runs ``streamlit run ui/server.py``: Streamlit finds the ``st.App`` by reading the file (AST)."""
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "ui" / "server.py")
    assert found.is_asgi_app and found.app_name == "app"


def test_the_edge_serves_the_calendar_feed_with_its_headers_and_grants(edge):
    """Issue 18's subscribable calendar, mounted on the edge (issue 19): a lettore's address carries only the
    lettore's ente, has the security headers, and a revoked address is refused with 403."""
    from icalendar import Calendar

    from store import calendar_tokens

    db, client = edge["db"], edge["client"]
    token = calendar_tokens.create_token(db, "lettore_a", by="test")
    r = client.get(f"/calendario/{token}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert r.headers["x-content-type-options"] == "nosniff" and "frame-ancestors" in r.headers["content-security-policy"]
    text = Calendar.from_ical(r.content).to_ical().decode("utf-8")
    assert "Ente A" in text and "Ente B" not in text
    calendar_tokens.revoke_tokens(db, "lettore_a", by="test")
    assert client.get(f"/calendario/{token}.ics").status_code == 403
