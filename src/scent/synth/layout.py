"""Generic extractors that read a document's layout, with no template per domain:

- table rows: a table (markdown `| a | b |` rows, or the `a | b` rows the HTML and DOCX loaders write), its first
  row the header; each data row's first cell is the subject and every other cell a value of its column's header.
  Numeric columns compare within one table;
- labelled values: a line or list item `Label: value` ("Owner: Ana Ruiz", "added: v0.1.90") under a heading,
  the heading (or the document's title) the subject; and a list item that opens with a term (`family`) and holds
  a `Label: value` pair ("**Default:** `0`"): the term, within its heading, the subject.

A fact's subject and value lie in one passage; values are short (a few words) and stripped of markup, and must
then still be a span of the passage.
"""

from __future__ import annotations

import re

from scent.synth.facts import Fact, FactBlock, Facts
from scent.synth.shapes import Joined, as_number, relation_words, short_value, subject_of_heading, unmark, value_kind
from scent.types import Passage

TABLE_ROW = re.compile(r"^[ \t]*\|?[^\n|]*(?:\|[^\n|]*){1,12}\|?[ \t]*$", re.M)
SEPARATOR = re.compile(r"^[\s|:-]+$")
LABEL_LINE = re.compile(r"^[ \t]*(?:[-*•+][ \t]+)?(?:\*\*)?(?P<label>[A-Za-z][A-Za-z -]{0,28}?)(?:\*\*)?:(?:\*\*)?"
                        r"[ \t]+(?P<value>[^\n]{1,80})$", re.M)
TERM_ITEM = re.compile(r"^[ \t]*[-*•+][ \t]+`(?P<term>[^`\n]{1,40})`(?P<body>[^\n]*(?:\n[ \t]+[^\s*\-•+][^\n]*)*)",
                       re.M)
INNER_LABEL = re.compile(r"\*\*(?P<label>[A-Z][A-Za-z ]{0,20}):\*\*[ \t]*(?P<value>`[^`\n]{1,40}`|[^\s.,;]{1,40})")
NOT_LABELS = {"note", "notes", "example", "examples", "e.g", "see", "see also", "warning", "tip", "important",
              "caution", "usage", "source", "http", "https", "question", "answer", "q", "a", "step", "result",
              "output", "input", "error", "hint", "info", "todo", "fixme", "changes", "description", "reason",
              "stability", "pr-url", "url", "link", "for instance", "for example", "in other words", "that is",
              "returns", "extends"}
PARTICIPLE = re.compile(r"^[a-z]+ed$")
FENCE = re.compile(r"```.*?(?:```|\Z)|<!--(?!\s*YAML).*?(?:-->|\Z)", re.S)  # code, and comments but YAML metadata
HEADER_CELL = re.compile(r"^[A-Za-z][\w ()/.#-]{0,40}$")
VALUE_HEADER = re.compile(r"^(?:[A-Z]|\S+ \S)")  # a value column's header: capitalised or several words ("none",
                                                 # "full-icu" head a matrix of options, not relations)


def extract(passages: list[Passage]) -> Facts:
    found = Facts()
    if not passages:
        return found
    doc = Joined.of(passages)
    if "```" in doc.text or "<!--" in doc.text:  # code and comments blanked out, offsets kept
        doc.text = FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), doc.text)
    if "|" in doc.text:
        found.facts.extend(_tables(doc))
    if ":" in doc.text:
        found.facts.extend(_labels(doc))
    sections: set[str] = set()
    for p in passages:  # each section's first passage: the other subjects it names make bridges (linking.py)
        subject = subject_of_heading(p.headings[-1]) if p.headings else ""
        if subject and subject not in sections:
            sections.add(subject)
            found.blocks.append(FactBlock("generic-mention", subject, "", subject, p.id, p.text[:1500]))
    return found


