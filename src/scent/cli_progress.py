"""A rich progress bar on stderr for `scent index` (a no-op when disabled)."""

from __future__ import annotations

from typing import Any


class IndexProgress:
    """Receives the pipeline's (event, value) calls and draws files done / total with a passage count."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.passages = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> IndexProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                                 TextColumn("{task.fields[passages]} passages"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("index", total=None, passages=0)
        return self

    def __call__(self, event: str, value: int) -> None:
        if self._bar is None:
            return
        if event == "total":
            self._bar.update(self._task, total=value)
        elif event == "file":
            self.passages += value
            self._bar.update(self._task, advance=1, passages=self.passages)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


class EmbedProgress:
    """Receives `dense.sync`'s (event, value) calls and draws passages embedded / to embed, with the rate."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> EmbedProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("passages"),
                                 TaskProgressColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                 transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("embed", total=None)
        return self

    def __call__(self, event: str, value: int) -> None:
        if self._bar is None:
            return
        if event == "total":
            self._bar.update(self._task, total=value)
        elif event == "embedded":
            self._bar.update(self._task, advance=value)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
