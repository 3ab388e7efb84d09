"""Confident learning (Northcutt et al. 2021), exact to cleanlab 2.9 and vectorised."""

from labelaudit.confident.filter import (
    ConfidentAnalysis,
    find_label_issues,
    find_predicted_neq_given,
    issue_mask,
    num_label_issues,
)
from labelaudit.confident.joint import (
    calibrate_confident_joint,
    compute_confident_joint,
    estimate_joint,
)
from labelaudit.confident.latent import (
    estimate_latent,
    estimate_py_and_noise_matrices_from_probabilities,
)
from labelaudit.confident.rank import get_label_quality_scores, order_label_issues
from labelaudit.confident.thresholds import get_confident_thresholds
from labelaudit.methods import FILTER_METHODS, RANK_METHODS

__all__ = [
    "FILTER_METHODS",
    "RANK_METHODS",
    "ConfidentAnalysis",
    "calibrate_confident_joint",
    "compute_confident_joint",
    "estimate_joint",
    "estimate_latent",
    "estimate_py_and_noise_matrices_from_probabilities",
    "find_label_issues",
    "find_predicted_neq_given",
    "get_confident_thresholds",
    "get_label_quality_scores",
    "issue_mask",
    "num_label_issues",
    "order_label_issues",
]
