"""Drop-in for `cleanlab.token_classification.filter.find_label_issues`."""

from __future__ import annotations

import numpy as np

from labelaudit.confident.filter import find_label_issues as find_flat_issues
from labelaudit.errors import ConfigError
from labelaudit.token_classification._inputs import Tokens, flatten


def find_label_issues(
    labels: list,
    pred_probs: list,
    *,
    return_indices_ranked_by: str = "self_confidence",
    low_memory: bool = False,
    **kwargs,
) -> list[tuple[int, int]]:
    """(sentence, token) pairs whose given label is likely wrong, worst first, as cleanlab 2.9.

    labels: N lists of token labels in 0..K-1; pred_probs: N arrays of shape (T_i, K). kwargs go
    to `labelaudit.confident.filter.find_label_issues` (filter_by, frac_noise, ...), which runs
    once on the concatenated total_tokens×K matrix, exactly as cleanlab runs its own filter.

    Order: flagged tokens sorted by their `return_indices_ranked_by` score with numpy's default
    (unstable) np.argsort over the flagged tokens' scores in flat (sentence, token) order, the
    call cleanlab makes on the same array, so ties (e.g. repeated identical sentences) resolve
    as cleanlab's do on the same numpy build.
    """
    if low_memory:
        # cleanlab then switches to experimental.find_label_issues_batched, a different estimator.
        raise ConfigError("low_memory=True (cleanlab's batched estimator) is not supported yet.")
    tokens = flatten(labels, pred_probs)
    sentence, token = tokens.locate(
        issues_of_tokens(tokens, return_indices_ranked_by=return_indices_ranked_by, **kwargs)
    )
    return list(zip(sentence.tolist(), token.tolist(), strict=True))


def issues_of_tokens(
    tokens: Tokens, *, return_indices_ranked_by: str = "self_confidence", **kwargs
) -> np.ndarray:
    """Flat indices of the flagged tokens, in cleanlab's order, for tokens already flattened and
    checked (_inputs.Tokens): confident learning once over the total_tokens×K matrix."""
    return find_flat_issues(
        tokens.labels,
        tokens.pred_probs,
        return_indices_ranked_by=return_indices_ranked_by,
        **kwargs,
    )
