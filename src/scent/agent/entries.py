"""Reference entries: the part of a passage that is about the name the question asks about.

Reference documentation is a list of entries: a head line that names one thing — "cpu_tuple_cost (floating
point)", ".. method:: str.split(sep=None, maxsplit=-1)", "class queue.Queue(maxsize=0)" — then the paragraphs that
describe it, up to the next head. One passage holds several, and a 0.5B writer given the whole passage answers
from a neighbour as readily as from the entry asked about: "What is the default value of cpu_tuple_cost?" was
answered "0.005", the default of cpu_index_tuple_cost two lines below. So:

- `scope`: when the question names entries a passage holds, the writer reads those entries, not the passage;
- `decide_default`: a parameter's default that the named entry's own signature declares ("maxsplit=-1") is read
  by the program, as a comparison is (`scent.agent.compare`): the 0.5B writer answered "Not found" to the
  default of `maxsplit` with "str.split(sep=None, maxsplit=-1)" in front of it.

Nothing here is specific to one manual: a head is any short line that is a code-like name with an optional
parenthesised part (a signature or a type), alone on its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.agent.compare import Decision
from scent.text import content_words, dotted_names, mentions, sentence_spans
from scent.types import Passage

# A head line: [".. method:: "] ["class "] NAME [(…)] [-> …]; NAME a dotted/snake identifier. Checked on one
# stripped line at a time, so a sentence (spaces between words outside the parentheses) never matches.
_HEAD = re.compile(r"(?P<kind>(?:\.\.\s+[\w:-]+::\s+)?(?:(?:class|exception|async|def|function|method)\s+)?)"
                   r"(?P<name>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*(?P<args>\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])?"
                   r"\s*(?:(?:->|→)\s*[\w.\[\], |]+)?")
_MAX_HEAD = 160
# "name=value" inside a signature; the value up to the next top-level comma or the closing parenthesis.
_PARAM = re.compile(r"(?:^|[(,\s*])(?P<param>[A-Za-z_]\w*)\s*=\s*(?P<value>[^,()\[\]]+|\([^()]*\)|\[[^\]]*\])")
_DEFAULT = re.compile(r"\bdefaults?\b", re.I)
# A question's relation words ("the default value of the maxsplit argument"), never the entry it names by the last
# part of a dotted name ("Enum.value", "Option.default").
_RELATION_WORDS = frozenset(("default", "defaults", "value", "values", "argument", "arguments", "parameter",
                             "parameters", "option", "options", "setting", "settings", "type", "module", "function",
                             "class", "method", "attribute"))


@dataclass(frozen=True)
class Head:
    """An entry's head line: the name it defines, its parenthesised part ("" when none), and where the entry's
    text starts and ends in the passage."""

    name: str
    args: str
    start: int
    end: int

    @property
    def last(self) -> str:
        """The name's last part, lower-cased: "split" for "str.split"."""
        return self.name.lower().rsplit(".", 1)[-1]


def heads(text: str) -> list[Head]:
    """The entry heads of a passage, in order, each entry running to the next head or the passage's end. A line
    counts as a head when it is short, is a name alone with an optional parenthesised part, and the name is
    code-like (a dot or an underscore), carries that part or follows a kind ("exception UnboundLocalError",
    ".. data:: sys.maxsize") — "Tip" or "Examples" alone are not heads."""
    found: list[tuple[str, str, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        m = _HEAD.fullmatch(stripped) if 0 < len(stripped) <= _MAX_HEAD else None
        if m is not None and (m["kind"] or "." in m["name"] or "_" in m["name"] or m["args"]):
            found.append((m["name"], m["args"] or "", pos + line.index(stripped)))
        pos += len(line)
    return [Head(name, args, start, found[i + 1][2] if i + 1 < len(found) else len(text))
            for i, (name, args, start) in enumerate(found)]


def asked_names(question: str) -> set[str]:
    """What the question may name, lower-cased: its content words and its dotted names ("queue.Queue")."""
    return {w.lower() for w in dotted_names(question)} | {w.replace("-", "_") for w in content_words(question)}


def names_entry(asked: set[str], head: Head) -> bool:
    """The question names this entry: its name, or its name's last part ("split" for "str.split"), or a dotted
    name the question gives that ends with it ("queue.Queue" for the head "Queue")."""
    name = head.name.lower()
    return name in asked or (head.last in asked and head.last not in _RELATION_WORDS) or any(
        a.endswith("." + name) for a in asked)


def named(question: str, text: str) -> list[Head]:
    """The entries of `text` that the question names."""
    asked = asked_names(question)
    return [h for h in heads(text) if names_entry(asked, h)]


def scope(question: str, text: str) -> str:
    """The entries of `text` that the question names, joined in passage order; the whole text when it names none
    (or when the named entries are all of it)."""
    entries = named(question, text)
    if not entries:
        return text
    return "\n\n".join(text[h.start : h.end].strip() for h in entries)


def signature_defaults(head: Head) -> dict[str, str]:
    """The defaults a head's signature declares: "(sep=None, maxsplit=-1)" → {"sep": "None", "maxsplit": "-1"}."""
    inner = head.args[1:-1] if head.args[:1] in "([" else ""
    return {m["param"].lower(): m["value"].strip() for m in _PARAM.finditer(inner)}


_VALUE = re.compile(r"(?<![\w.])(?:-?\d+(?:\.\d+)?|None|True|False|'[^']*'|\"[^\"]*\")(?![\w.])")


def stated_defaults(entry: str, param: str) -> set[str]:
    """The values an entry's sentences give when they speak of `param` and its default: "(from *start* which
    defaults to 0)" → {"0"}; "The default port number is 21" → {"21"}. The head line itself is not read."""
    body = entry.split("\n", 1)[1] if "\n" in entry else ""
    out: set[str] = set()
    for start, end in sentence_spans(body, 0, len(body)):
        sentence = body[start:end]
        if _DEFAULT.search(sentence) and mentions(sentence, param):
            out |= set(_VALUE.findall(sentence))
    return out


def decide_default(question: str, passages: list[Passage]) -> Decision | None:
    """A question about a parameter's default ("What is the default value of the maxsplit argument of
    str.split?"), answered from the signature of the entry it names: the value when every named entry that
    declares that parameter agrees on it; None when the question does not ask for a default, names no such entry,
    the entries disagree, or an entry's text states the parameter's default as another value — a signature's 0 or
    None is often a placeholder the text explains ("port=0 … The default port number is 21"): the writer reads
    that entry."""
    if not _DEFAULT.search(question):
        return None
    asked = asked_names(question)
    values: dict[str, list[str]] = {}
    for p in passages:
        for head in heads(p.text):
            if not names_entry(asked, head):
                continue
            for param, value in signature_defaults(head).items():
                if param not in asked or param == head.last:
                    continue
                stated = stated_defaults(p.text[head.start : head.end], param)
                if stated and value not in stated:
                    return None  # the text says otherwise: the writer reads the entry
                values.setdefault(value, []).append(p.id)
    if len(values) != 1:
        return None
    (value, ids), = values.items()
    return Decision(value, list(dict.fromkeys(ids)), [value])
