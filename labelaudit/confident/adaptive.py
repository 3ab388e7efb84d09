"""labelaudit's adaptive default: which issues to flag, and how many, from the data's own evidence.

The rule (docs/default-rule.md states it in full):

1. Error posterior. For every example, q_i = P(true label != given label | x_i, given label) by
   Bayes' rule: the model's probabilities P[i, :] are the prior over the true class, and the noise
   matrix T[given | true] (columns of the calibrated confident joint, smoothed by one Laplace
   pseudo-count per cell so an unseen flip is improbable rather than impossible) is the
   likelihood of the given label. For an ensemble, each member's posterior (its own
   probabilities, its own calibrated confident joint) is independent evidence: their
   likelihood ratios multiply around the members' mean error rate (combine_posteriors).
2. Candidates. Only rows whose given label is not the (averaged) model's argmax, within
   cleanlab's 1e-6, can be flagged, as in every cleanlab counting method.
3. Count: the expected-F1-optimal cut. Candidates are ranked by q (ties: lower
   self-confidence first) and the top k are flagged, k maximising the expected F1 under the
   posterior, 2·sum_{top k} q / (k + sum_all q). No threshold is tuned: the count follows from
   the posterior itself (the cut is where the next candidate's q falls below half the F1 already
   reached).
4. No class loses more than half its examples to these flags; within a class the highest
   posteriors stay flagged. (A class whose labels are mostly wrong is left to the explicit
   cleanlab options.)

5. Bimodal self-confidence. A two-Gaussian mixture is fitted to logit(self-confidence) of all
   N examples; when its components are cleanly separated (Ashman's D >= 2, the standard
   criterion, Ashman et al. 1994), also once each class's typical score is removed
   (within_class_separation), the low component is direct evidence of a wrong-label
   population, and q_i is raised to at least the example's posterior of belonging to it. This
   protects against a model whose probabilities are underconfident about the true class (its
   Bayes posterior understates the errors even though they are plain to see).

The posterior reads only the entries of pred_probs in cells the confident joint saw (a sparse
gather; one blocked pass when the joint is dense), per member for an ensemble; everything else
reads arrays the confident-learning analysis already holds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Laplace's rule of succession: one pseudo-example in every (given, true) cell of the confident
# joint before it is normalised into the noise matrix. It is the uniform Dirichlet prior, the
# standard choice when nothing is known about which flips occur; it only matters for cells the
# confident joint never saw (where it turns "impossible" into "as likely as one example").
PRIOR_PSEUDOCOUNT = 1.0
# Posteriors are clipped to [floor, 1 − floor] before taking log-odds (float64 resolves 1e-12
# next to 1; a member that is certain cannot veto or force the combined answer alone).
PROBABILITY_FLOOR = 1e-12
# Ashman's D above 2 is the standard threshold for a mixture of two Gaussians to be cleanly
# bimodal (Ashman, Bird & Zephyrus 1994).
MIN_SEPARATION = 2.0
# logit() clip: probabilities are float32-accurate at best.
EPS = 1e-6
BINS = 512
EM_ITERATIONS = 200
EM_TOLERANCE = 1e-8
# Variance floor (in logit units squared) so a spike of identical scores cannot collapse a
# component (forests give many exact 1.0 scores).
MIN_VARIANCE = 1e-2


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(p) - np.log1p(-p)


def fit_mixture(x: np.ndarray) -> dict:
    """Two-Gaussian EM on a histogram of x (N,): weights, means, variances, log-likelihood."""
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return {"weights": [1.0, 0.0], "means": [lo, lo], "variances": [MIN_VARIANCE] * 2}
    counts, edges = np.histogram(x, bins=BINS, range=(lo, hi))
    centers = (edges[:-1] + edges[1:]) / 2
    w = counts / counts.sum()
    q1, q2 = np.quantile(x, [0.1, 0.9])
    mean = np.array([q1, q2])
    var = np.full(2, max(np.var(x) / 4, MIN_VARIANCE))
    pi = np.array([0.5, 0.5])
    last = -np.inf
    for _ in range(EM_ITERATIONS):
        dens = pi * np.exp(-((centers[:, None] - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)
        total = np.clip(dens.sum(axis=1, keepdims=True), 1e-300, None)
        resp = dens / total * w[:, None]
        mass = np.clip(resp.sum(axis=0), 1e-12, None)
        pi = mass / mass.sum()
        mean = (resp * centers[:, None]).sum(axis=0) / mass
        var = np.maximum((resp * (centers[:, None] - mean) ** 2).sum(axis=0) / mass, MIN_VARIANCE)
        loglik = float((w * np.log(total[:, 0])).sum())
        if loglik - last < EM_TOLERANCE:
            break
        last = loglik
    order = np.argsort(mean)
    return {
        "weights": pi[order].tolist(),
        "means": mean[order].tolist(),
        "variances": var[order].tolist(),
    }


def crossing_point(mix: dict) -> float:
    """Between the two means, where the weighted densities are equal (low posterior = 1/2)."""
    (p1, p2), (m1, m2), (v1, v2) = mix["weights"], mix["means"], mix["variances"]
    grid = np.linspace(m1, m2, 2049)
    d1 = np.log(max(p1, 1e-300)) - 0.5 * np.log(v1) - (grid - m1) ** 2 / (2 * v1)
    d2 = np.log(max(p2, 1e-300)) - 0.5 * np.log(v2) - (grid - m2) ** 2 / (2 * v2)
    above = np.flatnonzero(d2 >= d1)
    return float(grid[above[0]]) if len(above) else float(m2)


def low_component_posterior(mix: dict, x: np.ndarray) -> np.ndarray:
    """P(low component | x) (N,) under the fitted mixture."""
    (p1, p2), (m1, m2), (v1, v2) = mix["weights"], mix["means"], mix["variances"]
    l1 = np.log(max(p1, 1e-300)) - 0.5 * np.log(v1) - (x - m1) ** 2 / (2 * v1)
    l2 = np.log(max(p2, 1e-300)) - 0.5 * np.log(v2) - (x - m2) ** 2 / (2 * v2)
    return 1.0 / (1.0 + np.exp(np.clip(l2 - l1, -500.0, 500.0)))


def within_class_separation(x: np.ndarray, labels: np.ndarray, agree: np.ndarray, k: int) -> float:
    """Ashman's D of the mixture fitted to x with each class's typical score removed: x minus
    the mean x of the class's rows whose label is the model's argmax (agree), plus the mean
    over all such rows. A wrong-label population is a low mode inside classes; a bimodality
    that this removes is a difference between classes (a rare class the model is less sure
    of), not a sign of wrong labels."""
    counts = np.bincount(labels[agree], minlength=k)
    sums = np.bincount(labels[agree], weights=x[agree], minlength=k)
    if not counts.sum():
        return 0.0
    overall = sums.sum() / counts.sum()
    typical = np.divide(sums, counts, out=np.full(k, overall), where=counts > 0)
    return separation(fit_mixture(x - typical[labels] + overall))


def separation(mix: dict) -> float:
    """Ashman's D = sqrt(2)·|m1 − m2| / sqrt(v1 + v2)."""
    (m1, m2), (v1, v2) = mix["means"], mix["variances"]
    return float(np.sqrt(2.0) * abs(m2 - m1) / np.sqrt(v1 + v2))


