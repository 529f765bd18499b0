"""The trace events: one typed dict per event type, and `EventType`, the names of them all.

A trace (`scent.trace`) is a JSON Lines file, one event a line. Every event has `seq` (0, 1, 2, …), `t` (seconds
since the run started) and `type`, one of `EventType`; the rest are the fields of its type below. Readers (the
terminal progress, the web UI, MCP progress, `scent export`, `scent resume`) read these fields; adding an event
type is one class here, its name in `EventType`, and a row in docs/server.md's table. `emit` writes plain dicts
(no validation on the hot path); `tests/test_trace.py` validates every event of scripted runs against these.

The agent writes run_start, plan, tool_call, tool_result, llm_call, error, reflect, stop, note, view, vote,
score, decide, verify, calibrate, abstain, run_end; research adds outline, choose, section, diversify, cut,
section_done, report; `scent resume` writes resume; the server ends a cancelled or failed run with run_end.
"""

from typing import Any, Literal, NotRequired, get_args

# typing_extensions' TypedDict: pydantic (the tests validate events) needs it before Python 3.12. No
# `from __future__ import annotations` here, so that NotRequired fields are known at run time (__required_keys__)
from typing_extensions import TypedDict

EventType = Literal[
    "run_start", "run_end", "resume", "plan", "llm_call", "error", "tool_call", "tool_result", "reflect", "stop",
    "note", "view", "vote", "score", "decide", "verify", "calibrate", "abstain",
    "outline", "choose", "section", "diversify", "cut", "section_done", "report",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


class RunStart(TypedDict):
    """First: the question and the models (role → spec); an agent run adds its mode and settings and what its
    front end passes (`run_info`: index, retriever, …); a baseline of `scent eval` names its `system`."""

    seq: int
    t: float
    type: Literal["run_start"]
    question: str
    models: dict[str, str]
    mode: NotRequired[str]
    config: NotRequired[dict[str, Any]]
    system: NotRequired[str]
    query_id: NotRequired[str]
    index: NotRequired[str | None]
    local_only: NotRequired[bool]
    calibration: NotRequired[str | None]
    retriever: NotRequired[str]


class RunEnd(TypedDict):
    """Last: `status` (complete, partial, budget_exhausted, cancelled, failed) and the whole answer (None when
    the server ended a cancelled or failed run; `error` then says why it failed)."""

    seq: int
    t: float
    type: Literal["run_end"]
    status: str
    abstained: bool
    confidence: float
    answer: dict[str, Any] | None
    error: NotRequired[str | None]


class Resume(TypedDict):
    """`scent resume`: the run restarts here; `replies` recorded model replies are served from the trace."""

    seq: int
    t: float
    type: Literal["resume"]
    replies: int


class SubQuestionFields(TypedDict):
    question: str
    depends_on_previous: bool


class Plan(TypedDict):
    """The planner's reading of the question."""

    seq: int
    t: float
    type: Literal["plan"]
    restated: str
    facts: list[str]
    sub_questions: list[SubQuestionFields]


class LLMCall(TypedDict):
    """Each raw model call (repairs included): the prompt actually sent and the reply, or the `error`."""

    seq: int
    t: float
    type: Literal["llm_call"]
    role: str
    model: str
    prompt_hash: str
    messages: list[dict[str, Any]]
    spec: NotRequired[str]
    schema: NotRequired[dict[str, Any] | None]
    reply: NotRequired[str]
    reasoning: NotRequired[str | None]
    tool_calls: NotRequired[list[dict[str, Any]] | None]
    prompt_tokens: NotRequired[int]
    completion_tokens: NotRequired[int]
    ms: NotRequired[float]
    replayed: NotRequired[bool | None]
    error: NotRequired[str]


class Error(TypedDict):
    """A model role failed (after its retries); the run goes on without that call."""

    seq: int
    t: float
    type: Literal["error"]
    role: str
    prompt: str
    error: str


class ToolCall(TypedDict):
    seq: int
    t: float
    type: Literal["tool_call"]
    tool: str
    args: dict[str, Any]


class ToolResult(TypedDict):
    """The passage ids a tool showed; `error` when the call was refused (its text told the model why)."""

    seq: int
    t: float
    type: Literal["tool_result"]
    tool: str
    ids: list[str]
    error: bool


class Reflect(TypedDict):
    """After a search round: is the evidence enough, and what is missing."""

    seq: int
    t: float
    type: Literal["reflect"]
    question: str
    round: int
    enough: bool
    missing: list[str]


class Stop(TypedDict):
    """Search stopped early: `reason` "absent", the question's `terms` that no document mentions."""

    seq: int
    t: float
    type: Literal["stop"]
    question: str
    reason: str
    terms: list[str]


class Note(TypedDict):
    """A passage taken as evidence: the ledger item (`scent.types.Evidence`)."""

    seq: int
    t: float
    type: Literal["note"]
    id: str
    passage_id: str
    path: str
    title: str
    headings: list[str]
    page: int | None
    source_id: str | None
    quote: str
    question: str
    establishes: NotRequired[str]


class View(TypedDict):
    """One writer view: the passages shown, the reply, the answer read from it and whether it is grounded."""

    seq: int
    t: float
    type: Literal["view"]
    view: int | str  # the view number, or "same:<subject>" for a per-subject read
    passages: list[str]
    reply: str | None
    answer: str
    grounded: str
    holders: list[str]


class Score(TypedDict):
    """The candidate answers scored by the writer model's log-probability of each as its whole reply, best
    first (`scent.agent.likelihood`)."""

    seq: int
    t: float
    type: Literal["score"]
    candidates: list[str]
    logprobs: list[float]
    unknown: float | None  # the log-probability of replying "unknown" (None for a yes/no question)


class Vote(TypedDict):
    seq: int
    t: float
    type: Literal["vote"]
    answer: str
    agreement: float
    settled: bool
    doubted: bool


class Decide(TypedDict):
    """An answer computed, not written (a comparison of two values read from two passages)."""

    seq: int
    t: float
    type: Literal["decide"]
    answer: str
    passages: list[str]
    values: list[str]


class Verify(TypedDict):
    """A citation checked: the quote found verbatim, and judged to support the answer."""

    seq: int
    t: float
    type: Literal["verify"]
    evidence: str
    verbatim: bool
    judged: bool


class Calibrate(TypedDict):
    seq: int
    t: float
    type: Literal["calibrate"]
    signals: dict[str, float]
    confidence: float
    calibrator: str | None


class Abstain(TypedDict):
    seq: int
    t: float
    type: Literal["abstain"]
    reason: str
    draft: str


class Outline(TypedDict):
    """Research: the report's sections, where each came from, and how many candidate topics there were."""

    seq: int
    t: float
    type: Literal["outline"]
    sections: list[str]
    origins: list[str]
    candidates: int


class Choose(TypedDict):
    """Research: the model picked outline topics or a section's sentences (`picked`, 0- or 1-based as shown)."""

    seq: int
    t: float
    type: Literal["choose"]
    section: str
    reply: str | None
    picked: list[int]


class Section(TypedDict):
    seq: int
    t: float
    type: Literal["section"]
    n: int
    of: int
    title: str
    query: str


class Diversify(TypedDict):
    """Research: a passage from a document the report cites little, swapped in for a heavily cited one."""

    seq: int
    t: float
    type: Literal["diversify"]
    section: str
    heavy: list[str]
    floor: float
    fresh: str | None
    passage: str | None
    score: float | None


class Cut(TypedDict):
    """Research: a claim dropped because its citation did not verify."""

    seq: int
    t: float
    type: Literal["cut"]
    section: str
    quote: str


class SectionDone(TypedDict):
    seq: int
    t: float
    type: Literal["section_done"]
    title: str
    claims: int
    cut: int
    sources: list[str]
    gap: str | None


class Report(TypedDict):
    seq: int
    t: float
    type: Literal["report"]
    status: str
    stopped: str | None
    counts: dict[str, int]


TraceEvent = (RunStart | RunEnd | Resume | Plan | LLMCall | Error | ToolCall | ToolResult | Reflect | Stop | Note
              | View | Vote | Decide | Verify | Calibrate | Abstain | Outline | Choose | Section | Diversify | Cut
              | SectionDone | Report)
"""Any event; a reader narrows it by comparing `event["type"]` with a name (mypy then knows its fields)."""

MODELS: dict[EventType, type[Any]] = {
    "run_start": RunStart, "run_end": RunEnd, "resume": Resume, "plan": Plan, "llm_call": LLMCall, "error": Error,
    "tool_call": ToolCall, "tool_result": ToolResult, "reflect": Reflect, "stop": Stop, "note": Note, "view": View,
    "vote": Vote, "score": Score, "decide": Decide, "verify": Verify, "calibrate": Calibrate, "abstain": Abstain,
    "outline": Outline, "choose": Choose, "section": Section, "diversify": Diversify, "cut": Cut,
    "section_done": SectionDone, "report": Report,
}
