"""Several annotators per example: CROWDLAB consensus labels and annotator quality (cleanlab's
`multiannotator`, with its argument names)."""

from __future__ import annotations

from labelaudit.multiannotator.crowdlab import (
    Crowdlab,
    check_annotations,
    get_label_quality_multiannotator,
    posterior_pred_probs,
)
from labelaudit.multiannotator.flags import (
    annotator_accuracy,
    consensus_error_posterior,
    flag_consensus,
)

__all__ = [
    "Crowdlab",
    "annotator_accuracy",
    "check_annotations",
    "consensus_error_posterior",
    "flag_consensus",
    "get_label_quality_multiannotator",
    "posterior_pred_probs",
]
