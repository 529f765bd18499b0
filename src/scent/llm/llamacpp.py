"""The embedded default: a GGUF chat model run in-process by llama.cpp (`llamacpp:default`, `llamacpp:NAME`,
`llamacpp:/path/to/model.gguf`).

Structured output is grammar-constrained: the JSON schema becomes a llama.cpp grammar, so even a 0.5B model
can only emit JSON of that shape. Tools are offered the same way: the reply is constrained to one call of one of
the given tools (`{"name": …, "arguments": {…}}`), which makes tool use reliable on small models.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scent.config import LLMConfig
from scent.llm.base import (
    ChatBackend,
    Completion,
    ContextOverflowError,
    LLMError,
    Message,
    ScoringUnsupportedError,
    TokenUsage,
    ToolCall,
    split_reasoning,
)
from scent.llm.stop import Stopped, stop_check

_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


@functools.lru_cache(maxsize=4)
def _load(path: str, n_ctx: int, n_threads: int, chat_format: str | None) -> tuple[Any, threading.Lock]:
    """Each model file is loaded once per process and shared (with a lock: a llama.cpp context is not
    re-entrant)."""
    import atexit

    from llama_cpp import Llama

    llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                  chat_format=chat_format, verbose=False)
    atexit.register(llama.close)  # freed before interpreter teardown, or llama.cpp's finalizer errors at exit
    return llama, threading.Lock()


def resolve_model_path(name: str) -> tuple[Path, str | None]:
    """(GGUF path, chat format to force or None) for `default`, a catalog name, or a path to a .gguf file."""
    if name.endswith(".gguf") or os.sep in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise LLMError(f"llamacpp: no GGUF file at {path}")
        return path, None
    from scent.llm import catalog

    try:
        entry = catalog.get_entry(catalog.DEFAULT_MODEL if name == "default" else name)
        return catalog.resolve_gguf(entry.name), entry.chat_format
    except (catalog.UnknownModelError, catalog.ModelNotInstalledError, catalog.ModelChecksumError) as e:
        raise LLMError(f"llamacpp:{name}: {e}") from e


def tool_choice_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A schema whose instances are exactly one call of one of `tools` (OpenAI tool format)."""
    options = []
    for tool in tools:
        fn = tool.get("function", tool)
        options.append({"type": "object", "properties": {
            "name": {"const": fn["name"]}, "arguments": fn.get("parameters") or {"type": "object"}},
            "required": ["name", "arguments"]})
    return {"anyOf": options} if len(options) > 1 else options[0]


def _tools_prompt(tools: list[dict[str, Any]]) -> str:
    import json

    lines = ["You can call one of these tools. Reply with a JSON object {\"name\": …, \"arguments\": {…}}."]
    for tool in tools:
        fn = tool.get("function", tool)
        lines.append(f"- {fn['name']}: {fn.get('description', '')} parameters: "
                     f"{json.dumps(fn.get('parameters') or {}, separators=(',', ':'))}")
    return "\n".join(lines)


class LlamaCppLLM(ChatBackend):
    def __init__(self, model: str = "default", config: LLMConfig | None = None) -> None:
        self.config = config or LLMConfig()
        self.path, self.chat_format = resolve_model_path(model)
        self.spec = f"llamacpp:{model}"
        self.json_repairs = self.config.json_repairs
        self.n_threads = self.config.n_threads or os.cpu_count() or 1

    def _model(self) -> tuple[Any, threading.Lock]:
        return _load(str(self.path), self.config.n_ctx, self.n_threads, self.chat_format)

    def llama(self) -> Any:
        """The loaded `llama_cpp.Llama` (shared by every backend of this model): for benchmarks and tools."""
        return self._model()[0]

    def perf(self) -> tuple[float, int, float, int]:
        """llama.cpp's cumulative counters: (prompt ms, prompt tokens, generation ms, generated tokens)."""
        import llama_cpp

        p = llama_cpp.llama_perf_context(self.llama()._ctx.ctx)
        return p.t_p_eval_ms, p.n_p_eval, p.t_eval_ms, p.n_eval

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        llama, lock = self._model()
        if tools:
            schema = tool_choice_schema(tools)
            messages = [{"role": "system", "content": _tools_prompt(tools)}, *messages]
        kwargs: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                                  "stop": stop or None, "stream": on_token is not None}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        started = time.perf_counter()
        check = stop_check()
        with lock, _abortable(llama, check):
            try:
                result = llama.create_chat_completion(**kwargs)
                if on_token is not None:
                    result = _collect(result, on_token, llama, messages)
            except RuntimeError:
                if check is None or not check():
                    raise
                llama.reset()  # the aborted decode left the context's cache part-written: start afresh next time
                raise Stopped(f"{self.spec}: the run was cancelled") from None
            except ValueError as e:
                overflow = _OVERFLOW.search(str(e))
                if overflow:
                    raise ContextOverflowError(self.spec, int(overflow.group(1)), max_tokens,
                                               int(overflow.group(2))) from e
                raise LLMError(f"{self.spec}: {e}") from e
        choice = result["choices"][0]
        text, reasoning = split_reasoning(choice["message"].get("content") or "")
        usage = result.get("usage") or {}
        completion = Completion(model=f"{self.spec} ({self.path.name})", text=text, reasoning=reasoning,
                                usage=TokenUsage(prompt_tokens=usage.get("prompt_tokens", 0),
                                                 completion_tokens=usage.get("completion_tokens", 0)),
                                latency_ms=(time.perf_counter() - started) * 1000,
                                finish_reason=choice.get("finish_reason") or "")
        if tools:
            completion.tool_calls = _parse_tool_call(text)
        return completion


    def score(self, messages: list[Message], replies: Sequence[str]) -> list[float]:
        """Teacher-forced log-probability of each reply (then end-of-turn) after `messages`, rendered with the
        model's own chat template. The prompt is evaluated once, and not at all when llama.cpp's cache already
        holds it (the writer's last call was the same prompt); each reply costs one decode per token."""
        llama, lock = self._model()
        prompt = _chat_prompt(llama, messages)
        with lock:
            prefix = llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            if len(prefix) + 64 > llama.n_ctx():
                raise ContextOverflowError(self.spec, len(prefix), 64, llama.n_ctx())
            end = llama.token_eos()
            first = _eval_prefix(llama, prefix)
            scores = []
            for reply in replies:
                tokens = [*llama.tokenize(reply.encode("utf-8"), add_bos=False, special=False), end]
                scores.append(_continuation_logprob(llama, len(prefix), first, tokens))
            llama._requires_eval = True  # the live logits are a reply's, not the prompt's: a next call re-decodes
            return scores


