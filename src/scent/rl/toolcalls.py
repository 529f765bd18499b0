"""Tool calls read from what a model writes, in the formats small models actually use:

- Qwen/Hermes tags: `<tool_call>{"name": "search", "arguments": {"query": "…"}}</tool_call>` (one or several; the
  last may be cut off by the end of generation);
- JSON in a fenced block: ```` ```json {"name": …, "arguments": …} ``` ````;
- bare JSON objects in the text (one or several), or a JSON list of calls.

A call is an object with a string `name` and `arguments` (or `parameters`, Llama's word) that is an object or a
JSON string of one; `{"function": {"name": …, "arguments": …}}` (OpenAI's shape) is read too. Python-style dicts
(single quotes, True/None) are read as a fallback. Tags win: when a reply has `<tool_call>` tags, only they are
calls. A tag whose body cannot be read, or an object whose `arguments` is not an object, is a *malformed* call:
it is kept, with the reason, so the environment can answer it by an error observation and count it (format
reward) instead of treating the reply as a final answer.

Why not transformers' response parser (`tokenizer.parse_response` with a `response_template`, which TRL uses):
it reads the one format a chat template declares (Qwen's tags), so the 0.5B model's fenced and bare JSON calls are
plain text to it. `install(tokenizer)` puts this parser behind that same method, so TRL's GRPOTrainer reads the
calls exactly as `SearchEnv.step_text` does.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MALFORMED_KEY = "_malformed"  # a TRL call's argument carrying why the call could not be read (see install)
_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call|python)?[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
_NAME = re.compile(r"""["']name["']\s*:\s*["']([A-Za-z_]\w*)["']""")
_END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>")


