"""The two shapes every plan refusal takes: an input or option this kind of audit does not
take, and a confident-learning option named by its command-line flag."""

from __future__ import annotations

from labelaudit.errors import ConfigError


def refuse_present(given: dict[str, bool], reasons: dict[str, str], sentence: str) -> None:
    """ConfigError for the first input or option in `given` that is present: `sentence` with
    {} filled by that one's reason from `reasons`."""
    for kind, present in given.items():
        if present:
            raise ConfigError(sentence.format(reasons[kind]))


def option_flag(key: str) -> str:
    """The audit command's flag for a confident-learning option key (calibrate → --no-calibrate)."""
    return "--no-calibrate" if key == "calibrate" else "--" + key.replace("_", "-")
