"""Array backends: NumPy, and any array-API library (PyTorch, CuPy, ...) through array-api-compat.

The confident-learning engine is exact because its selections run NumPy's own sorts on the
host. For device arrays the work that touches all N×K values (validation, row maxima, the
confident guess, self-confidence) runs on the device in blocks through the array's own namespace;
only O(N) vectors and the rows that pruning or ranking needs are copied to the host. Results are
identical to the NumPy path: argmax picks the first maximum everywhere, and comparisons and
gathers are exact.

Backends are recognised from the array's type, never by importing them, so importing labelaudit
never pulls in torch or cupy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEVICES = ("cpu", "cuda", "auto")


def is_device_array(x: Any) -> bool:
    """True for arrays that are not NumPy's but speak the array API (torch, cupy, strict...)."""
    if isinstance(x, (np.ndarray, DeviceMatrix)):
        return False
    return hasattr(x, "__array_namespace__") or _module(x) in ("torch", "cupy")


def _module(x: Any) -> str:
    return type(x).__module__.split(".")[0]


def to_numpy(x: Any) -> np.ndarray:
    """The one way back to NumPy, used at the edges."""
    if isinstance(x, np.ndarray):
        return x
    module = _module(x)
    if module == "torch":
        return x.detach().cpu().numpy()
    if module == "cupy":
        return x.get()
    return np.asarray(x)


class DeviceMatrix:
    """An N×K device array seen through the small part of NumPy's interface the engine uses.

    Row gathers and slices return NumPy arrays (copied to the host); full passes go through
    `namespace`, the array's own array-API namespace.
    """

    def __init__(self, array: Any) -> None:
        import array_api_compat

        self.array = array
        self.xp = array_api_compat.array_namespace(array)
        self.shape = tuple(int(d) for d in array.shape)
        self.ndim = len(self.shape)
        self.dtype = to_numpy(array[:1, :1]).dtype if self.shape[0] else np.dtype("float64")

    def __len__(self) -> int:
        return self.shape[0]

    def _index(self, idx: Any) -> Any:
        if isinstance(idx, np.ndarray):
            return self.xp.asarray(idx.astype(np.int64), device=_device(self.array))
        return idx

    def take(self, rows: np.ndarray, axis: int = 0) -> np.ndarray:
        if axis != 0:
            raise ValueError("DeviceMatrix.take gathers rows only.")
        return to_numpy(self.xp.take(self.array, self._index(np.asarray(rows)), axis=0))

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):
            rows, col = key
            if isinstance(rows, np.ndarray) and isinstance(col, (np.ndarray, int, np.integer)):
                return self.gather(rows, np.asarray(col))  # only these values cross to the host
            if isinstance(rows, np.ndarray):
                return self.take(rows)[:, col]
            return to_numpy(self.array[rows, col])
        if isinstance(key, np.ndarray):
            if key.dtype == bool:
                key = np.flatnonzero(key)
            return self.take(key)
        if isinstance(key, slice):  # the array API wants in-bounds stops and every axis named
            key = slice(*key.indices(self.shape[0]))
        return to_numpy(self.array[key, ...])

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """P[rows, cols] for broadcastable integer index arrays, gathered on the device."""
        rows, cols = np.broadcast_arrays(rows, cols)
        flat_index = (rows.astype(np.int64) * self.shape[1] + cols).ravel()
        flat = self.xp.reshape(self.array, (self.shape[0] * self.shape[1],))
        values = to_numpy(self.xp.take(flat, self._index(flat_index), axis=0))
        return values.reshape(rows.shape)


# Values per block of a pass on the device: the blocks bound the temporaries a library may make
# (a few block-sized arrays at most), not cache use as on the CPU, and every block costs a few
# device-to-host transfers, so they are large: 2**25 values (256 MiB of float64).
DEVICE_BLOCK_VALUES = 1 << 25


def device_block_rows(num_classes: int) -> int:
    return max(1, DEVICE_BLOCK_VALUES // max(num_classes, 1))


def value_range(P: DeviceMatrix) -> tuple[float, float]:
    """(min, max) of a device matrix, NaN in both when any value is NaN."""
    if hasattr(P, "value_range"):  # matrices with their own distributed pass (engines/)
        return P.value_range()
    block_rows = device_block_rows(P.shape[1])
    lo, hi = np.inf, -np.inf
    for start in range(0, P.shape[0], block_rows):
        block = P.array[start : min(start + block_rows, P.shape[0]), ...]
        block_min = float(to_numpy(P.xp.min(block)))
        block_max = float(to_numpy(P.xp.max(block)))
        if np.isnan(block_min) or np.isnan(block_max):
            return float("nan"), float("nan")
        lo, hi = min(lo, block_min), max(hi, block_max)
    return lo, hi


def _device(x: Any) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def row_pass(P: DeviceMatrix, cut: np.ndarray):
    """(argmax, row max, argmax passes its threshold, global min) computed on the device."""
    block_rows = device_block_rows(P.shape[1])
    xp, array = P.xp, P.array
    device = _device(array)
    cut_d = xp.asarray(cut, device=device)
    n = P.shape[0]
    argmax = np.empty(n, dtype=np.intp)
    row_max = np.empty(n, dtype=P.dtype)
    confident = np.empty(n, dtype=bool)
    smallest = np.inf
    for start in range(0, n, block_rows):
        block = array[start : min(start + block_rows, n), ...]
        top = xp.argmax(block, axis=1)
        top_value = xp.max(block, axis=1)
        ok = top_value >= xp.take(cut_d, top, axis=0)
        stop = start + int(block.shape[0])
        argmax[start:stop] = to_numpy(top)
        row_max[start:stop] = to_numpy(top_value)
        confident[start:stop] = to_numpy(ok)
        block_min = float(to_numpy(xp.min(block)))
        if block_min < smallest or np.isnan(block_min):
            smallest = block_min
    return argmax, row_max, confident, smallest


def self_confidence(P: DeviceMatrix, labels: np.ndarray) -> np.ndarray:
    """P[i, labels[i]] gathered on the device; N values come back."""
    return P.gather(np.arange(P.shape[0]), labels)


def place(pred_probs: np.ndarray, device: str):
    """Move a NumPy matrix to a device: 'cpu' keeps it; 'cuda' uses CuPy, else PyTorch; 'auto'
    picks 'cuda' when one is usable."""
    from labelaudit.errors import ConfigError

    if device not in DEVICES:
        raise ConfigError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}.")
    if device == "cpu":
        return pred_probs
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            return DeviceMatrix(cupy.asarray(pred_probs))
    except Exception:  # no cupy, or no driver: try torch
        pass
    try:
        import torch

        if torch.cuda.is_available():
            return DeviceMatrix(torch.from_numpy(np.ascontiguousarray(pred_probs)).to("cuda"))
    except ImportError:
        pass
    if device == "auto":
        return pred_probs
    raise ConfigError(
        "--device cuda needs a CUDA GPU with CuPy or PyTorch installed "
        "(pip install 'labelaudit[gpu]'); none was found."
    )
