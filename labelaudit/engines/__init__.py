"""Where the passes over the probabilities run: engines are strategies under one pipeline.

- memory: the whole matrix in this process's memory (`--in-memory`);
- stream: .npy files memory-mapped with a bounded resident set, Parquet read in blocks;
- dask: the matrix stays on a Dask cluster (`--engine dask`).

Each one opens probabilities (one model or an ensemble, logits, multi-label sets) into the same
`io.evidence.Probabilities` and runs the same detectors, so the reports are identical.
"""

from __future__ import annotations

from typing import Any

ENGINES = ("local", "dask")


def select(engine: str, *, in_memory: bool = False, scheduler: str | None = None) -> Any:
    """The engine strategy for `--engine` and `--in-memory`."""
    if engine == "dask":
        from labelaudit.engines.dask_engine import DaskEngine

        return DaskEngine(scheduler)
    from labelaudit.engines.local import LocalEngine

    return LocalEngine(in_memory=in_memory)
