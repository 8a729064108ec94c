"""The «Amministrazione trasparente» package and the premi CLI (issue 17), on CISA 31 2023 (seed 004).

The package is built once through ``python -m metrics publish`` (LibreOffice makes the Relazione PDF/A and
ODT): the CSVs parse with ``csv`` and DuckDB, the ODS opened by LibreOffice give the same values, the PDF is
PDF/A, tagged, and its text extracts; no name of the Personale sheet is in any file (negative control: a
planted name is found, and the builder refuses it)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pikepdf
import pytest

from metrics.__main__ import main
from tests.conftest import DEMO

SEED = DEMO / "004_cisa31_2023.xlsx"
pytestmark = pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                                reason="LibreOffice and poppler-utils are needed (make install)")


def personale_names() -> list[str]:
    """The names of the Personale sheet, read straight from the workbook (not through the importer)."""
    ws = openpyxl.load_workbook(SEED, read_only=True)["Personale"]
    rows = list(ws.iter_rows(values_only=True))
    col = [str(h).strip().lower() for h in rows[0]].index("nome")
    return sorted({str(r[col]).strip() for r in rows[1:] if r[col]})


def scan(files: dict[str, bytes], names: list[str]) -> list[tuple[str, str]]:
    """Every (file, name) found: CSV as text, ODS/ODT every XML part, PDF through pdftotext."""
    hits = []
    for f, data in files.items():
        if f.endswith((".ods", ".odt")):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        elif f.endswith(".pdf"):
            text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=120).stdout.decode()
        else:
            text = data.decode("utf-8")
        hits += [(f, n) for n in names if n.lower() in text.lower()]
    return hits


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    from loaders import import_file
    from store import Database

    tmp = tmp_path_factory.mktemp("publish")
    path = tmp / "db.duckdb"
    d = Database(path)
    assert import_file(d, SEED, user="test").ok
    d.close()
    assert main(["premi", "--db", str(path), "--plan", "1", "--fondo-organizzativa", "4000", "--fondo-individuale",
                 "6000", "--preset", "percentuali", "--salva", "--format", "json", "--out", str(tmp / "p.json")]) == 0
    (tmp / "validazione.pdf").write_bytes(b"%PDF-1.4 documento di validazione OIV (prova)\n%%EOF\n")
    out = tmp / "pkg.zip"
    assert main(["publish", "--db", str(path), "--plan", "1", "--year", "2023", "--out", str(out),
                 "--validazione", str(tmp / "validazione.pdf")]) == 0
    with zipfile.ZipFile(out) as z:
        files = {n: z.read(n) for n in z.namelist()}
    return tmp, path, files


def test_index_lists_every_file_with_subsection_description_and_date(package):
    _, _, files = package
    rows = list(csv.DictReader(io.StringIO(files["INDICE.csv"].decode("utf-8"))))
    assert list(files)[0] == "INDICE.csv"
    assert {r["File"] for r in rows} == set(files) - {"INDICE.csv"}
    assert {"relazione_performance_2023.pdf", "relazione_performance_2023.odt", "documento_validazione.pdf",
            "piano_2023_obiettivi_risultati.csv", "piano_2023_obiettivi_risultati.ods",
            "premi_2023_ammontare_premi.csv", "premi_2023_distribuzione_valutazioni.ods"} <= set(files)
    for r in rows:
        assert r["Sottosezione di Amministrazione trasparente"] and r["Descrizione"]
        assert len(r["Data di pubblicazione (AAAA-MM-GG)"]) == 10
        if r["File"].endswith(".csv"):
            assert "separatore virgola" in r["Formato"] and "RFC 4180" in r["Formato"]
    sub = {r["File"]: r["Sottosezione di Amministrazione trasparente"] for r in rows}
    assert sub["premi_2023_ammontare_premi.csv"] == "Performance > Ammontare complessivo dei premi"
    assert "PROVVISORIO" in next(r["Descrizione"] for r in rows if r["File"] == "premi_2023_ammontare_premi.csv")


def test_csvs_parse_with_csv_and_duckdb(package):
    tmp, _, files = package
    for name, data in files.items():
        if not name.endswith(".csv"):
            continue
        text = data.decode("utf-8")               # UTF-8
        assert "\r\n" in text                     # RFC 4180 line ends
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len({len(r) for r in rows}) == 1, name     # one header row, rectangular
        f = tmp / name
        f.write_bytes(data)
        rel = duckdb.sql(f"SELECT * FROM read_csv('{f}', header = true, delim = ',', quote = '\"')")
        assert rel.columns == rows[0] and len(rel.fetchall()) == len(rows) - 1, name
    amount = list(csv.DictReader(io.StringIO(files["premi_2023_ammontare_premi.csv"].decode())))
    total = next(r for r in amount if r["Voce"] == "Totale")
    assert float(total["Stanziato (EUR)"]) == float(total["Distribuito (EUR)"]) == 10000.0
    assert float(total["Pagato (EUR)"]) == 0 and total["Stato"].startswith("PROVVISORIO")


def test_ods_opened_by_libreoffice_give_the_csv_values(package):
    tmp, _, files = package
    ods_dir, out_dir = tmp / "ods", tmp / "ods_csv"
    ods_dir.mkdir()
    for name, data in files.items():
        if name.endswith(".ods"):
            (ods_dir / name).write_bytes(data)
    cmd = ["soffice", f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless", "--convert-to",
           "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out_dir),
           *sorted(str(p) for p in ods_dir.iterdir())]
    for _ in range(2):      # a fresh LibreOffice profile's first start may exit before converting: once more
        lo = subprocess.run(cmd, capture_output=True, timeout=240, check=True)
        if len(list(out_dir.glob("*.csv"))) == 6:
            break
    converted = sorted(out_dir.glob("*.csv"))
    assert len(converted) == 6, (lo.stdout, lo.stderr)
    for f in converted:
        lo = list(csv.reader(io.StringIO(f.read_text("utf-8"), newline="")))
        ours = list(csv.reader(io.StringIO(files[f.name].decode("utf-8"), newline="")))
        assert lo[0] == ours[0], f.name
        assert len(lo) == len(ours), f.name
        for a, b in zip(lo[1:], ours[1:]):
            for x, y in zip(a, b):
                try:
                    assert float(x) == pytest.approx(float(y)), (f.name, x, y)
                except ValueError:
                    assert x == y, (f.name, x, y)


def test_relazione_is_pdfa_tagged_and_its_text_extracts(package):
    _, _, files = package
    pdf = pikepdf.open(io.BytesIO(files["relazione_performance_2023.pdf"]))
    meta = pdf.open_metadata()
    assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") in ("A", "B", "U")
    assert bool(pdf.Root.MarkInfo.Marked) and "/StructTreeRoot" in pdf.Root
    text = subprocess.run(["pdftotext", "-", "-"], input=files["relazione_performance_2023.pdf"],
                          capture_output=True, check=True).stdout.decode()
    assert "Relazione sulla performance 2023" in text and "100,0%" in text
    with zipfile.ZipFile(io.BytesIO(files["relazione_performance_2023.odt"])) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.text"


def test_no_personal_data_in_the_package_and_the_scan_catches_a_planted_name(package):
    _, _, files = package
    names = personale_names()
    assert len(names) == 14 and "Dipendente 07" in names
    assert scan(files, names) == []
    planted = dict(files)
    planted["premi_2023_premi_per_categoria.csv"] = files["premi_2023_premi_per_categoria.csv"] + \
        "Dipendente 07,1,1.00,1.00,1.00,x\r\n".encode()
    assert scan(planted, names) == [("premi_2023_premi_per_categoria.csv", "Dipendente 07")]
    planted_odt = dict(files, **{"x.ods": _ods_with("Dipendente 12")})
    assert scan(planted_odt, names) == [("x.ods", "Dipendente 12")]


def _ods_with(text: str) -> bytes:
    import pandas as pd

    from exports.publish import ods_bytes

    return ods_bytes(pd.DataFrame({"Nome": [text]}), "x")


def test_the_builder_refuses_a_document_with_a_name(package):
    from exports.publish import Document, PersonalDataFound, build_package
    from metrics import premi
    from metrics.engine import plan_metrics
    from store import Database

    _, path, _ = package
    d = Database(path)
    try:
        pm = plan_metrics(d, 1)
        res = premi.compute_for_plan(d, 1)
        doc = Document("nota.csv", "Nota,Dipendente 03\r\n".encode(), "Performance", "prova")
        with pytest.raises(PersonalDataFound, match="Dipendente 03"):
            build_package(pm, res, [doc], names=personale_names())
        assert build_package(pm, res, [], names=personale_names())[:2] == b"PK"
    finally:
        d.close()


def test_cli_payroll_refused_before_validation_then_produced(package, capsys):
    tmp, path, _ = package
    out = tmp / "stipendi.csv"
    args = ["premi", "--db", str(path), "--plan", "1", "--format", "csv", "--out", str(out)]
    assert main(args) == 2
    assert "non è ancora validata" in capsys.readouterr().err and not out.exists()
    j = json.loads((tmp / "p.json").read_text("utf-8"))
    assert j["provisional"] is True and j["preset"] == "percentuali" and len(j["people"]) == 14
    assert j["totals"]["totale"] == 10000.0 and j["fund"] == {"organizzativa": 4000.0, "individuale": 6000.0}
    # the real year-end workflow: the direttore records the CdA's act and submits, the valutatore validates
    from store import Database
    from store.users import add_user

    d = Database(path)
    try:
        for name, role in (("dario", "direttore"), ("vera", "valutatore")):
            add_user(d, name, "password-lunga-1", role, ["*"], by="test")
    finally:
        d.close()
    closing = ["closing", "--db", str(path), "--plan", "1", "--year", "2023"]
    assert main([*closing, "--user", "dario", "approve", "--act", "Delibera CdA n. 12 del 20/06/2024"]) == 0
    assert main([*closing, "--user", "dario", "submit"]) == 0
    assert main(args) == 2                              # approved and submitted is not validated
    assert main([*closing, "--user", "dario", "validate", "--outcome", "validata"]) == 1   # not his to validate
    assert main(args) == 2 and not out.exists()
    assert main([*closing, "--user", "vera", "validate", "--outcome", "validata"]) == 0
    capsys.readouterr()
    assert main(args) == 0
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"), newline="")))
    assert [r[0] for r in rows[-3:]] == ["TOTALE", "FONDO", "DIFFERENZA"] and rows[-3][4] == "10000.00"
    today = dt.date.today().strftime("%d/%m/%Y")        # the validation was recorded just now
    assert rows[0][-1] == "Dati validati il" and {r[-1] for r in rows[1:]} == {today}
    assert main(["premi", "--db", str(path), "--plan", "1"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["provisional"] is False and j["stato"] == f"definitivo — dati validati il {today}"
    assert j["dati_validati"]["da"] == "vera" and len(j["dati_validati"]["sha256"]) == 64

    d = Database(path)
    try:
        trail = d.rows("SELECT action, outcome FROM audit_log WHERE action IN ('scaricamento', 'esportazione', "
                       "'calcolo premi') ORDER BY audit_id")
    finally:
        d.close()
    assert ("scaricamento", "rifiutato") in trail and ("scaricamento", "ok") in trail
    assert ("esportazione", "ok") in trail and trail.count(("calcolo premi", "ok")) >= 3


@pytest.mark.parametrize("argv,message", [
    (["premi", "--plan", "x"], "id del piano «x» non valido"),
    (["premi", "--plan", "1", "--fondo-individuale", "mille"], "importo «mille» non valido"),
    (["premi", "--plan", "1", "--preset", "tutto"], "valore «tutto» non ammesso per --preset"),
    (["publish", "--plan", "1"], "mancano argomenti obbligatori: --out"),
    (["premi", "--plan", "99"], "Piano 99 inesistente"),
    (["publish", "--plan", "99", "--out", "x.zip"], "Piano 99 inesistente"),
    # the stand-in flag is gone: only the valutatore's validation (``closing … validate``) unlocks the payroll
    (["premi", "--plan", "1", "--salva", "--relazione-validata"], "argomenti non riconosciuti: --relazione-validata"),
])
def test_cli_errors_are_italian_with_exit_2(package, capsys, argv, message):
    _, path, _ = package
    try:
        rc = main([*argv, "--db", str(path)])
    except SystemExit as exc:
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
