"""`scent score | eval-retrieval | eval | calibrate`. Only typer is imported here; the work is imported inside
each command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer

from scent.cli.bars import StderrBar
from scent.cli.common import ConfigOption, JsonOption, RayAddressOption, RayOption, app_errors, fail, ray_target

RetrieverOption = Annotated[str | None, typer.Option(
    "--retriever", "-r", help="bm25 | dense | hybrid | auto (default: the config's; auto = hybrid when the index "
    "has vectors, else bm25).")]


def score(
    predictions: Annotated[Path, typer.Option(help="JSONL with question, answer (gold), pred_ans, optional judge "
                                                   "or gpt4o_output verdict.")],
    as_json: JsonOption = False,
) -> None:
    """Score a predictions file: EM, F1, cover-EM (official HotpotQA normalisation) and judge accuracy, in %."""
    from scent.eval.datasets import DatasetError
    from scent.eval.score import score_predictions

    try:
        result = score_predictions(predictions)
    except (DatasetError, OSError) as e:
        raise fail(str(e)) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{result['n']} predictions: " + ", ".join(
        f"{label} {result[key]:.1f}" for key, label in (("em", "EM"), ("f1", "F1"), ("cover_em", "cover-EM"),
                                                        ("judge", "judge")) if key in result))


def eval_retrieval(
    beir: Annotated[Path, typer.Option(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv.")],
    retriever: Annotated[str, typer.Option("--retriever", "-r", help="bm25 | dense | hybrid | auto.")] = "bm25",
    index: Annotated[Path | None, typer.Option(help="Keep the corpus index here, a folder or "
                                               "milvus://HOST:PORT/COLLECTION (reused and updated on later runs); "
                                               "default: a temporary folder.")] = None,
    split: Annotated[str, typer.Option(help="Which qrels file.")] = "test",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """nDCG@10 and recall@100 of a retriever on a BEIR set, as pytrec_eval computes them."""
    from scent import app
    from scent.eval.datasets import DatasetError
    from scent.eval.retrieval import eval_retrieval as run

    with app_errors():
        cfg = app.load(config)
    try:
        result = run(beir, retriever, index, cfg, split)
    except (DatasetError, ValueError, OSError, RuntimeError) as e:
        raise fail(str(e)) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{result['dataset']} · {result['retriever']} · {result['queries']} queries, {result['documents']} "
               f"documents: nDCG@10 {result['ndcg@10']:.4f}, recall@100 {result['recall@100']:.4f} "
               f"({result['search_ms_per_query']} ms/query)")


def eval_cmd(
    dataset: Annotated[Path, typer.Option(help="Questions, FlashRAG JSONL (id, question, golden_answers, "
                                               "metadata).")],
    index: Annotated[Path, typer.Option("--index", "-i", help="Index folder the systems search.")],
    out: Annotated[Path, typer.Option(help="Output folder (a re-run resumes it).")],
    systems: Annotated[str, typer.Option(help="Comma-separated: closed-book, rag, rag-plain, agent; a rag system may "
                                         "carry :k=N and :r=RETRIEVER (rag-plain:k=10:r=bm25).")] = (
        "closed-book,rag,rag-plain,agent"),
    model: Annotated[list[str], typer.Option("--model", "-m", help="SPEC for every role, or ROLE=SPEC (as for "
                                             "`scent ask`); closed-book and rag use the writer's model.")] = [],  # noqa: B006
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (after calibration "
                                              "exclusions).", min=1)] = None,
    calibration: Annotated[Path | None, typer.Option(help="Calibrator from `scent calibrate`; the questions it was "
                                                     "fitted on are left out.")] = None,
    eval_config: Annotated[Path | None, typer.Option(help="EvalConfig as TOML or JSON (rag_k, judge, "
                                                     "correct_metric, workers, agent budget …).")] = None,
    workers: Annotated[int | None, typer.Option(help="Questions in parallel (default: 1 for embedded and "
                                                "scripted models, 4 for HTTP servers).", min=1)] = None,
    judge: Annotated[bool | None, typer.Option("--judge/--no-judge", help="Also grade answers with the judge "
                                               "role's model.")] = None,
    retriever: RetrieverOption = None,
    config: ConfigOption = None,
    setting: Annotated[list[str], typer.Option("--set", help="SECTION.FIELD=VALUE over the config file, e.g. "
                                               "agent.views=1 or agent.preset=fast (repeatable).")] = [],  # noqa: B006
    local_only: Annotated[bool | None, typer.Option("--local-only/--no-local-only")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write the PNG plots.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOption = False,
    ray: RayOption = False,
    ray_address: RayAddressOption = None,
) -> None:
    """Run closed-book, rag and the agent on a question set with one model and one index; write results.jsonl,
    summary.json, summary.md, plots and BrowseComp-Plus exports into --out. With --ray the questions run on Ray
    workers (each loads the models and opens the index once); the rows are written in the sequential order."""
    from contextlib import nullcontext

    from scent import app
    from scent.eval.datasets import DatasetError, load_questions
    from scent.eval.report import write_reports
    from scent.eval.run import EvalRun
    from scent.eval.systems import SystemSpec

    names = [s.strip() for s in systems.split(",") if s.strip()]
    if not names:
        raise fail("no system given; expected e.g. closed-book,rag,rag-plain:k=10:r=bm25,agent")
    for name in names:
        try:
            SystemSpec.parse(name)
        except ValueError as e:
            raise fail(str(e)) from None
    with app_errors():
        cfg = app.load(config, model, local_only, setting)
    try:
        eval_cfg, agent_cfg = eval_settings(cfg, eval_config, workers, judge)
        questions = load_questions(dataset)
        calibrator, excluded = _calibration(calibration, questions)
    except (DatasetError, OSError, ValueError) as e:
        raise fail(str(e)) from None
    questions = [q for q in questions if q.id not in excluded][:limit]
    if not questions:
        raise fail("no questions left to evaluate")
    with app_errors():
        llms = app.load_models(cfg)
        opened = app.open_index(index, cfg, retriever)
    with opened as idx:
        with app_errors():
            chosen = app.check_retriever(idx)
        settings = {"dataset": str(dataset.resolve()), "index": app.index_label(index),
                    "models": app.models_settings(cfg), "systems": names,
                    "retriever": chosen, "calibration": str(calibration.resolve()) if calibration else None,
                    "excluded_for_calibration": len(excluded),
                    "config": {**eval_cfg.model_dump(exclude={"workers"}), "agent": agent_cfg.model_dump()}}
        runner = EvalRun(out, idx, llms, eval_cfg, settings, calibrator, agent=agent_cfg)
        typer.echo(f"{len(questions)} questions × {', '.join(names)} · retriever {chosen} · models: "
                   f"{cfg.models.describe()}", err=True)
        session: Any = nullcontext()
        spread = None
        if ray_target(ray, ray_address) is not None:
            from scent.scale.ray_eval import EvalJob, fan_out
            from scent.scale.ray_pool import ray_session

            session = ray_session(ray_address, cfg.ray)
            spread = fan_out(EvalJob(cfg, app.index_label(index), retriever, eval_cfg, agent_cfg, settings,
                                     str(calibration.resolve()) if calibration else None), cfg.ray)
        with app_errors(), session, _Progress(enabled=not quiet) as progress:
            try:
                runner.run(questions, names, on_start=progress.start, on_row=progress.advance, fan_out=spread)
            except ValueError as e:
                raise fail(str(e)) from None
    summary = write_reports(out, plots=plots)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        typer.echo((out / "summary.md").read_text())
    errors = sum(s.get("errors", 0) for s in summary["systems"].values())
    if errors:
        typer.echo(f"{errors} rows ended in an error (see results.jsonl); a re-run retries them", err=True)


def calibrate_cmd(
    results: Annotated[Path, typer.Option(help="An eval output folder (its results.jsonl).")],
    out: Annotated[Path, typer.Option(help="Where to write the fitted calibrator (JSON).")],
    method: Annotated[str, typer.Option(help="platt | isotonic.")] = "platt",
    fit_share: Annotated[float, typer.Option(help="Share of the run's questions to fit on (split by a hash of "
                                             "the id); the rest is scored before/after as held out.",
                                             min=0.05, max=1.0)] = 1.0,
    strength: Annotated[float, typer.Option(help="Platt: pull towards the current weights (prior precision).",
                                            min=0.0)] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Fit the agent's confidence mapping on one eval run's agent rows; later runs use it with --calibration and
    leave out the questions it was fitted on."""
    from scent.eval.calibration import calibrate

    if method not in ("platt", "isotonic"):
        raise fail(f"unknown method {method!r}; expected platt or isotonic")
    try:
        fitted, report = calibrate(results, method, fit_share, strength)  # type: ignore[arg-type]
    except (OSError, ValueError) as e:
        raise fail(str(e)) from None
    fitted.save(out)
    if as_json:
        typer.echo(json.dumps({"calibrator": str(out), **report}, indent=2))
        return
    typer.echo(f"fitted {method} on {report['fitted_answers']} answers of {report['fitted_questions']} questions "
               f"({100 * report['share_correct']:.0f}% correct) → {out}")
    for label, key in (("in-sample (not a result)", "in_sample"), ("held out", "held_out")):
        before, after = report[f"{key}_before"], report[f"{key}_after"]
        if before:
            typer.echo(f"  {label}, {before['n']} questions: ECE {before['ece']:.3f} → {after['ece']:.3f}, "
                       f"Brier {before['brier']:.3f} → {after['brier']:.3f}")
    typer.echo(f"`scent eval --calibration {out}` leaves these {report['fitted_questions']} questions out", err=True)


