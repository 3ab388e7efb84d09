"""--task segmentation: N×H×W integer masks (--labels) and N×K×H×W probabilities (--pred-probs:
one .npy, or a directory of per-image K×H×W .npy files), memory-mapped, with dtypes and shapes
checked before any pass."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError

MASK_KINDS = "iu"  # uint8, int32, int64 ...
PROB_DTYPES = (np.float32, np.float64)


@dataclass(frozen=True)
class PixelEvidence:
    """Masks and probabilities of one segmentation audit, and where they came from."""

    masks: np.ndarray  # N×H×W integers
    probs: np.ndarray  # N×K×H×W float32/float64: a memory map, or an io.image_stack.ImageStack
    masks_source: str
    probs_source: str


def _array(value, option: str, *, in_memory: bool) -> tuple[np.ndarray, str]:
    if isinstance(value, (str, Path)):
        from labelaudit.io.formats import check_readable, read_npy

        path = Path(value)
        if option == "--pred-probs" and path.is_dir():
            from labelaudit.io.image_stack import ImageStack

            return ImageStack(path), str(path)
        check_readable(path, (".npy",), option.removeprefix("--") + " (segmentation)")
        return read_npy(path, mmap=not in_memory), str(path)
    return np.asarray(value), option


def load(request, engine, observer) -> PixelEvidence:
    from labelaudit.segmentation.analysis import check_shapes

    del engine
    with observer.stage("Opening masks and pixel probabilities"):
        masks, masks_source = _array(request.labels, "--labels", in_memory=request.in_memory)
        probs, probs_source = _array(
            request.pred_probs[0], "--pred-probs", in_memory=request.in_memory
        )
    if masks.dtype.kind not in MASK_KINDS:
        raise InvalidInputError(
            f"{masks_source}: masks must hold integers (uint8, int32 or int64), not {masks.dtype}."
        )
    if probs.dtype not in PROB_DTYPES:
        raise InvalidInputError(
            f"{probs_source}: pixel probabilities must be float32 or float64, not {probs.dtype}."
        )
    check_shapes(masks, probs, source=probs_source, labels_source=masks_source)
    return PixelEvidence(masks, probs, masks_source, probs_source)
