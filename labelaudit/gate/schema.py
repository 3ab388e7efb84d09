"""What each key of the gate's configuration must hold, and the one sentence a bad value gets.

Every refusal names the file and table, the key, the value as TOML spells it, and what was
expected: `pyproject.toml [tool.labelaudit]: max_issue_fraction = "high" (a string), expected
a fraction in [0, 1] such as 0.05.` Unknown keys suggest the closest known one.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS
from labelaudit.errors import ConfigError

DYNAMICS_KINDS = ("auto", "probs", "logits")  # dynamics.source.KINDS, without importing NumPy
# The tasks the gate audits: per-example labels ("auto", as `audit` decides) or NER-style tags
# (one report row per token). A segmentation report has no per-example rows to accept.
GATE_TASKS = ("auto", "token")


def show(value: Any) -> str:
    """A value as it is written in TOML (true, "text", [1, 2], a table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def kind(value: Any) -> str:
    """The TOML type of a value, with its article."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@dataclass(frozen=True)
class Rule:
    """A key's expected type (`typed`) and, for values of that type, its valid range (`valid`)."""

    expected: str
    typed: Callable[[Any], bool]
    valid: Callable[[Any], bool] = lambda value: True


def _fraction(value: Any) -> bool:
    return math.isfinite(value) and 0 <= value <= 1


def _nonempty(value: Any) -> bool:
    return (
        bool(value.strip())
        if isinstance(value, str)
        else bool(value) and all(v.strip() for v in value)
    )


FRACTION = Rule("a fraction in [0, 1] such as 0.05", is_number, _fraction)
COUNT = Rule("a whole number of 0 or more", is_count, lambda v: v >= 0)
BOOLEAN = Rule("true or false", lambda v: isinstance(v, bool))
COLUMN = Rule("a column name", is_text, _nonempty)
PATH = Rule("a path relative to the configuration file", is_text, _nonempty)

KEYS: dict[str, Rule] = {
    "labels": Rule("a path to the labels file (.npy, .csv, .parquet or .txt)", is_text, _nonempty),
    "pred_probs": Rule(
        "a path to a probabilities file, or a list of them (an ensemble)",
        lambda v: is_text(v) or is_text_list(v),
        _nonempty,
    ),
    "dynamics": Rule("a path to training dynamics (.npy, .parquet or a directory)", is_text),
    "dynamics_kind": Rule(
        f"one of {', '.join(map(show, DYNAMICS_KINDS))}", is_text, lambda v: v in DYNAMICS_KINDS
    ),
    "task": Rule(f"one of {', '.join(map(show, GATE_TASKS))}", is_text, lambda v: v in GATE_TASKS),
    "label_column": COLUMN,
    "id_column": COLUMN,
    "class_names": Rule(
        'a list of class names in column order, or one string "cat,dog,bird"',
        lambda v: is_text(v) or is_text_list(v),
        _nonempty,
    ),
    "logits": BOOLEAN,
    "force": BOOLEAN,
    "detector": Rule("a detector name (`labelaudit detectors` lists them)", is_text, _nonempty),
    "detectors": Rule("a list of detector names", is_text_list, _nonempty),
    "options": Rule(
        "a table of detector options, [tool.labelaudit.options]", dict.__instancecheck__
    ),
    "report": Rule("a path to a .parquet file", is_text, lambda v: v.endswith(".parquet")),
    "baseline": Rule("a path to a .json file", is_text, _nonempty),
    "max_issue_fraction": FRACTION,
    "max_new_issues": COUNT,
    "max_class_issue_fraction": Rule(
        "a table of class names and fractions, [tool.labelaudit.max_class_issue_fraction]",
        dict.__instancecheck__,
    ),
}

# [tool.labelaudit.options] for confident learning: the audit command's options.
CONFIDENT_OPTIONS: dict[str, Rule] = {
    "filter_by": Rule(
        f"one of {', '.join(map(show, FILTER_METHODS))}", is_text, lambda v: v in FILTER_METHODS
    ),
    "rank_by": Rule(
        f"one of {', '.join(map(show, RANK_METHODS))}", is_text, lambda v: v in RANK_METHODS
    ),
    "frac_noise": Rule(
        "a fraction in (0, 1]", is_number, lambda v: math.isfinite(v) and 0 < v <= 1
    ),
    "num_to_remove_per_class": Rule(
        "a whole number of 0 or more, or a list of one per class",
        lambda v: is_count(v) or (isinstance(v, list) and all(is_count(x) for x in v)),
        lambda v: all(x >= 0 for x in (v if isinstance(v, list) else [v])),
    ),
    "min_examples_per_class": COUNT,
    "calibrate": BOOLEAN,
}


def check(where: str, key: str, value: Any, rule: Rule) -> None:
    """Raise ConfigError unless value is of the rule's type and in its range."""
    if not rule.typed(value):
        raise ConfigError(
            f"{where}: {key} = {show(value)} ({kind(value)}), expected {rule.expected}."
        )
    if not rule.valid(value):
        raise ConfigError(f"{where}: {key} = {show(value)}, expected {rule.expected}.")


def check_known(where: str, key: str, known: Iterable[str], what: str = "key") -> None:
    """Raise ConfigError for a key that is not known, suggesting the closest one."""
    known = list(known)
    if key in known:
        return
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}."
    raise ConfigError(f"{where}: unknown {what} {key!r}; {hint}")


def check_table(where: str, table: dict, rules: dict[str, Rule], prefix: str = "") -> None:
    """Every key of table is known and its value passes its rule."""
    for key, value in table.items():
        check_known(where, f"{prefix}{key}", [f"{prefix}{k}" for k in rules])
        check(where, f"{prefix}{key}", value, rules[key])