def _context(p: Passage) -> str:
    """The subject of a passage's labelled values: its heading, else its title, when it names a thing (a name of
    two words or more, or a word with a capital inside, a digit, a dot: not "Options")."""
    heading = subject_of_heading(p.headings[-1]) if p.headings else ""
    subject = heading or unmark(p.title)
    return subject if len(subject.split()) >= 2 or re.search(r"\w[A-Z0-9._(]", subject) else ""


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [unmark(c.replace("\\", "")) for c in line.split("|")]


# tables ----------------------------------------------------------------------------------------------------------

def _tables(doc: Joined) -> list[Fact]:
    facts: list[Fact] = []
    for block in _blocks(doc.text):
        header = _cells(block[0].group(0))
        body = [m for m in block[1:] if not SEPARATOR.match(m.group(0))]
        if len(header) < 2 or len(body) < 2 or not all(HEADER_CELL.match(h) for h in header):
            continue
        facts.extend(_table_facts(doc, header, body))
    return facts


def _blocks(text: str) -> list[list[re.Match[str]]]:
    """Runs of table rows: rows apart only by whitespace (the HTML loader puts a blank line between rows), with one
    number of cells; a row followed by a markdown separator (|---|) starts a table (it is a header)."""
    blocks: list[list[re.Match[str]]] = []
    rows = list(TABLE_ROW.finditer(text))
    last = 0  # where the last row read ends
    for i, row in enumerate(rows):
        header_next = i + 1 < len(rows) and SEPARATOR.match(rows[i + 1].group(0)) is not None
        joined = blocks and text[last:row.start()].strip() == ""
        if joined and _rest_of_cut_row(blocks[-1], row.group(0)):
            last = row.end()  # the rest of a row that a passage boundary cut: the table goes on after it
            continue
        if joined and not header_next and (
                SEPARATOR.match(row.group(0)) or len(_cells(row.group(0))) == len(_cells(blocks[-1][0].group(0)))):
            blocks[-1].append(row)
        else:
            blocks.append([row])
        last = row.end()
    return blocks


def _rest_of_cut_row(block: list[re.Match[str]], line: str) -> bool:
    """`line` ends a row that the chunker cut in two passages (joined with a blank line): the table's rows open and
    close with "|", the row before it does not close, and `line` does not open."""
    header, before = block[0].group(0).strip(), block[-1].group(0).strip()
    line = line.strip()
    return (len(block) > 1 and header.startswith("|") and header.endswith("|") and not before.endswith("|")
            and not line.startswith("|") and line.endswith("|"))


def _table_facts(doc: Joined, header: list[str], body: list[re.Match[str]]) -> list[Fact]:
    facts: list[Fact] = []
    keys = [_cells(m.group(0))[0] for m in body]
    if len(set(keys)) != len(keys):
        return facts  # a first column that repeats is not a key (a row per event, say): its rows are not subjects
    for row in body:
        cells = _cells(row.group(0))
        gold = doc.within(row.start(), row.end())
        if gold is None or len(cells) != len(header):
            continue
        key = cells[0]
        if not short_value(key) or value_kind(key) in ("number", "year", "date") or key not in gold.text:
            continue
        context = _context(gold)
        if not context:
            continue  # "the table" alone does not say which
        for column, value in zip(header[1:], cells[1:], strict=True):
            relation = relation_words(column)
            if not VALUE_HEADER.match(column):
                continue
            if (not short_value(value, 6) or value == key or value not in gold.text
                    or not 0 < len(relation.split()) <= 4):
                continue
            where = f"the table in {context}" if context else "the table"
            number = as_number(value)
            facts.append(Fact(
                gold.id, "generic", key, "row", f"table:{relation}@{context}", value,
                f"According to {where}, {_what(relation, value)} for {{s}}?", key,
                number=number[0] if number else None,
                compare=f"According to {where}, which has the larger {relation}, {{a}} or {{b}}?" if number else "",
                compare_key=f"table:{context}:{relation}:{number[1]}" if number else "",
                group=context, extractor="table", refer=f"the {relation} for {{s}} in {where}",
                cue=(relation,)))
    return facts


# labelled values -------------------------------------------------------------------------------------------------

