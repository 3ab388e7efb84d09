"""A progress bar on stderr for long steps (folds, batches), silent off a terminal or with --quiet."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from labelaudit.cli import console


@contextlib.contextmanager
def progress_bar(
    description: str, total: int | None, *, quiet: bool
) -> Iterator[Callable[[int], None]]:
    """Yield advance(n): call it as work completes (total None: a count without an end)."""
    if quiet or not console.err.is_terminal:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console.err, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


class Observer:
    """The pipeline's progress (pipeline/observer.py) as spinners and bars on stderr."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def stage(self, message: str):
        return console.stage(message, quiet=self.quiet)

    def progress(self, description: str, total: int):
        return progress_bar(description, total, quiet=self.quiet)
