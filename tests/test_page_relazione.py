"""Page «Relazione» in AppTest: the ente writes its texts (saved, audited, in the Word Relazione at once),
the downloads, and a lettore who may read but not write (the data layer refuses too)."""
from __future__ import annotations

import io

import pytest
from docx import Document

from loaders import import_file
from store import Database, users
from tests.apptest import capture_downloads, deliver, open_app, read
from tests.conftest import DEMO
from tests.test_page_login_utenti import PW, app, login

RELAZIONE = "pages/relazione.py"
CISA = "Consorzio Intercomunale Servizi Socio Assistenziali 31 (C.I.S.A. 31)"


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")    # charts are notes: quick documents


@pytest.fixture
def cisa_db(tmp_path):
    d = Database(tmp_path / "rel.duckdb")
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    d.close()
    return tmp_path / "rel.duckdb"


def test_texts_saved_from_the_page_reach_the_word_relazione(monkeypatch, cisa_db):
    downloads = capture_downloads(monkeypatch)
    at = open_app(monkeypatch, cisa_db, RELAZIONE, piano=1, anno=2023)
    assert at.title[0].value == "Relazione sulla performance"
    labels = [b.label for b in at.get("download_button")]
    assert "Relazione (Word)" in labels and "Validazione (Word)" in labels
    at.text_area(key="rel_text_territorio").input("Otto Comuni: Carignano, Carmagnola e altri sei; 231 kmq.")
    at.text_area(key="rel_text_presentazione").input("Ai cittadini del C.I.S.A. 31.")
    at.button(key="FormSubmitter:rel_texts-Salva i testi").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Salvati: Presentazione, Territorio.")
    assert read(cisa_db, "SELECT block, version FROM relazione_texts ORDER BY block") == [
        ("presentazione", 1), ("territorio", 1)]
    assert read(cisa_db, "SELECT count(*) FROM audit_log WHERE action = 'contesto relazione'") == [(1,)]
    doc = Document(io.BytesIO(deliver(downloads, "rel_dl_rel_docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Otto Comuni: Carignano, Carmagnola e altri sei; 231 kmq." in body and "Ai cittadini del C.I.S.A. 31." in body
    assert "BOZZA" in doc.paragraphs[0].text
    # the same texts again: nothing saved, said kindly
    at.button(key="FormSubmitter:rel_texts-Salva i testi").click().run()
    assert at.success[0].value == "Nessuna modifica da salvare."
    assert read(cisa_db, "SELECT count(*) FROM relazione_texts") == [(2,)]


def test_a_lettore_reads_but_cannot_write(monkeypatch, cisa_db):
    d = Database(cisa_db)
    users.add_user(d, "lettore_a", PW, "lettore", [CISA], by="test")
    users.add_user(d, "capo", PW, "amministratore", [], by="test")
    d.close()
    at = login(app(monkeypatch, cisa_db), "lettore_a")
    at.switch_page(RELAZIONE).run()
    assert not at.exception, at.exception
    assert all(t.disabled for t in at.text_area)
    assert any("scriverli spetta" in i.value for i in at.info)
    assert read(cisa_db, "SELECT count(*) FROM relazione_texts") == [(0,)]
