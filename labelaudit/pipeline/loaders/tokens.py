"""--task token: one row per sentence with a list column of tags (--labels, Parquet), and the
sentences' token rows (--pred-probs): one total_tokens × K matrix (.npy, .csv or .parquet, the
sentences concatenated in order) or an .npz of one T_i × K array per sentence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError


@dataclass(frozen=True)
class TokenEvidence:
    """Tags and token probabilities of one token-classification audit."""

    labels: np.ndarray  # total_tokens int64, sentences concatenated
    offsets: np.ndarray  # S + 1 int64: sentence s is rows offsets[s]:offsets[s + 1]
    probs: np.ndarray  # total_tokens × K
    class_names: list[str] | None
    carried: dict[str, np.ndarray]  # per-token columns from the labels table (id, tokens)
    source: str

    @property
    def sentences(self) -> int:
        return len(self.offsets) - 1


def _tags(table, column: str, path: Path, names: list[str] | None):
    """Flat int64 tags and per-sentence lengths from a list<int> or list<string> column."""
    import pyarrow as pa

    from labelaudit.io.arrow import from_arrow

    if column not in table.column_names:
        raise InvalidInputError(
            f"{path}: no label column {column!r} (columns: {', '.join(table.column_names)}); "
            "name it with --label-column."
        )
    lists = table.column(column).combine_chunks()
    if not pa.types.is_list(lists.type) and not pa.types.is_large_list(lists.type):
        raise InvalidInputError(
            f"{path}: column {column!r} holds {lists.type}, not a list of tags per sentence."
        )
    if lists.null_count:
        row = int(np.flatnonzero(np.asarray(lists.is_null()))[0])
        raise InvalidInputError(f"{path}: row {row} of column {column!r} has no tag list.")
    offsets = from_arrow(lists.offsets)
    if not len(offsets):  # an empty list array may carry no offsets at all
        offsets = np.zeros(1, dtype=np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    # The child values the offsets span: what flatten() returns for a list array without null
    # lists (refused above), without its import of pyarrow.compute (~60 ms).
    values = lists.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    if values.null_count:
        at = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        row = int(np.searchsorted(np.cumsum(lengths), at, side="right"))
        raise InvalidInputError(f"{path}: sentence {row} of column {column!r} has an empty tag.")
    if not (
        pa.types.is_integer(values.type)
        or pa.types.is_string(values.type)
        or pa.types.is_large_string(values.type)
    ):
        raise InvalidInputError(f"{path}: tags in {column!r} must be integers or strings.")
    from labelaudit.io.labels import to_class_indices

    ends = np.cumsum(lengths)

    def where(at: int) -> str:
        s = int(np.searchsorted(ends, at, side="right"))
        return f"sentence {s}, token {at - (ends[s - 1] if s else 0)}"

    # The label reader's own decoding: integer-like strings are indices, names are stripped and
    # sorted as it sorts them ("2" before "10"), unknown names get its did-you-mean sentence.
    raw = from_arrow(values)
    flat, names = to_class_indices(raw, path, names, where)
    return flat, lengths, names


def _probabilities(value, lengths: np.ndarray, in_memory: bool) -> tuple[np.ndarray, str]:
    path = Path(value)
    if path.suffix.lower() != ".npz":
        from labelaudit.io.probabilities import read_matrix

        return read_matrix(path, in_memory=in_memory), str(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path}: not a readable .npz archive ({exc}).") from exc
    from labelaudit.io.image_stack import natural_key

    keys = sorted(archive.files, key=lambda key: natural_key(Path(key)))
    if len(keys) != len(lengths):
        raise InvalidInputError(
            f"{path} holds {len(keys)} arrays but the labels have {len(lengths)} sentences."
        )
    arrays = []
    for s, key in enumerate(keys):
        array = archive[key]
        if array.ndim != 2 or (arrays and array.shape[1] != arrays[0].shape[1]):
            raise InvalidInputError(
                f"{path}: array {key!r} (sentence {s}) has shape {array.shape}; every sentence "
                "needs a T×K array with the same K."
            )
        if len(array) != lengths[s]:
            raise InvalidInputError(
                f"{path}: sentence {s} has {len(array)} token rows but {lengths[s]} tags."
            )
        arrays.append(array)
    return np.concatenate(arrays), str(path)


def load(request, engine, observer) -> TokenEvidence:
    import pyarrow.parquet as pq

    from labelaudit.io.labels import check_given_names, check_inferred_names
    from labelaudit.pipeline.loaders.labels import class_names

    del engine
    path = Path(request.labels)
    if path.suffix.lower() != ".parquet":
        raise InvalidInputError(
            f"{path}: token labels are a Parquet file with one list of tags per sentence."
        )
    with observer.stage("Reading sentences and token probabilities"):
        try:
            table = pq.ParquetFile(path).read()  # not read_table: pyarrow.dataset imports pandas
        except Exception as exc:  # pyarrow raises several types for a foreign file
            raise InvalidInputError(f"{path}: not a readable Parquet file ({exc}).") from exc
        labels, lengths, names = _tags(table, request.label_column, path, class_names(request))
        probs, source = _probabilities(request.pred_probs[0], lengths, request.in_memory)
    k = probs.shape[1]
    check_given_names(names, request.class_names, k, source, "columns (tags)")
    check_inferred_names(names, request.class_names, k, path, source)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if len(probs) != offsets[-1]:
        first = int(np.searchsorted(offsets[1:], len(probs), side="right"))
        raise InvalidInputError(
            f"{source} has {len(probs):,} token rows but the {len(lengths):,} sentences of {path} "
            f"have {offsets[-1]:,} tags; sentence {min(first, len(lengths) - 1)} is the first that "
            "does not fit."
        )
    carried = {}
    for name in table.column_names:
        if name != request.label_column:
            carried[name] = _per_token(name, table.column(name), lengths, path)
    return TokenEvidence(labels, offsets, probs, names, carried, source)


def _per_token(name: str, column, lengths: np.ndarray, path: Path) -> np.ndarray:
    """A sentence column repeated per token, or a list column (e.g. tokens) flattened."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.combine_chunks()
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        got = np.asarray(pc.list_value_length(values).fill_null(0), dtype=np.int64)
        if not np.array_equal(got, lengths):
            s = int(np.flatnonzero(got != lengths)[0])
            raise InvalidInputError(
                f"{path}: sentence {s} has {got[s]} entries in column {name!r} but {lengths[s]} "
                "tags."
            )
        return np.asarray(values.flatten().to_pylist(), dtype=object)
    return np.repeat(np.asarray(values.to_pylist(), dtype=object), lengths)
