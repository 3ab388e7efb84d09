"""A directory of per-image K×H×W `.npy` files, read as one N×K×H×W array one image at a time.

Files are taken in natural name order (img2 before img10). Every header is read up front, so a
file of another shape or dtype is refused, by name, before any pass; the pixels are memory-mapped
only when an image is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError


def natural_key(path: Path) -> list:
    """Sort key that orders digit runs by value: img2.npy before img10.npy."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


class ImageStack:
    """N per-image arrays as an N×K×H×W array-like: shape, dtype, ndim, [i] and [a:b]."""

    def __init__(self, directory: Path) -> None:
        from labelaudit.io.stream import npy_header

        self.files = sorted(directory.glob("*.npy"), key=natural_key)
        if not self.files:
            raise InvalidInputError(f"{directory}: no .npy files (one K×H×W array per image).")
        first = None
        for path in self.files:
            try:
                with path.open("rb") as fh:
                    shape, _, dtype, _ = npy_header(fh)
            except (OSError, ValueError) as exc:
                raise InvalidInputError(f"{path}: not a readable .npy array ({exc}).") from exc
            if first is None:
                first = (tuple(shape), dtype)
            if len(shape) != 3 or (tuple(shape), dtype) != first:
                raise InvalidInputError(
                    f"{path} holds a {dtype} array of shape {tuple(shape)}, but every file in "
                    f"{directory} must be K×H×W like {self.files[0].name} ({first[1]}, {first[0]})."
                )
        self.shape = (len(self.files), *first[0])
        self.dtype = first[1]
        self.ndim = 4

    def __len__(self) -> int:
        return self.shape[0]

    def _image(self, i: int) -> np.ndarray:
        return np.load(self.files[i], mmap_mode="r", allow_pickle=False)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return np.stack([self._image(i) for i in range(*index.indices(len(self)))])
        return np.asarray(self._image(int(index)))
