"""HTML → main text with its heading structure, navigation and page chrome removed.

Parsing is lxml's (libxml2). Main-content extraction is DOM-based: start from <main>/<article>/[role=main] when
the page has one, drop page chrome by element type, ARIA role and class/id tokens, then emit one block per
block-level element with the current heading path. Measured on the PostgreSQL docs, trafilatura dropped every
section heading (it discards DocBook's `titlepage` wrappers) and flattened <pre> synopses; see docs/ingest.md.

API reference entries are sections too: a definition term marked as a signature (Sphinx's `<dt class="sig">`,
older Sphinx's `descname`) heads the passages of its definition, under the name it defines
("logging.basicConfig"), until its definition list ends. Without it a function's description sat under its
module's heading and BM25 had no field saying which passage *defines* the name.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from scent.ingest.extracted import Extracted, LoadError, TextBuilder, collapse_whitespace, decode_text

_DROP_TAGS = {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "form", "button",
              "select", "input", "textarea", "nav", "aside", "head", "object", "embed", "map"}
_CHROME_TAGS = {"header", "footer"}  # page chrome unless inside the main content
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "toolbar"}
_CHROME_TOKEN = re.compile(
    r"^(?:nav|navbar|navheader|navfooter|navigation|menu|menubar|breadcrumbs?|sidebar|sphinxsidebar|"
    r"related|toc|skip-?link|footer|site-header|site-footer|cookie[-\w]*|share|social|headerlink|"
    r"pagination|pager|edit-?this-?page|back-?to-?top)$",
    re.IGNORECASE,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {"p", "div", "li", "dd", "dt", "blockquote", "section", "article", "main", "table", "tr", "ul",
           "ol", "dl", "figure", "figcaption", "caption", "address", "details", "summary", "hr", "br",
           "body", "center", "fieldset", "thead", "tbody", "tfoot", "header", "footer"}
_CELLS = {"td", "th"}
SIGNATURE_LEVEL = 7  # deeper than <h6>: a signature heads a section inside the current heading's


def load_html(data: bytes, name: str) -> Extracted:
    import lxml.etree
    import lxml.html


    decode_text(data)  # the same binary / empty checks as any text file
    try:
        root = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError) as e:
        raise LoadError("corrupt-html", str(e)) from e
    title = collapse_whitespace(root.findtext(".//title") or "")
    main = _main_element(root)
    _drop_chrome(main, inside_main=main.tag != "body")
    walker = _Walker()
    walker.walk(main)
    walker.flush()
    if not walker.builder.blocks and walker.headings:
        # a page of headings only (a chapter's table of contents): its headings are its text
        walker.builder = TextBuilder()
        walker.builder.add("\n".join(walker.headings))
    if not walker.builder.blocks:
        raise LoadError("no-text", "no main text found in the HTML")
    title = title or next(iter(walker.headings), "") or PurePath(name).stem
    return Extracted(walker.builder.text(), title, walker.builder.blocks)


def _main_element(root: Any) -> Any:
    for xpath in ("//main", "//*[@role='main']", "//article"):
        found = root.xpath(xpath)
        if len(found) == 1:
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def _is_chrome(el: Any, inside_main: bool) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _DROP_TAGS or el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if tag in _CHROME_TAGS and not inside_main:
        return True
    if (el.get("role") or "").lower() in _DROP_ROLES:
        return True
    tokens = (el.get("class") or "").split() + (el.get("id") or "").split()
    return any(_CHROME_TOKEN.match(t) for t in tokens)


def _drop_chrome(main: Any, inside_main: bool) -> None:
    doomed = [el for el in main.iterdescendants() if not isinstance(el.tag, str) or _is_chrome(el, inside_main)]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the element's tail text


class _Walker:
    """Depth-first walk that turns block-level elements into blocks under the current heading path."""

    def __init__(self) -> None:
        self.builder = TextBuilder()
        self.stack: list[tuple[int, str]] = []
        self.buffer: list[str] = []
        self.headings: list[str] = []
        self.scopes: list[list[tuple[int, str]]] = []  # heading paths around the definition lists of signatures

    def flush(self) -> None:
        text = collapse_whitespace("".join(self.buffer)).removesuffix(" |")
        self.buffer.clear()
        self.builder.add(text, tuple(h for _, h in self.stack))

    def walk(self, el: Any) -> None:
        tag = el.tag
        if tag in _HEADINGS:
            self.flush()
            level, text = _HEADINGS[tag], collapse_whitespace(el.text_content())
            if text:
                self.stack = [(lvl, h) for lvl, h in self.stack if lvl < level] + [(level, text)]
                self.headings.append(text)
                self.builder.add(text, block=False)
            return
        if tag == "pre":
            self.flush()
            self.builder.add(el.text_content().strip("\n"), tuple(h for _, h in self.stack))
            return
        signatures = tag == "dl" and any(child.tag == "dt" and _is_signature(child) for child in el)
        if signatures:  # the signatures' headings end with their definition list
            self.flush()
            self.scopes.append(list(self.stack))
        elif tag == "dt" and self.scopes and _is_signature(el):
            self.flush()
            name = _signature_name(el, nested=len(self.scopes) > 1)
            if name:
                self.stack = [*self.scopes[-1], (SIGNATURE_LEVEL + len(self.scopes) - 1, name)]
        block = tag in _BLOCKS
        if block:
            self.flush()
        if el.text:
            self.buffer.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buffer.append(child.tail)
        if tag in _CELLS:
            self.buffer.append(" | ")
        elif block:
            self.flush()
        if signatures:
            self.stack = self.scopes.pop()


_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_NAME_PARTS = ".//*[" + " or ".join(_CLASS.format(c) for c in ("sig-prename", "sig-name", "descclassname",
                                                                 "descname")) + "]"


def _is_signature(el: Any) -> bool:
    """A definition term that is an API signature: Sphinx >= 4 marks it `sig`, older Sphinx names it `descname`."""
    return "sig" in (el.get("class") or "").split() or bool(el.xpath(".//*[" + _CLASS.format("descname") + "]"))


def _signature_name(el: Any, nested: bool) -> str:
    """The name a signature defines ("logging.basicConfig"; a method, `nested` in its class's definition, by its
    anchor's full name, "logging.Logger.setLevel", where the page shows "setLevel"), without its parameters; its
    whole text when it marks no name."""
    outermost: list[Any] = []
    for part in el.xpath(_NAME_PARTS):  # Sphinx may nest one marked part in another: keep the outer one
        if not any(part in outer.iterdescendants() for outer in outermost):
            outermost.append(part)
    name = collapse_whitespace("".join(p.text_content() for p in outermost) if outermost else el.text_content())
    anchor = el.get("id") or ""
    return anchor if nested and name and anchor.endswith("." + name) and " " not in anchor else name
