"""The gate's configuration: `[tool.labelaudit]` in pyproject.toml, or labelaudit.toml.

In labelaudit.toml the keys may sit at the top level or under `[tool.labelaudit]`. Paths are
relative to the configuration file. Unknown keys are errors (with a suggestion), so a typo never
silently disables a check; what each key must hold is in schema.py.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelaudit.errors import ConfigError
from labelaudit.gate import schema
from labelaudit.io.formats import LABEL_SUFFIXES, PROB_SUFFIXES

CONFIG_FILES = ("labelaudit.toml", "pyproject.toml")
DEFAULT_REPORT = ".labelaudit/report.parquet"
DEFAULT_BASELINE = ".labelaudit-baseline.json"


@dataclass(frozen=True)
class GateConfig:
    """A parsed, checked configuration with absolute paths."""

    source: Path
    labels: Path
    pred_probs: list[Path] = field(default_factory=list)
    dynamics: Path | None = None
    dynamics_kind: str = "auto"
    task: str = "auto"  # schema.GATE_TASKS
    label_column: str = "label"
    id_column: str | None = None
    class_names: list[str] | None = None
    logits: bool = False
    force: bool = False  # audit even when the class order looks permuted
    detectors: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    report: Path = Path(DEFAULT_REPORT)
    baseline: Path = Path(DEFAULT_BASELINE)
    max_issue_fraction: float | None = None
    max_new_issues: int | None = None
    max_class_issue_fraction: dict[str, float] = field(default_factory=dict)


def find_config(start: Path) -> Path:
    """labelaudit.toml or a pyproject.toml with [tool.labelaudit], in start or its parents."""
    for directory in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_section(candidate)):
                return candidate
    raise ConfigError(
        f"no labelaudit configuration found in {start} or its parents: add [tool.labelaudit] "
        "to pyproject.toml or write labelaudit.toml (docs/gate.md), or pass --config."
    )


def _has_section(path: Path) -> bool:
    try:
        return "labelaudit" in _read_toml(path).get("tool", {})
    except ConfigError:
        return True  # let load_config report the parse error


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from exc


def load_config(path: Path) -> GateConfig:
    """Parse and check a configuration file: every key known, every value of the right type and
    range, every input path an existing file (or the dynamics directory), before any audit."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"--config {path} is a directory; expected pyproject.toml or labelaudit.toml."
        )
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file.")
    data = _read_toml(path)
    table = data.get("tool", {}).get("labelaudit")
    if table is None:
        if path.name == "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.labelaudit] table.")
        table = {k: v for k, v in data.items() if k != "tool"}
    where = f"{path} [tool.labelaudit]" if "tool" in data else str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings, got {schema.kind(table)}.")
    schema.check_table(where, table, schema.KEYS)
    if "labels" not in table:
        raise ConfigError(f"{where}: 'labels' is required (the labels file to audit).")
    if "pred_probs" not in table and "dynamics" not in table:
        raise ConfigError(f"{where}: give 'pred_probs' or 'dynamics' (or both).")
    detectors = table.get("detectors") or ([table["detector"]] if "detector" in table else [])
    _check_detectors(where, detectors, "detectors" if "detectors" in table else "detector")
    confident = "dynamics" not in table and detectors[:1] in ([], ["confident_learning"])
    options = table.get("options", {})
    if options and "dynamics" in table:
        raise ConfigError(
            f"{where}: options apply to confident learning, which runs with its defaults when "
            "'dynamics' is given; remove [tool.labelaudit.options]."
        )
    if confident:
        schema.check_table(where, options, schema.CONFIDENT_OPTIONS, "options.")
    per_class = table.get("max_class_issue_fraction", {})
    for name, limit in per_class.items():
        schema.check(where, f"max_class_issue_fraction.{name}", limit, schema.FRACTION)
    base = path.parent
    probs = table.get("pred_probs", [])
    probs = [probs] if isinstance(probs, str) else probs
    files = Files(where, base)
    labels = files.existing("labels", table["labels"], LABEL_SUFFIXES)
    pred_probs = [
        files.existing("pred_probs", p, PROB_SUFFIXES, shown=table["pred_probs"]) for p in probs
    ]
    dynamics = files.existing("dynamics", table["dynamics"]) if "dynamics" in table else None
    names = table.get("class_names")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    _check_class_names(where, names, table.get("class_names"))
    report = files.output("report", table.get("report", DEFAULT_REPORT), create_parent=True)
    baseline = files.output("baseline", table.get("baseline", DEFAULT_BASELINE))
    if report.resolve() == baseline.resolve():
        raise ConfigError(
            f"{where}: report and baseline both name {report}; expected two different files "
            "(the report is rewritten on every run, the baseline only with --update-baseline)."
        )
    return GateConfig(
        source=path,
        labels=labels,
        pred_probs=pred_probs,
        dynamics=dynamics,
        dynamics_kind=table.get("dynamics_kind", "auto"),
        task=table.get("task", "auto"),
        label_column=table.get("label_column", "label"),
        id_column=table.get("id_column"),
        class_names=names,
        logits=table.get("logits", False),
        force=table.get("force", False),
        detectors=list(detectors),
        options=dict(options),
        report=report,
        baseline=baseline,
        max_issue_fraction=table.get("max_issue_fraction"),
        max_new_issues=table.get("max_new_issues"),
        max_class_issue_fraction={str(k): float(v) for k, v in per_class.items()},
    )


@dataclass(frozen=True)
class Files:
    """Paths of a configuration, resolved against its directory and checked before any audit."""

    where: str
    base: Path

    def existing(
        self, key: str, value: str, suffixes: tuple[str, ...] = (), *, shown: object = None
    ) -> Path:
        """An input: it must exist, and be a file unless it is the dynamics (a directory too)."""
        path = self.base / value
        given = f"{self.where}: {key} = {schema.show(value if shown is None else shown)}"
        expected = schema.KEYS[key].expected
        if not path.exists():
            raise ConfigError(
                f"{given} names {path}, which does not exist; expected {expected}, relative to "
                "the configuration file."
            )
        if suffixes and not path.is_file():
            raise ConfigError(f"{given} names {path}, which is not a file; expected {expected}.")
        return path

    def output(self, key: str, value: str, *, create_parent: bool = False) -> Path:
        """An output: not a directory, inside a directory that exists (or can be made)."""
        path = self.base / value
        given = f"{self.where}: {key} = {schema.show(value)}"
        if path.is_dir():
            raise ConfigError(f"{given} names a directory; expected {schema.KEYS[key].expected}.")
        parent = path.parent
        while create_parent and not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            state = "is not a directory" if parent.exists() else "does not exist"
            raise ConfigError(f"{given}: its folder {parent} {state}.")
        return path


def _check_detectors(where: str, names: list[str], key: str) -> None:
    from labelaudit.detectors.registry import registered

    installed = list(registered())
    for name in names:
        if name not in installed:
            close = difflib.get_close_matches(name, installed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: {key} names {schema.show(name)}, which is not an installed "
                f"detector{hint}; expected one of {', '.join(installed)}."
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: detectors = {schema.show(names)} names a detector twice.")


def _check_class_names(where: str, names: list[str] | None, given: object) -> None:
    if names is None:
        return
    shown = f"{where}: class_names = {schema.show(given)}"
    if any(not name.strip() for name in names):
        raise ConfigError(f"{shown} contains an empty name; expected one name per class.")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{shown} lists {twice[0]!r} twice; expected each class once.")
    if len(names) < 2:
        raise ConfigError(f"{shown} names {len(names)} class; expected at least two.")
