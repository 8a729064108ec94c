"""The Relazione sulla performance and the documento di validazione (exports/relazione.py), the ente's
texts (store/relazione.py), the PDF/A-2 conversion (exports/pdf.py) and the evaluation bands formula.

Fixtures from the demo data: CISA 31 2023 (seed 004: five objectives, the four rows per objective) and
CISSA 2023 (seed 002: objectives 1 = 66,7% and 5 = 80% at 31/12, with a register, an approval and a
validation as the year-end workflow will pass them)."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import threading

import pandas as pd
import pytest
from docx import Document

from exports import FORMATS, export
from exports.pdf import PdfError, to_pdf_a
from exports.relazione import (CRITERIA, REGISTER_COLUMNS, RelazioneInput, auto_checks, empty_register, relazione_input,
                               timeline, to_relazione_docx, to_relazione_pdf, to_validation_docx,
                               to_validation_pdf)
from metrics.engine import plan_metrics
from metrics.fmt import fmt_pct
from metrics.formulas import evaluation_distribution
from store import Database, audit
from metrics.access import save_relazione_texts
from store.access import NotAuthorized, Principal
from store.relazione import BLOCKS, current_texts, save_texts
from tests.conftest import DEMO, ROOT

pikepdf = pytest.importorskip("pikepdf")
FOUR_ROWS = ("Indicatori e target", "Risultato misurato", "Fonti di dati utilizzate", "Risultato valutato")
APPROVED = {"state": "validata", "approval_act": "Delibera CdA n. 12 del 20/06/2024",
            "approval_date": dt.date(2024, 6, 20), "validation_outcome": "validata",
            "validation_date": dt.date(2024, 6, 28), "validated_by": "Nucleo di valutazione"}
PAPERS = {"criteria": [{"criterion": "Conformità al Piano", "outcome": "conforme",
                        "reason": "Tutti gli obiettivi del piano sono rendicontati."},
                       {"criterion": "Scostamenti motivati", "outcome": "con rilievi",
                        "reason": "L'obiettivo 5 ha una causa ma nessun trattamento."}],
          "objectives": [{"code": "1", "source": "Verbali della cabina di regia PNRR",
                          "method": "campione", "sample": "3 su 6", "outcome": "conforme", "note": ""},
                         {"code": "5", "source": "Statistiche del sito", "method": "ricalcolo",
                          "sample": "", "outcome": "con rilievi", "note": "Pagina Facebook non attivata."}]}


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    """Charts are the docx module's business (tested there): here they are notes, so the tests are quick."""
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    from loaders import import_file

    d = Database(tmp_path_factory.mktemp("rel") / "rel.duckdb")
    for f in ("002_cissa_pianezza_2023.xlsx", "004_cisa31_2023.xlsx"):
        assert import_file(d, DEMO / f, user="test").ok
    yield d
    d.close()


@pytest.fixture(scope="module")
def cissa(dbs):
    return plan_metrics(dbs, 1)


@pytest.fixture(scope="module")
def cisa(dbs):
    return plan_metrics(dbs, 2)


def cissa_register(decided: bool = True) -> pd.DataFrame:
    """The register of CISSA 2023 as the year-end workflow fills it: objectives 1 (66,7%) and 5 (80%)."""
    return pd.DataFrame([
        dict(level="obiettivo", code="1", title="PNRR intervento 1.1.1", planned=100.0, actual=66.7, variance_abs=-33.3,
             variance_pct=-33.3, cause="esogena", imputabile="no",
             description="Il Ministero ha aperto la piattaforma di rendicontazione a novembre.",
             evidence="Nota ministeriale del 12/10/2023", treatment="neutralizzazione", new_weight=None,
             organ="CdA" if decided else None, act="Delibera CdA n. 5 del 10/03/2024" if decided else None,
             act_date=dt.date(2024, 3, 10) if decided else None, decided=decided),
        dict(level="obiettivo", code="5", title="Sito internet", planned=100.0, actual=80.0, variance_abs=-20.0,
             variance_pct=-20.0, cause="endogena", imputabile="in parte", description="Pagina Facebook non attivata.",
             evidence="", treatment="nessuno", new_weight=None, organ=None, act=None, act_date=None, decided=False),
    ], columns=REGISTER_COLUMNS)


