"""Early-learning detectors over training dynamics (docs/early-learning.md).

Networks fit clean labels first and memorise wrong ones late, so every detector here reads the
*early window* of each example: the epochs up to the memorisation onset of its given class
(ADELE's online criterion, labelaudit.dynamics.onset). Each returns a per-row label_quality
(low = likely wrong), a flag, a suggestion and a grade.

Grade: a suggestion is `confident` (safe to apply automatically) only when the whole early
window backs it, a SELFIE-style consistency check: the model never once predicted the given
label before the onset, and its mean prediction over the window is the suggestion. Otherwise
`review`. A single snapshot can be noisy; agreement across the window rarely is.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelaudit.detectors.base import DetectorResult
from labelaudit.dynamics.analysis import TrainingDynamics


def _rank_mean(*scores: np.ndarray) -> np.ndarray:
    """Mean of the ranks (higher = more suspicious) of several scores."""
    from scipy.stats import rankdata

    return np.mean([rankdata(s) for s in scores], axis=0)


def _result(
    td: TrainingDynamics,
    *,
    quality: np.ndarray,
    flag: np.ndarray,
    suggestion: np.ndarray,
    evidence: np.ndarray,
    order_score: np.ndarray | None = None,
    columns: dict[str, np.ndarray] | None = None,
) -> DetectorResult:
    """Common tail: grade, suggestion confidence, ranking of the flagged rows (worst first)."""
    rows = np.arange(td.n)
    # No flags without evidence: an uninformative record, or a suggestion that only ties with
    # the given label (argmax picks the first of equal values).
    flag = flag & td.informative & (evidence[rows, suggestion] > evidence[rows, td.labels])
    suggestion = np.where(flag, suggestion, td.labels).astype(np.int64)
    confident = flag & window_agrees(td, suggestion)
    suspicion = -quality if order_score is None else order_score
    flagged = np.flatnonzero(flag)
    ranking = flagged[np.argsort(-suspicion[flagged], kind="stable")]
    return DetectorResult(
        label_quality=np.clip(quality, 0.0, 1.0),
        is_label_issue=flag,
        suggested_label=suggestion,
        ranking=ranking,
        details=td.diagnostics(),
        confident=confident,
        suggestion_confidence=evidence[rows, suggestion],
        columns={"onset_epoch": td.epoch_numbers[td.row_onset], **(columns or {})},
    )


def window_agrees(td: TrainingDynamics, suggestion: np.ndarray) -> np.ndarray:
    """The early window never predicted the given label, and its mean prediction is `suggestion`."""
    return (td.correctness == 0) & (td.mean_probs.argmax(axis=1) == suggestion)


def _runner_up(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """argmax over classes other than the given one."""
    others = probs.copy()
    others[np.arange(len(labels)), labels] = -np.inf
    return others.argmax(axis=1)


class _Snapshot:
    """Flag where the early-window distribution q disagrees with the given label."""

    needs: ClassVar[tuple[str, ...]] = ("dynamics",)
    uses: ClassVar[tuple[str, ...]] = ("pred_probs",)  # combined by the pipeline

    def _distribution(self, td: TrainingDynamics) -> np.ndarray:
        raise NotImplementedError

    def detect_dynamics(self, td: TrainingDynamics) -> DetectorResult:
        q = self._distribution(td)
        rows = np.arange(td.n)
        quality = q[rows, td.labels]
        suggestion = q.argmax(axis=1)
        # Ordering: the snapshot's doubt, averaged in rank with the learning time (FkL), which is
        # robust to where the onset landed.
        order = _rank_mean(1 - quality, td.learning_time)
        return _result(
            td,
            quality=quality,
            flag=suggestion != td.labels,
            suggestion=suggestion,
            evidence=q,
            order_score=order,
            columns={"learning_time": td.learning_time},
        )


class Elr(_Snapshot):
    name: ClassVar[str] = "elr"
    summary: ClassVar[str] = (
        "ELR temporal-ensemble target (β=0.7) at the memorisation onset of the given class; "
        "flags where its argmax differs. The default with --dynamics."
    )

    def _distribution(self, td: TrainingDynamics) -> np.ndarray:
        return td.elr_target


class Adele(_Snapshot):
    name: ClassVar[str] = "adele"
    summary: ClassVar[str] = (
        "ADELE: probabilities at the online per-class memorisation onset (r=0.9) of the given "
        "class; flags where their argmax differs."
    )

    def _distribution(self, td: TrainingDynamics) -> np.ndarray:
        return td.snapshot


class Aum:
    name: ClassVar[str] = "aum"
    summary: ClassVar[str] = (
        "Area under the margin over the early window (epochs 1..onset): flags a negative mean "
        "margin of the given label; suggests the runner-up."
    )
    needs: ClassVar[tuple[str, ...]] = ("dynamics",)
    uses: ClassVar[tuple[str, ...]] = ("pred_probs",)  # combined by the pipeline

    def detect_dynamics(self, td: TrainingDynamics) -> DetectorResult:
        from scipy.special import expit

        return _result(
            td,
            quality=expit(td.margin),  # a monotone map of the margin into [0, 1]
            flag=td.margin < 0,
            suggestion=_runner_up(td.mean_probs, td.labels),
            evidence=td.mean_probs,
            columns={"aum": td.margin},
        )


class Cartography:
    name: ClassVar[str] = "cartography"
    summary: ClassVar[str] = (
        "Dataset cartography over the early window: confidence (mean p(given)), variability and "
        "correctness; flags where the mean prediction prefers another class."
    )
    needs: ClassVar[tuple[str, ...]] = ("dynamics",)
    uses: ClassVar[tuple[str, ...]] = ("pred_probs",)  # combined by the pipeline

    def detect_dynamics(self, td: TrainingDynamics) -> DetectorResult:
        mean = td.mean_probs
        return _result(
            td,
            quality=td.confidence,
            flag=mean.argmax(axis=1) != td.labels,
            suggestion=mean.argmax(axis=1),
            evidence=mean,
            columns={
                "cartography_confidence": td.confidence,
                "cartography_variability": td.variability,
                "cartography_correctness": td.correctness,
            },
        )


class Forgetting:
    name: ClassVar[str] = "forgetting"
    summary: ClassVar[str] = (
        "Forgetting events over all epochs (never learned = E); a diagnostic, weak alone: "
        "flags rows forgotten at least once or never learned."
    )
    needs: ClassVar[tuple[str, ...]] = ("dynamics",)
    uses: ClassVar[tuple[str, ...]] = ("pred_probs",)  # combined by the pipeline

    def detect_dynamics(self, td: TrainingDynamics) -> DetectorResult:
        epochs = len(td.epoch_numbers)
        return _result(
            td,
            quality=1 - td.forgetting / epochs,
            flag=td.forgetting >= 1,
            suggestion=td.other_mode,
            evidence=td.mean_probs,
            columns={"forgetting": td.forgetting},
        )


class LearningTime:
    name: ClassVar[str] = "learning-time"
    summary: ClassVar[str] = (
        "Learning time FkL (first of 3 consecutive epochs predicting the given label); flags "
        "rows not learned by the memorisation onset of their class."
    )
    needs: ClassVar[tuple[str, ...]] = ("dynamics",)
    uses: ClassVar[tuple[str, ...]] = ("pred_probs",)  # combined by the pipeline

    def detect_dynamics(self, td: TrainingDynamics) -> DetectorResult:
        horizon = float(td.epoch_numbers[-1] + 1)
        onset = td.epoch_numbers[td.row_onset]
        return _result(
            td,
            quality=1 - td.learning_time / horizon,
            flag=td.learning_time > onset,
            suggestion=_runner_up(td.mean_probs, td.labels),
            evidence=td.mean_probs,
            columns={"learning_time": td.learning_time},
        )


DYNAMICS_DETECTORS = {
    cls.name: cls for cls in (Elr, Adele, Aum, Cartography, Forgetting, LearningTime)
}
DEFAULT_DYNAMICS_DETECTOR = Elr.name
