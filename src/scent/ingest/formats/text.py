"""Text-family formats, read with the standard library (and lxml for XML): tables as records under their
header, markup and source code with headings (sections, definitions), notebooks' markdown and code cells."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import PurePath

from scent.ingest.extracted import Block, Extracted, LoadError, TextBuilder, decode_text, paragraph_blocks

ROWS_PER_BLOCK = 20  # a large table is cut into blocks of this many rows, each a passage-sized record group


def load_plain_text(data: bytes, name: str) -> Extracted:
    text, warnings = decode_text(data)
    return Extracted(text, PurePath(name).stem, paragraph_blocks(text), warnings)


def load_csv(data: bytes, name: str) -> Extracted:
    """Each row as a record `header: value; …`; blocks of ROWS_PER_BLOCK rows, headed `rows a-b`."""
    text, warnings = decode_text(data)
    dialect: type[csv.Dialect] | csv.Dialect
    if name.lower().endswith(".tsv"):
        dialect = csv.excel_tab
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        raise LoadError("empty", "the table holds no rows")
    header, body = rows[0], rows[1:] or [rows[0]]
    builder = TextBuilder()
    for first in range(0, len(body), ROWS_PER_BLOCK):
        group = body[first:first + ROWS_PER_BLOCK]
        records = ["; ".join(f"{h.strip()}: {v.strip()}" if h.strip() else v.strip()
                             for h, v in zip(header + [""] * len(row), row, strict=False) if v.strip())
                   for row in group]
        label = f"rows {first + 2}-{first + 1 + len(group)}"
        builder.add("\n".join(r for r in records if r), (label,))
    return Extracted(builder.text(), PurePath(name).stem, builder.blocks, warnings)


def sectioned(text: str, headings: list[tuple[int, int, int, str]], title: str) -> list[Block]:
    """Blocks of `text` under heading paths; `headings` are (start offset, end offset, level, heading text)."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    cursor = 0
    for start, end, level, heading in [*headings, (len(text), len(text), 0, "")]:
        blocks += paragraph_blocks(text[cursor:start], cursor, tuple(h for _, h in stack))
        if level:
            stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading)]
        cursor = end
    return blocks


def _load_sectioned(data: bytes, name: str, pattern: re.Pattern[str], level_of: dict[str, int] | None = None
                    ) -> Extracted:
    text, warnings = decode_text(data)
    headings = []
    levels = level_of if level_of is not None else {}
    for m in pattern.finditer(text):
        mark = m.group("mark")
        level = levels.setdefault(mark[:1], len(levels) + 1) if level_of is not None else len(mark)
        headings.append((m.start(), m.end(), level, m.group("text").strip()))
    title = next((h[3] for h in headings if h[2] == 1), "") or PurePath(name).stem
    return Extracted(text, title, sectioned(text, headings, title), warnings)


# reStructuredText: a title line underlined (optionally overlined) with one punctuation character; the level is
# the order in which underline characters first appear, as docutils decides
_RST = re.compile(r"^(?:(?P<over>[=\-~^\"'`#*+.:_])(?P=over){2,}\n)?(?P<text>[^\n]*\S[^\n]*)\n"
                  r"(?P<mark>[=\-~^\"'`#*+.:_])(?P=mark){2,}[ \t]*$", re.M)
_ORG = re.compile(r"^(?P<mark>\*+)[ \t]+(?P<text>[^\n]+)$", re.M)
_TEX = re.compile(r"\\(?P<mark>part|chapter|section|subsection|subsubsection|paragraph)\*?\{(?P<text>[^}\n]*)\}")
_TEX_LEVELS = {"part": 1, "chapter": 2, "section": 3, "subsection": 4, "subsubsection": 5, "paragraph": 6}


def load_rst(data: bytes, name: str) -> Extracted:
    return _load_sectioned(data, name, _RST, {})


def load_org(data: bytes, name: str) -> Extracted:
    return _load_sectioned(data, name, _ORG)


