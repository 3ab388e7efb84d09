"""Read multi-label LABELS: Parquet list columns, CSV/TXT 'a;b' cells, or an N×K 0/1 .npy matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import LABEL_SUFFIXES, check_readable, read_npy
from labelaudit.io.labels import (
    DEFAULT_LABEL_COLUMN,
    _did_you_mean,
    read_label_table,
    read_text_lines,
)

SEPARATOR = ";"


@dataclass(frozen=True)
class MultiLabelData:
    """Each example's label set as class indices, the class names when known, optional ids."""

    labels: list[list[int]]
    class_names: list[str] | None
    ids: np.ndarray | None
    id_column: str | None


def read_multilabels(
    path: Path,
    *,
    label_column: str = DEFAULT_LABEL_COLUMN,
    id_column: str | None = None,
    class_names: list[str] | None = None,
) -> MultiLabelData:
    path = Path(path)
    suffix = check_readable(path, LABEL_SUFFIXES, "labels")
    ids, id_name = None, None
    if suffix == ".npy":
        matrix = read_npy(path)
        if matrix.ndim != 2 or not np.isin(matrix, (0, 1)).all():
            raise InvalidInputError(
                f"{path}: multi-label .npy labels must be an N×K matrix of 0 and 1."
            )
        sets = [list(np.flatnonzero(row)) for row in matrix]
        return MultiLabelData([[int(c) for c in s] for s in sets], class_names, None, None)
    if suffix == ".txt":
        cells = read_text_lines(path)
        while cells and not cells[-1].strip():
            cells.pop()
    else:
        column, ids, id_name = read_label_table(path, suffix, label_column, id_column)
        cells = column.tolist()
    tokens = [_split(cell) for cell in cells]
    if not tokens:
        raise InvalidInputError(f"{path}: contains no labels.")
    return MultiLabelData(
        _index(tokens, path, class_names), _names(tokens, class_names), ids, id_name
    )


def _split(cell) -> list[str]:
    """One cell to its label tokens: a list/array, or 'a;b' text; empty or missing = no labels."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [str(v) for v in cell]
    return [t.strip() for t in str(cell).split(SEPARATOR) if t.strip()]


def _all_ints(tokens: list[list[str]]) -> bool:
    return all(t.lstrip("-").isdigit() for row in tokens for t in row)


def _names(tokens: list[list[str]], class_names: list[str] | None) -> list[str] | None:
    if class_names is not None or _all_ints(tokens):
        return class_names
    return sorted({t for row in tokens for t in row})


def _index(tokens: list[list[str]], path: Path, class_names: list[str] | None) -> list[list[int]]:
    if _all_ints(tokens) and class_names is None:
        return [[int(t) for t in row] for row in tokens]
    names = _names(tokens, class_names)
    index = {name: i for i, name in enumerate(names)}
    result = []
    for row, cell in enumerate(tokens):
        unknown = [t for t in cell if t not in index]
        if unknown:
            raise InvalidInputError(
                f"{path}: row {row} has class {unknown[0]!r}, which is not in --class-names"
                f"{_did_you_mean(unknown[0], names)}."
            )
        result.append([index[t] for t in cell])
    return result


def check_label_sets(sets: list[list[int]], k: int, path: Path, source: object) -> None:
    """Every class in every label set must index one of the K probability columns."""
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    if not lengths.sum():
        return
    flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets if len(s)])
    bad = (flat < 0) | (flat >= k)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(np.cumsum(lengths), at, side="right"))
        raise InvalidInputError(
            f"{path}: row {row} has class {int(flat[at])}, outside [0, {k}) for the {k} "
            f"probability columns of {source}."
        )
