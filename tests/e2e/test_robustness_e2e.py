"""Issue 12 in the browser: hostile workbook text on every page, files that used to kill the server,
a CLI import during a browser session, 20 sessions reading while an import commits.

These tests run their own server on their own database (they import plans and must not change what
the other e2e tests expect)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import (ARTIFACTS, DEMO, ROOT, StreamlitServer, assert_no_exception, full_screenshot,
                                open_page, wait_for_app)
from tests.workbooks import BASE, sheets, xlsx

pytestmark = pytest.mark.e2e
PY = sys.executable
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

IMG = "![x](http://127.0.0.1:9/leak.png)"
LINK = "[clic](javascript:alert(1))"
HTML = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE = f"{IMG} {LINK} {HTML} **b** $x$ :red[r]"
ENTE = f"Ente {IMG}"
PAGES = ["panoramica", "obiettivo", "cascata", "scadenze", "indicatori", "persone", "confronto", "presentazione",
         "carica", "qualita"]


def hostile_workbook() -> bytes:
    """The small test plan with hostile text in every text field (codes included)."""
    h = HOSTILE
    code = "A*" + IMG[:30]
    return xlsx({
        "Piano": [["Campo", "Valore"], ["Ente", ENTE], ["Titolo", f"Piano {h}"], ["Anno inizio", 2025],
                  ["Anno fine", 2025], ["Data monitoraggio", "31/12/2025"]],
        "Aree": [["Codice", "Area"], ["1", f"Area {h}"]],
        "Obiettivi strategici": [["Codice", "Obiettivo", "Area"], ["1A", f"Strategico {h}", "1"]],
        "Obiettivi": [["Codice", "Titolo", "Tipo", "Peso", "Obiettivi strategici", "Dimensione valore pubblico",
                       "Stakeholder", "Responsabile", "Missione", "Programma", "Descrizione", f"Nota {IMG}"],
                      [code, f"Titolo {h}", h, "60%", "1A", h, h, h, h, h, h, h],
                      ["B", f"Secondo {h}", "PEG", "40%", "1A", h, h, h, h, h, h, h]],
        "Step": [["Obiettivo", "Codice", "Descrizione", "Termine", "KPI", "Peso", "Responsabile"],
                 [code, "A.1", f"Step {h}", "31/03/2025", h, "50%", h],
                 [code, "A.2", f"Step due {h}", f"Al bisogno {IMG}", h, "50%", h],
                 ["B", "B.1", f"Unico {h}", "30/06/2025", h, "100%", h]],
        "Verifiche": [["Step", "Obiettivo", "Data verifica", "Stato", "Raggiungimento", "Verifica"],
                      ["A.1", code, "31/08/2025", f"Parzialmente realizzato {h}", "40%", f"Verifica {h}"],
                      ["B.1", "B", "31/12/2025", f"Realizzato {h}", "", f"Fatto {h}"],
                      ["A.1", code, "31/12/2025", f"Realizzato {h}", "", f"Fatto {h}"]],
        "Indicatori": [["Obiettivo", "Indicatore", "Codice", "Algoritmo", "Unità", "Baseline", "Target", "Direzione",
                        "Valore", "Data rilevazione", "Area organizzativa"],
                       [code, f"Indicatore {h}", "I1", h, h, "10", "20", "crescente", "15", "31/12/2025", h]],
        "Personale": [["Obiettivo", "Nome", "Qualifica", "Partecipazione", "Valutazione"],
                      [code, f"Persona {h}", h, "50%", 8], ["B", f"Altra {h}", h, "50%", 9]],
    })


def with_cell(ref: str) -> bytes:
    wb = load_workbook(io.BytesIO(xlsx()))
    wb["Step"][ref] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SLOW_MS = 180_000     # 20 sessions and an import on 2 shared cores: generous waits, same assertions


def open_slow(page, url: str):
    page.goto(url, wait_until="domcontentloaded", timeout=SLOW_MS)
    wait_for_app(page, timeout_ms=SLOW_MS)
    return page


def script_done(p) -> None:
    """The session's script has run (background tabs draw no charts: no animation frames, so the
    chart skeletons of wait_for_app may stay; the script state and the DOM are what count here)."""
    p.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(state="attached",
                                                                                         timeout=SLOW_MS)
    p.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached",
                                                                                      timeout=SLOW_MS)
    expect(p.get_by_test_id("stMetric").filter(has_text="Raggiungimento del piano")).to_be_attached(timeout=SLOW_MS)
    expect(p.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in p.get_by_test_id("stMain").inner_text()


def upload(page, name: str, data: bytes) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": XLSX_MIME, "buffer": data}])


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([PY, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    """A server on a database with the demo plans, the small plan and the hostile plan."""
    tmp = tmp_path_factory.mktemp("robusto")
    db = tmp / "robusto.duckdb"
    small, bad = tmp / "piccolo.xlsx", tmp / "![x](javascript:alert(1)) <b>ostile.xlsx"   # no «/» in a file name
    small.write_bytes(xlsx())
    bad.write_bytes(hostile_workbook())
    r = run(["-m", "loaders", "import", *map(str, sorted(DEMO.glob("*.xlsx"))), str(small), str(bad), "--db", str(db)])
    assert r.returncode == 0, r.stdout + r.stderr
    srv = StreamlitServer(db, tmp / "streamlit.log")
    try:
        yield srv, db, tmp
    finally:
        srv.stop()
        shutil.copyfile(srv.log_path, ARTIFACTS / "streamlit-robusto.log") if ARTIFACTS.exists() else None


def plan_id(db: Path, like: str) -> int:
    import duckdb

    r = run(["-m", "loaders", "history", "--db", str(db)])
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        if like in line:
            return int(line.split()[1])
    raise AssertionError(f"{like} non trovato:\n{r.stdout}")


def watch(page, origin: str):
    """Dialogs and requests outside the page's origin, recorded."""
    seen = {"dialogs": [], "outside": []}

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    def on_request(req):
        u = urlparse(req.url)
        if u.scheme in ("data", "blob", "about"):
            return
        if f"{u.scheme}://{u.netloc}" != origin:
            seen["outside"].append(req.url)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    return seen


