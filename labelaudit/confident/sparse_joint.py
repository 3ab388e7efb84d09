"""The confident joint as a sparse K×K matrix, for many classes and few examples (K² ≫ N).

The raw confident joint has at most N + K nonzero cells (one per confident example, plus the
diagonal cleanlab raises to 1), and every later K×K matrix (calibrated joint, prune-count
matrix, noise matrix) keeps that pattern: calibration and pruning scale or clip cells, and a
zero cell stays zero. So each step here works on the stored cells only and memory is O(N + K),
where cleanlab's dense matrices need 8·K² bytes each (3.2 GB at K = 20,000, where a dense
audit peaked at ~12.5 GB).

Exactness: every cell gets the same IEEE operations as in cleanlab's dense code. Where cleanlab
sums a whole matrix or row, _pairwise reproduces NumPy's summation tree over the nonzeros, so
the sums (and the x.5 roundings they decide) are bit-identical. Where cleanlab's rounding breaks
a tie with np.argsort of a whole row, that one row is made dense and sorted the same way.

The switch (`prefers_sparse`): dense K×K steps cost about 20 passes over K² cells, sparse ones
a few passes over N + K cells with per-cell indexing and per-row Python overhead. Sparse is used
when K² > SPARSE_CELLS_PER_EXAMPLE · N and K > MIN_SPARSE_CLASSES, so 50,000 × 1,000 and
500,000 × 100 stay dense. Near the boundary both take well under a second (measured on 2 cores:
sparse 2× faster at K = 1,000, N = 8,000; even at N = 32,000; 1.4× slower at K = 2,000,
N = 30,000, where rounding ties send ~500 rows through np.argsort, as in the dense code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from labelaudit.confident._pairwise import pairwise_sums, sequential_sums
from labelaudit.confident.rounding import FLOATING_POINT_COMPARISON
from labelaudit.confident.selection import smallest_rows
from labelaudit.errors import ConfigError

if TYPE_CHECKING:
    from scipy import sparse
SPARSE_CELLS_PER_EXAMPLE = 64
# Below this K every dense K×K matrix is at most 2 MB: never worth a second code path.
MIN_SPARSE_CLASSES = 512
# cleanlab's TINY_VALUE (joint.py imports this module, so it is repeated here).
TINY_VALUE = 1e-100


def prefers_sparse(n: int, k: int) -> bool:
    """True when the K×K matrices should be sparse: K > 512 and K² > 64·N (see the module doc)."""
    return k > MIN_SPARSE_CLASSES and k * k > SPARSE_CELLS_PER_EXAMPLE * n


@dataclass(frozen=True)
class SparseJoint:
    """A K×K count matrix (CSR, sorted indices) and the memory order its dense twin would have.

    `fortran` matters only to sums over the whole matrix or its columns: cleanlab's raw
    confident joint is F-ordered (confusion_matrix(...).T), every later matrix is C-ordered.
    """

    matrix: sparse.csr_array
    fortran: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def diagonal(self) -> np.ndarray:
        return self.matrix.diagonal()

    def trace(self) -> np.generic:
        """The trace as NumPy's ndarray.trace computes it (a pairwise sum of the diagonal)."""
        return np.sum(self.diagonal())

    def toarray(self) -> np.ndarray:
        dense = self.matrix.toarray()
        return np.asfortranarray(dense) if self.fortran else dense

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of the stored cells, in row-major order."""
        m = self.matrix
        return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr)), m.indices, m.data


def _csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, k: int) -> sparse.csr_array:
    """CSR from cells that are unique and sorted row-major, explicit zeros kept."""
    from scipy import sparse

    indptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=k), out=indptr[1:])
    return sparse.csr_array((values, cols.astype(np.int64), indptr), shape=(k, k))


def raw_confident_joint(
    labels: np.ndarray, guess: np.ndarray, confident: np.ndarray, k: int
) -> SparseJoint:
    """joint.raw_confident_joint as a SparseJoint: counts of (given, guess) over confident rows,
    the diagonal raised to at least 1 and always stored."""
    given, true = labels[confident], guess[confident]
    cells = np.concatenate([given * k + true, np.arange(k) * (k + 1)])  # + every diagonal cell
    flat, counts = np.unique(cells, return_counts=True)
    rows, cols = np.divmod(flat, k)
    counts = counts.astype(np.int64)
    counts[rows == cols] -= 1  # the diagonal cells added above, then clipped to >= 1
    np.maximum(counts, rows == cols, out=counts)
    return SparseJoint(_csr(rows, cols, counts, k), fortran=True)


def calibrate_confident_joint(joint: SparseJoint, labels: np.ndarray) -> SparseJoint:
    """joint.calibrate_confident_joint on the stored cells, bit for bit (see the module doc)."""
    k = len(joint)
    rows, cols, counts = joint.cells()
    label_counts = np.bincount(labels, minlength=k)
    # Integer row sums are exact in any order; clip makes them float64, as cleanlab's does.
    row_sums = np.clip(np.bincount(rows, weights=counts, minlength=k), TINY_VALUE, None)
    values = counts / row_sums[rows]
    values *= label_counts[rows]
    # np.sum over the dense matrix in its memory order: (true, given) for an F-ordered joint.
    if joint.fortran:
        order = np.lexsort((rows, cols))
        flat = cols[order] * k + rows[order]
    else:
        order = slice(None)
        flat = rows * k + cols
    total = pairwise_sums(np.zeros(len(flat), np.int64), flat, values[order], k * k, 1)[0]
    values /= np.clip(total, a_min=TINY_VALUE, a_max=None)
    values *= int(label_counts.sum())  # N, exactly cleanlab's sum(label_counts)
    return round_preserving_row_totals(SparseJoint(_csr(rows, cols, values, k)))


def round_preserving_row_totals(joint: SparseJoint) -> SparseJoint:
    """rounding.round_preserving_row_totals on the stored cells; a row whose selection ties
    (or would touch an unstored cell) is made dense and goes through the dense code."""
    k = len(joint)
    m = joint.matrix
    rows, cols, floats = joint.cells()
    floats = np.asarray(floats, dtype=np.float64)
    ints = floats.round()
    orig_sum = pairwise_sums(rows, cols, floats, k, k).round()
    int_sum = np.bincount(rows, weights=ints, minlength=k).round()  # integers: exact
    todo = np.flatnonzero(np.abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON)
    dense_rows: dict[int, np.ndarray] = {}
    for r in todo.tolist():
        lo, hi = m.indptr[r], m.indptr[r + 1]
        if not _round_stored(floats[lo:hi], ints[lo:hi], orig_sum[r], k):
            dense = np.zeros(k)
            dense[cols[lo:hi]] = floats[lo:hi]
            dense_rows[r] = _round_dense_row(dense, orig_sum[r])
    values = ints.astype(np.int64)
    if not dense_rows:
        return SparseJoint(_csr(rows, cols, values, k))
    keep = ~np.isin(rows, list(dense_rows))
    extra = [(r, np.flatnonzero(row)) for r, row in dense_rows.items()]
    rows = np.concatenate([rows[keep], *[np.full(len(c), r) for r, c in extra]])
    cols = np.concatenate([cols[keep], *[c for _, c in extra]])
    values = np.concatenate([values[keep], *[dense_rows[r][c] for r, c in extra]])
    order = np.lexsort((cols, rows))
    return SparseJoint(_csr(rows[order], cols[order], values[order], k))


def _round_stored(floats: np.ndarray, ints: np.ndarray, orig: float, k: int) -> bool:
    """Finish one row's rounding loop on its stored cells (ints updated in place); False when
    a step cannot be decided from them (a tie at the cut, or unstored cells picked)."""
    unstored = k - len(floats)
    while True:
        int_sum = np.sum(ints).round()
        if abs(int_sum - orig) <= FLOATING_POINT_COMPARISON:
            return True
        diff = np.round(orig - int_sum)
        increment = -1 if diff < 0.0 else 1
        changes = min(int(abs(diff)), k)
        if changes >= k:
            return False
        # Keys as in the dense code; unstored cells have key 0, and changes + 1 of them are
        # enough to find the changes-th and (changes+1)-th smallest keys.
        keys = (floats - ints) * -increment
        padded = np.concatenate([keys, np.zeros(min(unstored, changes + 1))])
        part = np.partition(padded, (changes - 1, changes))
        cut, after = part[changes - 1], part[changes]
        if not cut < after or (unstored and cut >= 0):
            return False
        ints[keys <= cut] += increment


def _round_dense_row(floats: np.ndarray, orig: float) -> np.ndarray:
    """One row of the dense rounding loop, with its np.argsort tie-break (int64, K)."""
    ints = floats.round()
    while True:
        int_sum = np.sum(ints).round()
        if abs(int_sum - orig) <= FLOATING_POINT_COMPARISON:
            return ints.astype(np.int64)
        diff = np.round(orig - int_sum)
        increment = -1 if diff < 0.0 else 1
        changes = min(int(abs(diff)), len(floats))
        residual = floats - ints
        picked, tied = smallest_rows((residual * -increment)[None, :], np.array([changes]))
        if len(tied):
            picked[0, np.argsort(residual)[::-increment][:changes]] = True
        ints += picked[0] * increment


def prune_count_matrix(
    joint: SparseJoint,
    *,
    min_examples_per_class: int,
    frac_noise: float,
    num_to_remove_per_class: object,
    label_counts: np.ndarray,
) -> SparseJoint:
    """prune.prune_count_matrix on the stored cells: PCM = joint.T with cleanlab's adjustments.

    Every adjustment of a zero cell leaves it zero (it subtracts a non-negative amount and clips
    at 0, or scales it), so the pattern of the joint plus its diagonal is the pattern of PCM.
    """
    k = len(joint)
    given, true, counts = joint.cells()  # PCM[true, given]
    diagonal = joint.diagonal()
    new_diagonal = np.maximum(diagonal, min_examples_per_class)
    diff_per_col = new_diagonal - diagonal
    if (
        frac_noise == 1.0
        and num_to_remove_per_class is None
        and counts.dtype.kind in "iu"
        and not diff_per_col.any()
        and (len(counts) == 0 or counts.min() >= 0)
    ):
        return _transpose(joint)
    off = given != true
    noise_rates_per_col = np.maximum(
        np.bincount(given, weights=counts != 0, minlength=k) - 1.0, 1.0
    )
    new = counts[off] - diff_per_col[given[off]] / noise_rates_per_col[given[off]]
    new[new < 0] = 0
    given, true = given[off], true[off]
    diag = new_diagonal.astype(np.float64)
    if frac_noise != 1.0:
        reduced = new * frac_noise
        moved = new - reduced
        # np.sum(new - reduced, axis=0) of PCM: its columns are contiguous (pairwise) when PCM is
        # F-ordered, i.e. when the joint is C-ordered; otherwise rows are added in turn.
        if joint.fortran:
            order = np.lexsort((true, given))
            back = sequential_sums(given[order], moved[order], k)
        else:
            back = pairwise_sums(given, true, moved, k, k)
        diag = diag + back
        new = reduced
    pcm = _from_cells(true, given, new.astype(int), diag.astype(int), k)
    if num_to_remove_per_class is not None:
        pcm = _remove_per_class(pcm, np.asarray(num_to_remove_per_class), label_counts)
    return pcm


def _transpose(joint: SparseJoint) -> SparseJoint:
    """joint.T as a C-ordered SparseJoint (cleanlab keeps PCM = joint.T)."""
    from scipy import sparse

    t = sparse.csr_array(joint.matrix.T)
    t.sort_indices()
    return SparseJoint(t, fortran=not joint.fortran)


def _from_cells(rows, cols, values, diagonal, k: int) -> SparseJoint:
    """A C-ordered SparseJoint from off-diagonal cells and the full diagonal."""
    rows = np.concatenate([rows, np.arange(k)])
    cols = np.concatenate([cols, np.arange(k)])
    values = np.concatenate([values, diagonal])
    order = np.lexsort((cols, rows))
    return SparseJoint(_csr(rows[order], cols[order], values[order], k))


def _remove_per_class(
    pcm: SparseJoint, num_to_remove: np.ndarray, label_counts: np.ndarray
) -> SparseJoint:
    """cleanlab's num_to_remove_per_class step: psy = PCM / row sums (broadcast over columns,
    as cleanlab writes it), rescaled so row i removes num_to_remove[i], then rounded.

    A row with no off-diagonal mass divides 0 by 0 in cleanlab and its off-diagonal cells end
    as the int64 minimum, which no method prunes; here they stay unstored, to the same effect.
    """
    k = len(pcm)
    rows, cols, counts = pcm.cells()
    row_sums = np.bincount(rows, weights=counts, minlength=k)
    if (row_sums == 0).any():
        raise ConfigError(
            "num_to_remove_per_class with a class that has no examples left (min_examples_per_class"
            f" < 1) is undefined at {k} classes; use min_examples_per_class >= 1."
        )
    psy = counts / row_sums[cols]  # integer sums: exact, as cleanlab's
    noise_per_s = pairwise_sums(rows, cols, psy, k, k) - _diagonal_of(rows, cols, psy, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        tmp = psy * num_to_remove[rows] / noise_per_s[rows]
    on_diagonal = rows == cols
    tmp[on_diagonal] = (label_counts - num_to_remove)[rows[on_diagonal]]
    defined = on_diagonal | (noise_per_s[rows] != 0)
    rounded = round_preserving_row_totals(
        SparseJoint(_csr(rows[defined], cols[defined], tmp[defined], k))
    )
    return rounded


def _diagonal_of(rows, cols, values, k: int) -> np.ndarray:
    diag = np.zeros(k)
    on = rows == cols
    diag[rows[on]] = values[on]
    return diag


def mean_joint(joints: list[SparseJoint]) -> SparseJoint:
    """round_preserving_row_totals(np.mean(joints, axis=0)) of integer joints: the sum of
    integers is exact in any order, then each cell is divided by the count, as np.mean does."""
    from scipy import sparse

    total = joints[0].matrix.astype(np.int64)
    for joint in joints[1:]:
        total = total + joint.matrix
    total = sparse.csr_array(total)
    total.sort_indices()
    mean = sparse.csr_array(
        (total.data / len(joints), total.indices, total.indptr), shape=total.shape
    )
    return round_preserving_row_totals(SparseJoint(mean))


def noise_matrix(joint: SparseJoint) -> SparseJoint:
    """latent.estimate_latent's noise_matrix (cleanlab's defaults) of a C-ordered joint:
    columns normalised, off-diagonal rates clipped to [0, 0.9999], columns renormalised."""
    from labelaudit.confident.latent import MAX_NOISE_RATE

    k = len(joint)
    rows, cols, counts = joint.cells()
    true_counts = np.bincount(cols, weights=counts, minlength=k)  # integers: exact
    rates = counts / np.clip(true_counts, a_min=TINY_VALUE, a_max=None)[cols]
    off = rows != cols
    rates[off] = np.clip(rates[off], 0, MAX_NOISE_RATE)
    column_sums = sequential_sums(cols, rates, k)  # sum(axis=0) of a C-ordered matrix
    rates /= np.clip(column_sums, a_min=TINY_VALUE, a_max=None)[cols]
    return SparseJoint(_csr(rows, cols, rates, k))
