"""Confident learning as a Detector: cleanlab's find_label_issues + label quality scores."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelaudit.confident._blocks import row_blocks
from labelaudit.confident.adaptive import (
    adaptive_mask,
    combine_posteriors,
    error_posterior,
    posterior_and_suggestion,
)
from labelaudit.confident.ensemble import mean_of_joints, member_joints
from labelaudit.confident.filter import ConfidentAnalysis, issue_mask
from labelaudit.confident.latent import estimate_latent
from labelaudit.confident.methods import PRUNING_METHODS
from labelaudit.confident.rank import scores_for
from labelaudit.confident.sparse_joint import SparseJoint
from labelaudit.confident.sparse_joint import noise_matrix as sparse_noise_matrix
from labelaudit.detectors.base import DetectorResult

SUGGESTIONS = ("argmax", "noise_posterior")


def noise_posterior_suggestion(
    labels: np.ndarray, pred_probs, joint: np.ndarray | SparseJoint
) -> np.ndarray:
    """For rows whose label is believed wrong: argmax over j != y of P(j | x) · P(given=y | true=j).

    Bayes' rule with the estimated noise matrix (columns of the confident joint normalised):
    among the classes the model finds plausible, prefer those that are often mislabelled as the
    given class. Rows where no other class has any such evidence fall back to the model's best
    other class. `pred_probs` holds just these rows; they are processed in cache-sized blocks.
    """
    noise_rows = _noise_rows(joint)
    n, k = len(labels), joint.shape[0]
    best = np.empty(n, dtype=np.int64)
    for rows in row_blocks(n, k):
        y = labels[rows]
        block = np.asarray(pred_probs[rows], dtype=np.float64)
        index = np.arange(len(y))
        posterior = block * noise_rows(y)
        posterior[index, y] = -np.inf
        choice = posterior.argmax(axis=1)
        no_evidence = posterior[index, choice] <= 0
        if no_evidence.any():
            block[index, y] = -np.inf
            choice[no_evidence] = block[no_evidence].argmax(axis=1)
        best[rows] = choice
    return best


def _noise_rows(joint: np.ndarray | SparseJoint):
    """A function giving rows y of the noise matrix P(given=i | true=j) (columns of the joint
    normalised); a sparse joint gives each block's rows densely, never the K×K matrix."""
    if isinstance(joint, SparseJoint):
        matrix = joint.matrix.astype(np.float64)
        column_sums = np.clip(np.asarray(matrix.sum(axis=0)), 1e-100, None)  # integers: exact
        return lambda y: matrix[y].toarray() / column_sums
    dense = np.asarray(joint, dtype=np.float64)
    noise = dense / np.clip(dense.sum(axis=0, keepdims=True), 1e-100, None)
    return lambda y: noise[y]


# How many standard errors of the members' mean issue count the averaged probabilities' count
# may differ by before the average is judged to have lost the members' evidence (~95%).
ENSEMBLE_Z = 2.0


def ensemble_joint(
    labels: np.ndarray,
    members: list,
    averaged_joint: np.ndarray,
    joints: list[np.ndarray] | None = None,
):
    """The joint to prune an ensemble with, and the evidence for the choice.

    Each member's calibrated confident joint estimates the number of wrong labels, n − trace.
    When the averaged probabilities' estimate lies within ENSEMBLE_Z standard errors of the
    members' mean, averaging kept their evidence and cleanlab's joint of the average is used;
    otherwise (models that disagree average into unconfident rows) the members' mean joint is.
    `joints`: the members' calibrated joints when already computed.
    """
    if joints is None:
        joints = member_joints(labels, members)
    n = len(labels)
    counts = np.array([n - j.trace() for j in joints], dtype=np.float64)
    mean = float(counts.mean())
    stderr = float(counts.std(ddof=1) / np.sqrt(len(counts)))
    averaged = float(n - averaged_joint.trace())
    consistent = abs(averaged - mean) <= ENSEMBLE_Z * stderr
    evidence = {
        "member_issue_counts": counts.tolist(),
        "member_mean": round(mean, 2),
        "member_stderr": round(stderr, 2),
        "averaged_issue_count": averaged,
        "joint": "pred_probs" if consistent else "member_average",
    }
    if consistent:
        return averaged_joint, evidence
    return mean_of_joints(joints), evidence


