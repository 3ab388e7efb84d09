"""`labelaudit audit`: read labels and probabilities, audit, write the Parquet report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, FilterBy, Json, Quiet, RankBy
from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.methods import CONFIDENT_LEARNING_DEFAULTS, FILTER_METHODS, RANK_METHODS


def audit_command(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            metavar="PATH",
            help="Given labels: .npy (integers or names), .csv/.parquet (--label-column), or .txt (one per line).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="PATH", help="Where to write the Parquet report.", show_default=False
        ),
    ],
    pred_probs: Annotated[
        list[str] | None,
        typer.Option(
            "--pred-probs",
            metavar="PATH",
            help="Out-of-sample predicted probabilities, N×K: .npy, .csv or .parquet (K numeric "
            "columns or one list column). Repeat to average an ensemble. With --engine dask, "
            "also any URL that fsspec reads.",
            show_default=False,
        ),
    ] = None,
    features: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Instead of --pred-probs: features to cross-validate (as `labelaudit predict`).",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Model for --features: logreg, hgb, knn or rf.")
    ] = "logreg",
    folds: Annotated[int, typer.Option(help="Folds for --features.")] = 5,
    feature_columns: Annotated[
        str | None,
        typer.Option(help="With --features: comma-separated numeric columns of a feature table."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the folds and model for --features.")] = 0,
    impute: Annotated[
        bool, typer.Option("--impute", help="With --features: fill missing values with medians.")
    ] = False,
    filter_by: Annotated[
        FilterBy | None,
        typer.Option(
            metavar="METHOD",
            help="How to decide which labels are issues: one of cleanlab's "
            + ", ".join(FILTER_METHODS)
            + " (exactly cleanlab's answer). Unset: prune_by_noise_rate, with the issue count of "
            "an ensemble estimated from each member (docs/benchmarks.md).",
            show_default="labelaudit's default",
        ),
    ] = None,
    rank_by: Annotated[
        RankBy,
        typer.Option(
            metavar="SCORE",
            help="Score for label_quality and issue_rank (low = likely wrong): "
            + ", ".join(RANK_METHODS)
            + ".",
        ),
    ] = RankBy.self_confidence,
    logits: Annotated[
        bool, typer.Option("--logits", help="Inputs are logits: apply a stable softmax first.")
    ] = False,
    label_column: Annotated[
        str, typer.Option(help="Label column in a .csv/.parquet LABELS file.")
    ] = "label",
    id_column: Annotated[
        str | None,
        typer.Option(
            help="Id column of LABELS to carry into the report.",
            show_default="'id' when present",
        ),
    ] = None,
    class_names: Annotated[
        str | None,
        typer.Option(
            help="Class names in index order: 'cat,dog,bird' or a .txt file with one per line."
        ),
    ] = None,
    frac_noise: Annotated[
        float,
        typer.Option(help="Flag only this fraction of the estimated issues (pruning methods)."),
    ] = 1.0,
    num_to_remove_per_class: Annotated[
        str | None,
        typer.Option(
            help="Exact number of issues per class: one integer, or K comma-separated integers."
        ),
    ] = None,
    min_examples_per_class: Annotated[
        int, typer.Option(help="Never prune a class down below this many examples.")
    ] = 1,
    no_calibrate: Annotated[
        bool,
        typer.Option("--no-calibrate", help="Prune with the raw, uncalibrated confident joint."),
    ] = False,
    dynamics: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Training dynamics: per-epoch outputs as an E×N×K .npy, a directory of per-epoch "
            "N×K .npy files (epoch = the number in the name), or .parquet (epoch, row, K values). "
            "Runs early-learning detectors; with --pred-probs too, the evidence is combined.",
            show_default=False,
        ),
    ] = None,
    dynamics_kind: Annotated[
        str,
        typer.Option(help="What --dynamics holds: auto (detected), probs or logits."),
    ] = "auto",
    detector: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Detector to run (`labelaudit detectors` lists them); repeat with --dynamics to "
            "run several (the first decides flags and suggestions, each adds a score column).",
            show_default="confident_learning; elr with --dynamics",
        ),
    ] = None,
    device: Annotated[
        str,
        typer.Option(
            help="Where the full passes over the probabilities run: cpu, cuda (CuPy or PyTorch) "
            "or auto (cuda when available). Results are identical."
        ),
    ] = "cpu",
    multi_label: Annotated[
        bool,
        typer.Option(
            "--multi-label",
            help="Each example has a set of labels: a Parquet list column, 'a;b' text cells or "
            "an N×K 0/1 .npy; probabilities are independent per class.",
        ),
    ] = False,
    block_rows: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Rows per block when reading Parquet probabilities and per row group of the "
            "report.",
            show_default="chosen from available memory",
        ),
    ] = None,
    in_memory: Annotated[
        bool,
        typer.Option(
            "--in-memory",
            help="Load .npy probabilities whole instead of memory-mapping them with a bounded "
            "resident set (docs/scaling.md).",
        ),
    ] = False,
    only_flagged: Annotated[
        bool,
        typer.Option(
            "--only-flagged", help="Write only the flagged rows to the report (same schema)."
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="Where the passes over the probabilities run: local (this process) or dask "
            "(a Dask cluster; docs/scaling.md). Results are identical.",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="With --engine dask: the scheduler to use, e.g. tcp://10.0.0.5:8786.",
            show_default="a LocalCluster started for the run",
        ),
    ] = None,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Find labels that are probably wrong and write a Parquet report, one row per example.

    Examples:

        labelaudit audit --labels labels.npy --pred-probs probs.npy --out report.parquet

        labelaudit audit --labels labels.npy --dynamics epochs/ --out report.parquet

    Exit codes: 0 on success (whether or not issues were found), 2 on bad input or usage.
    """
    from labelaudit.io.stream import bounded_residency

    writing = {"only_flagged": only_flagged, "block_rows": block_rows}
    with console.handled(debug=debug, quiet=quiet), bounded_residency():
        cl_options = dict(
            filter_by=None if filter_by is None else filter_by.value,
            rank_by=rank_by.value,
            frac_noise=frac_noise,
            num_to_remove_per_class=_parse_counts(num_to_remove_per_class),
            min_examples_per_class=min_examples_per_class,
            calibrate=not no_calibrate,
        )
        # What every way of running an audit needs from the command line.
        common = dict(
            labels=labels,
            out=out,
            logits=logits,
            label_column=label_column,
            id_column=id_column,
            class_names_spec=class_names,
            json_output=json_output,
            quiet=quiet,
            writing=writing,
        )
        if dynamics is not None:
            if multi_label or features is not None:
                raise ConfigError("--dynamics works with single-label --labels (and --pred-probs).")
            if _non_default(cl_options, RANKING_AND_PRUNING):
                raise ConfigError(
                    "--filter-by, --rank-by and the pruning options apply to confident_learning "
                    "alone; with --dynamics, confident learning runs with its defaults."
                )
            tuning = {  # the joint-tuning options the user changed
                key: cl_options[key]
                for key in JOINT_TUNING
                if cl_options[key] != CONFIDENT_LEARNING_DEFAULTS[key]
            }
            if tuning and not pred_probs:
                raise ConfigError(
                    "--no-calibrate and --min-examples-per-class tune confident learning, which "
                    "runs with --dynamics only when --pred-probs is given too."
                )
            from labelaudit.cli.dynamics_run import run_dynamics_audit

            run_dynamics_audit(
                dynamics=dynamics,
                kind=dynamics_kind,
                detectors=detector,
                pred_probs=[Path(p) for p in pred_probs or []],
                confident_learning=tuning,
                **common,
            )
            return
        if detector and len(detector) > 1:
            raise ConfigError("several --detector values need --dynamics (training dynamics).")
        from labelaudit.engines import ENGINES

        if engine not in ENGINES:
            raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
        if scheduler is not None and engine != "dask":
            raise ConfigError("--scheduler needs --engine dask.")
        if engine == "dask":
            from labelaudit.cli.dask_run import run_dask_audit

            if features is not None or multi_label or device != "cpu" or in_memory:
                raise ConfigError(
                    "--engine dask audits --pred-probs (single-label) on the cluster; it does not "
                    "combine with --features, --multi-label, --device or --in-memory."
                )
            run_dask_audit(
                pred_probs=pred_probs or [],
                scheduler=scheduler,
                options=cl_options,
                detector=detector[0] if detector else "confident_learning",
                **common,
            )
            return
        _run(
            pred_probs=[Path(p) for p in pred_probs or []],
            features=dict(
                path=features,
                model=model,
                folds=folds,
                seed=seed,
                impute=impute,
                columns=feature_columns,
            ),
            options=cl_options,
            detector=detector[0] if detector else "confident_learning",
            multi_label=multi_label,
            device=device,
            in_memory=in_memory,
            **common,
        )


