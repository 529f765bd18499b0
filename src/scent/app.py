"""The wiring layer: what every front end (the CLI, the servers, an RL environment) does before the work starts.

    cfg = app.load(config_file, models, local_only, settings)   # scent.toml + environment + flags, once
    idx = app.open_index(path, cfg, retriever)                   # a folder or milvus://HOST:PORT/COLLECTION
    chosen = app.check_retriever(idx)                           # fail now if vectors or the embedder are missing
    llms = app.load_models(cfg)                                  # one backend per role, --local-only enforced
    agent = app.make_agent(cfg, idx, llms=llms, calibration=path)  # the one way to build an agent

Each raises an `AppError` whose message says what to fix and whose `code` is the CLI's exit status. Nothing
heavy is imported until a function is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.config import ROLES, ConfigError, ScentConfig, load_config

if TYPE_CHECKING:
    from scent.agent import Agent
    from scent.agent.calibrate import Calibrator
    from scent.config import AgentConfig
    from scent.protocols import LLM, Index, IndexBackend, OpenIndex


class AppError(Exception):
    """Something the user can fix (a config, a path, a model spec); `code` is the exit status to use."""

    code = 2

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigProblem(AppError):
    """scent.toml or a flag cannot be used."""


class IndexProblem(AppError):
    """No index at that path, an index that cannot be read, or an unknown retriever."""


class ModelProblem(AppError):
    """A model spec that cannot load, or one that local-only mode refuses."""


def load(config: Path | None = None, models: list[str] | tuple[str, ...] = (), local_only: bool | None = None,
         settings: list[str] | tuple[str, ...] = ()) -> ScentConfig:
    """The resolved configuration: `config` (default ./scent.toml), then `--model`, `--local-only`, `--set`."""
    try:
        return load_config(config, models, local_only, settings)
    except ConfigError as e:
        raise ConfigProblem(str(e)) from None


def strict_local(cfg: ScentConfig, recorded: bool, flag: bool | None) -> bool:
    """Local-only for a run resumed from a trace: the flag when given, else on if the config or the recorded run
    says so (a trace is a file anyone may edit: it may name models, never loosen this machine's setting)."""
    return flag if flag is not None else cfg.local_only or recorded


def open_index(path: str | Path, cfg: ScentConfig | None = None, retriever: str | None = None) -> OpenIndex:
    """Open the index at `path` — a folder, `milvus://HOST:PORT/COLLECTION`, or any scheme in
    `scent.backends.BACKENDS` — with the config's retrieval (and `retriever` over it: auto | bm25 | dense |
    hybrid)."""
    from scent.backends import BackendError, backend_for
    from scent.index import RETRIEVERS

    if retriever is not None and retriever not in ("auto", *RETRIEVERS):
        raise IndexProblem(f"unknown retriever {retriever!r}; expected auto, {', '.join(RETRIEVERS)}")
    try:
        return backend_for(path).open(str(path), cfg, retriever)
    except BackendError as e:
        raise IndexProblem(str(e)) from None


def index_backend(path: str | Path) -> IndexBackend:
    """The backend of an --index value (by its URI scheme; a plain path is a folder)."""
    from scent.backends import BackendError, backend_for

    try:
        return backend_for(path)
    except BackendError as e:
        raise IndexProblem(str(e)) from None


def index_label(path: str | Path) -> str:
    """How an index is recorded in settings and traces: the Milvus URI, or the folder's absolute path."""
    from scent.backends import BackendError

    try:
        return index_backend(path).label(str(path))
    except BackendError as e:
        raise IndexProblem(str(e)) from None


def traces_folder(path: str | Path) -> Path:
    """Where runs over an index keep their traces: INDEX/traces for a folder; for a Milvus collection, which has
    no folder, .scent/traces/milvus-HOST-PORT-COLLECTION under the working directory."""
    from scent.backends import BackendError

    try:
        return index_backend(path).traces_folder(str(path))
    except BackendError as e:
        raise IndexProblem(str(e)) from None


def check_retriever(idx: OpenIndex) -> str:
    """The retriever the index will use; raises now (not inside a run) when its vectors or embedder are missing."""
    from scent.index.dense import VectorsError

    try:
        chosen = idx.resolve()
        if chosen != "bm25":
            idx.embedder()
    except (VectorsError, ValueError) as e:
        raise IndexProblem(str(e)) from None
    return chosen


def load_model(cfg: ScentConfig, role: str) -> LLM:
    """The backend of one role."""
    if role not in ROLES:
        raise ModelProblem(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    return load_models(cfg, [role])[role]


def load_models(cfg: ScentConfig, roles: list[str] | tuple[str, ...] = ROLES) -> dict[str, LLM]:
    """One backend per role; roles that name the same spec share one backend (one script, one loaded model)."""
    from scent.llm import LLMError, load_llm

    specs = {role: getattr(cfg.models, role) for role in roles}
    try:
        backends = {spec: load_llm(spec, cfg.llm, cfg.local_only) for spec in dict.fromkeys(specs.values())}
    except LLMError as e:
        raise ModelProblem(str(e)) from None
    return {role: backends[spec] for role, spec in specs.items()}


def models_settings(cfg: ScentConfig) -> dict[str, str]:
    """role → spec, as recorded in traces and eval runs."""
    return {role: getattr(cfg.models, role) for role in ROLES}


def make_agent(cfg: ScentConfig | None, index: Index, *, llms: dict[str, LLM] | None = None,
               calibration: str | Path | None = None, calibrator: Calibrator | None = None,
               agent_config: AgentConfig | None = None, run_info: dict[str, Any] | None = None) -> Agent:
    """The one way to build an agent (the CLI, the servers, MCP, eval and the Ray workers all use it): `index`,
    one model per role (`llms`, else loaded from `cfg`), a calibrator (`calibrator`, else the file `calibration`
    written by `scent calibrate`, else the default), the agent's settings (`agent_config`, else `cfg.agent`) and
    what its traces record about the run (`run_info`). A report is `scent.research.run.Researcher(agent)`."""
    from scent.agent import Agent
    from scent.agent.calibrate import load_calibrator

    if cfg is None and (llms is None or agent_config is None):
        raise ConfigProblem("make_agent needs a config, or both the models and the agent's settings")
    if llms is None:
        assert cfg is not None
        llms = load_models(cfg)
    if calibrator is None and calibration is not None:
        try:
            calibrator = load_calibrator(calibration)
        except (OSError, ValueError) as e:
            raise ConfigProblem(f"cannot load the calibrator {calibration}: {e}") from None
    settings = agent_config if agent_config is not None else cfg.agent if cfg is not None else None
    return Agent(index, dict(llms), settings, calibrator=calibrator, run_info=run_info)
