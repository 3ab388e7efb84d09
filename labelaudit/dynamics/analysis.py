"""One analysis of a dynamics record, shared by every early-learning detector.

Pass 1 reads each epoch once and keeps only its argmax (E×N small integers): enough for the
per-class agreement curves, the memorisation onsets, learning times and forgetting counts.
Pass 2 re-reads epochs up to the latest onset and accumulates, per example, statistics over its
*early window* (epochs up to the onset of its given class): the snapshot at the onset, the ELR
temporal-ensemble target, mean and spread of the given-label probability, mean margin, mean
probabilities. State is O(N·K); one epoch is in memory at a time.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from labelaudit.dynamics.onset import RATIO, agreement_curves, online_onset
from labelaudit.dynamics.source import Dynamics
from labelaudit.errors import InvalidInputError

ELR_BETA = (
    0.7  # ELR's per-epoch EMA factor (the authors' CIFAR-10 default; robust per their README)
)
ELR_CLAMP = 1e-4
LEARNED_RUN = 3  # FkL: learned once predicted as the given label this many epochs in a row
MIN_CLASS_EXAMPLES = 20  # smaller classes use the pooled curve: their own is too noisy
FEW_EPOCHS = 5
# The model must agree with the given labels this much more often than always predicting the
# largest class at some epoch; otherwise it learned nothing and its outputs carry no evidence.
MIN_LEARNING_GAIN = 0.05
NEVER_ROSE = 0.1  # a class whose IoU with the given labels stays below this was never learned


class WeakEvidenceWarning(UserWarning):
    """The dynamics support the detectors less than usual (no onset, few epochs, ...)."""


@dataclass
class TrainingDynamics:
    """Per-class onsets and per-example early-window statistics. Arrays are in row order."""

    labels: np.ndarray
    epoch_numbers: np.ndarray
    curves: np.ndarray  # E×K agreement (IoU) of the argmax with the given labels
    class_onset: np.ndarray  # (K,) epoch index of each class's memorisation onset
    onset_source: list[str]  # per class: fit, pooled, median, last
    row_onset: np.ndarray  # (N,) onset index of the row's given class
    snapshot: np.ndarray  # (N, K) probabilities at the row's onset
    elr_target: np.ndarray  # (N, K) ELR target at the row's onset, renormalised
    confidence: np.ndarray  # mean p(given) over the early window
    variability: np.ndarray  # population std of p(given) over the window
    correctness: np.ndarray  # share of window epochs predicting the given label
    margin: np.ndarray  # AUM: mean logit margin of the given label, window epochs >= 1
    mean_probs: np.ndarray  # (N, K) mean probabilities over the window
    learning_time: np.ndarray  # FkL epoch number; never learned = last epoch + 1
    forgetting: np.ndarray  # forgetting events; never learned = number of epochs
    never_learned: np.ndarray
    other_mode: np.ndarray  # most frequent prediction other than the given label (all epochs)
    agreement_at_onset: float
    agreement_final: float
    informative: bool  # the model learned the given labels better than guessing the majority
    warnings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def k(self) -> int:
        return self.snapshot.shape[1]

    def diagnostics(self) -> dict:
        """JSON facts for the report metadata."""
        return {
            "epochs": len(self.epoch_numbers),
            "onset_epoch_per_class": [int(self.epoch_numbers[i]) for i in self.class_onset],
            "onset_source_per_class": self.onset_source,
            "agreement_at_onset": round(self.agreement_at_onset, 6),
            "agreement_final": round(self.agreement_final, 6),
            "informative": self.informative,
            "warnings": self.warnings,
        }


def analyse(
    labels: np.ndarray,
    dynamics: Dynamics,
    *,
    ratio: float = RATIO,
    beta: float = ELR_BETA,
    progress: Callable[[int, int], None] | None = None,
) -> TrainingDynamics:
    """Read the record (at most twice) and compute everything the detectors need."""
    labels = _checked_labels(labels, dynamics)
    n, k, e = dynamics.n, dynamics.k, len(dynamics)
    warnings: list[str] = []
    if e < FEW_EPOCHS:
        warnings.append(
            f"only {e} epochs recorded: onsets and learning times are coarse; record at least "
            f"{FEW_EPOCHS}."
        )
    report = _Progress(progress, 2 * e)
    preds = _epoch_predictions(dynamics, report)  # pass 1
    curves = agreement_curves(preds, labels, k)
    class_onset, sources = _class_onsets(
        curves, preds, labels, dynamics.numbers.astype(np.float64), ratio, warnings
    )
    row_onset = class_onset[labels]
    correct = preds == labels  # E×N
    learning_time, forgetting, never = _learning_events(correct, dynamics.numbers)
    window = _EarlyWindow.read(dynamics, labels, row_onset, beta, report)  # pass 2
    report.finish()
    width = (row_onset + 1).astype(np.float64)
    confidence = window.py_sum / width
    in_window = np.arange(e)[:, None] <= row_onset[None, :]
    agreement_final = float(correct[-1].mean()) if n else 0.0
    informative = _evidence_warnings(correct, labels, k, agreement_final, warnings)
    for message in warnings:
        _warnings.warn(message, WeakEvidenceWarning, stacklevel=2)
    return TrainingDynamics(
        labels=labels,
        epoch_numbers=dynamics.numbers,
        curves=curves,
        class_onset=class_onset,
        onset_source=sources,
        row_onset=row_onset,
        snapshot=window.snapshot,
        elr_target=window.elr_at / window.elr_at.sum(axis=1, keepdims=True),
        confidence=confidence,
        variability=np.sqrt(np.clip(window.py_sq / width - confidence**2, 0, None)),
        correctness=(correct & in_window).sum(axis=0) / width,
        margin=window.margin_sum / np.maximum(window.margin_count, 1),
        mean_probs=window.prob_sum / width[:, None],
        learning_time=learning_time,
        forgetting=forgetting,
        never_learned=never,
        other_mode=_other_mode(preds, labels, k),
        agreement_at_onset=float((window.snapshot.argmax(axis=1) == labels).mean()) if n else 0.0,
        agreement_final=agreement_final,
        informative=informative,
        warnings=warnings,
    )


def _checked_labels(labels: np.ndarray, dynamics: Dynamics) -> np.ndarray:
    """labels as int64, one per recorded example and each a class of the record."""
    labels = np.asarray(labels, dtype=np.int64)
    n, k = dynamics.n, dynamics.k
    if len(labels) != n:
        raise InvalidInputError(
            f"{dynamics.source} has {n} examples per epoch but there are {len(labels)} labels; "
            "they must describe the same examples in the same order."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        row = int(np.flatnonzero((labels < 0) | (labels >= k))[0])
        raise InvalidInputError(
            f"row {row} has label {labels[row]}, outside [0, {k}) for the {k} classes of "
            f"{dynamics.source}."
        )
    return labels


@dataclass
class _Progress:
    """Counts epochs read over both passes for an optional progress(done, total) callback."""

    callback: Callable[[int, int], None] | None
    total: int
    done: int = 0

    def step(self) -> None:
        self.done += 1
        if self.callback:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        if self.callback:
            self.callback(self.total, self.total)


def _epoch_predictions(dynamics: Dynamics, progress: _Progress) -> np.ndarray:
    """Pass 1: the argmax of every epoch, E×N in the smallest integer type that holds K."""
    pred_dtype = np.int16 if dynamics.k < 2**15 else np.int32
    preds = np.empty((len(dynamics), dynamics.n), dtype=pred_dtype)
    for index, probs, _ in dynamics.outputs(scores=False):
        preds[index] = probs.argmax(axis=1)
        progress.step()
    return preds


@dataclass
class _EarlyWindow:
    """Pass 2: sums over each row's early window (epochs up to its class onset)."""

    snapshot: np.ndarray  # N×K probabilities at the onset epoch
    elr_at: np.ndarray  # N×K ELR moving average at the onset epoch
    prob_sum: np.ndarray  # N×K
    py_sum: np.ndarray  # N: sum of P(given)
    py_sq: np.ndarray  # N: sum of P(given)²
    margin_sum: np.ndarray  # N: AUM margins
    margin_count: np.ndarray  # N

    @classmethod
    def read(cls, dynamics, labels, row_onset, beta: float, progress: _Progress) -> _EarlyWindow:
        n, k = dynamics.n, dynamics.k
        window = cls(*(np.zeros((n, k)) for _ in range(3)), *(np.zeros(n) for _ in range(4)))
        ema = np.zeros((n, k))
        rows = np.arange(n)
        stop = int(row_onset.max()) + 1 if n else 0
        for index, probs, scores in dynamics.outputs(stop, check=False):  # checked in pass 1
            clipped = np.clip(probs, ELR_CLAMP, 1 - ELR_CLAMP)
            clipped /= clipped.sum(axis=1, keepdims=True)
            ema *= beta
            ema += (1 - beta) * clipped
            active = row_onset >= index
            py = probs[rows, labels]
            window.prob_sum[active] += probs[active]
            window.py_sum += np.where(active, py, 0.0)
            window.py_sq += np.where(active, py * py, 0.0)
            # AUM skips epoch 0 (the authors' replication), unless the window is that epoch alone.
            use_margin = active & ((index >= 1) | (row_onset == 0))
            others = scores.copy()
            others[rows, labels] = -np.inf
            margin = scores[rows, labels] - others.max(axis=1)
            window.margin_sum += np.where(use_margin, margin, 0.0)
            window.margin_count += use_margin
            now = row_onset == index
            window.snapshot[now] = probs[now]
            window.elr_at[now] = ema[now]
            progress.step()
        return window


