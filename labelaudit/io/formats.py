"""File formats labelaudit reads, and the small helpers that name a file in error messages."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from labelaudit.errors import InvalidInputError
from labelaudit.io.sniff import sniff, unreadable

LABEL_SUFFIXES = (".npy", ".csv", ".parquet", ".txt")
PROB_SUFFIXES = (".npy", ".csv", ".parquet")


def check_readable(path: Path, suffixes: tuple[str, ...], what: str) -> str:
    """Return the lower-case suffix of an existing, non-empty file of a supported format."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise InvalidInputError(
            f"{path}: unknown {what} format {suffix or '(no extension)'!r}; "
            f"use one of {', '.join(suffixes)}."
        )
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file.")
    if not path.is_file():
        raise InvalidInputError(f"{path}: not a regular file.")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot be read ({exc.strerror}).") from exc
    if size == 0:
        raise InvalidInputError(f"{path}: the file is empty.")
    return suffix


def sha256_of(path: Path, stop: threading.Event | None = None) -> str | None:
    """SHA-256 of a file's bytes, streamed so large inputs are not held in memory; None when
    `stop` is set before the end (an interrupted audit does not wait for its hashes)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                return None
            digest.update(chunk)
    return digest.hexdigest()


def read_table(path: Path, suffix: str, columns: list[str] | None = None):
    """Read a CSV or Parquet file into a pandas DataFrame with a readable error when corrupt."""
    import pandas as pd

    try:
        if suffix == ".csv":
            # utf-8-sig: UTF-8, with the byte-order mark Excel writes removed when present
            return drop_pandas_index(pd.read_csv(path, encoding="utf-8-sig"))
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=columns).to_pandas()
    except UnicodeDecodeError as exc:
        raise not_utf8(path, "CSV file") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise unreadable(path, "CSV file", ".csv", exc) from exc
    except Exception as exc:
        if type(exc).__module__.startswith("pyarrow"):
            raise unreadable(path, "Parquet file", ".parquet", exc) from exc
        raise


def drop_pandas_index(table):
    """Drop the unnamed first column that DataFrame.to_csv writes for the index by default.

    pandas names an empty header cell "Unnamed: 0"; read as data it would become a class
    column of the probabilities or shift every other column.
    """
    if len(table.columns) and str(table.columns[0]).startswith("Unnamed: 0"):
        return table.iloc[:, 1:]
    return table


def read_npy(path: Path, *, mmap: bool = False):
    """np.load without pickles, with a readable error for truncated or foreign files.

    mmap=True maps the file read-only instead of copying it into memory: the audit reads it
    once or twice in blocks, and the page cache serves those reads without a private copy
    (io/stream.py keeps the mapped pages from piling up in the resident set).
    """
    import numpy as np

    from labelaudit.io.stream import check_npy_size, map_npy

    if mmap:
        return map_npy(path)  # pages released while stream.bounded_residency runs
    check_npy_size(path)  # a header promising more than the file holds is not allocated
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) and (sniff(path) or ("",))[0] == ".npy":
            raise InvalidInputError(
                f"{path}: holds Python objects (a pickled array), not numbers or text; save it "
                "with a numeric or string dtype."
            ) from exc
        check_npy_size(path)
        raise unreadable(path, ".npy array", ".npy", exc) from exc
    except (OSError, EOFError) as exc:
        check_npy_size(path)
        raise unreadable(path, ".npy array", ".npy", exc) from exc


def not_utf8(path: Path, what: str = "text file") -> InvalidInputError:
    """The error for a text file that is not UTF-8, naming its first bad line (read again, in
    blocks: this runs only once the reader has already failed)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += block[: exc.start].count(b"\n")
                break
            line += block.count(b"\n")
    return InvalidInputError(
        f"{path}: not a readable {what}, line {line} is not UTF-8 text; save the file as UTF-8 "
        "(for example with pandas' to_csv(..., encoding='utf-8'))."
    )
