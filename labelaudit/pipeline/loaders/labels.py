"""The given labels: a file (.npy, .csv, .parquet, .txt) or an in-memory array, single or sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelaudit.io.labels import LabelData, parse_class_names, read_labels
from labelaudit.io.multilabels import MultiLabelData, read_multilabels


def class_names(request) -> list[str] | None:
    """--class-names as a list: given names, or parsed from 'a,b' / a .txt file."""
    spec = request.class_names
    if spec is None or not isinstance(spec, str):
        return None if spec is None else [str(name) for name in spec]
    return parse_class_names(spec)


def load(request, observer, *, keep_table: bool = False) -> LabelData | MultiLabelData:
    names = class_names(request)
    if not isinstance(request.labels, (str, Path)):
        ids = None if request.ids is None else np.asarray(request.ids)
        if request.multi_label:
            return MultiLabelData(request.labels, names, ids, None)
        return LabelData(request.labels, names, ids, None)
    path = Path(request.labels)
    if request.multi_label:
        with observer.stage("Reading label sets"):
            return read_multilabels(
                path, label_column=request.label_column, id_column=request.id_column,
                class_names=names,
            )  # fmt: skip
    with observer.stage("Reading labels"):
        return read_labels(
            path,
            label_column=request.label_column,
            id_column=request.id_column,
            class_names=names,
            keep_table=keep_table,
        )
