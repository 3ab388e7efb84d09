"""Out-of-sample probabilities from embeddings, with no training: a leave-one-out k-nearest-
neighbour vote, or a cross-validated linear probe, whichever predicts the given labels better.

The kNN vote: every row's max-k neighbours are found once (scikit-learn's NearestNeighbors), the
row itself left out (an exact duplicate of it stays: it is another example). Row i's vote for
class c over its first k neighbours is V_ic = sum_j w_ij [y_j = c], the weights summing to k
(uniform, or inverse distance), and its probabilities are (V_ic + alpha * pi_c) / (k + alpha):
a Dirichlet prior of strength alpha centred on the Laplace-smoothed class frequencies pi, so no
class is ever exactly 0. The metric (cosine or euclidean), the weighting, k and alpha are chosen
by the leave-one-out log-likelihood of the given labels over a grid, which costs one pass over
the N × max-k neighbour list per setting. The probe is logistic regression cross-validated out of
fold (predict/cross_val.py); with model="auto" the one with the lower out-of-sample log-loss of
the given labels wins (both are proper scores of the same labels on rows the model never saw).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError

MODELS = ("auto", "knn", "probe")
METRICS = ("cosine", "euclidean")
WEIGHTINGS = ("uniform", "distance")
K_GRID = (1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 70, 100)
ALPHA_GRID = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
# The metric is chosen on the leave-one-out log-likelihood of this many seeded query rows (all of
# them when N is smaller): enough for the two metrics' scores to differ beyond sampling noise on
# any data where the choice matters, and it keeps the second neighbour search cheap.
METRIC_SAMPLE = 4000
# Inverse-distance weights floor the distance at this fraction of the median neighbour distance,
# so an exact duplicate (distance 0) weighs much, but finitely.
DISTANCE_FLOOR = 1e-3
LOG_FLOOR = 1e-15  # probabilities are clipped here for the log-loss only (scikit-learn's eps)


@dataclass(frozen=True)
class KnnChoice:
    """The kNN vote's settings and its leave-one-out log-loss of the given labels."""

    metric: str
    weights: str
    k: int
    alpha: float
    log_loss: float


@dataclass(frozen=True)
class EmbeddingProbabilities:
    """N×K out-of-sample probabilities, the model that made them ("knn" or "probe") and what was
    chosen and scored (the report's metadata["embeddings"])."""

    pred_probs: np.ndarray
    model: str
    details: dict[str, Any]
    duplicates: Any = None  # predict.duplicates.Duplicates when asked for


def check_embeddings(embeddings: Any, n_labels: int, source: str = "embeddings") -> np.ndarray:
    """The N×D embeddings as a float array, or a one-sentence InvalidInputError."""
    X = np.asarray(embeddings)
    if X.ndim != 2:
        raise InvalidInputError(
            f"{source}: embeddings must be an N×D matrix (one row per example), got shape "
            f"{X.shape}."
        )
    if X.dtype.kind not in "fiub":
        raise InvalidInputError(f"{source}: embeddings must be numeric, got dtype {X.dtype}.")
    if X.shape[0] != n_labels:
        raise InvalidInputError(
            f"{source} has {X.shape[0]} rows but there are {n_labels} labels; they must describe "
            "the same examples in the same order."
        )
    if X.shape[0] < 3:
        raise InvalidInputError(f"{source}: a neighbour vote needs at least 3 rows.")
    X = X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)
    finite = np.isfinite(X)
    if not finite.all():
        row, col = (int(v[0]) for v in np.nonzero(~finite))
        raise InvalidInputError(f"{source}: row {row}, column {col} is {X[row, col]}.")
    return X


def check_labels(labels: np.ndarray, num_classes: int | None) -> tuple[np.ndarray, int]:
    """Labels (N,) as int64 class indices in 0..K-1, and K (num_classes, else max + 1)."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) == 0:
        raise InvalidInputError("labels must be a non-empty 1-D array of class indices.")
    y = labels.astype(np.int64)
    K = int(num_classes or y.max() + 1)
    if y.min() < 0 or y.max() >= K:
        bad = int(y[(y < 0) | (y >= K)][0])
        raise InvalidInputError(f"label {bad} is not a class index in 0..{K - 1}.")
    if len(np.unique(y)) < 2:
        raise InvalidInputError("the labels hold a single class; there is nothing to vote on.")
    return y, K


def class_prior(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Laplace-smoothed class frequencies (count + 1) / (N + K): positive for every class."""
    counts = np.bincount(labels, minlength=num_classes)
    return (counts + 1.0) / (len(labels) + num_classes)


