"""run(request) -> Report: the whole audit, one way through.

read → validate → evidence → detectors → Report → write. The request is checked first
(plan.py), so a request that cannot work is refused before any large input is read; the engine
(engines/) decides only where the passes over the probabilities run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.labels import (
    check_given_names,
    check_inferred_names,
    check_label_range,
    check_same_rows,
)
from labelaudit.pipeline import loaders, provenance
from labelaudit.pipeline.loaders import labels as label_loader
from labelaudit.pipeline.observer import SILENT, Observer
from labelaudit.pipeline.plan import Plan, check
from labelaudit.pipeline.request import AuditRequest


def run(request: AuditRequest, observer: Observer = SILENT) -> Any:
    """Audit as the request says and return the Report (written to request.outputs.report when
    set). Bad input raises InvalidInputError, an impossible request ConfigError."""
    return run_with_labels(request, observer)[0]


def run_with_labels(
    request: AuditRequest, observer: Observer = SILENT, *, keep_label_table: bool = False
) -> tuple[Any, Any]:
    """run(), also handing back the labels it read (with their whole table if asked: the gate
    keys baseline rows by it)."""
    from labelaudit.engines import select
    from labelaudit.io.outputs import guard_output

    plan = check(request)
    out = request.outputs.report
    inputs = [path for _, path in request.input_files()]
    if out is not None:
        guard_output(Path(out), inputs, suffixes=(".parquet",))
    if request.outputs.pixel_mask is not None:
        guard_output(
            Path(request.outputs.pixel_mask),
            [*inputs, out],
            option="--pixel-mask-out",
            suffixes=(".npy",),
            what="the pixel mask is written as .npy",
        )
    if request.outputs.annotator_report is not None:
        guard_output(
            Path(request.outputs.annotator_report),
            [*inputs, out],
            option="--annotator-report",
            suffixes=(".csv",),
            what="the annotator report is a CSV file",
        )
    engine = select(request.engine, in_memory=request.in_memory, scheduler=request.scheduler)
    hashes = provenance.InputHashes(request.input_files())
    try:
        with engine.session(request.pred_probs):
            labels = None
            if plan.task not in ("segmentation", "token", "multiannotator", "regression"):
                # those tasks' loaders read their own labels
                labels = label_loader.load(request, observer, keep_table=keep_label_table)
            evidence = loaders.load_evidence(request, engine, observer)
            report = TASKS[plan.task](request, plan, labels, evidence, engine, observer)
    except BaseException:
        hashes.cancel()
        raise
    provenance.record(report, request, labels, hashes)
    if out is not None:
        write(report, request, observer)
    if request.outputs.annotator_report is not None:
        from labelaudit.pipeline.annotators import write_annotator_report

        write_annotator_report(report, Path(request.outputs.annotator_report))
    return report, labels


def write(report, request: AuditRequest, observer: Observer = SILENT) -> None:
    """The report as Parquet, atomically, in row groups of --block-rows."""
    from labelaudit.io.stream import default_block_rows

    out = Path(request.outputs.report)
    with observer.stage(f"Writing {out}"):
        report.to_parquet(
            out,
            only_flagged=request.outputs.only_flagged,
            row_group_size=request.outputs.block_rows or default_block_rows(16),
        )


def _labels_path(request: AuditRequest) -> Path | None:
    return Path(request.labels) if isinstance(request.labels, (str, Path)) else None


def _check_against(request, labels, n: int, k: int, source, unit: str = "rows") -> None:
    """The labels and the model outputs describe the same N examples and K classes."""
    path = _labels_path(request)
    if path is None:  # in-memory labels: the detector's own input check names the mismatch
        return
    check_same_rows(path, len(labels.labels), source, n, unit)
    check_given_names(labels.class_names, request.class_names, k, source)
    check_inferred_names(labels.class_names, request.class_names, k, path, source)


def _classification(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.classification import classify

    probs = evidence["pred_probs"]
    _check_against(request, labels, probs.n, probs.k, probs.source)
    path = _labels_path(request)
    if path is not None:
        check_label_range(labels.labels, probs.k, path, probs.source)
        _check_counts(request, probs.k, probs.source)
    # Labels read from a file by the CLI or the gate: refuse a permuted class order unless forced.
    # (Arrays on a device or Dask are trusted: the check would pull them back to the host.)
    # (Probabilities voted from the labels themselves, --embeddings, follow their order.)
    check_order = (
        path is not None
        and not request.force
        and isinstance(probs.matrix, np.ndarray)
        and probs.details is None
    )
    name, _ = plan.detectors[0]
    confident = name == "confident_learning"
    with observer.stage(
        f"Auditing {probs.n:,} examples × {probs.k} classes on {engine.describe()}"
    ):
        report = classify(
            labels.labels,
            probs.matrix,
            detector=name,
            **(dict(request.options) if confident else {}),
            detector_options=dict(request.detector_options) or None,
            class_names=labels.class_names,
            ids=labels.ids,
            members=probs.ensemble,
            device=request.device,
            check_order_of=probs.source if check_order else None,
        )
    if probs.details is not None:  # --embeddings: the model chosen and its scores
        report.metadata["embeddings"] = probs.details
    report.columns.update(probs.columns or {})  # --embeddings: the duplicate pointers
    return report


def _check_counts(request, k: int, source) -> None:
    """--num-to-remove-per-class: one count for every class, or exactly one per class."""
    counts = request.options.get("num_to_remove_per_class")
    if isinstance(counts, (list, tuple)) and len(counts) != k:
        raise InvalidInputError(
            f"--num-to-remove-per-class gives {len(counts)} counts but {source} has {k} "
            "classes; give one count for all classes or one per class."
        )


def _multi_label(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.multilabel import classify_multilabel

    probs = evidence["pred_probs"]
    if len(labels.labels) != probs.n:
        raise InvalidInputError(
            f"{request.labels} has {len(labels.labels)} label sets but {probs.source} has "
            f"{probs.n} rows."
        )
    path = _labels_path(request)
    if path is not None:
        from labelaudit.io.multilabels import check_label_sets

        check_given_names(labels.class_names, request.class_names, probs.k, probs.source)
        check_inferred_names(labels.class_names, request.class_names, probs.k, path, probs.source)
        check_label_sets(labels.labels, probs.k, path, probs.source)
        _check_counts(request, probs.k, probs.source)
    options = {k: v for k, v in request.options.items() if k != "calibrate"}
    options["filter_by"] = options.get("filter_by") or "prune_by_noise_rate"
    with observer.stage(f"Auditing {probs.n:,} examples × {probs.k} classes"):
        return classify_multilabel(
            labels.labels,
            probs.matrix,
            **options,
            class_names=labels.class_names,
            ids=labels.ids,
        )


def _dynamics(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.dynamics import classify_dynamics

    record = evidence["dynamics"]
    source = request.dynamics if isinstance(request.dynamics, (str, Path)) else "the dynamics"
    _check_against(request, labels, record.n, record.k, source, "examples per epoch")
    probs = evidence.get("pred_probs")
    epochs = len(record)
    description = f"Reading {epochs} epochs of {record.n:,} × {record.k}"
    with observer.progress(description, 2 * epochs) as advance:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            advance(done - state["done"])
            state["done"] = done

        return classify_dynamics(
            labels.labels,
            record,
            detectors=plan.detectors,
            pred_probs=None if probs is None else probs.matrix,
            confident_learning=plan.changed_options,
            class_names=labels.class_names,
            ids=labels.ids,
            progress=progress,
        )


def _segmentation(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.segmentation import audit_pixels

    return audit_pixels(
        evidence["pixel_probs"],
        class_names=label_loader.class_names(request),
        pixel_mask_out=request.outputs.pixel_mask,
        observer=observer,
    )


def _token(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.tokens import audit_tokens

    return audit_tokens(evidence["token_probs"], observer=observer)


def _multiannotator(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.annotators import audit_annotations

    return audit_annotations(
        evidence["annotations"],
        evidence["pred_probs"],
        names_given=request.class_names is not None,
        observer=observer,
    )


def _regression(request, plan: Plan, labels, evidence, engine, observer):
    from labelaudit.pipeline.regression import audit_regression

    return audit_regression(evidence["regression"], observer=observer)


TASKS = {
    "classification": _classification,
    "multi_label": _multi_label,
    "dynamics": _dynamics,
    "segmentation": _segmentation,
    "token": _token,
    "multiannotator": _multiannotator,
    "regression": _regression,
}
