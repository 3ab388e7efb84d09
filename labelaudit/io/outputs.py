"""The output guard every writing command goes through: never write over an input.

An output is refused when it is one of the command's inputs, reached by any route (a symlink, a
hard link to the same inode, `./` and `../` detours, a file:// URL), or lies inside an input
directory that the command reads as a whole (a dynamics directory). Writes themselves are atomic
(io/atomic.py). The one exception is a documented in-place update, such as the gate rewriting
its own baseline, which the caller states by not listing that file as an input.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from labelaudit.errors import InvalidInputError


def local_path(value: object) -> Path | None:
    """A local filesystem path for a path or file:// URL; None for other URLs and arrays."""
    if isinstance(value, Path):
        return value
    if isinstance(value, str):
        if value.startswith("file://"):
            return Path(value.removeprefix("file://"))
        return None if "://" in value else Path(value)
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def guard_output(
    out: Path,
    inputs: Iterable[object],
    *,
    option: str = "--out",
    suffixes: tuple[str, ...] | None = None,
    what: str = "reports are Parquet files",
    create_parent: bool = False,
) -> Path:
    """Check out before any work: its suffix, that its directory exists (unless the command
    creates it), that it is no input and lies in no input directory."""
    out = Path(out)
    if suffixes is not None and out.suffix.lower() not in suffixes:
        raise InvalidInputError(f"{option} {out}: {what}; name it *{suffixes[0]}.")
    parent = out.parent if str(out.parent) else Path()
    if not parent.is_dir() and not create_parent:
        raise InvalidInputError(f"{option} {out}: directory {parent} does not exist.")
    if out.is_dir():
        raise InvalidInputError(f"{option} {out} is a directory; name a file inside it.")
    target = out.resolve()
    for value in inputs:
        path = local_path(value)
        if path is None or not path.exists():
            continue
        if path.is_dir():
            if target.is_relative_to(path.resolve()):
                raise InvalidInputError(
                    f"{option} {out} is inside input directory {path}; choose a path outside it."
                )
        elif _same_file(out, path) if out.exists() else target == path.resolve():
            raise InvalidInputError(
                f"{option} {out} is also an input ({path}); choose another path."
            )
    return out
