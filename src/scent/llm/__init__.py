"""LLM backends, chosen by a model spec string:

    llamacpp:default | llamacpp:NAME | llamacpp:/path/model.gguf   embedded, in-process, offline
    openai:BASE_URL#MODEL                                           any OpenAI-compatible server
    scripted:FILE                                                   replay of recorded calls (tests)
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from scent.config import LLMConfig
from scent.llm.base import ChatBackend, Completion, ContextOverflowError, LLMError, StructuredOutputError

__all__ = ["ChatBackend", "Completion", "ContextOverflowError", "LLMError", "LocalOnlyError",
           "StructuredOutputError", "load_llm"]

SPEC_HELP = "llamacpp:default | llamacpp:PATH.gguf | openai:BASE_URL#MODEL | scripted:FILE"


class LocalOnlyError(LLMError):
    """A non-loopback endpoint was named while local-only mode is on."""


def is_loopback_host(host: str) -> bool:
    """True for 'localhost' and loopback addresses; host names are not resolved (DNS could point anywhere)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_local(spec: str) -> None:
    """Raise LocalOnlyError, before any request, if `spec` names an endpoint off this machine."""
    kind, _, rest = spec.partition(":")
    if kind != "openai":
        return  # llamacpp and scripted never leave the process
    host = urlsplit(rest.partition("#")[0]).hostname or ""
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
        if not urlsplit(url).scheme.startswith("http") or not model:
            raise LLMError(f"model spec {spec!r}: expected openai:http(s)://HOST[:PORT]/v1#MODEL")
        from scent.llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM(url, model, config)
    if kind == "scripted":
        from scent.llm.scripted import ScriptedLLM

        return ScriptedLLM(Path(rest))
    raise LLMError(f"unknown model backend {kind!r} in {spec!r}; expected {SPEC_HELP}")
