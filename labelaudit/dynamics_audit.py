"""audit_dynamics(): the library call behind `labelaudit audit --dynamics`.

Runs one or more early-learning detectors over a training-dynamics record and, when
out-of-sample probabilities are given too, combines them with confident learning:

- score: the product of experts. The early-window distribution q (the primary detector's
  evidence) and the cross-validated probabilities p are treated as independent evidence about
  the true class, so P(true = j) ∝ q_j · p_j / prior_j, prior = the given labels' class shares.
  label_quality is this posterior at the given label.
- flag: rows the primary detector flags *and* whose combined posterior prefers another class.
  Confident learning can veto a flag but not add one, so precision does not fall below the
  early-learning detector's; the ranking uses both sources.
- suggestion: the combined posterior's argmax; graded `confident` when the early window backs it
  (detectors/early_learning.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit._version import __version__
from labelaudit.detectors import registry
from labelaudit.detectors.base import DetectorResult, needs_dynamics
from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.report import SCHEMA_VERSION, Report, build_columns

DEFAULT_DYNAMICS_DETECTOR = "elr"
CONFIDENT_LEARNING = "confident_learning"


def audit_dynamics(
    labels: object,
    dynamics: object,
    *,
    detectors: Sequence[str] | None = None,
    pred_probs: object = None,
    kind: str = "auto",
    class_names: list[str] | None = None,
    ids: object = None,
    inputs: list[dict[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Audit labels (N,) against per-epoch outputs and return a Report.

    dynamics: a path (E×N×K .npy, directory of per-epoch .npy, .parquet), an E×N×K array, or a
    labelaudit.dynamics.Dynamics. detectors: names of dynamics detectors, the first one primary
    (its flags, suggestions and grades fill the main columns); default ['elr']. pred_probs:
    optional out-of-sample N×K probabilities to combine with (see module docstring).
    """
    from labelaudit.dynamics import analyse
    from labelaudit.dynamics.source import Dynamics, read_dynamics

    names = list(detectors or [DEFAULT_DYNAMICS_DETECTOR])
    if len(set(names)) != len(names):
        raise ConfigError(f"a detector is named twice: {', '.join(names)}.")
    instances = {}
    for name in names:
        cls = registry.load(name)
        if not needs_dynamics(cls):
            raise ConfigError(
                f"detector {name!r} reads one probability matrix, not training dynamics; with "
                "--dynamics give --pred-probs to combine confident learning instead."
            )
        instances[name] = cls()
    if not isinstance(dynamics, Dynamics):
        dynamics = (
            read_dynamics(Path(dynamics), kind=kind)
            if isinstance(dynamics, (str, Path))
            else _from_array(dynamics, kind)
        )
    y = _check_labels(labels, dynamics.n, dynamics.k, dynamics.source)
    if class_names is not None and len(class_names) != dynamics.k:
        raise InvalidInputError(
            f"{len(class_names)} class names were given but the dynamics have {dynamics.k} classes."
        )
    id_values = None if ids is None else np.asarray(ids)
    if id_values is not None and len(id_values) != len(y):
        raise InvalidInputError(f"{len(id_values)} ids were given for {len(y)} examples.")

    td = analyse(y, dynamics, progress=progress)
    results: dict[str, DetectorResult] = {}
    for name, instance in instances.items():
        result = instance.detect_dynamics(td)
        result.validate(len(y), name)
        results[name] = result
    primary = results[names[0]]
    details: dict[str, Any] = dict(primary.details)
    if pred_probs is not None:
        cl, combined = _combine(y, pred_probs, td, primary, names[0])
        results[CONFIDENT_LEARNING] = cl
        details["confident_learning"] = {
            k: v for k, v in cl.details.items() if k in ("thresholds", "noise_matrix")
        }
        primary = combined

    columns = build_columns(y, None, primary, class_names=class_names, ids=id_values)
    columns["evidence"] = _evidence(results, len(y))
    for name, result in results.items():
        columns[f"score_{name.replace('-', '_')}"] = np.asarray(result.label_quality, np.float64)
    for name in names:
        for column, values in results[name].columns.items():
            columns.setdefault(column, np.asarray(values))
    metadata = {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "detector": names[0] + ("+confident_learning" if pred_probs is not None else ""),
        "options": {
            "detectors": names,
            "combined_with": CONFIDENT_LEARNING if pred_probs is not None else None,
            "dynamics_kind": dynamics.kind,
        },
        "inputs": inputs or [],
        "class_names": class_names,
        "n": len(y),
        "k": dynamics.k,
        "num_issues": int(np.count_nonzero(primary.is_label_issue)),
        "details": details,
    }
    return Report(columns, metadata)


