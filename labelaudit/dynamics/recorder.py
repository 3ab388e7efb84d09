"""Recorder: log per-epoch model outputs from a training loop, one crash-safe file per epoch.

    recorder = Recorder("dynamics/", n=len(train_set), k=num_classes)
    for epoch in range(epochs):
        for indices, batch in loader:
            ...
            recorder.log(epoch, indices, logits)   # NumPy, PyTorch (any device) or lists
    recorder.close()

Each finished epoch is written as `epoch_00012.npy` through a temporary file and a rename, so a
killed run leaves every finished epoch complete and readable (`labelaudit audit --dynamics
dynamics/`); only the epoch in progress is lost.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.atomic import atomic_path


def _to_numpy(values: object) -> np.ndarray:
    """NumPy view of NumPy/CuPy/PyTorch arrays or nested lists, on the host."""
    if hasattr(values, "detach"):  # torch.Tensor
        values = values.detach().cpu().numpy()
    elif hasattr(values, "get") and type(values).__module__.startswith("cupy"):
        values = values.get()
    return np.asarray(values)


class Recorder:
    """Collects mini-batch outputs of one epoch at a time and writes each epoch when it ends.

    An epoch ends when `log` is called with a different epoch number, on `end_epoch()` or on
    `close()`; every one of the n rows must have been logged by then.
    """

    def __init__(self, path: str | Path, n: int, k: int, *, dtype: str = "float32") -> None:
        if n < 1 or k < 2:
            raise InvalidInputError(
                f"Recorder needs n >= 1 examples and k >= 2 classes, got {n}, {k}."
            )
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.n, self.k = n, k
        self.dtype = np.dtype(dtype)
        self.epoch: int | None = None
        self._values = np.zeros((n, k), dtype=self.dtype)
        self._seen = np.zeros(n, dtype=bool)
        self.written: list[Path] = []

    def log(self, epoch: int, indices: object, outputs: object) -> None:
        """Store outputs (B, K) for rows `indices` (B,) of `epoch` (probabilities or logits)."""
        epoch = int(epoch)
        if epoch < 0:
            raise InvalidInputError(f"epoch numbers must be >= 0, got {epoch}.")
        if self.epoch is not None and epoch != self.epoch:
            self.end_epoch()
        self.epoch = epoch
        rows = _to_numpy(indices).astype(np.int64, copy=False).reshape(-1)
        values = _to_numpy(outputs)
        if values.shape != (len(rows), self.k):
            raise InvalidInputError(
                f"epoch {epoch}: outputs of shape {values.shape} for {len(rows)} indices; "
                f"expected ({len(rows)}, {self.k})."
            )
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n):
            bad = rows[(rows < 0) | (rows >= self.n)][0]
            raise InvalidInputError(f"epoch {epoch}: index {bad} is outside [0, {self.n}).")
        if not np.isfinite(values).all():
            raise InvalidInputError(f"epoch {epoch}: outputs contain NaN or infinity.")
        self._values[rows] = values
        self._seen[rows] = True

    def end_epoch(self) -> Path | None:
        """Write the epoch in progress (all rows must be logged); return its file."""
        if self.epoch is None:
            return None
        if not self._seen.all():
            missing = np.flatnonzero(~self._seen)
            raise InvalidInputError(
                f"epoch {self.epoch}: {len(missing)} of {self.n} rows were never logged "
                f"(first: row {missing[0]}); log every training example once per epoch."
            )
        target = self.path / f"epoch_{self.epoch:05d}.npy"
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            np.save(fh, self._values)
        self.written.append(target)
        self.epoch = None
        self._seen[:] = False
        return target

    def close(self) -> None:
        """Finish the epoch in progress."""
        self.end_epoch()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        # On an exception the unfinished epoch is dropped; finished epochs stay on disk.