def doc_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    parts += [p.text for p in doc.sections[0].header.paragraphs + doc.sections[0].footer.paragraphs]
    return "\n".join(parts)


def objective_tables(doc) -> dict[str, dict[str, str]]:
    """Each objective's table (the one after its heading): row label → text."""
    out, heading = {}, None
    body = doc.element.body
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            txt = "".join(t.text or "" for t in el.iter() if t.tag.endswith("}t"))
            style = el.find(".//{*}pStyle")
            if style is not None and style.get(f"{{{el.nsmap['w']}}}val", "").startswith("Heading2") \
                    and txt.startswith("Obiettivo "):
                heading = txt.split(" · ")[0].removeprefix("Obiettivo ")
        elif tag == "tbl" and heading is not None:
            rows = {}
            for tr in el.iter("{*}tr"):
                cells = ["\n".join("".join(t.text or "" for t in p.iter("{*}t")) for p in tc.iter("{*}p"))
                         for tc in tr.iter("{*}tc")]
                if len(cells) == 2:
                    rows[cells[0]] = cells[1]
            out[heading] = rows
            heading = None
    return out


# ----------------------------------------------------------------------------- CISA 31 (seed 004)
def test_cisa31_every_objective_has_the_four_rows_from_the_workbook(dbs, cisa):
    doc = Document(io.BytesIO(to_relazione_docx(relazione_input(dbs, cisa))))
    tables = objective_tables(doc)
    assert sorted(tables) == ["1", "2", "3", "4", "5"]
    for _, o in cisa.objectives.iterrows():
        rows = tables[str(o["code"])]
        for label in FOUR_ROWS:
            assert rows[label].strip(), (o["code"], label)
        assert rows["Obiettivo annuale"] == o["description"]           # seed 004's «Obiettivo annuale»
        steps = cisa.steps[cisa.steps["objective_code"] == o["code"]]
        for _, s in steps.iterrows():                                   # Indicatori e target = the steps
            assert s["description"] in rows["Indicatori e target"]
        for note in steps["note"].dropna().unique():                    # Risultato valutato = the verifications
            assert note.strip() in rows["Risultato valutato"]
        assert fmt_pct(o["achievement"]) in rows["Risultato misurato"] and "31/12/2023" in rows["Risultato misurato"]
        assert "versione 1" in rows["Fonti di dati utilizzate"]
    pnrr = tables["1"]
    assert "effettuare la formazione prevista dal progetto" in pnrr["Indicatori e target"]
    assert "Sono stati individuati i casi per la seconda trince di intervento" in pnrr["Risultato valutato"]


def test_cisa31_not_validated_is_a_draft_everywhere(dbs, cisa):
    doc = Document(io.BytesIO(to_relazione_docx(relazione_input(dbs, cisa))))
    assert "BOZZA" in doc.paragraphs[0].text
    assert doc.sections[0].header.paragraphs[0].text.startswith("BOZZA")
    assert "BOZZA" in doc.core_properties.title
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == ["1. Presentazione e sintesi per i cittadini", "2. Contesto e risorse",
                        "3. Obiettivi, risultati raggiunti e scostamenti", "4. Performance individuale",
                        "5. Processo di redazione", "Allegato A. Criteri di misurazione",
                        "Allegato B. Documento di validazione"]
    text = doc_text(doc)
    assert "non ha ancora validato la Relazione" in text
    assert "Nessuno scostamento: tutti gli obiettivi valutabili hanno raggiunto il 100%." in text


