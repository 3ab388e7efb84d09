"""Detector registry: entry points of the group `labelaudit.detectors`, discovered lazily once.

Built-in detectors register through the same entry points (pyproject.toml); BUILTINS backs them
up when labelaudit runs from a source tree that was never installed, and lets `load` import a
built-in without scanning every installed distribution's entry points (~30 ms at start-up).
Built-in names are reserved: a plugin registering one of them is ignored, with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points

from labelaudit.errors import ConfigError

GROUP = "labelaudit.detectors"
_EARLY = "labelaudit.detectors.early_learning"
BUILTINS = {
    "confident_learning": "labelaudit.detectors.confident_learning:ConfidentLearning",
    "elr": f"{_EARLY}:Elr",
    "adele": f"{_EARLY}:Adele",
    "aum": f"{_EARLY}:Aum",
    "cartography": f"{_EARLY}:Cartography",
    "forgetting": f"{_EARLY}:Forgetting",
    "learning-time": f"{_EARLY}:LearningTime",
}


@dataclass(frozen=True)
class DetectorEntry:
    name: str
    target: str  # "module:attribute"
    distribution: str  # the installed package that provides it


@lru_cache(maxsize=1)
def registered() -> dict[str, DetectorEntry]:
    """Every known detector by name (not yet imported)."""
    found = {name: DetectorEntry(name, target, "labelaudit") for name, target in BUILTINS.items()}
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        if ep.name in BUILTINS:
            if ep.value != BUILTINS[ep.name]:
                warnings.warn(
                    f"{dist} registers a detector named {ep.name!r}, a built-in name; it is "
                    "ignored (give it another name).",
                    stacklevel=2,
                )
            continue
        found[ep.name] = DetectorEntry(ep.name, ep.value, dist)
    return dict(sorted(found.items()))


def refresh() -> None:
    """Forget the cached entry points (after installing a plugin in the same process)."""
    registered.cache_clear()


def load(name: str) -> type:
    """Import and return the detector class registered as name."""
    if name in BUILTINS:  # reserved names: no need to scan the installed entry points
        return _import(DetectorEntry(name, BUILTINS[name], "labelaudit"))
    entries = registered()
    if name not in entries:
        import difflib

        close = difflib.get_close_matches(name, list(entries), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown detector {name!r}{hint}; installed: {', '.join(entries)} "
            "(`labelaudit detectors` describes them)."
        )
    return _import(entries[name])


def _import(entry: DetectorEntry) -> type:
    module_name, _, attr = entry.target.partition(":")
    try:
        obj = import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # a broken plugin must not take the tool down with it
        raise ConfigError(
            f"detector {entry.name!r} from {entry.distribution} failed to load: {exc}"
        ) from exc
    return obj


@dataclass(frozen=True)
class DetectorInfo:
    """What `labelaudit detectors` shows: where a detector comes from and the evidence it reads."""

    name: str
    package: str
    needs: tuple[str, ...]  # evidence it cannot run without (detectors.base.EVIDENCE_KINDS)
    uses: tuple[str, ...]  # evidence it combines when given
    summary: str


def describe() -> list[DetectorInfo]:
    """Every detector with its evidence; broken plugins are reported, not fatal."""
    from labelaudit.detectors.base import requirements

    rows = []
    for name, entry in registered().items():
        try:
            cls = load(name)
            needs, uses = requirements(cls)
            summary = getattr(cls, "summary", "")
        except ConfigError as exc:
            warnings.warn(str(exc), stacklevel=2)
            needs, uses, summary = (), (), "(failed to load)"
        rows.append(DetectorInfo(name, entry.distribution, needs, uses, summary))
    return rows
