"""The agent's tools: typed functions over an index whose docstrings are their schemas.

This is the one declaration of the tool surface: the agent loop calls these functions, the RL environment and
its TRL adapter (`scent.rl`) expose them under the same names with the same parameters and docstrings, and the
server's corpus tools (`scent.serve.corpus`) take the description and limits of every parameter they share with
them (`described_by`). A tool never raises into the loop: a bad call (unknown tool, wrong arguments, missing
passage) comes back as an error observation the model can read.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scent.protocols import Index

MAX_WINDOW = 3  # passages read on each side of one: open_document, and the server's read
TOOL_NAMES = ("search", "lookup", "open_document", "find_in_document")

_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_ARG_LINE = re.compile(r"^\s{4}(\w+):\s*(.+)$")
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(slots=True)
class Observation:
    """What a tool call returns to the model: text to read, and the passage ids it showed."""

    tool: str
    text: str
    ids: list[str] = field(default_factory=list)
    error: bool = False


def arg_descriptions(fn: Callable[..., Any]) -> dict[str, str]:
    """The entries of a docstring's `Args:` section: parameter name -> description."""
    return {m.group(1): m.group(2).strip() for m in map(_ARG_LINE.match, (inspect.getdoc(fn) or "").splitlines())
            if m}


def described_by(tool: Callable[..., Any]) -> Callable[[_F], _F]:
    """A decorator: the function's `Args:` section gets `tool`'s entry for every parameter the two share and the
    function does not describe itself, in the function's parameter order, so that a parameter meaning the same
    thing on two surfaces (the agent's tools, the server's) is declared once, here."""

    def decorate(fn: _F) -> _F:
        own, theirs = arg_descriptions(fn), arg_descriptions(tool)
        names = [n for n in inspect.signature(fn).parameters if n != "self"]
        missing = [n for n in names if n not in own and n not in theirs]
        if missing:
            raise TypeError(f"{fn.__qualname__}: no description of {missing}")
        summary = (inspect.getdoc(fn) or "").split("\n\nArgs:", 1)[0]
        fn.__doc__ = "\n".join([summary, "", "Args:", *(f"    {n}: {own.get(n) or theirs[n]}" for n in names)])
        return fn

    return decorate


def tool_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """OpenAI function schema from a function's signature and its docstring (summary + an `Args:` section)."""
    doc = inspect.getdoc(fn) or ""
    summary = doc.split("\n\n", 1)[0].replace("\n", " ")
    described = arg_descriptions(fn)
    hints = typing.get_type_hints(fn)
    properties: dict[str, Any] = {}
    required = []
    for name, param in inspect.signature(fn).parameters.items():
        if name == "self":
            continue
        prop: dict[str, Any] = {"type": _JSON_TYPES[hints[name]], "description": described.get(name, "")}
        if param.default is inspect.Parameter.empty:
            required.append(name)
        else:
            prop["default"] = param.default
        properties[name] = prop
    return {"type": "function", "function": {"name": fn.__name__, "description": summary, "parameters": {
        "type": "object", "properties": properties, "required": required, "additionalProperties": False}}}


