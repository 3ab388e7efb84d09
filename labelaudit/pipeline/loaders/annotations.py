"""--annotations: one column per annotator (.csv or .parquet), named in the header; a cell is a
class index, or a class name (mapped through --class-names, else sorted as labels are), and an
empty cell means "not labelled". An id column (--id-column, else `id`) is carried, not read as
an annotator; a leading unnamed pandas index column is dropped, as for labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.evidence import Annotations

SUFFIXES = (".csv", ".parquet")


def load(request, engine, observer) -> Annotations:
    from labelaudit.pipeline.loaders.labels import class_names

    del engine
    with observer.stage("Reading annotations"):
        return read_annotations(
            Path(request.annotations), id_column=request.id_column, class_names=class_names(request)
        )


def read_annotations(
    path: Path, *, id_column: str | None = None, class_names: list[str] | None = None
) -> Annotations:
    """The annotations file as an Annotations (cells decoded, empty columns and rows refused)."""
    from labelaudit.io.formats import check_readable, read_table
    from labelaudit.io.labels import table_ids, to_class_indices

    suffix = check_readable(path, SUFFIXES, "annotations")
    table = read_table(path, suffix)
    ids, id_name = table_ids(table, id_column, path)
    columns = [c for c in table.columns if c != id_name]
    if not columns:
        raise InvalidInputError(f"{path}: no annotator columns besides the id column.")
    cells = table[columns]
    labelled = ~cells.isna().to_numpy()
    text = [c for c in columns if cells[c].dtype.kind not in "iufb"]
    for c in text:  # a blank string is an empty cell too
        blank = cells[c].map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        labelled[:, columns.index(c)] &= ~blank
    for m in np.flatnonzero(~labelled.any(axis=0)):
        raise InvalidInputError(
            f"{path}: annotator column {columns[m]!r} has no labels; drop it or fill it in."
        )
    for row in np.flatnonzero(~labelled.any(axis=1)):
        raise InvalidInputError(
            f"{path}: row {row} has no annotation; every example needs at least one."
        )
    rows, cols = np.nonzero(labelled)
    values = cells.to_numpy(dtype=object)[rows, cols]
    if text:  # names or integer-like strings, decoded as the label reader decodes labels
        values = np.array([_as_text(v) for v in values], dtype=object)
    else:
        values = values.astype(np.float64)

    def where(i: int) -> str:
        return f"row {rows[i]}, annotator {columns[cols[i]]!r}"

    codes, names = to_class_indices(values, path, class_names, where)
    if class_names is None and names is not None:
        raise InvalidInputError(
            f"{path}: the annotations hold class names ({', '.join(map(repr, names[:3]))}"
            f"{', …' if len(names) > 3 else ''}); pass --class-names with every class in the "
            "column order of the probabilities."
        )
    matrix = np.full(labelled.shape, np.nan)
    matrix[rows, cols] = codes
    holds_names = bool(text) and names is not None
    return Annotations(
        matrix, [str(c) for c in columns], names, holds_names, ids, id_name, str(path)
    )


def _as_text(value) -> str:
    """A cell of a table that holds text somewhere: integral numbers as integers ("3", not "3.0")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
