"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS

FilterBy = Enum("FilterBy", {name: name for name in FILTER_METHODS}, type=str)
RankBy = Enum("RankBy", {name: name for name in RANK_METHODS}, type=str)

Debug = Annotated[
    bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print nothing but errors (the report is still written)."),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print one JSON summary on stdout instead of tables.")
]

ReportPath = Annotated[
    Path, typer.Argument(metavar="REPORT", help="A report written by `labelaudit audit`.")
]
DatasetOption = Annotated[
    Path | None,
    typer.Option(
        "--dataset",
        metavar="PATH",
        help="The dataset (.csv, .parquet or .jsonl) to join: by the report's id column, else "
        "by row position.",
        show_default=False,
    ),
]
IdColumn = Annotated[
    str | None,
    typer.Option(help="Id column of --dataset.", show_default="the report's id column"),
]
