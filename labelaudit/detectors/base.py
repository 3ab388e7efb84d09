"""The Detector contract: labels and arrays in; a score, a flag and a suggestion per row out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from labelaudit.errors import LabelAuditError


@dataclass(frozen=True)
class DetectorResult:
    """What a detector returns for N examples.

    label_quality: (N,) float in [0, 1], low = likely mislabelled.
    is_label_issue: (N,) bool.
    suggested_label: (N,) int, the class the detector would assign.
    ranking: indices of flagged rows, worst first; None means "rank by label_quality".
    details: extra facts for the report metadata (JSON-serialisable), e.g. a noise matrix.
    confident: (N,) bool, the suggestion is safe to apply without review (the report's `grade`);
        None when the detector does not grade its suggestions.
    suggestion_confidence: (N,) probability of the suggestion under the detector's own evidence;
        None means "read it from pred_probs".
    columns: extra per-row report columns (name -> (N,) array), e.g. diagnostics.
    predicted_label: (N,) argmax of pred_probs when the detector computed it anyway, so the
        pipeline's class-order check needs no second pass; None means "compute it".
    explain: facts the report's explanations read (pipeline/explain.py) and that are never
        written, e.g. the confident joint the pruning used or each row's error posterior.
    """

    label_quality: np.ndarray
    is_label_issue: np.ndarray
    suggested_label: np.ndarray
    ranking: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)
    confident: np.ndarray | None = None
    suggestion_confidence: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    predicted_label: np.ndarray | None = None
    explain: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def validate(self, n: int, name: str) -> None:
        """Fail loudly when a (plugin) detector breaks the contract."""
        for attr in ("label_quality", "is_label_issue", "suggested_label"):
            shape = np.shape(getattr(self, attr))
            if shape != (n,):
                raise LabelAuditError(
                    f"detector {name!r} returned {attr} of shape {shape}, expected ({n},)."
                )
        if self.ranking is not None:
            flagged = np.flatnonzero(self.is_label_issue)
            if not np.array_equal(np.sort(self.ranking), flagged):
                raise LabelAuditError(
                    f"detector {name!r} returned a ranking that is not a permutation of its flagged rows."
                )

    def issue_order(self) -> np.ndarray:
        """Flagged rows, worst first: the detector's own ranking, else ascending label_quality."""
        if self.ranking is not None:
            return np.asarray(self.ranking, dtype=np.int64)
        flagged = np.flatnonzero(self.is_label_issue)
        return flagged[np.argsort(self.label_quality[flagged], kind="stable")]


@runtime_checkable
class Detector(Protocol):
    """A label-error detector. Options go to the constructor as keyword arguments."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def detect(self, labels: np.ndarray, pred_probs: np.ndarray) -> DetectorResult:
        """labels (N,) int64 in [0, K); pred_probs (N, K) validated probabilities."""
        ...


@runtime_checkable
class DynamicsDetector(Protocol):
    """A detector over training dynamics (per-epoch outputs) instead of one probability matrix.

    It declares `needs = ("dynamics",)` and receives the shared analysis of the record
    (labelaudit.dynamics.TrainingDynamics), so that several detectors read the epochs once.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]

    def detect_dynamics(self, dynamics: Any) -> DetectorResult: ...


# The kinds of evidence a detector can declare, and how a user supplies each one.
EVIDENCE_KINDS = {
    "pred_probs": "out-of-sample probabilities (--pred-probs or --features)",
    "dynamics": "training dynamics (--dynamics)",
}


def requirements(detector_class: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(needs, uses): the evidence a detector cannot run without, and the evidence it can use.

    A detector declares them as class attributes `needs` and `uses` (tuples of EVIDENCE_KINDS
    keys; a plain string is one kind). Without `needs` it reads one probability matrix, as the
    Detector protocol says.
    """
    needs = getattr(detector_class, "needs", ("pred_probs",))
    uses = getattr(detector_class, "uses", ())
    needs = (needs,) if isinstance(needs, str) else tuple(needs)
    uses = (uses,) if isinstance(uses, str) else tuple(uses)
    return needs, uses


def needs_dynamics(detector_class: type) -> bool:
    return "dynamics" in requirements(detector_class)[0]