class Tools:
    """search / open_document / find_in_document over one index."""

    def __init__(self, index: Index, max_k: int = 20) -> None:
        self.index = index
        self.max_k = max_k

    def search(self, query: str, k: int = 5) -> Observation:
        """Search the documents for passages matching a query (keywords, and by meaning when the index has
        vectors; "quoted phrases" match exactly).

        Args:
            query: keywords, names or a quoted phrase to look for
            k: how many passages to return (1-20)
        """
        hits = self.index.search(query, max(1, min(k, self.max_k)))
        if not hits:
            return Observation("search", f"No passage matches {query!r}.")
        return Observation("search", _listing(hits), [h.id for h in hits])

    def lookup(self, phrase: str, k: int = 5) -> Observation:
        """Find passages that contain an exact phrase or name, by words only (no search by meaning): an empty
        result means the documents never mention it.

        Args:
            phrase: the exact phrase, name or identifier to look up
            k: how many passages to return (1-20)
        """
        phrase = " ".join(phrase.replace('"', " ").split())
        if not phrase:
            return Observation("lookup", "The phrase is empty.", error=True)
        hits = self.index.search(f'"{phrase}"', max(1, min(k, self.max_k)), retriever="bm25")
        if not hits:
            return Observation("lookup", f"No passage contains {phrase!r}.")
        return Observation("lookup", _listing(hits), [h.id for h in hits])

    def open_document(self, passage_id: str, window: int = 1) -> Observation:
        """Read a passage in full with its neighbouring passages from the same document.

        Args:
            passage_id: the id of a passage shown by search
            window: how many passages to include before and after it (0-3)
        """
        window = min(max(window, 0), MAX_WINDOW)
        around = self.index.neighbours(passage_id, window, window)
        if not any(p.id == passage_id for p in around):
            return Observation("open_document", f"No passage with id {passage_id!r}.", error=True)
        first = around[0]
        head = f"{first.title} ({first.path})"
        body = "\n\n".join(f"[{p.id}]{f' (page {p.page})' if p.page else ''} {p.text}" for p in around)
        return Observation("open_document", f"{head}\n\n{body}", [p.id for p in around])

    def find_in_document(self, passage_id: str, pattern: str) -> Observation:
        """Find an exact phrase or term (case-insensitive) in the document that holds a passage.

        Args:
            passage_id: the id of any passage of the document
            pattern: the exact phrase or term to find
        """
        if not pattern.strip():
            return Observation("find_in_document", "The pattern is empty.", error=True)
        document = self.index.neighbours(passage_id, 1_000_000, 1_000_000)
        if not document:
            return Observation("find_in_document", f"No passage with id {passage_id!r}.", error=True)
        needle = pattern.strip().lower()
        found = [p for p in document if needle in p.text.lower()]
        if not found:
            return Observation("find_in_document", f"{pattern!r} does not occur in {document[0].path}.")
        lines = [f"[{p.id}] …{_around(p.text, needle, 200)}…" for p in found[:10]]
        more = f"\n({len(found) - 10} more passages)" if len(found) > 10 else ""
        return Observation("find_in_document", "\n".join(lines) + more, [p.id for p in found[:10]])

    def functions(self) -> dict[str, Callable[..., Observation]]:
        return {name: getattr(self, name) for name in TOOL_NAMES}

    def schemas(self) -> list[dict[str, Any]]:
        return [tool_schema(fn) for fn in self.functions().values()]

    def call(self, name: str, arguments: dict[str, Any]) -> Observation:
        """Run a tool by name; any mistake is returned as an error observation, never raised."""
        fn = self.functions().get(name)
        if fn is None:
            return Observation(name, f"Unknown tool {name!r}; tools are {', '.join(self.functions())}.", error=True)
        params = tool_schema(fn)["function"]["parameters"]
        unknown = set(arguments) - set(params["properties"])
        missing = set(params["required"]) - set(arguments)
        if unknown or missing:
            problem = "; ".join([f"unknown argument(s) {sorted(unknown)}"] * bool(unknown)
                                + [f"missing argument(s) {sorted(missing)}"] * bool(missing))
            return Observation(name, f"Bad call to {name}: {problem}.", error=True)
        try:
            converted = {k: _convert(v, params["properties"][k]["type"]) for k, v in arguments.items()}
        except (TypeError, ValueError) as e:
            return Observation(name, f"Bad call to {name}: {e}.", error=True)
        return fn(**converted)


def _convert(value: Any, json_type: str) -> Any:
    if json_type == "integer":
        if isinstance(value, bool):
            raise TypeError("expected an integer")
        return int(value)
    if json_type == "string":
        if not isinstance(value, (str, int, float)):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return str(value)
    return value


def _listing(hits: list[Any]) -> str:
    return "\n\n".join(f"[{h.id}] {h.title}{' › ' + ' › '.join(h.headings) if h.headings else ''} ({h.path})\n"
                       f"{_clip(h.text, 400)}" for h in hits)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _around(text: str, needle: str, width: int) -> str:
    at = text.lower().find(needle)
    start = max(0, at - width // 2)
    return text[start : at + len(needle) + width // 2]
