"""Docs that cannot drift: the CLI reference is --help, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

from labelaudit.cli import reference

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date():
    expected = reference.render()
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "run `python -m labelaudit.cli.reference docs/cli.md`"


def test_every_command_is_documented():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    from labelaudit.cli import app

    for command in app.registered_commands:
        assert f"## `labelaudit {command.name}`" in text
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            assert f"## `labelaudit {group.name} {command.name}`" in text


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert blocks[0].startswith("pip install . && labelaudit demo")
    test_command = blocks[1].strip()
    assert test_command.endswith("&& pytest")
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_early_learning_examples_run():
    """Every Python example of docs/early-learning.md runs as written (no downloads)."""
    import importlib.util

    text = (ROOT / "docs" / "early-learning.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)\n```", text, flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        if "import torch" in block and importlib.util.find_spec("torch") is None:
            continue
        exec(compile(block, "docs/early-learning.md", "exec"), {})
