"""Several annotators per example: CROWDLAB consensus labels and annotator quality (cleanlab's
`multiannotator`, with its argument names)."""

from __future__ import annotations

from labelaudit.multiannotator.crowdlab import (
    Crowdlab,
    check_annotations,
    get_label_quality_multiannotator,
    posterior_pred_probs,
)

__all__ = [
    "Crowdlab",
    "check_annotations",
    "get_label_quality_multiannotator",
    "posterior_pred_probs",
]
