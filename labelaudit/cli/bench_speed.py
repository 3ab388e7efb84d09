"""`labelaudit bench speed`: labelaudit against cleanlab 2.9 in one run, as ratios."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

DEFAULT_SIZES = "1000x10,50000x1000,500000x100"


def speed_command(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated N×K sizes of the synthetic matrices.")
    ] = DEFAULT_SIZES,
    repeat: Annotated[int, typer.Option(min=1, help="Timed runs per measurement (median).")] = 3,
    end_to_end: Annotated[
        bool,
        typer.Option(help="Also time `labelaudit audit` against a cleanlab script, per process."),
    ] = True,
    end_to_end_size: Annotated[
        str, typer.Option(help="N×K of the end-to-end comparison.")
    ] = "50000x1000",
    backend: Annotated[
        str,
        typer.Option(
            help="Where labelaudit's copy of each matrix lives: numpy, torch (CUDA when "
            "available), cupy, or array-api-strict (the device code path on the CPU). "
            "cleanlab always reads the NumPy matrix."
        ),
    ] = "numpy",
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Time find_label_issues + get_label_quality_scores of cleanlab and labelaudit on the same
    Dirichlet(1) matrices (float64), with cleanlab's defaults and with filter_by='both'; check
    that both give identical answers; then time whole audits as separate processes.

    Example:

        labelaudit bench speed --sizes 50000x1000 --repeat 5

        labelaudit bench speed --sizes 500000x1000 --backend cupy --no-end-to-end
    """
    with console.handled(debug=debug):
        _run(sizes, repeat, end_to_end, end_to_end_size, json_output, backend)


def _run(
    sizes: str, repeat: int, end_to_end: bool, e2e_size: str, json_output: bool, backend: str
) -> None:
    from labelaudit.bench import speed
    from labelaudit.bench.data import parse_sizes
    from labelaudit.errors import ConfigError

    try:
        grid = parse_sizes(sizes)
        e2e_grid = parse_sizes(e2e_size)
    except ValueError as exc:
        raise ConfigError(f"sizes must look like 50000x1000, got {sizes!r}.") from exc
    try:
        machine = speed.machine()
    except ImportError as exc:
        raise ConfigError("the benchmark needs cleanlab: pip install 'labelaudit[bench]'") from exc
    speed.on_backend(speed.synthetic(2, 2)[1], backend)  # an unusable backend fails up front
    machine["labelaudit backend"] = f"{backend} ({speed.backend_device(backend)})"
    rows, e2e_rows, startup = _measure(grid, e2e_grid if end_to_end else [], repeat, backend)
    rules = _measure_rules(grid, repeat) if backend == "numpy" else []
    if json_output:
        data = {
            "machine": machine,
            "library": [r.as_dict() for r in rows],
            "default_rule": [r.as_dict() for r in rules],
            "end_to_end": [r.as_dict() for r in e2e_rows],
            "startup": None
            if startup is None
            else {"help_s": startup[0], "import_pandas_s": startup[1]},
        }
        console.out.print_json(json.dumps(data))
        return
    console.out.print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    _print_library(rows)
    if rules:
        _print_rules(rules)
    if e2e_rows:
        _print_end_to_end(e2e_rows, startup)


def _measure(grid, e2e_grid, repeat: int, backend: str):
    """Library rows for both filter_by settings per size, then end-to-end rows and start-up."""
    from labelaudit.bench import end_to_end as e2e
    from labelaudit.bench import speed

    rows = []
    with console.err.status("Benchmarking") as status:
        for n, k in grid:
            for filter_by in ("prune_by_noise_rate", "both"):
                status.update(f"Library: {n:,}×{k:,}, filter_by={filter_by}")
                rows.append(speed.measure(n, k, filter_by, repeat=repeat, backend=backend))
        e2e_rows, startup = [], None
        for n, k in e2e_grid:
            status.update(f"End to end: {n:,}×{k:,}")
            e2e_rows.append(e2e.measure(n, k, repeat=repeat))
        if e2e_grid:
            startup = e2e.startup_seconds()
    return rows, e2e_rows, startup


def _measure_rules(grid, repeat: int):
    """What the adaptive default adds to the detector `labelaudit.audit` runs (NumPy only)."""
    from labelaudit.bench import speed

    rows = []
    with console.err.status("Benchmarking the default rule") as status:
        for n, k in grid:
            status.update(f"Default rule: {n:,}×{k:,}")
            rows.append(speed.measure_rule(n, k, repeat=max(repeat, 5)))
    return rows


def _print_rules(rows) -> None:
    table = Table(
        title="Confident-learning detector: the adaptive default against "
        "filter_by=prune_by_noise_rate, median s of interleaved runs",
        title_justify="left",
    )
    for col in ("N×K", "default", "explicit", "rule adds", "flagged", "cleanlab flags"):
        table.add_column(col, justify="left" if col == "N×K" else "right")
    for r in rows:
        table.add_row(
            f"{r.n:,}×{r.k:,}",
            f"{r.default_s:.4f}",
            f"{r.explicit_s:.4f}",
            f"{r.overhead:+.1%}",
            f"{r.default_flagged:,}",
            f"{r.explicit_flagged:,}",
        )
    console.out.print(table)


def _print_library(rows) -> None:
    table = Table(
        title="find_label_issues + get_label_quality_scores: median s, tracemalloc peak MB",
        title_justify="left",
    )
    for col in ("N×K", "filter_by", "cleanlab", "ours", "ratio", "cl MB", "ours MB", "same"):
        table.add_column(col, justify="left" if col in ("N×K", "filter_by") else "right")
    for r in rows:
        table.add_row(
            f"{r.n:,}×{r.k:,}",
            "default" if r.filter_by == "prune_by_noise_rate" else r.filter_by,
            f"{r.cleanlab_s:.4f}",
            f"{r.labelaudit_s:.4f}",
            f"{r.speedup:.1f}×",
            f"{r.cleanlab_peak_mb:.0f}",
            f"{r.labelaudit_peak_mb:.0f}",
            "yes" if r.identical else "[red]NO[/]",
        )
    console.out.print(table)


def _print_end_to_end(e2e_rows, startup) -> None:
    table = Table(
        title="End to end, one process each: best seconds, peak RSS MB", title_justify="left"
    )
    for col in ("N×K", "file MB", "script", "ours", "ratio", "script RSS", "ours RSS", "budget"):
        table.add_column(col, justify="right")
    for r in e2e_rows:
        table.add_row(
            f"{r.n:,}×{r.k:,}",
            f"{r.file_mb:.0f}",
            f"{r.cleanlab.seconds:.2f}",
            f"{r.labelaudit.seconds:.2f}",
            f"{r.speedup:.1f}×",
            f"{r.cleanlab.peak_rss_mb:.0f}",
            f"{r.labelaudit.peak_rss_mb:.0f}",
            f"{r.rss_budget_mb:.0f}",
        )
    console.out.print(table)
    console.out.print(
        f"labelaudit --help: {startup[0]:.3f} s; python -c 'import pandas': {startup[1]:.3f} s"
    )
