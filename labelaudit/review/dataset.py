"""Join a report with the dataset it describes: by id when the report has ids, else by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

DATASET_SUFFIXES = (".csv", ".parquet", ".jsonl")
TABLE_SUFFIXES = DATASET_SUFFIXES


def read_dataset(path: Path):
    """A CSV, Parquet or JSON-lines table as a pandas DataFrame, with readable errors."""
    import pandas as pd

    from labelaudit.io.formats import check_readable, read_table

    path = Path(path)
    suffix = check_readable(path, DATASET_SUFFIXES, "dataset")
    if suffix == ".jsonl":
        try:
            frame = pd.read_json(path, lines=True)
        except ValueError as exc:
            raise InvalidInputError(f"{path}: not a readable JSON-lines file ({exc}).") from exc
    else:
        frame = read_table(path, suffix)
    if len(frame) == 0:
        raise InvalidInputError(f"{path}: the dataset has no rows.")
    return frame


def dataset_id_column(report: Report, id_column: str | None) -> str:
    return id_column or report.metadata.get("options", {}).get("id_column") or "id"


def align(report: Report, dataset, path: Path, id_column: str | None = None):
    """The dataset's rows in report row order (a DataFrame with a fresh 0..N-1 index).

    With ids in the report, every report id must occur exactly once in the dataset (extra
    dataset rows are fine); without, the dataset must have exactly one row per report row.
    """
    n = len(report.columns["row"])
    if "id" in report.columns:
        name = dataset_id_column(report, id_column)
        if name not in dataset.columns:
            from labelaudit.io.labels import _did_you_mean

            raise InvalidInputError(
                f"{path}: no id column {name!r}{_did_you_mean(name, dataset.columns)}; the "
                "report identifies rows by id (choose the column with --id-column)."
            )
        ids = dataset[name]
        duplicated = ids.duplicated()
        if duplicated.any():
            raise InvalidInputError(
                f"{path}: id {ids[duplicated].iloc[0]!r} appears more than once in column {name!r}."
            )
        position = {value: i for i, value in enumerate(ids.tolist())}
        wanted = report.columns["id"].tolist()
        missing = [value for value in wanted if value not in position]
        if missing:
            raise InvalidInputError(
                f"{path}: {len(missing)} of the report's {n} ids are missing from column "
                f"{name!r} (first: {missing[0]!r})."
            )
        order = np.fromiter((position[value] for value in wanted), dtype=np.int64, count=n)
        return dataset.iloc[order].reset_index(drop=True)
    total = int(report.metadata.get("n", n))  # a --only-flagged report holds fewer rows
    if len(dataset) != total:
        raise InvalidInputError(
            f"{path} has {len(dataset)} rows but the report describes {total} examples; without "
            "an id column they are joined by position, so the counts must match."
        )
    return dataset.iloc[report.columns["row"]].reset_index(drop=True)


def write_table(frame, out: Path) -> None:
    """Write a DataFrame as .csv, .parquet or .jsonl (by suffix), atomically."""
    from labelaudit.io.atomic import atomic_path

    suffix = out.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InvalidInputError(
            f"--out {out}: unknown format {suffix or '(no extension)'!r}; use one of "
            f"{', '.join(TABLE_SUFFIXES)}."
        )
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
