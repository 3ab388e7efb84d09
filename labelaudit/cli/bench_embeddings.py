"""`labelaudit bench embeddings`: the audit from embeddings against cleanlab's Datalab, one
process each."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

Rows = Annotated[int, typer.Option(min=100, help="Rows of the generated embeddings.")]
Dims = Annotated[int, typer.Option(min=2, help="Dimensions of the generated embeddings.")]
Repeat = Annotated[int, typer.Option(min=1, help="Runs of each command (best is shown).")]
DatalabPath = Annotated[
    str,
    typer.Option(
        help="A private directory holding cleanlab\\[datalab] and Hugging Face datasets (pip "
        "install --target DIR), appended after site-packages in the Datalab process only; "
        "default: $LABELAUDIT_DATALAB_PATH, else the current environment.",
        show_default=False,
    ),
]


def embeddings_command(
    rows: Rows = 60_000,
    dims: Dims = 64,
    repeat: Repeat = 1,
    datalab_path: DatalabPath = "",
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Time `labelaudit audit --labels L.npy --embeddings E.npy --duplicates` against a script
    running cleanlab's Datalab find_issues(features=E, issue_types={"label": {}, "near_duplicate":
    {}}) on the same float32 files (Gaussian clusters, 10% planted label errors, 20 planted
    conflicting near-duplicate pairs); peak RSS of each process, the ratio, each side's
    label-issue F1 against the planted errors. Needs cleanlab\\[datalab] (the bench extra:
    pip install 'labelaudit\\[bench]').

    Example:

        labelaudit bench embeddings --rows 20000
    """
    with console.handled(debug=debug):
        from rich.table import Table

        from labelaudit.bench.embed_speed import DATALAB_ENV, measure

        path = datalab_path or os.environ.get(DATALAB_ENV, "")
        with console.err.status(f"Auditing {rows:,} × {dims} embeddings with Datalab and ours"):
            row = measure(rows, dims, repeat=repeat, datalab_path=path)
        if json_output:
            console.out.print_json(json.dumps(row.as_dict()))
            return
        table = Table(
            title=f"Audit from {row.n:,} × {row.d} float32 embeddings ({row.file_mb:.0f} MB, "
            f"K = {row.k}) end to end, one process each",
            title_justify="left",
        )
        for col in ("", "best seconds", "peak RSS MB", "label F1", "conflicting pairs"):
            table.add_column(col, justify="right")
        found = f"{row.conflicting_pairs_found}/{row.planted_duplicates}"
        table.add_row(
            "Datalab",
            f"{row.datalab.seconds:.2f}",
            f"{row.datalab.peak_rss_mb:.0f}",
            f"{row.datalab_f1:.3f}",
            "",
        )
        table.add_row(
            "labelaudit",
            f"{row.labelaudit.seconds:.2f}",
            f"{row.labelaudit.peak_rss_mb:.0f}",
            f"{row.labelaudit_f1:.3f}",
            found,
        )
        console.out.print(table)
        console.out.print(
            f"labelaudit is {row.speedup:.1f}× faster than Datalab; F1 is against the "
            f"{row.planted_errors:,} planted label errors."
        )
