"""Rich progress bars on stderr for `scent index` and `scent eval` (no-ops when disabled)."""

from __future__ import annotations

from typing import Any, ClassVar


class StderrBar:
    """One rich progress task on stderr; subclasses name its columns and feed it. Nothing is imported or drawn
    when disabled."""

    fields: ClassVar[dict[str, Any]] = {}  # the task's custom fields and their start values

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def columns(self, progress: Any) -> list[Any]:
        raise NotImplementedError

    def __enter__(self) -> Any:
        if self.enabled:
            from rich import progress
            from rich.console import Console

            self._bar = progress.Progress(*self.columns(progress), console=Console(stderr=True), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(type(self).__name__, total=None, **self.fields)
        return self

    def update(self, **changes: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, **changes)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


class IndexProgress(StderrBar):
    """Receives the pipeline's (event, value) calls and draws files done / total with a passage count."""

    fields: ClassVar[dict[str, Any]] = {"passages": 0}

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled)
        self.passages = 0

    def columns(self, progress: Any) -> list[Any]:
        return [progress.TextColumn("indexing"), progress.BarColumn(), progress.MofNCompleteColumn(),
                progress.TextColumn("files"), progress.TextColumn("{task.fields[passages]} passages"),
                progress.TimeElapsedColumn()]

    def __call__(self, event: str, value: int) -> None:
        if event == "total":
            self.update(total=value)
        elif event == "file":
            self.passages += value
            self.update(advance=1, passages=self.passages)


class EmbedProgress(StderrBar):
    """Receives `dense.sync`'s (event, value) calls and draws passages embedded / to embed, with the rate."""

    def columns(self, progress: Any) -> list[Any]:
        return [progress.TextColumn("embedding"), progress.BarColumn(), progress.MofNCompleteColumn(),
                progress.TextColumn("passages"), progress.TaskProgressColumn(), rate_column(progress, "passages"),
                progress.TimeRemainingColumn()]

    def __call__(self, event: str, value: int) -> None:
        if event == "total":
            self.update(total=value)
        elif event == "embedded":
            self.update(advance=value)


def rate_column(progress: Any, unit: str) -> Any:
    """A column showing the task's rate, e.g. '41.3 passages/s' (rich's own speed column shows it only for
    tasks without a total); blank until rich has two updates to estimate it from (its last 30 s)."""
    from rich.text import Text

    class RateColumn(progress.ProgressColumn):  # type: ignore[misc]
        def render(self, task: Any) -> Any:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} {unit}/s", style="progress.data.speed")

    return RateColumn()
