"""The `scent` command line. Data goes to stdout (`--json` everywhere), progress and messages to stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from scent.cli_output import dumps, inline, markup, plain, write_problem
from scent.index.layout import DEFAULT_INDEX_DIR, REPORT_FILE

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="scent: a deep-research search agent for your own documents, offline.")

IndexOption = Annotated[Path, typer.Option("--index", "-i", help="Index folder.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


RetrieverOption = Annotated[str | None, typer.Option(
    "--retriever", "-r", help="bm25 | dense | hybrid | auto (default: the config's, auto = hybrid when the index "
    "has vectors, else bm25).")]


def _open(index: Path, cfg: Any = None, retriever: str | None = None):  # type: ignore[no-untyped-def]
    from scent.index import RETRIEVERS, Index, IndexAccessError, IndexNotFoundError

    retrieval = embed = None
    if cfg is not None:
        retrieval, embed = cfg.retrieval, cfg.embed
    if retriever is not None:
        if retriever not in ("auto", *RETRIEVERS):
            raise _fail(f"unknown retriever {retriever!r}; expected auto, {', '.join(RETRIEVERS)}")
        from scent.config import RetrievalConfig

        retrieval = (retrieval or RetrievalConfig()).model_copy(update={"retriever": retriever})
    try:
        return Index.open(index, retrieval=retrieval, embed_config=embed,
                          local_only=bool(cfg is not None and cfg.local_only))
    except (IndexNotFoundError, IndexAccessError) as e:
        raise _fail(str(e)) from None


def _sync_vectors(index: Path, cfg: Any, vectors: bool | None, embedder: str | None, rebuild: bool,
                  show: bool) -> dict[str, Any] | None:
    """Bring the index's vectors up to date (`scent index`); None when vectors are off."""
    import os

    from scent.embed import EmbedError, bundled_available, load_embedder
    from scent.index.dense import VectorsError, read_manifest, sync
    from scent.index.layout import STORE_FILE
    from scent.index.store import Store

    manifest = read_manifest(index)
    spec = embedder or (manifest["embedder"] if manifest and not rebuild else cfg.embed.spec)
    if vectors is None and os.environ.get("SCENT_VECTORS", "").lower() in ("0", "off", "false", "no"):
        vectors = False  # e.g. test suites that index large corpora and only need BM25
    if vectors is None:  # default: on when the index has vectors or the chosen embedder can run here
        vectors = manifest is not None or embedder is not None or spec != "minilm" or bundled_available()
    if not vectors:
        return None
    try:
        model = load_embedder(spec, cfg.embed, cfg.local_only)
    except EmbedError as e:
        raise _fail(f"vectors: {e} (or index without them: --no-vectors)") from None
    from scent.cli_progress import EmbedProgress

    store = Store(index / STORE_FILE, readonly=True)
    try:
        with EmbedProgress(enabled=show) as progress:
            summary = sync(index, store, model, cfg.embed, progress, rebuild=rebuild)
    except (VectorsError, EmbedError) as e:
        raise _fail(str(e)) from None
    finally:
        store.close()
    from dataclasses import asdict

    return asdict(summary)


INTERRUPTED = "interrupted: what was committed is searchable; run `scent index` again to finish"