def _labels(doc: Joined) -> list[Fact]:
    facts: list[Fact] = []
    for m in LABEL_LINE.finditer(doc.text):
        label, raw = m.group("label").strip(), m.group("value")
        gold = doc.within(m.start(), m.end())
        nested = m.group(0)[:1] in " \t"  # an indented item: a YAML list's "  - version:", a sub-point
        if (gold is None or nested or label.lower() in NOT_LABELS or len(label.split()) > 3
                or raw.rstrip()[-1:] in ",;{[(" or (label[0].islower() and " " in label)):  # "this API:" in a sentence
            continue
        value = unmark(raw).rstrip(".")
        subject = _context(gold)
        if not subject or not short_value(value, 8) or value not in gold.text or value.endswith(":"):
            continue
        if value.startswith("{") or subject.lower() == label.lower():
            continue
        if len(label.split()) >= 2 and value_kind(label) == "name" and value[:1].islower():
            continue  # "Carla Mendes: draft the on-call rota": who does what (an action item), not a field
        facts.append(_label_fact(gold, subject, subject, label, value))
    for m in TERM_ITEM.finditer(doc.text):
        gold = doc.within(m.start(), m.end())
        context = _context(gold) if gold is not None else ""
        if gold is None or not context:
            continue
        term = unmark(m.group("term"))
        for inner in INNER_LABEL.finditer(m.group("body")):
            value = unmark(inner.group("value"))
            if short_value(value, 6) and value in gold.text and value != term:
                facts.append(_label_fact(gold, f"{term} ({context})", f"{term} in {context}", inner.group("label"),
                                         value, short=term, within=context))
    return facts


def _what(relation: str, value: str) -> str:
    """What a question asks of a relation: "what is the owner", "what are the attendees" (a plural), "what is the
    number of seats" (a plural whose value is a bare count)."""
    last = relation.split()[-1] if relation.split() else ""
    if not (len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "as"))):
        return f"what is the {relation}"
    return f"what is the number of {relation}" if value.replace(",", "").isdigit() else f"what are the {relation}"


def _label_fact(gold: Passage, subject: str, named: str, label: str, value: str, short: str = "",
                within: str = "") -> Fact:
    """A labelled value; it compares (a version, a date, a number of one unit; a plain label's dates by which is
    earlier), a term's values only within its heading and only with a unit ("Which has the larger default in
    http2.connect(), timeout or keepAlive?": two durations; two bare numbers of two options count different
    things)."""
    relation = relation_words(label)
    kind = value_kind(value)
    number = as_number(value)
    if PARTICIPLE.match(relation) and kind in ("date", "year", "version"):
        ask = ("In which version was {s} " if kind == "version" else "When was {s} ") + f"{relation}?"
        compare = f"Which was {relation} earlier, {{a}} or {{b}}?"
        larger_wins = False
    elif PARTICIPLE.match(relation.split()[-1]):
        return Fact(gold.id, "generic", subject, "entry", "", "", "", "")  # "Named: a string" asks nothing; dropped
    else:
        what = _what(relation, value)
        ask = f"{what[0].upper()}{what[1:]} of {{s}}?"
        larger_wins = kind not in ("date", "year")  # "Date: 4 March 2024": the earlier meeting wins
        word = "larger" if larger_wins else "earlier"
        compare = f"Which has the {word} {relation}, {{a}} or {{b}}?" if kind in ("number", "date", "year") else ""
        if within and kind == "number" and number and not number[1]:
            compare = ""  # terms' bare numbers count different things (compact: 3 lines, maxArrayLength: 100 items)
        if within and compare:
            compare = f"Which has the {word} {relation} in {within}, {{a}} or {{b}}?"
    return Fact(gold.id, "generic", subject, "entry", f"label:{relation}", value, ask, named,
                number=number[0] if number and compare else None, compare=compare if number else "",
                compare_key=f"label:{relation}:{number[1]}:{within}" if number else "", larger_wins=larger_wins,
                short=short, group=gold.path, extractor="label", refer=f"the {relation} of {{s}}", cue=(relation,))
