"""Registro, Enti, the «È lo stesso ente?» question of Carica foglio, Confronto across the same ente's
plans and the audited download buttons, through AppTest."""
from __future__ import annotations

import pytest

from loaders import import_bytes, import_file
from store import Database
from tests.apptest import capture_downloads, deliver, open_app, read
from tests.conftest import DEMO, ROOT
from tests.workbooks import CSSM_FULL_NAME, cssm_2020, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCAL = "amministratore locale"
CSSM_DEMO = DEMO / "000_cssm_piao_2025_2027.xlsx"


def two_cssm(path, merged_by_question: bool = False):
    """CSSM 2025 (demo) and the 2020 plan uploaded as «C.S.S.M. - …»: two enti."""
    d = Database(path)
    try:
        import_file(d, CSSM_DEMO, user="test")
        import_bytes(d, cssm_2020(ROOT), "cssm_2020.xlsx", user="test")
    finally:
        d.close()


def texts(elements) -> str:
    return " | ".join(str(e.value) for e in elements)


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_registro_lists_filters_and_downloads_the_trail(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    d = Database(path)
    import_bytes(d, xlsx(), "p.xlsx", user="mario")
    import_bytes(d, b"non excel", "rotto.xlsx", user="anna")
    d.close()
    downloads = capture_downloads(monkeypatch)
    at = open_app(monkeypatch, path, "pages/registro.py")
    assert at.title[0].value == "Registro delle attività"
    table = at.dataframe[0].value
    assert list(table.columns) == ["Quando", "Chi", "Azione", "Esito", "Ente", "Piano", "Versione", "Dettaglio"]
    assert list(table["Azione"]) == ["importazione rifiutata", "import"]          # newest first
    assert list(table["Esito"]) == ["✗ rifiutato", "✓ ok"]
    assert table["Quando"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d").all()
    assert list(table["Ente"]) == ["", "Consorzio Test"] and list(table["Versione"]) == ["", "1"]
    assert "2 eventi" in texts(at.markdown)

    by_label(at.multiselect, "Chi").set_value(["mario"]).run()
    assert list(at.dataframe[0].value["Chi"]) == ["mario"] and "chi: mario" in texts(at.markdown)
    by_label(at.multiselect, "Chi").set_value([]).run()
    by_label(at.multiselect, "Esito").set_value(["rifiutato"]).run()
    assert list(at.dataframe[0].value["Chi"]) == ["anna"]
    by_label(at.multiselect, "Esito").set_value([]).run()
    ente = by_label(at.selectbox, "Ente interessato")
    ente.set_value(ente.options and read(path, "SELECT ente_id FROM enti")[0][0]).run()
    assert list(at.dataframe[0].value["Azione"]) == ["import"]

    before = read(path, "SELECT count(*) FROM audit_log")[0][0]
    assert by_label(at.download_button, "Scarica il registro in Excel")   # shown; the file is built on click
    assert read(path, "SELECT count(*) FROM audit_log")[0][0] == before
    assert deliver(downloads, "reg_download")[:2] == b"PK"                 # an .xlsx (zip)
    rows = read(path, "SELECT action, who, detail FROM audit_log WHERE audit_id > ?", [before])
    assert len(rows) == 1 and rows[0][:2] == ("scaricamento", LOCAL)
    assert "registro delle attività (1 eventi; " in rows[0][2] and "ente: Consorzio Test" in rows[0][2]


def _cssm_2020_uploaded(monkeypatch, tmp_path):
    """CSSM's 2025 plan stored; the Carica page with CSSM's 2020 plan (full name, same acronym) uploaded."""
    path = tmp_path / "db.duckdb"
    d = Database(path)
    import_file(d, CSSM_DEMO, user="test")
    d.close()
    at = open_app(monkeypatch, path, "pages/carica.py")
    at.file_uploader[0].set_value(("cssm_2020.xlsx", cssm_2020(ROOT), XLSX)).run()
    return path, at


def test_carica_asks_whether_a_similar_ente_is_the_same_and_yes_joins_it(monkeypatch, tmp_path):
    path, at = _cssm_2020_uploaded(monkeypatch, tmp_path)
    assert not at.exception, at.exception
    question = by_label(at.radio, "È lo stesso ente di «CSSM»?")
    assert question.value is None and "stessa sigla CSSM" in question.help
    assert not [b for b in at.button if b.label == "Conferma importazione"]   # answer first
    assert "Rispondi alla domanda" in texts(at.info)
    question.set_value("Sì, è lo stesso ente").run()
    assert "sarà importato sotto «CSSM»" in texts(at.caption)
    assert "Nuovo piano" in texts(at.info)
    by_label(at.button, "Conferma importazione").click().run()
    assert not at.exception, at.exception
    assert read(path, "SELECT count(*) FROM enti") == [(1,)]
    assert read(path, "SELECT ente, count(*) FROM plans GROUP BY ente") == [("CSSM", 2)]
    assert read(path, "SELECT alias FROM ente_aliases") == [(CSSM_FULL_NAME,)]
    assert at.sidebar.selectbox(key="sel_ente").value == "CSSM"
    assert len(at.sidebar.selectbox(key="sel_plan").options) == 2


def test_carica_no_makes_a_new_ente(monkeypatch, tmp_path):
    path, at = _cssm_2020_uploaded(monkeypatch, tmp_path)
    by_label(at.radio, "È lo stesso ente di «CSSM»?").set_value("No, è un ente diverso").run()
    assert f"«{CSSM_FULL_NAME}» sarà un ente nuovo." in texts(at.caption)
    by_label(at.button, "Conferma importazione").click().run()
    assert read(path, "SELECT count(*) FROM enti") == [(2,)]


def test_enti_page_merges_then_confronto_compares_the_years_then_undo(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    two_cssm(path)
    at = open_app(monkeypatch, path, "pages/enti.py")
    table = at.dataframe[0].value
    assert set(table["Ente"]) == {"CSSM", CSSM_FULL_NAME} and list(table["Piani"]) == [1, 1]
    by_label(at.selectbox, "Ente da unire").set_value(read(path, "SELECT ente_id FROM enti WHERE nome <> 'CSSM'")[0][0])
    at.run()
    by_label(at.selectbox, "Nell'ente").set_value(read(path, "SELECT ente_id FROM enti WHERE nome = 'CSSM'")[0][0])
    at.run()
    by_label(at.button, "Unisci").click().run()
    assert not at.exception, at.exception
    assert "unito a «CSSM»: 1 piano spostato" in texts(at.success)
    table = at.dataframe[0].value
    assert dict(zip(table["Ente"], table["Stato"]))[CSSM_FULL_NAME] == "unito a «CSSM»"
    assert at.sidebar.selectbox(key="sel_ente").options == ["CSSM"]          # one ente in the sidebar
    assert read(path, "SELECT action, who FROM audit_log WHERE action = 'unione enti'") == [("unione enti", LOCAL)]

    p2025 = read(path, "SELECT plan_id FROM plans WHERE titolo LIKE 'PIAO%'")[0][0]
    at = open_app(monkeypatch, path, "pages/confronto.py", piano=p2025)
    # the 2025 plan has one version and one monitoring date: the other plan of its ente is the only comparison
    assert not [r for r in at.radio if r.label == "Confrontare"]
    assert by_label(at.selectbox, "Piano da confrontare").value == read(
        path, "SELECT plan_id FROM plans WHERE titolo LIKE 'Piano della performance 2020%'")[0][0]
    labels = [m.label for m in at.metric]
    assert "Raggiungimento piano 2020" in labels and "Raggiungimento piano 2025" in labels
    assert "Piano della performance 2020-2022" in texts(at.caption)

    at = open_app(monkeypatch, path, "pages/enti.py")
    by_label(at.button, "Separa").click().run()
    assert "separato da «CSSM»" in texts(at.success)
    assert read(path, "SELECT count(*) FROM enti WHERE merged_into IS NULL") == [(2,)]
    assert sorted(at.sidebar.selectbox(key="sel_ente").options) == sorted(["CSSM", CSSM_FULL_NAME])


@pytest.mark.parametrize("label", ["Scarica il modello vuoto"])
def test_carica_download_is_recorded_without_moving_the_data_version(monkeypatch, tmp_path, label):
    path = tmp_path / "db.duckdb"
    d = Database(path)
    import_bytes(d, xlsx(), "p.xlsx", user="mario")
    version = d.version()
    d.close()
    downloads = capture_downloads(monkeypatch)
    at = open_app(monkeypatch, path, "pages/carica.py")
    assert by_label(at.download_button, label) and not at.exception
    assert deliver(downloads, "carica_template")[:2] == b"PK"
    assert read(path, "SELECT action, who, detail FROM audit_log ORDER BY audit_id DESC LIMIT 1") == [
        ("scaricamento", LOCAL, "modello vuoto")]
    d = Database(path)
    assert d.version() == version
    d.close()


def test_presentazione_download_is_recorded_with_plan_and_version(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    d = Database(path)
    res = import_bytes(d, xlsx(), "p.xlsx", user="mario")
    d.close()
    downloads = capture_downloads(monkeypatch)
    at = open_app(monkeypatch, path, "pages/presentazione.py")
    assert any("Excel" in b.label for b in at.download_button) and not at.exception
    assert deliver(downloads, "pres_dl_xlsx")[:2] == b"PK"
    rows = read(path, "SELECT action, who, plan_id, import_id FROM audit_log ORDER BY audit_id DESC LIMIT 1")
    assert rows == [("scaricamento", LOCAL, res.plan_id, res.import_id)]


def test_registro_shows_the_newest_thousand_and_says_so(monkeypatch, tmp_path):
    from store import audit
    path = tmp_path / "db.duckdb"
    d = Database(path)
    with d.transaction() as cur:
        for i in range(1005):
            audit.record(cur, "mario", "scaricamento", detail=f"file {i}")
    d.close()
    at = open_app(monkeypatch, path, "pages/registro.py")
    table = at.dataframe[0].value
    assert len(table) == 1000 and table["Dettaglio"].iloc[0] == "file 1004"
    assert "1.005 eventi" in texts(at.markdown) and "i 1.000 eventi più recenti" in texts(at.caption)


def test_enti_page_sets_the_codice_ipa(monkeypatch, tmp_path):
    path = tmp_path / "db.duckdb"
    two_cssm(path)
    at = open_app(monkeypatch, path, "pages/enti.py")
    cssm = read(path, "SELECT ente_id FROM enti WHERE nome = 'CSSM'")[0][0]
    by_label(at.selectbox, "Ente a cui dare il codice").set_value(cssm).run()
    by_label(at.text_input, "Codice IPA").set_value("cssm_cn").run()
    by_label(at.button, "Salva il codice").click().run()
    assert not at.exception, at.exception
    from ui.common import plain
    assert plain("Codice IPA di «CSSM»: cssm_cn.") in texts(at.success)   # Markdown source, «_» escaped
    table = at.dataframe[0].value
    assert dict(zip(table["Ente"], table["Codice IPA"]))["CSSM"] == "cssm_cn"
    assert read(path, "SELECT action, who FROM audit_log WHERE action = 'ente'") == [("ente", LOCAL)]
