"""AuditRequest: everything a user asked of one audit, before anything is read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Where the passes over the probabilities run (`--engine`); "local" streams .npy files through a
# memory map unless `in_memory` is set (pipeline/engines.py).
ENGINES = ("local", "dask")
# What one row of the labels is (`--task`): "auto" is classification, multi-label or dynamics as
# the other inputs say; "segmentation" reads N×H×W masks and N×K×H×W probabilities; "token" reads
# one list of tags per sentence and the sentences' token rows; "regression" reads numeric labels
# and --predictions (or --features to cross-validate a regressor).
TASK_CHOICES = ("auto", "segmentation", "token", "regression")
DEFAULT_DETECTOR = "confident_learning"
DEFAULT_DYNAMICS_DETECTOR = "elr"


@dataclass(frozen=True)
class FeatureSpec:
    """Features to cross-validate into out-of-sample probabilities (`--features`)."""

    path: Path
    model: str | None = None  # None: logreg, or hgb for a regression audit
    folds: int = 5
    seed: int = 0
    impute: bool = False
    columns: tuple[str, ...] | None = None

    def model_for(self, task: str | None) -> str:
        """The model to cross-validate: the one named, else the task's default."""
        return self.model or ("hgb" if task == "regression" else "logreg")


@dataclass(frozen=True)
class EmbeddingSpec:
    """Embeddings to turn into out-of-sample probabilities without training (`--embeddings`):
    a leave-one-out kNN vote, a cross-validated linear probe, or the better of the two."""

    source: Any  # an N×D .npy path or an in-memory N×D array
    model: str = "auto"  # predict/embeddings.py MODELS
    folds: int = 5  # of the probe
    seed: int = 0
    duplicates: bool = False  # also report identical same-label copies (`duplicate_of`)


@dataclass(frozen=True)
class Outputs:
    """Where the report goes; `report=None` keeps it in memory only."""

    report: Path | None = None
    only_flagged: bool = False
    block_rows: int | None = None  # rows per Parquet block read and per report row group
    pixel_mask: Path | None = None  # segmentation: the N×H×W flagged-pixel mask (.npy)
    annotator_report: Path | None = None  # --annotations: one CSV row per annotator


@dataclass(frozen=True)
class AuditRequest:
    """One audit: the inputs by kind, the detectors and their options, the engine, the outputs.

    Inputs are paths (the CLI) or in-memory arrays (the library): `labels` (N,) or label sets,
    `pred_probs` one or several N×K sources (several are an ensemble, averaged), `features` to
    cross-validate instead, `dynamics` per-epoch outputs. `options` are cleanlab's
    confident-learning options (filter_by, rank_by, frac_noise, num_to_remove_per_class,
    min_examples_per_class, calibrate); `detector_options` go to any other detector.
    """

    labels: Any
    pred_probs: tuple[Any, ...] = ()
    features: FeatureSpec | None = None
    embeddings: EmbeddingSpec | None = None
    dynamics: Any = None
    dynamics_kind: str = "auto"
    logits: bool = False
    multi_label: bool = False
    label_column: str = "label"
    predictions: Any = None  # --task regression: (N,) predicted values, a file or an array
    prediction_column: str = "prediction"
    id_column: str | None = None
    class_names: str | Sequence[str] | None = None  # names, or 'a,b' / a .txt path
    ids: Any = None  # (N,) ids for in-memory labels
    detectors: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    detector_options: Mapping[str, Any] = field(default_factory=dict)
    engine: str = "local"
    in_memory: bool = False
    scheduler: str | None = None
    device: str = "cpu"
    force: bool = False  # audit even when the class order looks permuted
    task: str = "auto"  # TASK_CHOICES
    outputs: Outputs = field(default_factory=Outputs)
    annotations: Any = None  # several annotators' labels (N×M table) instead of labels

    @property
    def detector_names(self) -> tuple[str, ...]:
        """The detectors to run, the first one primary (defaults filled in)."""
        if self.detectors:
            return tuple(self.detectors)
        return (DEFAULT_DYNAMICS_DETECTOR if self.dynamics is not None else DEFAULT_DETECTOR,)

    def given(self) -> set[str]:
        """The kinds of evidence this request supplies (detectors.base.EVIDENCE_KINDS keys)."""
        kinds = set()
        if self.pred_probs or self.features is not None or self.embeddings is not None:
            kinds.add("pred_probs")
        if self.dynamics is not None:
            kinds.add("dynamics")
        return kinds

    def input_files(self) -> list[tuple[str, Path]]:
        """(role, path) of every local file or directory the audit reads, for provenance and the
        output guard; URLs and in-memory arrays are not files."""
        files = []
        for role, value in (
            ("labels", self.labels),
            *(("pred_probs", p) for p in self.pred_probs),
            ("predictions", self.predictions),
            ("features", self.features.path if self.features else None),
            ("embeddings", self.embeddings.source if self.embeddings else None),
            ("dynamics", self.dynamics),
            ("annotations", self.annotations),
        ):
            if isinstance(value, str) and "://" not in value:
                value = Path(value)
            if isinstance(value, Path):
                files.append((role, value))
            elif isinstance(value, str) and value.startswith("file://"):
                files.append((role, Path(value.removeprefix("file://"))))
        return files
