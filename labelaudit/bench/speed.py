"""Library speed: cleanlab 2.9 vs labelaudit on the same arrays, in the same process.

Each measurement is `find_label_issues` followed by `get_label_quality_scores` (what an audit
needs), with cleanlab's default options (n_jobs=None) or filter_by='both'. Times are medians of
`repeat` runs after one warm-up; peak memory is the tracemalloc peak of one extra run (numpy
reports its buffers to tracemalloc), so it counts what each call allocates beyond its inputs
(host memory only: a GPU backend's device memory is not in it).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from labelaudit.bench.data import synthetic


@dataclass(frozen=True)
class SpeedRow:
    n: int
    k: int
    filter_by: str
    cleanlab_s: float
    labelaudit_s: float
    speedup: float
    cleanlab_peak_mb: float
    labelaudit_peak_mb: float
    identical: bool

    def as_dict(self) -> dict:
        return asdict(self)


def machine() -> dict[str, str]:
    import cleanlab

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cleanlab": cleanlab.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cores": str(os.cpu_count()),
        "system": f"{platform.system()} {platform.release()}",
    }


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: imports, caches, first-touch page faults
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


# Where labelaudit's copy of the matrix lives: NumPy, or an array library on its default device
# (CUDA for cupy, CUDA when available for torch). array-api-strict runs the device code path on
# the CPU, so the plumbing is exercised where there is no GPU.
BACKENDS = ("numpy", "torch", "cupy", "array-api-strict")


def on_backend(pred_probs: np.ndarray, backend: str):
    """pred_probs as an array of `backend` (moved once, outside the timings)."""
    from labelaudit.errors import ConfigError

    if backend not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    try:
        if backend == "torch":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
            return torch.from_numpy(pred_probs).to(device)
        if backend == "cupy":
            import cupy

            return cupy.asarray(pred_probs)
        if backend == "array-api-strict":
            import array_api_strict

            return array_api_strict.asarray(pred_probs)
    except ImportError as exc:
        raise ConfigError(f"--backend {backend} needs {exc.name} installed.") from exc
    return pred_probs


def backend_device(backend: str) -> str:
    """Where `backend` puts the matrix, for the printed table."""
    if backend == "torch":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cuda" if backend == "cupy" else "cpu"


def measure(
    n: int, k: int, filter_by: str, *, repeat: int = 3, seed: int = 0, backend: str = "numpy"
) -> SpeedRow:
    """Time both libraries on one synthetic N×K matrix and check they agree exactly; cleanlab
    always reads the NumPy matrix, labelaudit its copy on `backend`."""
    import cleanlab.filter
    import cleanlab.rank

    import labelaudit

    labels, pred_probs = synthetic(n, k, seed=seed)
    ours_probs = on_backend(pred_probs, backend)

    def theirs():
        mask = cleanlab.filter.find_label_issues(labels, pred_probs, filter_by=filter_by)
        return mask, cleanlab.rank.get_label_quality_scores(labels, pred_probs)

    def ours():
        mask = labelaudit.find_label_issues(labels, ours_probs, filter_by=filter_by)
        return mask, labelaudit.get_label_quality_scores(labels, ours_probs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_theirs = _median_time(theirs, repeat)
        t_ours = _median_time(ours, repeat)
        peak_theirs = _peak_mb(theirs)
        peak_ours = _peak_mb(ours)
        (m1, s1), (m2, s2) = theirs(), ours()
    return SpeedRow(
        n=n,
        k=k,
        filter_by=filter_by,
        cleanlab_s=t_theirs,
        labelaudit_s=t_ours,
        speedup=t_theirs / t_ours,
        cleanlab_peak_mb=peak_theirs,
        labelaudit_peak_mb=peak_ours,
        identical=bool(np.array_equal(m1, m2) and np.array_equal(s1, s2)),
    )


@dataclass(frozen=True)
class RuleRow:
    """What labelaudit's adaptive default costs: the confident-learning detector that
    `labelaudit.audit` runs, with no option against `filter_by="prune_by_noise_rate"` (cleanlab's
    default method). The report's explanations are left out: each method explains its flags at
    its own cost (docs/benchmarks.md gives the whole `labelaudit.audit` call too)."""

    n: int
    k: int
    default_s: float
    explicit_s: float
    overhead: float  # default_s / explicit_s − 1
    default_flagged: int
    explicit_flagged: int

    def as_dict(self) -> dict:
        return asdict(self)


def measure_rule(n: int, k: int, *, repeat: int = 3, seed: int = 0) -> RuleRow:
    """Median of `repeat` interleaved runs of each call (interleaved, so a noisy machine slows
    both alike), after one warm-up of each."""
    from labelaudit.detectors.confident_learning import ConfidentLearning

    labels, pred_probs = synthetic(n, k, seed=seed)
    adaptive, pruning = ConfidentLearning(), ConfidentLearning(filter_by="prune_by_noise_rate")

    def default():
        return adaptive.detect(labels, pred_probs)

    def explicit():
        return pruning.detect(labels, pred_probs)

    flagged = [int(call().is_label_issue.sum()) for call in (default, explicit)]
    times: dict[str, list[float]] = {"default": [], "explicit": []}
    for _ in range(repeat):
        for name, call in (("default", default), ("explicit", explicit)):
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    t_default, t_explicit = (statistics.median(times[name]) for name in ("default", "explicit"))
    return RuleRow(
        n=n,
        k=k,
        default_s=t_default,
        explicit_s=t_explicit,
        overhead=t_default / t_explicit - 1,
        default_flagged=flagged[0],
        explicit_flagged=flagged[1],
    )