def _evidence_warnings(correct, labels, k: int, agreement_final: float, warnings) -> bool:
    """Whether the model ever beat the majority class; warn when the dynamics say little."""
    n = len(labels)
    pooled = correct.mean(axis=1) if n else np.zeros(len(correct))
    majority = np.bincount(labels, minlength=k).max() / n if n else 1.0
    informative = bool(pooled.max() > majority + MIN_LEARNING_GAIN)
    if not informative:
        warnings.append(
            f"the model never agreed with the given labels more than {pooled.max():.0%} of the "
            f"time (predicting the largest class gives {majority:.0%}): the dynamics carry no "
            "evidence, so nothing is flagged."
        )
    elif agreement_final < 0.9:
        warnings.append(
            f"the last epoch agrees with only {agreement_final:.0%} of the given labels: the "
            "model never memorised them, so the onset window matters less (any epoch works)."
        )
    return informative


def _class_onsets(curves, preds, labels, numbers, ratio, warnings):
    """Online onset per class; small classes use the pooled curve; misses fall back, loudly."""
    e, k = curves.shape
    counts = np.bincount(labels, minlength=k)
    pooled_curve = (preds == labels).mean(axis=1)
    pooled = online_onset(numbers, pooled_curve, ratio)
    onset = np.full(k, -1, dtype=np.int64)
    sources = ["fit"] * k
    small = []
    for c in range(k):
        if counts[c] == 0:
            sources[c] = "absent"
            continue
        if counts[c] < MIN_CLASS_EXAMPLES:
            small.append(c)
            if pooled is not None:
                onset[c], sources[c] = pooled, "pooled"
            continue
        found = online_onset(numbers, curves[:, c], ratio)
        if found is not None:
            onset[c] = found
    if small:
        warnings.append(
            f"{len(small)} class(es) have fewer than {MIN_CLASS_EXAMPLES} examples; they use the "
            "onset of the pooled curve (all classes together)."
        )
    missing = [c for c in range(k) if onset[c] < 0 and sources[c] != "absent"]
    triggered = onset[onset >= 0]
    if missing:
        if len(triggered):
            fallback, how = int(np.median(triggered)), "median"
            text = "the median onset of the other classes"
        elif pooled is not None:
            fallback, how = pooled, "pooled"
            text = "the onset of the pooled curve"
        else:
            fallback, how = e - 1, "last"
            text = (
                "the last epoch: no curve flattened, so there is no early-learning window and "
                "flags rest on the final outputs only"
            )
        for c in missing:
            onset[c], sources[c] = fallback, how
        warnings.append(
            f"no memorisation onset found for {len(missing)} of {k} classes (their agreement "
            f"curve never flattened); they use {text}."
        )
    flat = [c for c in range(k) if counts[c] and curves[:, c].max() < NEVER_ROSE]
    if flat:
        warnings.append(
            f"the agreement curve of {len(flat)} class(es) never rose above {NEVER_ROSE:.0%} "
            f"(first: class {flat[0]}): the model never learned them, so their rows rest on "
            "weak evidence."
        )
    onset[onset < 0] = 0  # absent classes: no rows use them
    late = [c for c in range(k) if onset[c] > e / 2 and sources[c] == "fit"]
    if late:
        warnings.append(
            f"the onset of {len(late)} class(es) falls in the second half of training; their "
            "early window may already include memorised labels."
        )
    return onset, sources


def _learning_events(correct: np.ndarray, numbers: np.ndarray):
    """FkL (first epoch of LEARNED_RUN consecutive correct predictions) and forgetting counts."""
    e, n = correct.shape
    run = min(LEARNED_RUN, e)
    # streak[t] = correct at t .. t+run-1
    streak = np.ones((e - run + 1, n), dtype=bool)
    for offset in range(run):
        streak &= correct[offset : e - run + 1 + offset]
    learned = streak.any(axis=0)
    first = np.where(learned, streak.argmax(axis=0), 0)
    after_last = int(numbers[-1]) + 1
    learning_time = np.where(learned, numbers[first], after_last).astype(np.int64)
    forgotten = (correct[:-1] & ~correct[1:]).sum(axis=0)
    never = ~correct.any(axis=0)
    forgetting = np.where(never, e, forgotten).astype(np.int64)
    return learning_time, forgetting, never


def _other_mode(preds: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per row, the class other than the given one that the model predicted most often."""
    n = preds.shape[1]
    counts = np.zeros((n, k), dtype=np.int32)
    rows = np.arange(n)
    for pred in preds:
        counts[rows, pred] += 1  # rows are distinct, so no index repeats
    counts[rows, labels] = -1
    return counts.argmax(axis=1)
