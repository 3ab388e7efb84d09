"""Rewrite single fields of a CSV file and keep every other byte as it was.

pandas' `to_csv` would re-quote fields, reformat numbers and normalise line endings of rows that
did not change; a corrected labels file should differ from its input only where a label did.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

from labelaudit.errors import InvalidInputError

# One physical line with its terminator (\r\n, \r or \n, as pandas' parser splits them), or
# the last line without one.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def records(text: str) -> list[str]:
    """The CSV records of text, each with its line terminator: physical lines joined while a
    quoted field is open (an odd number of quote characters so far, as RFC 4180 escapes them)."""
    lines = _LINE.findall(text)
    if '"' not in text:  # no quoted field: every line is a record
        return lines
    out: list[str] = []
    pending = ""
    for line in lines:
        pending += line
        if pending.count('"') % 2 == 0:
            out.append(pending)
            pending = ""
    if pending:
        out.append(pending)
    return out


def field_spans(record: str) -> list[tuple[int, int]]:
    """(start, end) of every comma-separated field of one record (no line terminator)."""
    spans, start, quoted = [], 0, False
    for i, char in enumerate(record):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(record)))
    return spans


def splice_csv(data: bytes, path: Path, column: str, changes: dict[int, tuple]) -> bytes:
    """data (a UTF-8 CSV file with a header) with `column` of each changed data row replaced.

    changes maps a data row (0-based, blank lines skipped as pandas skips them) to (the value
    pandas read there, the new value); a field that does not read as the old value is refused
    rather than guessed at.
    """
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    recs = records(data[len(bom) :].decode("utf-8"))
    kept = [i for i, rec in enumerate(recs) if rec.strip("\r\n")]
    if not kept:
        raise InvalidInputError(f"{path}: no header line.")
    header, body = kept[0], kept[1:]
    names = next(csv.reader([recs[header].rstrip("\r\n")]))
    if column not in names:
        raise InvalidInputError(f"{path}: no column {column!r} in its header line.")
    position = names.index(column)
    for row, (old, new) in changes.items():
        if row >= len(body):
            raise InvalidInputError(
                f"{path}: found {len(body)} records line by line but row {row} changes; "
                "cannot rewrite the file byte for byte."
            )
        recs[body[row]] = _replace_field(recs[body[row]], position, old, new, path, row)
    return bom + "".join(recs).encode("utf-8")


def _replace_field(rec: str, position: int, old, new, path: Path, row: int) -> str:
    content = rec.rstrip("\r\n")
    spans = field_spans(content)
    if position >= len(spans):
        raise InvalidInputError(f"{path}: row {row} has no field {position + 1}.")
    start, end = spans[position]
    field = content[start:end]
    quoted = field.startswith('"') and field.endswith('"') and len(field) >= 2
    text = field[1:-1].replace('""', '"') if quoted else field
    if not _reads_as(text, old):
        raise InvalidInputError(
            f"{path}: row {row}'s label field {field!r} does not read as {old!r}; cannot "
            "rewrite the file byte for byte."
        )
    value = str(new)
    if quoted or any(char in value for char in _NEEDS_QUOTES):
        value = '"' + value.replace('"', '""') + '"'
    return content[:start] + value + content[end:] + rec[len(content) :]


def _reads_as(text: str, value) -> bool:
    if text == str(value):
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(text) == value
        except ValueError:
            return False
    return False
