"""The library's conveniences over run(): arrays (or paths) in, a Report out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from labelaudit.pipeline.request import DEFAULT_DETECTOR, AuditRequest
from labelaudit.pipeline.runner import run


def audit(
    labels: object,
    pred_probs: object,
    *,
    detector: str = DEFAULT_DETECTOR,
    filter_by: str | None = None,
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | int | None = None,
    min_examples_per_class: int = 1,
    calibrate: bool = True,
    detector_options: dict[str, Any] | None = None,
    class_names: Sequence[str] | None = None,
    ids: object = None,
    members: list[Any] | None = None,
    device: str = "cpu",
) -> Any:
    """Audit labels (N,) against out-of-sample pred_probs (N, K) and return a Report.

    The confident-learning options (filter_by ... calibrate) are cleanlab's; any explicit
    filter_by gives exactly cleanlab's answer on pred_probs, and filter_by=None is labelaudit's
    default (docs/benchmarks.md). `members`: the ensemble's N×K matrices, pred_probs being their
    mean; labelaudit's default then estimates the label noise from each member. Other detectors
    get their options through detector_options. class_names (K) and ids (N) are carried into the
    report. device='cuda' (or 'auto') moves NumPy probabilities to a GPU through CuPy or
    PyTorch; arrays of those libraries are used where they are. Every device gives the same
    answer.
    """
    options = dict(
        filter_by=filter_by,
        rank_by=rank_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        calibrate=calibrate,
    )
    request = AuditRequest(
        labels=labels,
        pred_probs=tuple(members) if members is not None and len(members) > 1 else (pred_probs,),
        class_names=None if class_names is None else tuple(class_names),
        ids=ids,
        detectors=(detector,),
        options=options if detector == DEFAULT_DETECTOR else {},
        detector_options=detector_options or {},
        device=device,
    )
    return run(request)


def audit_dynamics(
    labels: object,
    dynamics: object,
    *,
    detectors: Sequence[str] | None = None,
    pred_probs: object = None,
    confident_learning: dict[str, Any] | None = None,
    kind: str = "auto",
    class_names: Sequence[str] | None = None,
    ids: object = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Audit labels (N,) against per-epoch outputs and return a Report.

    dynamics: a path (E×N×K .npy, directory of per-epoch .npy, .parquet), an E×N×K array, or a
    labelaudit.dynamics.Dynamics. detectors: dynamics detectors, the first one primary (its
    flags, suggestions and grades fill the main columns); default ['elr']. pred_probs: optional
    out-of-sample N×K probabilities to combine with (pipeline/dynamics.py). confident_learning:
    options of the confident-learning run on pred_probs (calibrate, min_examples_per_class).
    progress(done, total) is called as the epochs are read.
    """
    request = AuditRequest(
        labels=labels,
        dynamics=dynamics,
        dynamics_kind=kind,
        pred_probs=() if pred_probs is None else (pred_probs,),
        class_names=None if class_names is None else tuple(class_names),
        ids=ids,
        detectors=tuple(detectors or ()),
        options=dict(confident_learning or {}),
    )
    return run(request, _Callback(progress))


class _Callback:
    """An observer that forwards progress as progress(done, total)."""

    def __init__(self, progress: Callable[[int, int], None] | None) -> None:
        self._progress = progress

    @contextlib.contextmanager
    def stage(self, message: str) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        state = {"done": 0}

        def advance(n: int) -> None:
            state["done"] += n
            if self._progress is not None:
                self._progress(state["done"], total)

        yield advance


def audit_embeddings(
    labels: object,
    embeddings: object,
    *,
    model: str = "auto",
    folds: int = 5,
    seed: int = 0,
    duplicates: bool = False,
    class_names: Sequence[str] | None = None,
    ids: object = None,
    **options: Any,
) -> Any:
    """Audit labels (N,) with out-of-sample probabilities from N×D embeddings (arrays or
    paths): model "knn", "probe" or "auto" (predict/embeddings.py). `options` are confident
    learning's (filter_by, rank_by, ...), as in labelaudit.audit. metadata["embeddings"] records
    the model chosen, its settings and both log-losses, and the near-duplicate threshold behind
    the `conflicting_duplicate_of` column; duplicates adds `duplicate_of` (identical copies with
    the same label, predict/duplicates.py)."""
    from labelaudit.pipeline.request import EmbeddingSpec

    spec = EmbeddingSpec(embeddings, model=model, folds=folds, seed=seed, duplicates=duplicates)
    request = AuditRequest(
        labels=labels,
        embeddings=spec,
        class_names=None if class_names is None else tuple(class_names),
        ids=ids,
        options=options,
    )
    return run(request)