def _run(
    *,
    labels: Path,
    pred_probs: list[Path],
    features: dict,
    out: Path,
    options: dict,
    detector: str,
    logits: bool,
    label_column: str,
    id_column: str | None,
    class_names_spec: str | None,
    multi_label: bool,
    device: str,
    json_output: bool,
    quiet: bool,
    in_memory: bool = False,
    writing: dict | None = None,
) -> None:
    import numpy as np

    from labelaudit.auditor import DEFAULT_DETECTOR, audit
    from labelaudit.io.labels import (
        check_inferred_names,
        check_label_range,
        check_same_rows,
        parse_class_names,
        read_labels,
    )
    from labelaudit.io.probabilities import ensemble_mean, read_members

    if (features["path"] is None) == (not pred_probs):
        raise ConfigError("give --pred-probs (one or more) or --features, not both or neither.")
    inputs_used = [labels, *pred_probs, *([features["path"]] if features["path"] else [])]
    check_output_path(out, inputs_used)
    check_detector_options(detector, options)
    roles = [("labels", labels), *(("pred_probs", p) for p in pred_probs)]
    if features["path"] is not None:
        roles.append(("features", features["path"]))
    hashes = InputHashes(roles)
    if multi_label:
        if features["path"] is not None or detector != DEFAULT_DETECTOR:
            raise ConfigError("--multi-label works with --pred-probs and confident learning only.")
        report = _audit_multilabel(
            labels, pred_probs, options, logits, label_column, id_column, class_names_spec, quiet
        )
        _finish(report, out, hashes, logits, label_column, json_output, quiet, writing)
        return
    with console.stage("Reading labels", quiet=quiet):
        names = parse_class_names(class_names_spec)
        label_data = read_labels(
            labels, label_column=label_column, id_column=id_column, class_names=names
        )
    members: list = []
    if features["path"] is not None:
        from labelaudit.cli.predict_cmd import features_to_probabilities

        probs = features_to_probabilities(
            features["path"],
            labels,
            label_column=label_column,
            model=features["model"],
            folds=features["folds"],
            seed=features["seed"],
            impute=features["impute"],
            feature_columns=features["columns"],
            quiet=quiet,
        )
        if names is not None and probs.shape[1] < len(names):
            probs = np.pad(probs, ((0, 0), (0, len(names) - probs.shape[1])))
        source = features["path"]
    else:
        with console.stage("Reading predicted probabilities", quiet=quiet):
            members = read_members(
                pred_probs,
                logits=logits,
                in_memory=in_memory,
                block_rows=(writing or {}).get("block_rows"),
            )
            probs = ensemble_mean(members)
        source = pred_probs[0]
    check_same_rows(labels, len(label_data.labels), source, len(probs))
    check_inferred_names(label_data.class_names, class_names_spec, probs.shape[1], labels, source)
    check_label_range(label_data.labels, probs.shape[1], labels, source)
    with console.stage(f"Auditing {len(probs):,} examples × {probs.shape[1]} classes", quiet=quiet):
        report = audit(
            label_data.labels,
            probs,
            detector=detector,
            **(options if detector == DEFAULT_DETECTOR else {}),
            class_names=label_data.class_names,
            ids=label_data.ids,
            members=members if len(members) > 1 else None,
            device=device,
        )
        report.metadata["options"]["id_column"] = label_data.id_column
        if features["path"] is not None:
            report.metadata["options"]["features"] = {
                k: v for k, v in features.items() if k != "path"
            }
    _finish(report, out, hashes, logits, label_column, json_output, quiet, writing)