def test_hostile_text_in_every_field_and_file_name_is_shown_literally_on_every_page(page, robust):
    srv, db, tmp = robust
    pid = plan_id(db, "Piano ![x]")
    seen = watch(page, srv.url)
    main = page.get_by_test_id("stMain")
    for name in PAGES:
        open_page(page, f"{srv.url}/{name}?piano={pid}")
        assert_no_exception(page)
        if name == "carica":
            text = main.inner_text()
            assert "Carica foglio" in text
        else:
            expect(main.get_by_text(ENTE, exact=False).first).to_be_visible()
        if name == "obiettivo":
            expect(page.get_by_test_id("stHeading").filter(has_text=f"Titolo {IMG} {LINK}")).to_be_visible()
            expect(main.get_by_text("<img src=x onerror=alert(1)>", exact=False).first).to_be_attached()
        page.wait_for_timeout(300)              # let images (if any) be requested
        full_screenshot(page, ARTIFACTS / f"robusto-{name}.png")
    # a hostile file name on the upload page
    open_page(page, f"{srv.url}/carica")
    upload(page, f"{IMG}.xlsx", hostile_workbook())
    expect(page.get_by_test_id("stAlert").filter(has_text=f"«{IMG}.xlsx»").first).to_be_visible()
    wait_for_app(page)
    page.wait_for_timeout(300)
    full_screenshot(page, ARTIFACTS / "robusto-carica-nome-file.png")
    assert seen["dialogs"] == [], seen
    assert seen["outside"] == [], seen
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0


