"""`scent llm`, `scent models` and `scent config`: one model call, the model of each role, the resolved
configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from scent.cli.common import ConfigOption, JsonOption, LocalOnlyOption, ModelOption, SetOption, app_errors, fail
from scent.cli.output import dumps, plain


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
    from scent import app
    from scent.config import ROLES
    from scent.llm import LLMError

    if role not in ROLES:
        raise fail(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    with app_errors():
        cfg = app.load(config, model, local_only)
    spec = getattr(cfg.models, role)
    try:
        schema_value = json.loads(schema.read_text()) if schema else None
    except (OSError, ValueError) as e:
        raise fail(f"cannot read schema {schema}: {e}") from None
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    typer.echo(f"model: {role}={spec}", err=True)
    try:
        with app_errors(1):
            backend = app.load_model(cfg, role)
        if record:
            from scent.llm.scripted import RecordingLLM

            backend = RecordingLLM(backend, record, role)
        on_token = (lambda t: typer.echo(t, err=True, nl=False)) if stream else None
        reply = backend.complete(messages, schema=schema_value, max_tokens=max_tokens, temperature=temperature,
                                 on_token=on_token)
    except LLMError as e:
        raise fail(str(e), 1) from None
    if as_json:
        typer.echo(dumps(reply.model_dump(mode="json", by_alias=True)))
        return
    typer.echo(dumps(reply.json_value) if schema_value else plain(reply.text))
    typer.echo(f"[{reply.model} · {reply.usage.prompt_tokens} prompt + {reply.usage.completion_tokens} completion "
               f"tokens · {reply.latency_ms / 1000:.1f} s · {reply.attempts} call(s)]", err=True)


def models(
    model: ModelOption = [],  # noqa: B006
    config: ConfigOption = None,
    local_only: LocalOnlyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The model of each role, and the embedded models scent knows (installed or not, size, licence)."""
    from scent import app
    from scent.llm import LLMError, check_local
    from scent.llm.catalog import describe

    with app_errors():
        cfg = app.load(config, model, local_only)
    roles = app.models_settings(cfg)
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


def config_cmd(model: ModelOption = [], config: ConfigOption = None,  # noqa: B006
               local_only: LocalOnlyOption = None, setting: SetOption = [],  # noqa: B006
               as_json: JsonOption = False) -> None:
    """Print the resolved configuration (scent.toml, environment, --model/--local-only/--set), every field with
    what it does."""
    from scent import app

    with app_errors():
        cfg = app.load(config, model, local_only, setting)
    if as_json:
        typer.echo(json.dumps(cfg.model_dump(mode="json"), indent=2))
        return
    typer.echo("\n".join(describe_config(cfg)))


def describe_config(model: Any, section: str = "") -> list[str]:
    """TOML-like lines: `field = value  # description`, a `[section]` per nested settings object."""
    from pydantic import BaseModel

    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            nested.append((name, value))
            continue
        shown = json.dumps(value, ensure_ascii=False) if value is not None else "(unset)"
        note = f"  # {field.description}" if field.description else ""
        lines.append(f"{'' if value is not None else '# '}{name} = {shown}{note}")
    for name, value in nested:
        path = f"{section}.{name}" if section else name
        doc = " ".join((type(value).__doc__ or "").split())
        lines += ["", f"[{path}]  # {doc}", *describe_config(value, path)]
    return lines


def register(cli: typer.Typer) -> None:
    cli.command()(llm)
    cli.command()(models)
    cli.command("config")(config_cmd)