@dataclass(slots=True)
class ParsedCall:
    """One call: the tool's name and arguments; `error` says why it could not be read (then it is malformed and
    `name` is the name it seems to have, or "")."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    raw: str = ""

    @property
    def malformed(self) -> bool:
        return bool(self.error)


@dataclass(slots=True)
class Reply:
    """A model's reply read: its text outside the calls, the calls in order, and the format they came in
    (`tags`, `fenced`, `bare`, or `none`)."""

    content: str
    calls: list[ParsedCall] = field(default_factory=list)
    format: str = "none"


def parse(text: str) -> Reply:
    """The calls in a reply and the text around them (see the module's docstring for the formats)."""
    text = _strip_end(text)
    if "<tool_call>" in text:
        calls = [c for m in _TAG.finditer(text) for c in _read_body(m.group(1), tagged=True)]
        return Reply(_TAG.sub(" ", text).strip(), calls, "tags")
    fenced: list[ParsedCall] = []
    content = text
    for m in _FENCE.finditer(text):
        found = _read_body(m.group(1), tagged=False)
        if found:
            fenced += found
            content = content.replace(m.group(0), " ")
    if fenced:
        return Reply(content.strip(), fenced, "fenced")
    calls, spans = _bare_calls(text)
    if calls:
        for start, end in reversed(spans):
            text = text[:start] + " " + text[end:]
        return Reply(text.strip(), calls, "bare")
    return Reply(text.strip())


def _strip_end(text: str) -> str:
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for marker in _END_MARKERS:
            if text.endswith(marker):
                text, changed = text[: -len(marker)].rstrip(), True
    return text


def _read_body(body: str, *, tagged: bool) -> list[ParsedCall]:
    """The calls in a tag's or a fence's body. A tag always holds a call (malformed if unreadable); a fence holds
    calls only if its JSON looks like calls (else it is just code in the answer)."""
    body = body.strip()
    fence = _FENCE.fullmatch(body)
    if fence:  # a fence inside the tag
        body = fence.group(1).strip()
    value, problem = _load(body)
    if problem:
        if not tagged:
            return []
        name = _NAME.search(body)
        return [ParsedCall(name.group(1) if name else "", {}, f"the call is not valid JSON ({problem})", body)]
    items = value if isinstance(value, list) else [value]
    if not tagged and not all(_looks_like_call(item) for item in items):
        return []
    return [_call(item, json.dumps(item, ensure_ascii=False, default=str)) for item in items]


def _load(body: str) -> tuple[Any, str]:
    """A JSON value (or a Python literal: single quotes, True/None), or the JSON error."""
    try:
        return json.loads(body), ""
    except json.JSONDecodeError as e:
        problem = e.msg
    try:
        return ast.literal_eval(body), ""
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None, problem


def _looks_like_call(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("function"), dict):
        item = item["function"]
    return isinstance(item.get("name"), str) and ("arguments" in item or "parameters" in item)


def _call(item: Any, raw: str) -> ParsedCall:
    """One call object read, or a malformed call naming what is wrong."""
    if not isinstance(item, dict):
        return ParsedCall("", {}, "a tool call must be a JSON object with name and arguments", raw)
    if isinstance(item.get("function"), dict):
        item = item["function"]
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        return ParsedCall("", {}, "the call has no tool name (\"name\": \"…\")", raw)
    arguments = item.get("arguments", item.get("parameters", {}))
    if "arguments" not in item and _is_schema(arguments):  # the prompt's tool list echoed, not a call
        return ParsedCall(name.strip(), {}, "that is the tool's schema, not a call: give its arguments "
                          '({"name": …, "arguments": {…}})', raw)
    if isinstance(arguments, str):  # OpenAI's shape: the arguments as a JSON string
        decoded, problem = _load(arguments) if arguments.strip() else ({}, "")
        if problem or not isinstance(decoded, dict):
            return ParsedCall(name, {}, "the arguments must be a JSON object", raw)
        arguments = decoded
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return ParsedCall(name, {}, "the arguments must be a JSON object", raw)
    return ParsedCall(name.strip(), arguments, "", raw)


def _is_schema(value: Any) -> bool:
    """A JSON schema of parameters (`{"type": "object", "properties": {…}}`), as the prompt lists each tool; a
    Llama-style call's "parameters" are the argument values instead."""
    return isinstance(value, dict) and value.get("type") == "object" and isinstance(value.get("properties"), dict)


def _bare_calls(text: str) -> tuple[list[ParsedCall], list[tuple[int, int]]]:
    """Call-shaped JSON objects (or lists of them) written in the text, and their spans."""
    decoder = json.JSONDecoder()
    calls: list[ParsedCall] = []
    spans: list[tuple[int, int]] = []
    at = 0
    while True:
        starts = [i for i in (text.find("{", at), text.find("[", at)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            at = start + 1
            continue
        items = value if isinstance(value, list) else [value]
        if items and all(_looks_like_call(item) for item in items):
            calls += [_call(item, text[start:end]) for item in items]
            spans.append((start, end))
        at = end
    return calls, spans


def trl_message(reply: Reply, tool_names: Iterable[str]) -> dict[str, Any]:
    """The reply as the assistant message TRL's GRPOTrainer executes: every call, a malformed call of a known
    tool with the reason in `MALFORMED_KEY` (the environment answers it with an error observation); a malformed
    call without a known name keeps its name (or `invalid_tool_call`) and TRL answers that no such tool exists."""
    names = set(tool_names)
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    calls = []
    for call in reply.calls:
        arguments = {MALFORMED_KEY: call.error} if call.malformed and call.name in names else call.arguments
        calls.append({"type": "function", "function": {"name": call.name or "invalid_tool_call",
                                                       "arguments": arguments}})
    if calls:
        message["tool_calls"] = calls
    return message


def install(tokenizer: Any) -> Any:
    """Make `tokenizer.parse_response` (what TRL's GRPOTrainer calls on each generated turn) read tool calls with
    `parse`, in every format above. A `response_template` is set (TRL parses only when one is) but unused."""

    def parse_response(response: Any, schema: Any = None, *, prefix: Any = None, tools: Any = None) -> Any:
        if isinstance(response, list) and response and not isinstance(response[0], (int, str)):
            return [parse_response(r, schema, prefix=prefix, tools=tools) for r in response]
        text = response if isinstance(response, str) else tokenizer.decode(response, skip_special_tokens=False)
        for token in {tokenizer.pad_token, tokenizer.eos_token} - {None}:
            text = text.replace(token, "")
        names = [t.__name__ if callable(t) else t.get("function", t).get("name", "") for t in tools or []]
        return trl_message(parse(text), names)

    if getattr(tokenizer, "response_template", None) is None:
        tokenizer.response_template = {"scent": "scent.rl.toolcalls"}
    tokenizer.parse_response = parse_response
    return tokenizer
