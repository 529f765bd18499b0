"""The wiring layer: what every front end (the CLI, the servers, an RL environment) does before the work starts.

    cfg = app.load(config_file, models, local_only, settings)   # scent.toml + environment + flags, once
    idx = app.open_index(path, cfg, retriever)                   # a folder or milvus://HOST:PORT/COLLECTION
    chosen = app.check_retriever(idx)                           # fail now if vectors or the embedder are missing
    llms = app.load_models(cfg)                                  # one backend per role, --local-only enforced

Each raises an `AppError` whose message says what to fix and whose `code` is the CLI's exit status. Nothing
heavy is imported until a function is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.config import ROLES, ConfigError, ScentConfig, load_config

if TYPE_CHECKING:
    from scent.milvus import MilvusLocation
    from scent.protocols import LLM


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


def open_index(path: str | Path, cfg: ScentConfig | None = None, retriever: str | None = None) -> Any:
    """Open the index at `path` — a folder, or `milvus://HOST:PORT/COLLECTION` — with the config's retrieval (and
    `retriever` over it: auto | bm25 | dense | hybrid). It is a `scent.protocols.OpenIndex` (the embedded
    `scent.index.Index` or a `scent.milvus.index.MilvusIndex`); typed Any so that code written against the
    embedded class keeps type-checking — code that may get a Milvus index uses only the protocol's methods."""
    from scent.config import RetrievalConfig
    from scent.index import RETRIEVERS, Index, IndexAccessError, IndexNotFoundError

    retrieval = cfg.retrieval if cfg is not None else None
    if retriever is not None:
        if retriever not in ("auto", *RETRIEVERS):
            raise IndexProblem(f"unknown retriever {retriever!r}; expected auto, {', '.join(RETRIEVERS)}")
        retrieval = (retrieval or RetrievalConfig()).model_copy(update={"retriever": retriever})
    embed_config, local_only = (cfg.embed if cfg is not None else None), bool(cfg is not None and cfg.local_only)
    if is_milvus(path):
        from scent.milvus import MilvusError
        from scent.milvus.index import MilvusIndex

        try:
            return MilvusIndex.open(milvus_location(path), retrieval, embed_config, local_only,
                                    cfg.index.milvus if cfg is not None else None)
        except (MilvusError, IndexNotFoundError) as e:
            raise IndexProblem(str(e)) from None
    try:
        return Index.open(Path(path), retrieval=retrieval, embed_config=embed_config, local_only=local_only)
    except (IndexNotFoundError, IndexAccessError) as e:
        raise IndexProblem(str(e)) from None


def is_milvus(path: str | Path) -> bool:
    """Whether an --index value names a Milvus collection (milvus://HOST:PORT/COLLECTION) rather than a folder."""
    from scent.milvus import is_milvus_uri

    return is_milvus_uri(path)


def milvus_location(path: str | Path) -> MilvusLocation:
    from scent.milvus import MilvusError, parse_uri

    try:
        return parse_uri(path)
    except MilvusError as e:
        raise IndexProblem(str(e)) from None


def index_label(path: str | Path) -> str:
    """How an index is recorded in settings and traces: the Milvus URI, or the folder's absolute path."""
    return str(milvus_location(path)) if is_milvus(path) else str(Path(path).resolve())


def traces_folder(path: str | Path) -> Path:
    """Where runs over an index keep their traces: INDEX/traces for a folder; for a Milvus collection, which has
    no folder, .scent/traces/milvus-HOST-PORT-COLLECTION under the working directory."""
    if not is_milvus(path):
        return Path(path) / "traces"
    from scent.index.layout import DEFAULT_INDEX_DIR

    where = milvus_location(path)
    return Path(DEFAULT_INDEX_DIR) / "traces" / f"milvus-{where.host.strip('[]').replace(':', '_')}-{where.port}-" \
        f"{where.collection}"


def check_retriever(idx: Any) -> str:
    """The retriever the index will use; raises now (not inside a run) when its vectors or embedder are missing."""
    from scent.index.dense import VectorsError

    try:
        chosen: str = idx.resolve()
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
