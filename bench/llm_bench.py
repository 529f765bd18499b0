"""Embedded LLM candidates side by side: speed, JSON validity with and without a grammar, and a small quality set.

    .venv/bin/python bench/llm_bench.py [--models qwen2.5-coder-0.5b,smollm2-135m,gemma3-270m] [--quick]
        [--out bench/out] [--repeats 3] [--json-prompts 50] [--quality-items 20] [--unconstrained-repairs 10]

For each model (catalogue names, loaded through `scent.llm.load_llm("llamacpp:NAME")`):

1. Speed. One deterministic ~1,500-token prompt (miniwiki passages + "summarise"), 128 generated tokens with the
   end-of-turn tokens suppressed so that every model generates exactly 128. The KV cache is cleared before each
   repeat, so the whole prompt is processed every time; the median of `--repeats` runs is reported. Prompt tok/s and
   generation tok/s come from llama.cpp's own counters (`llama_perf_context`, deltas around the call); the
   end-to-end figures divide the same token counts by the streamed time to first token, and by the time after it.
2. JSON validity. `--json-prompts` structured prompts (5 task shapes x 10 miniwiki passages, every schema bounded
   with maxLength / maxItems / enum; integer ranges are enforced as enums with scent's own `int_choice`, because
   llama-cpp-python's schema-to-grammar converter ignores minimum/maximum, and shown in the prompt as
   minimum/maximum). Each prompt gets one grammar-constrained call and one unconstrained call (`backend.call`, no
   repair, KV cache cleared before each so the latencies are comparable), both checked with
   `scent.llm.base.parse_structured`. "With repairs" adds up to 2 corrective turns: `complete()`
   (LLMConfig(json_repairs=2)) for the constrained path, re-run only where the single call failed (its first attempt
   repeats that call at temperature 0, though with the prompt prefix cached, which can change the reply), and the
   same repair messages (`repair_messages`) around unconstrained calls for the other path, on the first
   `--unconstrained-repairs` prompts only (default 10, 2 per task shape: the small models fail nearly every
   unconstrained call, and each repair turn is another max-length generation). RANGE_PROBE extra constrained calls
   use plain integer minimum/maximum instead, to show what the grammar does with them.
3. Quality. The 20 hand-written items in `bench/llm_quality.jsonl`, answered with `complete()` (constrained, with
   repairs) and scored automatically: answer-with-citation (a gold alias in the answer and the right passage number),
   multi-hop search queries (share of the 2 gold entities named in at least one of the 3 queries), and
   answerable/unanswerable detection (the flag only). The citation and answerable items are asked a second time with
   the same prompt and the schema's fields in the other order (`citation` before `answer`, `answer` before
   `answerable`): with a grammar the model commits to the fields in schema order.

`--quick` is a smoke run: 5 JSON prompts, 5 quality items (spread over the categories), 1 speed repeat. Progress goes
to stderr; a markdown section goes to stdout and, with the raw results as JSON, to `--out` (llm_bench.md,
llm_bench.json). Temperature is 0 throughout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scent.agent.prompts import int_choice
from scent.config import LLMConfig
from scent.llm import load_llm
from scent.llm.base import LLMError, Message, Request, parse_structured, repair_messages
from scent.llm.llamacpp import LlamaCppLLM

REPO = Path(__file__).resolve().parent.parent

DEFAULT_MODELS = ("qwen2.5-coder-0.5b", "smollm2-135m", "gemma3-270m")
CORPUS = REPO.parent / "shared" / "data" / "miniwiki" / "corpus.jsonl"
QUALITY_FILE = Path(__file__).resolve().parent / "llm_quality.jsonl"
SPEED_PROMPT_CHARS = 4_900  # ~1,500 prompt tokens for Qwen2.5 once the chat template is added
SPEED_GEN_TOKENS = 128
JSON_MAX_TOKENS = 200
QUALITY_MAX_TOKENS = 256
REPAIRS = 2
RANGE_PROBE = 5

JsonSchema = dict[str, Any]


LOAD_SAMPLES: list[float] = []


def log(message: str) -> None:
    LOAD_SAMPLES.append(os.getloadavg()[0])  # the bench itself accounts for ~2 on 2 cores
    print(f"[llm_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Inputs


def load_corpus(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def speed_prompt(corpus: Sequence[dict[str, str]]) -> list[Message]:
    """Mid-length DBpedia passages in file order, cut at a word boundary to SPEED_PROMPT_CHARS characters."""
    parts: list[str] = []
    size = 0
    for doc in corpus:
        if doc["source"] != "dbpedia-entity" or not 700 <= len(doc["text"]) <= 1500:
            continue
        block = f"[{len(parts) + 1}] {doc['title']}: {doc['text']}"
        parts.append(block)
        size += len(block) + 2
        if size >= SPEED_PROMPT_CHARS:
            break
    text = "\n\n".join(parts)[:SPEED_PROMPT_CHARS].rsplit(" ", 1)[0]
    return [{"role": "user", "content": f"{text}\n\nSummarise each of the passages above in detail."}]


_KINDS = ["person", "place", "organisation", "creative work", "event", "other"]
_TOPICS = ["history", "science", "arts and entertainment", "sport", "geography", "politics", "business", "religion"]


def _string(max_length: int) -> JsonSchema:
    return {"type": "string", "maxLength": max_length}


def _int(minimum: int, maximum: int) -> JsonSchema:
    """An integer range as scent writes it for llama.cpp (an enum: the grammar enforces it)."""
    return int_choice(minimum, maximum)


def _min_max(minimum: int, maximum: int) -> JsonSchema:
    """An integer range as plain JSON Schema (validated, but not enforced by llama-cpp-python's grammar)."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def _object(properties: dict[str, JsonSchema]) -> JsonSchema:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


JSON_TASKS: list[tuple[str, str, JsonSchema]] = [
    ("extract", "Extract the main subject of the passage, what kind of thing it is, and the earliest year the passage "
     "mentions (null if it mentions none).",
     _object({"subject": _string(80), "kind": {"enum": _KINDS},
              "earliest_year": {"anyOf": [_int(1, 2100), {"type": "null"}]}})),
    ("enum", "Classify the topic of the passage and say how confident you are, from 1 (guess) to 5 (certain).",
     _object({"topic": {"enum": _TOPICS}, "confidence": _int(1, 5)})),
    ("queries", "Write three different web search queries that someone could type to find this passage.",
     _object({"queries": {"type": "array", "items": _string(80), "minItems": 3, "maxItems": 3}})),
    ("integers", "Count the people named in the passage and the distinct years it mentions, count its sentences, "
     "and say whether it names a place.",
     _object({"people_named": _int(0, 20), "years_mentioned": _int(0, 20), "sentences": _int(1, 30),
              "names_a_place": {"type": "boolean"}})),
    ("nested", "Name the passage's main entity and its type, and list one or two facts about it, each with a short "
     "supporting quote from the passage.",
     _object({"entity": _object({"name": _string(60), "type": {"enum": _KINDS}}),
              "facts": {"type": "array", "minItems": 1, "maxItems": 2,
                        "items": _object({"claim": _string(80), "quote": _string(80)})}})),
]


@dataclass
class JsonPrompt:
    id: str
    task: str
    passage_id: str
    messages: list[Message]
    schema: JsonSchema


def display_schema(schema: Any) -> Any:
    """The schema as the prompt shows it: integer enums that are whole ranges written back as minimum/maximum."""
    if isinstance(schema, list):
        return [display_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    values = schema.get("enum")
    if (schema.get("type") == "integer" and isinstance(values, list) and len(values) > 2
            and values == list(range(values[0], values[-1] + 1))):
        return {"type": "integer", "minimum": values[0], "maximum": values[-1]}
    return {k: display_schema(v) for k, v in schema.items()}


def system_prompt(schema: JsonSchema) -> str:
    return ("You are a JSON API. Reply with only a JSON object that matches this JSON Schema, no prose and no code "
            f"fence:\n{json.dumps(display_schema(schema), separators=(',', ':'))}")


def json_prompts(corpus: Sequence[dict[str, str]], limit: int) -> list[JsonPrompt]:
    """len(JSON_TASKS) tasks x 10 passages (300-600 characters, evenly spaced through the corpus file); prompt i
    uses task i % 5 on passage i // 5, so any prefix of the list covers every task shape."""
    candidates = [d for d in corpus if 300 <= len(d["text"]) <= 600]
    passages = [candidates[i * len(candidates) // 10] for i in range(10)]
    prompts: list[JsonPrompt] = []
    for i in range(len(JSON_TASKS) * len(passages)):
        task, instruction, schema = JSON_TASKS[i % len(JSON_TASKS)]
        doc = passages[i // len(JSON_TASKS)]
        system = system_prompt(schema)
        user = f"Passage ({doc['title']}):\n{doc['text']}\n\nTask: {instruction}"
        prompts.append(JsonPrompt(f"json-{i:02d}", task, doc["id"],
                                  [{"role": "system", "content": system}, {"role": "user", "content": user}], schema))
    return prompts[:limit]


def range_probe(prompts: Sequence[JsonPrompt]) -> list[JsonPrompt]:
    """The first RANGE_PROBE "integers" prompts with their integer ranges as plain minimum/maximum."""
    schema = _object({"people_named": _min_max(0, 20), "years_mentioned": _min_max(0, 20),
                      "sentences": _min_max(1, 30), "names_a_place": {"type": "boolean"}})
    return [JsonPrompt(f"{p.id}-minmax", "integers-minmax", p.passage_id,
                       [{"role": "system", "content": system_prompt(schema)}, p.messages[1]], schema)
            for p in prompts if p.task == "integers"][:RANGE_PROBE]


CITATION_SCHEMA = _object({"answer": _string(100), "citation": {"enum": [1, 2, 3]}})
MULTIHOP_SCHEMA = _object({"queries": {"type": "array", "items": _string(80), "minItems": 3, "maxItems": 3}})
UNANSWERABLE_SCHEMA = _object({"answerable": {"type": "boolean"}, "answer": _string(100)})
QUALITY_SCHEMAS = {"citation": CITATION_SCHEMA, "multihop": MULTIHOP_SCHEMA, "unanswerable": UNANSWERABLE_SCHEMA}
CATEGORIES = tuple(QUALITY_SCHEMAS)
REORDERED_SCHEMAS = {"citation": _object({"citation": {"enum": [1, 2, 3]}, "answer": _string(100)}),
                     "unanswerable": _object({"answer": _string(100), "answerable": {"type": "boolean"}})}


def load_quality(path: Path, limit: int) -> list[dict[str, Any]]:
    """The items in file order, or for a limit below the total, taken round-robin over the categories."""
    with path.open(encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    if limit >= len(items):
        return items
    queues = {c: [it for it in items if it["category"] == c] for c in CATEGORIES}
    picked: list[dict[str, Any]] = []
    while len(picked) < limit and any(queues.values()):
        for category in CATEGORIES:
            if queues[category] and len(picked) < limit:
                picked.append(queues[category].pop(0))
    return picked


def _passages(item: dict[str, Any]) -> str:
    return "\n".join(f"[{i}] {text}" for i, text in enumerate(item["passages"], 1))


def quality_messages(item: dict[str, Any]) -> list[Message]:
    category = item["category"]
    if category == "citation":
        system = ('Answer the question using only the numbered passages. Reply with a JSON object with two keys: '
                  '"answer" (a short answer) and "citation" (the number, 1, 2 or 3, of the passage that supports '
                  'the answer).')
        user = f"Passages:\n{_passages(item)}\n\nQuestion: {item['question']}"
    elif category == "multihop":
        system = ("You plan web searches. The question needs two steps: first find an intermediate fact, then use it "
                  'to find the answer. Reply with a JSON object whose key "queries" holds a list of three short '
                  "search-engine queries that together would find the answer.")
        user = f"Question: {item['question']}"
    else:
        system = ("Decide whether the numbered passages contain the answer to the question. Use only the passages, "
                  'not your own knowledge. Reply with a JSON object with two keys: "answerable" (true if the passages '
                  'contain the answer, false if they do not) and "answer" (the short answer, or "unanswerable").')
        user = f"Passages:\n{_passages(item)}\n\nQuestion: {item['question']}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces, padded with spaces for whole-word matching."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " " + " ".join(re.sub(r"[^\w]+", " ", text).split()) + " "


def contains_alias(text: str, aliases: Iterable[str]) -> bool:
    haystack = normalise(text)
    return any(normalise(alias) in haystack for alias in aliases)


def score_quality(item: dict[str, Any], value: Any) -> float:
    """0..1 for a schema-valid reply `value` (None when the model produced none)."""
    if not isinstance(value, dict):
        return 0.0
    category = item["category"]
    if category == "citation":
        return float(contains_alias(str(value.get("answer", "")), item["answer_aliases"])
                     and value.get("citation") == item["citation"])
    if category == "multihop":
        queries = " | ".join(str(q) for q in value.get("queries") or [])
        return sum(contains_alias(queries, aliases) for aliases in item["entities"]) / len(item["entities"])
    return float(value.get("answerable") is item["answerable"])


# ---------------------------------------------------------------------------------------------------------------
# Measurements


def _llama(llm: LlamaCppLLM) -> Any:
    return llm.llama()


def _end_of_turn_tokens(llama: Any) -> list[int]:
    import llama_cpp

    tokens = {llama.token_eos(), llama_cpp.llama_vocab_eot(llama._model.vocab)}
    for text in ("<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<eos>"):
        ids = llama.tokenize(text.encode(), add_bos=False, special=True)
        if len(ids) == 1:
            tokens.add(ids[0])
    return sorted(t for t in tokens if t >= 0)


@dataclass
class SpeedRun:
    prompt_tokens: int
    generated_tokens: int
    ttft_s: float
    total_s: float
    prompt_tok_s: float
    gen_tok_s: float
    prompt_tok_s_e2e: float
    gen_tok_s_e2e: float


def measure_speed(llm: LlamaCppLLM, messages: list[Message], repeats: int) -> list[SpeedRun]:
    llama = _llama(llm)
    bias = {t: -1e9 for t in _end_of_turn_tokens(llama)}
    runs: list[SpeedRun] = []
    for r in range(repeats):
        llama.reset()  # next call evaluates the whole prompt (no KV prefix reuse)
        before = llm.perf()
        started = time.perf_counter()
        first: float | None = None
        for chunk in llama.create_chat_completion(messages=messages, max_tokens=SPEED_GEN_TOKENS, temperature=0.0,
                                                  stream=True, logit_bias=bias):
            if first is None and chunk["choices"][0].get("delta", {}).get("content"):
                first = time.perf_counter()
        total = time.perf_counter() - started
        p_ms, p_n, g_ms, g_n = (b - a for a, b in zip(before, llm.perf(), strict=True))
        ttft = (first or started + total) - started
        generated = int(g_n) + 1  # the first token is sampled from the prompt pass's logits
        run = SpeedRun(prompt_tokens=int(p_n), generated_tokens=generated, ttft_s=ttft, total_s=total,
                       prompt_tok_s=p_n / (p_ms / 1000) if p_ms else 0.0,
                       gen_tok_s=g_n / (g_ms / 1000) if g_ms else 0.0,
                       prompt_tok_s_e2e=p_n / ttft if ttft else 0.0,
                       gen_tok_s_e2e=(generated - 1) / (total - ttft) if total > ttft else 0.0)
        runs.append(run)
        log(f"  speed {r + 1}/{repeats}: {run.prompt_tokens} prompt tok at {run.prompt_tok_s:.0f} tok/s, "
            f"{run.generated_tokens} gen tok at {run.gen_tok_s:.1f} tok/s (ttft {ttft:.1f}s, total {total:.1f}s)")
    return runs


@dataclass
class Call:
    valid: bool
    latency_ms: float
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    text: str
    error: str = ""
    value: Any = None


def single_call(llm: LlamaCppLLM, messages: list[Message], schema: JsonSchema, *, constrained: bool,
                max_tokens: int) -> Call:
    """One raw call, no repair; validity checked here."""
    _llama(llm).reset()
    started = time.perf_counter()
    try:
        reply = llm.call(Request(messages, schema if constrained else None, max_tokens=max_tokens))
    except LLMError as e:
        return Call(False, (time.perf_counter() - started) * 1000, 0, 0, "error", "", str(e))
    call = Call(True, reply.latency_ms, reply.usage.prompt_tokens, reply.usage.completion_tokens,
                reply.finish_reason, reply.text)
    try:
        call.value = parse_structured(reply.text, schema)
    except ValueError as e:
        call.valid, call.error = False, str(e)
    return call


def repaired_constrained(llm: LlamaCppLLM, messages: list[Message], schema: JsonSchema,
                         max_tokens: int) -> tuple[bool, int, str]:
    """(valid, attempts, error) of `complete()` with REPAIRS corrective turns."""
    try:
        reply = llm.complete(messages, schema=schema, max_tokens=max_tokens, temperature=0.0)
        return True, reply.attempts, ""
    except LLMError as e:
        return False, REPAIRS + 1, str(e)


def repaired_unconstrained(llm: LlamaCppLLM, messages: list[Message], schema: JsonSchema, first: Call,
                           max_tokens: int) -> tuple[bool, int, str]:
    """The same repair loop as `complete()`, around unconstrained calls, continuing from the single call `first`."""
    text, error = first.text, first.error
    for attempt in range(2, REPAIRS + 2):
        try:
            reply = llm.call(Request(repair_messages(messages, text, error), max_tokens=max_tokens))
        except LLMError as e:
            return False, attempt, str(e)
        text = reply.text
        try:
            parse_structured(text, schema)
            return True, attempt, ""
        except ValueError as e:
            error = str(e)
    return False, REPAIRS + 1, error


def grammar_builds(schema: JsonSchema) -> bool:
    """Whether llama-cpp-python turns the schema into a grammar (it silently falls back to plain JSON otherwise)."""
    from llama_cpp import llama_grammar

    try:
        llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        return True
    except Exception:
        return False


@dataclass
class JsonResult:
    id: str
    task: str
    constrained: Call
    unconstrained: Call
    constrained_repaired: bool
    constrained_attempts: int
    unconstrained_repaired: bool | None  # None: repairs not tried for this prompt (beyond --unconstrained-repairs)
    unconstrained_attempts: int


def measure_json(llm: LlamaCppLLM, prompts: Sequence[JsonPrompt], repair_unconstrained: int) -> list[JsonResult]:
    """Every prompt: one constrained and one unconstrained call, `complete()` with repairs where the constrained call
    failed; repair turns after a failed unconstrained call only for the first `repair_unconstrained` prompts (they
    cost up to 2 more max-length generations each, and the small models fail nearly all of them)."""
    results: list[JsonResult] = []
    for n, prompt in enumerate(prompts, 1):
        con = single_call(llm, prompt.messages, prompt.schema, constrained=True, max_tokens=JSON_MAX_TOKENS)
        unc = single_call(llm, prompt.messages, prompt.schema, constrained=False, max_tokens=JSON_MAX_TOKENS)
        con_ok, con_attempts = con.valid, 1
        if not con.valid:
            con_ok, con_attempts, _ = repaired_constrained(llm, prompt.messages, prompt.schema, JSON_MAX_TOKENS)
        unc_ok: bool | None = unc.valid
        unc_attempts = 1
        if not unc.valid and n > repair_unconstrained:
            unc_ok = None
        elif not unc.valid:
            unc_ok, unc_attempts, _ = repaired_unconstrained(llm, prompt.messages, prompt.schema, unc,
                                                             JSON_MAX_TOKENS)
        results.append(JsonResult(prompt.id, prompt.task, con, unc, con_ok, con_attempts, unc_ok, unc_attempts))
        log(f"  json {n}/{len(prompts)} {prompt.task}: constrained {'ok' if con.valid else 'BAD'} "
            f"({con.latency_ms / 1000:.1f}s{'' if con.valid else ', ' + con.error[:80]})"
            f"{'' if con.valid else ' -> repaired ' + ('ok' if con_ok else 'BAD')}; "
            f"unconstrained {'ok' if unc.valid else 'BAD'} ({unc.latency_ms / 1000:.1f}s"
            f"{'' if unc.valid else ', ' + unc.error[:60]}){'' if unc.valid else ' -> repaired ' + str(unc_ok)}")
    return results


@dataclass
class QualityResult:
    id: str
    category: str
    score: float
    valid: bool
    attempts: int
    latency_ms: float
    reply: Any
    error: str = ""


def measure_quality(llm: LlamaCppLLM, items: Sequence[dict[str, Any]],
                    schemas: dict[str, JsonSchema]) -> list[QualityResult]:
    """Items whose category has a schema in `schemas`, answered under that schema."""
    results: list[QualityResult] = []
    items = [it for it in items if it["category"] in schemas]
    for n, item in enumerate(items, 1):
        schema = schemas[item["category"]]
        _llama(llm).reset()
        started = time.perf_counter()
        try:
            reply = llm.complete(quality_messages(item), schema=schema, max_tokens=QUALITY_MAX_TOKENS,
                                 temperature=0.0)
            result = QualityResult(item["id"], item["category"], score_quality(item, reply.json_value), True,
                                   reply.attempts, (time.perf_counter() - started) * 1000, reply.json_value)
        except LLMError as e:
            result = QualityResult(item["id"], item["category"], 0.0, False, REPAIRS + 1,
                                   (time.perf_counter() - started) * 1000, None, str(e))
        results.append(result)
        log(f"  quality {n}/{len(items)} {item['id']}: score {result.score:.2f} "
            f"{json.dumps(result.reply, ensure_ascii=False)[:120] if result.valid else result.error[:120]}")
    return results


# ---------------------------------------------------------------------------------------------------------------
# Summaries and report


def _median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.fmean(values) if values else 0.0


@dataclass
class ModelReport:
    name: str
    chat_format: str | None
    load_s: float
    repair_unconstrained: int
    speed: list[SpeedRun] = field(default_factory=list)
    json: list[JsonResult] = field(default_factory=list)
    quality: list[QualityResult] = field(default_factory=list)
    quality_reordered: list[QualityResult] = field(default_factory=list)
    range_probe: list[Call] = field(default_factory=list)

    def speed_summary(self) -> dict[str, float]:
        keys = ("prompt_tokens", "prompt_tok_s", "gen_tok_s", "prompt_tok_s_e2e", "gen_tok_s_e2e", "ttft_s",
                "total_s")
        return {k: _median(getattr(r, k) for r in self.speed) for k in keys}

    def json_summary(self) -> dict[str, Any]:
        n = len(self.json)

        def rate(flags: Iterable[bool]) -> float:
            return sum(flags) / n if n else 0.0

        repaired = [r for i, r in enumerate(self.json) if i < self.repair_unconstrained]
        by_task: dict[str, dict[str, float]] = {}
        for task, *_ in JSON_TASKS:
            rows = [r for r in self.json if r.task == task]
            if rows:
                by_task[task] = {"n": len(rows), "constrained": sum(r.constrained.valid for r in rows) / len(rows),
                                 "unconstrained": sum(r.unconstrained.valid for r in rows) / len(rows)}
        return {
            "n": n,
            "constrained_valid": rate(r.constrained.valid for r in self.json),
            "constrained_valid_repaired": rate(r.constrained_repaired for r in self.json),
            "unconstrained_valid": rate(r.unconstrained.valid for r in self.json),
            "unconstrained_repair_n": len(repaired),
            "unconstrained_valid_on_repair_subset": sum(r.unconstrained.valid for r in repaired) / len(repaired)
            if repaired else 0.0,
            "unconstrained_valid_repaired": sum(bool(r.unconstrained_repaired) for r in repaired) / len(repaired)
            if repaired else 0.0,
            "constrained_latency_ms": _mean(r.constrained.latency_ms for r in self.json),
            "unconstrained_latency_ms": _mean(r.unconstrained.latency_ms for r in self.json),
            "constrained_latency_ms_median": _median(r.constrained.latency_ms for r in self.json),
            "unconstrained_latency_ms_median": _median(r.unconstrained.latency_ms for r in self.json),
            "constrained_completion_tokens": _mean(r.constrained.completion_tokens for r in self.json),
            "unconstrained_completion_tokens": _mean(r.unconstrained.completion_tokens for r in self.json),
            "constrained_truncated": sum(r.constrained.finish_reason == "length" for r in self.json),
            "unconstrained_truncated": sum(r.unconstrained.finish_reason == "length" for r in self.json),
            "by_task": by_task,
            "constrained_errors": [f"{r.id}: {r.constrained.error[:160]}"
                                   for r in self.json if not r.constrained.valid],
        }

    def quality_summary(self, reordered: bool = False) -> dict[str, Any]:
        results = self.quality_reordered if reordered else self.quality
        out: dict[str, Any] = {}
        for category in CATEGORIES:
            rows = [r for r in results if r.category == category]
            if rows:
                out[category] = {"n": len(rows), "score": _mean(r.score for r in rows)}
        out["overall"] = {"n": len(results), "score": _mean(r.score for r in results)}
        out["valid_json"] = sum(r.valid for r in results)
        out["mean_latency_ms"] = _mean(r.latency_ms for r in results)
        out["median_latency_ms"] = _median(r.latency_ms for r in results)
        return out


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def markdown(reports: Sequence[ModelReport], meta: dict[str, Any]) -> str:
    names = [r.name for r in reports]
    head = "| | " + " | ".join(f"`{n}`" for n in names) + " |\n|---|" + "---|" * len(names) + "\n"

    def row(label: str, cells: Iterable[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |\n"

    speeds = [r.speed_summary() for r in reports]
    jsons = [r.json_summary() for r in reports]
    quals = [r.quality_summary() for r in reports]
    n_json = jsons[0]["n"] if jsons else 0
    out = [f"## Embedded LLMs (`bench/llm_bench.py`{' --quick' if meta['quick'] else ''})\n\n",
           f"Command: `{meta['command']}`  \n",
           f"Run {meta['started']} on {meta['machine']}; llama-cpp-python {meta['llama_cpp']}, n_ctx {meta['n_ctx']}, "
           f"{meta['threads']} threads, temperature 0; total {meta['runtime_s'] / 60:.1f} min. 1-min load average "
           f"over the run (the bench alone makes ~2): median {meta['load_avg_1min']['median']:.1f}, max "
           f"{meta['load_avg_1min']['max']:.1f}.\n\n",
           f"### Speed (median of {meta['repeats']}, ~1.5k-token prompt, {SPEED_GEN_TOKENS} generated tokens)\n\n",
           head,
           row("load (s)", (f"{r.load_s:.1f}" for r in reports)),
           row("chat format", (f"`{r.chat_format}` (forced)" if r.chat_format else "GGUF template" for r in reports)),
           row("prompt tokens", (f"{s['prompt_tokens']:.0f}" for s in speeds)),
           row("prompt processing tok/s (llama.cpp)", (f"{s['prompt_tok_s']:.0f}" for s in speeds)),
           row("generation tok/s (llama.cpp)", (f"{s['gen_tok_s']:.1f}" for s in speeds)),
           row("time to first token (s)", (f"{s['ttft_s']:.1f}" for s in speeds)),
           row("prompt tok/s end to end (tokens / TTFT)", (f"{s['prompt_tok_s_e2e']:.0f}" for s in speeds)),
           row("generation tok/s end to end (after TTFT)", (f"{s['gen_tok_s_e2e']:.1f}" for s in speeds)),
           f"\n### JSON validity ({n_json} bounded-schema prompts, max_tokens {JSON_MAX_TOKENS})\n\n",
           head,
           row("constrained, single call", (_pct(j["constrained_valid"]) for j in jsons)),
           row(f"constrained, `complete()` with {REPAIRS} repairs", (_pct(j["constrained_valid_repaired"])
                                                                    for j in jsons)),
           row("unconstrained, single call", (_pct(j["unconstrained_valid"]) for j in jsons)),
           row(f"unconstrained + {REPAIRS} repair turns, first {jsons[0]['unconstrained_repair_n'] if jsons else 0} "
               "prompts (single call on those)",
               (f"{_pct(j['unconstrained_valid_repaired'])} ({_pct(j['unconstrained_valid_on_repair_subset'])})"
                for j in jsons)),
           row(f"constrained, integer minimum/maximum instead of enums ({len(reports[0].range_probe) if reports else 0}"
               " probe prompts)",
               (f"{sum(c.valid for c in r.range_probe)}/{len(r.range_probe)}" for r in reports)),
           row("latency constrained / unconstrained, median (mean) (s)",
               (f"{j['constrained_latency_ms_median'] / 1000:.1f} / {j['unconstrained_latency_ms_median'] / 1000:.1f}"
                f" ({j['constrained_latency_ms'] / 1000:.1f} / {j['unconstrained_latency_ms'] / 1000:.1f})"
                for j in jsons)),
           row("mean completion tokens constrained / unconstrained",
               (f"{j['constrained_completion_tokens']:.0f} / {j['unconstrained_completion_tokens']:.0f}"
                for j in jsons)),
           row("cut at max_tokens constrained / unconstrained",
               (f"{j['constrained_truncated']} / {j['unconstrained_truncated']}" for j in jsons))]
    for task, *_ in JSON_TASKS:
        if any(task in j["by_task"] for j in jsons):
            out.append(row(f"  {task}: constrained / unconstrained",
                           (f"{_pct(j['by_task'][task]['constrained'])} / {_pct(j['by_task'][task]['unconstrained'])}"
                            if task in j["by_task"] else "–" for j in jsons)))
    n_quality = quals[0]["overall"]["n"] if quals else 0
    out += [f"\n### Quality ({n_quality} items of `bench/llm_quality.jsonl`, `complete()` constrained with "
            f"{REPAIRS} repairs)\n\n", head]
    labels = {"citation": "answer with citation (alias + passage number)",
              "multihop": "multi-hop queries (gold entities covered)",
              "unanswerable": "answerable / unanswerable flag"}
    for category in CATEGORIES:
        if any(category in q for q in quals):
            n = next(q[category]["n"] for q in quals if category in q)
            out.append(row(f"{labels[category]} (n={n})",
                           (f"{q[category]['score']:.2f}" if category in q else "–" for q in quals)))
    out.append(row("**overall**", (f"**{q['overall']['score']:.2f}**" for q in quals)))
    out.append(row("schema-valid replies", (f"{q['valid_json']}/{q['overall']['n']}" for q in quals)))
    out.append(row("latency per item, median (mean) (s)",
                   (f"{q['median_latency_ms'] / 1000:.1f} ({q['mean_latency_ms'] / 1000:.1f})" for q in quals)))
    reordered = [r.quality_summary(reordered=True) for r in reports]
    for category, label in (("citation", "citation, schema with `citation` before `answer`"),
                            ("unanswerable", "answerable flag, schema with `answer` before `answerable`")):
        if any(category in q for q in reordered):
            out.append(row(f"*same prompt, {label}*",
                           (f"{q[category]['score']:.2f}" if category in q else "–" for q in reordered)))
    return "".join(out)


def run_model(name: str, args: argparse.Namespace, corpus: Sequence[dict[str, str]],
              prompts: Sequence[JsonPrompt], items: Sequence[dict[str, Any]]) -> ModelReport:
    llm = load_llm(f"llamacpp:{name}", LLMConfig(n_ctx=args.n_ctx, json_repairs=REPAIRS))
    assert isinstance(llm, LlamaCppLLM)
    started = time.perf_counter()
    llama = _llama(llm)
    report = ModelReport(name, llm.chat_format, time.perf_counter() - started, args.unconstrained_repairs)
    log(f"{name}: loaded in {report.load_s:.1f}s ({llm.path.name}, chat_format={llm.chat_format})")
    llama.create_chat_completion(messages=[{"role": "user", "content": "Hello"}], max_tokens=4,
                                 temperature=0.0)  # warm-up: page the weights in
    section = time.perf_counter()
    report.speed = measure_speed(llm, speed_prompt(corpus), args.repeats)
    log(f"{name}: speed done in {time.perf_counter() - section:.0f}s")
    section = time.perf_counter()
    report.json = measure_json(llm, prompts, args.unconstrained_repairs)
    for probe in range_probe(prompts):
        report.range_probe.append(single_call(llm, probe.messages, probe.schema, constrained=True,
                                              max_tokens=JSON_MAX_TOKENS))
        log(f"  range probe {probe.id}: {report.range_probe[-1].text[:100]} "
            f"{'ok' if report.range_probe[-1].valid else 'BAD'}")
    log(f"{name}: json done in {time.perf_counter() - section:.0f}s")
    section = time.perf_counter()
    report.quality = measure_quality(llm, items, QUALITY_SCHEMAS)
    report.quality_reordered = measure_quality(llm, items, REORDERED_SCHEMAS)
    log(f"{name}: quality done in {time.perf_counter() - section:.0f}s")
    return report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated catalogue names")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 JSON prompts, 5 quality items, 1 repeat")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="directory for llm_bench.{json,md}")
    parser.add_argument("--repeats", type=int, default=None, help="speed repeats (default 3, --quick 1)")
    parser.add_argument("--json-prompts", type=int, default=None, help="structured prompts (default 50, --quick 5)")
    parser.add_argument("--quality-items", type=int, default=None, help="quality items (default 20, --quick 5)")
    parser.add_argument("--unconstrained-repairs", type=int, default=10,
                        help="repair turns after failed unconstrained calls only for the first N prompts (default 10)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.json_prompts = args.json_prompts or (5 if args.quick else 50)
    args.quality_items = args.quality_items or (5 if args.quick else 20)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    import llama_cpp

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    corpus = load_corpus(args.corpus)
    prompts = json_prompts(corpus, args.json_prompts)
    items = load_quality(QUALITY_FILE, args.quality_items)
    no_grammar = [p.id for p in prompts if not grammar_builds(p.schema)]
    if no_grammar:
        log(f"warning: llama-cpp-python cannot build a grammar for {no_grammar} (falls back to plain JSON)")
    log(f"models {models}: {len(prompts)} JSON prompts, {len(items)} quality items, {args.repeats} speed repeats")
    argv_text = " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    meta: dict[str, Any] = {
        "command": f".venv/bin/python bench/llm_bench.py {argv_text}".strip(),
        "started": started_at,
        "machine": f"{os.cpu_count()} cores {platform.machine()}, no GPU",
        "llama_cpp": llama_cpp.__version__, "n_ctx": args.n_ctx, "threads": os.cpu_count(),
        "quick": args.quick, "repeats": args.repeats, "models": models,
        "grammar_fallback_prompts": no_grammar,
    }
    reports: list[ModelReport] = []
    text = ""
    for name in models:
        reports.append(run_model(name, args, corpus, prompts, items))
        meta["runtime_s"] = time.perf_counter() - began
        meta["load_avg_1min"] = {"median": _median(LOAD_SAMPLES), "max": max(LOAD_SAMPLES),
                                 "samples_over_3": sum(x > 3 for x in LOAD_SAMPLES), "samples": len(LOAD_SAMPLES)}
        meta["complete"] = len(reports) == len(models)
        text = write_results(args.out, reports, meta)  # after every model, so a killed run keeps what it measured
    print(text)
    log(f"done in {meta['runtime_s'] / 60:.1f} min; wrote {args.out / 'llm_bench.json'} and llm_bench.md")
    return 0


def write_results(out: Path, reports: Sequence[ModelReport], meta: dict[str, Any]) -> str:
    """Write llm_bench.json and llm_bench.md under `out`; returns the markdown."""
    text = markdown(reports, meta)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "models": {
        r.name: {"load_s": r.load_s, "chat_format": r.chat_format,
                 "speed": {"median": r.speed_summary(), "runs": [asdict(s) for s in r.speed]},
                 "json": {"summary": r.json_summary(), "results": [asdict(j) for j in r.json]},
                 "range_probe": [asdict(c) for c in r.range_probe],
                 "quality": {"summary": r.quality_summary(), "results": [asdict(q) for q in r.quality],
                             "reordered_summary": r.quality_summary(reordered=True),
                             "reordered_results": [asdict(q) for q in r.quality_reordered]}}
        for r in reports}}
    (out / "llm_bench.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n",
                                        encoding="utf-8")
    (out / "llm_bench.md").write_text(text, encoding="utf-8")
    return text

if __name__ == "__main__":
    sys.exit(main())
