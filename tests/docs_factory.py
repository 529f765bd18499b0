"""Real documents generated in tests: PDFs (fpdf2), encrypted PDFs (pypdf), DOCX (python-docx)."""

from __future__ import annotations

import io
from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, text: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = io.BytesIO()
    make_pdf(path, [text])
    writer = PdfWriter(clone_from=PdfReader(path))
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(plain)
    path.write_bytes(plain.getvalue())
    return path


def make_docx(path: Path, title: str, sections: list[tuple[str, list[str]]], table: list[list[str]] | None = None
              ) -> Path:
    import docx

    d = docx.Document()
    d.add_heading(title, level=0)
    for heading, paragraphs in sections:
        d.add_heading(heading, level=1)
        for p in paragraphs:
            d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    d.save(str(path))
    return path


def small_corpus(root: Path) -> Path:
    """One file of each format the loaders read (text, markdown, HTML in a subfolder, PDF, DOCX) about animals."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "otters.txt").write_text("Otters are semiaquatic mammals.\n\nSea otters use rocks as tools to open shells.")
    (root / "guide.md").write_text("# Beaver guide\n\n## Dams\n\nBeavers build dams from branches and mud.\n")
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "page.html").write_text(
        "<html><head><title>Herons</title></head><body><nav>Home</nav><h1>Herons</h1>"
        "<p>Herons wade in shallow water hunting fish.</p></body></html>")
    make_pdf(root / "report.pdf", ["Kingfishers dive for fish.", "Page two mentions dippers."])
    make_docx(root / "policy.docx", "Policy", [("Ducks", ["Ducks dabble for pondweed."])])
    return root
