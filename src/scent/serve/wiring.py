"""How the servers open an index and the agent's models: the one seam to point at the shared wiring layer
(`scent.app`) once it lands. Same rules as the CLI: every role's model explicit, `local_only` enforced, nothing
silently substituted (a spec that cannot load fails at start, not at the first question)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scent.config import ROLES, RetrievalConfig, ScentConfig


class WiringError(RuntimeError):
    """An index or model that cannot be opened; the message says what to fix."""


def open_index(path: Path, cfg: ScentConfig, retriever: str | None = None) -> Any:
    from scent.index import RETRIEVERS, Index, IndexAccessError, IndexNotFoundError

    retrieval = cfg.retrieval
    if retriever is not None:
        if retriever not in ("auto", *RETRIEVERS):
            raise WiringError(f"unknown retriever {retriever!r}; expected auto, {', '.join(RETRIEVERS)}")
        retrieval = (retrieval or RetrievalConfig()).model_copy(update={"retriever": retriever})
    try:
        return Index.open(path, retrieval=retrieval, embed_config=cfg.embed, local_only=cfg.local_only)
    except (IndexNotFoundError, IndexAccessError) as e:
        raise WiringError(str(e)) from None


def agent_factory(index: Any, cfg: ScentConfig, index_name: str, calibration: Path | None = None) -> Any:
    """A function that makes an `Agent` over `index` with the configured model of each role (loaded once here;
    roles naming the same spec share one backend, as in the CLI)."""
    from scent.agent import Agent
    from scent.eval.calibration import load_calibrator
    from scent.llm import LLMError, load_llm

    try:
        backends = {spec: load_llm(spec, cfg.llm, cfg.local_only)
                    for spec in dict.fromkeys(getattr(cfg.models, role) for role in ROLES)}
        calibrator = load_calibrator(calibration) if calibration else None
    except (LLMError, OSError, ValueError) as e:
        raise WiringError(str(e)) from None
    llms: dict[str, Any] = {role: backends[getattr(cfg.models, role)] for role in ROLES}
    info = {"index": index_name, "local_only": cfg.local_only, "calibration": str(calibration) if calibration
            else None, "retriever": index.resolve()}

    def make() -> Any:
        return Agent(index, llms, cfg.agent, calibrator=calibrator, run_info=info)

    return make
