"""The local engines: this process, with the matrix in memory or streamed from a memory map."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from labelaudit.io.evidence import Probabilities


class LocalEngine:
    """`memory` loads every input whole; `stream` maps .npy files with a bounded resident set and
    reads Parquet in blocks (docs/scaling.md). Both give the same answer."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self.in_memory = in_memory
        self.name = "memory" if in_memory else "stream"

    def describe(self) -> str:
        return "this process"

    @contextlib.contextmanager
    def session(self, sources: Sequence[Any]) -> Iterator[None]:
        from labelaudit.io.stream import bounded_residency

        with bounded_residency():
            yield

    def probabilities(
        self,
        sources: Sequence[Any],
        *,
        logits: bool = False,
        multi_label: bool = False,
        block_rows: int | None = None,
    ) -> Probabilities:
        """Read (files) or take (arrays) each member; an ensemble is averaged (ensemble_mean)."""
        from labelaudit.io.probabilities import ensemble_mean, read_members

        if all(isinstance(s, (str, Path)) for s in sources):
            paths = [Path(s) for s in sources]
            members = read_members(
                paths,
                logits=logits,
                multi_label=multi_label,
                in_memory=self.in_memory,
                block_rows=block_rows,
            )
            return Probabilities(ensemble_mean(members), members, [str(p) for p in paths], True)
        members = [_as_matrix(s, logits, multi_label) for s in sources]
        matrix = members[0] if len(members) == 1 else ensemble_mean(members)
        return Probabilities(matrix, members, [], False)


def _as_matrix(source: Any, logits: bool, multi_label: bool) -> Any:
    """An in-memory member as given (checked inside the detector's first pass), after the softmax
    or sigmoid for logits."""
    if isinstance(source, (str, Path)):
        from labelaudit.errors import ConfigError

        raise ConfigError("give pred_probs as all arrays or all file paths, not a mix.")
    if not logits:
        return source
    import numpy as np

    from labelaudit.io.probabilities import sigmoid, softmax

    matrix = np.asarray(source, dtype=np.float64)
    return sigmoid(matrix) if multi_label else softmax(matrix)
