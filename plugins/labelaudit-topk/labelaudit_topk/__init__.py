"""not_in_top_k: flag a label when k or more classes are more probable than it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelaudit.detectors import DetectorResult


class NotInTopK:
    """A deliberately simple baseline detector, showing what a plugin must provide."""

    name: ClassVar[str] = "not_in_top_k"
    summary: ClassVar[str] = "Flags labels outside the model's top-k classes (k=2 by default)."

    def __init__(self, *, k: int = 2) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}.")
        self.k = k

    def detect(self, labels: np.ndarray, pred_probs: np.ndarray) -> DetectorResult:
        rows = np.arange(len(labels))
        self_confidence = pred_probs[rows, labels]
        more_probable = (pred_probs > self_confidence[:, None]).sum(axis=1)
        return DetectorResult(
            label_quality=self_confidence.astype(np.float64),
            is_label_issue=more_probable >= self.k,
            suggested_label=pred_probs.argmax(axis=1).astype(np.int64),
        )