def prior_weight(n: int, k: int, pseudocount: float = PRIOR_PSEUDOCOUNT) -> float:
    """ε: the weight of the uniform prior in the noise matrix.

    `pseudocount` pseudo-examples in each of the K² cells of the joint, against the N counted
    examples: ε = K²·α / (N + K²·α). For balanced classes this is exactly Laplace's smoothing of
    every column; one ε for all columns keeps the posterior a sparse computation (below)."""
    prior = k * k * pseudocount
    return prior / (n + prior)


def noise_matrix(joint: np.ndarray, n: int | None = None) -> np.ndarray:
    """T[i, j] = P(given = i | true = j) (K×K): the joint's normalised columns, mixed with the
    uniform 1/K in proportion ε (prior_weight). `n` defaults to the joint's total."""
    joint = np.asarray(joint, dtype=np.float64)
    k = joint.shape[0]
    eps = prior_weight(int(joint.sum()) if n is None else n, k)
    columns = joint.sum(axis=0, keepdims=True)
    observed = np.divide(joint, columns, out=np.zeros_like(joint), where=columns > 0)
    return (1.0 - eps) * observed + eps / k


def error_posterior(
    labels: np.ndarray, pred_probs, joint: np.ndarray, self_confidence: np.ndarray | None = None
) -> np.ndarray:
    """q (N,): P(true != given | x, given) = 1 − P[i, y]·T[y, y] / Σ_j P[i, j]·T[y, j].

    The model's probabilities are the prior over the true class and the noise matrix T
    (noise_matrix) the likelihood of the given label. Because T = (1 − ε)·T̂ + ε/K and each row
    of P sums to 1, Σ_j P[i, j]·T[y, j] = (1 − ε)·Σ_{j: T̂[y, j] > 0} P[i, j]·T̂[y, j] + ε/K: only
    the cells the confident joint saw are read (a gather of Σ_i nnz(T̂[y_i]) values, in row
    order), and a dense joint falls back to one blocked pass over pred_probs with the same
    formula. self_confidence (N,) = P[i, y_i] when already computed."""
    return posterior_and_suggestion(labels, pred_probs, joint, self_confidence)[0]


