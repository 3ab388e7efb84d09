"""The gate's configuration: `[tool.labelaudit]` in pyproject.toml, or labelaudit.toml.

In labelaudit.toml the keys may sit at the top level or under `[tool.labelaudit]`. Paths are
relative to the configuration file. Unknown keys are errors (with a suggestion), so a typo never
silently disables a check.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelaudit.errors import ConfigError

CONFIG_FILES = ("labelaudit.toml", "pyproject.toml")
DEFAULT_REPORT = ".labelaudit/report.parquet"
DEFAULT_BASELINE = ".labelaudit-baseline.json"

KEYS: dict[str, tuple[type, ...]] = {
    "labels": (str,),
    "pred_probs": (str, list),
    "dynamics": (str,),
    "dynamics_kind": (str,),
    "label_column": (str,),
    "id_column": (str,),
    "class_names": (str, list),
    "logits": (bool,),
    "force": (bool,),
    "detector": (str,),
    "detectors": (list,),
    "options": (dict,),
    "report": (str,),
    "baseline": (str,),
    "max_issue_fraction": (int, float),
    "max_new_issues": (int,),
    "max_class_issue_fraction": (dict,),
}


@dataclass(frozen=True)
class GateConfig:
    """A parsed, checked configuration with absolute paths."""

    source: Path
    labels: Path
    pred_probs: list[Path] = field(default_factory=list)
    dynamics: Path | None = None
    dynamics_kind: str = "auto"
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
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from exc


def load_config(path: Path) -> GateConfig:
    """Parse and check a configuration file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file.")
    data = _read_toml(path)
    table = data.get("tool", {}).get("labelaudit")
    if table is None:
        if path.name == "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.labelaudit] table.")
        table = {k: v for k, v in data.items() if k != "tool"}
    where = f"{path} [tool.labelaudit]" if "tool" in data else str(path)
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}.{hint}")
        if not isinstance(value, KEYS[key]) or (isinstance(value, bool) and bool not in KEYS[key]):
            kinds = " or ".join(t.__name__ for t in KEYS[key])
            raise ConfigError(f"{where}: {key} must be {kinds}, got {value!r}.")
    if "labels" not in table:
        raise ConfigError(f"{where}: 'labels' is required (the labels file to audit).")
    if "pred_probs" not in table and "dynamics" not in table:
        raise ConfigError(f"{where}: give 'pred_probs' or 'dynamics' (or both).")
    base = path.parent
    probs = table.get("pred_probs", [])
    probs = [probs] if isinstance(probs, str) else probs
    if not all(isinstance(p, str) for p in probs):
        raise ConfigError(f"{where}: pred_probs must be a path or a list of paths.")
    fraction = table.get("max_issue_fraction")
    if fraction is not None and not 0 <= fraction <= 1:
        raise ConfigError(f"{where}: max_issue_fraction must be in [0, 1], got {fraction}.")
    if table.get("max_new_issues", 0) < 0:
        raise ConfigError(f"{where}: max_new_issues cannot be negative.")
    per_class = table.get("max_class_issue_fraction", {})
    for name, limit in per_class.items():
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or not 0 <= limit <= 1:
            raise ConfigError(
                f"{where}: max_class_issue_fraction.{name} must be a fraction in [0, 1]."
            )
    names = table.get("class_names")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    detectors = table.get("detectors") or ([table["detector"]] if "detector" in table else [])
    return GateConfig(
        source=path,
        labels=base / table["labels"],
        pred_probs=[base / p for p in probs],
        dynamics=base / table["dynamics"] if "dynamics" in table else None,
        dynamics_kind=table.get("dynamics_kind", "auto"),
        label_column=table.get("label_column", "label"),
        id_column=table.get("id_column"),
        class_names=names,
        logits=table.get("logits", False),
        force=table.get("force", False),
        detectors=list(detectors),
        options=dict(table.get("options", {})),
        report=base / table.get("report", DEFAULT_REPORT),
        baseline=base / table.get("baseline", DEFAULT_BASELINE),
        max_issue_fraction=fraction,
        max_new_issues=table.get("max_new_issues"),
        max_class_issue_fraction={str(k): float(v) for k, v in per_class.items()},
    )
