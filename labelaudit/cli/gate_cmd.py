"""`labelaudit gate`: fail a commit or CI run when label quality drops below the configured limits."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json, Quiet

EXIT_FAIL = 1


Format = Enum("Format", {name: name for name in ("text", "json", "github")}, type=str)


def gate_command(
    config: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="pyproject.toml with \\[tool.labelaudit], or labelaudit.toml.",  # \\[ is not markup
            show_default="found in the current directory or its parents",
        ),
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help="Accept every issue flagged now: write them to the baseline file and pass.",
        ),
    ] = False,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="text: tables; json: one JSON document (as --json); github: GitHub Actions "
            "annotations, ::error for a failed check and ::notice for a passing one.",
        ),
    ] = Format.text,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Fail a commit or CI run when label quality drops (for pre-commit and CI).

    Audits the labels configured in \\[tool.labelaudit] and fails when issues that are not in the
    baseline break a limit: max_issue_fraction, max_new_issues, max_class_issue_fraction
    (docs/gate.md).

    Exit codes: 0 pass, 1 fail (a table says what broke), 2 bad configuration or input.
    --json prints one document whose `checks` give each limit and actual value as numbers.

    Example:

        labelaudit gate                      # in pre-commit or CI
        labelaudit gate --format github      # in GitHub Actions: annotations on the run
        labelaudit gate --update-baseline    # accept the issues flagged today
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.errors import ConfigError
        from labelaudit.gate.config import find_config, load_config
        from labelaudit.gate.run import evaluate

        if json_output and output_format not in (Format.text, Format.json):
            raise ConfigError(
                f"--json and --format {output_format.value} ask for two outputs; choose one."
            )
        if json_output:
            output_format = Format.json

        path = config if config is not None else find_config(Path.cwd())
        settings = load_config(path)
        with console.stage("Auditing labels", quiet=quiet):
            result = evaluate(settings, update_baseline=update_baseline)
        if output_format is Format.json:
            _print_json(result, settings)
        elif output_format is Format.github:
            from labelaudit.gate.annotations import annotations

            for line in annotations(result, str(settings.report)):
                typer.echo(line)
        elif not quiet:
            _print(result, settings, update_baseline)
    if not result.passed:
        raise typer.Exit(EXIT_FAIL)


def _print_json(result, settings) -> None:
    import json

    payload = {
        "passed": result.passed,
        "report": str(settings.report),
        "accepted": result.accepted,
        "open_issues": len(result.open_rows),
        "checks": [c.as_dict() for c in result.checks],
        "open_rows": result.open_rows[:100].tolist(),
    }
    console.out.print_json(json.dumps(payload))


def _print(result, settings, update_baseline: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    from labelaudit.gate.annotations import describe

    if update_baseline:
        console.out.print(
            f"Baseline [bold]{escape(str(settings.baseline))}[/] now accepts "
            f"{result.accepted:,} flagged rows."
        )
    table = Table(title="labelaudit gate", title_justify="left")
    for col in ("check", "limit", "actual", "status"):
        table.add_column(col)
    for check in result.checks:
        status = "[green]pass[/]" if check.passed else "[bold red]FAIL[/]"
        table.add_row(escape(check.name), *describe(check), status)
    if not result.checks:
        table.add_row("(no limits configured)", "–", "–", "[green]pass[/]")
    console.out.print(table)
    console.out.print(
        f"{len(result.open_rows):,} open issues, {result.accepted:,} accepted in the baseline."
    )
    if result.passed:
        return
    cols = result.report.columns
    issues = Table(title="Open issues (most likely wrong first)", title_justify="left")
    for col in ("row", "key", "given", "suggested", "quality"):
        issues.add_column(col)
    for i in result.open_rows[:10].tolist():
        issues.add_row(
            str(i),
            escape(result.keys[i]),
            escape(result.report.class_name(int(cols["given_label"][i]))),
            escape(result.report.class_name(int(cols["suggested_label"][i]))),
            f"{cols['label_quality'][i]:.4f}",
        )
    console.out.print(issues)
    report = escape(str(settings.report))
    console.out.print(
        f"Inspect: labelaudit report {report} --html review.html\n"
        "Accept these issues: labelaudit gate --update-baseline"
    )
