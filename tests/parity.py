"""Compare labelaudit's confident-learning API with cleanlab 2.9 on one (labels, pred_probs) case."""

from __future__ import annotations

import warnings

import numpy as np

import labelaudit.confident as la

RANKINGS = (None, *la.RANK_METHODS)


def _cleanlab():
    import cleanlab.count
    import cleanlab.filter
    import cleanlab.rank

    return cleanlab.filter, cleanlab.count, cleanlab.rank


def outcome(fn, *args, **kwargs):
    """("ok", value) or ("error", None): parity includes refusing the same inputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(*args, **kwargs)
        except (ValueError, IndexError, TypeError, ZeroDivisionError):
            return "error", None


def same(a, b) -> bool:
    """Exact equality of values, shapes and dtype kinds (NaN equal to NaN)."""
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def check(name: str, ours: tuple, theirs: tuple, failures: list[str]) -> None:
    if ours[0] != theirs[0] or (ours[0] == "ok" and not same(ours[1], theirs[1])):
        failures.append(name)


def compare_filters(labels, pred_probs, *, options: dict | None = None) -> tuple[int, list[str]]:
    """Every filter_by × return_indices_ranked_by; returns (cases run, names that differ)."""
    cf, _, _ = _cleanlab()
    options = options or {}
    failures: list[str] = []
    cases = 0
    for filter_by in la.FILTER_METHODS:
        opts = dict(options)
        if filter_by not in ("prune_by_noise_rate", "prune_by_class", "both"):
            opts.pop("num_to_remove_per_class", None)
            opts.pop("frac_noise", None)
        for rank_by in RANKINGS:
            kw = dict(filter_by=filter_by, return_indices_ranked_by=rank_by, **opts)
            theirs = outcome(cf.find_label_issues, labels, pred_probs, n_jobs=1, **kw)
            ours = outcome(la.find_label_issues, labels, pred_probs, **kw)
            check(f"find_label_issues({kw})", ours, theirs, failures)
            cases += 1
    return cases, failures


def compare_counts_and_scores(labels, pred_probs) -> tuple[int, list[str]]:
    """Thresholds, confident joint, joint, latent estimates, issue counts and every score."""
    _, cc, cr = _cleanlab()
    failures: list[str] = []
    pairs = [
        ("thresholds", cc.get_confident_thresholds, la.get_confident_thresholds, {}),
        ("estimate_joint", cc.estimate_joint, la.estimate_joint, {}),
        (
            "latent",
            cc.estimate_py_and_noise_matrices_from_probabilities,
            la.estimate_py_and_noise_matrices_from_probabilities,
            {},
        ),
    ]
    for calibrate in (True, False):
        kw = dict(calibrate=calibrate, return_indices_of_off_diagonals=True)
        pairs.append(
            (f"confident_joint{kw}", cc.compute_confident_joint, la.compute_confident_joint, kw)
        )
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        kw = dict(estimation_method=method)
        pairs.append((f"num_label_issues{kw}", cc.num_label_issues, la.num_label_issues, kw))
    for method in la.RANK_METHODS:
        for adjust in (False, True):
            kw = dict(method=method, adjust_pred_probs=adjust)
            pairs.append(
                (f"scores{kw}", cr.get_label_quality_scores, la.get_label_quality_scores, kw)
            )
    for name, theirs_fn, ours_fn, kw in pairs:
        theirs = outcome(theirs_fn, labels, pred_probs, **kw)
        ours = outcome(ours_fn, labels, pred_probs, **kw)
        if name.startswith("num_label_issues") and ours[0] == theirs[0] == "ok":
            ours, theirs = ("ok", int(ours[1])), ("ok", int(theirs[1]))
        check(name, ours, theirs, failures)
    return len(pairs), failures
