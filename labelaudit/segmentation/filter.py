"""Drop-in for `cleanlab.segmentation.filter.find_label_issues`."""

from __future__ import annotations

import numpy as np

from labelaudit.segmentation.analysis import DEFAULT_BATCH_SIZE, check_shapes, pixel_issues


def find_label_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    batch_size: int | None = None,
    n_jobs: int | None = None,
    verbose: bool = True,
    **kwargs,
) -> np.ndarray:
    """N×H×W boolean mask of pixels whose given label (labels, N×H×W) is likely wrong under
    pred_probs (N×K×H×W), as cleanlab 2.9 computes it. n_jobs and verbose are accepted for
    compatibility (the passes need no process pool); `downsample` works as in cleanlab."""
    del n_jobs, verbose
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    if batch_size <= 0:
        raise ValueError(f"Batch size must be greater than 0, got {batch_size}")
    labels, pred_probs = np.asarray(labels), np.asarray(pred_probs)
    check_shapes(labels, pred_probs)
    factor = int(kwargs.get("downsample", 1))
    if factor == 1:
        return pixel_issues(labels, pred_probs, batch_size=batch_size)[0]
    small_labels, small_probs = _downsample(labels, pred_probs, factor)
    small = pixel_issues(small_labels, small_probs, batch_size=batch_size)[0]
    # Upsample, then unflag the original pixels whose argmax is their label (cleanlab's order).
    mask = small.repeat(factor, axis=1).repeat(factor, axis=2)
    mask &= pred_probs.argmax(axis=1) != labels
    return mask


def _downsample(labels: np.ndarray, pred_probs: np.ndarray, factor: int):
    """cleanlab's block-mean downsampling: labels rounded from their block mean, probabilities
    averaged per block and renormalised."""
    n, k, h, w = pred_probs.shape
    if h % factor or w % factor:
        raise ValueError(
            f"Height {h} and width {w} not divisible by downsample value of {factor}. Set kwarg "
            "downsample to 1 to avoid downsampling."
        )
    small_labels = np.round(
        labels.reshape((n, h // factor, factor, w // factor, factor)).mean((4, 2))
    )
    small = pred_probs.reshape((n, k, h // factor, factor, w // factor, factor)).mean((5, 3))
    return small_labels.astype(np.int64), small / np.expand_dims(small.sum(axis=1), 1)
