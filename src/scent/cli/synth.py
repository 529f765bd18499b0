"""`scent synth`: verified search tasks from an index's own passages (docs/synth.md). Only typer is imported
here; the work is imported inside the command."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer

from scent.cli.bars import StderrBar
from scent.cli.common import (
    ConfigOption,
    JsonOption,
    LocalOnlyOption,
    ModelOption,
    QuietOption,
    RayAddressOption,
    RayOption,
    RetrieverOption,
    SetOption,
    app_errors,
    fail,
    ray_target,
)


def synth(
    index: Annotated[str, typer.Option("--index", "-i", help="Index folder or milvus://HOST:PORT/COLLECTION whose "
                                       "passages the tasks come from (and that the verification searches).")],
    n: Annotated[int, typer.Option("--n", help="How many verified tasks to make, shared evenly over the kinds.")],
    out: Annotated[Path, typer.Option(help="Tasks file (FlashRAG JSONL, as `scent eval --dataset` reads); the "
                                      "report goes next to it (NAME.report.json, NAME.report.md).")],
    kinds: Annotated[str, typer.Option(help="Comma-separated: single, bridge, comparison, unanswerable.")] = (
        "single,bridge,comparison,unanswerable"),
    seed: Annotated[int, typer.Option(help="Seeds the order candidates are tried in (and the sample).")] = 0,
    hop_k: Annotated[int, typer.Option(help="A bridge task is kept only when its second gold passage is not in "
                                       "the top K of a search with the question alone.", min=1, max=50)] = 5,
    no_model: Annotated[bool, typer.Option("--no-model", help="Skip the two model checks (closed-book with the "
                                           "writer role, the judge role on unanswerable tasks); the report says "
                                           "so.")] = False,
    sample: Annotated[int, typer.Option(help="Random tasks shown in the report with their gold passages.",
                                        min=0)] = 10,
    rephrase: Annotated[bool, typer.Option("--rephrase", help="Have the writer put each accepted question in "
                                           "other words, kept only if it still verifies (docs/synth.md).")] = False,
    model: ModelOption = [],  # noqa: B006
    retriever: RetrieverOption = None,
    config: ConfigOption = None,
    setting: SetOption = [],  # noqa: B006
    local_only: LocalOnlyOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
    ray: RayOption = False,
    ray_address: RayAddressOption = None,
) -> None:
    """Synthesize search tasks (single-hop, bridge, comparison, unanswerable) from an index, each verified: the
    answer is a span of its gold passage, the question does not leak it, the writer model cannot answer it
    closed-book, one search with the question alone does not already rank every gold passage first, unanswerable
    tasks are answered by no passage; duplicates removed. A killed run resumes when run again. With --ray the
    candidates are verified on Ray workers; the tasks and the report are those of the sequential run."""
    from scent import app
    from scent.synth.run import SynthError, parse_kinds, progress_path, report_paths, synthesize
    from scent.synth.verify import Checker

    if n <= 0:
        raise fail(f"--n must be at least 1 (got {n})")
    try:
        chosen_kinds = parse_kinds(kinds)
    except SynthError as e:
        raise fail(str(e)) from None
    if out.is_dir():
        raise fail(f"--out {out} is a folder; give a file name such as {out / 'tasks.jsonl'}")
    if rephrase and (no_model or ray_target(ray, ray_address) is not None):
        raise fail("--rephrase needs the writer model and runs without --ray")
    with app_errors():
        cfg = app.load(config, model, local_only, setting)
        llms = {} if no_model else app.load_models(cfg, ["writer", "judge"])
        opened = app.open_index(index, cfg, retriever)
    with opened as idx:
        with app_errors():
            chosen = app.check_retriever(idx)
        settings: dict[str, Any] = {
            "index": app.index_label(index), "kinds": chosen_kinds, "seed": seed, "hop_k": hop_k,
            "retriever": chosen, "models": {role: llm.spec for role, llm in llms.items()}}
        if rephrase:
            settings["rephrase"] = True
        checker = Checker(idx, llms.get("writer"), llms.get("judge"), hop_k, chosen, rephrase)
        if progress_path(out).exists():
            typer.echo(f"resuming from {progress_path(out)}", err=True)
        session: Any = nullcontext()
        spread = None
        if ray_target(ray, ray_address) is not None:
            from scent.scale.ray_pool import ray_session
            from scent.scale.ray_synth import SynthJob, fan_out

            session = ray_session(ray_address, cfg.ray)
            spread = fan_out(SynthJob(cfg, app.index_label(index), chosen, hop_k, not no_model), cfg.ray)
        with app_errors(), session, _Progress(enabled=not quiet) as progress:
            progress.update(total=n)
            try:
                report = synthesize(idx, checker, n, chosen_kinds, out, settings, seed, sample,
                                    on_decision=progress.decision, verify_many=spread)
            except SynthError as e:
                raise fail(str(e)) from None
            except KeyboardInterrupt:
                raise fail(f"interrupted: the decisions so far are kept in {progress_path(out)}; run the same "
                           "command again to resume", 130) from None
            except OSError as e:
                raise fail(f"cannot write {out}: {e.strerror or e}") from None
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    json_path, md_path = report_paths(out)
    counts = ", ".join(f"{kind} {row['accepted']}" for kind, row in report["kinds"].items())
    typer.echo(f"{report['tasks']} tasks ({counts}) → {out}; report: {md_path}, {json_path}")
    if report["tasks"] < n:
        typer.echo(f"only {report['tasks']} of {n} tasks: the corpus yielded no more candidates that pass; see the "
                   "report's rejections", err=True)


class _Progress(StderrBar):
    """Tasks accepted of those requested, with the last decision."""

    fields: ClassVar[dict[str, Any]] = {"last": ""}

    def columns(self, progress: Any) -> list[Any]:
        return [progress.TextColumn("synth"), progress.BarColumn(), progress.MofNCompleteColumn(),
                progress.TimeElapsedColumn(), progress.TextColumn("{task.fields[last]}")]

    def decision(self, record: dict[str, Any], accepted: int) -> None:
        self.update(completed=accepted, last=f"{record['kind']}: {record['reason'] or 'accepted'}")


def register(cli: typer.Typer) -> None:
    cli.command("synth")(synth)
