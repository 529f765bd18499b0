"""scent as an MCP server (official `mcp` SDK, v2 API): the `Corpus` functions and agent runs as tools.

The same server object is run over stdio (`scent mcp`) and mounted on `scent serve` at /mcp (streamable HTTP,
behind the bearer token). Tools: list_indexes; search, read, get_document, list_sources, verify_citation (the
`Corpus` methods with an `index` argument added: their signatures and docstrings are the schemas) and ask /
research, which run the agent, report each trace step as MCP progress, and return the answer with its verified
citations.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

import scent
from scent.serve.corpus import MAX_K, BadRequest, NotFound
from scent.serve.library import Library
from scent.serve.runs import Busy, Run, RunManager
from scent.tools import MAX_WINDOW, arg_descriptions

if TYPE_CHECKING:
    from scent.events import TraceEvent

# the bounds the corpus functions check, also in the schema, so a client sees them before calling
BOUNDS: dict[str, dict[str, int]] = {"k": {"minimum": 1, "maximum": MAX_K},
                                     "window": {"minimum": 0, "maximum": MAX_WINDOW},
                                     "limit": {"minimum": 1, "maximum": 1000}, "offset": {"minimum": 0}}
INSTRUCTIONS = ("scent searches a private document collection. Use `search` (BM25 and/or vectors; \"quoted "
                "phrases\" match exactly) and `read` / `get_document` to read, citing passage ids; `ask` runs "
                "scent's own research agent and returns an answer whose citations were checked verbatim, a "
                "confidence, and whether it abstained (the answer is not in the corpus).")


class CitedPassage(BaseModel):
    n: int
    id: str = Field(description="The cited passage id (`read` opens it).")
    path: str
    title: str
    quote: str = Field(description="The quoted text; it occurs verbatim in the passage.")
    verified: bool = Field(description="The quote was found verbatim and (when a judge model is set) judged "
                           "to support the answer.")


class RunResult(BaseModel):
    run_id: str
    answer: str = Field(description="The answer, or 'Not found in the corpus.' when it abstained.")
    abstained: bool
    abstain_reason: str | None = None
    confidence: float = Field(description="Calibrated probability that the answer is right (0-1).")
    citations: list[CitedPassage] = Field(default_factory=list)
    closest: list[CitedPassage] = Field(default_factory=list, description="When abstaining: the nearest evidence.")
    report: str | None = Field(default=None, description="`research`: the markdown report.")
    status: str


def step(emitted: dict[str, Any]) -> str:
    """One short line about a trace event (`scent.events`), for progress messages. It is made only of fixed
    words, tool names, roles, counts and passage ids: never a query, a quote or any other text that a document
    or a model wrote (progress reaches the calling model, and a document could speak to it)."""
    event = cast("TraceEvent", emitted)
    kind = event["type"]
    if kind == "tool_call":
        return f"calling {_word(event.get('tool'))}"
    if kind == "tool_result":
        ids = event.get("ids")
        return f"{_word(event.get('tool'))} gave {len(ids) if isinstance(ids, list) else 0} passages"
    if kind == "note":
        return f"noted evidence from passage {_word(event.get('passage_id') or event.get('id'))}"
    if kind == "llm_call":
        return f"model call ({_word(event.get('role'))})"
    if kind == "verify":
        return "checking a quote"
    if kind == "run_end":
        return f"finished ({_word(event.get('status'))})"
    return _word(kind)


def _word(value: Any, limit: int = 40) -> str:
    """A name-like value (tool, role, status, id) as at most `limit` of [A-Za-z0-9_.-]; anything else is '?'."""
    text = str(value or "")
    return text[:limit] if text and all(c.isalnum() or c in "_.-" for c in text) else "?"


def result_of(run: Run) -> RunResult:
    answer = run.answer or {}

    def cited(items: list[dict[str, Any]]) -> list[CitedPassage]:
        return [CitedPassage(n=c["n"], id=c["id"], path=c["path"], title=c["title"], quote=c["quote"],
                             verified=bool(c.get("supported"))) for c in items]

    status = "cancelled" if run.cancel.is_set() else "failed" if run.error else answer.get("status", "complete")
    return RunResult(run_id=run.id, answer=answer.get("answer", run.error or "the run did not finish"),
                     abstained=bool(answer.get("abstained", True)), abstain_reason=answer.get("abstain_reason"),
                     confidence=float(answer.get("confidence", 0.0)), citations=cited(answer.get("citations", [])),
                     closest=cited(answer.get("closest", [])), report=answer.get("report"), status=status)


async def follow(runs: RunManager, run: Run, ctx: Context) -> RunResult:
    queue = run.subscribe()
    finished = False
    try:
        count = 0
        while (event := await queue.get()) is not None:
            count += 1
            await ctx.report_progress(count, None, step(event))
        finished = True
    finally:
        run.unsubscribe(queue)
        if not finished:  # the client cancelled the call
            runs.cancel(run.id)
    return result_of(run)


def tool(fn: Callable[..., Any]) -> Tool:
    """An MCP tool from a typed function: the SDK reads the signature; the descriptions of the arguments come
    from the docstring's `Args:` section (the convention of `scent.tools`); the errors a caller can fix (not
    found, bad argument, busy) reach the model as tool errors with their message."""
    made = Tool.from_function(fn, annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False))
    described = arg_descriptions(fn)
    properties = {name: {**prop, **BOUNDS.get(name, {}), "description": described.get(name, "")}
                  for name, prop in made.parameters.get("properties", {}).items()}

    @functools.wraps(fn)
    async def guarded(**kwargs: Any) -> Any:
        try:
            return await fn(**kwargs) if made.is_async else await anyio.to_thread.run_sync(
                functools.partial(fn, **kwargs))
        except (NotFound, BadRequest, Busy, ValueError) as e:
            raise ToolError(str(e)) from None

    return made.model_copy(update={"fn": guarded, "is_async": True,
                                   "parameters": {**made.parameters, "properties": properties}})


INDEX_ARG = "    index: which served index to use (a name from list_indexes; empty: the first)"


def on_index(library: Library, method: str) -> Callable[..., Any]:
    """`Corpus.<method>` as a function of the same arguments plus `index` (the served index to use)."""
    fn = getattr(next(iter(library.corpora.values())), method)
    signature = inspect.signature(fn, eval_str=True)
    index = inspect.Parameter("index", inspect.Parameter.KEYWORD_ONLY, default="", annotation=str)

    def call(*, index: str = "", **kwargs: Any) -> Any:
        return getattr(library.corpus(index), method)(**kwargs)

    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"{inspect.getdoc(fn)}\n{INDEX_ARG}"
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
        + [index])
    return call


def build(library: Library) -> MCPServer:
    """The MCP server over the served indexes; without run managers (no models loaded) the corpus tools only."""

    def list_indexes() -> list[dict[str, Any]]:
        """The indexes this server serves, the default first: name, documents, passages, vectors, retriever."""
        return library.stats()

    tools = [tool(list_indexes), *(tool(on_index(library, m)) for m in (
        "search", "read", "get_document", "list_sources", "verify_citation"))]
    if not library.runs:
        return MCPServer("scent", instructions=INSTRUCTIONS, version=scent.__version__, log_level="WARNING",
                         tools=tools)

    def runner(index: str) -> RunManager:
        runs = library.runner(index)
        assert runs is not None  # every index has one when models are loaded
        return runs

    async def ask(question: str, ctx: Context, index: str = "") -> RunResult:
        """Answer a question from the documents with scent's research agent: it searches relentlessly, answers
        from the passages it found, checks every citation verbatim, and abstains (answer 'Not found in the
        corpus.') when the documents do not hold the answer. Progress is reported at each step.

        Args:
            question: the question, in full
            index: which served index to use (a name from list_indexes; empty: the first)
        """
        runs = runner(index)
        return await follow(runs, runs.start(question, "answer"), ctx)

    async def research(question: str, ctx: Context, index: str = "") -> RunResult:
        """Research a broad question and write a report (an outline from the documents, every statement a
        verified quote); slower than `ask`. Progress is reported at each step.

        Args:
            question: the topic or question to research
            index: which served index to use (a name from list_indexes; empty: the first)
        """
        runs = runner(index)
        return await follow(runs, runs.start(question, "report"), ctx)

    return MCPServer("scent", instructions=INSTRUCTIONS, version=scent.__version__, log_level="WARNING",
                     tools=[*tools, tool(ask), tool(research)])
