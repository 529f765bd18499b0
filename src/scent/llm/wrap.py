"""One wrapper around any backend, with hooks: tracing, metering, recording and replay are hooks, not subclasses.

A hook sees every raw call (retries' and JSON repairs' included), as a `Request`:

    before(request) -> Completion | None   a reply returned here is served instead of calling the model (replay)
    after(request, reply, error)           the reply, or the error the call raised (which then propagates)

Hooks run like nested wrappers: `before` in order, `after` in reverse order for the hooks whose `before` ran.
`with_hooks(llm, hook)` wraps an already-wrapped backend by adding the new hook outermost, so there is only
ever one wrapper around a backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from scent.llm.base import ChatBackend, Completion, Message, Request, ScoringUnsupportedError
from scent.protocols import LLM


class Hook(Protocol):
    def before(self, request: Request) -> Completion | None:
        """Called before each raw call; a Completion returned here is the reply (the model is not called)."""
        ...

    def after(self, request: Request, reply: Completion | None, error: BaseException | None) -> None:
        """Called after each raw call with its reply, or with the error it raised."""
        ...


class HookedLLM(ChatBackend):
    """`inner` with `hooks` around each of its raw calls; schema checks and repairs are ChatBackend's, as for
    any backend."""

    def __init__(self, inner: LLM, *hooks: Hook) -> None:
        if isinstance(inner, HookedLLM):  # one wrapper: the new hooks go outside the existing ones
            hooks, inner = (*hooks, *inner.hooks), inner.inner
        self.inner: LLM = inner
        self.hooks: list[Hook] = list(hooks)
        self.spec = inner.spec
        self.json_repairs = inner.json_repairs

    def call(self, request: Request) -> Completion:
        ran: list[Hook] = []
        reply: Completion | None = None
        for hook in self.hooks:
            ran.append(hook)
            reply = hook.before(request)
            if reply is not None:
                break
        try:
            if reply is None:
                reply = self.inner.call(request)
        except BaseException as e:
            for hook in reversed(ran):
                hook.after(request, None, e)
            raise
        for hook in reversed(ran):
            hook.after(request, reply, None)
        return reply


    def score(self, messages: list[Message], replies: Sequence[str]) -> list[float]:
        """The inner backend's scores (hooks see chat calls only; the agent traces what it scores)."""
        score = getattr(self.inner, "score", None)
        if score is None:
            raise ScoringUnsupportedError(f"{self.spec}: this backend cannot score replies")
        return list(score(messages, replies))


def with_hooks(llm: LLM, *hooks: Hook) -> HookedLLM:
    """`llm` with `hooks` added outermost (the first hook sees a call first)."""
    return HookedLLM(llm, *hooks)
