"""The options of `labelaudit audit`, declared once as typed aliases (the command stays short)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.options import FilterBy, RankBy
from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS

LabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        metavar="PATH",
        help="Given labels: .npy (integers or names), .csv/.parquet (--label-column), or .txt (one per line).",
        show_default=False,
    ),
]

AnnotationsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Instead of --labels: several annotators' labels, .csv or .parquet, one column per "
        "annotator named in the header (an empty cell: not labelled). The report holds "
        "CROWDLAB's consensus (docs/annotators.md).",
        show_default=False,
    ),
]

AnnotatorReportOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="With --annotations: also write one CSV row per annotator (quality, agreement with "
        "the consensus, worst class, examples labelled).",
        show_default=False,
    ),
]

OutOption = Annotated[
    Path,
    typer.Option(
        "--out", metavar="PATH", help="Where to write the Parquet report.", show_default=False
    ),
]

PredProbsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pred-probs",
        metavar="PATH",
        help="Out-of-sample predicted probabilities, N×K: .npy, .csv or .parquet (K numeric "
        "columns or one list column). Repeat to average an ensemble. With --engine dask, "
        "also any URL that fsspec reads.",
        show_default=False,
    ),
]

FeaturesOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Instead of --pred-probs: features to cross-validate (as `labelaudit predict`).",
    ),
]

ModelOption = Annotated[str, typer.Option(help="Model for --features: logreg, hgb, knn or rf.")]

FoldsOption = Annotated[
    int, typer.Option(help="Folds for --features, and for the linear probe of --embeddings.")
]

FeatureColumnsOption = Annotated[
    str | None,
    typer.Option(help="With --features: comma-separated numeric columns of a feature table."),
]

SeedOption = Annotated[
    int, typer.Option(help="Seed of the folds and model for --features and --embeddings.")
]

EmbeddingsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Instead of --pred-probs: N×D embeddings (.npy, one row per label). Out-of-sample "
        "probabilities come without training from a leave-one-out k-nearest-neighbour vote "
        "(k, weighting and metric chosen from the data) or a cross-validated linear probe "
        "(docs/embeddings.md); conflicting_duplicate_of names near-duplicates with other labels.",
        show_default=False,
    ),
]

DuplicatesOption = Annotated[
    bool,
    typer.Option(
        "--duplicates",
        help="With --embeddings: also a duplicate_of column, the lowest other row holding an "
        "identical embedding with the same label.",
    ),
]

EmbeddingModelOption = Annotated[
    str,
    typer.Option(
        metavar="MODEL",
        help="With --embeddings: knn (leave-one-out vote), probe (cross-validated logistic "
        "regression) or auto (both; the lower out-of-sample log-loss of the given labels wins).",
    ),
]

ImputeOption = Annotated[
    bool, typer.Option("--impute", help="With --features: fill missing values with medians.")
]

FilterByOption = Annotated[
    FilterBy | None,
    typer.Option(
        metavar="METHOD",
        help="How to decide which labels are issues: one of cleanlab's "
        + ", ".join(FILTER_METHODS)
        + " (exactly cleanlab's answer; so does any other cleanlab option). Unset: labelaudit's "
        "adaptive default, which flags the disagreements with the highest Bayes error "
        "posterior (model probabilities x the confident joint's noise matrix), as many as "
        "maximise the expected F1 (docs/default-rule.md).",
        show_default="labelaudit's default",
    ),
]

RankByOption = Annotated[
    RankBy,
    typer.Option(
        metavar="SCORE",
        help="Score for label_quality and issue_rank (low = likely wrong): "
        + ", ".join(RANK_METHODS)
        + ".",
    ),
]

LogitsOption = Annotated[
    bool, typer.Option("--logits", help="Inputs are logits: apply a stable softmax first.")
]

LabelColumnOption = Annotated[
    str, typer.Option(help="Label column in a .csv/.parquet LABELS file.")
]

IdColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Id column of LABELS to carry into the report.",
        show_default="'id' when present",
    ),
]

ClassNamesOption = Annotated[
    str | None,
    typer.Option(
        help="Class names in index order: 'cat,dog,bird' or a .txt file with one per line."
    ),
]

FracNoiseOption = Annotated[
    float,
    typer.Option(help="Flag only this fraction of the estimated issues (pruning methods)."),
]

NumToRemovePerClassOption = Annotated[
    str | None,
    typer.Option(
        help="Exact number of issues per class: one integer, or K comma-separated integers."
    ),
]

MinExamplesPerClassOption = Annotated[
    int, typer.Option(help="Never prune a class down below this many examples.")
]

NoCalibrateOption = Annotated[
    bool,
    typer.Option("--no-calibrate", help="Prune with the raw, uncalibrated confident joint."),
]

DynamicsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Training dynamics: per-epoch outputs as an E×N×K .npy, a directory of per-epoch "
        "N×K .npy files (epoch = the number in the name), or .parquet (epoch, row, K values). "
        "Runs early-learning detectors; with --pred-probs too, the evidence is combined.",
        show_default=False,
    ),
]

DynamicsKindOption = Annotated[
    str,
    typer.Option(help="What --dynamics holds: auto (detected), probs or logits."),
]

DetectorOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME",
        help="Detector to run (`labelaudit detectors` lists them); repeat with --dynamics to "
        "run several (the first decides flags and suggestions, each adds a score column).",
        show_default="confident_learning; elr with --dynamics",
    ),
]


MultiLabelOption = Annotated[
    bool,
    typer.Option(
        "--multi-label",
        help="Each example has a set of labels: a Parquet list column, 'a;b' text cells or "
        "an N×K 0/1 .npy; probabilities are independent per class.",
    ),
]


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Audit even when the class order of the probabilities looks permuted against the "
        "labels.",
    ),
]


def parse_counts(spec: str | None) -> list[int] | int | None:
    """--num-to-remove-per-class: one integer, or K comma-separated integers."""
    if spec is None:
        return None
    try:
        values = [int(part) for part in spec.split(",")]
    except ValueError as exc:
        raise typer.BadParameter(
            f"{spec!r} is not an integer or a comma-separated list of integers.",
            param_hint="--num-to-remove-per-class",
        ) from exc
    if any(v < 0 for v in values):
        raise typer.BadParameter(
            "counts cannot be negative.", param_hint="--num-to-remove-per-class"
        )
    return values[0] if len(values) == 1 else values
