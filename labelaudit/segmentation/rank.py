"""Drop-in for `cleanlab.segmentation.rank.get_label_quality_scores`."""

from __future__ import annotations

import warnings

import numpy as np

from labelaudit.segmentation.analysis import SOFTMIN_TEMPERATURE, check_shapes, softmin


def get_label_quality_scores(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str = "softmin",
    batch_size: int | None = None,
    n_jobs: int | None = None,
    verbose: bool = True,
    **kwargs,
) -> tuple[np.ndarray, np.ndarray]:
    """(image_scores (N,), pixel_scores (N, H, W)) as cleanlab 2.9 returns them: "softmin" of each
    image's P(label) at temperature 0.1, or "num_pixel_issues" (1 - the flagged fraction)."""
    labels, pred_probs = np.asarray(labels), np.asarray(pred_probs)
    check_shapes(labels, pred_probs)
    temperature = kwargs.get("temperature", SOFTMIN_TEMPERATURE)
    factor = kwargs.get("downsample", 1)
    if method == "num_pixel_issues":
        from labelaudit.segmentation.filter import find_label_issues

        k = pred_probs.shape[1]
        chosen = np.arange(k)[None, :, None, None] == labels[:, None]
        pixel_scores = np.where(chosen, pred_probs, 0).sum(axis=1)
        issues = find_label_issues(labels, pred_probs, batch_size=batch_size, downsample=factor)
        return 1 - np.mean(issues, axis=(1, 2)), pixel_scores
    if factor != 1:
        warnings.warn(
            f"image will not downsample for method {method} is only for method: num_pixel_issues",
            stacklevel=2,
        )
    if method != "softmin":
        raise Exception("Invalid Method: Specify correct method. Currently only supports 'softmin'")
    if temperature == 0 or temperature is None:
        raise Exception("Invalid Input: temperature cannot be zero or None")
    n, _, h, w = pred_probs.shape
    rows, cols = np.arange(h)[:, None], np.arange(w)
    pixel_scores = np.empty((n, h, w))
    image_scores = np.empty(n)
    for i in range(n):
        pixel_scores[i] = pred_probs[i][labels[i], rows, cols]
        image_scores[i] = softmin(pixel_scores[i].reshape(-1), temperature)
    return image_scores, pixel_scores
