"""The regression task: cleanlab's OUTRE label quality, the robust residual rule's flags.

`label_quality` is cleanlab's `regression.rank.get_label_quality_scores(y, yhat)` (method
"outre"); `is_label_issue` is labelaudit.regression.filter's rule (docs/regression.md);
`issue_rank` orders the flagged rows by ascending label_quality (ties by row).
"""

from __future__ import annotations

import numpy as np

from labelaudit._version import __version__
from labelaudit.report import SCHEMA_VERSION, Report


def audit_regression(evidence, *, observer=None) -> Report:
    """Audit evidence (pipeline/loaders/regression.RegressionEvidence); a Report."""
    from labelaudit.pipeline.observer import SILENT
    from labelaudit.regression.filter import WINDOW_EXPONENT, robust_z_scores, threshold
    from labelaudit.regression.rank import get_label_quality_scores

    observer = observer or SILENT
    y, yhat = evidence.labels, evidence.predictions
    n = len(y)
    with observer.stage(f"Auditing {n:,} regression labels"):
        quality = get_label_quality_scores(y, yhat)
        z = robust_z_scores(y, yhat)
    cut = threshold(n)
    flagged = z > cut
    rows = np.flatnonzero(flagged)
    rows = rows[np.argsort(quality[rows], kind="stable")]
    rank = np.zeros(n, dtype=np.int64)
    rank[rows] = np.arange(1, len(rows) + 1)
    columns = {"row": np.arange(n, dtype=np.int64)}
    if evidence.ids is not None:
        columns["id"] = evidence.ids
    columns.update(
        given_label=y,
        suggested_label=yhat,
        residual=y - yhat,
        outlier_z=z,
        label_quality=quality,
        is_label_issue=flagged,
        issue_rank=rank,
    )
    metadata = {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "task": "regression",
        "detector": "outre",
        "options": {
            "label_quality_method": "outre",
            "flag_rule": "robust_residual_z",
            "window_rows": int(np.ceil(n**WINDOW_EXPONENT)) if n else 0,
            "z_threshold": cut,
        },
        "inputs": [],
        "class_names": None,
        "n": n,
        "k": 0,
        "num_issues": int(flagged.sum()),
        "details": {"predictions": evidence.source, "id_column": evidence.id_column},
    }
    return Report(columns, metadata)
