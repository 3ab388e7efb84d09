"""Which consensus labels to flag: each one's probability of being wrong, and the expected-F1 cut.

CROWDLAB's posterior is a weighted average, not a probability of the true class: over K = 10
classes it gives most correct consensus labels less than one half, and confident learning on it
flags almost nothing (its consensus is that posterior's argmax but for a few rows). The flags
therefore come from Bayes' rule with CROWDLAB's own estimates (docs/annotators.md):

    P(true = c | x, annotations) ∝ P[i, c] · Π_m (a_m if L[i, m] = c else (1 − a_m)/(K − 1)),

the model's probabilities as the prior and each annotator m, independent given the true class,
right with probability a_m = (agreements with the consensus + 1) / (labels + 2) (Laplace, so no
annotator is ever certain) and otherwise wrong uniformly. q_i = 1 − P(true = consensus_i) is the
error posterior; the rows with the highest q are flagged, as many as maximise the expected F1
2·Σ_{top k} q / (k + Σ_all q), the cut of labelaudit's default rule (confident/adaptive.py).
"""

from __future__ import annotations

import numpy as np

from labelaudit.confident.adaptive import expected_f1_count

# A probability of zero in P would veto a class whatever the annotators say; the floor keeps
# the log finite (far below any probability a model reports for a class it considers).
LOG_FLOOR = 1e-300


def annotator_accuracy(labels_multiannotator: np.ndarray, consensus_label: np.ndarray):
    """(M,) a_m: each annotator's agreement with the consensus, Laplace-smoothed."""
    labelled = ~np.isnan(labels_multiannotator)
    agree = (labels_multiannotator == consensus_label[:, None]) & labelled
    return (agree.sum(axis=0) + 1.0) / (labelled.sum(axis=0) + 2.0)


def consensus_error_posterior(
    labels_multiannotator: np.ndarray, pred_probs: np.ndarray, consensus_label: np.ndarray
) -> np.ndarray:
    """(N,) q_i: the probability that consensus_label[i] is wrong, by Bayes' rule over the
    model's probabilities (N×K) and the annotators' labels (N×M, NaN where not labelled)."""
    L = labels_multiannotator
    n, k = pred_probs.shape
    accuracy = annotator_accuracy(L, consensus_label)
    log_post = np.log(np.maximum(np.asarray(pred_probs, dtype=np.float64), LOG_FLOOR))
    right, wrong = np.log(accuracy), np.log((1 - accuracy) / (k - 1))
    labelled = ~np.isnan(L)
    for m in range(L.shape[1]):
        rows = np.flatnonzero(labelled[:, m])
        log_post[rows] += wrong[m]
        log_post[rows, L[rows, m].astype(np.int64)] += right[m] - wrong[m]
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=1, keepdims=True)
    return 1.0 - post[np.arange(n), consensus_label]


def flag_consensus(error_posterior: np.ndarray, label_quality: np.ndarray):
    """(is_label_issue (N,) bool, ranking: flagged rows, most likely wrong first, and the
    expected number of wrong consensus labels). Rows are ranked by q, descending (ties: lower
    label_quality first, then row); the top k are flagged, k maximising the expected F1."""
    order = np.lexsort((np.arange(len(error_posterior)), label_quality, -error_posterior))
    expected_errors = float(error_posterior.sum())
    count, _ = expected_f1_count(error_posterior[order], expected_errors)  # 0 when Σ q = 0
    flagged = np.zeros(len(error_posterior), dtype=bool)
    flagged[order[:count]] = True
    return flagged, order[:count], expected_errors
