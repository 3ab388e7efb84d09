"""Confident learning as a Detector: cleanlab's find_label_issues + label quality scores."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelaudit.confident.filter import ConfidentAnalysis, issue_mask
from labelaudit.confident.latent import estimate_latent
from labelaudit.confident.rank import rank_flagged, scores_for
from labelaudit.detectors.base import DetectorResult
from labelaudit.methods import PRUNING_METHODS


class ConfidentLearning:
    """Flags with a filter_by method, scores and ranks with a rank_by method (cleanlab's defaults)."""

    name: ClassVar[str] = "confident_learning"
    summary: ClassVar[str] = (
        "Confident learning (Northcutt et al.): per-class thresholds, confident joint, pruning; "
        "exactly cleanlab 2.9's find_label_issues."
    )

    def __init__(
        self,
        *,
        filter_by: str = "prune_by_noise_rate",
        rank_by: str = "self_confidence",
        frac_noise: float = 1.0,
        num_to_remove_per_class: list[int] | None = None,
        min_examples_per_class: int = 1,
        calibrate: bool = True,
    ) -> None:
        self.filter_by = filter_by
        self.rank_by = rank_by
        self.frac_noise = frac_noise
        self.num_to_remove_per_class = num_to_remove_per_class
        self.min_examples_per_class = min_examples_per_class
        self.calibrate = calibrate

    def detect(self, labels: np.ndarray, pred_probs: np.ndarray) -> DetectorResult:
        analysis = ConfidentAnalysis.of(labels, pred_probs)
        calibrated = analysis.calibrated_joint()
        # --no-calibrate: prune with the raw confident joint, as a cleanlab user would by passing
        # compute_confident_joint(calibrate=False) to find_label_issues.
        joint = calibrated if self.calibrate else analysis.raw_joint()
        mask = issue_mask(
            analysis,
            filter_by=self.filter_by,
            frac_noise=self.frac_noise,
            num_to_remove_per_class=self.num_to_remove_per_class,
            min_examples_per_class=self.min_examples_per_class,
            confident_joint=joint if self.filter_by in PRUNING_METHODS else None,
        )
        scores = scores_for(labels, pred_probs, self.rank_by).astype(np.float64)
        ranking = rank_flagged(mask, labels, pred_probs, self.rank_by)
        _, noise_matrix, _ = estimate_latent(calibrated, labels)  # cleanlab's defaults
        return DetectorResult(
            label_quality=scores,
            is_label_issue=mask,
            suggested_label=analysis.stats.argmax.astype(np.int64),
            ranking=ranking,
            details=_details(calibrated, noise_matrix, analysis.thresholds),
        )


# Up to this many classes the report metadata keeps the full K×K matrices; beyond, only the
# largest estimated flips (a 1000×1000 matrix would add ~20 MB of JSON to every report).
MAX_MATRIX_CLASSES = 100
LARGEST_FLIPS = 50


def _details(joint: np.ndarray, noise_matrix: np.ndarray, thresholds: np.ndarray) -> dict:
    """Report metadata: thresholds always; matrices in full, or their largest off-diagonals."""
    k = len(noise_matrix)
    details = {"thresholds": np.asarray(thresholds, dtype=np.float64).tolist()}
    if k <= MAX_MATRIX_CLASSES:
        details["confident_joint"] = joint.tolist()
        details["noise_matrix"] = noise_matrix.tolist()
        return details
    off = noise_matrix.copy()
    np.fill_diagonal(off, -1.0)
    top = np.argsort(off, axis=None)[::-1][:LARGEST_FLIPS]
    given, true = np.unravel_index(top, off.shape)
    details["largest_flips"] = [
        {"true": int(t), "given": int(g), "rate": float(noise_matrix[g, t])}
        for g, t in zip(given, true, strict=True)
        if noise_matrix[g, t] > 0
    ]
    return details