def _chat_prompt(llama: Any, messages: list[Message]) -> str:
    """The prompt text llama.cpp builds for a chat call (the GGUF's template, generation prompt added)."""
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ScoringUnsupportedError("llamacpp: the model file has no chat template to score replies with")
    text = llama._model.token_get_text
    eos, bos = llama.token_eos(), llama.token_bos()
    formatter = _formatter(template, text(eos) if eos != -1 else "", text(bos) if bos != -1 else "")
    return str(formatter(messages=messages).prompt)


@functools.lru_cache(maxsize=4)
def _formatter(template: str, eos: str, bos: str) -> Any:
    """The model's chat template, compiled once per model (jinja compiles it on every construction)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def _last_logprobs(llama: Any) -> Any:
    import numpy as np

    logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)
    top = logits.max()
    return logits - top - np.log(np.exp(logits - top).sum())


def _eval_prefix(llama: Any, prefix: list[int]) -> Any:
    """Bring the context to exactly `prefix` (reusing the cached common start) and return the next token's
    log-probabilities."""
    cached = llama.input_ids[: llama.n_tokens].tolist()
    common = 0
    while common < min(len(cached), len(prefix)) and cached[common] == prefix[common]:
        common += 1
    llama.n_tokens = min(common, len(prefix) - 1)  # at least one token evaluated, for its logits
    llama.eval(prefix[llama.n_tokens :])
    return _last_logprobs(llama).copy()


def _continuation_logprob(llama: Any, prefix_len: int, first: Any, tokens: list[int]) -> float:
    llama.n_tokens = prefix_len  # drop the previous reply (eval clears the cache past n_tokens)
    total, logprobs = 0.0, first
    for i, token in enumerate(tokens):
        total += float(logprobs[token])
        if i + 1 < len(tokens):
            llama.eval([token])
            logprobs = _last_logprobs(llama)
    llama.n_tokens = prefix_len
    return round(total, 4)


@contextmanager
def _abortable(llama: Any, check: Callable[[], bool] | None) -> Iterator[None]:
    """While a run may be cancelled (`scent.llm.stop.stop_when`), llama.cpp polls `check` inside every decode (the
    prompt's evaluation and each generated token): once it is true the decode aborts and the call stops within a
    token."""
    if check is None:
        yield
        return
    import llama_cpp

    callback = llama_cpp.ggml_abort_callback(lambda _data: bool(check()))
    llama_cpp.llama_set_abort_callback(llama._ctx.ctx, callback, None)
    try:
        yield
    finally:
        llama_cpp.llama_set_abort_callback(llama._ctx.ctx, llama_cpp.ggml_abort_callback(), None)


def _parse_tool_call(text: str) -> list[ToolCall]:
    from scent.llm.base import extract_json

    try:
        value = extract_json(text)
    except ValueError:
        return []
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        args = value.get("arguments")
        return [ToolCall(id="call_0", name=value["name"], arguments=args if isinstance(args, dict) else {})]
    return []


def _collect(chunks: Any, on_token: Any, llama: Any, messages: list[Message]) -> dict[str, Any]:
    """Fold llama.cpp's streamed chunks into a completion dict (usage counted with the model's tokenizer)."""
    parts: list[str] = []
    finish = ""
    for chunk in chunks:
        choice = chunk["choices"][0]
        piece = choice.get("delta", {}).get("content") or ""
        if piece:
            parts.append(piece)
            on_token(piece)
        finish = choice.get("finish_reason") or finish
    text = "".join(parts)
    prompt = sum(len(llama.tokenize(str(m.get("content", "")).encode(), add_bos=False)) for m in messages)
    completion = len(llama.tokenize(text.encode(), add_bos=False)) if text else 0
    return {"choices": [{"message": {"content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}
