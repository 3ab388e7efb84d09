"""Out-of-core matrices: .npy files mapped read-only, with a bounded resident set.

A memory map lets the engine read a file larger than RAM with its ordinary blocked passes, and
gives the very same answer as an in-memory array (it *is* an ndarray). But every page the
passes touch stays mapped into the process and counts toward its resident set (RSS) until the
mapping goes away, so a 5 GB file read once would leave 5 GB resident. `bounded_residency`
tells the kernel, every few milliseconds and after each pass, that the mapped pages are not
needed (madvise MADV_DONTNEED): they leave the process and stay in the page cache, from where a
later read takes them again without touching the disk. The mapping is read-only and backed by
the file, so dropping pages never loses data; it only bounds how much is resident at once.
"""

from __future__ import annotations

import contextlib
import mmap
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.sniff import unreadable

# How often the resident pages of a mapped input are released while an audit runs. A blocked
# pass reads a few GB/s at most, so this bounds the mapped pages to a few hundred MB.
RELEASE_INTERVAL_S = 0.02
# ... and after this many blocks of engine work (a block is about 4 MiB of values).
RELEASE_EVERY_BLOCKS = 4


def npy_header(fh) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, Fortran order, dtype, data offset) from an open .npy file at its start."""
    version = np.lib.format.read_magic(fh)
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran, dtype = read_header(fh)
    return shape, fortran, dtype, fh.tell()


def truncated(path: Path, size: int, needed: int) -> InvalidInputError:
    return InvalidInputError(
        f"{path}: the file is truncated ({size:,} bytes, the header promises {needed:,}); it was "
        "probably not completely written."
    )


def check_npy_size(path: Path) -> None:
    """Raise the truncation error when a .npy file is shorter than its header promises."""
    with Path(path).open("rb") as fh:
        try:
            shape, _, dtype, offset = npy_header(fh)
        except (ValueError, OSError, EOFError):
            return
    if dtype.hasobject:
        return
    size = Path(path).stat().st_size
    needed = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < needed:
        raise truncated(Path(path), size, needed)


class MappedNpy:
    """Open a .npy file as a read-only ndarray over an mmap (`.array`; its `.base` is the mmap)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self.path.open("rb") as fh:
            try:
                shape, fortran, dtype, offset = npy_header(fh)
            except (ValueError, OSError, EOFError) as exc:
                raise unreadable(self.path, ".npy array", ".npy", exc) from exc
            if dtype.hasobject:
                raise InvalidInputError(f"{path}: holds Python objects, not numbers.")
            size = self.path.stat().st_size
            needed = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if size < needed:
                raise truncated(self.path, size, needed)
            if needed == offset:  # empty array: nothing to map
                self.mmap = None
                self.array = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
                return
            self.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.array = np.ndarray(
            shape, dtype=dtype, buffer=self.mmap, offset=offset, order="F" if fortran else "C"
        )


# Every live mapping made by map_npy, weakly: a mapping is forgotten once its array is gone.
_active: weakref.WeakSet = weakref.WeakSet()
_lock = threading.Lock()


def map_npy(path: Path) -> np.ndarray:
    """The .npy file as a read-only array; its pages are released while bounded_residency runs."""
    mapped = MappedNpy(path)
    if mapped.mmap is not None:
        with _lock:
            _active.add(mapped.mmap)
    return mapped.array


def release(mapping: mmap.mmap) -> None:
    """Drop a mapping's pages from this process (they stay in the page cache)."""
    if hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(ValueError, OSError):  # closed, or not supported here
            mapping.madvise(mmap.MADV_DONTNEED)


def release_all() -> None:
    with _lock:
        mappings = list(_active)
    for mapping in mappings:
        release(mapping)


@contextlib.contextmanager
def bounded_residency(
    interval: float = RELEASE_INTERVAL_S, every_blocks: int = RELEASE_EVERY_BLOCKS
) -> Iterator[None]:
    """Release the pages of every mapped input while the block runs: after every
    `every_blocks` blocks of engine work (confident._blocks), and every `interval` seconds for
    work that is not blocked."""
    from labelaudit.confident import _blocks

    stop = threading.Event()
    done = iter(range(1, 1 << 62))  # next() on a range iterator is atomic under the GIL

    def after_block() -> None:
        if next(done) % every_blocks == 0:
            release_all()

    def reaper() -> None:
        while not stop.wait(interval):
            release_all()

    thread = threading.Thread(target=reaper, name="labelaudit-release", daemon=True)
    thread.start()
    _blocks.set_block_hook(after_block)
    try:
        yield
    finally:
        _blocks.set_block_hook(None)
        stop.set()
        thread.join()
        release_all()


def available_memory() -> int:
    """Bytes of memory available to new allocations (Linux MemAvailable; 4 GiB if unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def default_block_rows(k: int) -> int:
    """Rows per block for reading and writing: about 1/64 of available memory per block of
    float64 values, between 8,192 and 1,048,576 rows."""
    rows = available_memory() // 64 // max(8 * k, 1)
    return int(min(max(rows, 8192), 1 << 20))


def spill_matrix(shape: tuple[int, int], dtype) -> np.ndarray:
    """A writable N×K matrix: in memory when it takes under 1/4 of available memory, else an
    anonymous temporary file mapped like an input (released by bounded_residency)."""
    import tempfile

    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if nbytes < available_memory() // 4:
        return np.empty(shape, dtype=dtype)
    with tempfile.TemporaryFile(prefix="labelaudit-spill-") as fh:  # unlinked: gone at exit
        fh.truncate(max(nbytes, 1))
        mapping = mmap.mmap(fh.fileno(), max(nbytes, 1), access=mmap.ACCESS_WRITE)
    with _lock:
        _active.add(mapping)
    return np.ndarray(shape, dtype=dtype, buffer=mapping)