def load_tex(data: bytes, name: str) -> Extracted:
    text, warnings = decode_text(data)
    headings = [(m.start(), m.end(), _TEX_LEVELS[m.group("mark")], m.group("text").strip())
                for m in _TEX.finditer(text)]
    title = re.search(r"\\title\{([^}\n]*)\}", text)
    return Extracted(text, title.group(1).strip() if title else PurePath(name).stem,
                     sectioned(text, headings, ""), warnings)


# definitions that head a section of source code: top-level (or one indent deep, for methods) functions, classes,
# types and SQL objects
_DEFINITION = re.compile(
    r"^(?P<indent>[ \t]{0,4})(?:export\s+|pub(?:\([\w:]+\))?\s+|public\s+|private\s+|static\s+|async\s+|default\s+)*"
    r"(?P<mark>def|class|function|func|fn|interface|struct|enum|trait|impl|type|module|CREATE\s+(?:OR\s+REPLACE\s+)?"
    r"(?:TABLE|VIEW|FUNCTION|INDEX|PROCEDURE))\b[ \t]*(?P<text>\(?[\w.$:<>]+)", re.M | re.I)


def load_code(data: bytes, name: str) -> Extracted:
    """Source code as text; each definition (def, class, function, func, fn, struct, CREATE TABLE …) heads the
    lines that follow it, methods under their class."""
    text, warnings = decode_text(data)
    headings = []
    for m in _DEFINITION.finditer(text):
        level = 2 if m.group("indent") else 1
        headings.append((m.start(), m.start(), level, f"{m.group('mark').split()[0]} {m.group('text')}"))
    blocks = sectioned(text, headings, "")
    return Extracted(text, PurePath(name).name, blocks, warnings)


def load_json(data: bytes, name: str) -> Extracted:
    """JSON as text (one line of minified JSON re-indented so that passages break between values)."""
    text, warnings = decode_text(data)
    if "\n" not in text.strip() and len(text) > 200:
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    return Extracted(text, PurePath(name).stem, paragraph_blocks(text), warnings)


def load_xml(data: bytes, name: str) -> Extracted:
    """The text of an XML document, one paragraph per element that holds text (entities and DTDs are not
    resolved, nothing is fetched); a document that does not parse is read as plain text."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return load_plain_text(data, name)
    builder = TextBuilder()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parts = [element.text or "", *[(child.tail or "") for child in element]]
        own = " ".join(p.strip() for p in parts if p.strip())
        if own:
            builder.add(own)
    if not builder.blocks:
        raise LoadError("empty", "the XML document holds no text")
    title = root.findtext(".//title") or PurePath(name).stem
    return Extracted(builder.text(), title.strip() or PurePath(name).stem, builder.blocks)


def load_ipynb(data: bytes, name: str) -> Extracted:
    """A Jupyter notebook's markdown and code cells, in order; outputs are left out. Markdown headings set the
    section of the cells that follow."""
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
        cells = notebook["cells"] if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no 'cells' list")
    except (ValueError, KeyError, UnicodeDecodeError, RecursionError) as e:
        raise LoadError("corrupt-ipynb", f"{type(e).__name__}: {e}"[:300]) from e
    builder = TextBuilder()
    stack: list[tuple[int, str]] = []
    title = ""
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("markdown", "code"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell["cell_type"] == "code":
            builder.add(source, tuple(h for _, h in stack))
            continue
        for piece in re.split(r"\n\s*\n", source):
            heading = re.match(r"^(#{1,6})\s+(.+)$", piece.strip())
            if heading and "\n" not in piece.strip():
                level = len(heading.group(1))
                stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading.group(2).strip())]
                title = title or heading.group(2).strip()
                builder.add(piece, block=False)
            else:
                builder.add(piece, tuple(h for _, h in stack))
    if not builder.blocks:
        raise LoadError("empty", "the notebook holds no markdown or code")
    return Extracted(builder.text(), title or PurePath(name).stem, builder.blocks)