def _audit_multilabel(
    labels, pred_probs, options, logits, label_column, id_column, names_spec, quiet
):
    from labelaudit.auditor import audit_multilabel
    from labelaudit.io.labels import check_inferred_names, parse_class_names
    from labelaudit.io.multilabels import read_multilabels
    from labelaudit.io.probabilities import read_probabilities

    with console.stage("Reading label sets", quiet=quiet):
        data = read_multilabels(
            labels,
            label_column=label_column,
            id_column=id_column,
            class_names=parse_class_names(names_spec),
        )
    with console.stage("Reading predicted probabilities", quiet=quiet):
        probs = read_probabilities(pred_probs, logits=logits, multi_label=True)
    if len(data.labels) != len(probs):
        raise InvalidInputError(
            f"{labels} has {len(data.labels)} label sets but {pred_probs[0]} has {len(probs)} rows."
        )
    check_inferred_names(data.class_names, names_spec, probs.shape[1], labels, pred_probs[0])
    options = {k: v for k, v in options.items() if k != "calibrate"}
    options["filter_by"] = options["filter_by"] or "prune_by_noise_rate"
    with console.stage(f"Auditing {len(probs):,} examples × {probs.shape[1]} classes", quiet=quiet):
        return audit_multilabel(
            data.labels, probs, **options, class_names=data.class_names, ids=data.ids
        )


