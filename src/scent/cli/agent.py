"""`scent ask`, `research`, `resume` and `export`: the agent's runs and their traces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from scent.cli.common import (
    DEFAULT_INDEX,
    ConfigOption,
    IndexOption,
    JsonOption,
    LocalOnlyOption,
    ModelOption,
    QuietOption,
    RetrieverOption,
    SetOption,
    app_errors,
    fail,
)
from scent.cli.output import dumps, inline, plain

QuestionArg = Annotated[str, typer.Argument(help="The question.")]
TraceOption = Annotated[Path | None, typer.Option(help="Trace file (JSONL); default INDEX/traces/<time>-<mode>.jsonl.")]
CalibrationOption = Annotated[Path | None, typer.Option(help="A calibrator fitted by `scent calibrate`.")]


def ask(question: QuestionArg, index: IndexOption = DEFAULT_INDEX, model: ModelOption = [],  # noqa: B006
        config: ConfigOption = None, local_only: LocalOnlyOption = None, trace: TraceOption = None,
        calibration: CalibrationOption = None, retriever: RetrieverOption = None, quiet: QuietOption = False,
        as_json: JsonOption = False, setting: SetOption = []) -> None:  # noqa: B006
    """Answer a question from the index, citing the exact passages — or say it is not in the corpus."""
    run_agent(question, index, "answer", model, config, local_only, trace, calibration, quiet, as_json,
               retriever=retriever, settings=setting)


def research(question: QuestionArg, index: IndexOption = DEFAULT_INDEX,
             model: ModelOption = [],  # noqa: B006
             config: ConfigOption = None, local_only: LocalOnlyOption = None, trace: TraceOption = None,
             calibration: CalibrationOption = None, retriever: RetrieverOption = None, quiet: QuietOption = False,
             as_json: JsonOption = False, setting: SetOption = [],  # noqa: B006
             fmt: Annotated[str, typer.Option("--format", help="md | html (self-contained) | json (sections, "
                                              "claims, citations).")] = "md",
             out: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None) -> None:
    """Research a question and write a report (outline from the corpus, every sentence cited; docs/research.md)."""
    if fmt not in ("md", "html", "json"):
        raise fail(f"--format must be md, html or json, not {fmt!r}")
    run_agent(question, index, "report", model, config, local_only, trace, calibration, quiet, as_json,
               retriever=retriever, settings=setting, report_format=fmt, report_out=out)


def resume(trace: Annotated[Path, typer.Argument(help="The trace of a killed run.")],
           model: ModelOption = [],  # noqa: B006
           config: ConfigOption = None, local_only: LocalOnlyOption = None,
           quiet: QuietOption = False, as_json: JsonOption = False) -> None:
    """Finish a killed `ask`/`research` run from its trace, without redoing the model calls it made. The models are
    the trace's (--model replaces them); local-only is on when scent.toml, the run itself or --local-only says so."""
    from scent.trace import NotATraceError, read_run

    try:
        start, end, events = read_run(trace)
    except NotATraceError as e:
        raise fail(str(e)) from None
    if end is not None:
        typer.echo("the run had finished; its answer:", err=True)
        print_answer(end["answer"], as_json)
        return
    # a trace is a file anyone may have edited: it may name models, never loosen this machine's local-only setting
    from scent import app

    with app_errors():
        strict = app.strict_local(app.load(config), bool(start.get("local_only")), local_only)
    models = [*(f"{role}={spec}" for role, spec in start["models"].items()), *model]
    run_agent(start["question"], Path(start["index"]), start["mode"], models, config, strict,
               trace, Path(start["calibration"]) if start.get("calibration") else None, quiet, as_json,
               resume_events=events, retriever=start.get("retriever"), agent_config=start.get("config"))


