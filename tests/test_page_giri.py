"""Giri di monitoraggio page (issue 18), driven through AppTest: open a round, download the zip and one
workbook, upload an answer (and a refused one, row by row), the status table with the reminder and the
mailto link, prepare the closing (diff, missing steps), confirm: a new version. Roles: the page is offered to
who can run a round or upload answers."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from streamlit.testing.v1 import AppTest

from loaders import import_bytes
from store import Database
from tests.apptest import capture_downloads, deliver, read
from tests.conftest import ROOT
from tests.test_rounds import ANSWERS, STEP_RESP, fill
from tests.workbooks import sheets, xlsx

PAGE = "pages/giri.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _db(tmp_path):
    path = tmp_path / "giri.duckdb"
    d = Database(path)
    assert import_bytes(d, xlsx(sheets(Step=STEP_RESP, Verifiche=None)), "piccolo.xlsx", user="test").ok
    d.close()
    return path


def _open(monkeypatch, path) -> AppTest:
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    monkeypatch.delenv("CRUSCOTTO_USER", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _ok(at):
    at.run()
    assert not at.exception, at.exception
    return at


def test_round_journey_on_the_page(monkeypatch, tmp_path):
    path = _db(tmp_path)
    captured = capture_downloads(monkeypatch)
    at = _open(monkeypatch, path)
    assert "Nessun giro di monitoraggio per questo piano." in [i.value for i in at.info]
    at.date_input[0].set_value(dt.date(2025, 8, 31))
    at.date_input[1].set_value(dt.date(2025, 9, 10))
    _button(at, "Apri il giro").click()
    _ok(at)
    assert any("Giro n. 1 aperto: 3 fogli" in s.value for s in at.success)
    _ok(at)
    assert at.selectbox(key="giri_select").value == 1
    zipped = deliver(captured, "giri_zip_1")
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        names = zf.namelist()
        anna_name = next(n for n in names if "Anna" in n)
        anna = zf.read(anna_name)
    assert len(names) == 3
    # a refused answer: another responsible's step, row and column named, nothing stored
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(fill(anna, ANSWERS)))
    wb["Verifiche"].protection.sheet = False
    wb["Verifiche"]["A3"] = "B.1"
    wb["Verifiche"]["B3"] = "B"
    bad = io.BytesIO()
    wb.save(bad)
    at.file_uploader(key="giri_upload_0").set_value([("anna_sbagliato.xlsx", bad.getvalue(), XLSX)])
    _ok(at)
    _button(at, "Registra le risposte").click()
    _ok(at)
    assert any("Risposta rifiutata" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "Riga" in d.value.columns)
    assert list(problems["Riga"]) == [3] and list(problems["Colonna"]) == ["Step"]
    assert read(path, "SELECT count(*) FROM round_answers")[0][0] == 0
    at.file_uploader(key="giri_upload_1").set_value([(anna_name, fill(anna, ANSWERS), XLSX)])
    _ok(at)
    _button(at, "Registra le risposte").click()
    _ok(at)
    assert any("Risposta di «Anna» registrata: 2 step su 2" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "Esito" in d.value.columns)
    assert dict(zip(table["Responsabile"], table["Esito"])) == {"Anna": "risposto", "Bruno": "in attesa",
                                                               "Carla": "in attesa"}
    assert any("mailto:?subject=Monitoraggio" in m.value for m in at.markdown)
    assert any("10/09/2025" in c.value for c in at.code)
    at.selectbox(key="giri_ics_who").set_value("Carla")
    _ok(at)
    import icalendar
    carla = list(icalendar.Calendar.from_ical(deliver(captured, "giri_ics")).walk("VEVENT"))
    assert sorted(str(e["UID"]).split("@")[0].split("-", 1)[0] for e in carla) == ["giro", "step"]   # B.1, the round
    _button(at, "Prepara la chiusura").click()
    _ok(at)
    assert any("step senza risposta" in w.value and "B.1" in w.value for w in at.warning)
    _button(at, "Conferma e chiudi il giro").click()
    _ok(at)
    assert any("Giro n. 1 chiuso" in s.value and "versione 2" in s.value for s in at.success)
    assert read(path, "SELECT max(version) FROM imports")[0][0] == 2
    assert read(path, "SELECT closed_import_id IS NOT NULL FROM rounds")[0][0]
    at.switch_page("pages/panoramica.py")
    _ok(at)
    assert any("giro di monitoraggio n. 1" in i.value and "B.1" in i.value and "risposte mancanti" in i.value
               for i in at.info), [i.value for i in at.info]


def test_page_offered_by_role(monkeypatch, tmp_path):
    from store.users import add_user
    from tests.test_page_login_utenti import offered

    path = _db(tmp_path)
    d = Database(path)
    ente = d.scalar("SELECT ente FROM plans")
    for who, role in (("lea", "lettore"), ("rita", "referente"), ("dora", "direttore")):
        add_user(d, who, "una-password-lunga-123", role, [ente], by="test")
    d.close()
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    for who, expected, can_open in (("lea", False, False), ("rita", True, False), ("dora", True, True)):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.run()
        at.text_input[0].input(who)
        at.text_input[1].input("una-password-lunga-123")
        at.button[0].click()
        at.run()
        assert offered(at, PAGE) is expected, who
        if expected:
            at.run()
            assert not at.exception, at.exception
            assert any(e.label == "Apri un nuovo giro" for e in at.expander) is can_open, who


def test_carica_recognises_a_round_answer(monkeypatch, tmp_path):
    from loaders import rounds as R
    from store.access import local_administrator

    path = _db(tmp_path)
    d = Database(path)
    plan_id = d.scalar("SELECT plan_id FROM plans")
    rid = R.open_round(d, local_administrator(), plan_id, dt.date(2025, 8, 31), dt.date(2025, 9, 10))
    fname, data = R.round_workbook(d, local_administrator(), rid, "Bruno")
    d.close()
    monkeypatch.setenv("CRUSCOTTO_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/carica.py")
    _ok(at)
    at.file_uploader[0].set_value((fname, fill(data, ANSWERS), XLSX))
    _ok(at)
    assert any("è la risposta a un giro di monitoraggio" in i.value for i in at.info)
    assert not any(b.label == "Conferma importazione" for b in at.button)
    _button(at, "Registra la risposta").click()
    _ok(at)
    assert any("Risposta di «Bruno» registrata: 1 step su 1" in s.value for s in at.success)
    assert read(path, "SELECT count(*) FROM round_answers")[0][0] == 1
    assert read(path, "SELECT max(version) FROM imports")[0][0] == 1          # the plan changes at the closing


def test_scadenze_calendar_download_and_personal_address(monkeypatch, tmp_path):
    import icalendar

    from store.calendar_tokens import principal_for_token
    from store.users import add_user
    from tests.test_page_login_utenti import offered

    path = _db(tmp_path)
    captured = capture_downloads(monkeypatch)
    at = _open(monkeypatch, path)
    at.switch_page("pages/scadenze.py")
    _ok(at)
    events = list(icalendar.Calendar.from_ical(deliver(captured, "dl_ics")).walk("VEVENT"))
    assert len([e for e in events if str(e["UID"]).startswith("step-")]) == 3
    assert any("quando si accede con un account" in c.value for c in at.caption)
    d = Database(path)
    add_user(d, "dora", "una-password-lunga-123", "direttore", [d.scalar("SELECT ente FROM plans")], by="test")
    d.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.text_input[0].input("dora")
    at.text_input[1].input("una-password-lunga-123")
    at.button[0].click()
    at.run()
    assert offered(at, "pages/scadenze.py")
    _ok(at)
    _button(at, "Crea un nuovo indirizzo").click()
    _ok(at)
    url = next(c.value for c in at.code if "/calendario/" in c.value)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    d = Database(path)
    assert principal_for_token(d, token).name == "dora"
    d.close()
    _button(at, "Revoca l'indirizzo").click()
    _ok(at)
    d = Database(path)
    assert principal_for_token(d, token) is None
    d.close()
