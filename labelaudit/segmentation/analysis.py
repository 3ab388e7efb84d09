"""Pixel-level confident learning for segmentation, in a few passes over N×K×H×W probabilities.

cleanlab 2.9's `segmentation.filter.find_label_issues` (defaults) does, per pixel:
1. per-class thresholds: a running, count-weighted mean over batches of images of each batch's
   mean P(k) over the pixels labelled k (the batch mean taken in the input dtype, as
   `count.get_confident_thresholds` does), clipped below at 2e-6;
2. an issue count: pixels whose argmax is not their label and whose P(argmax) reaches
   threshold[argmax] - 1e-6;
3. that many pixels with the lowest self-confidence P(label) are flagged, then those whose argmax
   is their label are unflagged.

This module computes the same thing without cleanlab's per-pixel Python lists and full argsort:
pass 1 replays the batches' threshold updates exactly (same batches, same per-class subsets in
the same order, so the same floating-point means), pass 2 reads each image once for the argmax,
the self-confidence and the count, and the cut is found by selection (np.partition). cleanlab
orders exact ties at the cut by numpy's unstable argsort; here the earliest pixels in image,
row, column order win such ties (what a stable sort would give). Away from ties at the cut the
flagged set is cleanlab's exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from labelaudit.errors import InvalidInputError

# cleanlab.internal.constants
FLOATING_POINT_COMPARISON = 1e-6
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON
# cleanlab's default batch_size for segmentation: elements (K·H·W) per batch of images.
DEFAULT_BATCH_SIZE = 10_000
SOFTMIN_TEMPERATURE = 0.1


def check_shapes(labels, pred_probs, source: str = "pred_probs") -> tuple[int, int, int, int]:
    """(N, K, H, W) after checking that masks are N×H×W and probabilities N×K×H×W alike."""
    if np.ndim(labels) != 3:
        raise InvalidInputError(f"labels must have shape (N, H, W); got {np.shape(labels)}.")
    if np.ndim(pred_probs) != 4:
        raise InvalidInputError(
            f"{source} must have shape (N, K, H, W); got {np.shape(pred_probs)}."
        )
    n, h, w = np.shape(labels)
    n_p, k, h_p, w_p = np.shape(pred_probs)
    if (n, h, w) != (n_p, h_p, w_p):
        raise InvalidInputError(
            f"the masks are {n}×{h}×{w} (N×H×W) but {source} is {n_p}×{k}×{h_p}×{w_p} (N×K×H×W): "
            "N, H and W must agree."
        )
    if k < 2:
        raise InvalidInputError(f"{source} has K = {k} class; segmentation needs at least 2.")
    return n, k, h, w


def images_per_batch(k: int, h: int, w: int, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """cleanlab's batching: max(batch_size // (K·H·W), 1) images at a time."""
    return max(batch_size // (k * h * w), 1)


def confident_thresholds(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_images: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Pass 1: cleanlab's LabelInspector thresholds (K,), float64, replayed batch by batch."""
    n, k, h, w = pred_probs.shape
    step = images_per_batch(k, h, w, batch_size)
    thresholds = np.zeros(k)
    seen = np.zeros(k)
    for start in range(0, n, step):
        stop = min(start + step, n)
        batch_labels = np.asarray(labels[start:stop]).reshape(-1).astype(np.int64)
        _check_label_range(batch_labels, k, start, (h, w))
        counts = np.bincount(batch_labels, minlength=k).astype(np.float64)
        batch_means = _batch_class_means(batch_labels, np.asarray(pred_probs[start:stop]), k)
        thresholds = (seen * thresholds + counts * batch_means) / np.clip(seen + counts, 1, None)
        thresholds = np.clip(thresholds, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)
        seen += counts
        if on_images is not None:
            on_images(stop - start)
    return thresholds


def _check_label_range(flat_labels: np.ndarray, k: int, first_image: int, hw) -> None:
    bad = (flat_labels < 0) | (flat_labels >= k)
    if bad.any():
        at = int(np.argmax(bad))
        image, rest = divmod(at, hw[0] * hw[1])
        row, col = divmod(rest, hw[1])
        raise InvalidInputError(
            f"mask value {int(flat_labels[at])} at image {first_image + image}, row {row}, "
            f"column {col} is outside [0, {k}) for the K = {k} classes of the probabilities."
        )


def _batch_class_means(flat_labels: np.ndarray, probs: np.ndarray, k: int) -> np.ndarray:
    """mean(P[:, c][labels == c]) per class present, in the input dtype as cleanlab takes it;
    absent classes get 2 (cleanlab's BIG_VALUE), which a zero count then cancels."""
    flat = np.moveaxis(probs, 1, 0).reshape(k, -1)  # K × pixels, pixels in image/row/col order
    order = np.argsort(flat_labels, kind="stable")
    bounds = np.searchsorted(flat_labels[order], np.arange(k + 1))
    means = np.full(k, 2.0)
    for c in range(k):
        if bounds[c + 1] > bounds[c]:
            # A contiguous gather in ascending pixel order: the same array np.mean sees in cleanlab.
            means[c] = np.mean(flat[c][order[bounds[c] : bounds[c + 1]]])
    return np.clip(means, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)


@dataclass
class PixelPass:
    """Pass 2 over every image: what the cut and the report need."""

    self_confidence: np.ndarray  # N×H×W, P(label), input dtype
    argmax_is_label: np.ndarray  # N×H×W bool
    predicted: np.ndarray  # N×H×W argmax, the smallest unsigned type that holds K
    num_issues: int  # cleanlab's count of pixel issues
    image_quality: np.ndarray  # N float64: softmin of each image's self-confidence


def pixel_pass(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    thresholds: np.ndarray,
    *,
    temperature: float = SOFTMIN_TEMPERATURE,
    on_images: Callable[[int], None] | None = None,
) -> PixelPass:
    """Read each image once: argmax, self-confidence, the issue count and the softmin score."""
    n, _, h, w = pred_probs.shape
    adjusted = thresholds - FLOATING_POINT_COMPARISON
    scores = np.empty((n, h, w), dtype=pred_probs.dtype)
    correct = np.empty((n, h, w), dtype=bool)
    predicted_all = np.empty((n, h, w), dtype=np.min_scalar_type(pred_probs.shape[1] - 1))
    image_quality = np.empty(n)
    num_issues = 0
    rows, cols = np.arange(h)[:, None], np.arange(w)
    for i in range(n):
        probs = np.asarray(pred_probs[i])  # K×H×W
        mask = np.asarray(labels[i]).astype(np.int64)
        predicted = probs.argmax(axis=0)
        top = np.take_along_axis(probs, predicted[None], axis=0)[0]
        scores[i] = probs[mask, rows, cols]
        correct[i] = predicted == mask
        predicted_all[i] = predicted
        num_issues += int(np.count_nonzero((top >= adjusted[predicted]) & ~correct[i]))
        image_quality[i] = softmin(scores[i].reshape(-1).astype(np.float64), temperature)
        if on_images is not None:
            on_images(1)
    return PixelPass(scores, correct, predicted_all, num_issues, image_quality)


def softmin(scores: np.ndarray, temperature: float = SOFTMIN_TEMPERATURE) -> float:
    """cleanlab's softmin of one image's pixel scores: Σ s·softmax((1 - s) / T)."""
    x = (1 - scores) / max(temperature, 1e-16)
    x = x - x.max()
    weights = np.exp(x)
    weights /= weights.sum()
    return float(np.einsum("i,i->", scores, weights))


def lowest_scores_mask(scores: np.ndarray, count: int) -> np.ndarray:
    """True at the `count` lowest scores; ties at the cut go to the earliest flat positions."""
    flat = scores.reshape(-1)
    mask = np.zeros(flat.shape, dtype=bool)
    if count <= 0:
        return mask.reshape(scores.shape)
    if count >= flat.size:
        mask[:] = True
        return mask.reshape(scores.shape)
    cut = np.partition(flat, count - 1)[count - 1]
    mask = flat < cut
    ties = np.flatnonzero(flat == cut)[: count - int(np.count_nonzero(mask))]
    mask[ties] = True
    return mask.reshape(scores.shape)


def pixel_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    temperature: float = SOFTMIN_TEMPERATURE,
    on_images: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, PixelPass]:
    """The N×H×W pixel-issue mask (cleanlab's find_label_issues) and the pass it came from."""
    thresholds = confident_thresholds(
        labels, pred_probs, batch_size=batch_size, on_images=on_images
    )
    return issues_from_thresholds(labels, pred_probs, thresholds, temperature, on_images)


def issues_from_thresholds(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    thresholds: np.ndarray,
    temperature: float = SOFTMIN_TEMPERATURE,
    on_images: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, PixelPass]:
    """Pass 2, the cut by selection, and the unflagging of pixels whose argmax is their label."""
    found = pixel_pass(labels, pred_probs, thresholds, temperature=temperature, on_images=on_images)
    mask = lowest_scores_mask(found.self_confidence, found.num_issues)
    mask &= ~found.argmax_is_label
    return mask, found
