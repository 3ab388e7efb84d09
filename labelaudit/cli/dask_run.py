"""`labelaudit audit --engine dask`: the probabilities stay on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

from labelaudit.cli import console
from labelaudit.errors import ConfigError


def run_dask_audit(
    *,
    labels: Path,
    pred_probs: list[str],
    scheduler: str | None,
    out: Path,
    options: dict,
    detector: str,
    logits: bool,
    label_column: str,
    id_column: str | None,
    class_names_spec: str | None,
    json_output: bool,
    quiet: bool,
    writing: dict,
) -> None:
    from labelaudit.auditor import DEFAULT_DETECTOR, audit
    from labelaudit.cli.audit_cmd import (
        InputHashes,
        _finish,
        check_detector_options,
        check_output_path,
    )
    from labelaudit.engines import dask_engine
    from labelaudit.io.labels import (
        check_label_range,
        check_same_rows,
        parse_class_names,
        read_labels,
    )

    if len(pred_probs) != 1:
        raise ConfigError("--engine dask audits one --pred-probs file (average ensembles first).")
    source = pred_probs[0]
    local = "://" not in source
    check_output_path(out, [labels, *([Path(source)] if local else [])])
    check_detector_options(detector, options)
    with console.stage("Reading labels", quiet=quiet):
        label_data = read_labels(
            labels,
            label_column=label_column,
            id_column=id_column,
            class_names=parse_class_names(class_names_spec),
        )
    roles = [("labels", labels), *([("pred_probs", Path(source))] if local else [])]
    hashes = InputHashes(roles)
    with (
        console.stage("Connecting to Dask", quiet=quiet),
        dask_engine.client(scheduler) as client,
        dask_engine.translated_faults(source),
    ):
        array = dask_engine.load(source, logits=logits)
        n, k = array.shape
        check_same_rows(labels, len(label_data.labels), source, n)
        check_label_range(label_data.labels, k, labels, source)
        with console.stage(
            f"Auditing {n:,} examples × {k} classes on {_describe(client)}", quiet=quiet
        ):
            matrix = dask_engine.checked(dask_engine.DaskMatrix(array), source)
            report = audit(
                label_data.labels,
                matrix,
                detector=detector,
                **(options if detector == DEFAULT_DETECTOR else {}),
                class_names=label_data.class_names,
                ids=label_data.ids,
            )
    report.metadata["options"].update(
        engine="dask", id_column=label_data.id_column, pred_probs=source
    )
    _finish(report, out, hashes, logits, label_column, json_output, quiet, writing)


def _describe(client) -> str:
    workers = len(client.scheduler_info().get("workers", {}))
    return f"{workers} Dask worker(s)"
