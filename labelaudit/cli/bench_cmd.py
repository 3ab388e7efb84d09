"""`labelaudit bench speed`: time labelaudit against cleanlab 2.9 in one run and print ratios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

bench_app = typer.Typer(help="Benchmarks against cleanlab, measured in the same run.")

DEFAULT_SIZES = "1000x10,50000x1000,500000x100"


@bench_app.command("speed")
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
    import json

    from rich.table import Table

    from labelaudit.bench import end_to_end as e2e
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
    rows = []
    with console.err.status("Benchmarking") as status:
        for n, k in grid:
            for filter_by in ("prune_by_noise_rate", "both"):
                status.update(f"Library: {n:,}×{k:,}, filter_by={filter_by}")
                rows.append(speed.measure(n, k, filter_by, repeat=repeat, backend=backend))
        e2e_rows, startup = [], None
        if end_to_end:
            for n, k in e2e_grid:
                status.update(f"End to end: {n:,}×{k:,}")
                e2e_rows.append(e2e.measure(n, k, repeat=repeat))
            startup = e2e.startup_seconds()
    if json_output:
        data = {
            "machine": machine,
            "library": [r.as_dict() for r in rows],
            "end_to_end": [r.as_dict() for r in e2e_rows],
            "startup": None
            if startup is None
            else {"help_s": startup[0], "import_pandas_s": startup[1]},
        }
        console.out.print_json(json.dumps(data))
        return
    console.out.print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    table = Table(
        title="find_label_issues + get_label_quality_scores: median s, tracemalloc peak MB",
        title_justify="left",
    )
    for col in (
        "N×K",
        "filter_by",
        "cleanlab",
        "ours",
        "ratio",
        "cl MB",
        "ours MB",
        "same",
    ):
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
    if e2e_rows:
        table = Table(
            title="End to end, one process each: best seconds, peak RSS MB", title_justify="left"
        )
        for col in (
            "N×K",
            "file MB",
            "script",
            "ours",
            "ratio",
            "script RSS",
            "ours RSS",
            "budget",
        ):
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


@bench_app.command("quality")
def quality_command(
    data: Annotated[
        Path,
        typer.Option(
            help="Benchmark folder: DATASET/given_labels.npy, pred_probs/*.npy, truth. "
            "Skipped when the default folder is absent."
        ),
    ] = Path("../shared/data"),
    seeds: Annotated[
        str, typer.Option(help="Comma-separated seeds of the generated families.")
    ] = "0",
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Compare labelaudit's adaptive default with cleanlab's default and every cleanlab
    filter_by option on families with known label errors: the shared sets (single models and
    the ensemble) and generated scikit-learn families. Mean F1, precision, recall and AP per
    family; * marks the best cleanlab option in hindsight.

    Example:

        labelaudit bench quality --data ../shared/data --seeds 0,1
    """
    with console.handled(debug=debug):
        import json

        from rich.table import Table

        from labelaudit.bench.quality import CLEANLAB, LABELAUDIT, evaluate
        from labelaudit.confident.methods import FILTER_METHODS
        from labelaudit.errors import ConfigError, InvalidInputError

        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError as exc:
            raise ConfigError(f"--seeds must be integers like 0,1, got {seeds!r}.") from exc
        data_dir: Path | None = data
        if not data.is_dir():
            if data != Path("../shared/data"):
                raise InvalidInputError(f"--data {data}: no such folder.")
            data_dir = None
        with console.err.status("Evaluating"):
            rows = evaluate(data_dir, seed_list)
        if json_output:
            console.out.print_json(json.dumps({"families": [r.as_dict() for r in rows]}))
            return
        methods = (LABELAUDIT, CLEANLAB, *FILTER_METHODS)
        table = Table(title="Mean F1 per family (* best cleanlab option)", title_justify="left")
        for col in ("family", "cases", "errors", *methods):
            table.add_column(col, justify="left" if col == "family" else "right")
        for r in rows:
            best = r.best_option
            cells = [f"{r.scores[m].f1:.3f}" + ("*" if m == best else "") for m in methods]
            table.add_row(r.family, str(r.cases), f"{r.errors:.0f}", *cells)
        console.out.print(table)
        table = Table(title="labelaudit vs cleanlab default", title_justify="left")
        for col in ("family", "method", "flagged", "precision", "recall", "F1", "AP", "rule"):
            table.add_column(col, justify="left" if col in ("family", "method") else "right")
        for r in rows:
            for m in (LABELAUDIT, CLEANLAB):
                s = r.scores[m]
                rule = ",".join(sorted(set(r.decisions))) if m == LABELAUDIT else ""
                table.add_row(
                    r.family,
                    m,
                    f"{s.flagged:.0f}",
                    f"{s.precision:.3f}",
                    f"{s.recall:.3f}",
                    f"{s.f1:.3f}",
                    f"{s.average_precision:.3f}",
                    rule,
                )
        console.out.print(table)


