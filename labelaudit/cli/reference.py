"""Generate docs/cli.md from the commands' own --help, so the reference cannot drift.

python -m labelaudit.cli.reference docs/cli.md
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMANDS = (
    "",
    "audit",
    "predict",
    "report",
    "export",
    "apply",
    "diff",
    "gate",
    "demo",
    "detectors",
    "bench speed",
    "bench quality",
    "bench early",
    "bench scale",
    "bench segmentation",
    "bench tokens",
    "bench embeddings",
)
# Fixed rendering so the text is the same on every machine.
HELP_ENV = {"TERMINAL_WIDTH": "100", "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def help_text(command: str) -> str:
    """`labelaudit [command] --help` as a user sees it at 100 columns."""
    args = [sys.executable, "-m", "labelaudit", *command.split(), "--help"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORCE_COLOR", "PY_COLORS"))}
    env.update(HELP_ENV)
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return "\n".join(line.rstrip() for line in done.stdout.strip("\n").splitlines())


def render() -> str:
    parts = [
        "# CLI reference\n",
        "Generated from `--help` by `python -m labelaudit.cli.reference docs/cli.md` "
        "(or `nox -s docs`); a test fails when it is out of date.\n",
    ]
    for command in COMMANDS:
        title = f"labelaudit {command}".strip()
        parts.append(f"## `{title}`\n\n```text\n{help_text(command)}\n```\n")
    return "\n".join(parts)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    text = render()
    if target is None:
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
