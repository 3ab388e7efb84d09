"""Regression label audits: cleanlab's OUTRE label quality and a stated outlier rule for flags."""

from __future__ import annotations

from labelaudit.regression.filter import find_label_issues, robust_z_scores
from labelaudit.regression.rank import check_inputs, get_label_quality_scores

__all__ = ["check_inputs", "find_label_issues", "get_label_quality_scores", "robust_z_scores"]
