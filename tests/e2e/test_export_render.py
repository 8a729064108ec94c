"""The Word «Relazione» and the PowerPoint of every demo plan rendered by LibreOffice (Debian's
``soffice``, installed by ``make browser``) to PDF and, for a human to look at, to PNG pages in
``tests/artifacts/exports/``.

What is checked on the rendering, not on our own arithmetic:
- page count and orientation (Relazione: A4 portrait, numbered «pagina N di M»; PowerPoint: one
  16:9 landscape page per slide of the deck);
- no table column narrower than its longest word: every word of every table cell of the .docx must
  come out of the PDF whole (``pdftotext``). A column too narrow for a word makes LibreOffice break
  the word across lines, and the word is then missing from the PDF text — the negative control
  below builds such a table and checks that the same test catches it.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Cm

from exports.deck import build_deck
from exports.paginate import POWERPOINT
from exports.docx import _fixed_layout, to_docx
from exports.relazione import to_docx as relazione_docx
from exports.pptx import to_pptx
from metrics import make_context, plan_metrics
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

A4_PT = (595.3, 841.9)
WIDE_PT = (960.0, 540.0)        # 13,333 × 7,5 in
BREAKS = re.compile(r"[\s\-/–—]+")   # where a line may legitimately break inside a "word"


def _tools() -> None:
    missing = [t for t in ("soffice", "pdftotext", "pdfinfo", "pdftoppm") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"Servono LibreOffice e poppler di Debian (`make browser`): mancano {', '.join(missing)}")


def to_pdf(files: list[Path], outdir: Path) -> list[Path]:
    """One soffice run converts all the files (a fresh profile in ``outdir``: no shared state)."""
    _tools()
    profile = (outdir / "lo_profile").as_uri()
    r = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={profile}", "--convert-to", "pdf",
                        "--outdir", str(outdir), *map(str, files)], capture_output=True, text=True, timeout=600)
    pdfs = [outdir / (f.stem + ".pdf") for f in files]
    assert r.returncode == 0 and all(p.exists() for p in pdfs), r.stdout + r.stderr
    return pdfs


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


def pdf_text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _norm(s: str) -> str:
    # U+200B (zero-width space) is an invisible break point (exports.relazione.breakable), not content
    return unicodedata.normalize("NFKC", s).replace("\u200b", "")


def _pieces(s: str) -> list[str]:
    """The unbreakable pieces of a text, without the punctuation around them."""
    return [p for p in (w.strip(".,;:()«»\"'“”‘’…") for w in BREAKS.split(_norm(s))) if len(p) >= 2]


def broken_words(docx_bytes: bytes, pdf: Path) -> list[str]:
    """Words of the .docx tables that do not come out of the rendered PDF whole."""
    doc = Document(io.BytesIO(docx_bytes))
    rendered = set(_pieces(pdf_text(pdf)))
    tokens = {w for t in doc.tables for row in t.rows for c in row.cells for w in _norm(c.text).split()}

    def whole(token: str) -> bool:
        # a line may break after a hyphen («co-» / «progettazione»): pdftotext then joins the two halves; in a
        # token with several hyphens (a web address) any one of them may be the line's end
        joined = [token[:i] + token[i + 1:] for i, ch in enumerate(token) if ch == "-"]
        return any(ps and all(p in rendered for p in ps)
                   for ps in (_pieces(token), _pieces(token.replace("-", "")), *map(_pieces, joined)))

    return sorted(t for t in tokens if _pieces(t) and not whole(t))


def snapshot(pdf: Path, name: str, first: int = 1, last: int = 40) -> None:
    out = ARTIFACTS / "exports"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(first), "-l", str(last), str(pdf), str(out / name)],
                   check=True)


@pytest.fixture(scope="module")
def demo_plans(demo_db):
    pids = [int(p) for p in demo_db.df("SELECT DISTINCT plan_id FROM imports ORDER BY plan_id")["plan_id"]]
    return [plan_metrics(demo_db, pid, year=make_context(demo_db, pid).year) for pid in pids]


@pytest.mark.parametrize("kind", ["bozza", "relazione"])
def test_relazione_is_a4_portrait_numbered_and_no_column_breaks_a_word(demo_plans, tmp_path, kind):
    """The draft's layout and the Relazione sulla performance's (exports/relazione.py, which builds on it)."""
    build = {"bozza": to_docx, "relazione": relazione_docx}[kind]
    files, data = [], {}
    for pm in demo_plans:
        f = tmp_path / f"{kind}_{pm.ctx.plan_id}.docx"
        data[f] = build(pm)
        f.write_bytes(data[f])
        files.append(f)
    for f, pdf, pm in zip(files, to_pdf(files, tmp_path), demo_plans):
        sizes = page_sizes(pdf)
        n = len(sizes)
        assert 3 <= n <= 60, (pm.ctx.ente, n)
        assert all(abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2 for w, h in sizes), sizes   # A4 portrait
        assert f"pagina 1 di {n}" in pdf_text(pdf, 1) and f"pagina {n} di {n}" in pdf_text(pdf, n)
        assert broken_words(data[f], pdf) == [], pm.ctx.ente
        doc = Document(io.BytesIO(data[f]))
        for t in doc.tables:      # rows kept whole on a page; the header row repeats on each page
            trs = t._tbl.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tr")
            assert all("cantSplit" in tr.xml for tr in trs) and "tblHeader" in trs[0].xml
        if pm.achievement is not None:          # the charts are images in the document
            assert len(doc.inline_shapes) >= 2, pm.ctx.ente
        snapshot(pdf, f"{kind}_{pm.ctx.plan_id}")


def test_broken_word_check_catches_a_column_too_narrow(tmp_path):
    """Negative control: a 1 cm column holding «Raggiungimento» must be reported."""
    doc = Document()
    t = doc.add_table(rows=2, cols=2)
    t.rows[0].cells[0].text, t.rows[0].cells[1].text = "Raggiungimento", "Obiettivo del piano"
    t.rows[1].cells[0].text, t.rows[1].cells[1].text = "Partecipazione", "Valore"
    _fixed_layout(t, [1.0, 8.0])
    for row in t.rows:
        row.cells[0].width, row.cells[1].width = Cm(1.0), Cm(8.0)
    buf = io.BytesIO()
    doc.save(buf)
    f = tmp_path / "stretta.docx"
    f.write_bytes(buf.getvalue())
    (pdf,) = to_pdf([f], tmp_path)
    assert set(broken_words(buf.getvalue(), pdf)) == {"Raggiungimento", "Partecipazione"}


def test_powerpoint_has_one_wide_page_per_slide(demo_plans, tmp_path):
    files = []
    for pm in demo_plans:
        f = tmp_path / f"presentazione_{pm.ctx.plan_id}.pptx"
        f.write_bytes(to_pptx(pm))
        files.append(f)
    for pdf, pm in zip(to_pdf(files, tmp_path), demo_plans):
        deck = build_deck(pm, POWERPOINT)
        sizes = page_sizes(pdf)
        assert len(sizes) == len(deck), pm.ctx.ente
        assert all(abs(w - WIDE_PT[0]) < 2 and abs(h - WIDE_PT[1]) < 2 for w, h in sizes), sizes
        for i, s in enumerate(deck[1:], start=2):     # each page shows its slide's title
            words = _pieces(s.title)[:4]
            assert all(w in _pieces(pdf_text(pdf, i)) for w in words), (pm.ctx.ente, i, s.title)
        snapshot(pdf, f"presentazione_{pm.ctx.plan_id}")