def posterior_and_suggestion(
    labels: np.ndarray, pred_probs, joint: np.ndarray, self_confidence: np.ndarray | None = None
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """(q (N,), suggest): error_posterior, and `suggest(rows)`, which gives for those rows the
    noise-posterior suggestion argmax_{j != y} P[i, j]·T̂[y, j] (ties: the lowest j; −1 where no
    such product is positive) from the values the posterior already read: what
    `noise_posterior_suggestion` computes for a row, without a second read of pred_probs."""
    from labelaudit.confident._blocks import gather

    labels = np.asarray(labels, dtype=np.int64)
    n, k = len(labels), joint.shape[0]
    eps = prior_weight(n, k)
    given, true, counts, diagonal = _nonzero_cells(joint)  # row-major
    columns = np.bincount(true, weights=counts, minlength=k)
    inverse = np.divide(1.0, columns, out=np.zeros(k), where=columns > 0)
    if self_confidence is None:
        self_confidence = gather(pred_probs, np.arange(n), labels)
    sc = np.asarray(self_confidence, dtype=np.float64)
    own = sc * (diagonal[labels] * inverse[labels])
    off = given != true  # the own cell is `own`; gather only the others
    given, true = given[off], true[off]
    # counts / column, not counts · (1 / column): the same float64 products as the noise matrix
    # of noise_posterior_suggestion, so the suggestion is the same class.
    weights = counts[off] / columns[true]
    nnz = np.bincount(given, minlength=k)
    per_row = nnz[labels]
    total = int(per_row.sum())
    fast = isinstance(pred_probs, np.ndarray) and pred_probs.flags.c_contiguous
    sparse_joint = not isinstance(joint, np.ndarray)  # never build K×K for a SparseJoint
    if not total:
        seen, suggestion = own.copy(), _no_suggestion
    elif sparse_joint or (fast and total <= n * k // 4):
        seen, suggestion = _gathered_cells(
            labels, pred_probs, own, (true, weights, nnz, per_row), fast
        )
    else:
        seen, suggestion = _dense_cells(labels, pred_probs, own, (given, true, weights), k)
    evidence = (1.0 - eps) * seen + eps / k
    q = np.clip(1.0 - ((1.0 - eps) * own + eps / k * sc) / evidence, 0.0, 1.0)
    return q, suggestion


def _gathered_cells(labels, pred_probs, own, cells, fast: bool):
    """own + Σ over the off-diagonal cells of T̂[y_i] of P[i, j]·T̂[y_i, j], and each row's best
    such cell, from a gather of just those entries of pred_probs.

    Row i's cells are class_start[y_i] .. + per_row[i] of the (given, true) cells in row-major
    order; its gathered values sit at row_start[i] .. + per_row[i]. A C-ordered ndarray is read
    in row blocks on the worker threads, each building its own (cache-sized) indices, so a
    memory-mapped input is read block by block and the index work is shared by the cores."""
    from labelaudit.confident._blocks import for_each, gather, row_blocks

    true, weights, nnz, per_row = cells
    n, k = len(labels), len(nnz)
    total = int(per_row.sum())
    class_start = np.cumsum(nnz) - nnz
    row_start = np.cumsum(per_row) - per_row
    shift = class_start[labels] - row_start  # cell = position + shift of its row
    values = np.empty(total)
    seen = own.copy()
    ends = np.append(row_start, total)

    def block(part: slice) -> None:
        lo, hi = int(ends[part.start]), int(ends[part.stop])
        if hi == lo:
            return
        sizes = per_row[part]
        cell = np.arange(lo, hi) + np.repeat(shift[part], sizes)
        if fast:
            local = np.repeat(np.arange(len(sizes)) * k, sizes) + true[cell]
            taken = pred_probs[part].reshape(-1).take(local)
        else:
            rows = np.repeat(np.arange(part.start, part.stop), sizes)
            taken = np.asarray(gather(pred_probs, rows, true[cell]), dtype=np.float64)
        taken = taken * weights[cell]
        values[lo:hi] = taken
        has = np.flatnonzero(sizes > 0)
        seen[part.start + has] += np.add.reduceat(taken, row_start[part.start + has] - lo)

    if fast:
        for_each(block, row_blocks(n, k))
    else:
        block(slice(0, n))

    def suggest(rows: np.ndarray) -> np.ndarray:
        """The best off-diagonal cell of each of `rows`, or −1 (asked for flagged rows only)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), -1, dtype=np.int64)
        sizes = per_row[rows]
        some = sizes > 0
        rows, sizes = rows[some], sizes[some]
        if not len(rows):
            return out
        starts = np.cumsum(sizes) - sizes
        picked = np.arange(int(sizes.sum())) + np.repeat(row_start[rows] - starts, sizes)
        part = values[picked]
        best = np.maximum.reduceat(part, starts)
        # The first position in each row's run that holds its maximum: cells run in ascending j.
        at_max = part == np.repeat(best, sizes)
        first = -np.maximum.reduceat(np.where(at_max, -np.arange(len(part)), -len(part)), starts)
        cell = picked[first] + shift[rows]
        out[some] = np.where(best > 0, true[cell], -1)
        return out

    return seen, suggest


def _dense_cells(labels, pred_probs, own, cells, k: int):
    """_gathered_cells by one blocked pass over pred_probs, for a joint whose rows are dense."""
    from labelaudit.confident._blocks import for_each, row_blocks

    given, true, weights = cells
    n = len(labels)
    observed = np.zeros((k, k))
    observed[given, true] = weights
    seen = own.copy()
    suggestion = np.full(n, -1, dtype=np.int64)

    def block(part: slice) -> None:
        products = np.asarray(pred_probs[part], dtype=np.float64) * observed[labels[part]]
        seen[part] += products.sum(axis=1)
        choice = products.argmax(axis=1)
        positive = products[np.arange(len(choice)), choice] > 0
        suggestion[part] = np.where(positive, choice, -1)

    for_each(block, row_blocks(n, k))
    return seen, lambda rows: suggestion[np.asarray(rows, dtype=np.int64)]


def _no_suggestion(rows: np.ndarray) -> np.ndarray:
    return np.full(len(rows), -1, dtype=np.int64)


def _nonzero_cells(joint) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(given, true, count) of the joint's nonzero cells in row-major order, and its diagonal,
    for a dense K×K array or a sparse_joint.SparseJoint alike."""
    if isinstance(joint, np.ndarray):
        cells = np.flatnonzero(joint)  # row-major, and twice as fast as np.nonzero's 2-D walk
        given, true = np.divmod(cells, joint.shape[1])
        return given, true, joint.reshape(-1)[cells].astype(np.float64), np.diagonal(joint)
    given, true, counts = joint.cells()
    keep = counts != 0
    return given[keep], true[keep], counts[keep].astype(np.float64), joint.diagonal()


def combine_posteriors(posteriors: list[np.ndarray]) -> np.ndarray:
    """One posterior (N,) from M members' error posteriors, each (N,), as independent evidence.

    Every member is a witness of whether a label is wrong. With a common prior π (the members'
    mean error rate), Bayes' rule for conditionally independent evidence multiplies the
    members' likelihood ratios: logit q = logit π + Σ_m (logit q_m − logit π). A label error
    makes every member doubt the label; a model error on a correct label usually fools only
    some of them, so agreement counts for more than the mean of the members' posteriors."""
    q = np.clip(np.asarray(posteriors, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    prior = float(np.clip(q.mean(), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))
    prior_logit = np.log(prior) - np.log1p(-prior)
    logit = prior_logit + (np.log(q) - np.log1p(-q) - prior_logit).sum(axis=0)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -700.0, 700.0)))


def expected_f1_count(q_ranked: np.ndarray, expected_errors: float) -> tuple[int, float]:
    """(k, expected F1): the k maximising 2·Σ_{top k} q / (k + expected_errors).

    q_ranked (M,) are the candidates' posteriors in flagging order; expected_errors = Σ q over
    all N examples (the expected number of wrong labels, flaggable or not). Flagging one more
    candidate raises the expected F1 exactly when its q exceeds half the F1 already reached."""
    if not len(q_ranked) or expected_errors <= 0:
        return 0, 0.0
    hits = np.cumsum(q_ranked)
    f1 = 2.0 * hits / (np.arange(1, len(q_ranked) + 1) + expected_errors)
    best = int(np.argmax(f1))
    return best + 1, float(f1[best])


def cap_per_class(
    mask: np.ndarray, labels: np.ndarray, score: np.ndarray, joint: np.ndarray
) -> np.ndarray:
    """Keep at most n_k // 2 flags in class k, those with the lowest score.

    `joint` (K×K) sets K. Neither a class's own count in the joint (its diagonal) nor the sum of
    its posteriors is trusted to lift the cap: on rare classes both rest on a handful of
    examples (on the long-tail family the posterior sum would let a class lose 49 of 86 labels
    of which at most 43 were wrong)."""
    k = joint.shape[0]
    counts = np.bincount(labels, minlength=k)
    flagged = np.bincount(labels[mask], minlength=k)
    cap = counts // 2
    over = np.flatnonzero(flagged > cap)
    if not len(over):
        return mask
    mask = mask.copy()
    for c in over:
        rows = np.flatnonzero(mask & (labels == c))
        drop = rows[np.argsort(score[rows], kind="stable")[cap[c] :]]
        mask[drop] = False
    return mask


def adaptive_mask(
    labels: np.ndarray,
    self_confidence: np.ndarray,
    candidates: np.ndarray,
    joint: np.ndarray,
    posterior: np.ndarray,
) -> tuple[np.ndarray, dict]:
    """The adaptive issue mask (N,) and a JSON-able decision record.

    labels (N,), self_confidence (N,) = P[i, y_i], candidates (N,) bool: the rows any cleanlab
    counting method may flag (argmax != label within 1e-6), joint: the calibrated confident joint
    (K×K), posterior (N,): each example's error posterior q (error_posterior, or the
    members' posteriors combined by combine_posteriors for an ensemble).
    """
    n = len(labels)
    x = _logit(self_confidence)
    mix = fit_mixture(x)
    d = separation(mix)
    cut = crossing_point(mix)
    within = (
        within_class_separation(x, labels, ~candidates, joint.shape[0])
        if d >= MIN_SEPARATION
        else d
    )
    separated = d >= MIN_SEPARATION and within >= MIN_SEPARATION
    if separated:
        # A cleanly bimodal self-confidence is direct evidence of a wrong-label population: an
        # example is at least as likely wrong as it is likely to belong to the low component.
        posterior = np.maximum(posterior, low_component_posterior(mix, x))
    rows = np.flatnonzero(candidates)
    # Most probable errors first; equal posteriors: the lower self-confidence first.
    rows = rows[np.lexsort((self_confidence[rows], -posterior[rows]))]
    expected_errors = float(posterior.sum())
    k, f1 = expected_f1_count(posterior[rows], expected_errors)
    mask = np.zeros(n, dtype=bool)
    mask[rows[:k]] = True
    mask = cap_per_class(mask, labels, -posterior, joint)
    flagged_q = float(posterior[mask].sum())
    record = {
        "decision": "noise_posterior_and_mixture" if separated else "noise_posterior",
        "num_flagged": int(mask.sum()),
        "evidence": {
            "expected_errors": round(expected_errors, 2),
            "expected_f1": round(f1, 4),
            "expected_precision": round(flagged_q / max(int(mask.sum()), 1), 4),
            "expected_recall": round(flagged_q / expected_errors, 4) if expected_errors else 0.0,
            "num_candidates_predicted_neq_given": int(candidates.sum()),
            # cleanlab's own estimate of the number of label issues (count.num_label_issues).
            "calibrated_off_diagonal": int(n - joint.trace()),  # ndarray or SparseJoint
            "mixture": {key: [round(float(v), 6) for v in vals] for key, vals in mix.items()},
            "separation_ashman_d": round(d, 4),
            "separation_within_classes": round(float(within), 4),
            "crossing_self_confidence": round(float(1 / (1 + np.exp(-cut))), 6),
            "mixture_low_weight_count": round(mix["weights"][0] * n, 1),
        },
        "thresholds": {"prior_pseudocount": PRIOR_PSEUDOCOUNT, "min_separation": MIN_SEPARATION},
    }
    return mask, record