def test_section_4_is_aggregated_without_names(dbs, cisa):
    doc = Document(io.BytesIO(to_relazione_docx(relazione_input(dbs, cisa))))
    text = doc_text(doc)
    for name in set(cisa.staff["name"]) | set(cisa.people["name"]):
        assert name not in text
    band_rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows
                 if t.rows[0].cells[0].text == "Fascia di punteggio"]
    dist = evaluation_distribution(cisa.people)
    counts = {b: n for b, n, _ in dist.itertuples(index=False)}
    assert [r[0] for r in band_rows[1:]] == [b for b in counts if b != "non valutati" or counts[b]]
    assert sum(int(r[1]) for r in band_rows[1:]) == len(cisa.people) == 14
    # the staff counts of section 2: per qualifica, no names
    staff = [[c.text for c in r.cells] for t in doc.tables for r in t.rows if t.rows[0].cells[0].text == "Qualifica"]
    assert staff[-1] == ["Totale", "14"]


def test_evaluation_distribution_bands():
    people = pd.DataFrame({"name": list("abcdefg"), "score": [10.0, 9.99, 9.0, 8.96, 6.0, 5.9, None]})
    dist = evaluation_distribution(people).set_index("band")
    assert dist["people"].tolist() == [1, 2, 1, 1, 1, 1]
    assert dist.loc["da 9 a meno di 10", "share"] == pytest.approx(100 * 2 / 6)
    assert pd.isna(dist.loc["non valutati", "share"])
    empty = evaluation_distribution(pd.DataFrame(columns=["name", "score"]))
    assert empty["people"].sum() == 0 and empty["share"].isna().all()


# ----------------------------------------------------------------------------- CISSA 2023: register, validation
def test_cissa_validated_with_register_has_no_draft_mark(dbs, cissa):
    inp = relazione_input(dbs, cissa, register=cissa_register(), closing=APPROVED, work_papers=PAPERS)
    assert inp.validated
    doc = Document(io.BytesIO(to_relazione_docx(inp)))
    text = doc_text(doc)
    assert "BOZZA" not in text and "BOZZA" not in (doc.core_properties.title or "")
    assert "validata il 28/06/2024" in doc.sections[0].footer.paragraphs[0].text
    assert "Approvata con Delibera CdA n. 12 del 20/06/2024." in text
    reg = [[c.text for c in r.cells] for t in doc.tables for r in t.rows if t.rows[0].cells[0].text == "Livello"]
    assert [r[1] for r in reg[1:]] == ["1", "5"]
    assert reg[1][2:] == ["100,0%", "66,7%", "-33,3 punti (-33,3%)", "esogena (fattori esterni)", "no",
                          "neutralizzazione", "CdA, Delibera CdA n. 5 del 10/03/2024"]
    assert reg[2][-2:] == ["nessuno", "non ancora decisa"]
    tables = objective_tables(doc)
    assert "Scostamento — Obiettivo 1" in tables["1"]["Risultato valutato"]
    assert "Causa endogena (fattori interni); imputabile all'ente: in parte." in tables["5"]["Risultato valutato"]
    assert "Nota ministeriale del 12/10/2023" in tables["1"]["Fonti di dati utilizzate"]
    assert "Verbali della cabina di regia PNRR" in tables["1"]["Fonti di dati utilizzate"]
    # the annex is the documento di validazione, with its outcome
    assert "esprime l'esito: VALIDATA" in text


def test_cissa_empty_register_names_the_objectives_below_target(dbs, cissa):
    # the register passed empty (the store's register lists the objectives below target from the start:
    # see test_relazione_reads_the_year_end_workflow_from_the_store)
    doc = Document(io.BytesIO(to_relazione_docx(relazione_input(dbs, cissa, register=empty_register()))))
    text = doc_text(doc)
    assert "BOZZA" in doc.paragraphs[0].text
    assert "Il registro degli scostamenti non ha ancora righe" in text
    assert "obiettivo 1 (66,7%)" in text and "obiettivo 5 (80,0%)" in text


