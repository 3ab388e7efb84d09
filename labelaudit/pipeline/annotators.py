"""The multi-annotator task (--annotations): CROWDLAB consensus labels, one report row per example.

consensus_label, consensus_quality_score, annotator_agreement and num_annotations are cleanlab's
`multiannotator.get_label_quality_multiannotator` with its defaults. The usual columns follow
from them, so export, diff, report and the page read the report as a single-label one:
given_label is the consensus, label_quality its consensus_quality_score, suggested_label the
class with the highest CROWDLAB posterior. The flags are multiannotator/flags.py's: each
consensus label's error posterior by Bayes' rule, cut where the expected F1 is highest
(docs/annotators.md).
"""

from __future__ import annotations

import numpy as np

from labelaudit._version import __version__
from labelaudit.report import SCHEMA_VERSION, Report, build_columns

RULE = "expected-F1 cut on the consensus error posterior (docs/annotators.md)"


def audit_annotations(annotations, probs, *, names_given: bool = False, observer=None) -> Report:
    """Audit annotations (io.evidence.Annotations) against probabilities (io.evidence.
    Probabilities, N×K); a Report whose metadata holds the per-annotator statistics.
    names_given: the class names came from --class-names (else from the annotations)."""
    from labelaudit.detectors.base import DetectorResult
    from labelaudit.errors import InvalidInputError
    from labelaudit.io.labels import check_given_names, check_inferred_names, check_same_rows
    from labelaudit.multiannotator.crowdlab import get_label_quality_multiannotator
    from labelaudit.multiannotator.flags import consensus_error_posterior, flag_consensus
    from labelaudit.pipeline.observer import SILENT

    observer = observer or SILENT
    path, source, names = annotations.source, probs.source, annotations.class_names
    check_same_rows(path, annotations.n, source, probs.n)
    spec = names if names_given else None
    check_given_names(names, spec, probs.k, source)
    check_inferred_names(names, spec, probs.k, path, source)
    if probs.k < 2:
        raise InvalidInputError(f"{source} has {probs.k} class column; CROWDLAB needs two or more.")
    P = np.asarray(probs.matrix)
    with observer.stage(
        f"Weighing {len(annotations.annotators)} annotators over {probs.n:,} examples × {probs.k}"
    ):
        crowd = get_label_quality_multiannotator(
            annotations.labels, P, annotators=annotations.annotators, source=path
        )
        error = consensus_error_posterior(annotations.labels, P, crowd.consensus_label)
    quality = crowd.consensus_quality_score
    flagged, ranking, expected_errors = flag_consensus(error, quality)
    result = DetectorResult(
        label_quality=quality,
        is_label_issue=flagged,
        suggested_label=crowd.post_pred_probs.argmax(axis=1).astype(np.int64),
        ranking=ranking,
    )
    columns = build_columns(
        crowd.consensus_label, crowd.post_pred_probs, result, class_names=names,
        ids=annotations.ids,
    )  # fmt: skip
    columns.update(
        consensus_label=crowd.consensus_label,
        consensus_quality_score=quality,
        annotator_agreement=crowd.annotator_agreement,
        num_annotations=crowd.num_annotations,
        consensus_error_posterior=error,
    )
    metadata = _metadata(annotations, crowd, probs.k, int(flagged.sum()))
    metadata["details"]["expected_wrong_consensus"] = expected_errors
    return Report(columns, metadata)


def annotator_rows(crowd) -> list[dict]:
    """One dict per annotator in column order (NaN as None, so the metadata stays JSON)."""
    return [
        {
            "annotator": name,
            "annotator_quality": _number(crowd.annotator_quality[m]),
            "agreement_with_consensus": _number(crowd.agreement_with_consensus[m]),
            "worst_class": int(crowd.worst_class[m]),
            "num_examples_labeled": int(crowd.num_examples_labeled[m]),
            "annotator_weight": _number(crowd.annotator_weight[m]),
        }
        for m, name in enumerate(crowd.annotators)
    ]


def _number(value) -> float | None:
    return None if np.isnan(value) else float(value)


def _metadata(annotations, crowd, k: int, num_issues: int) -> dict:
    n = annotations.n
    return {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "task": "multiannotator",
        "detector": "crowdlab",
        "options": {
            "consensus_method": "best_quality",
            "quality_method": "crowdlab",
            "calibrate_probs": False,
            "flag_rule": RULE,
        },
        "inputs": [],
        "class_names": annotations.class_names,
        "annotations_hold_names": annotations.holds_names,
        "annotations_id_column": annotations.id_column,
        "n": n,
        "k": k,
        "num_issues": num_issues,
        "details": {
            "annotators": annotator_rows(crowd),
            "model_weight": crowd.model_weight,
        },
    }


ANNOTATOR_COLUMNS = (
    "annotator",
    "annotator_quality",
    "agreement_with_consensus",
    "worst_class",
    "num_examples_labeled",
)


def write_annotator_report(report: Report, path) -> None:
    """--annotator-report: one CSV row per annotator in the annotations' column order, cleanlab's
    statistics, NaN as an empty cell; written atomically."""
    import pandas as pd

    from labelaudit.io.atomic import atomic_path

    rows = report.metadata["details"]["annotators"]
    frame = pd.DataFrame(
        {
            "annotator": [r["annotator"] for r in rows],
            "annotator_quality": [_nan(r["annotator_quality"]) for r in rows],
            "agreement_with_consensus": [_nan(r["agreement_with_consensus"]) for r in rows],
            "worst_class": np.array([r["worst_class"] for r in rows], dtype=np.int64),
            "num_examples_labeled": np.array(
                [r["num_examples_labeled"] for r in rows], dtype=np.int64
            ),
        },
        columns=list(ANNOTATOR_COLUMNS),
    )
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)  # floats as repr: they read back exactly


def _nan(value) -> float:
    return np.nan if value is None else float(value)
