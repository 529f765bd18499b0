"""How the servers open an index and the agent's models: through the shared wiring layer (`scent.app`), as the
CLI does — every role's model explicit, `local_only` enforced, nothing silently substituted (a spec that cannot
load fails at start, not at the first question)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scent import app
from scent.config import ScentConfig


class WiringError(RuntimeError):
    """An index or model that cannot be opened; the message says what to fix."""


def open_index(path: Path, cfg: ScentConfig, retriever: str | None = None) -> Any:
    try:
        index = app.open_index(path, cfg, retriever)
        app.check_retriever(index)
    except app.AppError as e:
        raise WiringError(str(e)) from None
    return index


def load_agent_models(cfg: ScentConfig, calibration: Path | None = None) -> tuple[dict[str, Any], Any]:
    """(role → model, calibrator or None), loaded once and shared by the agents of every served index."""
    from scent.agent.calibrate import load_calibrator

    try:
        llms = app.load_models(cfg)
        calibrator = load_calibrator(calibration) if calibration else None
    except (app.AppError, OSError, ValueError) as e:
        raise WiringError(str(e)) from None
    return llms, calibrator


def agent_factory(index: Any, cfg: ScentConfig, index_name: str, models: tuple[dict[str, Any], Any],
                  calibration: Path | None = None) -> Any:
    """A function that makes an `Agent` over `index` with the loaded models (`load_agent_models`). Its traces name
    the index by its served name and the calibrator by its file name: no path of the server's disk reaches a
    client through `run_start`."""
    llms, calibrator = models
    info = {"index": index_name, "local_only": cfg.local_only, "calibration": calibration.name if calibration
            else None, "retriever": index.resolve()}

    def make() -> Any:
        return app.make_agent(cfg, index, llms=llms, calibrator=calibrator, run_info=info)

    return make
