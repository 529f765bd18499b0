"""The original file of a passage (to download), and PDF pages as images for the document view: the page a
passage came from, rendered on demand by pypdfium2 to PNG, with the quoted sentence's region marked when the
page's text layer holds it.

The file is found from the passage id alone — the id is looked up in the index's store, which names the
document's root and path — never from a path the client sends; the real path must still lie inside its root
and be a regular file (`.pdf` for a page). PDFium is not thread-safe, so every call into it holds one lock. A
page is drawn at most 1400 px wide and 2400 px high whatever its declared size. The PNG is encoded here (zlib):
no image library.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scent.serve.corpus import NotFound

MAX_WIDTH = 1400
MAX_HEIGHT = 2400
MAX_SCALE = 2.0
CACHED = 16
_pdfium = threading.Lock()
_cache: OrderedDict[tuple[str, int, int, str], PageImage] = OrderedDict()


@dataclass(frozen=True)
class PageImage:
    png: bytes
    page: int
    pages: int
    marks: int  # rectangles marked (0: the quote is not in the page's text layer, or none was asked)
    mark_top: float | None  # where the first mark starts, as a fraction of the image's height


def source_file(index: Any, passage_id: str) -> tuple[Path, int | None]:
    """(the file, 1-based page or None) a passage of a folder index came from, found from the passage id in the
    index's store; NotFound for another kind of index, an unknown id, or a file no longer inside its root."""
    store = getattr(index, "store", None)
    if store is None:
        raise NotFound("original files are served for folder indexes only")
    row = store.db.execute("SELECT d.root, d.path, p.page FROM passages p JOIN documents d USING (doc) "
                           "WHERE p.id = ?", (passage_id,)).fetchone()
    if row is None:
        raise NotFound(f"no passage {passage_id!r}")
    root, path, page = row
    real_root = os.path.realpath(root)
    file = os.path.realpath(os.path.join(real_root, path))
    if not file.startswith(real_root.rstrip("/") + "/") or not os.path.isfile(file):
        raise NotFound(f"the file of passage {passage_id!r} is no longer where it was indexed")
    return Path(file), page


def source_pdf(index: Any, passage_id: str) -> tuple[Path, int]:
    """(the PDF file, 1-based page) a passage came from; NotFound for a passage not from a page of a PDF."""
    file, page = source_file(index, passage_id)
    if page is None or file.suffix.lower() != ".pdf":
        raise NotFound(f"passage {passage_id!r} is not from a page of a PDF")
    return file, int(page)


def page_image(index: Any, passage_id: str, quote: str = "") -> PageImage:
    """The passage's PDF page as PNG, `quote` marked on it when found (cached by file, its mtime, page, quote)."""
    file, page = source_pdf(index, passage_id)
    key = (str(file), file.stat().st_mtime_ns, page, quote)
    with _pdfium:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        image = _render(file, page, quote)
        _cache[key] = image
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return image


def _render(file: Path, page: int, quote: str) -> PageImage:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(file))
    except pdfium.PdfiumError as e:
        raise NotFound(f"the PDF cannot be opened: {e}") from None
    try:
        if not 1 <= page <= len(pdf):
            raise NotFound(f"the PDF has no page {page}")
        sheet = pdf[page - 1]
        width, height = sheet.get_size()
        scale = min(MAX_SCALE, MAX_WIDTH / max(width, 1.0), MAX_HEIGHT / max(height, 1.0))
        pixels = sheet.render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3].copy()  # RGB
        rects = quote_rects(sheet, quote) if quote.strip() else []
        boxes = [(int(left * scale), int((height - top) * scale), int(right * scale) + 1,
                  int((height - bottom) * scale) + 1) for left, bottom, right, top in rects]
        mark(pixels, boxes)
        top = min(b[1] for b in boxes) / pixels.shape[0] if boxes else None
        return PageImage(encode_png(pixels), page, len(pdf), len(boxes), top)
    finally:
        pdf.close()


def _squashed(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with each run of whitespace as one space, and the index in `text` of each character."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(ch.lower())
        where.append(i)
    return "".join(out), where


def quote_rects(sheet: Any, quote: str) -> list[tuple[float, float, float, float]]:
    """The rectangles (PDF points: left, bottom, right, top) of the quote's characters on the page, found in the
    text layer whitespace- and case-insensitively; failing the whole quote, its first eight words; else []."""
    textpage = sheet.get_textpage()
    try:
        text = textpage.get_text_range()
        if len(text) != textpage.count_chars():  # characters and text do not line up: cannot place the quote
            return []
        flat, where = _squashed(text)
        wanted = _squashed(quote.strip())[0]
        at = flat.find(wanted)
        if at < 0:
            wanted = " ".join(wanted.split(" ")[:8])
            at = flat.find(wanted) if len(wanted) >= 12 else -1
        if at < 0:
            return []
        start, end = where[at], where[at + len(wanted) - 1]
        count = textpage.count_rects(start, end - start + 1)
        return [tuple(textpage.get_rect(i)) for i in range(count)]
    finally:
        textpage.close()


def mark(pixels: Any, boxes: list[tuple[int, int, int, int]]) -> None:
    """Tint each box yellow (the text stays readable) and underline it, in place."""
    import numpy as np

    h, w = pixels.shape[:2]
    for x0, y0, x1, y1 in boxes:
        pad = max(2, (y1 - y0) // 5)
        x0, x1 = max(0, x0 - pad), min(w, x1 + pad)
        y0, y1 = max(0, y0 - pad), min(h, y1 + pad)
        if x1 <= x0 or y1 <= y0:
            continue
        region = pixels[y0:y1, x0:x1].astype(np.float32)
        pixels[y0:y1, x0:x1] = (region * 0.55 + np.array([255, 214, 0], np.float32) * 0.45).astype(np.uint8)
        pixels[max(y0, y1 - 2):y1, x0:x1] = (224, 160, 0)


def encode_png(pixels: Any) -> bytes:
    """An 8-bit RGB PNG of an (height, width, 3) uint8 array."""
    import numpy as np

    h, w = pixels.shape[:2]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(pixels).reshape(h, w * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))

