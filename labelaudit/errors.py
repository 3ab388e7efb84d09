"""Exceptions raised by labelaudit: one readable sentence each, turned into exit code 2 by the CLI."""

from __future__ import annotations


class LabelAuditError(Exception):
    """Base class of every error labelaudit raises on purpose."""


class InvalidInputError(LabelAuditError, ValueError):
    """Inputs that cannot be audited: wrong shapes, NaN, labels out of range, unreadable files.

    It subclasses ValueError so that code written against cleanlab, which raises ValueError for
    bad inputs, keeps catching it after swapping the import.
    """


class ConfigError(LabelAuditError, ValueError):
    """Options that contradict each other or name something that does not exist."""
