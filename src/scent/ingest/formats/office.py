"""Office documents, each through its maintained reader (docs/ingest.md says why each): spreadsheets per sheet
(openpyxl, odfpy), slides per slide with the slide number kept as the page (python-pptx, odfpy), OpenDocument
text (odfpy), EPUB per chapter (ebooklib + the HTML loader), RTF (striprtf)."""

from __future__ import annotations

import io
from pathlib import PurePath

from scent.ingest.extracted import Extracted, LoadError, TextBuilder

ROWS_PER_BLOCK = 20


def _need(module: str, package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise LoadError("missing-reader", f"reading this format needs `pip install {package}`")


def _rows_as_records(builder: TextBuilder, sheet: str, rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return
    header, body = rows[0], rows[1:] or rows[:1]
    for first in range(0, len(body), ROWS_PER_BLOCK):
        group = body[first:first + ROWS_PER_BLOCK]
        records = ["; ".join(f"{h}: {v}" if h else v for h, v in zip(header + [""] * len(row), row, strict=False)
                             if v) for row in group]
        builder.add("\n".join(r for r in records if r), (sheet, f"rows {first + 2}-{first + 1 + len(group)}"))


def load_xlsx(data: bytes, name: str) -> Extracted:
    """Each sheet's rows as records under its header row, headed (sheet, rows a-b); values, not formulas."""
    _need("openpyxl", "openpyxl")
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:
        raise LoadError("corrupt-xlsx", f"{type(e).__name__}: {e}"[:300]) from e
    builder = TextBuilder()
    for sheet in book.worksheets:
        rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        _rows_as_records(builder, sheet.title, rows)
    title = (book.properties.title or "").strip() if book.properties else ""
    return _done(builder, title, name)


def _done(builder: TextBuilder, title: str, name: str) -> Extracted:
    if not builder.blocks:
        raise LoadError("empty", "the document holds no text")
    return Extracted(builder.text(), title or PurePath(name).stem, builder.blocks)


def load_pptx(data: bytes, name: str) -> Extracted:
    """Each slide's text frames and tables (and its notes), the slide number kept as the page, the slide title as
    the heading."""
    _need("pptx", "python-pptx")
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as e:
        raise LoadError("corrupt-pptx", f"{type(e).__name__}: {e}"[:300]) from e
    builder = TextBuilder()
    for number, slide in enumerate(deck.slides, start=1):
        heading = ""
        if slide.shapes.title is not None and slide.shapes.title.has_text_frame:
            heading = slide.shapes.title.text_frame.text.strip()
        headings = (heading,) if heading else ()
        for shape in slide.shapes:
            if shape.has_text_frame and shape is not slide.shapes.title:
                builder.add(shape.text_frame.text, headings, page=number)
            elif getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    builder.add(" | ".join(c.text.strip() for c in row.cells), headings, page=number)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            builder.add(slide.notes_slide.notes_text_frame.text, headings, page=number)
        if heading and not any(b.page == number for b in builder.blocks):
            builder.add(heading, headings, page=number)
    return _done(builder, (deck.core_properties.title or "").strip(), name)


def _odf(data: bytes, kind: str) -> object:
    _need("odf", "odfpy")
    from odf.opendocument import load

    try:
        return load(io.BytesIO(data))
    except Exception as e:
        raise LoadError(f"corrupt-{kind}", f"{type(e).__name__}: {e}"[:300]) from e


def _odf_text(element: object) -> str:
    from odf import teletype

    return str(teletype.extractText(element)).strip()


def load_odt(data: bytes, name: str) -> Extracted:
    """Paragraphs and headings (text:h with its outline level) in document order."""
    document = _odf(data, "odt")
    builder = TextBuilder()
    stack: list[tuple[int, str]] = []
    title = ""
    body = document.text  # type: ignore[attr-defined]
    for element in _walk(body):
        kind = getattr(element, "qname", (None, None))[1]
        if kind == "h":
            level = int(element.getAttribute("outlinelevel") or 1)  # type: ignore[attr-defined]
            heading = _odf_text(element)
            if heading:
                stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading)]
                title = title or heading
                builder.add(heading, block=False)
        elif kind == "p":
            builder.add(_odf_text(element), tuple(h for _, h in stack))
    return _done(builder, title, name)


def _walk(element: object) -> list[object]:
    """Paragraph-level elements in document order (not descending into a paragraph)."""
    out: list[object] = []
    for child in getattr(element, "childNodes", []):
        if getattr(child, "qname", (None, None))[1] in ("h", "p"):
            out.append(child)
        else:
            out += _walk(child)
    return out


def load_ods(data: bytes, name: str) -> Extracted:
    """Each sheet's rows as records under its header row (as for .xlsx)."""
    from odf import table

    document = _odf(data, "ods")
    builder = TextBuilder()
    for sheet in document.spreadsheet.getElementsByType(table.Table):  # type: ignore[attr-defined]
        rows = []
        for row in sheet.getElementsByType(table.TableRow):
            cells: list[str] = []
            for cell in row.getElementsByType(table.TableCell):
                repeat = min(int(cell.getAttribute("numbercolumnsrepeated") or 1), 100)
                cells += [_odf_text(cell)] * repeat
            while cells and not cells[-1]:
                cells.pop()
            rows.append(cells)
        _rows_as_records(builder, str(sheet.getAttribute("name") or "sheet"), rows)
    return _done(builder, "", name)


def load_odp(data: bytes, name: str) -> Extracted:
    """Each slide's text, the slide number kept as the page, the slide name as the heading."""
    from odf import draw

    document = _odf(data, "odp")
    builder = TextBuilder()
    pages = document.presentation.getElementsByType(draw.Page)  # type: ignore[attr-defined]
    for number, page in enumerate(pages, start=1):
        frames = [_odf_text(p) for p in _walk(page)]
        heading = frames[0] if frames else ""
        for text in frames:
            builder.add(text, (heading,) if heading else (), page=number)
    return _done(builder, "", name)


def load_epub(data: bytes, name: str) -> Extracted:
    """Each chapter (spine item) through the HTML loader, its headings kept under the chapter's."""
    _need("ebooklib", "ebooklib")
    import warnings

    import ebooklib
    from ebooklib import epub

    from scent.ingest.html import load_html

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": True})
    except Exception as e:
        raise LoadError("corrupt-epub", f"{type(e).__name__}: {e}"[:300]) from e
    builder = TextBuilder()
    for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT):
        try:
            chapter = load_html(item.get_content(), item.get_name())
        except LoadError:
            continue
        for block in chapter.blocks:
            builder.add(chapter.text[block.start:block.end], block.headings)
    titles = book.get_metadata("DC", "title")
    return _done(builder, str(titles[0][0]).strip() if titles else "", name)


def load_rtf(data: bytes, name: str) -> Extracted:
    _need("striprtf", "striprtf")
    from striprtf.striprtf import rtf_to_text

    from scent.ingest.extracted import paragraph_blocks

    if not data.lstrip().startswith(b"{\\rtf"):
        raise LoadError("corrupt-rtf", "not an RTF document (no {\\rtf header)")
    text = str(rtf_to_text(data.decode("latin-1"), errors="ignore"))  # type: ignore[no-untyped-call]
    blocks = paragraph_blocks(text)
    if not blocks:
        raise LoadError("empty", "the document holds no text")
    return Extracted(text, PurePath(name).stem, blocks)