class InputHashes:
    """SHA-256 of each input file, computed on a second core while the audit runs (hashlib
    releases the GIL), for the report's provenance."""

    def __init__(self, roles: list[tuple[str, Path]]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from labelaudit.io.formats import sha256_of

        self.roles = roles
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._digests = [self._pool.submit(sha256_of, path) for _, path in roles]

    def records(self) -> list[dict]:
        """[{role, path, sha256}] once every hash is done."""
        try:
            return [
                {"role": role, "path": str(path), "sha256": digest.result()}
                for (role, path), digest in zip(self.roles, self._digests, strict=True)
            ]
        finally:
            self._pool.shutdown()


def check_detector_options(detector: str, options: dict) -> None:
    """Refuse confident-learning options given for another detector."""
    from labelaudit.auditor import DEFAULT_DETECTOR

    if detector != DEFAULT_DETECTOR and _non_default(options):
        raise ConfigError(
            f"--filter-by, --rank-by and the pruning options apply to confident_learning, "
            f"not to detector {detector!r}."
        )


def _finish(report, out, hashes, logits, label_column, json_output, quiet, writing=None):
    """Record provenance, write the report atomically, and print the summary."""
    from labelaudit.cli.render import print_json, print_summary
    from labelaudit.io.stream import default_block_rows

    writing = writing or {}

    report.metadata["options"].update(logits=logits, label_column=label_column)
    report.metadata["inputs"] = hashes.records()
    with console.stage(f"Writing {out}", quiet=quiet):
        report.to_parquet(
            out,
            only_flagged=writing.get("only_flagged", False),
            row_group_size=writing.get("block_rows") or default_block_rows(16),
        )
    summary = report.summary()
    summary["report"] = str(out)
    if json_output:
        print_json(console.out, summary)
    elif not quiet:
        print_summary(console.out, summary)
        console.out.print(
            f"Report: [bold]{out}[/] ({len(report.columns['row']):,} rows, one per example)"
        )


# The options that choose and order confident learning's flags, and those that tune its joint.
RANKING_AND_PRUNING = ("filter_by", "rank_by", "frac_noise", "num_to_remove_per_class")
JOINT_TUNING = ("calibrate", "min_examples_per_class")


def _non_default(options: dict, keys=tuple(CONFIDENT_LEARNING_DEFAULTS)) -> bool:
    """Whether any of these confident-learning options differs from its default."""
    return any(options[key] != CONFIDENT_LEARNING_DEFAULTS[key] for key in keys)


def check_output_path(out: Path, inputs: list[Path]) -> None:
    """Refuse outputs that cannot be written or would overwrite an input, before any work."""
    if out.suffix.lower() != ".parquet":
        raise InvalidInputError(f"--out {out}: reports are Parquet files; name it *.parquet.")
    parent = out.parent if str(out.parent) else Path()
    if not parent.is_dir():
        raise InvalidInputError(f"--out {out}: directory {parent} does not exist.")
    target = out.resolve()
    for path in inputs:
        if target == path.resolve():
            raise InvalidInputError(f"--out {out} is also an input; choose another report path.")


def _parse_counts(spec: str | None) -> list[int] | int | None:
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
