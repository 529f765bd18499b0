"""LLM backends, chosen by a model spec string:

    llamacpp:default | llamacpp:NAME | llamacpp:/path/model.gguf   embedded, in-process, offline
    openai:BASE_URL#MODEL                                           any OpenAI-compatible server
    scripted:FILE                                                   replay of recorded calls (tests)
"""

from __future__ import annotations

from pathlib import Path

from scent.config import LLMConfig
from scent.llm.base import ChatBackend, Completion, ContextOverflowError, LLMError, StructuredOutputError
from scent.llm.http import EndpointError, is_loopback_host, split_endpoint

__all__ = ["ChatBackend", "Completion", "ContextOverflowError", "LLMError", "LocalOnlyError",
           "StructuredOutputError", "check_local", "is_loopback_host", "load_llm"]

SPEC_HELP = "llamacpp:default | llamacpp:PATH.gguf | openai:BASE_URL#MODEL | scripted:FILE"


class LocalOnlyError(LLMError):
    """A non-loopback endpoint was named while local-only mode is on."""


def check_local(spec: str) -> None:
    """Raise LocalOnlyError, before any request, if `spec` names an endpoint off this machine."""
    kind, _, rest = spec.partition(":")
    if kind != "openai":
        return  # llamacpp and scripted never leave the process
    try:
        host = split_endpoint(rest.partition("#")[0])[1]
    except EndpointError as e:
        raise LLMError(f"model spec {spec!r}: {e}") from None
    if not is_loopback_host(host):
        raise LocalOnlyError(f"local-only mode: refusing {spec!r} — host {host!r} is not a loopback address "
                             "(use 127.0.0.1, ::1 or localhost, or turn local-only off)")


def load_llm(spec: str, config: LLMConfig | None = None, local_only: bool = False) -> ChatBackend:
    """The backend a spec names. Nothing is silently substituted: an unusable spec raises LLMError."""
    if local_only:
        check_local(spec)
    kind, sep, rest = spec.partition(":")
    if not sep:
        raise LLMError(f"model spec {spec!r} has no backend prefix; expected {SPEC_HELP}")
    if kind == "llamacpp":
        from scent.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(rest or "default", config)
    if kind == "openai":
        url, _, model = rest.partition("#")
        if not url.startswith(("http://", "https://")) or not model:
            raise LLMError(f"model spec {spec!r}: expected openai:http(s)://HOST[:PORT]/v1#MODEL")
        try:
            split_endpoint(url)
        except EndpointError as e:
            raise LLMError(f"model spec {spec!r}: {e}") from None
        from scent.llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM(url, model, config, local_only=local_only)
    if kind == "scripted":
        from scent.llm.scripted import ScriptedLLM

        return ScriptedLLM(Path(rest))
    raise LLMError(f"unknown model backend {kind!r} in {spec!r}; expected {SPEC_HELP}")