def _from_array(array: object, kind: str):
    from labelaudit.dynamics.source import KINDS, Dynamics, Epoch, epoch_kind

    values = np.asarray(array)
    if values.ndim != 3:
        raise InvalidInputError(
            f"dynamics must be E×N×K (epochs × examples × classes), got shape {values.shape}."
        )
    if kind not in KINDS:
        raise InvalidInputError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    e, n, k = values.shape
    epochs = [Epoch(i, f"epoch {i}", lambda i=i: values[i]) for i in range(e)]
    from labelaudit.dynamics.source import MIN_EPOCHS

    if e < MIN_EPOCHS:
        raise InvalidInputError(
            f"{e} epoch(s) given; early-learning detectors need at least {MIN_EPOCHS}."
        )
    resolved = epoch_kind(np.nan_to_num(values[0])) if kind == "auto" else kind
    return Dynamics(epochs=epochs, n=n, k=k, kind=resolved, source="the dynamics array")


def _check_labels(labels: object, n: int, k: int, source: str) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InvalidInputError(f"labels must be 1-D, got shape {y.shape}.")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            raise InvalidInputError("labels must be whole class indices (found NaN or fractions).")
    elif y.dtype.kind not in "iub":
        raise InvalidInputError(f"labels must be integer class indices, got dtype {y.dtype}.")
    y = y.astype(np.int64)
    if len(y) != n:
        raise InvalidInputError(
            f"{source} has {n} examples per epoch but there are {len(y)} labels; they must "
            "describe the same examples in the same order."
        )
    bad = (y < 0) | (y >= k)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"row {row} has label {y[row]}, outside [0, {k}) for the {k} classes of {source}."
        )
    return y


def _distribution(name: str, td) -> np.ndarray:
    """The early-window class distribution behind a detector's suggestion."""
    if name == "elr":
        return td.elr_target
    if name == "adele":
        return td.snapshot
    return td.mean_probs


def _combine(y, pred_probs, td, primary: DetectorResult, name: str):
    """Confident learning on pred_probs, and the product-of-experts combination with it."""
    from labelaudit.confident._validation import check_inputs
    from labelaudit.detectors.confident_learning import ConfidentLearning
    from labelaudit.detectors.early_learning import window_agrees

    y_checked, P = check_inputs(y, pred_probs, check_values=False)
    if P.shape != (td.n, td.k):
        raise InvalidInputError(
            f"pred_probs have shape {P.shape} but the dynamics describe {td.n} examples × "
            f"{td.k} classes."
        )
    cl = ConfidentLearning().detect(y_checked, P)
    cl.validate(td.n, CONFIDENT_LEARNING)
    P = np.asarray(P, dtype=np.float64)
    prior = np.bincount(y, minlength=td.k) / len(y)
    posterior = _distribution(name, td) * P / np.clip(prior, 1 / len(y), None)
    posterior /= np.clip(posterior.sum(axis=1, keepdims=True), 1e-300, None)
    rows = np.arange(td.n)
    quality = posterior[rows, y]
    best = posterior.argmax(axis=1)
    flag = primary.is_label_issue & (best != y)
    suggestion = np.where(flag, best, y)
    confident = flag & window_agrees(td, suggestion)
    flagged = np.flatnonzero(flag)
    combined = DetectorResult(
        label_quality=quality,
        is_label_issue=flag,
        suggested_label=suggestion,
        ranking=flagged[np.argsort(quality[flagged], kind="stable")],
        details=primary.details,
        confident=confident,
        suggestion_confidence=posterior[rows, suggestion],
        columns=primary.columns,
    )
    return cl, combined


def _evidence(results: dict[str, DetectorResult], n: int) -> np.ndarray:
    """Per row, the comma-separated detectors that flagged it ('' where none did)."""
    names = list(results)
    flags = np.stack([np.asarray(results[name].is_label_issue, bool) for name in names])
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = ",".join(name for name, hit in zip(names, flags[:, i], strict=True) if hit)
    return out