def test_an_undecided_treatment_is_reported_as_not_applied(cissa):
    inp = RelazioneInput(cissa, register=cissa_register(decided=False), closing={"state": "in validazione"})
    checks = {r[0]: r for r in auto_checks(inp)}
    act = checks["Ogni neutralizzazione o ripesatura ha il suo atto"]
    assert act[1] == "con rilievi" and "senza atto (non applicati): 1" in act[2]
    assert checks["Ogni scostamento ha una causa"][1] == "conforme"
    text = doc_text(Document(io.BytesIO(to_relazione_docx(inp))))
    assert "decisione: non ancora decisa" in text


def test_unknown_closing_state_is_refused(cissa):
    with pytest.raises(ValueError, match="stato di chiusura «chiusa» sconosciuto"):
        RelazioneInput(cissa, closing={"state": "chiusa"})


def test_validation_document_sections_and_papers(dbs, cissa):
    inp = relazione_input(dbs, cissa, register=cissa_register(), closing=APPROVED, work_papers=PAPERS)
    doc = Document(io.BytesIO(to_validation_docx(inp)))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads == ["1. Atto esaminato", "2. Documenti esaminati", "3. Criteri ed esito motivato",
                     "4. Esito complessivo", "Allegato. Sintesi delle carte di lavoro"]
    text = doc_text(doc)
    assert "BOZZA" not in text
    assert "approvata con Delibera CdA n. 12 del 20/06/2024." in text
    crit = [[c.text for c in r.cells] for t in doc.tables for r in t.rows if t.rows[0].cells[0].text == "Criterio"]
    assert [r[0] for r in crit[1:]] == list(CRITERIA)
    assert crit[1][1:] == ["conforme", "Tutti gli obiettivi del piano sono rendicontati."]
    assert crit[3][1] == "da esprimere"
    papers = [[c.text for c in r.cells] for t in doc.tables for r in t.rows if t.rows[0].cells[0].text == "Obiettivo"]
    assert papers[1] == ["1", "Verbali della cabina di regia PNRR", "campione (3 su 6)", "conforme", ""]
    # not yet validated: a draft, the outcome not expressed
    draft = Document(io.BytesIO(to_validation_docx(RelazioneInput(cissa))))
    assert "BOZZA" in draft.paragraphs[0].text and "Esito non ancora espresso." in doc_text(draft)


def test_timeline_has_imports_monitoring_approval_and_validation(dbs, cissa):
    tl = timeline(dbs, cissa, APPROVED)
    phases = tl["phase"].tolist()
    assert {"Caricamento dei dati del piano", "Monitoraggio intermedio", "Monitoraggio finale",
            "Approvazione della Relazione", "Validazione del Nucleo di valutazione"} <= set(phases)
    dates = [d for d in tl["date"] if d is not None]
    assert dates == sorted(dates)                         # oldest first (the demo was imported after 2024)
    assert tl.loc[phases.index("Approvazione della Relazione"), "detail"] == "Delibera CdA n. 12 del 20/06/2024"
    mon = tl[tl["phase"].str.startswith("Monitoraggio")]
    assert [d.strftime("%d/%m") for d in mon["date"]] == ["31/08", "31/12"]
    assert "test" not in " ".join(tl["detail"])          # no user names in a public document


