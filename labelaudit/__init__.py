"""labelaudit: find wrong labels in datasets.

The confident-learning functions take cleanlab 2.9's arguments and return its results exactly,
so `from labelaudit import find_label_issues` can replace `from cleanlab.filter import ...`.
Submodules are imported on first use, so `import labelaudit` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from labelaudit._version import __version__

_EXPORTS = {
    "audit": "labelaudit.pipeline.api",
    "audit_dynamics": "labelaudit.pipeline.api",
    "audit_embeddings": "labelaudit.pipeline.api",
    "run": "labelaudit.pipeline.runner",
    "AuditRequest": "labelaudit.pipeline.request",
    "FeatureSpec": "labelaudit.pipeline.request",
    "Outputs": "labelaudit.pipeline.request",
    "Report": "labelaudit.report",
    "find_label_issues": "labelaudit.confident",
    "find_predicted_neq_given": "labelaudit.confident",
    "get_label_quality_scores": "labelaudit.confident",
    "order_label_issues": "labelaudit.confident",
    "compute_confident_joint": "labelaudit.confident",
    "calibrate_confident_joint": "labelaudit.confident",
    "estimate_joint": "labelaudit.confident",
    "estimate_latent": "labelaudit.confident",
    "estimate_py_and_noise_matrices_from_probabilities": "labelaudit.confident",
    "get_confident_thresholds": "labelaudit.confident",
    "num_label_issues": "labelaudit.confident",
    "Detector": "labelaudit.detectors",
    "DetectorResult": "labelaudit.detectors",
    "LabelAuditError": "labelaudit.errors",
    "InvalidInputError": "labelaudit.errors",
    "ConfigError": "labelaudit.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from labelaudit.confident import (
        calibrate_confident_joint,
        compute_confident_joint,
        estimate_joint,
        estimate_latent,
        estimate_py_and_noise_matrices_from_probabilities,
        find_label_issues,
        find_predicted_neq_given,
        get_confident_thresholds,
        get_label_quality_scores,
        num_label_issues,
        order_label_issues,
    )
    from labelaudit.detectors import Detector, DetectorResult
    from labelaudit.errors import ConfigError, InvalidInputError, LabelAuditError
    from labelaudit.pipeline.api import audit, audit_dynamics, audit_embeddings
    from labelaudit.pipeline.request import AuditRequest, FeatureSpec, Outputs
    from labelaudit.pipeline.runner import run
    from labelaudit.report import Report


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'labelaudit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
