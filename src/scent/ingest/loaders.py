"""One loader per document format: bytes in, `Extracted` out, `LoadError` for unreadable files.

Loaders are pure functions of the file's bytes (and name), so they are easy to test and to run in a pool.
`load` is the only entry point: whatever a parser raises on a hostile file becomes a LoadError (one bad file
never stops a run), and it bounds what a file may expand to (an archive's uncompressed size, the extracted text).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePath

from scent.ingest.extracted import Extracted, LoadError, TextBuilder, decode_text, paragraph_blocks
from scent.ingest.html import load_html


def load_txt(data: bytes, name: str) -> Extracted:
    text, warnings = decode_text(data)
    return Extracted(text, PurePath(name).stem, paragraph_blocks(text), warnings)


def load_md(data: bytes, name: str) -> Extracted:
    """Markdown stays as written; headings (found by a real parser, so not inside code) set the section."""
    from markdown_it import MarkdownIt

    text, warnings = decode_text(data)
    lines = text.splitlines(keepends=True)
    line_start = [0]
    for line in lines:
        line_start.append(line_start[-1] + len(line))
    tokens = MarkdownIt("commonmark").parse(text)
    headings: list[tuple[int, int, int, str]] = []  # (first line, end line, level, text)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            headings.append((tok.map[0], tok.map[1], int(tok.tag[1]), tokens[i + 1].content.strip()))
    blocks = []
    stack: list[tuple[int, str]] = []
    title = next((h[3] for h in headings if h[2] == 1), PurePath(name).stem)
    cursor = 0
    for first, end, level, heading in [*headings, (len(lines), len(lines), 0, "")]:
        section = text[line_start[cursor] : line_start[first]]
        blocks += paragraph_blocks(section, line_start[cursor], tuple(h for _, h in stack))
        if level:
            stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading)]
        cursor = end
    return Extracted(text, title, blocks, warnings)


def load_pdf(data: bytes, name: str) -> Extracted:
    """Text per page; the page number is kept on every block."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted-pdf", "the PDF is encrypted with a password")
        pages = list(reader.pages)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as e:
        raise LoadError("corrupt-pdf", f"{type(e).__name__}: {e}") from e
    builder = TextBuilder()
    warnings: list[tuple[str, str]] = []
    for number, page in enumerate(pages, start=1):
        try:
            page_text = page.extract_text() or ""
        except Exception as e:  # pypdf raises many types on damaged content streams
            warnings.append(("unreadable-page", f"page {number}: {type(e).__name__}: {e}"))
            continue
        if not page_text.strip():
            page_text = _ocr_page(page, number, warnings)
        for block in paragraph_blocks(page_text):
            builder.add(page_text[block.start : block.end], page=number)
    if not builder.blocks:
        raise LoadError("no-text", "no extractable text (a scanned PDF needs OCR: install tesseract-ocr, and "
                        "leave out --no-ocr)")
    title = _pdf_title(reader) or PurePath(name).stem
    return Extracted(builder.text(), title, builder.blocks, warnings)


def _ocr_page(page: object, number: int, warnings: list[tuple[str, str]]) -> str:
    """The text of a page that has none, read by OCR from its images (a scanned page), when tesseract is here."""
    from scent.ingest.formats import ocr

    if not ocr.available():
        return ""
    texts = []
    try:
        for image in page.images:  # type: ignore[attr-defined]
            texts.append(ocr.image_text(image.data, PurePath(image.name).suffix.lower() or ".png"))
    except LoadError as e:
        warnings.append(("ocr-failed", f"page {number}: {e.detail}"))
    except Exception as e:  # pypdf on a damaged image stream
        warnings.append(("ocr-failed", f"page {number}: {type(e).__name__}: {e}"[:300]))
    if any(t.strip() for t in texts):
        warnings.append(("ocr", f"page {number}: text read by OCR (tesseract)"))
    return "\n\n".join(texts)


def _pdf_title(reader: object) -> str:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        return str(meta.title).strip() if meta and meta.title else ""
    except Exception:
        return ""


