"""`labelaudit predict`: out-of-sample probabilities from features (cross-validation) or ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Quiet

FeatureColumns = Annotated[
    str | None,
    typer.Option(help="Comma-separated numeric columns of a .csv/.parquet feature table."),
]


def predict_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="PATH",
            help="Where to write the N×K probabilities (.npy).",
            show_default=False,
        ),
    ],
    features: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Features (.npy, .csv, .parquet) for cross-validated probabilities.",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Given labels (needed with --features; checks the class count with --onnx).",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Cross-validated model: logreg, hgb, knn or rf.")
    ] = "logreg",
    folds: Annotated[int, typer.Option(help="Number of stratified folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds and the model.")] = 0,
    impute: Annotated[
        bool, typer.Option("--impute", help="Fill missing feature values with column medians.")
    ] = False,
    feature_columns: FeatureColumns = None,
    label_column: Annotated[
        str, typer.Option(help="Label column in a .csv/.parquet LABELS file.")
    ] = "label",
    onnx: Annotated[
        list[Path] | None,
        typer.Option(
            "--onnx",
            metavar="PATH",
            help="ONNX classifier; repeat with --fold-column for per-fold models.",
        ),
    ] = None,
    inputs: Annotated[
        Path | None,
        typer.Option(metavar="PATH", help="Model inputs for --onnx (.npy, .csv, .parquet)."),
    ] = None,
    fold_column: Annotated[
        str | None,
        typer.Option(
            help="Column of --inputs naming each row's fold: row in fold f is scored by the f-th --onnx model."
        ),
    ] = None,
    providers: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated onnxruntime execution providers [default: CUDA when available, else CPU]."
        ),
    ] = None,
    output_name: Annotated[
        str | None,
        typer.Option(
            help="ONNX output holding class scores [default: the first 2-D float output]."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per ONNX batch.")] = 4096,
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
        from labelaudit.errors import ConfigError
        from labelaudit.io.atomic import atomic_path

        if out.suffix.lower() != ".npy":
            raise ConfigError(f"--out {out}: probabilities are written as .npy; name it *.npy.")
        if not (out.parent if str(out.parent) else Path()).is_dir():
            raise ConfigError(f"--out {out}: directory {out.parent} does not exist.")
        if (features is None) == (not onnx):
            raise ConfigError("give either --features (cross-validation) or --onnx with --inputs.")
        if onnx:
            probs = _from_onnx(
                onnx,
                inputs,
                labels,
                label_column,
                fold_column,
                providers,
                output_name,
                batch_size,
                quiet,
            )
        else:
            if labels is None:
                raise ConfigError("--features needs --labels: cross-validation trains on them.")
            from labelaudit.cli.progress import progress_bar
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
        import numpy as np

        with atomic_path(out) as tmp, tmp.open("wb") as fh:
            np.save(fh, probs)
        if not quiet:
            from rich.markup import escape

            console.out.print(
                f"Wrote {probs.shape[0]:,} × {probs.shape[1]} probabilities to "
                f"[bold]{escape(str(out))}[/]"
            )


def _from_onnx(
    models, inputs, labels, label_column, fold_column, providers, output_name, batch_size, quiet
):
    import numpy as np

    from labelaudit.cli.progress import progress_bar
    from labelaudit.errors import ConfigError, InvalidInputError
    from labelaudit.io.formats import read_table
    from labelaudit.io.labels import read_labels
    from labelaudit.predict.features import check_complete, read_features
    from labelaudit.predict.onnx_model import score

    if inputs is None:
        raise ConfigError("--onnx needs --inputs: the rows to score.")
    fold_ids = None
    if fold_column is not None:
        if inputs.suffix.lower() not in (".csv", ".parquet"):
            raise ConfigError("--fold-column needs --inputs as a .csv or .parquet table.")
        table = read_table(inputs, inputs.suffix.lower())
        if fold_column not in table.columns:
            raise InvalidInputError(f"{inputs}: no fold column {fold_column!r}.")
        fold_ids = table[fold_column].to_numpy()
        if fold_ids.dtype.kind not in "iu":
            raise InvalidInputError(
                f"{inputs}: fold column {fold_column!r} must hold integers 0..M-1."
            )
    X = read_features(inputs, exclude=(fold_column,) if fold_column else ())
    check_complete(X, str(inputs), impute=False)
    label_data = None
    if labels is not None:
        label_data = read_labels(labels, label_column=label_column)
        if len(label_data.labels) != len(X):
            raise InvalidInputError(
                f"{labels} has {len(label_data.labels)} labels but {inputs} has {len(X)} rows."
            )
    names = label_data.class_names if label_data is not None else None
    with progress_bar("Scoring", len(X), quiet=quiet) as advance:
        probs = score(
            list(models),
            X,
            folds=fold_ids,
            providers=providers.split(",") if providers else None,
            output=output_name,
            batch_size=batch_size,
            num_classes=len(names) if names else None,
            on_batch=advance,
        )
    if label_data is not None and probs.shape[1] <= label_data.labels.max():
        raise InvalidInputError(
            f"the model outputs {probs.shape[1]} classes but {labels} has label "
            f"{label_data.labels.max()}; the output width must match the number of classes."
        )
    return probs.astype(np.float64)
