"""labelaudit's adaptive default: how many issues to flag, decided from the data's own evidence.

The rule (docs/default-rule.md states it in full):

1. Fit a two-component Gaussian mixture to logit(self-confidence) of all N examples (EM on a
   fixed histogram, so the cost is O(N) once plus O(bins) per iteration). The low component
   models the examples whose given label the model does not believe.
2. The mixture is trusted only when its components are separated: Ashman's D >= 2 (Ashman et
   al. 1994, the usual criterion for a bimodal mixture) and the low component holds at least
   MIN_WEIGHT of the data. Otherwise the evidence cannot tell label noise from model error and
   the rule keeps cleanlab's prune_by_noise_rate set.
3. When trusted, flag the candidates (given label not the argmax, as every cleanlab counting
   method requires) whose self-confidence lies below the crossing point of the two weighted
   component densities, i.e. where the low component's posterior exceeds 1/2.
4. No class loses more than half its examples to the mixture's flags; within a class the
   lowest self-confidences stay flagged. (A class whose labels are mostly wrong is left to
   the explicit cleanlab options.)

Inputs are the arrays the confident-learning analysis already holds (self-confidence,
candidates, the calibrated joint), so the rule never reads pred_probs again.
"""

from __future__ import annotations

import numpy as np

# Ashman's D above 2 is the standard threshold for a mixture of two Gaussians to be cleanly
# bimodal (Ashman, Bird & Zephyrus 1994).
MIN_SEPARATION = 2.0
# A low component smaller than this is a handful of outliers, not a noise population.
MIN_WEIGHT = 0.005
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


def separation(mix: dict) -> float:
    """Ashman's D = sqrt(2)·|m1 − m2| / sqrt(v1 + v2)."""
    (m1, m2), (v1, v2) = mix["means"], mix["variances"]
    return float(np.sqrt(2.0) * abs(m2 - m1) / np.sqrt(v1 + v2))


def cap_per_class(
    mask: np.ndarray, labels: np.ndarray, sc: np.ndarray, joint: np.ndarray
) -> np.ndarray:
    """Keep at most n_k // 2 flags in class k, those with the lowest sc.

    `joint` (K×K) sets K; a class's own estimate (its diagonal) is not trusted to lift the cap,
    because on rare classes it rests on a handful of examples."""
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
        drop = rows[np.argsort(sc[rows], kind="stable")[cap[c] :]]
        mask[drop] = False
    return mask


def adaptive_mask(
    labels: np.ndarray,
    self_confidence: np.ndarray,
    candidates: np.ndarray,
    cleanlab_mask: np.ndarray,
    joint: np.ndarray,
    *,
    members_counts: list[int] | None = None,
) -> tuple[np.ndarray, dict]:
    """The adaptive issue mask (N,) and a JSON-able decision record.

    labels (N,), self_confidence (N,) = P[i, y_i], candidates (N,) bool: the rows any cleanlab
    counting method may flag (argmax != label within 1e-6), cleanlab_mask (N,): cleanlab's
    prune_by_noise_rate set (the fallback), joint: the calibrated confident joint (K×K).
    members_counts: each ensemble member's cleanlab issue count, recorded as evidence.
    """
    n = len(labels)
    x = _logit(self_confidence)
    mix = fit_mixture(x)
    d = separation(mix)
    cut = crossing_point(mix)
    n_cleanlab = int(cleanlab_mask.sum())
    n_candidates = int(candidates.sum())
    off_diagonal = int(n - joint.trace())  # ndarray or sparse_joint.SparseJoint
    trusted = d >= MIN_SEPARATION and mix["weights"][0] >= MIN_WEIGHT
    if trusted:
        mask = candidates & (x < cut)
        mask = cap_per_class(mask, labels, self_confidence, joint)
        decision = "mixture"
    else:
        mask = cleanlab_mask
        decision = "prune_by_noise_rate"
    record = {
        "decision": decision,
        "num_flagged": int(mask.sum()),
        "evidence": {
            "mixture": {key: [round(float(v), 6) for v in vals] for key, vals in mix.items()},
            "separation_ashman_d": round(d, 4),
            "crossing_self_confidence": round(float(1 / (1 + np.exp(-cut))), 6),
            "mixture_low_weight_count": round(mix["weights"][0] * n, 1),
            "num_candidates_predicted_neq_given": n_candidates,
            "num_prune_by_noise_rate": n_cleanlab,
            "calibrated_off_diagonal": off_diagonal,
        },
        "thresholds": {"min_separation": MIN_SEPARATION, "min_weight": MIN_WEIGHT},
    }
    if members_counts is not None:
        record["evidence"]["member_issue_counts"] = [int(c) for c in members_counts]
    return mask, record
