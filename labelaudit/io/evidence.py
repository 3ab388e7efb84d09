"""Typed evidence: what the loaders hand the detectors, with its shape and dtype checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Probabilities:
    """Out-of-sample probabilities N×K: the matrix the detectors read (the members' mean for an
    ensemble) and each member (one when there is no ensemble). The matrix may be a NumPy array,
    a memory map, a device array or a cluster matrix (engines/)."""

    matrix: Any
    members: list[Any]
    sources: list[str] = field(default_factory=list)  # where each member came from
    validated: bool = False  # values already checked by the reader (files are, arrays are not)
    details: dict | None = None  # how they were made, for the report (--embeddings: the choice)
    columns: dict | None = None  # report columns made with them (--embeddings: duplicate rows)

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def k(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def ensemble(self) -> list[Any] | None:
        """The members when there are several, else None."""
        return self.members if len(self.members) > 1 else None

    @property
    def source(self) -> str:
        """The first source, for messages."""
        return self.sources[0] if self.sources else "pred_probs"


@dataclass(frozen=True)
class Annotations:
    """Several annotators' labels of N examples (--annotations): an N×M float matrix of class
    indices with NaN where an annotator did not label, the annotators by header name, the class
    names when known, whether the file stored names, and the carried id column."""

    labels: Any  # N×M float64
    annotators: list[str]
    class_names: list[str] | None
    holds_names: bool
    ids: Any = None
    id_column: str | None = None
    source: str = "annotations"

    @property
    def n(self) -> int:
        return int(self.labels.shape[0])