def export(trace: Annotated[Path, typer.Argument(help="A run's trace.")],
           query_id: Annotated[str | None, typer.Option(help="Query id to record (default: the question).")] = None
           ) -> None:
    """Print a run in the BrowseComp-Plus run format (query_id, tool_call_counts, status, retrieved_docids,
    result)."""
    from scent.agent.export import browsecomp_run
    from scent.trace import NotATraceError, read_run

    try:
        events = read_run(trace, complete=False)[2]
        run = browsecomp_run(events, query_id)
    except NotATraceError as e:
        raise fail(str(e)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise fail(f"{trace} is not a readable scent trace ({type(e).__name__}: {e})") from None
    typer.echo(dumps(run))


def run_agent(question: str, index: Path, mode: str, model: list[str], config: Path | None,
               local_only: bool | None, trace: Path | None, calibration: Path | None, quiet: bool, as_json: bool,
               resume_events: list[dict[str, Any]] | None = None, retriever: str | None = None,
               settings: list[str] | None = None, agent_config: dict[str, Any] | None = None,
               report_format: str = "md", report_out: Path | None = None) -> None:
    from pydantic import ValidationError

    from scent import app
    from scent.agent.calibrate import load_calibrator
    from scent.agent.resume import ReplayThenLive, recorded_replies
    from scent.cli.progress import ProgressPrinter
    from scent.config import AgentConfig
    from scent.trace import TraceWriter, new_trace_path

    with app_errors():
        cfg = app.load(config, model, local_only, settings or [])
    if not question.strip():
        raise fail("the question is empty")
    try:  # a resumed run keeps the settings it started with (its trace's), so its replayed calls line up
        agent_settings = AgentConfig.model_validate(agent_config) if agent_config is not None else cfg.agent
    except ValidationError as e:
        raise fail(f"the trace's agent settings are not valid: {e}") from None
    with app_errors():
        llms = app.load_models(cfg)
    try:
        calibrator = load_calibrator(calibration) if calibration else None
    except (OSError, ValueError) as e:
        raise fail(str(e)) from None
    if resume_events is not None:
        try:
            replies = recorded_replies(resume_events)
        except (KeyError, TypeError) as e:
            raise fail(f"{trace} is not a readable scent trace ({type(e).__name__}: {e})") from None
        llms = {role: ReplayThenLive(llm, replies) for role, llm in llms.items()}
    typer.echo(f"models: {cfg.models.describe()}", err=True)
    with app_errors():
        opened = app.open_index(index, cfg, retriever)
    with opened as idx:
        if idx.stats()["passages"] == 0:
            raise fail(f"the index {index} is empty: add documents with `scent index FOLDER --index {index}`")
        try:  # a default name is unique even for runs started in the same second (created exclusively)
            trace = trace or new_trace_path(app.traces_folder(index), mode)
            writer = TraceWriter(trace, listeners=[] if quiet else [ProgressPrinter()])
        except OSError as e:
            raise fail(f"cannot write the trace {trace or app.traces_folder(index)}: {e.strerror or e} (give a "
                       "writable file with --trace)") from None
        if resume_events is not None:
            writer.emit("resume", replies=sum(len(q) for q in replies.values()))
        with app_errors():  # the agent's search tool calls idx.search(query, k): the index carries the retriever
            chosen = app.check_retriever(idx)
        typer.echo(f"retriever: {chosen}", err=True)
        agent = app.make_agent(cfg, idx, llms=llms, calibrator=calibrator, agent_config=agent_settings, run_info={
            "index": str(index), "local_only": cfg.local_only, "calibration": str(calibration) if calibration
            else None, "retriever": chosen})
        try:
            if mode == "report":
                from scent.research.run import Researcher

                answer = Researcher(agent).run(question, writer)
            else:
                answer = agent.run(question, writer)
        finally:
            writer.close()
    if answer.report_data is not None and not as_json and (report_format != "md" or report_out is not None):
        from scent.research.render import write

        where = write(answer.report_data, report_format, report_out)
        if report_out is not None:
            typer.echo(f"report written to {where}", err=True)
        return
    print_answer(answer.model_dump(), as_json)


REASONS = {"absent": "a key term of the question occurs nowhere in the corpus",
           "no_evidence": "the searches found nothing",
           "ungrounded": "no answer the writer gave occurs in the passages",
           "disagree": "more of the writer's views say the passages do not hold the answer than back one",
           "low_confidence": "the answer's confidence is below the calibrator's threshold (or agent.abstain_below)",
           "writer_failed": "the writer model failed"}


def print_answer(answer: dict, as_json: bool) -> None:  # type: ignore[type-arg]
    if as_json:
        keys = ("answer", "abstained", "abstain_reason", "confidence", "citations", "usage", "trace", "status",
                "explanation", "closest", "report")
        out = {k: answer[k] for k in keys if k in answer}
        out["citations"] = [{k: c[k] for k in ("n", "id", "path", "title", "quote")} for c in answer["citations"]]
        typer.echo(dumps(out))
        return
    if answer.get("report"):
        typer.echo(plain(answer["report"]))
    else:
        typer.echo(plain(answer["answer"] + ("\n\n" + answer["explanation"] if answer["explanation"] else "")))
        for c in answer["citations"]:
            typer.echo(f"[{c['n']}] {inline(c['title'])} — {inline(c['path'])}: “{inline(c['quote'])}”")
    if answer["abstained"] and answer.get("abstain_reason"):
        typer.echo(f"(abstained: {REASONS.get(answer['abstain_reason'], answer['abstain_reason'])})")
    if answer["abstained"] and answer["closest"]:
        typer.echo("\nclosest evidence found:")
        for c in answer["closest"]:
            typer.echo(f"  - {inline(c['title'])} — {inline(c['path'])}: “{inline(c['quote'][:200])}”")
    u = answer["usage"]
    typer.echo(f"\n[confidence {answer['confidence']:.2f} · {u['llm_calls']} model calls · {u['searches']} searches · "
               f"{u['opens']} opens · {u['prompt_tokens'] + u['completion_tokens']} tokens · {u['seconds']} s · "
               f"trace {answer['trace']}]", err=True)


def register(cli: typer.Typer) -> None:
    for command in (ask, research, resume, export):
        cli.command()(command)
