"""The segmentation task: cleanlab's pixel audit, then one report row per image.

An image is flagged (`is_label_issue`) when its flagged pixels contain a region, not only lines:
some flagged pixels survive a binary opening with a 3×3 square. Flagged pixels along class
boundaries are one or two pixels wide and vanish under the opening; a relabelled region keeps
its interior. 3×3 is the smallest square for which that holds, so the rule has no tuned size.
Flagged images are ranked by `label_quality` (cleanlab's softmin image score), lowest first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelaudit._version import __version__
from labelaudit.report import SCHEMA_VERSION, Report

REGION = np.ones((3, 3), dtype=bool)  # the opening's structuring element (see the docstring)


def audit_pixels(
    evidence, *, class_names=None, pixel_mask_out: Path | None = None, observer=None
) -> Report:
    """Audit masks (N×H×W) against pixel probabilities (N×K×H×W); one Report row per image."""
    from labelaudit.pipeline.observer import SILENT
    from labelaudit.segmentation.analysis import confident_thresholds, issues_from_thresholds

    observer = observer or SILENT
    masks, probs = evidence.masks, evidence.probs
    n, k, h, w = probs.shape
    if class_names is not None and len(class_names) != k:
        from labelaudit.errors import InvalidInputError

        raise InvalidInputError(
            f"{len(class_names)} class names were given but {evidence.probs_source} has {k} "
            "classes (axis 1)."
        )
    description = f"Auditing {n:,} images of {h}×{w} pixels × {k} classes"
    with observer.progress(description, 3 * n) as advance:
        thresholds = confident_thresholds(masks, probs, on_images=advance)
        flagged, found = issues_from_thresholds(masks, probs, thresholds, 0.1, advance)
    if pixel_mask_out is not None:
        with observer.stage(f"Writing {pixel_mask_out}"):
            write_pixel_mask(flagged, Path(pixel_mask_out))
    columns, class_flags = image_columns(masks, flagged, found, k)
    metadata = {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "task": "segmentation",
        "detector": "confident_learning",
        "options": {"method": "softmin", "temperature": 0.1, "downsample": 1},
        "inputs": [],
        "class_names": class_names,
        "n": n,
        "k": k,
        "image_shape": [h, w],
        "num_issues": int(np.count_nonzero(columns["is_label_issue"])),
        "details": _details(found, class_flags, thresholds),
    }
    return Report(columns, metadata)


def image_columns(masks, flagged, found, k: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The per-image report columns (docs/report-schema.md, segmentation), and the flagged
    pixels per given class (K,), counted in the same loop."""
    from scipy import ndimage

    n = len(flagged)
    pixels = flagged[0].size if n else 0
    counts = flagged.reshape(n, -1).sum(axis=1).astype(np.int64)
    worst = np.full(n, -1, dtype=np.int64)
    suggested = np.full(n, -1, dtype=np.int64)
    region = np.zeros(n, dtype=np.int64)
    class_flags = np.zeros(k, dtype=np.int64)
    for i in np.flatnonzero(counts):
        given = np.bincount(np.asarray(masks[i])[flagged[i]].astype(np.int64), minlength=k)
        class_flags += given
        worst[i] = int(given.argmax())
        suggested[i] = int(np.bincount(found.predicted[i][flagged[i]], minlength=k).argmax())
        opened = ndimage.binary_opening(flagged[i], structure=REGION)
        if opened.any():
            labelled, _ = ndimage.label(opened)
            region[i] = int(np.bincount(labelled.reshape(-1))[1:].max())
    is_issue = region > 0
    quality = found.image_quality.astype(np.float64)
    rank = np.zeros(n, dtype=np.int64)
    order = np.flatnonzero(is_issue)
    order = order[np.argsort(quality[order], kind="stable")]
    rank[order] = np.arange(1, len(order) + 1)
    columns = {
        "row": np.arange(n, dtype=np.int64),
        "label_quality": quality,
        "pixel_issue_count": counts,
        "pixel_issue_fraction": counts / pixels if pixels else np.zeros(n),
        "worst_class": worst,
        "suggested_class": suggested,
        "largest_region": region,
        "is_label_issue": is_issue,
        "issue_rank": rank,
    }
    return columns, class_flags


def _details(found, class_flags: np.ndarray, thresholds) -> dict:
    return {
        "confident_thresholds": thresholds.tolist(),
        "cleanlab_num_pixel_issues": int(found.num_issues),
        "num_pixel_issues": int(class_flags.sum()),
        "pixel_class_counts": found.class_pixels.tolist(),
        "pixel_issue_counts": class_flags.tolist(),
        "image_rule": "a flagged region survives a 3x3 binary opening",
    }


def write_pixel_mask(flagged: np.ndarray, out: Path) -> None:
    """The N×H×W bool mask as .npy, through a memory map and atomically (temp file, rename)."""
    from labelaudit.io.atomic import atomic_path

    with atomic_path(out) as tmp:
        mapped = np.lib.format.open_memmap(tmp, mode="w+", dtype=bool, shape=flagged.shape)
        for i in range(len(flagged)):
            mapped[i] = flagged[i]
        mapped.flush()
        del mapped
