"""The Dask engine: the passes over the probabilities run as Dask tasks on a cluster.

The probability matrix stays on the workers, chunked by rows. Every full pass the engine makes
(validation, row maxima and the confident guess, self-confidence, the suggestion's probability)
is one `map_blocks` over the chunks whose per-row results (O(N) vectors) come back to this
process; the selections (thresholds, pruning, ranking) then run here with NumPy's own sorts on
those vectors, and the few rows pruning and suggestions need are gathered from the workers. The
engine code is the one every backend shares (backend.DeviceMatrix), so the answer is the local
engine's, bit for bit.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from labelaudit.backend import DeviceMatrix
from labelaudit.errors import ConfigError, InvalidInputError, LabelAuditError

# Rows per chunk: about 32 MiB of float64 per task, enough to amortise task overhead.
CHUNK_VALUES = 1 << 22
# Seconds to wait for a scheduler (LABELAUDIT_DASK_TIMEOUT overrides).
CONNECT_TIMEOUT_S = 20


def _require_dask():
    try:
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError("--engine dask needs Dask: pip install 'labelaudit[dask]'.") from exc


@contextlib.contextmanager
def client(scheduler: str | None) -> Iterator[object]:
    """A distributed Client on the given scheduler, or on a LocalCluster started for the run."""
    _require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        timeout = float(os.environ.get("LABELAUDIT_DASK_TIMEOUT", CONNECT_TIMEOUT_S))
        try:
            c = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise InvalidInputError(
                f"could not reach the Dask scheduler at {scheduler} ({exc})."
            ) from exc
        try:
            yield c
        finally:
            c.close()
        return
    try:
        with _workers_deaf_to_ctrl_c():
            cluster = LocalCluster(threads_per_worker=1, processes=True, dashboard_address=None)
    except (RuntimeError, OSError) as exc:
        raise LabelAuditError(f"could not start a local Dask cluster ({exc}).") from exc
    with cluster, Client(cluster) as c:
        yield c


@contextlib.contextmanager
def _workers_deaf_to_ctrl_c() -> Iterator[None]:
    """Start the local worker processes with SIGINT ignored (they inherit that disposition).

    Ctrl-C signals the whole process group: workers interrupted on their own would print
    tracebacks of their own and die under the cluster. Deaf to it, they are stopped by this
    process closing the cluster instead. The price: a Ctrl-C during the cluster's start-up
    (a second or two) is ignored too; one pressed after it interrupts the audit. SIGTERM is
    left alone (the nanny stops its workers with it).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def translated_faults(source: str) -> Iterator[None]:
    """Cluster failures as one readable LabelAuditError (exit code 2 in the CLI)."""
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    try:
        yield
    except KilledWorker as exc:
        raise LabelAuditError(
            f"a Dask worker died while processing {source} (the task killed "
            f"{exc.args[1] if len(exc.args) > 1 else 'its worker'} repeatedly); check the "
            "workers' memory limits and logs. No report was written."
        ) from exc
    except (CommClosedError, OSError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise InvalidInputError(f"{source}: {exc}") from exc
        raise LabelAuditError(
            f"lost the connection to the Dask cluster while processing {source} ({exc}). "
            "No report was written."
        ) from exc


class DaskMatrix(DeviceMatrix):
    """An N×K dask array, chunked by rows, seen through the engine's matrix interface."""

    def __init__(self, array, *, persist: bool = False) -> None:
        array = array.rechunk({1: -1})
        # Kept in the workers' memory: every later pass and gather reads it from there instead
        # of from the source files.
        self.array = array.persist() if persist else array
        self.xp = None
        self.shape = tuple(int(d) for d in array.shape)
        self.ndim = 2
        self.dtype = np.dtype(array.dtype)
        self._cached_rows = np.empty(0, dtype=np.int64)
        self._cache = np.empty((0, self.shape[1]), dtype=self.dtype)

    def prefetch(self, rows: np.ndarray) -> None:
        """Bring these rows here in one task graph when they fit comfortably in memory; later
        gathers of them are served locally (pruning reads its candidate rows many times)."""
        from labelaudit.io.stream import available_memory

        budget = available_memory() // 8
        row_bytes = self.shape[1] * self.dtype.itemsize
        if self.shape[0] * row_bytes <= budget:
            # Everything fits: pruning also reads whole classes for some cells, so take it all.
            self._cache = np.asarray(self.array.compute())
            self._cached_rows = np.arange(self.shape[0])
            return
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        if rows.size and rows.size * row_bytes <= budget:
            self._cache = np.asarray(self.array[rows].compute())
            self._cached_rows = rows

    def take(self, rows: np.ndarray, axis: int = 0) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        if len(self._cached_rows):
            where = np.searchsorted(self._cached_rows, rows)
            where = np.minimum(where, len(self._cached_rows) - 1)
            if np.array_equal(self._cached_rows[where], rows):
                return self._cache[where]
        unique, inverse = np.unique(rows, return_inverse=True)
        return np.asarray(self.array[unique].compute())[inverse]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return np.asarray(self.array[slice(*key.indices(self.shape[0]))].compute())
        return super().__getitem__(key)

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        rows, cols = np.broadcast_arrays(np.asarray(rows), np.asarray(cols))
        if (
            rows.ndim == 1
            and len(rows) == self.shape[0]
            and np.array_equal(rows, np.arange(len(rows)))
        ):
            return self._pick(cols)
        flat_rows = rows.ravel()
        unique, inverse = np.unique(flat_rows, return_inverse=True)
        values = self.take(unique)
        return values[inverse, cols.ravel()].reshape(rows.shape)

    def _pick(self, cols: np.ndarray) -> np.ndarray:
        """P[i, cols[i]] for every row, one task per chunk."""
        import dask.array as da

        cols_d = da.from_array(np.asarray(cols, dtype=np.int64), chunks=(self.array.chunks[0],))
        picked = da.map_blocks(
            _pick_block, self.array, cols_d[:, None], dtype=self.dtype, drop_axis=1
        )
        return np.asarray(picked.compute())

    def row_stats(self, cut: np.ndarray):
        """joint.row_stats on the workers, the confident guess settled there too:
        (argmax, row max, guess, confident, global min)."""
        import dask.array as da

        stats = da.map_blocks(
            _row_block,
            self.array,
            np.asarray(cut),
            dtype=np.float64,
            chunks=(self.array.chunks[0], (5,)),
        )
        values = np.asarray(stats.compute())
        argmax = values[:, 0].astype(np.intp)
        row_max = values[:, 1].astype(self.dtype)  # exact: float64 holds every float32 value
        guess = values[:, 2].astype(np.intp)
        confident = values[:, 3] > 0
        smallest = values[:, 4].min() if len(values) else np.inf  # NaN propagates
        return argmax, row_max, guess, confident, smallest

    def value_range(self) -> tuple[float, float]:
        import dask

        low, high = dask.compute(self.array.min(), self.array.max())
        if np.isnan(low) or np.isnan(high):
            return float("nan"), float("nan")
        return float(low), float(high)

    def row_checks(self) -> np.ndarray:
        """Per row: sum (float64), min, max, and whether every value is finite."""
        import dask.array as da

        stats = da.map_blocks(
            _check_block, self.array, dtype=np.float64, chunks=(self.array.chunks[0], (4,))
        )
        return np.asarray(stats.compute())


def _pick_block(block: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return block[np.arange(block.shape[0]), cols[:, 0]]


def _row_block(block: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The local engine's row pass on one chunk (joint.row_stats and its _settle step), packed
    as float64 columns: argmax, max, guess, confident, min."""
    from labelaudit.confident.joint import _settle

    top = block.argmax(axis=1)
    top_value = np.take_along_axis(block, top[:, None], axis=1)[:, 0]
    confident = top_value >= cut[top]
    guess = top.copy()
    miss = np.flatnonzero(~confident)
    if len(miss):
        _settle(block[miss], cut, miss, confident, guess)
    out = np.empty((block.shape[0], 5))
    out[:, 0] = top
    out[:, 1] = top_value
    out[:, 2] = guess
    out[:, 3] = confident
    out[:, 4] = block.min(axis=1) if block.shape[1] else np.inf
    return out


def _check_block(block: np.ndarray) -> np.ndarray:
    out = np.empty((block.shape[0], 4))
    out[:, 0] = block.sum(axis=1)
    out[:, 1] = block.min(axis=1)
    out[:, 2] = block.max(axis=1)
    out[:, 3] = np.isfinite(block).all(axis=1)
    return out


def _repair_block(block: np.ndarray, repair: np.ndarray, dtype) -> np.ndarray:
    """io.probabilities.check_probabilities' repair, on one chunk (the same arithmetic)."""
    rows = repair[:, 0]
    if not rows.any():
        return block.astype(dtype, copy=False)
    fixed_block = np.array(block, dtype=dtype)
    fixed = np.clip(fixed_block[rows], 0.0, None)
    fixed_block[rows] = fixed / fixed.sum(axis=1, keepdims=True)
    return fixed_block


def load(path: str, *, logits: bool = False):
    """A row-chunked dask array of an N×K .npy, .parquet or .csv at a local path or fsspec URL."""

    text = str(path)
    suffix = Path(text.split("?", 1)[0]).suffix.lower()
    if suffix == ".npy":
        array = _load_npy(text)
    elif suffix in (".parquet", ".csv"):
        import dask.dataframe as dd

        try:
            frame = dd.read_parquet(text) if suffix == ".parquet" else dd.read_csv(text)
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"{text}: cannot be read ({exc}).") from exc
        if len(frame.columns) and str(frame.columns[0]).startswith("Unnamed: 0"):
            frame = frame.iloc[:, 1:]  # the index DataFrame.to_csv writes (io.formats)
        from labelaudit.io.probabilities import check_class_columns

        check_class_columns(list(frame.columns), Path(text))
        non_numeric = [c for c, t in frame.dtypes.items() if t.kind not in "fiu"]
        if non_numeric:
            raise InvalidInputError(
                f"{text}: column {non_numeric[0]!r} is not numeric; the Dask engine reads K "
                "numeric probability columns."
            )
        array = frame.to_dask_array(lengths=True).astype(np.float64)
    else:
        raise InvalidInputError(
            f"{text}: the Dask engine reads .npy, .parquet or .csv probabilities."
        )
    if array.ndim != 2 or array.shape[1] < 2:
        raise InvalidInputError(
            f"{text}: probabilities must be N×K with K >= 2, got {array.shape}."
        )
    rows = max(1, CHUNK_VALUES // array.shape[1])
    array = array.rechunk((rows, -1))
    if logits:
        from scipy.special import softmax

        array = array.astype(np.float64).map_blocks(lambda b: softmax(b, axis=1), dtype=np.float64)
    return array


def _load_npy(url: str):
    import dask
    import dask.array as da
    import fsspec

    from labelaudit.io.stream import npy_header

    try:
        with fsspec.open(url, "rb") as fh:
            shape, fortran, dtype, offset = npy_header(fh)
        size = fsspec.open(url).fs.size(fsspec.core.strip_protocol(url))
    except FileNotFoundError as exc:
        raise InvalidInputError(f"{url}: no such file.") from exc
    except (ValueError, OSError, EOFError) as exc:
        raise InvalidInputError(f"{url}: not a readable .npy array ({exc}).") from exc
    if len(shape) != 2:
        raise InvalidInputError(f"{url}: probabilities must be N×K, got shape {shape}.")
    n, k = shape
    needed = offset + n * k * dtype.itemsize
    if size < needed:
        raise InvalidInputError(
            f"{url}: the file is truncated ({size:,} bytes, the header promises {needed:,})."
        )
    rows = max(1, CHUNK_VALUES // max(k, 1))
    blocks = [
        da.from_delayed(
            dask.delayed(_read_rows)(
                url, offset, dtype.str, (n, k), start, min(n, start + rows), fortran
            ),
            shape=(min(n, start + rows) - start, k),
            dtype=dtype,
        )
        for start in range(0, n, rows)
    ]
    return da.concatenate(blocks, axis=0) if blocks else da.zeros((0, k), dtype=dtype)


def _read_rows(
    url: str, offset: int, dtype: str, shape: tuple[int, int], start: int, stop: int, fortran: bool
) -> np.ndarray:
    """Rows [start, stop) of a .npy, read on a worker: one read in C order, one per column in
    Fortran order (where each column's rows are contiguous)."""
    import fsspec

    n, k = shape
    size = np.dtype(dtype).itemsize
    count = stop - start
    with fsspec.open(url, "rb") as fh:
        if not fortran:
            fh.seek(offset + start * k * size)
            data = fh.read(count * k * size)
            if len(data) != count * k * size:
                raise OSError(f"{url}: short read at rows {start}..{stop} (truncated file?)")
            return np.frombuffer(data, dtype=dtype).reshape(count, k)
        out = np.empty((count, k), dtype=dtype, order="F")
        for c in range(k):
            fh.seek(offset + (c * n + start) * size)
            data = fh.read(count * size)
            if len(data) != count * size:
                raise OSError(f"{url}: short read at column {c} (truncated file?)")
            out[:, c] = np.frombuffer(data, dtype=dtype)
        return out


def checked(matrix: DaskMatrix, source: str) -> DaskMatrix:
    """io.probabilities.check_probabilities on the cluster: the same rules, messages, repairs."""
    from labelaudit.io.probabilities import SUM_TOLERANCE, ProbabilityWarning, judge_rows

    stats = matrix.row_checks()

    def row_values(row: int) -> np.ndarray:
        return matrix[np.array([row])][0]

    repair = judge_rows(source, stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3] > 0, row_values)
    if not repair.any():
        return DaskMatrix(matrix.array, persist=True)
    import dask.array as da

    dtype = np.float64 if matrix.dtype == np.float16 else matrix.dtype
    mask = da.from_array(repair[:, None], chunks=(matrix.array.chunks[0], (1,)))
    fixed = da.map_blocks(_repair_block, matrix.array, mask, dtype, dtype=dtype)
    warnings.warn(
        f"{source}: renormalised {int(repair.sum())} row(s) whose probabilities were slightly "
        f"off (sum within {SUM_TOLERANCE:g} of 1 or values just outside [0, 1]).",
        ProbabilityWarning,
        stacklevel=2,
    )
    return DaskMatrix(fixed, persist=True)


class DaskEngine:
    """The probabilities stay on a Dask cluster: a LocalCluster started for the run, or the
    scheduler at `scheduler`. Ensembles are averaged on the workers, block by block, with the
    local engine's own arithmetic (io.probabilities.ensemble_mean), so the answer is identical."""

    name = "dask"

    def __init__(self, scheduler: str | None = None) -> None:
        self.scheduler = scheduler
        self._client = None

    def describe(self) -> str:
        workers = len(self._client.scheduler_info().get("workers", {})) if self._client else 0
        return f"{workers} Dask worker(s)"

    @contextlib.contextmanager
    def session(self, sources) -> Iterator[None]:
        named = ", ".join(str(s) for s in sources) or "the probabilities"
        with client(self.scheduler) as c, translated_faults(named):
            self._client = c
            try:
                yield
            finally:
                self._client = None

    def probabilities(self, sources, *, logits=False, multi_label=False, block_rows=None):
        from labelaudit.io.evidence import Probabilities

        if not all(isinstance(s, (str, Path)) for s in sources):
            raise ConfigError("--engine dask reads probability files or URLs, not arrays.")
        names = [str(s) for s in sources]
        if multi_label:  # label sets are audited class by class in this process
            return _gathered_multilabel(names, logits)
        from labelaudit.io.probabilities import check_same_shape

        members = []
        for name in names:
            members.append(checked(DaskMatrix(load(name, logits=logits)), name))
            check_same_shape(members, names)
        if len(members) == 1:
            return Probabilities(members[0], members, names, True)
        import dask.array as da

        chunks = members[0].array.chunks
        arrays = [m.array.rechunk(chunks) for m in members]
        mean = da.map_blocks(_mean_of_blocks, *arrays, dtype=np.float64)
        return Probabilities(DaskMatrix(mean, persist=True), members, names, True)


def _mean_of_blocks(*blocks: np.ndarray) -> np.ndarray:
    from labelaudit.io.probabilities import ensemble_mean

    return ensemble_mean(list(blocks))


def _gathered_multilabel(names: list[str], logits: bool):
    """Multi-label probabilities brought to this process and checked as the local engine does."""
    from labelaudit.io.evidence import Probabilities
    from labelaudit.io.probabilities import check_same_shape, ensemble_mean, prepare_member

    members = []
    for name in names:
        matrix = np.asarray(load(name).compute())
        members.append(prepare_member(matrix, name, logits=logits, multi_label=True))
        check_same_shape(members, names)
    return Probabilities(ensemble_mean(members), members, names, True)
