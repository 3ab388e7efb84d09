"""`labelaudit audit`: parse the options into an AuditRequest, run it, print the summary."""

from __future__ import annotations

from labelaudit.cli import console
from labelaudit.cli.audit_evidence_options import (
    AnnotationsOption,
    AnnotatorReportOption,
    DuplicatesOption,
    EmbeddingModelOption,
    EmbeddingsOption,
    PredictionColumnOption,
    PredictionsOption,
)
from labelaudit.cli.audit_options import (
    ClassNamesOption,
    DetectorOption,
    DynamicsKindOption,
    DynamicsOption,
    FeatureColumnsOption,
    FeaturesOption,
    FilterByOption,
    FoldsOption,
    ForceOption,
    FracNoiseOption,
    IdColumnOption,
    ImputeOption,
    LabelColumnOption,
    LabelsOption,
    LogitsOption,
    MinExamplesPerClassOption,
    ModelOption,
    MultiLabelOption,
    NoCalibrateOption,
    NumToRemovePerClassOption,
    OutOption,
    PredProbsOption,
    RankByOption,
    SeedOption,
    parse_counts,
)
from labelaudit.cli.options import Debug, Json, Quiet, RankBy
from labelaudit.cli.progress import Observer
from labelaudit.cli.run_options import (
    BlockRowsOption,
    DeviceOption,
    EngineOption,
    InMemoryOption,
    OnlyFlaggedOption,
    PixelMaskOutOption,
    SchedulerOption,
    TaskOption,
)


def audit_command(
    labels: LabelsOption = None,
    out: OutOption = ...,
    pred_probs: PredProbsOption = None,
    predictions: PredictionsOption = None,
    prediction_column: PredictionColumnOption = "prediction",
    features: FeaturesOption = None,
    model: ModelOption = None,
    folds: FoldsOption = 5,
    feature_columns: FeatureColumnsOption = None,
    seed: SeedOption = 0,
    impute: ImputeOption = False,
    embeddings: EmbeddingsOption = None,
    embedding_model: EmbeddingModelOption = "auto",
    duplicates: DuplicatesOption = False,
    filter_by: FilterByOption = None,
    rank_by: RankByOption = RankBy.self_confidence,
    logits: LogitsOption = False,
    label_column: LabelColumnOption = "label",
    id_column: IdColumnOption = None,
    class_names: ClassNamesOption = None,
    frac_noise: FracNoiseOption = 1.0,
    num_to_remove_per_class: NumToRemovePerClassOption = None,
    min_examples_per_class: MinExamplesPerClassOption = 1,
    no_calibrate: NoCalibrateOption = False,
    dynamics: DynamicsOption = None,
    dynamics_kind: DynamicsKindOption = "auto",
    detector: DetectorOption = None,
    device: DeviceOption = "cpu",
    multi_label: MultiLabelOption = False,
    block_rows: BlockRowsOption = None,
    in_memory: InMemoryOption = False,
    only_flagged: OnlyFlaggedOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
    task: TaskOption = "auto",
    pixel_mask_out: PixelMaskOutOption = None,
    annotations: AnnotationsOption = None,
    annotator_report: AnnotatorReportOption = None,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Find labels that are probably wrong and write a Parquet report, one row per example.

    Examples:

        labelaudit audit --labels labels.npy --pred-probs probs.npy --out report.parquet

        labelaudit audit --labels labels.npy --dynamics epochs/ --out report.parquet

        labelaudit audit --labels labels.npy --embeddings embeddings.npy --out report.parquet

        labelaudit audit --task segmentation --labels masks.npy --pred-probs probs.npy --out report.parquet

        labelaudit audit --annotations annotators.csv --pred-probs probs.npy --out report.parquet --annotator-report annotators_quality.csv
        labelaudit audit --task regression --labels y.npy --predictions yhat.npy --out report.parquet

    Exit codes: 0 on success (whether or not issues were found), 2 on bad input or usage.
    """
    from labelaudit.pipeline import run

    with console.handled(debug=debug, quiet=quiet):
        request = _request(**locals())
        report = run(request, Observer(quiet=quiet))
        show_summary(report, out, json_output=json_output, quiet=quiet)


def _request(**options):
    """The AuditRequest for the audit command's parsed options (its locals)."""
    from types import SimpleNamespace

    from labelaudit.pipeline import AuditRequest, Outputs

    o = SimpleNamespace(**options)
    return AuditRequest(
        labels=o.labels,
        pred_probs=tuple(o.pred_probs or ()),
        predictions=o.predictions,
        prediction_column=o.prediction_column,
        features=_feature_spec(o.features, o.model, o.folds, o.seed, o.impute, o.feature_columns),
        embeddings=_embedding_spec(o.embeddings, o.embedding_model, o.folds, o.seed, o.duplicates),
        dynamics=o.dynamics,
        dynamics_kind=o.dynamics_kind,
        logits=o.logits,
        multi_label=o.multi_label,
        label_column=o.label_column,
        id_column=o.id_column,
        class_names=o.class_names,
        detectors=tuple(o.detector or ()),
        options=dict(
            filter_by=None if o.filter_by is None else o.filter_by.value,
            rank_by=o.rank_by.value,
            frac_noise=o.frac_noise,
            num_to_remove_per_class=parse_counts(o.num_to_remove_per_class),
            min_examples_per_class=o.min_examples_per_class,
            calibrate=not o.no_calibrate,
        ),
        engine=o.engine,
        in_memory=o.in_memory,
        scheduler=o.scheduler,
        device=o.device,
        force=o.force,
        task=o.task,
        outputs=Outputs(
            o.out,
            only_flagged=o.only_flagged,
            block_rows=o.block_rows,
            pixel_mask=o.pixel_mask_out,
            annotator_report=o.annotator_report,
        ),
        annotations=o.annotations,
    )


def _feature_spec(features, model, folds, seed, impute, feature_columns):
    """--features and its cross-validation options, or None without --features."""
    from labelaudit.pipeline import FeatureSpec

    if features is None:
        return None
    columns = tuple(feature_columns.split(",")) if feature_columns else None
    return FeatureSpec(
        features, model=model, folds=folds, seed=seed, impute=impute, columns=columns
    )


def _embedding_spec(embeddings, model, folds, seed, duplicates):
    """--embeddings, its model and --duplicates, or None without --embeddings."""
    from labelaudit.errors import ConfigError
    from labelaudit.pipeline import EmbeddingSpec

    if embeddings is None:
        for given, flag in ((model != "auto", "--embedding-model"), (duplicates, "--duplicates")):
            if given:
                raise ConfigError(f"{flag} needs --embeddings (it works on their neighbours).")
        return None
    return EmbeddingSpec(embeddings, model=model, folds=folds, seed=seed, duplicates=duplicates)


def show_summary(report, out, *, json_output: bool, quiet: bool) -> None:
    """The report's summary on stdout: JSON for programs, tables for people."""
    from labelaudit.cli.render import print_json, print_summary

    summary = report.summary()
    summary["report"] = str(out)
    if json_output:
        print_json(console.out, summary)
    elif not quiet:
        print_summary(console.out, summary)
        console.out.print(
            f"Report: [bold]{out}[/] ({len(report.columns['row']):,} rows, one per example)"
        )
