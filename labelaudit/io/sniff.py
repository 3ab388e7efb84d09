"""What a file holds, judged from its first bytes, for errors that say more than "corrupt".

A CSV file named .parquet, or a .npz named .npy, fails in its reader with a message about magic
bytes; the user needs to hear that it holds CSV text, and which name fits it.
"""

from __future__ import annotations

from pathlib import Path

from labelaudit.errors import InvalidInputError


def reason(exc: BaseException) -> str:
    """The first sentence of an exception's message, for quoting inside one of ours."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first.split(". ", 1)[0].rstrip(".")


# File signatures: what a file holds, judged from its first bytes.
SIGNATURES = (
    (b"\x93NUMPY", ".npy", "a NumPy .npy array"),
    (b"PAR1", ".parquet", "Parquet"),
    (b"PK\x03\x04", ".npz", "a ZIP archive (such as .npz)"),
    (b"\x80", ".pkl", "a Python pickle"),
)


def sniff(path: Path) -> tuple[str, str] | None:
    """(suffix, description) of what path holds, from its first bytes; None when unknown."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    for magic, suffix, description in SIGNATURES:
        if head.startswith(magic):
            return suffix, description
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the 4096th byte
                return None
        return ".csv", "text (such as CSV)"
    return None


def unreadable(path: Path, what: str, suffix: str, exc: BaseException) -> InvalidInputError:
    """The error for a file that its reader refused: what it holds instead, when that is
    another known format (a CSV named .parquet), else the reader's first sentence."""
    found = sniff(path)
    if found is not None and found[0] != suffix:
        return InvalidInputError(
            f"{path}: not a readable {what}; it holds {found[1]}, so name it {found[0]} or "
            f"convert it."
        )
    return InvalidInputError(f"{path}: not a readable {what} ({reason(exc)}).")