def neighbours(
    X: np.ndarray, *, metric: str, n_neighbors: int, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each len(rows) × n_neighbors: the nearest other rows of X to each
    of `rows` (all rows when None), nearest first. The query row itself is left out; an exact
    duplicate of it is kept. Cosine distances are computed as euclidean on unit rows."""
    from sklearn.neighbors import NearestNeighbors

    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}.")
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1.0)
    rows = np.arange(len(X)) if rows is None else rows
    index = NearestNeighbors(n_neighbors=n_neighbors + 1, algorithm="auto").fit(X)
    dist, ind = index.kneighbors(X[rows], n_neighbors=n_neighbors + 1)
    # Leave the row itself out: where it is among its neighbours drop it, else (more than
    # n_neighbors exact duplicates came first) drop the last one.
    own = ind == rows[:, None]
    own[~own.any(axis=1), -1] = True
    own[np.cumsum(own, axis=1) > 1] = False  # only the first hit, should it appear twice
    keep = ~own
    dist = dist[keep].reshape(len(rows), n_neighbors)
    ind = ind[keep].reshape(len(rows), n_neighbors)
    if metric == "cosine":
        dist = dist**2 / 2.0  # 1 - cos for unit vectors
    return dist, ind


def _weights(dist: np.ndarray, weights: str) -> np.ndarray:
    """Per-neighbour weights before normalisation: ones, or inverse (floored) distance."""
    if weights == "uniform":
        return np.ones_like(dist)
    positive = dist[dist > 0]
    floor = DISTANCE_FLOOR * (float(np.median(positive)) if positive.size else 1.0)
    return 1.0 / np.maximum(dist, floor)


def _vote_for_given(dist, ind, labels, rows, weights: str, ks: list[int]) -> np.ndarray:
    """len(ks) × len(rows): each row's normalised vote (summing to k) for its own given label."""
    w = _weights(dist, weights)
    match = labels[ind] == labels[rows][:, None]
    cum_match = np.cumsum(w * match, axis=1)
    cum_all = np.cumsum(w, axis=1)
    return np.stack([k * cum_match[:, k - 1] / cum_all[:, k - 1] for k in ks])


def score_grid(dist, ind, labels, rows, prior, metric: str, ks=None) -> list[KnnChoice]:
    """Every (weighting, k, alpha) of the grid (k in ks, default K_GRID up to the neighbours
    found) with its leave-one-out log-loss."""
    ks = list(ks) if ks is not None else [k for k in K_GRID if k <= ind.shape[1]]
    alphas = np.asarray(ALPHA_GRID)
    p_given = prior[labels[rows]]
    out = []
    for weights in WEIGHTINGS:
        votes = _vote_for_given(dist, ind, labels, rows, weights, ks)
        for k, vote in zip(ks, votes, strict=True):
            p = (vote[None, :] + alphas[:, None] * p_given[None, :]) / (k + alphas[:, None])
            losses = -np.log(np.maximum(p, LOG_FLOOR)).mean(axis=1)
            for alpha, loss in zip(ALPHA_GRID, losses, strict=True):
                out.append(KnnChoice(metric, weights, k, alpha, float(loss)))
    return out


def knn_vote(dist, ind, labels, num_classes: int, choice: KnnChoice, prior) -> np.ndarray:
    """N×K probabilities of the chosen vote: (V + alpha * prior) / (k + alpha)."""
    n, k = len(ind), choice.k
    w = _weights(dist[:, :k], choice.weights)
    w = k * w / w.sum(axis=1, keepdims=True)
    flat = (np.arange(n)[:, None] * num_classes + labels[ind[:, :k]]).ravel()
    votes = np.bincount(flat, weights=w.ravel(), minlength=n * num_classes)
    votes = votes.reshape(n, num_classes)
    return (votes + choice.alpha * prior[None, :]) / (k + choice.alpha)


def knn_pred_probs(
    embeddings: Any,
    labels: Any,
    *,
    num_classes: int | None = None,
    metric: str | None = None,
    weights: str | None = None,
    k: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Leave-one-out kNN probabilities N×K and the choice made; metric, weights and k left None
    are chosen from the data (module docstring), given ones are used as they are."""
    X = check_embeddings(embeddings, len(np.asarray(labels)))
    y, K = check_labels(np.asarray(labels), num_classes)
    P, details, _ = _knn(X, y, K, metric=metric, weights=weights, k=k, seed=seed)
    return P, details


def _knn(X, y, K, *, metric, weights, k, seed):
    """knn_pred_probs on checked inputs, also handing back each metric's neighbour list that
    was searched over all rows ({metric: (distances, indices)})."""
    prior = class_prior(y, K)
    max_k = min(max(K_GRID), len(y) - 1) if k is None else int(k)
    if not 1 <= max_k <= len(y) - 1:
        raise ConfigError(f"k must be between 1 and {len(y) - 1}, got {k}.")
    ks = None if k is None else [max_k]
    metrics = METRICS if metric is None else (metric,)
    by_metric, sampled = {}, None
    if len(metrics) > 1 and len(y) > METRIC_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), METRIC_SAMPLE, replace=False))
        for m in metrics:
            dist, ind = neighbours(X, metric=m, n_neighbors=max_k, rows=rows)
            by_metric[m] = _best(score_grid(dist, ind, y, rows, prior, m, ks), weights)
        sampled = {m: c.log_loss for m, c in by_metric.items()}
        metrics = (min(by_metric.values(), key=lambda c: c.log_loss).metric,)
    rows = np.arange(len(y))
    searched = {}
    for m in metrics:
        searched[m] = neighbours(X, metric=m, n_neighbors=max_k)
        by_metric[m] = _best(score_grid(*searched[m], y, rows, prior, m, ks), weights)
    choice = min((by_metric[m] for m in metrics), key=lambda c: c.log_loss)
    P = knn_vote(*searched[choice.metric], y, K, choice, prior)
    details = {
        **asdict(choice),
        "max_k": max_k,
        # the metrics' log-losses: on METRIC_SAMPLE seeded rows when N is larger, else all rows
        "metric_scores": sampled or {m: by_metric[m].log_loss for m in metrics},
        "metric_sample": None if sampled is None else METRIC_SAMPLE,
        "criterion": "leave-one-out log-loss of the given labels",
    }
    return P, details, searched


def _best(grid: list[KnnChoice], weights: str | None) -> KnnChoice:
    """The lowest log-loss among the grid entries with the given weighting (any when None)."""
    allowed = [c for c in grid if weights is None or c.weights == weights]
    if not allowed:
        raise ConfigError(f"weights must be one of {', '.join(WEIGHTINGS)}, got {weights!r}.")
    return min(allowed, key=lambda c: c.log_loss)


def log_loss_of_given(pred_probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean -log P[i, y_i], probabilities clipped at LOG_FLOOR."""
    p = pred_probs[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(p, LOG_FLOOR)).mean())


def embedding_pred_probs(
    embeddings: Any,
    labels: Any,
    *,
    num_classes: int | None = None,
    model: str = "auto",
    folds: int = 5,
    seed: int = 0,
    source: str = "embeddings",
    near_duplicates: bool = False,
    exact_duplicates: bool = False,
) -> EmbeddingProbabilities:
    """Out-of-sample N×K probabilities from N×D embeddings and labels (N,), no training beyond
    a linear probe: model "knn" (leave-one-out vote), "probe" (cross-validated logistic
    regression) or "auto" (both; the lower out-of-sample log-loss of the given labels wins).
    near_duplicates also finds each row's conflicting near-duplicate, exact_duplicates its
    identical same-label copy (predict/duplicates.py), from the vote's cosine neighbours."""
    if model not in MODELS:
        raise ConfigError(f"--embedding-model must be one of {', '.join(MODELS)}, got {model!r}.")
    y = np.asarray(labels)
    X = check_embeddings(embeddings, len(y), source)
    y, K = check_labels(y, num_classes)
    candidates, details = {}, {"criterion": "out-of-sample log-loss of the given labels"}
    searched = {}
    if model in ("auto", "knn"):
        candidates["knn"], details["knn"], searched = _knn(
            X, y, K, metric=None, weights=None, k=None, seed=seed
        )
    if model in ("auto", "probe"):
        details["probe"] = {"model": "logreg", "folds": folds, "seed": seed}
        try:
            candidates["probe"] = _probe(X, y, K, folds=folds, seed=seed)
        except (ConfigError, InvalidInputError) as exc:
            if model == "probe":
                raise
            details["probe"]["skipped"] = str(exc)  # too few rows per fold: the vote alone
    for name, probs in candidates.items():
        details[name]["log_loss"] = log_loss_of_given(probs, y)
    chosen = min(candidates, key=lambda name: details[name]["log_loss"])
    details = {"model": chosen, "requested": model, **details}
    found = None
    if near_duplicates or exact_duplicates:
        found = _duplicates(X, y, searched.get("cosine"), exact=exact_duplicates)
        details.update(found.details)
    return EmbeddingProbabilities(candidates[chosen], chosen, details, found)


def _probe(X, y, K, *, folds: int, seed: int) -> np.ndarray:
    """The cross-validated logistic probe, on one BLAS/OpenMP thread: each L-BFGS step is an
    N × D by D × K product too small to split, so more threads only add their start-up and
    spin-waits (6.3 s against 1.1 s for 60,000 × 64, K = 10, on 2 cores; the same numbers)."""
    from threadpoolctl import threadpool_limits

    from labelaudit.predict.cross_val import cross_val_probabilities

    with threadpool_limits(limits=1):
        return cross_val_probabilities(X, y, num_classes=K, model="logreg", folds=folds, seed=seed)


def _duplicates(X, y, cosine, *, exact: bool):
    """Duplicates from the vote's cosine neighbour list; one cosine search of the same depth
    when the vote did not search cosine over every row (the probe alone, or euclidean chosen
    on a sample)."""
    from labelaudit.predict.duplicates import find_duplicates

    if cosine is None:
        cosine = neighbours(X, metric="cosine", n_neighbors=min(max(K_GRID), len(y) - 1))
    return find_duplicates(X, y, *cosine, exact=exact)