@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576"])
def test_files_that_killed_the_server_are_refused_while_another_session_keeps_working(browser_context, robust,
                                                                                       ref):
    srv, db, _ = robust
    reader, uploader = browser_context.new_page(), browser_context.new_page()
    try:
        open_slow(reader, f"{srv.url}/panoramica")
        open_slow(uploader, f"{srv.url}/carica")
        upload(uploader, f"ultima-cella-{ref}.xlsx", with_cell(ref))
        alert = uploader.get_by_test_id("stAlert").filter(has_text="Importazione non possibile")
        expect(alert).to_be_visible()
        wait_for_app(uploader)
        expect(uploader.get_by_test_id("stMain").get_by_text("file troppo grande o danneggiato", exact=False)
               .first).to_be_attached()
        assert srv.proc.poll() is None, "il server è terminato"
        # the other tab is still served: it goes to another page, which runs
        reader.bring_to_front()
        open_slow(reader, f"{srv.url}/scadenze")
        assert_no_exception(reader)
        expect(reader.get_by_test_id("stHeading").filter(has_text="Tutte le scadenze")).to_be_visible()
        full_screenshot(uploader, ARTIFACTS / f"robusto-rifiuto-{ref}.png")
    finally:
        reader.close()
        uploader.close()


def test_cli_import_during_a_browser_session(page, robust):
    srv, db, tmp = robust
    pid = plan_id(db, "piccolo.xlsx")
    open_page(page, f"{srv.url}/panoramica?piano={pid}")
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Versione 1 del piano"))).to_be_visible()
    verif = [r[:] for r in BASE["Verifiche"]]
    verif[3] = ["B.1", "31/12/2025", "Obiettivo realizzato", "", "20/09/2025", "Concluso a settembre"]
    v2 = tmp / "piccolo-v2.xlsx"
    v2.write_bytes(xlsx(sheets(Verifiche=verif)))
    t0 = time.monotonic()
    r = run(["-m", "loaders", "import", str(v2), "--db", str(db), "--user", "notturno"])
    elapsed = time.monotonic() - t0
    assert r.returncode == 0 and "come versione 2" in r.stdout, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    # the tab keeps working and, at its next page, shows the new version
    open_page(page, f"{srv.url}/panoramica?piano={pid}")
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Versione 2 del piano"))).to_be_visible()
    assert_no_exception(page)
    print(f"\nimportazione da riga di comando con il cruscotto aperto: {elapsed:.1f} s")


@pytest.mark.timeout(1500)   # 20 browser sessions on 2 shared cores
def test_twenty_sessions_read_while_an_import_commits(browser_context, robust):
    from bench import synth

    srv, db, tmp = robust
    big, _ = synth.workbook(synth.Shape(objectives=300, seed=7, ente="Consorzio Concorrente"), tmp, "grande")
    pages = [browser_context.new_page() for _ in range(20)]
    errors: list[str] = []
    for p in pages:
        p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for p in pages:                          # 20 sessions, established before the import
            p.goto(f"{srv.url}/panoramica", wait_until="commit", timeout=SLOW_MS)
        for p in pages:
            script_done(p)
        proc = subprocess.Popen([PY, "-m", "loaders", "import", str(big), "--db", str(db)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rounds = during = 0
        while True:
            running = proc.poll() is None
            for p in pages:                      # every session runs the page again, all at once
                p.goto(f"{srv.url}/panoramica", wait_until="commit", timeout=SLOW_MS)
            for p in pages:
                script_done(p)
            rounds += 1
            during += running
            if proc.poll() is not None and rounds >= 2:
                break
        out, err = proc.communicate()
        assert proc.returncode == 0 and "come versione 1" in out, out + err
        assert "Traceback" not in err
        assert errors == []
        assert during >= 1                       # at least one round overlapped the import
        # after the commit every session sees the new plan
        open_slow(pages[0], f"{srv.url}/panoramica")
        expect(pages[0].get_by_role("combobox", name="Ente")).to_be_attached()
        print(f"\n20 sessioni × {rounds} giri di lettura ({during} durante l'importazione): 0 errori")
    finally:
        for p in pages:
            p.close()