class ConfidentLearning:
    """Flags with a filter_by method, scores and ranks with a rank_by method.

    Contract for callers (the audit pipeline):

    - filter_by=None is labelaudit's adaptive default (confident/adaptive.py,
      docs/default-rule.md): the confident joint is the mean of the members' calibrated joints when
      `members` (each an (N, K) matrix; pred_probs is their mean) are given, suggestions use the
      noise posterior, and the flags are the candidates with the highest error posterior, as
      many as maximise the expected F1 (for an ensemble, the members' posteriors, each from its
      own calibrated joint, combined as independent evidence). The decision is in details["default_rule"].
    - Any explicit filter_by gives exactly cleanlab 2.9's find_label_issues answer on pred_probs.
    - Pass filter_by=None only when the user gave none of cleanlab's options. As a guard, a
      non-default frac_noise, num_to_remove_per_class, min_examples_per_class, calibrate=False,
      rank_by or confident_joint also switches the rule off (prune_by_noise_rate, exactly
      cleanlab's), so an explicit option can never be overridden by the rule.
    """

    name: ClassVar[str] = "confident_learning"
    summary: ClassVar[str] = (
        "Confident learning (Northcutt et al.): per-class thresholds, confident joint, pruning; "
        "any explicit filter_by is exactly cleanlab 2.9's find_label_issues, none is labelaudit's "
        "adaptive default."
    )

    def __init__(
        self,
        *,
        filter_by: str | None = None,
        rank_by: str = "self_confidence",
        frac_noise: float = 1.0,
        num_to_remove_per_class: list[int] | None = None,
        min_examples_per_class: int = 1,
        calibrate: bool = True,
        confident_joint: np.ndarray | None = None,
        suggestion: str | None = None,
        members: list[np.ndarray] | None = None,
    ) -> None:
        explicit = (
            rank_by != "self_confidence"
            or frac_noise != 1.0
            or num_to_remove_per_class is not None
            or min_examples_per_class != 1
            or not calibrate
            or confident_joint is not None
        )
        self.adaptive = filter_by is None and not explicit
        self.filter_by = filter_by or "prune_by_noise_rate"
        self.members = members if members is not None and len(members) > 1 else None
        if suggestion is None:
            suggestion = "noise_posterior" if self.adaptive else "argmax"
        self.rank_by = rank_by
        self.frac_noise = frac_noise
        self.num_to_remove_per_class = num_to_remove_per_class
        self.min_examples_per_class = min_examples_per_class
        self.calibrate = calibrate
        self.confident_joint = confident_joint  # a joint estimated elsewhere (ensemble members)
        if suggestion not in SUGGESTIONS:
            raise ValueError(
                f"suggestion must be one of {', '.join(SUGGESTIONS)}, got {suggestion!r}."
            )
        self.suggestion = suggestion

    def detect(self, labels: np.ndarray, pred_probs: np.ndarray) -> DetectorResult:
        analysis = ConfidentAnalysis.of(labels, pred_probs)
        calibrated = analysis.calibrated_joint()
        # --no-calibrate: prune with the raw confident joint, as a cleanlab user would by passing
        # compute_confident_joint(calibrate=False) to find_label_issues.
        ensemble_evidence = None
        joints = None
        if self.confident_joint is not None:
            joint = np.asarray(self.confident_joint)
        elif self.adaptive and self.members is not None:
            joints = member_joints(labels, self.members)
            joint, ensemble_evidence = ensemble_joint(labels, self.members, calibrated, joints)
        else:
            joint = calibrated if self.calibrate else analysis.raw_joint()
        rule = fused = None
        explain = {"joint": joint, "self_confidence": analysis.self_confidence}
        if self.adaptive:
            # The rule replaces cleanlab's pruning, so no prune_by_noise_rate pass runs here.
            candidates = (analysis.stats.argmax != labels) & ~analysis.given_is_argmax()
            if joints is None:  # one model: the suggestions come from the posterior's own gather
                posterior, fused = posterior_and_suggestion(
                    labels, pred_probs, joint, analysis.self_confidence
                )
            else:
                posterior = combine_posteriors(
                    [
                        error_posterior(labels, m, j)
                        for m, j in zip(self.members, joints, strict=True)
                    ]
                )
            mask, rule = adaptive_mask(
                labels, analysis.self_confidence, candidates, calibrated, posterior
            )
            explain["posterior"] = posterior
            rule["joint"] = "pred_probs"
            if ensemble_evidence is not None:
                rule["joint"] = ensemble_evidence["joint"]
                rule["evidence"]["ensemble"] = ensemble_evidence
        else:
            mask = issue_mask(
                analysis,
                filter_by=self.filter_by,
                frac_noise=self.frac_noise,
                num_to_remove_per_class=self.num_to_remove_per_class,
                min_examples_per_class=self.min_examples_per_class,
                confident_joint=joint if self.filter_by in PRUNING_METHODS else None,
            )
        raw_scores = scores_for(labels, pred_probs, self.rank_by)  # P's dtype, as cleanlab's
        flagged = np.flatnonzero(mask)
        # Scores depend on their own row only, so the flagged rows' scores are these very
        # values and np.argsort over them is cleanlab's order (rank_flagged, without rescoring).
        ranking = flagged[np.argsort(raw_scores[flagged])]
        if isinstance(calibrated, SparseJoint):
            noise_matrix = sparse_noise_matrix(calibrated)
        else:
            _, noise_matrix, _ = estimate_latent(calibrated, labels)  # cleanlab's defaults
        suggested = analysis.stats.argmax.astype(np.int64)
        if self.suggestion == "noise_posterior" and fused is not None:
            # Flagged rows are candidates (argmax != label), so where no flip has evidence the
            # model's best other class is its argmax, as noise_posterior_suggestion falls back.
            best = fused(flagged)
            suggested[flagged] = np.where(best >= 0, best, suggested[flagged])
        elif self.suggestion == "noise_posterior":
            suggested[flagged] = noise_posterior_suggestion(
                labels[flagged], _Rows(pred_probs, flagged), joint
            )
        details = _details(calibrated, noise_matrix, analysis.thresholds)
        if rule is not None:
            details["default_rule"] = rule
        return DetectorResult(
            label_quality=raw_scores.astype(np.float64),
            is_label_issue=mask,
            suggested_label=suggested,
            ranking=ranking,
            details=details,
            predicted_label=analysis.stats.argmax,
            explain=explain,
        )