# ----------------------------------------------------------------------------- the ente's texts
def test_texts_are_versioned_audited_and_reach_the_relazione(tmp_path, cisa):
    from loaders import import_file

    d = Database(tmp_path / "t.duckdb")
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    ente = plan_metrics(d, 1).ctx.ente
    for role in ("lettore", "valutatore"):          # the data layer refuses, not just the menu
        with pytest.raises(NotAuthorized, match=f"ruolo «{role}»"):
            save_relazione_texts(Principal("mario", role), d, 1, ente, 2023, {"territorio": "x"})
    with pytest.raises(NotAuthorized):              # a plan of another ente
        save_relazione_texts(Principal("mario", "direttore", frozenset({"Altro ente"})), d, 1, ente, 2023,
                             {"territorio": "x"})
    assert d.scalar("SELECT count(*) FROM relazione_texts") == 0
    with pytest.raises(ValueError, match="sconosciuta"):
        save_texts(d, ente, 2023, {"meteo": "x"}, "anna")
    v0 = d.version()
    assert save_relazione_texts(Principal("anna", "direttore"), d, 1, ente, 2023,
                                {"territorio": "Otto Comuni, 231 kmq.", "popolazione": ""}) == ["Territorio"]
    assert d.version() != v0                        # the cached exports are built again
    assert save_texts(d, ente, 2023, {"territorio": "Otto Comuni, 231 kmq."}, "anna") == []
    assert save_relazione_texts(Principal("rita", "referente"), d, 1, ente, 2023,
                                {"territorio": "Otto Comuni, 231 Kmq."}) == ["Territorio"]
    assert current_texts(d, ente, 2023) == {"territorio": "Otto Comuni, 231 Kmq."}
    assert current_texts(d, ente, 2024) == {}
    assert d.scalar("SELECT count(*) FROM relazione_texts") == 2
    events = d.df("SELECT who, action, detail FROM audit_log WHERE action = 'contesto relazione'")
    assert len(events) == 2 and events["detail"].iloc[0].endswith("anno 2023: Territorio")
    assert sorted(events["who"]) == ["anna", "rita"]
    pm = plan_metrics(d, 1)
    text = doc_text(Document(io.BytesIO(export(pm, "docx", d))))
    assert "Otto Comuni, 231 Kmq." in text and "Testi di contesto della Relazione" in text
    assert list(BLOCKS)[0] == "presentazione"
    d.close()


def test_contesto_relazione_is_a_data_action():
    assert "contesto relazione" in audit.DATA_ACTIONS


# ----------------------------------------------------------------------------- PDF/A-2
def _pdf_checks(pdf: bytes) -> str:
    doc = pikepdf.open(io.BytesIO(pdf))
    meta = doc.open_metadata()
    assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
    assert "/StructTreeRoot" in doc.Root and bool(doc.Root.MarkInfo.Marked)     # tagged
    assert str(doc.Root.get("/Lang", "")).startswith("it")
    txt = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return txt.decode("utf-8")


needs_office = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice e poppler-utils servono per il PDF (make browser)")


@needs_office
def test_pdf_of_cisa31_is_tagged_pdf_a2_with_the_text(dbs, cisa):
    text = _pdf_checks(to_relazione_pdf(relazione_input(dbs, cisa)))
    for label in ("Indicatori e target", "Risultato misurato", "Fonti di dati utilizzate", "Risultato valutato"):
        assert text.count(label) >= 5, label
    assert "PROGETTO PNRR LINEA 1.2 DISABILI" in text and "BOZZA" in text


@needs_office
def test_pdf_of_cissa_validated_and_its_validation_document(dbs, cissa):
    inp = relazione_input(dbs, cissa, register=cissa_register(), closing=APPROVED, work_papers=PAPERS)
    text = _pdf_checks(to_relazione_pdf(inp))
    assert "BOZZA" not in text and "Registro degli scostamenti" in text
    val = _pdf_checks(to_validation_pdf(inp))
    assert "Documento di validazione" in val and "VALIDATA" in val


@needs_office
def test_two_conversions_at_once_both_succeed(cissa):
    data = to_validation_docx(RelazioneInput(cissa))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(to_pdf_a(data))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and all(r.startswith(b"%PDF") for r in results)


