"""`labelaudit audit --dynamics`: read labels, per-epoch outputs (and probabilities), audit, write."""

from __future__ import annotations

from pathlib import Path

from labelaudit.cli import console
from labelaudit.cli.progress import progress_bar


def run_dynamics_audit(
    *,
    labels: Path,
    dynamics: Path,
    kind: str,
    detectors: list[str] | None,
    pred_probs: list[Path],
    confident_learning: dict,
    out: Path,
    logits: bool,
    label_column: str,
    id_column: str | None,
    class_names_spec: str | None,
    json_output: bool,
    quiet: bool,
    writing: dict | None = None,
) -> None:
    from labelaudit.cli.audit_cmd import InputHashes, _finish, check_output_path
    from labelaudit.dynamics import read_dynamics
    from labelaudit.dynamics_audit import audit_dynamics
    from labelaudit.io.labels import (
        check_inferred_names,
        check_same_rows,
        parse_class_names,
        read_labels,
    )
    from labelaudit.io.probabilities import ensemble_mean, read_members

    check_output_path(out, [labels, *pred_probs, dynamics])
    with console.stage("Reading labels", quiet=quiet):
        names = parse_class_names(class_names_spec)
        label_data = read_labels(
            labels, label_column=label_column, id_column=id_column, class_names=names
        )
    with console.stage(f"Opening {dynamics}", quiet=quiet):
        record = read_dynamics(dynamics, kind=kind)
    check_same_rows(labels, len(label_data.labels), dynamics, record.n, "examples per epoch")
    check_inferred_names(label_data.class_names, class_names_spec, record.k, labels, dynamics)
    probs = None
    if pred_probs:
        with console.stage("Reading predicted probabilities", quiet=quiet):
            probs = ensemble_mean(read_members(pred_probs, logits=logits))
    roles = [("labels", labels), *(("pred_probs", p) for p in pred_probs)]
    if not dynamics.is_dir():
        roles.append(("dynamics", dynamics))
    hashes = InputHashes(roles)
    epochs = len(record)
    with progress_bar(
        f"Reading {epochs} epochs of {record.n:,} × {record.k}", 2 * epochs, quiet=quiet
    ) as advance:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            advance(done - state["done"])
            state["done"] = done

        report = audit_dynamics(
            label_data.labels,
            record,
            detectors=detectors,
            pred_probs=probs,
            confident_learning=confident_learning,
            class_names=label_data.class_names,
            ids=label_data.ids,
            progress=progress,
        )
    report.metadata["options"].update(dynamics=str(dynamics), id_column=label_data.id_column)
    _finish(report, out, hashes, logits, label_column, json_output, quiet, writing)
