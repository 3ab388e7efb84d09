"""Noise-matrix estimates from a confident joint (cleanlab's `estimate_latent` family).

All K×K algebra, ported operation for operation so results match cleanlab bit for bit.
"""

from __future__ import annotations

import numpy as np

from labelaudit.confident.joint import TINY_VALUE, compute_confident_joint
from labelaudit.errors import ConfigError

PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")
# cleanlab clips noise rates below 1 so that no class is estimated to be entirely flipped.
MAX_NOISE_RATE = 0.9999
# cleanlab's CLIPPING_LOWER_BOUND for the latent prior p(true = k).
PRIOR_LOWER_BOUND = 1e-6


def clip_noise_rates(noise_matrix: np.ndarray) -> np.ndarray:
    """Clip off-diagonal rates to [0, 0.9999], keep the diagonal, renormalise columns to 1."""
    diagonal = np.diagonal(noise_matrix)
    clipped = np.clip(noise_matrix, 0, MAX_NOISE_RATE)
    np.fill_diagonal(clipped, diagonal)
    return clipped / np.clip(clipped.sum(axis=0), a_min=TINY_VALUE, a_max=None)


def clip_values(x: np.ndarray, low: float, high: float, new_sum: float) -> np.ndarray:
    """Clip to [low, high], then rescale to sum to new_sum."""
    x = np.clip(x, low, high)
    return x * new_sum / np.clip(np.sum(x), a_min=TINY_VALUE, a_max=None)


def compute_py(
    ps: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    *,
    py_method: str = "cnt",
    true_labels_class_counts: np.ndarray | None = None,
) -> np.ndarray:
    """Latent prior p(true = k) (K,) by one of cleanlab's four methods."""
    if py_method == "cnt":
        py = (
            inverse_noise_matrix.diagonal()
            / np.clip(noise_matrix.diagonal(), a_min=TINY_VALUE, a_max=None)
            * ps
        )
    elif py_method == "eqn":
        py = np.linalg.inv(noise_matrix).dot(ps)
    elif py_method == "marginal":
        if true_labels_class_counts is None:
            raise ConfigError("py_method='marginal' needs true_labels_class_counts.")
        total = float(sum(true_labels_class_counts))
        py = true_labels_class_counts / np.clip(total, a_min=TINY_VALUE, a_max=None)
    elif py_method == "marginal_ps":
        py = np.dot(inverse_noise_matrix, ps)
    else:
        raise ConfigError(f"py_method {py_method!r} is not one of {', '.join(PY_METHODS)}.")
    return clip_values(py, low=PRIOR_LOWER_BOUND, high=1.0, new_sum=1.0)


def _inverse_from_noise(py: np.ndarray, noise_matrix: np.ndarray, ps: np.ndarray) -> np.ndarray:
    joint = noise_matrix * py
    inverse = joint.T / np.clip(ps, a_min=TINY_VALUE, a_max=None)
    return clip_noise_rates(inverse)


def _noise_from_inverse(ps: np.ndarray, inverse: np.ndarray, py: np.ndarray) -> np.ndarray:
    joint = (inverse * ps).T
    noise_matrix = joint / np.clip(py, a_min=TINY_VALUE, a_max=None)
    return clip_noise_rates(noise_matrix)


def _converge_estimates(
    ps: np.ndarray, py: np.ndarray, noise_matrix: np.ndarray, inverse: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cleanlab's fixed 3 × 5 alternating updates that make the three estimates agree."""
    for _ in range(3):
        for _ in range(5):
            inverse = _inverse_from_noise(py, noise_matrix, ps)
            py = compute_py(ps, noise_matrix, inverse)
        noise_matrix = _noise_from_inverse(ps, inverse, py)
    return py, noise_matrix, inverse


def estimate_latent(
    confident_joint: np.ndarray,
    labels: object,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(py, noise_matrix, inverse_noise_matrix) from a confident joint.

    noise_matrix[i, j] = P(given=i | true=j) (columns sum to 1); inverse_noise_matrix[j, i] =
    P(true=j | given=i); py[k] = P(true=k).
    """
    y = np.asarray(labels)
    num_classes = len(confident_joint)
    ps = np.bincount(y, minlength=num_classes) / float(len(y))
    given_counts = confident_joint.sum(axis=1).astype(float)
    true_counts = confident_joint.sum(axis=0).astype(float)
    noise_matrix = confident_joint / np.clip(true_counts, a_min=TINY_VALUE, a_max=None)
    inverse = confident_joint.T / np.clip(given_counts, a_min=TINY_VALUE, a_max=None)
    py = compute_py(
        ps, noise_matrix, inverse, py_method=py_method, true_labels_class_counts=true_counts
    )
    noise_matrix = clip_noise_rates(noise_matrix)
    inverse = clip_noise_rates(inverse)
    if converge_latent_estimates:
        py, noise_matrix, inverse = _converge_estimates(ps, py, noise_matrix, inverse)
        py = clip_values(py, low=1e-5, high=1.0, new_sum=1.0)
        noise_matrix = clip_noise_rates(noise_matrix)
        inverse = clip_noise_rates(inverse)
    return py, noise_matrix, inverse


def estimate_py_and_noise_matrices_from_probabilities(
    labels: object,
    pred_probs: object,
    *,
    thresholds: object = None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(py, noise_matrix, inverse_noise_matrix, confident_joint) straight from probabilities."""
    cj = compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    py, noise_matrix, inverse = estimate_latent(
        cj, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates
    )
    return py, noise_matrix, inverse, cj
