"""Training dynamics: early-learning detectors over per-epoch outputs, a Report out.

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
from typing import Any

import numpy as np

from labelaudit._version import __version__
from labelaudit.detectors.base import DetectorResult
from labelaudit.errors import InvalidInputError
from labelaudit.report import SCHEMA_VERSION, Report, build_columns

CONFIDENT_LEARNING = "confident_learning"


def classify_dynamics(
    labels: object,
    dynamics,
    *,
    detectors: Sequence[tuple[str, type]],
    pred_probs: object = None,
    confident_learning: dict[str, Any] | None = None,
    class_names: list[str] | None = None,
    ids: object = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Run dynamics detectors (name, class), the first one primary, over labels (N,) and a
    labelaudit.dynamics.Dynamics record; pred_probs (N, K), when given, are combined (module
    docstring). confident_learning: options of the ConfidentLearning run on pred_probs
    (calibrate, min_examples_per_class). The pipeline has checked the detectors (plan.py).
    """
    from labelaudit.confident._validation import as_label_array
    from labelaudit.dynamics import analyse

    cl_options = dict(confident_learning or {})
    names = [name for name, _ in detectors]
    instances = {name: cls() for name, cls in detectors}
    if np.ndim(labels) != 1:
        raise InvalidInputError(f"labels must be 1-D, got shape {np.shape(labels)}.")
    y = as_label_array(labels)  # the count and the range are analyse()'s to check
    if class_names is not None and len(class_names) != dynamics.k:
        raise InvalidInputError(
            f"{len(class_names)} class names were given but the dynamics have {dynamics.k} classes."
        )
    id_values = None if ids is None else np.asarray(ids)
    if id_values is not None and len(id_values) != dynamics.n:
        raise InvalidInputError(f"{len(id_values)} ids were given for {dynamics.n} examples.")

    td = analyse(y, dynamics, progress=progress)
    results: dict[str, DetectorResult] = {}
    for name, instance in instances.items():
        result = instance.detect_dynamics(td)
        result.validate(len(y), name)
        results[name] = result
    primary = results[names[0]]
    details: dict[str, Any] = dict(primary.details)
    if pred_probs is not None:
        cl, combined = _combine(y, pred_probs, td, primary, names[0], cl_options)
        results[CONFIDENT_LEARNING] = cl
        details["confident_learning"] = {
            k: v for k, v in cl.details.items() if k in ("thresholds", "noise_matrix")
        }
        primary = combined

    columns = build_columns(y, None, primary, class_names=class_names, ids=id_values)
    columns["evidence"] = _evidence(results, len(y))
    _explain(columns, td, names, results, primary.is_label_issue, y, class_names)
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
            "confident_learning": cl_options,
            "dynamics_kind": dynamics.kind,
        },
        "inputs": [],
        "class_names": class_names,
        "n": len(y),
        "k": dynamics.k,
        "num_issues": int(np.count_nonzero(primary.is_label_issue)),
        "details": details,
    }
    return Report(columns, metadata)


def _explain(columns, td, names, results, flagged, y, class_names) -> None:
    """explanation (and, combined with pred_probs, given_prob and given_threshold), in place."""
    from labelaudit.pipeline.explain import combined_suffix, dynamics_explanations

    text = dynamics_explanations(td, names[0], results[names[0]], flagged, class_names)
    cl = results.get(CONFIDENT_LEARNING)
    if cl is not None:  # P(given) and cleanlab's threshold, on the out-of-sample probabilities
        t = np.asarray(cl.details["thresholds"], dtype=np.float64)
        columns["given_prob"] = np.asarray(cl.explain["self_confidence"], dtype=np.float64)
        columns["given_threshold"] = t[y]
        rows = np.flatnonzero(flagged)
        for i, extra in zip(
            rows.tolist(), combined_suffix(columns, rows, class_names), strict=True
        ):
            text[i] = f"{text[i]}; {extra}"
    columns["explanation"] = text


def _distribution(name: str, td) -> np.ndarray:
    """The early-window class distribution behind a detector's suggestion."""
    if name == "elr":
        return td.elr_target
    if name == "adele":
        return td.snapshot
    return td.mean_probs


def _combine(y, pred_probs, td, primary: DetectorResult, name: str, cl_options: dict):
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
    cl = ConfidentLearning(**cl_options).detect(y_checked, P)
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
    """Per row, the comma-separated detectors that flagged it ('' where none did).

    Each row's set of flagging detectors is encoded as a bit pattern, so only the patterns
    that occur are turned into strings.
    """
    names = list(results)
    patterns = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        patterns |= np.asarray(results[name].is_label_issue, bool).astype(np.int64) << bit
    seen, inverse = np.unique(patterns, return_inverse=True)
    text = np.array(
        [",".join(name for bit, name in enumerate(names) if p >> bit & 1) for p in seen.tolist()],
        dtype=object,
    )
    return text[inverse] if n else np.empty(0, dtype=object)
