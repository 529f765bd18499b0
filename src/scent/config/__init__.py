"""Typed configuration, one object per component: the sections (`scent.config.sections`) assembled into one
`ScentConfig`, read from `scent.toml` and the command line by `load_config`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from scent.config.sections import (
    AGENT_PRESETS,
    DEFAULT_MODEL_SPEC,
    RESEARCH_PRESETS,
    ROLES,
    SUPPORTED_EXTENSIONS,
    AgentConfig,
    BudgetConfig,
    ChunkConfig,
    EmbedConfig,
    EvalConfig,
    IndexConfig,
    IngestConfig,
    LLMConfig,
    MilvusConfig,
    ModelsConfig,
    RayConfig,
    ResearchConfig,
    RetrievalConfig,
    RewardWeights,
    RLConfig,
    SearchConfig,
    merge_settings,
)

__all__ = ["AGENT_PRESETS", "DEFAULT_MODEL_SPEC", "RESEARCH_PRESETS", "ROLES", "SUPPORTED_EXTENSIONS", "AgentConfig",
           "BudgetConfig", "ChunkConfig", "ConfigError", "EmbedConfig", "EvalConfig", "IndexConfig", "IngestConfig",
           "LLMConfig", "MilvusConfig", "ModelsConfig", "RLConfig", "RayConfig", "ResearchConfig", "RetrievalConfig",
           "RewardWeights", "ScentConfig", "SearchConfig", "load_config", "parse_setting"]


class ScentConfig(BaseModel):
    """Everything scent reads from `scent.toml`, the environment (SCENT_VECTORS, SCENT_API_KEY: see the
    sections that use them) and the command line (`--model`, `--local-only`, `--set`), resolved once by
    `load_config`; `scent config` prints it."""

    model_config = {"extra": "forbid"}

    models: ModelsConfig = Field(default_factory=ModelsConfig, description="The model of each agent role.")
    local_only: bool = Field(False, description="Refuse any model endpoint that is not on a loopback address.")
    llm: LLMConfig = Field(default_factory=LLMConfig, description="How model calls are made (all backends).")
    index: IndexConfig = Field(default_factory=IndexConfig, description="Retrieval and dense vectors.")
    agent: AgentConfig = Field(default_factory=AgentConfig, description="How the agent searches and answers.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="How `scent eval` runs and scores.")
    ray: RayConfig = Field(default_factory=RayConfig, description="Ray workers for --ray.")
    rl: RLConfig = Field(default_factory=RLConfig, description="The RL environment: rewards and episode budgets.")

    @property
    def retrieval(self) -> RetrievalConfig:
        return self.index.retrieval

    @property
    def embed(self) -> EmbedConfig:
        return self.index.embed


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says what to fix."""


def load_config(path: Path | None = None, models: Sequence[str] = (), local_only: bool | None = None,
                settings: Sequence[str] = ()) -> ScentConfig:
    """`scent.toml` (the given file, else ./scent.toml if present), then `--model [ROLE=]SPEC` and
    `--set SECTION.FIELD=VALUE` overrides.

    In the file, `[models] default = SPEC` applies to every role not named there."""
    import tomllib

    data: dict[str, Any] = {}
    file = path or (Path("scent.toml") if Path("scent.toml").is_file() else None)
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read config {file}: {e}") from e
    for legacy in ("retrieval", "embed"):  # top-level tables from before [index]
        if legacy in data:
            index = data.setdefault("index", {})
            index[legacy] = merge_settings(data.pop(legacy), index.get(legacy, {}))
    roles = dict(data.pop("models", {}))
    default = roles.pop("default", None)
    for override in models:
        role, sep, spec = override.partition("=")
        if sep and role in ROLES:
            roles[role] = spec
        elif sep and ":" not in role:
            raise ConfigError(f"--model {override!r}: unknown role {role!r}; roles are {', '.join(ROLES)}")
        else:
            default, roles = override, {}
    if default is not None:
        roles = {role: roles.get(role, default) for role in ROLES}
    if local_only is not None:
        data["local_only"] = local_only
    for setting in settings:
        parsed = parse_setting(setting)
        for legacy in ("retrieval", "embed"):  # --set retrieval.rrf_k=… as before [index]
            if legacy in parsed:
                parsed = {"index": {legacy: parsed.pop(legacy)}, **parsed}
        data = merge_settings(data, parsed)
    try:
        return ScentConfig(models=ModelsConfig(**roles), **data)
    except ValidationError as e:
        raise ConfigError(f"invalid configuration{f' in {file}' if file else ''}: {e}") from e


def parse_setting(setting: str) -> dict[str, Any]:
    """`agent.budget.max_steps=30` → {"agent": {"budget": {"max_steps": 30}}}; the value is read as a TOML value
    (number, boolean, quoted string, array), else taken as a bare string."""
    import tomllib

    key, sep, raw = setting.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not sep or not all(parts):
        raise ConfigError(f"--set {setting!r}: expected SECTION.FIELD=VALUE, e.g. agent.views=1")
    try:
        value: Any = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    for part in reversed(parts):
        value = {part: value}
    return dict(value)
