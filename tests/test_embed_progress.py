"""`scent index`'s embedding bar shows the rate in passages/s (issue 25)."""

from __future__ import annotations

from rich import progress

from scent.cli.bars import EmbedProgress, rate_column


def test_rate_column_shows_passages_per_second() -> None:
    clock = [0.0]
    bar = progress.Progress(get_time=lambda: clock[0], disable=True)
    task = bar.add_task("embedding", total=1000)
    column = rate_column(progress, "passages")
    assert column.render(bar.tasks[0]).plain == ""  # no estimate before two updates
    for _ in range(4):
        clock[0] += 2.0
        bar.update(task, advance=100)
    assert column.render(bar.tasks[0]).plain == "50.0 passages/s"


def test_embed_progress_has_a_rate_column() -> None:
    names = [type(c).__name__ for c in EmbedProgress(enabled=False).columns(progress)]
    assert "RateColumn" in names and "TimeRemainingColumn" in names