def eval_settings(cfg: Any, path: Path | None, workers: int | None, judge: bool | None) -> tuple[Any, Any]:
    """(EvalConfig, AgentConfig) of a run: scent.toml's `[eval]` and `[agent]` (with --set), then the
    `--eval-config` file (its `agent` table replaces `[agent]`), then --workers / --judge."""
    from scent.config import AgentConfig, EvalConfig

    data: dict[str, Any] = {}
    if path is not None:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    agent = data.pop("agent", None)
    data = {**cfg.eval.model_dump(exclude_unset=True), **data}
    if workers is not None:
        data["workers"] = workers
    if judge is not None:
        data["judge"] = judge
    return EvalConfig.model_validate(data), AgentConfig.model_validate(agent) if agent is not None else cfg.agent


def _calibration(path: Path | None, questions: list[Any]) -> tuple[Any, set[str]]:
    """The calibrator and the ids of the dataset's questions it was fitted on (left out, and said so)."""
    if path is None:
        return None, set()
    from scent.agent.calibrate import load_calibrator

    calibrator = load_calibrator(path)
    fitted = set(getattr(calibrator, "question_ids", []))
    if not fitted:
        typer.echo(f"warning: {path} does not record the questions it was fitted on; scent cannot check that "
                   "they are not among these", err=True)
    excluded = {q.id for q in questions if q.id in fitted}
    if excluded:
        typer.echo(f"leaving out {len(excluded)} questions that {path} was fitted on", err=True)
    return calibrator, excluded


class _Progress(StderrBar):
    """Progress over the pending question × system pairs, with the last row's verdict."""

    fields: ClassVar[dict[str, Any]] = {"last": ""}

    def columns(self, progress: Any) -> list[Any]:
        return [progress.TextColumn("eval"), progress.BarColumn(), progress.MofNCompleteColumn(),
                progress.TimeElapsedColumn(), progress.TextColumn("{task.fields[last]}")]

    def start(self, total: int) -> None:
        self.update(total=total)

    def advance(self, row: dict[str, Any]) -> None:
        verdict = "✓" if row["metrics"]["correct"] else "abstained" if row["abstained"] else "✗"
        self.update(advance=1, last=f"{row['id']} {row['system']} {verdict}")


def register(cli: typer.Typer) -> None:
    cli.command("score")(score)
    cli.command("eval-retrieval")(eval_retrieval)
    cli.command("eval")(eval_cmd)
    cli.command("calibrate")(calibrate_cmd)
