"""`labelaudit predict`: out-of-sample probabilities from features (cross-validation) or ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Quiet

Out = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="PATH",
        help="Where to write the N×K probabilities (.npy).",
        show_default=False,
    ),
]
Features = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH", help="Features (.npy, .csv, .parquet) for cross-validated probabilities."
    ),
]
Labels = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Given labels (needed with --features; checks the class count with --onnx).",
    ),
]
Model = Annotated[str, typer.Option(help="Cross-validated model: logreg, hgb, knn or rf.")]
Folds = Annotated[int, typer.Option(help="Number of stratified folds.")]
Seed = Annotated[int, typer.Option(help="Seed of the folds and the model.")]
Impute = Annotated[
    bool, typer.Option("--impute", help="Fill missing feature values with column medians.")
]
FeatureColumns = Annotated[
    str | None,
    typer.Option(help="Comma-separated numeric columns of a .csv/.parquet feature table."),
]
LabelColumn = Annotated[str, typer.Option(help="Label column in a .csv/.parquet LABELS file.")]
Onnx = Annotated[
    list[Path] | None,
    typer.Option(
        "--onnx",
        metavar="PATH",
        help="ONNX classifier; repeat with --fold-column for per-fold models.",
    ),
]
Inputs = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="Model inputs for --onnx (.npy, .csv, .parquet)."),
]
FoldColumn = Annotated[
    str | None,
    typer.Option(
        help="Column of --inputs naming each row's fold: row in fold f is scored by the f-th --onnx model."
    ),
]
Providers = Annotated[
    str | None,
    typer.Option(
        help="Comma-separated onnxruntime execution providers [default: CUDA when available, else CPU]."
    ),
]
OutputName = Annotated[
    str | None,
    typer.Option(help="ONNX output holding class scores [default: the first 2-D float output]."),
]
BatchSize = Annotated[int, typer.Option(min=1, help="Rows per ONNX batch.")]


def predict_command(
    out: Out,
    features: Features = None,
    labels: Labels = None,
    model: Model = "logreg",
    folds: Folds = 5,
    seed: Seed = 0,
    impute: Impute = False,
    feature_columns: FeatureColumns = None,
    label_column: LabelColumn = "label",
    onnx: Onnx = None,
    inputs: Inputs = None,
    fold_column: FoldColumn = None,
    providers: Providers = None,
    output_name: OutputName = None,
    batch_size: BatchSize = 4096,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Compute out-of-sample predicted probabilities for an audit.

    From features: stratified K-fold cross-validation with a scikit-learn model, so no row is
    scored by a model that trained on it. From ONNX: run your exported classifier (softmax is
    applied when it outputs logits); with per-fold models and --fold-column each row is scored by
    the model that did not train on it.

    Examples:

        labelaudit predict --features X.npy --labels y.npy --out probs.npy --model hgb

        labelaudit predict --onnx model.onnx --inputs X.npy --out probs.npy
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.cli.progress import progress_bar
        from labelaudit.errors import ConfigError
        from labelaudit.predict.run import guard_probabilities_output, write_probabilities

        if (features is None) == (not onnx):
            raise ConfigError("give either --features (cross-validation) or --onnx with --inputs.")
        guard_probabilities_output(out, [features, labels, inputs, *(onnx or [])])
        if onnx:
            from labelaudit.predict.run import probabilities_from_onnx

            with progress_bar("Scoring", None, quiet=quiet) as advance:
                probs = probabilities_from_onnx(
                    onnx,
                    inputs,
                    labels=labels,
                    label_column=label_column,
                    fold_column=fold_column,
                    providers=providers.split(",") if providers else None,
                    output_name=output_name,
                    batch_size=batch_size,
                    on_batch=advance,
                )
        else:
            if labels is None:
                raise ConfigError("--features needs --labels: cross-validation trains on them.")
            from labelaudit.predict.features import features_to_probabilities

            with progress_bar(f"Cross-validating {model}", folds, quiet=quiet) as advance:
                probs = features_to_probabilities(
                    features,
                    labels,
                    label_column=label_column,
                    model=model,
                    folds=folds,
                    seed=seed,
                    impute=impute,
                    feature_columns=feature_columns.split(",") if feature_columns else None,
                    on_fold=lambda _i: advance(1),
                )
        write_probabilities(probs, out)
        if not quiet:
            from rich.markup import escape

            console.out.print(
                f"Wrote {probs.shape[0]:,} × {probs.shape[1]} probabilities to "
                f"[bold]{escape(str(out))}[/]"
            )
