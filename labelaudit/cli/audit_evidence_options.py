"""`audit`'s options for the other kinds of evidence: several annotators, regression
predictions and embeddings (each names an input kind of pipeline/loaders)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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

PredictionsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="With --task regression: out-of-sample predicted values, one per row: .npy, or "
        ".csv/.parquet (--prediction-column).",
        show_default=False,
    ),
]

PredictionColumnOption = Annotated[
    str, typer.Option(help="Prediction column in a .csv/.parquet PREDICTIONS file.")
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
