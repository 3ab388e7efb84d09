"""`labelaudit demo`: audit a small real dataset with planted label errors, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json, Quiet


def demo_command(
    out_dir: Annotated[
        Path, typer.Option(help="Directory for the demo inputs and the report.")
    ] = Path("labelaudit-demo"),
    noise: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of labels to flip before auditing.")
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the planted noise and the folds.")] = 0,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Audit scikit-learn's handwritten digits after flipping 10% of the labels.

    Writes labels.npy, pred_probs.npy (5-fold cross-validated) and report.parquet to --out-dir,
    prints the audit and how many planted errors it found. Nothing is downloaded.

    Example:

        labelaudit demo --out-dir /tmp/demo
    """
    with console.handled(debug=debug, quiet=quiet):
        _run(out_dir, noise=noise, seed=seed, json_output=json_output, quiet=quiet)


def _make_folder(out_dir: Path) -> None:
    """--out-dir, created if needed, before any work."""
    from labelaudit.errors import InvalidInputError

    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInputError(f"--out-dir {out_dir} is a file; name a directory.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(
            f"--out-dir {out_dir}: cannot be created ({exc.strerror})."
        ) from exc


def _run(out_dir: Path, *, noise: float, seed: int, json_output: bool, quiet: bool) -> None:
    import numpy as np

    from labelaudit import audit
    from labelaudit.cli.render import print_json, print_summary
    from labelaudit.demo import CLASS_NAMES, load_demo
    from labelaudit.io.atomic import atomic_path

    _make_folder(out_dir)
    with console.stage("Preparing digits with planted label errors", quiet=quiet):
        data = load_demo(noise=noise, seed=seed)
    labels_path, probs_path = out_dir / "labels.npy", out_dir / "pred_probs.npy"
    report_path = out_dir / "report.parquet"
    for path, array in ((labels_path, data.labels), (probs_path, data.pred_probs)):
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.save(fh, array)
    with console.stage("Auditing", quiet=quiet):
        report = audit(data.labels, data.pred_probs, class_names=CLASS_NAMES)
        report.to_parquet(report_path)
    flagged = report.columns["is_label_issue"]
    found = int((flagged & data.is_noisy).sum())
    summary = report.summary()
    summary.update(
        report=str(report_path),
        planted_errors=int(data.is_noisy.sum()),
        planted_errors_found=found,
        precision=found / max(int(flagged.sum()), 1),
        recall=found / max(int(data.is_noisy.sum()), 1),
    )
    if json_output:
        print_json(console.out, summary)
        return
    if quiet:
        return
    print_summary(console.out, summary)
    console.out.print(
        f"\nPlanted {summary['planted_errors']} wrong labels; the audit flagged "
        f"{int(flagged.sum())} rows and {found} of them are planted errors "
        f"(precision {summary['precision']:.0%}, recall {summary['recall']:.0%})."
    )
    console.out.print(f"Report: [bold]{report_path}[/]\n\nTry next:")
    console.out.print(
        f"  labelaudit audit --labels {labels_path} --pred-probs {probs_path} "
        f"--out {out_dir / 'both.parquet'} --filter-by both\n"
        f"  python -c \"import pandas as pd; print(pd.read_parquet('{report_path}')"
        f".query('is_label_issue').sort_values('issue_rank').head())\"",
        highlight=False,
        markup=False,
    )
