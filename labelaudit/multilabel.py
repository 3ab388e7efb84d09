"""Multi-label confident learning (cleanlab's `multilabel_classification`): the documented import
path, re-exported from labelaudit.confident.multilabel."""

from labelaudit.confident.multilabel import (
    find_label_issues,
    get_label_quality_scores,
    issues_per_class,
    one_hot,
    row_scores,
)

__all__ = [
    "find_label_issues",
    "get_label_quality_scores",
    "issues_per_class",
    "one_hot",
    "row_scores",
]