@bench_app.command("early")
def early_command(
    settings: Annotated[
        str,
        typer.Option(
            help="Comma-separated noise settings KIND:RATE, KIND symmetric, pair or none "
            "(none:0 measures flags on clean labels)."
        ),
    ] = "symmetric:0.2,symmetric:0.4,pair:0.2,pair:0.4,none:0",
    seeds: Annotated[
        str, typer.Option(help="Comma-separated seeds (noise, folds, MLP).")
    ] = "0,1,2",
    epochs: Annotated[int, typer.Option(min=3, help="Epochs to train and record.")] = 100,
    hidden: Annotated[int, typer.Option(min=1, help="Hidden units of the MLP.")] = 512,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Train scikit-learn MLPs with partial_fit on digits with planted label noise, record the
    training dynamics, and score every early-learning detector, their combination with
    confident learning, and confident learning alone (cross-validated logistic regression):
    AUROC, precision, recall, and label accuracy after applying the `confident` suggestions.

    Example:

        labelaudit bench early --settings symmetric:0.4 --seeds 0
    """
    with console.handled(debug=debug):
        import json

        from rich.table import Table

        from labelaudit.bench.early import parse_settings, run
        from labelaudit.errors import ConfigError

        try:
            grid = parse_settings(settings)
            seed_list = [int(s) for s in seeds.split(",")]
        except ValueError as exc:
            raise ConfigError(
                f"settings look like symmetric:0.4,pair:0.2 and seeds like 0,1,2; got "
                f"{settings!r} and {seeds!r}."
            ) from exc
        with console.err.status("Training") as status:
            rows = run(
                grid,
                seed_list,
                epochs=epochs,
                hidden=hidden,
                progress=lambda text: status.update(f"Training and auditing: {text}"),
            )
        if json_output:
            console.out.print_json(json.dumps([r.as_dict() for r in rows]))
            return
        table = Table(
            title=f"Early-learning detectors on digits ({epochs} epochs, mean of "
            f"{len(seed_list)} seed(s))",
            title_justify="left",
        )
        for col in ("noise", "detector", "AUROC", "precision", "recall", "flagged", "accuracy"):
            table.add_column(col, justify="left" if col in ("noise", "detector") else "right")
        for r in rows:
            table.add_row(
                r.setting,
                r.detector,
                _fmt(r.auroc),
                _fmt(r.precision),
                _fmt(r.recall),
                f"{r.flagged_share:.1%}",
                f"{r.accuracy_before:.3f}→{r.accuracy_after:.3f}",
            )
        console.out.print(table)
        console.out.print(
            "accuracy: label accuracy before → after applying the suggestions graded "
            "`confident` (confident_learning: every flagged suggestion)."
        )


def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


@bench_app.command("scale")
def scale_command(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated N×K sizes of the float32 probability files.")
    ] = "1280000x1000",
    compare: Annotated[
        bool,
        typer.Option(help="Also run with --in-memory and check that the reports are identical."),
    ] = True,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where to write the (large) temporary files.", show_default="TMPDIR"),
    ] = None,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Audit probability files larger than the memory labelaudit may use: wall time and peak
    RSS of `labelaudit audit` streaming a memory-mapped file, against loading it whole.

    Example:

        labelaudit bench scale --sizes 1280000x1000
    """
    with console.handled(debug=debug):
        import json

        from rich.table import Table

        from labelaudit.bench import scale
        from labelaudit.bench.data import parse_sizes
        from labelaudit.errors import ConfigError

        try:
            grid = parse_sizes(sizes)
        except ValueError as exc:
            raise ConfigError(f"sizes must look like 1280000x1000, got {sizes!r}.") from exc
        rows = []
        with console.err.status("Writing and auditing") as status:
            for n, k in grid:
                status.update(f"{n:,}×{k:,} float32")
                rows.append(scale.measure(n, k, compare=compare, workdir=workdir))
        if json_output:
            console.out.print_json(json.dumps([r.as_dict() for r in rows]))
            return
        table = Table(title="Out-of-core audits: seconds, peak RSS MB", title_justify="left")
        for col in ("N×K", "file MB", "streamed", "RSS", "in memory", "RSS", "ratio", "same"):
            table.add_column(col, justify="right")
        for r in rows:
            memory = r.in_memory
            table.add_row(
                f"{r.n:,}×{r.k:,}",
                f"{r.file_mb:,.0f}",
                f"{r.streamed.seconds:.2f}",
                f"{r.streamed.peak_rss_mb:,.0f}",
                "–" if memory is None else f"{memory.seconds:.2f}",
                "–" if memory is None else f"{memory.peak_rss_mb:,.0f}",
                "–" if memory is None else f"{r.streamed.seconds / memory.seconds:.2f}×",
                "–" if r.identical is None else ("yes" if r.identical else "[red]NO[/]"),
            )
        console.out.print(table)