# Up to this many classes the report metadata keeps the full K×K matrices; beyond, only the
# largest estimated flips (a 1000×1000 matrix would add ~20 MB of JSON to every report).
MAX_MATRIX_CLASSES = 100
LARGEST_FLIPS = 50


def _details(
    joint: np.ndarray | SparseJoint, noise_matrix: np.ndarray | SparseJoint, thresholds: np.ndarray
) -> dict:
    """Report metadata: thresholds always; matrices in full up to MAX_MATRIX_CLASSES, else only
    their largest off-diagonal rates (never a K×K list)."""
    k = len(noise_matrix)
    details = {"thresholds": np.asarray(thresholds, dtype=np.float64).tolist()}
    if k <= MAX_MATRIX_CLASSES:
        details["confident_joint"] = (
            joint.toarray().tolist() if isinstance(joint, SparseJoint) else joint.tolist()
        )
        details["noise_matrix"] = _dense(noise_matrix).tolist()
        return details
    details["largest_flips"] = largest_flips(noise_matrix)
    return details


def _dense(matrix: np.ndarray | SparseJoint) -> np.ndarray:
    return matrix.toarray() if isinstance(matrix, SparseJoint) else np.asarray(matrix)


def largest_flips(noise_matrix: np.ndarray | SparseJoint) -> list[dict]:
    """The LARGEST_FLIPS largest positive off-diagonal rates P(given | true), largest first;
    equal rates in (given, true) order, so a dense and a sparse matrix list the same flips."""
    if isinstance(noise_matrix, SparseJoint):
        given, true, rate = noise_matrix.cells()
    else:
        given, true = np.nonzero(noise_matrix)
        rate = noise_matrix[given, true]
    keep = (given != true) & (rate > 0)
    given, true, rate = given[keep], true[keep], rate[keep]
    top = np.lexsort((true, given, -rate))[:LARGEST_FLIPS]
    return [{"true": int(true[i]), "given": int(given[i]), "rate": float(rate[i])} for i in top]


class _Rows:
    """A lazy row subset: slicing it gathers only that block of rows (bounded memory)."""

    def __init__(self, matrix, rows: np.ndarray) -> None:
        self.matrix, self.rows = matrix, rows

    def __getitem__(self, block: slice) -> np.ndarray:
        return np.asarray(self.matrix[self.rows[block]])
