"""`audit` options about the task, where it runs and what it writes (the rest: audit_options.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DeviceOption = Annotated[
    str,
    typer.Option(
        help="Where the full passes over the probabilities run: cpu, cuda (CuPy or PyTorch) "
        "or auto (cuda when available). Results are identical."
    ),
]


BlockRowsOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Rows per block when reading Parquet probabilities and per row group of the report.",
        show_default="chosen from available memory",
    ),
]


InMemoryOption = Annotated[
    bool,
    typer.Option(
        "--in-memory",
        help="Load .npy probabilities whole instead of memory-mapping them with a bounded "
        "resident set (docs/scaling.md).",
    ),
]


OnlyFlaggedOption = Annotated[
    bool,
    typer.Option("--only-flagged", help="Write only the flagged rows to the report (same schema)."),
]


EngineOption = Annotated[
    str,
    typer.Option(
        help="Where the passes over the probabilities run: local (this process) or dask "
        "(a Dask cluster; docs/scaling.md). Results are identical.",
    ),
]


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="With --engine dask: the scheduler to use, e.g. tcp://10.0.0.5:8786.",
        show_default="a LocalCluster started for the run",
    ),
]


TaskOption = Annotated[
    str,
    typer.Option(
        "--task",
        metavar="TASK",
        help="What a label is: auto (one class or class set per row, as the inputs say), "
        "segmentation (--labels N×H×W integer masks, --pred-probs N×K×H×W probabilities; one "
        "report row per image) or token (--labels Parquet with a list of tags per sentence, "
        "--pred-probs the sentences' token rows; one report row per token) or regression "
        "(--labels numbers, --predictions or --features; docs/regression.md).",
    ),
]


PixelMaskOutOption = Annotated[
    Path | None,
    typer.Option(
        "--pixel-mask-out",
        metavar="PATH",
        help="With --task segmentation: write the N×H×W boolean mask of flagged pixels (.npy, "
        "written through a memory map).",
        show_default=False,
    ),
]