@app.command("index")
def index_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to index.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    include: Annotated[list[str], typer.Option(help="Glob of files to include (repeatable).")] = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option(help="Glob of files or folders to skip (repeatable).")] = [],  # noqa: B006
    max_file_mb: Annotated[float, typer.Option(help="Skip (and report) files larger than this.")] = 50.0,
    commit_every: Annotated[int, typer.Option(help="Commit every N passages: bounds the work a kill loses.",
                                              min=1)] = 20_000,
    vectors: Annotated[bool | None, typer.Option(
        "--vectors/--no-vectors", help="Compute dense vectors for new/changed passages (default: on when the "
        "bundled embedder is installed or the index already has vectors, unless SCENT_VECTORS=0).")] = None,
    embedder: Annotated[str | None, typer.Option(
        help="minilm | openai:BASE_URL#MODEL (default: the one the index's vectors were made with, else the "
        "config's).")] = None,
    rebuild_vectors: Annotated[bool, typer.Option(
        "--rebuild-vectors", help="Drop the existing vectors and embed every passage again.")] = False,
    max_line_kb: Annotated[int, typer.Option(help="Skip (and report) corpus .jsonl lines longer than this.",
                                             min=1)] = 1024,
    max_record_chars: Annotated[int, typer.Option(help="Cut (and report) corpus records whose text is longer.",
                                                  min=100)] = 20_000,
    follow_outside: Annotated[bool, typer.Option(
        "--follow-outside/--no-follow-outside", help="Follow symlinks that lead outside the indexed folder (default: "
        "skip and report each one).")] = False,
    config_file: Annotated[Path | None, typer.Option("--config", help="Config file (default ./scent.toml).")] = None,
    local_only: Annotated[bool | None, typer.Option(
        "--local-only/--no-local-only", help="Refuse embedder endpoints that are not on a loopback address.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Index documents (txt, md, html, pdf, docx, corpus jsonl); re-runs only read new or changed files."""
    import sqlite3

    from scent.cli_progress import IndexProgress
    from scent.config import IngestConfig
    from scent.index.lock import IndexBusyError, writer_lock
    from scent.ingest.pipeline import build
    from scent.interrupt import catch_interrupts

    cfg = _config(config_file, [], local_only)

    config = IngestConfig(include=include, exclude=exclude, max_file_mb=max_file_mb,
                          commit_every_passages=commit_every, max_line_kb=max_line_kb,
                          max_record_chars=max_record_chars, follow_outside=follow_outside)
    summary, dense = None, None
    with catch_interrupts() as ctrl_c:  # a Ctrl-C anywhere (lock, build, vectors, cleanup) ends in "interrupted"
        try:
            # one writer for the whole run: the BM25 build and the vector sync
            with writer_lock(index), ctrl_c.stoppable():
                with IndexProgress(enabled=not quiet and not as_json) as progress:
                    summary = build(index, paths, config, progress=progress)
                dense = None if summary.interrupted else _sync_vectors(
                    index, cfg, vectors, embedder, rebuild_vectors, not quiet and not as_json)
        except KeyboardInterrupt:
            pass
        except IndexBusyError as e:
            raise _fail(str(e), 1) from None
        except (OSError, sqlite3.Error) as e:
            raise _fail(write_problem(index, e), 1) from None
        except ValueError as e:  # tantivy reports its I/O errors as ValueError
            if "Io" not in str(e) and "io error" not in str(e).lower():
                raise
            raise _fail(write_problem(index, e), 1) from None
    interrupted = ctrl_c.received or summary is None or summary.interrupted or bool(dense and dense["interrupted"])
    if summary is None:
        raise _fail(INTERRUPTED, 130)
    s = summary
    if as_json:
        typer.echo(dumps({**summary.model_dump(), "vectors": dense}))
    elif not quiet:
        report = f" (reasons in {index / REPORT_FILE})" if s.skipped or s.partial else ""
        typer.echo(
            f"{s.added} added, {s.updated} updated, {s.removed} removed, {s.unchanged} unchanged; "
            f"{s.skipped} skipped, {s.partial} read in part{report}; "
            f"+{s.passages_added}/-{s.passages_removed} passages, {s.passages_total} in {s.documents_total} "
            f"documents; {s.seconds:.1f} s", err=True)
        if dense is not None:
            typer.echo(f"vectors: +{dense['embedded']}/-{dense['removed']}, {dense['total']} in the index "
                       f"({dense['embedder']}, {dense['dim']}-d{', HNSW' if dense['ann'] else ', exact search'}); "
                       f"{dense['seconds']:.1f} s", err=True)
    if interrupted:
        raise _fail(INTERRUPTED, 130)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for; \"quoted phrases\" match exactly.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    k: Annotated[int, typer.Option("-k", help="Number of passages.", min=1)] = 10,
    retriever: RetrieverOption = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file (default ./scent.toml).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rank passages (BM25, dense vectors, or both fused) and print them with their provenance."""
    from scent.index.dense import VectorsError

    with _open(index, _config(config, [], None), retriever) as idx:
        try:
            hits = idx.search(query, k, snippets=True)
        except VectorsError as e:
            raise _fail(str(e)) from None
    if as_json:
        typer.echo(dumps([h.to_dict() for h in hits]))
        return
    from rich.console import Console

    console = Console(highlight=False)
    if not hits:
        console.print("no passage matches", style="dim")
    for rank, h in enumerate(hits, 1):  # everything from a document is escaped: ids and titles too
        where = " › ".join(h.headings) + (f" · page {h.page}" if h.page else "")
        console.print(f"[bold]{rank}.[/bold] [cyan]{h.score:.2f}[/cyan]  [bold]{markup(h.title)}[/bold]  "
                      f"[dim]{markup(h.path)}  {markup(h.id)}[/dim]")
        if where:
            console.print(f"   [green]{markup(where)}[/green]")
        console.print(f"   {markup(h.snippet, one_line=False)}\n")


@app.command()
def show(
    passage_id: Annotated[str, typer.Argument(help="A passage id from `scent search`.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    context: Annotated[int, typer.Option(help="Neighbouring passages to show on each side.", min=0)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Print one passage with its provenance and its neighbouring passages."""
    with _open(index) as idx:
        around = idx.neighbours(passage_id, context, context)
    target = next((p for p in around if p.id == passage_id), None)
    if target is None:
        raise _fail(f"no passage {passage_id!r} in {index}", 1)
    if as_json:
        typer.echo(dumps({**target.to_dict(), "before": [p.to_dict() for p in around if p.seq < target.seq],
                          "after": [p.to_dict() for p in around if p.seq > target.seq]}))
        return
    from rich.console import Console

    console = Console(highlight=False)
    for p in around:
        if p.id != passage_id:
            console.print(f"[dim]#{p.seq} {markup(p.id)}\n{markup(p.text, one_line=False)}[/dim]\n")
            continue
        console.print(f"[bold]{markup(p.title)}[/bold]  [dim]{markup(p.path)}[/dim]")
        details = [f"id {p.id}", f"passage #{p.seq}", f"chars {p.start}–{p.end}"]
        details += [f"page {p.page}"] if p.page else []
        details += [f"source id {p.source_id}"] if p.source_id else []
        console.print(f"[green]{markup(' › '.join(p.headings))}[/green]  " if p.headings else "", end="")
        console.print(f"[dim]{markup(' · '.join(details))}[/dim]")
        console.print(f"{markup(p.text, one_line=False)}\n")


ModelOption = Annotated[list[str], typer.Option(
    "--model", "-m", help="SPEC for every role, or ROLE=SPEC (planner, searcher, reader, writer, judge). "
    "SPEC: llamacpp:default | llamacpp:PATH.gguf | openai:URL#MODEL | scripted:FILE.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Config file (default ./scent.toml).")]
LocalOnlyOption = Annotated[bool | None, typer.Option(
    "--local-only/--no-local-only", help="Refuse model endpoints that are not on a loopback address.")]


SetOption = Annotated[list[str], typer.Option(
    "--set", help="SECTION.FIELD=VALUE over the config file, e.g. agent.views=1, agent.preset=thorough "
    "(repeatable).")]


def _config(config: Path | None, model: list[str], local_only: bool | None,  # type: ignore[no-untyped-def]
            settings: list[str] | None = None):
    from scent.config import ConfigError, load_config

    try:
        return load_config(config, model, local_only, settings or [])
    except ConfigError as e:
        raise _fail(str(e)) from None


@app.command()
def llm(
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    model: ModelOption = [],  # noqa: B006
    role: Annotated[str, typer.Option(help="Which role's model to use.")] = "writer",
    schema: Annotated[Path | None, typer.Option(help="JSON schema file: the reply must be valid against it.")] = None,
    system: Annotated[str | None, typer.Option(help="A system message.")] = None,
    max_tokens: Annotated[int, typer.Option(min=1)] = 512,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    stream: Annotated[bool, typer.Option(help="Print tokens as they arrive (stderr).")] = False,
    record: Annotated[Path | None, typer.Option(help="Append the raw call to this script file.")] = None,
    config: ConfigOption = None,
    local_only: LocalOnlyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One model call (a debugging tool): prints the reply, or with --json the reply, parsed JSON and usage."""
    from scent.config import ROLES
    from scent.llm import LLMError, load_llm

    if role not in ROLES:
        raise _fail(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    cfg = _config(config, model, local_only)
    spec = getattr(cfg.models, role)
    try:
        schema_value = json.loads(schema.read_text()) if schema else None
    except (OSError, ValueError) as e:
        raise _fail(f"cannot read schema {schema}: {e}") from None
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    typer.echo(f"model: {role}={spec}", err=True)
    try:
        backend = load_llm(spec, cfg.llm, cfg.local_only)
        if record:
            from scent.llm.scripted import RecordingLLM

            backend = RecordingLLM(backend, record, role)
        on_token = (lambda t: typer.echo(t, err=True, nl=False)) if stream else None
        reply = backend.complete(messages, schema=schema_value, max_tokens=max_tokens, temperature=temperature,
                                 on_token=on_token)
    except LLMError as e:
        raise _fail(str(e), 1) from None
    if as_json:
        typer.echo(dumps(reply.model_dump(mode="json", by_alias=True)))
        return
    typer.echo(dumps(reply.json_value) if schema_value else plain(reply.text))
    typer.echo(f"[{reply.model} · {reply.usage.prompt_tokens} prompt + {reply.usage.completion_tokens} completion "
               f"tokens · {reply.latency_ms / 1000:.1f} s · {reply.attempts} call(s)]", err=True)


@app.command()
def models(
    model: ModelOption = [],  # noqa: B006
    config: ConfigOption = None,
    local_only: LocalOnlyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The model of each role, and the embedded models scent knows (installed or not, size, licence)."""
    from scent.config import ROLES
    from scent.llm import LLMError, check_local
    from scent.llm.catalog import describe

    cfg = _config(config, model, local_only)
    roles = {role: getattr(cfg.models, role) for role in ROLES}
    problems = {}
    if cfg.local_only:
        for role, spec in roles.items():
            try:
                check_local(spec)
            except LLMError as e:
                problems[role] = str(e)
    embedded = describe()
    if as_json:
        typer.echo(json.dumps({"roles": roles, "local_only": cfg.local_only, "problems": problems,
                               "embedded": embedded}, indent=2))
        return
    typer.echo(f"roles (local-only: {'on' if cfg.local_only else 'off'}):")
    for role, spec in roles.items():
        typer.echo(f"  {role:<9} {spec}" + (f"   ✗ {problems[role]}" if role in problems else ""))
    typer.echo("embedded models (llamacpp:NAME):")
    for m in embedded:
        state = "installed" if m["installed"] else f"not installed — {m['install_hint']}"
        default = "  (default)" if m["default"] else ""
        typer.echo(f"  {m['name']:<20} {m['size_mb']:>5.0f} MB  {m['base_model']}  [{state}]{default}\n"
                   f"  {'':<20} licence: {m['licence']}")


QuestionArg = Annotated[str, typer.Argument(help="The question.")]
TraceOption = Annotated[Path | None, typer.Option(help="Trace file (JSONL); default INDEX/traces/<time>-<mode>.jsonl.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No live progress.")]
CalibrationOption = Annotated[Path | None, typer.Option(help="A calibrator fitted by `scent calibrate`.")]


@app.command()
def ask(question: QuestionArg, index: IndexOption = Path(DEFAULT_INDEX_DIR), model: ModelOption = [],  # noqa: B006
        config: ConfigOption = None, local_only: LocalOnlyOption = None, trace: TraceOption = None,
        calibration: CalibrationOption = None, retriever: RetrieverOption = None, quiet: QuietOption = False,
        as_json: JsonOption = False, setting: SetOption = []) -> None:  # noqa: B006
    """Answer a question from the index, citing the exact passages — or say it is not in the corpus."""
    _run_agent(question, index, "answer", model, config, local_only, trace, calibration, quiet, as_json,
               retriever=retriever, settings=setting)


@app.command()
def research(question: QuestionArg, index: IndexOption = Path(DEFAULT_INDEX_DIR),
             model: ModelOption = [],  # noqa: B006
             config: ConfigOption = None, local_only: LocalOnlyOption = None, trace: TraceOption = None,
             calibration: CalibrationOption = None, retriever: RetrieverOption = None, quiet: QuietOption = False,
             as_json: JsonOption = False, setting: SetOption = [],  # noqa: B006
             fmt: Annotated[str, typer.Option("--format", help="md | html (self-contained) | json (sections, "
                                              "claims, citations).")] = "md",
             out: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None) -> None:
    """Research a question and write a report (outline from the corpus, every sentence cited; docs/research.md)."""
    if fmt not in ("md", "html", "json"):
        raise _fail(f"--format must be md, html or json, not {fmt!r}")
    _run_agent(question, index, "report", model, config, local_only, trace, calibration, quiet, as_json,
               retriever=retriever, settings=setting, report_format=fmt, report_out=out)


@app.command()
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
        raise _fail(str(e)) from None
    if end is not None:
        typer.echo("the run had finished; its answer:", err=True)
        _print_answer(end["answer"], as_json)
        return
    # a trace is a file anyone may have edited: it may name models, never loosen this machine's local-only setting
    strict = local_only if local_only is not None else (
        _config(config, [], None).local_only or bool(start.get("local_only")))
    models = [*(f"{role}={spec}" for role, spec in start["models"].items()), *model]
    _run_agent(start["question"], Path(start["index"]), start["mode"], models, config, strict,
               trace, Path(start["calibration"]) if start.get("calibration") else None, quiet, as_json,
               resume_events=events, retriever=start.get("retriever"), agent_config=start.get("config"))


@app.command()
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
        raise _fail(str(e)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise _fail(f"{trace} is not a readable scent trace ({type(e).__name__}: {e})") from None
    typer.echo(dumps(run))


def _run_agent(question: str, index: Path, mode: str, model: list[str], config: Path | None,
               local_only: bool | None, trace: Path | None, calibration: Path | None, quiet: bool, as_json: bool,
               resume_events: list[dict[str, Any]] | None = None, retriever: str | None = None,
               settings: list[str] | None = None, agent_config: dict[str, Any] | None = None,
               report_format: str = "md", report_out: Path | None = None) -> None:
    from scent.agent import Agent
    from scent.agent.progress import ProgressPrinter
    from scent.agent.resume import ReplayThenLive, recorded_replies
    from scent.config import ROLES
    from scent.eval.calibration import load_calibrator
    from scent.llm import LLMError, load_llm
    from scent.trace import TraceWriter, new_trace_path

    cfg = _config(config, model, local_only, settings)
    if not question.strip():
        raise _fail("the question is empty")
    from pydantic import ValidationError

    from scent.config import AgentConfig

    try:  # a resumed run keeps the settings it started with (its trace's), so its replayed calls line up
        agent_settings = AgentConfig.model_validate(agent_config) if agent_config is not None else cfg.agent
    except ValidationError as e:
        raise _fail(f"the trace's agent settings are not valid: {e}") from None
    try:
        backends: dict[str, Any] = {}  # roles that name the same spec share one backend (one script, one model)
        for spec in dict.fromkeys(getattr(cfg.models, role) for role in ROLES):
            backends[spec] = load_llm(spec, cfg.llm, cfg.local_only)
        llms = {role: backends[getattr(cfg.models, role)] for role in ROLES}
        calibrator = load_calibrator(calibration) if calibration else None
    except (LLMError, OSError, ValueError) as e:
        raise _fail(str(e)) from None
    if resume_events is not None:
        try:
            replies = recorded_replies(resume_events)
        except (KeyError, TypeError) as e:
            raise _fail(f"{trace} is not a readable scent trace ({type(e).__name__}: {e})") from None
        llms = {role: ReplayThenLive(llm, replies) for role, llm in llms.items()}
    typer.echo(f"models: {cfg.models.describe()}", err=True)
    with _open(index, cfg, retriever) as idx:
        if idx.stats()["passages"] == 0:
            raise _fail(f"the index {index} is empty: add documents with `scent index FOLDER --index {index}`")
        try:  # a default name is unique even for runs started in the same second (created exclusively)
            trace = trace or new_trace_path(index / "traces", mode)
            writer = TraceWriter(trace, listeners=[] if quiet else [ProgressPrinter()])
        except OSError as e:
            raise _fail(f"cannot write the trace {trace or index / 'traces'}: {e.strerror or e} (give a writable "
                        "file with --trace)") from None
        if resume_events is not None:
            writer.emit("resume", replies=sum(len(q) for q in replies.values()))
        from scent.index.dense import VectorsError

        try:  # the agent's search tool calls idx.search(query, k): the index carries the retriever
            chosen = idx.resolve()
            if chosen != "bm25":
                idx.embedder()  # fail now, not inside the run, when vectors or the embedder are missing
        except (VectorsError, ValueError) as e:
            raise _fail(str(e)) from None
        typer.echo(f"retriever: {chosen}", err=True)
        agent = Agent(idx, llms, agent_settings, calibrator=calibrator, run_info={
            "index": str(index), "local_only": cfg.local_only, "calibration": str(calibration) if calibration
            else None, "retriever": chosen})
        try:
            answer = agent.run(question, writer, "report" if mode == "report" else "answer")
        finally:
            writer.close()
    if answer.report_data is not None and not as_json and (report_format != "md" or report_out is not None):
        from scent.research.render import write

        where = write(answer.report_data, report_format, report_out)
        if report_out is not None:
            typer.echo(f"report written to {where}", err=True)
        return
    _print_answer(answer.model_dump(), as_json)


REASONS = {"absent": "a key term of the question occurs nowhere in the corpus",
           "no_evidence": "the searches found nothing",
           "ungrounded": "no answer the writer gave occurs in the passages",
           "disagree": "the writer's answers over different passages disagree",
           "low_confidence": "the answer's confidence is below agent.abstain_below",
           "writer_failed": "the writer model failed"}


def _print_answer(answer: dict, as_json: bool) -> None:  # type: ignore[type-arg]
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


from scent.eval.cli import register as _register_eval  # noqa: E402  (score, eval-retrieval, eval, calibrate)

_register_eval(app)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `scent search … | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