def load_docx(data: bytes, name: str) -> Extracted:
    """Paragraphs and tables in document order; 'Heading N' / 'Title' styles set the section."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx surfaces zip, xml and package errors alike
        raise LoadError("corrupt-docx", f"{type(e).__name__}: {e}") from e
    builder = TextBuilder()
    stack: list[tuple[int, str]] = []
    title = (document.core_properties.title or "").strip()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                builder.add(" | ".join(c.text.strip() for c in row.cells), tuple(h for _, h in stack))
            continue
        text = item.text.strip()
        style = (item.style.name if item.style is not None else "") or ""
        level = _heading_level(style)
        if level is not None and text:
            stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, text)]
            title = title or text
            builder.add(text, block=False)
        else:
            builder.add(text, tuple(h for _, h in stack))
    if not builder.blocks:
        raise LoadError("empty", "the document holds no text")
    return Extracted(builder.text(), title or PurePath(name).stem, builder.blocks)


def _heading_level(style: str) -> int | None:
    """0 for the document title, N for 'Heading N', None for body text."""
    if style == "Title":
        return 0
    digits = style.removeprefix("Heading ").strip()
    return int(digits) if style.startswith("Heading ") and digits.isdigit() else None


LOADERS: dict[str, Callable[[bytes, str], Extracted]] = {
    ".txt": load_txt,
    ".md": load_md,
    ".markdown": load_md,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ARCHIVES = {".docx"}  # zip containers: their uncompressed size is what the parser reads


def loader_for(name: str) -> Callable[[bytes, str], Extracted] | None:
    """The loader of a file name: by extension; a name with no extension is read as text (binary content is then
    refused by the text loader)."""
    from scent.ingest.formats import EXTRA_LOADERS, MAIL_EXTENSIONS

    suffix = PurePath(name).suffix.lower()
    if not suffix:
        return load_plain
    if suffix in MAIL_EXTENSIONS:
        from functools import partial

        from scent.ingest.formats import mail

        return partial(mail.load_eml if suffix == ".eml" else mail.load_mbox, attach=_attachment)
    return LOADERS.get(suffix) or EXTRA_LOADERS.get(suffix)


def _attachment(data: bytes, name: str) -> Extracted | None:
    """A mail attachment's text when it is a supported format (its size bounded like a file's), else None."""
    if not supported(name):
        return None
    try:
        return load(data, name, max_bytes=len(data) * 20 + 1_000_000)
    except LoadError:
        return None


def supported(name: str) -> bool:
    """Whether `scent index` reads this file (a corpus `.jsonl` included)."""
    return name.lower().endswith(".jsonl") or loader_for(name) is not None


def load_plain(data: bytes, name: str) -> Extracted:
    """A file with no extension (`LICENSE`, `Makefile`, `README`): text when it decodes as text."""
    try:
        return load_txt(data, name)
    except LoadError as e:
        if e.reason == "binary":
            raise LoadError("unsupported-type", f"binary content and no extension ({e.detail})") from None
        raise


def load(data: bytes, name: str, max_bytes: int | None = None, ocr: bool = True) -> Extracted:
    """Extract a document by its extension (`.jsonl` corpus files are read by `scent.ingest.corpus`).

    `max_bytes` (the --max-file-mb limit) also bounds an archive's uncompressed size and the extracted text: a
    120 KB .docx must not become 28.8M characters. Any exception a parser raises becomes a LoadError
    (`corrupt-<format>`): the fuzz tests find new ones (e.g. python-docx's ValueError on `gridSpan="abc"`)."""
    suffix = PurePath(name).suffix.lower()
    loader = loader_for(name)
    if loader is None:
        raise LoadError("unsupported-type", f"no loader for {suffix!r}")
    from scent.ingest.formats import ZIP_FORMATS

    if (suffix in ARCHIVES or suffix in ZIP_FORMATS) and data.startswith(OLE_MAGIC):
        # Office wraps a password-protected .docx/.xlsx/.pptx in an OLE compound file (so is an old binary .doc)
        raise LoadError(f"encrypted-{suffix.lstrip('.')}", "protected with a password (an OLE container, not a "
                        "zip: or an old binary Office file renamed)")
    if max_bytes is not None and (suffix in ARCHIVES or suffix in ZIP_FORMATS):
        check_archive(data, max_bytes, f"corrupt-{suffix.lstrip('.')}")
    from scent.ingest.formats.ocr import ENABLED

    token = ENABLED.set(ocr)
    try:
        extracted = loader(data, name)
    except LoadError:
        raise
    except Exception as e:  # a parser bug on one hostile file must cost that file, not the run
        raise LoadError(f"corrupt-{suffix.lstrip('.')}", f"{type(e).__name__}: {e}"[:500], unexpected=True) from e
    finally:
        ENABLED.reset(token)
    if max_bytes is not None and len(extracted.text) > max_bytes:
        extracted = cut_text(extracted, max_bytes)
    return extracted


def check_archive(data: bytes, max_bytes: int, corrupt: str = "corrupt-archive") -> None:
    """LoadError when a zip's members add up to more than `max_bytes` uncompressed. The declared sizes are a
    real bound: Python's zipfile never returns more than a member declares (and fails its CRC if it tried)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as e:
        raise LoadError(corrupt, f"{type(e).__name__}: {e}") from e
    if total > max_bytes:
        raise LoadError("too-large", f"expands to {total / 1e6:.1f} MB uncompressed > limit "
                        f"{max_bytes / 1e6:.1f} MB (--max-file-mb)")


def cut_text(doc: Extracted, max_chars: int) -> Extracted:
    """The document up to `max_chars` characters: later blocks are dropped, the one across the limit is cut."""
    blocks = [b if b.end <= max_chars else replace(b, end=max_chars) for b in doc.blocks if b.start < max_chars]
    warning = ("text-cut", f"extracted text of {len(doc.text)} characters cut at {max_chars} (--max-file-mb)")
    return Extracted(doc.text[:max_chars], doc.title, blocks, [*doc.warnings, warning])
