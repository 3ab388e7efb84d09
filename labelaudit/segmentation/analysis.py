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
the same order, so the same floating-point means) and checks the values; pass 2 reads each image
once for the argmax, the count, the image score and a histogram of the self-confidences' bit
patterns; pass 3 flags every pixel below the histogram bin that holds the cut and resolves that
one bin exactly. Nothing of size N×H×W is kept but the argmax (one byte a pixel for K ≤ 256) and
the mask, so the probabilities are streamed from their memory map. cleanlab orders exact ties
at the cut by numpy's unstable argsort; here the earliest pixels in image, row, column order win
such ties (what a stable sort would give). Away from ties at the cut the flagged set is
cleanlab's exactly.
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


def check_shapes(
    labels, pred_probs, source: str = "pred_probs", labels_source: str = "labels"
) -> tuple[int, int, int, int]:
    """(N, K, H, W) after checking that masks are N×H×W and probabilities N×K×H×W alike."""
    if np.ndim(labels) != 3:
        raise InvalidInputError(
            f"{labels_source} must have shape (N, H, W); got {np.shape(labels)}."
        )
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
        batch = np.asarray(pred_probs[start:stop])
        _check_values(batch, start)
        batch_means = _batch_class_means(batch_labels, batch, k)
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


def _check_values(batch: np.ndarray, first_image: int) -> None:
    """Probabilities must be finite and non-negative (checked inside pass 1, batch by batch)."""
    if np.isfinite(batch).all() and batch.min() >= 0:
        return
    bad = ~np.isfinite(batch) | (batch < 0)
    image, klass, row, col = np.unravel_index(int(np.argmax(bad)), batch.shape)
    raise InvalidInputError(
        f"probability {batch[image, klass, row, col]} at image {first_image + image}, class "
        f"{klass}, row {row}, column {col} is not a finite non-negative number."
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


# The cut is found on a histogram of the scores' IEEE bit patterns (monotonic for non-negative
# floats): the top 16 bits give 65,536 bins; pass 3 resolves the one bin holding the cut exactly.
HISTOGRAM_BITS = 16


@dataclass
class PixelPass:
    """Pass 2 over every image: the count, the image scores, and where the cut lies."""

    predicted: np.ndarray  # N×H×W argmax, the smallest unsigned type that holds K
    num_issues: int  # cleanlab's count of pixel issues
    image_quality: np.ndarray  # N float64: softmin of each image's self-confidence
    histogram: np.ndarray  # pixel counts per bin of self-confidence bit patterns
    class_pixels: np.ndarray  # K int64: pixels given each class


def _self_confidence(probs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """P(label) per pixel (H×W, input dtype) of one image's K×H×W probabilities; -0.0 as 0.0."""
    h, w = mask.shape
    return probs[mask, np.arange(h)[:, None], np.arange(w)] + probs.dtype.type(0)


def _bins(scores: np.ndarray) -> np.ndarray:
    """Histogram bin of each non-negative score: the top HISTOGRAM_BITS of its bit pattern."""
    bits = scores.view(np.uint32 if scores.dtype == np.float32 else np.uint64)
    return (bits >> (bits.dtype.itemsize * 8 - HISTOGRAM_BITS)).astype(np.int64)


def pixel_pass(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    thresholds: np.ndarray,
    *,
    temperature: float = SOFTMIN_TEMPERATURE,
    on_images: Callable[[int], None] | None = None,
) -> PixelPass:
    """Read each image once: argmax, the issue count, the softmin score, the score histogram."""
    n, k, h, w = pred_probs.shape
    adjusted = thresholds - FLOATING_POINT_COMPARISON
    predicted_all = np.empty((n, h, w), dtype=np.min_scalar_type(k - 1))
    image_quality = np.empty(n)
    histogram = np.zeros(1 << HISTOGRAM_BITS, dtype=np.int64)
    class_pixels = np.zeros(k, dtype=np.int64)
    num_issues = 0
    for i in range(n):
        probs = np.asarray(pred_probs[i])  # K×H×W
        mask = np.asarray(labels[i]).astype(np.int64)
        predicted = probs.argmax(axis=0)
        top = np.take_along_axis(probs, predicted[None], axis=0)[0]
        scores = _self_confidence(probs, mask)
        predicted_all[i] = predicted
        num_issues += int(np.count_nonzero((top >= adjusted[predicted]) & (predicted != mask)))
        image_quality[i] = softmin(scores.reshape(-1).astype(np.float64), temperature)
        histogram += np.bincount(_bins(scores).reshape(-1), minlength=histogram.size)
        class_pixels += np.bincount(mask.reshape(-1), minlength=k)
        if on_images is not None:
            on_images(1)
    return PixelPass(predicted_all, num_issues, image_quality, histogram, class_pixels)


def flag_lowest(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    found: PixelPass,
    *,
    on_images: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Pass 3: flag the num_issues lowest self-confidences (ties at the cut: earliest pixels),
    then unflag the pixels whose argmax is their label. N×H×W bool."""
    n, _, h, w = pred_probs.shape
    count = found.num_issues
    flagged = np.zeros((n, h, w), dtype=bool)
    if count <= 0 or n == 0:
        return flagged
    below = np.cumsum(found.histogram)
    cut_bin = int(np.searchsorted(below, count))  # first bin where the cumulative count reaches it
    need = count - (int(below[cut_bin - 1]) if cut_bin else 0)
    positions, values = [], []
    for i in range(n):
        scores = _self_confidence(np.asarray(pred_probs[i]), np.asarray(labels[i]).astype(np.int64))
        bins = _bins(scores)
        flagged[i] = bins < cut_bin
        at_cut = np.flatnonzero(bins.reshape(-1) == cut_bin)
        positions.append(at_cut + i * h * w)
        values.append(scores.reshape(-1)[at_cut])
        if on_images is not None:
            on_images(1)
    positions, values = np.concatenate(positions), np.concatenate(values)
    chosen = positions[np.lexsort((positions, values))[:need]]  # by score, then pixel order
    flagged.reshape(-1)[chosen] = True
    for i in range(n):
        flagged[i] &= found.predicted[i] != np.asarray(labels[i])
    return flagged


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
    """Passes 2 and 3, given pass 1's thresholds: the pixel mask and what pass 2 found."""
    found = pixel_pass(labels, pred_probs, thresholds, temperature=temperature, on_images=on_images)
    return flag_lowest(labels, pred_probs, found, on_images=on_images), found
