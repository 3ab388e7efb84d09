"""CROWDLAB through cleanlab itself: consensus labels, their quality and each annotator's quality.

`get_label_quality_multiannotator` calls cleanlab 2.9's function of that name with its defaults
(consensus_method "best_quality", quality_method "crowdlab", no calibration), so every number is
cleanlab's own, and adds what cleanlab computes but does not return: the CROWDLAB posterior
(the weighted average of the model's probabilities and the annotators' votes that the consensus
quality scores are read from). cleanlab is fast enough here (about a second for 100,000 examples
× 5 annotators × 10 classes); what it prints and warns is silenced, and its last-resort random
tie-break (`np.random.choice`) draws from a fixed seed, so a report is reproducible.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labelaudit.errors import InvalidInputError

# cleanlab's np.random.choice between labels still tied after its three tie-breaks draws from
# this seed (the global state is restored afterwards), so two audits of one file agree.
TIE_BREAK_SEED = 0


@dataclass(frozen=True)
class Crowdlab:
    """CROWDLAB's answer for N examples labelled by M annotators over K classes.

    Per example (N,): consensus_label and num_annotations (int64), consensus_quality_score and
    annotator_agreement (float64), post_pred_probs (N×K, the posterior). Per annotator (M,), in
    the input's column order: annotator_quality, agreement_with_consensus (float64, NaN where
    cleanlab has none), worst_class and num_examples_labeled (int64). model_weight and
    annotator_weight are CROWDLAB's weights.
    """

    consensus_label: np.ndarray
    consensus_quality_score: np.ndarray
    annotator_agreement: np.ndarray
    num_annotations: np.ndarray
    post_pred_probs: np.ndarray
    annotators: list[str]
    annotator_quality: np.ndarray
    agreement_with_consensus: np.ndarray
    worst_class: np.ndarray
    num_examples_labeled: np.ndarray
    model_weight: float
    annotator_weight: np.ndarray


def check_annotations(
    labels_multiannotator: np.ndarray,
    k: int,
    *,
    annotators: Sequence[str] | None = None,
    source: str = "labels_multiannotator",
) -> None:
    """Refuse, in one sentence, what CROWDLAB cannot take: an N×M float array (NaN = not
    labelled) whose cells must be class indices in [0, K), every row and every annotator with at
    least one label, at least two annotators and at least one row labelled twice."""
    L = labels_multiannotator
    if L.ndim != 2:
        raise InvalidInputError(f"{source} must be N×M (examples × annotators), got {L.shape}.")
    names = list(annotators) if annotators is not None else [str(m) for m in range(L.shape[1])]
    labelled = ~np.isnan(L)
    if L.shape[1] < 2:
        raise InvalidInputError(
            f"{source} has {L.shape[1]} annotator column(s); CROWDLAB needs at least two (with "
            "one label per example, audit --labels instead)."
        )
    empty_columns = np.flatnonzero(~labelled.any(axis=0))
    if len(empty_columns):
        raise InvalidInputError(
            f"{source}: annotator {names[empty_columns[0]]!r} labelled no example; drop the column."
        )
    empty_rows = np.flatnonzero(~labelled.any(axis=1))
    if len(empty_rows):
        raise InvalidInputError(
            f"{source}: row {empty_rows[0]} has no annotation; every example needs at least one."
        )
    cells = np.where(labelled, L, 0)
    fractional = np.mod(cells, 1) != 0
    if fractional.any():
        row, col = (int(v) for v in np.argwhere(fractional)[0])
        raise InvalidInputError(
            f"{source}: row {row}, annotator {names[col]!r} has label {L[row, col]:g}, which is "
            "not an integer class index."
        )
    outside = (cells < 0) | (cells >= k)
    if outside.any():
        row, col = (int(v) for v in np.argwhere(outside)[0])
        raise InvalidInputError(
            f"{source}: row {row}, annotator {names[col]!r} has class {L[row, col]:g}, outside "
            f"[0, {k}) for the {k} probability columns."
        )
    if not (labelled.sum(axis=1) > 1).any():
        raise InvalidInputError(
            f"{source}: every example has exactly one annotation; CROWDLAB needs examples "
            "labelled by two or more annotators to weigh them."
        )


def get_label_quality_multiannotator(
    labels_multiannotator,
    pred_probs: np.ndarray,
    *,
    annotators: Sequence[str] | None = None,
    source: str = "labels_multiannotator",
) -> Crowdlab:
    """cleanlab's `multiannotator.get_label_quality_multiannotator(labels_multiannotator,
    pred_probs)` with its defaults, and the CROWDLAB posterior, as one Crowdlab.

    labels_multiannotator: a DataFrame with one column per annotator (its names are the
    annotators) or an N×M array, NaN where an annotator did not label; pred_probs: N×K.
    annotators names the columns of an array, source the annotations in error messages.
    """
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator as cleanlab_crowdlab

    if isinstance(labels_multiannotator, pd.DataFrame):
        annotators = [str(c) for c in labels_multiannotator.columns]
        labels_multiannotator = labels_multiannotator.astype(float).to_numpy()
    L = np.asarray(labels_multiannotator, dtype=float)
    P = np.asarray(pred_probs)
    if P.ndim != 2 or len(P) != len(L):
        raise InvalidInputError(
            f"pred_probs must be N×K with the N={len(L)} rows of the annotations, got {P.shape}."
        )
    check_annotations(L, P.shape[1], annotators=annotators, source=source)
    names = list(annotators) if annotators is not None else [str(m) for m in range(L.shape[1])]
    with _quiet_and_seeded():
        result = cleanlab_crowdlab(
            pd.DataFrame(L, columns=pd.RangeIndex(L.shape[1])),
            P,
            return_detailed_quality=True,  # annotator_quality averages these
            return_weights=True,
            verbose=False,
        )
    quality = result["label_quality"]
    consensus = quality["consensus_label"].to_numpy().astype(np.int64)
    agreement = quality["annotator_agreement"].to_numpy(dtype=np.float64)
    num = quality["num_annotations"].to_numpy().astype(np.int64)
    stats = result["annotator_stats"].sort_index()  # cleanlab sorts by quality; back to columns
    posterior = posterior_pred_probs(
        L, P, num, agreement, result["model_weight"], result["annotator_weight"]
    )
    return Crowdlab(
        consensus_label=consensus,
        consensus_quality_score=quality["consensus_quality_score"].to_numpy(dtype=np.float64),
        annotator_agreement=agreement,
        num_annotations=num,
        post_pred_probs=posterior,
        annotators=names,
        annotator_quality=stats["annotator_quality"].to_numpy(dtype=np.float64),
        agreement_with_consensus=stats["agreement_with_consensus"].to_numpy(dtype=np.float64),
        worst_class=stats["worst_class"].to_numpy().astype(np.int64),
        num_examples_labeled=stats["num_examples_labeled"].to_numpy().astype(np.int64),
        model_weight=float(result["model_weight"]),
        annotator_weight=np.asarray(result["annotator_weight"], dtype=np.float64),
    )


def posterior_pred_probs(L, P, num_annotations, annotator_agreement, model_weight, weights):
    """CROWDLAB's posterior N×K, as cleanlab's `_get_post_pred_probs_and_weights` forms it from
    the returned weights: (model_weight · P + Σ over the example's annotators of weight_m ·
    (c if their label is the class, else (1 − c)/(K − 1))) / (model_weight + Σ weight_m), where
    c is the mean annotator agreement over examples with more than one annotation. cleanlab
    computes the same posterior for the consensus it returns but does not hand it back; the sums
    run in its order (annotator by annotator), so every value is bit for bit its own and an
    argmax tie stays a tie."""
    k = P.shape[1]
    consensus_likelihood = np.mean(annotator_agreement[num_annotations != 1])
    non_consensus_likelihood = (1 - consensus_likelihood) / (k - 1)
    labelled = ~np.isnan(L)
    annotation_weight = np.zeros(len(L))
    posterior = np.empty(P.shape, dtype=np.float64)  # float64 whatever P is, as cleanlab's
    posterior[...] = P * model_weight
    classes = np.arange(k)
    for m in range(L.shape[1]):
        rows = labelled[:, m]
        annotation_weight[rows] += weights[m]
        posterior[rows] += np.where(
            L[rows, m][:, None] == classes,
            weights[m] * consensus_likelihood,
            weights[m] * non_consensus_likelihood,
        )
    return posterior / (annotation_weight + model_weight)[:, None]


@contextlib.contextmanager
def _quiet_and_seeded():
    """cleanlab's prints and warnings silenced, and its random tie-break seeded, the global
    NumPy random state restored afterwards."""
    state = np.random.get_state()
    np.random.seed(TIE_BREAK_SEED)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)
