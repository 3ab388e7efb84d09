"""Per-epoch model outputs (training dynamics) read one epoch at a time.

Three layouts: one E×N×K `.npy` (memory-mapped), a directory of per-epoch N×K `.npy` files
(ordered by the number in each name, which is the epoch), or a Parquet table with `epoch`,
`row` and K value columns (or one list column). Only one epoch is ever in memory, so records
larger than RAM are fine. Each epoch is checked as it is read: same N and K, finite values,
and one kind (probabilities or logits) throughout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError

KINDS = ("auto", "probs", "logits")
MIN_EPOCHS = 3
# Rows of a probability epoch sum to 1 within this (float32 softmax outputs drift by ~1e-6).
SUM_TOLERANCE = 1e-3
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Epoch:
    """One recorded epoch: its number and how to load its N×K outputs."""

    number: int
    where: str  # for error messages: "file.npy epoch 3" / "dir/epoch_0003.npy"
    load: Callable[[], np.ndarray]


@dataclass
class Dynamics:
    """A validated handle on E epochs of N×K outputs; iterate to get probabilities per epoch."""

    epochs: list[Epoch]
    n: int
    k: int
    kind: str  # "probs" or "logits", resolved from the first epoch when "auto"
    source: str

    @property
    def numbers(self) -> np.ndarray:
        return np.array([e.number for e in self.epochs], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.epochs)

    def outputs(
        self, stop: int | None = None, *, scores: bool = True, check: bool = True
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """Yield (index, probabilities, log-scores) for epochs [0, stop).

        Log-scores are the logits when logits were recorded, else log(probabilities); both give
        the same softmax margins, which is what AUM needs. scores=False yields None instead
        (a pass that needs only the probabilities skips the logarithm). check=False skips the
        per-epoch validation, for a second pass over epochs a first pass already checked.
        """
        for index, epoch in enumerate(self.epochs[:stop]):
            values = epoch.load()
            if check:
                check_epoch(values, epoch.where, self.n, self.k)
                if self.kind == "probs" and epoch_kind(values) == "logits":
                    raise InvalidInputError(
                        f"{epoch.where}: holds logits (values outside [0, 1] or rows not summing "
                        f"to 1) but earlier epochs of {self.source} hold probabilities; record "
                        "one kind."
                    )
            if self.kind == "logits":
                logits = np.asarray(values, dtype=np.float64)
                shifted = logits - logits.max(axis=1, keepdims=True)
                probs = np.exp(shifted)
                probs /= probs.sum(axis=1, keepdims=True)
                yield index, probs, logits if scores else None
            else:
                probs = np.asarray(values, dtype=np.float64)
                if not scores:
                    yield index, probs, None
                    continue
                with np.errstate(divide="ignore"):
                    yield index, probs, np.log(np.clip(probs, 1e-12, None))


def check_epoch(values: np.ndarray, where: str, n: int, k: int) -> np.ndarray:
    """Shape, dtype and finiteness of one epoch, with the first offending cell named."""
    if values.ndim != 2:
        raise InvalidInputError(f"{where}: an epoch must be N×K, got shape {values.shape}.")
    if values.shape != (n, k):
        raise InvalidInputError(
            f"{where}: shape {values.shape} differs from the first epoch's ({n}, {k}); every "
            "epoch must cover the same examples and classes."
        )
    if values.dtype.kind not in "fiu":
        raise InvalidInputError(f"{where}: outputs must be numeric, got dtype {values.dtype}.")
    finite = np.isfinite(values)
    if not finite.all():
        row, col = (int(v[0]) for v in np.nonzero(~finite))
        raise InvalidInputError(
            f"{where}: row {row}, column {col} is {values[row, col]}; outputs must be finite."
        )
    return values


def epoch_kind(values: np.ndarray) -> str:
    """'probs' when every value is in [0, 1] and rows sum to 1, else 'logits'."""
    if values.min() < -1e-6 or values.max() > 1 + 1e-6:
        return "logits"
    sums = values.sum(axis=1, dtype=np.float64)
    return "probs" if np.abs(sums - 1).max() <= SUM_TOLERANCE else "logits"


def read_dynamics(path: Path, *, kind: str = "auto") -> Dynamics:
    """Open a dynamics record (.npy, directory or .parquet); check shapes and the kind."""
    path = Path(path)
    _check_kind(kind, "--dynamics-kind")
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or directory.")
    if path.is_dir():
        epochs, n, k = _directory_epochs(path)
    elif not path.is_file():
        raise InvalidInputError(f"{path}: not a regular file or directory.")
    elif path.suffix.lower() == ".npy":
        epochs, n, k = _npy_epochs(path)
    elif path.suffix.lower() == ".parquet":
        epochs, n, k = _parquet_epochs(path)
    else:
        raise InvalidInputError(
            f"{path}: unknown dynamics format {path.suffix or '(no extension)'!r}; use an "
            "E×N×K .npy, a directory of per-epoch .npy files, or a .parquet table."
        )
    return _opened(epochs, n, k, kind, str(path))


def dynamics_from_array(array: object, kind: str = "auto") -> Dynamics:
    """An in-memory E×N×K array of per-epoch outputs as a Dynamics record."""
    _check_kind(kind, "kind")
    values = np.asarray(array)
    if values.ndim != 3:
        raise InvalidInputError(
            f"dynamics must be E×N×K (epochs × examples × classes), got shape {values.shape}."
        )
    e, n, k = values.shape
    epochs = [Epoch(i, f"epoch {i}", lambda i=i: values[i]) for i in range(e)]
    return _opened(epochs, n, k, kind, "the dynamics array")


def _check_kind(kind: str, option: str) -> None:
    if kind not in KINDS:
        raise InvalidInputError(f"{option} must be one of {', '.join(KINDS)}, got {kind!r}.")


def _opened(epochs: list[Epoch], n: int, k: int, kind: str, source: str) -> Dynamics:
    """The checks every layout shares: enough epochs, at least two classes, and the kind,
    resolved from the first epoch."""
    if len(epochs) < MIN_EPOCHS:
        raise InvalidInputError(
            f"{source}: {len(epochs)} epoch(s) recorded; early-learning detectors need at least "
            f"{MIN_EPOCHS} (record every epoch of training)."
        )
    if k < 2:
        raise InvalidInputError(f"{source}: {k} class column(s); at least 2 classes are needed.")
    first = check_epoch(epochs[0].load(), epochs[0].where, n, k)
    found = epoch_kind(first)
    if kind == "probs" and found == "logits":
        raise InvalidInputError(
            f"{epochs[0].where}: --dynamics-kind probs, but the values are not probabilities "
            "(outside [0, 1] or rows not summing to 1)."
        )
    resolved = found if kind == "auto" else kind
    return Dynamics(epochs=epochs, n=n, k=k, kind=resolved, source=source)


def _npy_epochs(path: Path) -> tuple[list[Epoch], int, int]:
    from labelaudit.io.formats import read_npy

    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path}: the file is empty.")
    array = read_npy(path, mmap=True)
    if array.ndim != 3:
        raise InvalidInputError(
            f"{path}: dynamics must be E×N×K (epochs × examples × classes), got shape "
            f"{array.shape}; a single N×K matrix goes to --pred-probs."
        )
    e, n, k = array.shape
    epochs = [Epoch(i, f"{path} epoch {i}", lambda i=i: array[i]) for i in range(e)]
    return epochs, n, k


def _directory_epochs(path: Path) -> tuple[list[Epoch], int, int]:
    from labelaudit.io.formats import read_npy

    files = sorted(p for p in path.glob("*.npy") if not p.name.startswith("."))
    if not files:
        raise InvalidInputError(f"{path}: the directory holds no per-epoch .npy files.")
    numbered: dict[int, Path] = {}
    for file in files:
        digits = _NUMBER.findall(file.stem)
        if not digits:
            raise InvalidInputError(
                f"{file}: no epoch number in the name; name per-epoch files like epoch_0003.npy."
            )
        number = int(digits[-1])
        if number in numbered:
            raise InvalidInputError(f"{file} and {numbered[number]} both claim epoch {number}.")
        numbered[number] = file
    epochs = []
    for number in sorted(numbered):
        file = numbered[number]
        epochs.append(Epoch(number, str(file), lambda f=file: read_npy(f, mmap=True)))
    first = epochs[0].load()
    if first.ndim != 2:
        raise InvalidInputError(
            f"{epochs[0].where}: a per-epoch file must be N×K, got shape {first.shape}."
        )
    return epochs, first.shape[0], first.shape[1]


def _list_column(cells: list, rows: np.ndarray, path: Path, number: int) -> np.ndarray:
    """One list column of K values per row as an N×K matrix; a missing or shorter list is named
    by its row."""
    lengths = [len(c) if isinstance(c, list) else -1 for c in cells]
    expected = lengths[0] if lengths else 0
    for i, length in enumerate(lengths):
        if length != expected or length < 0:
            what = "is empty" if length < 0 else f"has {length} values"
            raise InvalidInputError(
                f"{path} epoch {number}: row {int(rows[i])} {what} but row {int(rows[0])} has "
                f"{expected}; every row needs K values."
            )
    return np.array(cells, dtype=np.float64).reshape(len(cells), expected)


def _check_table_types(path: Path, schema, value_columns: list[str]) -> None:
    """'epoch' and 'row' hold integers; the values are numbers (or one list column of them)."""
    import pyarrow as pa

    for name in ("epoch", "row"):
        if not pa.types.is_integer(schema.field(name).type):
            raise InvalidInputError(
                f"{path}: column {name!r} holds {schema.field(name).type}, not integers."
            )
    for name in value_columns:
        kind = schema.field(name).type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise InvalidInputError(
                f"{path}: column {name!r} holds {kind}, not numbers; class value columns hold "
                "the model's outputs."
            )


def _parquet_epochs(path: Path) -> tuple[list[Epoch], int, int]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        epoch_column = pq.read_table(path, columns=["epoch"]).column("epoch")
    except Exception as exc:
        if "epoch" not in str(exc) and type(exc).__module__.startswith("pyarrow"):
            from labelaudit.io.sniff import unreadable

            raise unreadable(path, "Parquet file", ".parquet", exc) from exc
        raise InvalidInputError(
            f"{path}: a dynamics table needs columns 'epoch', 'row' and the K class values."
        ) from exc
    if "row" not in names:
        raise InvalidInputError(f"{path}: a dynamics table needs a 'row' column.")
    value_columns = [c for c in names if c not in ("epoch", "row")]
    if not value_columns:
        raise InvalidInputError(f"{path}: no class value columns besides 'epoch' and 'row'.")
    _check_table_types(path, parquet.schema_arrow, value_columns)
    if epoch_column.null_count:
        row = int(np.flatnonzero(epoch_column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidInputError(f"{path}: column 'epoch' is empty at row {row}.")
    numbers = sorted(int(v) for v in pc.unique(epoch_column).to_pylist())
    counts = {int(v["values"]): int(v["counts"]) for v in pc.value_counts(epoch_column).to_pylist()}
    n = counts[numbers[0]] if numbers else 0

    def load(number: int) -> np.ndarray:
        table = pq.read_table(path, filters=[("epoch", "=", number)])
        rows = table.column("row").to_numpy()
        order = np.argsort(rows, kind="stable")
        if not np.array_equal(rows[order], np.arange(len(rows))):
            expected = np.arange(len(rows))
            first = int(np.flatnonzero(rows[order] != expected)[0])
            raise InvalidInputError(
                f"{path} epoch {number}: column 'row' lacks row {first} (it holds "
                f"{rows[order][first]} there); rows must be 0..N-1 exactly once each per epoch."
            )
        if len(value_columns) == 1:
            values = _list_column(table.column(value_columns[0]).to_pylist(), rows, path, number)
        else:
            values = np.column_stack(
                [table.column(c).to_numpy(zero_copy_only=False) for c in value_columns]
            ).astype(np.float64)
        return values[order]

    epochs = [Epoch(e, f"{path} epoch {e}", lambda e=e: load(e)) for e in numbers]
    if not epochs:
        return epochs, 0, 0
    k = epochs[0].load().shape[1] if len(value_columns) == 1 else len(value_columns)
    return epochs, n, k
