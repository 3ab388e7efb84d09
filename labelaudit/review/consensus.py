"""`apply --annotations`: the consensus labels of a multi-annotator report, written as a labels file.

One `label` column (class indices, or class names when the annotations held names), after the
annotations' id column when they have one. Per-row overrides (a reviewer's decisions) replace
the consensus where given; everything else is CROWDLAB's consensus_label as the report holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

SUFFIXES = (".csv", ".parquet")


def guard_consensus_output(
    out: Path, report_path: Path, annotations_path: Path, decisions: Path | None = None
) -> None:
    """The consensus file is .csv or .parquet and no input (checked before anything is read)."""
    from labelaudit.io.outputs import guard_output

    guard_output(
        out,
        [report_path, annotations_path, decisions],
        suffixes=SUFFIXES,
        what="consensus labels are written as .csv or .parquet",
    )


def consensus_labels(
    report: Report, annotations_path: Path, *, overrides: Mapping[int, int] | None = None
):
    """The consensus labels as a DataFrame (id column when there is one, then `label`).

    annotations_path must be the file the report audited: same rows, same ids, the same number
    of annotations per row. overrides maps a row position to the class index to write instead of
    the consensus (the hook for reviewers' decisions); None or {} writes the consensus as is.
    """
    import pandas as pd

    from labelaudit.pipeline.loaders.annotations import read_annotations
    from labelaudit.review.actions import refuse_partial

    refuse_partial(report, "apply")
    if report.metadata.get("task") != "multiannotator":
        raise InvalidInputError(
            "--annotations applies to reports of `audit --annotations`; this report audited "
            "one label per example: pass --labels instead."
        )
    names = report.metadata.get("class_names")
    read = read_annotations(
        Path(annotations_path),
        id_column=report.metadata.get("annotations_id_column"),
        class_names=names,
    )
    cols = report.columns
    _check_same_annotations(read, cols, annotations_path)
    labels = np.array(cols["consensus_label"], dtype=np.int64)
    for row, label in (overrides or {}).items():
        if not 0 <= row < len(labels) or not 0 <= label < int(report.metadata["k"]):
            raise InvalidInputError(
                f"decision for row {row}: class {label} is outside the report's "
                f"{len(labels)} rows or {report.metadata['k']} classes."
            )
        labels[row] = label
    data = {}
    if read.id_column is not None:
        data[read.id_column] = read.ids
    data["label"] = np.asarray(names, dtype=object)[labels] if read.holds_names else labels
    return pd.DataFrame(data)


def _check_same_annotations(read, cols, path: Path) -> None:
    n = len(cols["row"])
    if read.n != n:
        raise InvalidInputError(
            f"{path} has {read.n} rows but the report describes {n} examples; it is not the "
            "file this report audited."
        )
    if ("id" in cols) != (read.ids is not None) or (
        read.ids is not None and not np.array_equal(np.asarray(read.ids), cols["id"])
    ):
        raise InvalidInputError(f"{path}: its ids are not the report's, in the report's order.")
    counts = (~np.isnan(read.labels)).sum(axis=1)
    differs = np.flatnonzero(counts != cols["num_annotations"])
    if len(differs):
        row = int(differs[0])
        raise InvalidInputError(
            f"{path}: row {row} has {counts[row]} annotations but the report audited "
            f"{cols['num_annotations'][row]}; it is not the file this report describes (or it "
            "changed since): re-run the audit."
        )


def write_consensus(frame, out: Path) -> None:
    """Write the consensus labels atomically, as .csv or .parquet by out's extension."""
    from labelaudit.io.atomic import atomic_path

    with atomic_path(Path(out)) as tmp:
        if Path(out).suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
