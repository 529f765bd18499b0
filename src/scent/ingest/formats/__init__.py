"""Loaders for the formats people keep beyond txt/md/html/pdf/docx (docs/ingest.md, "Formats"), by family:
`text` (tables, markup with headings, notebooks, data files, source code), `office` (spreadsheets, slides,
OpenDocument, EPUB, RTF), `mail` (.eml, .mbox), `ocr` (images, through tesseract). Each is a pure function of
the file's bytes and name, registered here by extension; `scent.ingest.loaders.load` guards them all.
"""

from __future__ import annotations

from collections.abc import Callable

from scent.ingest.extracted import Extracted
from scent.ingest.formats import ocr, office, text

CODE_EXTENSIONS = (".py", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".c", ".h", ".cc",
                   ".cpp", ".hpp", ".cs", ".rb", ".php", ".swift", ".scala", ".sh", ".bash", ".zsh", ".sql", ".r",
                   ".lua", ".pl", ".toml", ".yaml", ".yml", ".ini", ".cfg", ".conf")

EXTRA_LOADERS: dict[str, Callable[[bytes, str], Extracted]] = {
    ".csv": text.load_csv,
    ".tsv": text.load_csv,
    ".rst": text.load_rst,
    ".org": text.load_org,
    ".tex": text.load_tex,
    ".ipynb": text.load_ipynb,
    ".json": text.load_json,
    ".xml": text.load_xml,
    ".log": text.load_plain_text,
    **{ext: text.load_code for ext in CODE_EXTENSIONS},
    ".xlsx": office.load_xlsx,
    ".ods": office.load_ods,
    ".pptx": office.load_pptx,
    ".odp": office.load_odp,
    ".odt": office.load_odt,
    ".epub": office.load_epub,
    ".rtf": office.load_rtf,
    **{ext: ocr.load_image for ext in ocr.IMAGE_EXTENSIONS},
}

# zip containers: their uncompressed size is bounded like a .docx's before a parser reads them
# mail's loaders read attachments through `scent.ingest.loaders.load`: registered there (`loader_for`), with it
MAIL_EXTENSIONS = (".eml", ".mbox")

ZIP_FORMATS = {".xlsx", ".pptx", ".ods", ".odp", ".odt", ".epub"}