def test_pdf_without_libreoffice_says_so_in_italian(monkeypatch, cissa):
    monkeypatch.setenv("CRUSCOTTO_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(PdfError, match="LibreOffice non è installato .* «make run»"):
        to_pdf_a(b"PK")
    with pytest.raises(PdfError, match="non convertibile"):
        to_pdf_a(b"x", suffix=".exe")


@needs_office
def test_cli_export_pdf_and_docx(tmp_path):
    dbfile = tmp_path / "cli.duckdb"
    d = Database(dbfile)
    from loaders import import_file
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    d.close()
    env_run = dict(cwd=ROOT, capture_output=True, text=True, timeout=300)
    for fmt in ("pdf", "docx"):
        out = tmp_path / f"relazione.{fmt}"
        r = subprocess.run([sys.executable, "-m", "metrics", "export", "--format", fmt, "--out", str(out),
                            "--db", str(dbfile), "--plan", "1"], **env_run)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"Esportato {FORMATS[fmt].name}")
    _pdf_checks((tmp_path / "relazione.pdf").read_bytes())
    assert "Indicatori e target" in doc_text(Document(str(tmp_path / "relazione.docx")))


def test_netto_beside_lordo_only_where_a_decided_treatment_changes_it(dbs, cissa):
    """The year-end workflow passes the figures after the decided treatments: objective 1 neutralised by the CdA
    leaves the plan's mean (90,5% lordo → 95,6% netto, say); objective 5, untreated, shows one figure."""
    net = {"plan": 95.6, "objectives": {"1": None, "5": 80.0}}
    inp = relazione_input(dbs, cissa, register=cissa_register(), closing=APPROVED, net=net)
    doc = Document(io.BytesIO(to_relazione_docx(inp)))
    text = doc_text(doc)
    assert f"Raggiungimento del piano: {fmt_pct(cissa.achievement)} lordo, come misurato; 95,6% netto" in text
    tables = objective_tables(doc)
    assert "netto" not in tables["5"]["Risultato misurato"]
    assert "66,7% lordo (come misurato); netto: neutralizzato con atto" in tables["1"]["Risultato misurato"]
    inp2 = relazione_input(dbs, cissa, net={"plan": cissa.achievement, "objectives": {"1": 100.0}})
    doc2 = Document(io.BytesIO(to_relazione_docx(inp2)))
    assert "Raggiungimento del piano:" not in doc_text(doc2)           # the same figure: said once
    assert "66,7% lordo (come misurato); 100,0% netto" in objective_tables(doc2)["1"]["Risultato misurato"]


