"""How the pipeline reports its progress: an Observer the caller supplies (the CLI draws rich
spinners and bars); the library itself never prints."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from typing import Protocol


class Observer(Protocol):
    def stage(self, message: str) -> ContextManager[None]:
        """A step whose length is unknown (reading a file, the audit itself)."""
        ...

    def progress(self, description: str, total: int) -> ContextManager[Callable[[int], None]]:
        """A step of `total` units; the context yields advance(n)."""
        ...


class Silent:
    """The default observer: reports nothing."""

    @contextlib.contextmanager
    def stage(self, message: str) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        yield lambda _n: None


SILENT = Silent()
