"""Single-label classification: one detector over labels (N,) and probabilities (N, K), a Report out."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelaudit._version import __version__
from labelaudit.confident._validation import check_inputs
from labelaudit.detectors import registry
from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.pipeline.request import DEFAULT_DETECTOR
from labelaudit.report import SCHEMA_VERSION, Report, build_columns


def classify(
    labels: object,
    pred_probs: object,
    *,
    detector: str = DEFAULT_DETECTOR,
    filter_by: str | None = None,
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    calibrate: bool = True,
    detector_options: dict[str, Any] | None = None,
    class_names: list[str] | None = None,
    ids: object = None,
    members: list[np.ndarray] | None = None,
    device: str = "cpu",
    check_order_of: str | None = None,
) -> Report:
    """Run one detector over labels (N,) and out-of-sample pred_probs (N, K); a Report.

    The confident-learning options (filter_by ... calibrate) are cleanlab's; other detectors get
    their own keyword options through detector_options. filter_by=None is labelaudit's default:
    cleanlab's prune_by_noise_rate, except that when `members` (the ensemble's probability
    matrices, pred_probs being their mean) are given, the number of issues per (given, true)
    pair is the members' mean estimate (see confident/ensemble.py). Any explicit filter_by gives
    exactly cleanlab's answer on pred_probs. class_names (K names) and ids (N values)
    are carried into the report. device='cuda'
    (or 'auto') moves NumPy probabilities to a GPU through CuPy or PyTorch; arrays of those
    libraries are used where they are. Every device gives the same answer. check_order_of names
    the probabilities' source when the class order is to be checked (io/class_order.py); the
    check runs after detection, on the detector's own argmax, so it costs no extra pass.
    """
    if device != "cpu" and isinstance(pred_probs, np.ndarray):
        from labelaudit.backend import place

        pred_probs = place(pred_probs, device)
    # Confident learning checks the values inside its own first pass over the matrix.
    y, P = check_inputs(labels, pred_probs, check_values=detector != DEFAULT_DETECTOR)
    n, k = P.shape
    if class_names is not None and len(class_names) != k:
        raise InvalidInputError(
            f"{len(class_names)} class names were given but the probabilities have {k} columns."
        )
    id_values = None if ids is None else np.asarray(ids)
    if id_values is not None and len(id_values) != n:
        raise InvalidInputError(f"{len(id_values)} ids were given for {n} examples.")

    options = _detector_options(
        detector,
        dict(
            filter_by=filter_by,  # None: labelaudit's adaptive default (docs/default-rule.md)
            rank_by=rank_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            calibrate=calibrate,
        ),
        detector_options,
        members,
    )
    try:
        instance = registry.load(detector)(**options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"detector {detector!r} rejected its options: {exc}") from exc
    result = instance.detect(y, P)
    options.pop("members", None)
    if detector == DEFAULT_DETECTOR:
        rule = result.details.get("default_rule")
        options["joint"] = rule["joint"] if rule else "pred_probs"
    result.validate(n, detector)
    if check_order_of is not None:
        from labelaudit.io.class_order import check_class_order

        check_class_order(
            y, P, source=check_order_of, class_names=class_names, argmax=result.predicted_label
        )

    columns = build_columns(y, P, result, class_names=class_names, ids=id_values)
    add_explanations(columns, y, P, result, detector, options, class_names, members)
    return Report(columns, _metadata(detector, options, class_names, n, k, result))


def add_explanations(columns, y, P, result, detector, options, class_names, members) -> None:
    """given_prob, given_threshold and explanation (pipeline/explain.py), in place."""
    from labelaudit.pipeline.explain import classification_explanations, given_columns

    facts = result.explain
    if "self_confidence" in facts:  # the detector's own P[i, y_i] and cleanlab thresholds
        t = np.asarray(result.details["thresholds"], dtype=np.float64)
        columns["given_prob"] = np.asarray(facts["self_confidence"], dtype=np.float64)
        columns["given_threshold"] = t[y]
    else:
        columns.update(given_columns(y, P))
    columns["explanation"] = classification_explanations(
        columns,
        P,
        result,
        detector=detector,
        options=options,
        class_names=class_names,
        members=members,
    )


def _detector_options(detector, cl_options, detector_options, members) -> dict[str, Any]:
    """Keyword options for the detector: cleanlab's for confident learning (plus the ensemble
    members under the adaptive default), else the detector's own."""
    if detector != DEFAULT_DETECTOR:
        return dict(detector_options or {})
    options = {**cl_options, **(detector_options or {})}
    if cl_options["filter_by"] is None and members is not None and len(members) > 1:
        options["members"] = members
    return options


def _metadata(detector, options, class_names, n: int, k: int, result) -> dict[str, Any]:
    """The report's metadata; the pipeline adds inputs and provenance (pipeline/provenance.py)."""
    return {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "detector": detector,
        "options": options,
        "inputs": [],
        "class_names": class_names,
        "n": n,
        "k": k,
        "num_issues": int(np.count_nonzero(result.is_label_issue)),
        "details": result.details,
    }