def test_cli_pdf_without_libreoffice_exits_2_in_italian_and_is_recorded(tmp_path):
    import os

    dbfile = tmp_path / "cli.duckdb"
    d = Database(dbfile)
    from loaders import import_file
    assert import_file(d, DEMO / "004_cisa31_2023.xlsx", user="test").ok
    d.close()
    env = {**os.environ, "CRUSCOTTO_SOFFICE": "/nonexistent/soffice", "BROWSER_PATH": "/nonexistent/chromium"}
    out = tmp_path / "relazione.pdf"
    r = subprocess.run([sys.executable, "-m", "metrics", "export", "--format", "pdf", "--out", str(out), "--db",
                        str(dbfile), "--plan", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2 and r.stderr.startswith("Errore: LibreOffice non è installato"), r.stderr
    assert "Grafici" not in r.stderr                  # checked before building the document (no charts for nothing)
    assert not out.exists()
    d = Database(dbfile)
    assert d.rows("SELECT outcome FROM audit_log WHERE action = 'esportazione'") == [("errore",)]
    d.close()


def test_charts_carry_an_alternative_text(dbs, cisa, monkeypatch):
    """A tagged PDF is accessible only if its figures say what they show: each chart image has a description."""
    import exports.docx as D
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buf, format="PNG")
    monkeypatch.setattr(D, "to_png", lambda figs, width=None: [buf.getvalue()] * len(figs))
    doc = Document(io.BytesIO(to_relazione_docx(relazione_input(dbs, cisa))))
    alts = [s._inline.docPr.get("descr") for s in doc.inline_shapes]
    assert len(alts) >= 2 and all(alts)
    assert alts[0] == "Tachimetro: raggiungimento del piano 100,0%."
    assert alts[1].startswith("Grafico a barre: raggiungimento di ciascun obiettivo, 1 100,0%; 2 100,0%")
    if shutil.which("soffice"):       # and LibreOffice keeps them as the figures' /Alt in the tagged PDF
        pdf = pikepdf.open(io.BytesIO(to_relazione_pdf(relazione_input(dbs, cisa))))
        figures: list[str] = []

        def walk(node) -> None:
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure":
                    figures.append(str(node.get("/Alt", "")))
                if "/K" in node:
                    walk(node.K)
            elif isinstance(node, pikepdf.Array):
                for x in node:
                    walk(x)
        walk(pdf.Root.StructTreeRoot)
        assert figures[:2] == alts[:2]


def test_relazione_reads_the_year_end_workflow_from_the_store(tmp_path):
    """Wiring of issues 16 (workflow, register) and the Relazione: with nothing passed in, the document takes
    the register, the state, the carte di lavoro and the netto figures from the store. Before the validation it
    is a BOZZA; after it, the approval act, the register's cause, the valutatore's paper and netto appear."""
    from loaders import import_file
    from metrics import closing as C
    from metrics import variances as V
    from metrics.engine import plan_metrics as pmx

    d = Database(tmp_path / "w.duckdb")
    try:
        assert import_file(d, DEMO / "002_cissa_pianezza_2023.xlsx", user="test").ok
        pid = int(d.scalar("SELECT plan_id FROM plans"))
        ref, dirr, val = Principal("rita", "referente"), Principal("dario", "direttore"), Principal("vera", "valutatore")
        inp = relazione_input(d, pmx(d, pid, year=2023))
        assert inp.closing["state"] == "in lavorazione" and not inp.validated
        assert set(inp.register.loc[inp.register["level"] == "obiettivo", "code"]) == {"1", "5"}
        assert inp.net is None
        V.propose(ref, d, pid, 2023, "obiettivo", "1", cause="esogena", imputabile="no",
                  description="Decreto di riparto arrivato a novembre", treatment="neutralizzazione")
        V.decide(dirr, d, pid, 2023, "obiettivo", "1", act="Delibera CdA n. 5 del 10/03/2024")
        C.approve(dirr, d, pid, 2023, "Delibera CdA n. 12 del 20/06/2024")
        C.submit(dirr, d, pid, 2023)
        C.save_work_paper(val, d, pid, 2023, "obiettivo", "1", data_source="Verbali della cabina di regia",
                          method="campione", sample_n=3, sample_total=10, outcome="con rilievi", note="Due pratiche")
        C.validate(val, d, pid, 2023, "validata")
        inp = relazione_input(d, pmx(d, pid, year=2023))
        assert inp.validated and inp.closing["approval_act"] == "Delibera CdA n. 12 del 20/06/2024"
        row = inp.register[(inp.register["level"] == "obiettivo") & (inp.register["code"] == "1")].iloc[0]
        assert row["cause"] == "esogena" and bool(row["decided"]) and row["act"] == "Delibera CdA n. 5 del 10/03/2024"
        assert inp.net is not None and inp.net["objectives"]["1"] is None          # neutralised by its act
        assert [o["code"] for o in inp.work_papers["objectives"]] == ["1"]
        body = "\n".join(p.text for p in Document(io.BytesIO(to_relazione_docx(inp))).paragraphs)
        tables = "\n".join(c.text for t in Document(io.BytesIO(to_relazione_docx(inp))).tables
                           for r in t.rows for c in r.cells)
        assert "BOZZA" not in body and "Delibera CdA n. 12 del 20/06/2024" in body + tables
        assert "Decreto di riparto arrivato a novembre" in body + tables
        val_doc = Document(io.BytesIO(to_validation_docx(inp)))
        vt = "\n".join(p.text for p in val_doc.paragraphs) + "\n".join(c.text for t in val_doc.tables
                                                                         for r in t.rows for c in r.cells)
        assert "Verbali della cabina di regia" in vt and "3 su 10" in vt
    finally:
        d.close()
