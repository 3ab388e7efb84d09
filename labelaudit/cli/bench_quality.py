"""`labelaudit bench quality` and `bench early`: detection quality against known label errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

EmbeddingFamilies = Annotated[
    bool,
    typer.Option(
        "--embeddings/--no-embeddings",
        help="Also score audits from embeddings (no training) against Datalab, a probe with "
        "cleanlab, and fixed k.",
    ),
]


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
    embeddings: EmbeddingFamilies = True,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Compare labelaudit's adaptive default with cleanlab's default and every cleanlab
    filter_by option on families with known label errors: the shared sets (single models and
    the ensemble) and generated scikit-learn families. Mean F1, precision, recall and AP per
    family; * marks the best cleanlab option in hindsight. Then the audits from embeddings:
    digits pixels against Datalab's label check and a probe with cleanlab, and clusters of
    unequal size and density where the data-driven k meets fixed k (docs/embeddings.md).

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
            extra = _embedding_rows(seed_list) if embeddings else None
        if json_output:
            payload = {"families": [r.as_dict() for r in rows]}
            payload.update({} if extra is None else {"embeddings": [r.as_dict() for r in extra]})
            console.out.print_json(json.dumps(payload))
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
        _print_embedding_rows(extra or [])


def _embedding_rows(seeds: list[int]):
    from labelaudit.bench.embeddings import evaluate

    return evaluate(seeds)


def _print_embedding_rows(rows) -> None:
    """One table per embedding family: every method's mean scores, labelaudit's choices."""
    from rich.table import Table

    for r in rows:
        table = Table(
            title=f"Embeddings, {r.family}: {r.description} ({r.cases} cases, "
            f"{r.errors:.0f} errors)",
            title_justify="left",
        )
        for col in ("method", "flagged", "precision", "recall", "F1", "AP"):
            table.add_column(col, justify="left" if col == "method" else "right")
        for method, s in r.scores.items():
            table.add_row(
                method + (f" ({r.notes[method]})" if method in r.notes else ""),
                f"{s.flagged:.0f}",
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
                f"{s.average_precision:.3f}",
            )
        console.out.print(table)
        console.out.print("labelaudit chose: " + "; ".join(r.choices))


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
