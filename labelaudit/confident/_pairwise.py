"""NumPy's float64 summation order, reproduced over runs that are mostly zeros.

`np.sum` of a contiguous float64 run (and each row of `sum(axis=...)` along a contiguous axis)
adds in a fixed tree, NumPy's `pairwise_sum`: a run of more than 128 values splits at half its
length rounded down to a multiple of 8; a leaf of 8 to 128 values is summed in 8 interleaved
lanes, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then its last `n % 8` values are added
one by one; a leaf of fewer than 8 values is summed left to right from 0.0.

Adding 0.0 is exact, so the dense sum equals the same tree restricted to the nodes that hold a
nonzero. `pairwise_sums` walks only those nodes, level by level over all segments at once
(O(nnz · log length) vectorised work), and returns the very float64 that NumPy returns for the
dense run. The sparse confident joint needs it wherever cleanlab sums a K×K matrix, because the
last bit of such a sum decides how an exact x.5 count rounds.
"""

from __future__ import annotations

import numpy as np

# NumPy's PW_BLOCKSIZE: the longest run summed as one leaf.
LEAF_SIZE = 128
LANES = 8


def pairwise_sums(
    segment: np.ndarray, offset: np.ndarray, values: np.ndarray, length: int, num_segments: int
) -> np.ndarray:
    """Per segment, np.sum of a dense float64 run of `length` values that is zero except at
    `offset` (num_segments,).

    segment, offset: int arrays sorted by (segment, offset), offsets unique within a segment;
    values: the float64 values there (in the same order).
    """
    seg = np.asarray(segment, dtype=np.int64)
    off = np.asarray(offset, dtype=np.int64)
    val = np.asarray(values, dtype=np.float64)
    out = np.zeros(num_segments)
    if len(val) == 0:
        return out
    # Top-down: the node holding each value at every level of the tree.
    start = np.zeros_like(off)
    size = np.full_like(off, length)
    starts = [start]
    while True:
        inner = size > LEAF_SIZE
        if not inner.any():
            break
        half = size // 2
        half -= half % LANES
        right = inner & (off - start >= half)
        start = np.where(right, start + half, start)
        size = np.where(inner, np.where(right, size - half, half), size)
        starts.append(start)
    # Leaves: 8 lanes over the first multiple-of-8 values, then the rest one by one.
    first = _node_starts(seg, start)
    node = np.cumsum(first) - 1
    rel = off - start
    lane = np.where(rel < size - size % LANES, rel % LANES, LANES)
    in_lane = lane < LANES
    lanes = np.zeros((int(node[-1]) + 1, LANES))
    np.add.at(lanes, (node[in_lane], lane[in_lane]), val[in_lane])  # in order, like the loop
    total = ((lanes[:, 0] + lanes[:, 1]) + (lanes[:, 2] + lanes[:, 3])) + (
        (lanes[:, 4] + lanes[:, 5]) + (lanes[:, 6] + lanes[:, 7])
    )
    np.add.at(total, node[~in_lane], val[~in_lane])
    # Bottom-up: a node is left + right, or its one non-empty child unchanged (x + 0.0 == x).
    member = np.flatnonzero(first)  # one value of each current node
    for level in reversed(starts[:-1]):
        parent = _node_starts(seg[member], level[member])
        groups = np.flatnonzero(parent)
        total = np.add.reduceat(total, groups)  # a group holds one child or (left, right)
        member = member[groups]
    out[seg[member]] = total
    return out


def _node_starts(seg: np.ndarray, start: np.ndarray) -> np.ndarray:
    """True where a new (segment, start) node begins in a sorted sequence."""
    first = np.ones(len(seg), dtype=bool)
    first[1:] = (seg[1:] != seg[:-1]) | (start[1:] != start[:-1])
    return first


def sequential_sums(segment: np.ndarray, values: np.ndarray, num_segments: int) -> np.ndarray:
    """Per segment, the left-to-right sum of its values from 0.0, as NumPy reduces along a
    non-contiguous axis (`sum(axis=0)` of a C-ordered matrix adds its rows in turn)."""
    out = np.zeros(num_segments)
    np.add.at(out, np.asarray(segment, dtype=np.int64), np.asarray(values, dtype=np.float64))
    return out
