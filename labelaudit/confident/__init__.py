"""Confident learning (Northcutt et al. 2021), exact to cleanlab 2.9 and vectorised.

Submodules load on first use, so that `labelaudit.confident.methods` (the method names the CLI's
--help shows) imports without NumPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "FILTER_METHODS": "labelaudit.confident.methods",
    "RANK_METHODS": "labelaudit.confident.methods",
    "ConfidentAnalysis": "labelaudit.confident.filter",
    "find_label_issues": "labelaudit.confident.filter",
    "find_predicted_neq_given": "labelaudit.confident.filter",
    "issue_mask": "labelaudit.confident.filter",
    "num_label_issues": "labelaudit.confident.filter",
    "calibrate_confident_joint": "labelaudit.confident.joint",
    "compute_confident_joint": "labelaudit.confident.joint",
    "estimate_joint": "labelaudit.confident.joint",
    "estimate_latent": "labelaudit.confident.latent",
    "estimate_py_and_noise_matrices_from_probabilities": "labelaudit.confident.latent",
    "get_label_quality_scores": "labelaudit.confident.rank",
    "order_label_issues": "labelaudit.confident.rank",
    "get_confident_thresholds": "labelaudit.confident.thresholds",
}

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

if TYPE_CHECKING:
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
    from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS
    from labelaudit.confident.rank import get_label_quality_scores, order_label_issues
    from labelaudit.confident.thresholds import get_confident_thresholds


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'labelaudit.confident' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
