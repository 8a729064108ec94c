"""Issue 9A: local accounts (argon2, rate limiting, CLI), roles enforced in the data layer, server settings."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib

import pytest

from loaders import import_bytes
from loaders.guarded import history_for, import_as, preview_as, restore_as
from loaders.validate import validate_workbook
from loaders.workbook import MAX_FILE_BYTES
from metrics import access
from store import Database, users
from store.access import NOT_AUTHORIZED, NotAuthorized, Principal, local_administrator
from tests.conftest import ROOT
from tests.workbooks import BASE, sheets, xlsx

PW = "una password lunga"
STAFF = [["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione"],
         ["A", "Maria Bianchi", "D1", "60%", 9], ["A", "Luca Verdi", "C1", "40%", 7], ["B", "Maria Bianchi", "D1", "100%", 8]]


def workbook(ente: str, titolo: str = "Piano 2025", staff: bool = True) -> bytes:
    piano = [r if r[0] not in ("Ente", "Titolo") else [r[0], ente if r[0] == "Ente" else titolo] for r in BASE["Piano"]]
    return xlsx(sheets(Piano=piano, **({"Personale": STAFF} if staff else {})))


@pytest.fixture
def two_entes(tmp_path):
    """Ente A (with staff) and Ente B, one plan each."""
    d = Database(tmp_path / "access.duckdb")
    a1 = import_bytes(d, workbook("Ente A"), "a.xlsx", user="test")
    assert a1.ok
    b = import_bytes(d, workbook("Ente B", staff=False), "b.xlsx", user="test")
    assert b.ok
    yield d, a1.plan_id, b.plan_id
    d.close()


def audit_rows(db, action=None):
    sql = "SELECT who, action, outcome, detail FROM audit_log" + (" WHERE action = ?" if action else "") + \
        " ORDER BY audit_id"
    return db.rows(sql, [action] if action else [])


# ----------------------------------------------------------------------------- accounts
def test_password_is_hashed_with_argon2id_and_grants_are_resolved(two_entes):
    db, _a, _b = two_entes
    users.add_user(db, "anna", PW, "lettore", ["ente a"], by="test")
    digest = db.scalar("SELECT password_hash FROM users WHERE username = 'anna'")
    assert digest.startswith("$argon2id$") and PW not in digest
    assert db.rows("SELECT ente FROM user_grants WHERE username = 'anna'") == [("Ente A",)]
    assert [r[1] for r in audit_rows(db) if r[1] in ("utente", "autorizzazione")] == ["utente", "autorizzazione"]
    with pytest.raises(users.UserError, match="esiste già"):
        users.add_user(db, "anna", PW, "lettore", [], by="test")
    with pytest.raises(users.UserError, match="Ente «Ente Z» sconosciuto"):
        users.add_user(db, "bruno", PW, "lettore", ["Ente Z"], by="test")
    with pytest.raises(users.UserError, match="troppo corta"):
        users.add_user(db, "carla", "corta", "lettore", [], by="test")
    with pytest.raises(users.UserError, match="Ruolo «capo» sconosciuto"):
        users.add_user(db, "dario", PW, "capo", [], by="test")
    assert list(users.list_users(db)["username"]) == ["anna"]


def test_login_rate_limited_per_account(two_entes):
    db, _a, _b = two_entes
    users.add_user(db, "anna", PW, "lettore", ["Ente A"], by="test")
    users.add_user(db, "bea", PW, "lettore", ["Ente A"], by="test")
    t0 = dt.datetime(2026, 1, 1, 9, 0)
    for i in range(users.FREE_ATTEMPTS - 1):
        res = users.authenticate(db, "anna", "sbagliata", now=t0)
        assert not res.ok and res.message == users.WRONG and res.locked_until is None
    res = users.authenticate(db, "anna", "sbagliata", now=t0)          # 5th failure: locked 1 minute
    assert not res.ok and "bloccato per 1 minuto" in res.message
    res = users.authenticate(db, "anna", PW, now=t0 + dt.timedelta(seconds=30))
    assert not res.ok and "bloccato" in res.message                     # even the right password
    assert users.authenticate(db, "bea", PW, now=t0).ok                 # per account: bea is not locked
    res = users.authenticate(db, "anna", "sbagliata", now=t0 + dt.timedelta(minutes=2))   # 6th: 2 minutes
    assert "bloccato per 2 minuti" in res.message
    assert users.lock_minutes(5) == 1 and users.lock_minutes(7) == 4 and users.lock_minutes(40) == users.MAX_LOCK_MINUTES
    ok = users.authenticate(db, "anna", PW, now=t0 + dt.timedelta(minutes=5))
    assert ok.ok and ok.principal == Principal("anna", "lettore", frozenset({"Ente A"}), "account")
    assert db.scalar("SELECT failed_logins FROM users WHERE username = 'anna'") == 0
    denied = audit_rows(db, "accesso negato")
    assert len(denied) == 7 and all(r[0] == "anna" and r[2] == "rifiutato" for r in denied)
    assert [r[0] for r in audit_rows(db, "accesso")] == ["bea", "anna"]


def test_unknown_and_disabled_users_get_the_same_answer(two_entes):
    db, _a, _b = two_entes
    users.add_user(db, "anna", PW, "lettore", ["Ente A"], by="test")
    users.set_active(db, "anna", False, by="test")
    assert users.authenticate(db, "anna", PW).message == users.WRONG
    assert users.authenticate(db, "nessuno", PW).message == users.WRONG
    assert users.principal_of(db, "anna") is None
    users.set_active(db, "anna", True, by="test")
    assert users.authenticate(db, "anna", PW).ok


def test_last_administrator_cannot_be_removed(two_entes):
    db, _a, _b = two_entes
    users.add_user(db, "capo", PW, "amministratore", [], by="test")
    with pytest.raises(users.UserError, match="ultimo amministratore"):
        users.set_active(db, "capo", False, by="test")
    with pytest.raises(users.UserError, match="ultimo amministratore"):
        users.set_role(db, "capo", "lettore", by="test")


def run_cli(args, stdin="", db=None):
    return subprocess.run([sys.executable, "-m", "store", *args, *(["--db", str(db)] if db else [])],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_users_add_list_disable(tmp_path):
    path = tmp_path / "cli.duckdb"
    d = Database(path)
    assert import_bytes(d, workbook("Ente A"), "a.xlsx", user="test").ok
    d.close()
    r = run_cli(["users", "list"], db=path)
    assert r.returncode == 0 and "modalità locale" in r.stdout
    r = run_cli(["users", "add", "anna", "--ruolo", "lettore", "--enti", "Ente A"], f"{PW}\n{PW}\n", path)
    assert r.returncode == 0, r.stderr
    assert "Utente «anna» creato" in r.stdout
    r = run_cli(["users", "add", "bruno", "--ruolo", "referente"], f"{PW}\naltra password\n", path)
    assert r.returncode == 1 and "non coincidono" in r.stderr
    r = run_cli(["users", "add", "bruno", "--ruolo", "referente"], f"{PW}\n", path)
    assert r.returncode == 1 and "due righe" in r.stderr
    r = run_cli(["users", "disable", "anna"], db=path)
    assert r.returncode == 0 and "disattivato" in r.stdout
    r = run_cli(["users", "list"], db=path)
    assert "anna\tlettore\tdisattivato\tenti: Ente A" in r.stdout
    d = Database(path)
    try:
        who = {w for w, a, _o, _d in audit_rows(d) if a in ("utente", "autorizzazione")}
        assert len(who) == 1 and next(iter(who)).startswith("riga di comando")
    finally:
        d.close()


# ----------------------------------------------------------------------------- roles in the data layer
def test_reads_are_restricted_to_the_grant(two_entes):
    db, a, b = two_entes
    lettore = Principal("anna", "lettore", frozenset({"Ente A"}))
    assert list(access.list_plans(lettore, db)["plan_id"]) == [a]
    assert access.plan_metrics(lettore, db, a).ctx.ente == "Ente A"
    missing = max(a, b) + 100
    for pid in (b, missing, "x", None):           # another ente's plan and a plan that does not exist: same answer
        with pytest.raises(NotAuthorized) as exc:
            access.plan_metrics(lettore, db, pid)
        assert str(exc.value) == NOT_AUTHORIZED
    other_version = int(db.scalar("SELECT current_import_id FROM plans WHERE plan_id = ?", [b]))
    with pytest.raises(NotAuthorized):             # a version of B through A's plan id
        access.plan_metrics(lettore, db, a, import_id=other_version)
    with pytest.raises(NotAuthorized):
        access.monitoring_dates(lettore, db, a, other_version)
    with pytest.raises(NotAuthorized):
        access.plan_versions(lettore, db, b)
    admin = local_administrator()
    assert set(access.list_plans(admin, db)["plan_id"]) == {a, b}


def test_persone_without_names_below_direttore(two_entes):
    db, a, _b = two_entes
    for role in ("lettore", "referente", "valutatore"):
        pm = access.plan_metrics(Principal("x", role, frozenset({"Ente A"})), db, a)
        assert access.is_redacted(pm)
        assert set(pm.staff["name"]) == {access.REDACTED_NAME} and pm.staff["grade"].isna().all()
        assert pm.people.empty and pm.counts["people"] == 2
        text = repr(pm.staff.to_dict()) + repr(pm.quality)
        assert "Maria" not in text and "Verdi" not in text
        summary = access.staff_summary(pm.staff).set_index("objective_code")
        assert summary.loc["A", "people"] == 2 and summary.loc["B", "people"] == 1
    for role in ("direttore", "amministratore"):
        pm = access.plan_metrics(Principal("x", role, frozenset({"Ente A"})), db, a)
        assert not access.is_redacted(pm) and "Maria Bianchi" in set(pm.staff["name"]) and len(pm.people) == 2


def test_import_preview_restore_need_the_role_and_the_ente(two_entes):
    db, a, b = two_entes
    data = workbook("Ente B", titolo="Piano 2025 bis", staff=False)
    parsed = validate_workbook(data, "b2.xlsx")
    lettore = Principal("anna", "lettore", frozenset({"Ente B"}))
    ref_a = Principal("rita", "referente", frozenset({"Ente A"}))
    ref_b = Principal("rino", "referente", frozenset({"Ente B"}))
    n_plans = db.scalar("SELECT count(*) FROM plans")
    for who in (lettore, ref_a):
        with pytest.raises(NotAuthorized):
            preview_as(db, who, parsed)
        with pytest.raises(NotAuthorized):
            import_as(db, who, data, "b2.xlsx")
    assert db.scalar("SELECT count(*) FROM plans") == n_plans
    assert preview_as(db, ref_b, parsed)["plan"].iloc[0]["is_new"]
    res = import_as(db, ref_b, data, "b2.xlsx")
    assert res.ok and db.scalar("SELECT imported_by FROM imports WHERE import_id = ?", [res.import_id]) == "rino"
    # restore: direttore of the ente only
    v1 = import_bytes(db, workbook("Ente A", staff=False), "a-v2.xlsx", user="test")
    old = int(db.scalar("SELECT import_id FROM imports WHERE plan_id = ? AND version = 1", [a]))
    for who in (ref_a, Principal("dora", "direttore", frozenset({"Ente B"}))):
        with pytest.raises(NotAuthorized):
            restore_as(db, who, old)
    assert db.scalar("SELECT current_import_id FROM plans WHERE plan_id = ?", [a]) == v1.import_id
    assert "Ripristinata la versione 1" in restore_as(db, Principal("dino", "direttore", frozenset({"Ente A"})), old)
    refused = audit_rows(db, "accesso negato")
    assert len(refused) == 6 and {r[0] for r in refused} == {"anna", "rita", "dora"}
    assert set(history_for(db, ref_a)["ente"]) == {"Ente A"}


def test_oidc_claims_map_to_a_role_and_enti(two_entes):
    from ui.auth import principal_from_claims

    db, _a, _b = two_entes
    mapping = {"role_claim": "groups", "ente_claim": "enti", "roles": {"cruscotto-lettori": "lettore",
                                                                       "cruscotto-dir": "direttore"}}
    p = principal_from_claims({"email": "l@ente.it", "groups": ["altro", "cruscotto-lettori"], "enti": ["Ente A"]},
                              mapping, db)
    assert p == Principal("l@ente.it", "lettore", frozenset({"Ente A"}), "oidc")
    p = principal_from_claims({"email": "d@ente.it", "groups": ["cruscotto-lettori", "cruscotto-dir"],
                               "enti": "*"}, mapping, db)
    assert p.role == "direttore" and p.entes is None
    assert principal_from_claims({"email": "x@ente.it", "groups": ["altro"]}, mapping, db) is None
    # a role from the token, no enti claim: the grants given to that name in the database (none yet)
    assert principal_from_claims({"email": "y@ente.it", "groups": ["cruscotto-lettori"]}, mapping, db).entes == frozenset()
    users.add_user(db, "x@ente.it", None, "valutatore", ["Ente B"], by="test")   # an OIDC-only account in the DB
    p = principal_from_claims({"email": "x@ente.it", "groups": ["altro"]}, mapping, db)
    assert p == Principal("x@ente.it", "valutatore", frozenset({"Ente B"}), "oidc")
    assert users.authenticate(db, "x@ente.it", "").message == users.WRONG        # no local password
    users.add_user(db, "y@ente.it", None, "lettore", ["Ente A"], by="test")
    p = principal_from_claims({"email": "y@ente.it", "groups": ["cruscotto-lettori"]}, mapping, db)
    assert p == Principal("y@ente.it", "lettore", frozenset({"Ente A"}), "oidc")


# ----------------------------------------------------------------------------- server settings
def test_config_keeps_xsrf_on_matches_the_importer_limit_and_binds_loopback():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["address"] == "127.0.0.1"
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_local_addresses():
    from ui.auth import is_local_address

    assert all(is_local_address(a) for a in ("127.0.0.1", "localhost", "::1", "127.0.1.1"))
    assert not any(is_local_address(a) for a in ("0.0.0.0", "", None, "192.168.1.10", "::", "cruscotto.ente.it"))


def test_launcher_refuses_a_network_bind_without_accounts(tmp_path):
    path = tmp_path / "serve.duckdb"
    Database(path).close()
    r = subprocess.run([sys.executable, "-m", "ui.serve", "--address", "0.0.0.0", "--db", str(path), "--port", "8599"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                                                    "HOME": str(tmp_path)})
    assert r.returncode == 2, r
    assert "non parte in ascolto su «0.0.0.0»" in r.stderr and "python -m store users add" in r.stderr
    assert "streamlit" not in r.stdout
    # loopback: allowed (dry run prints the command)
    r = subprocess.run([sys.executable, "-m", "ui.serve", "--db", str(path), "--port", "8599", "--dry-run"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and "--server.address 127.0.0.1 --server.port 8599" in r.stdout
    # with an account: the network bind is allowed
    d = Database(path)
    users.add_user(d, "capo", PW, "amministratore", [], by="test")
    d.close()
    r = subprocess.run([sys.executable, "-m", "ui.serve", "--address", "0.0.0.0", "--db", str(path), "--dry-run"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                                                    "HOME": str(tmp_path)})
    assert r.returncode == 0 and "--server.address 0.0.0.0" in r.stdout, r.stderr


def test_makefile_run_uses_the_launcher_with_port_address_and_db():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "DB      := $(or $(CRUSCOTTO_DB),data/cruscotto.duckdb)" in text
    assert "CRUSCOTTO_DB=$(DB) $(PY) -m ui.serve --port $(PORT) --address $(ADDRESS)" in text
    r = subprocess.run(["make", "-n", "run", "PORT=8611", "CRUSCOTTO_DB=altro.duckdb"], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert "--db altro.duckdb" in r.stdout or "altro.duckdb" in r.stdout
    assert "CRUSCOTTO_DB=altro.duckdb" in r.stdout and "--port 8611" in r.stdout


# ----------------------------------------------------------------------------- integration with enti and profiles
def test_a_grant_follows_its_ente_through_a_merge_and_back(two_entes):
    """A lettore of «Ente B» keeps seeing B's plan after B is merged into A (plans.ente becomes «Ente A»), and
    sees only B again after the merge is undone: grants name an ente, not a spelling."""
    from store import enti

    db, a, b = two_entes
    users.add_user(db, "bea", PW, "lettore", ["Ente B"], by="test")
    principal = lambda: Principal("bea", "lettore", access_granted(db, "bea"))  # noqa: E731
    assert access.list_plans(principal(), db)["plan_id"].tolist() == [b]
    ente_a, ente_b = enti.lookup(db, "Ente A"), enti.lookup(db, "Ente B")
    enti.merge_enti(db, ente_b, ente_a, who="test")
    assert sorted(access.list_plans(principal(), db)["plan_id"]) == sorted([a, b])   # B is now part of A
    enti.unmerge_enti(db, ente_b, who="test")
    assert access.list_plans(principal(), db)["plan_id"].tolist() == [b]


def access_granted(db, username):
    from store.access import granted_entes

    return granted_entes(db, username, "lettore")


def test_a_grant_may_name_the_ente_by_its_codice_ipa(two_entes):
    from store import enti

    db, _a, b = two_entes
    enti.set_codice_ipa(db, enti.lookup(db, "Ente B"), "c_b123", who="test")
    users.add_user(db, "carla", PW, "lettore", ["C_B123"], by="test")
    assert db.rows("SELECT ente FROM user_grants WHERE username = 'carla'") == [("Ente B",)]
    assert access.list_plans(Principal("carla", "lettore", access_granted(db, "carla")), db)["plan_id"].tolist() == [b]


@pytest.mark.parametrize("role", ["lettore", "referente", "direttore", "valutatore"])
def test_only_an_administrator_saves_the_measuring_system(two_entes, role):
    from domain.profile import PRESETS
    from metrics.profiles import current_profile

    db, a, _b = two_entes
    profile = next(iter(PRESETS.values()))
    with pytest.raises(NotAuthorized):
        access.save_profile(Principal("x", role, frozenset({"Ente A"})), db, a, "Ente A", 2025, profile)
    assert db.scalar("SELECT count(*) FROM measurement_profiles") == 0
    admin = local_administrator()
    assert access.save_profile(admin, db, a, "Ente A", 2025, profile) == 1
    assert current_profile(db, "Ente A", 2025).version == 1
    assert audit_rows(db, "profilo")[-1][0] == admin.name


@pytest.mark.parametrize("role", ["lettore", "referente", "direttore", "valutatore"])
def test_only_an_administrator_merges_enti_or_sets_a_codice_ipa(two_entes, role):
    from store import access as guarded
    from store import enti

    db, _a, _b = two_entes
    ente_a, ente_b = enti.lookup(db, "Ente A"), enti.lookup(db, "Ente B")
    someone = Principal("x", role, None if role == "valutatore" else frozenset({"Ente A", "Ente B"}))
    for call in (lambda: guarded.merge_enti(someone, db, ente_b, ente_a),
                 lambda: guarded.unmerge_enti(someone, db, ente_b),
                 lambda: guarded.set_codice_ipa(someone, db, ente_a, "c_a1")):
        with pytest.raises(NotAuthorized):
            call()
    assert db.scalar("SELECT count(*) FROM enti WHERE merged_into IS NOT NULL OR codice_ipa IS NOT NULL") == 0
    guarded.merge_enti(local_administrator(), db, ente_b, ente_a)
    assert db.scalar("SELECT count(*) FROM enti WHERE merged_into IS NOT NULL") == 1
