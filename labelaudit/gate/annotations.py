"""The gate's checks as GitHub Actions workflow commands (`gate --format github`).

GitHub reads `::error title=T::MESSAGE` and `::notice title=T::MESSAGE` lines from a step's
output and shows them as annotations on the run. Escaping follows GitHub's toolkit
(actions/toolkit, packages/core/src/command.ts): `%`, CR and LF in the message; those and `:`
and `,` in a property such as the title.
"""

from __future__ import annotations


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def describe(check) -> tuple[str, str]:
    """(limit, actual) of a check (gate.run.Check) as a reader wants them: '≤ 2.00%', '3.10% (31
    of 1,000)'; a count check as plain numbers."""
    if check.unit == "count":
        return f"≤ {int(check.limit):,}", f"{int(check.actual):,}"
    return (
        f"≤ {check.limit:.2%}",
        f"{check.actual:.2%} ({check.flagged:,} of {check.examples:,})",
    )


def annotations(result, report_path: str) -> list[str]:
    """One workflow command per check: ::error for a failed check, ::notice for a passing one,
    and a closing line saying how many issues are open (an error when the gate fails)."""
    lines = []
    for check in result.checks:
        limit, actual = describe(check)
        level = "notice" if check.passed else "error"
        verdict = "passed" if check.passed else "failed"
        title = escape_property(f"labelaudit gate: {check.name}")
        message = escape_data(f"{check.name} {verdict}: {actual}, limit {limit}")
        lines.append(f"::{level} title={title}::{message}")
    level = "notice" if result.passed else "error"
    summary = (
        f"{len(result.open_rows):,} open issues, {result.accepted:,} accepted in the baseline; "
        f"inspect with: labelaudit report {report_path} --html review.html"
    )
    title = escape_property("labelaudit gate " + ("passed" if result.passed else "failed"))
    lines.append(f"::{level} title={title}::{escape_data(summary)}")
    return lines
