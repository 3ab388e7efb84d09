"""Why each row was flagged: `given_prob`, `given_threshold` and `explanation` (docs/report-schema.md).

given_prob and given_threshold are O(N) gathers. A sentence is built only for the flagged rows,
from what decided the flag under the method in use: the confident-joint cell whose pruning took
the row (prune_by_noise_rate), its class's lowest self-confidences (prune_by_class), the class
that passed its threshold (confident_learning), the score cut (low_*), or the error posterior and
its cut (labelaudit's adaptive default). Reads of pred_probs touch only the flagged rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelaudit.confident._blocks import ClassGroups, gather, row_blocks
from labelaudit.confident.thresholds import self_confidence, thresholds_from_groups

ARROW = "→"
# cleanlab's slack when testing a probability against its class threshold (joint.THRESHOLD_SLACK).
THRESHOLD_SLACK = 1e-6


def p(value: float) -> str:
    """A probability as the sentences write it: two decimals, or one significant digit below 0.01."""
    value = float(value)
    return f"{value:.2f}" if value >= 0.005 or value == 0 else f"{value:.0e}"


def given_columns(labels: np.ndarray, pred_probs, thresholds=None) -> dict[str, np.ndarray]:
    """given_prob = P[i, y_i] (N,) and given_threshold = t[y_i] (N,), both float64; t (K,) is
    cleanlab's per-class threshold (mean P(k | x) over rows labelled k), computed when not given."""
    sc = self_confidence(labels, pred_probs)
    if thresholds is None:
        thresholds = thresholds_from_groups(sc, ClassGroups.of(labels, pred_probs.shape[1]))
    t = np.asarray(thresholds, dtype=np.float64)
    return {"given_prob": np.asarray(sc, dtype=np.float64), "given_threshold": t[labels]}


class Sentences:
    """Builds the sentences of the flagged rows `rows` (F,) of a single-label report."""

    def __init__(self, columns: dict[str, np.ndarray], rows: np.ndarray, names, k: int) -> None:
        self.rows = rows
        self.names = names
        self.counts = np.bincount(columns["given_label"], minlength=k)  # examples per class
        self.y = columns["given_label"][rows]
        self.s = columns["suggested_label"][rows]
        self.ps = columns["suggestion_confidence"][rows]
        self.py = columns["given_prob"][rows]
        self.ty = columns["given_threshold"][rows]
        self.top = None  # the model's argmax of each flagged row, where known

    def name(self, k: int) -> str:
        return str(self.names[k]) if self.names is not None else f"class {k}"

    def given(self, f: int) -> str:
        """'P(three) = 0.02 (threshold 0.41)' for the f-th flagged row."""
        return f"P({self.name(self.y[f])}) = {p(self.py[f])} (threshold {p(self.ty[f])})"

    def model(self, f: int) -> str:
        """What the suggestion is: the model's top class, or the noise posterior's choice."""
        said = f"{self.name(self.s[f])} ({p(self.ps[f])})"
        if self.top is None or self.top[f] == self.s[f]:
            return f"the model says {said}"
        return f"suggested {said}, the noise posterior's choice over the model's {self.name(self.top[f])}"

    def swap(self, f: int, true: int | None = None) -> str:
        true = self.s[f] if true is None else true
        return f"{self.name(self.y[f])}{ARROW}{self.name(true)}"


def classification_explanations(
    columns: dict[str, np.ndarray],
    pred_probs,
    result,
    *,
    detector: str,
    options: dict[str, Any],
    class_names,
    members: list | None = None,
) -> np.ndarray:
    """The explanation column (N,) object: a sentence per flagged row, None elsewhere.

    columns: the report's columns with given_prob and given_threshold; result: the
    DetectorResult; options: the detector's options (filter_by None: the adaptive default)."""
    n = len(columns["row"])
    out = np.full(n, None, dtype=object)
    rows = np.flatnonzero(columns["is_label_issue"])
    if not len(rows):
        return out
    s = Sentences(columns, rows, class_names, pred_probs.shape[1])
    if result.predicted_label is not None:
        s.top = np.asarray(result.predicted_label)[rows]
    method = options.get("filter_by") if detector == "confident_learning" else None
    if detector != "confident_learning":
        quality = columns["label_quality"][rows]
        first = [f"flagged by {detector} (label_quality {p(q)})" for q in quality]
    elif result.details.get("default_rule"):
        first = _adaptive(s, result.details["default_rule"], result.explain, members)
    else:
        first = _cleanlab(s, method or "prune_by_noise_rate", pred_probs, result, options)
    agree = _agreement(members, rows, s.s)
    text = []
    for f, head in enumerate(first):
        parts = [head, s.given(f), s.model(f)]
        if agree is not None:
            parts.append(f"{agree[f]}/{len(members)} models say {s.name(s.s[f])}")
        text.append("; ".join(parts))
    out[rows] = text
    return out


def _agreement(members, rows: np.ndarray, suggested: np.ndarray) -> np.ndarray | None:
    """How many ensemble members' argmax is the suggestion, per flagged row (None for one model)."""
    if members is None or len(members) < 2:
        return None
    votes = np.zeros(len(rows), dtype=np.int64)
    for member in members:
        for part in row_blocks(len(rows), member.shape[1]):
            block = np.asarray(member[rows[part]])
            votes[part] += block.argmax(axis=1) == suggested[part]
    return votes


def _adaptive(s: Sentences, rule: dict, facts: dict, members) -> list[str]:
    """The error posterior of each flagged row and the cut of the expected-F1 count."""
    from labelaudit.confident.adaptive import _logit, low_component_posterior

    bayes = np.asarray(facts["posterior"], dtype=np.float64)[s.rows]
    low = np.zeros(len(s.rows))
    if rule.get("decision") == "noise_posterior_and_mixture":
        # adaptive.py step 5, with the mixture recorded in the decision (to 6 decimals)
        x = _logit(facts["self_confidence"][s.rows])
        low = low_component_posterior(rule["evidence"]["mixture"], x)
    q = np.maximum(bayes, low)
    evidence = rule["evidence"]
    combined = f" of {len(members)} models combined" if members and len(members) > 1 else ""
    tail = (
        f", above the cut {p(q.min())} ({rule['num_flagged']} of "
        f"{evidence['num_candidates_predicted_neq_given']} disagreements flagged, the count that "
        f"maximises the expected F1, {evidence['expected_f1']:.2f})"
    )
    out = []
    for b, m in zip(bayes.tolist(), low.tolist(), strict=True):
        if m > b:
            head = f"error posterior {p(m)}, from the low self-confidence mixture component"
            head += f" (Bayes posterior{combined} {p(b)})"
        else:
            head = f"error posterior{combined} {p(b)}"
        out.append(head + tail)
    return out


def _cleanlab(s: Sentences, method: str, pred_probs, result, options: dict) -> list[str]:
    """What cleanlab's filter_by rule was for each flagged row."""
    from labelaudit.confident.methods import LOW_SCORE_METHODS, PRUNING_METHODS

    if method == "predicted_neq_given":
        return [f"the model's top class is not the given {s.name(y)}" for y in s.y]
    if method in LOW_SCORE_METHODS:
        score = method.removeprefix("low_")
        return _low_score(s, score, pred_probs)
    if method == "confident_learning":
        return _confident_joint(s, pred_probs, result.details["thresholds"])
    if method not in PRUNING_METHODS:
        return [f"flagged by {method}"] * len(s.rows)
    pcm = _prune_counts(s, result.explain["joint"], options)
    out = []
    by_class = _class_cut(s, pcm) if method != "prune_by_noise_rate" else None
    swaps = _swap_cells(s, pred_probs, pcm) if method != "prune_by_class" else None
    for f in range(len(s.rows)):
        parts = []
        if swaps is not None:
            true, count, margin = swaps[f]
            if true < 0:
                parts.append(f"one of the likeliest {s.name(s.y[f])} swaps in the confident joint")
            else:
                parts.append(
                    f"one of the {count} likeliest {s.swap(f, true)} swaps in the confident "
                    f"joint (P({s.name(true)}) − P({s.name(s.y[f])}) = {p(margin)})"
                )
        if by_class is not None:
            parts.append(
                f"one of the {by_class[f]} lowest P({s.name(s.y[f])}) among rows labelled "
                f"{s.name(s.y[f])}"
            )
        out.append(", and ".join(parts))
    return out


def _prune_counts(s: Sentences, joint, options: dict):
    """cleanlab's prune-count matrix PCM[j, k] (rows labelled k to prune as true j) from the
    confident joint the detector pruned with, under the audit's options."""
    from labelaudit.confident.prune import prune_count_matrix

    return prune_count_matrix(
        joint,
        min_examples_per_class=options.get("min_examples_per_class", 1),
        frac_noise=options.get("frac_noise", 1.0),
        num_to_remove_per_class=options.get("num_to_remove_per_class"),
        label_counts=s.counts,
    )


def _class_cut(s: Sentences, pcm) -> np.ndarray:
    """prune_by_class's count per flagged row: n_k − PCM[k, k] rows of lowest P(k) in class k."""
    keep = np.asarray(pcm.diagonal())
    return s.counts[s.y] - keep[s.y]


def _swap_cells(s: Sentences, pred_probs, pcm) -> list[tuple[int, int, float]]:
    """Per flagged row (true j, PCM[j, k], margin): the cell (given k, true j) whose pruning took
    it, i.e. the row is among the PCM[j, k] largest P(j) − P(k) of its class.

    A cell's picks are all flagged (prune_by_noise_rate), so they are its PCM[j, k] largest
    margins among the flagged rows of class k; only those rows are read. Where several cells
    took a row, the suggested class's cell is named, else the one with the largest margin.
    (-1, 0, 0.0) when no cell is found (ties at a cut)."""
    from labelaudit.confident.prune import _positive_cells

    true, cls, q = _positive_cells(pcm)
    off = true != cls
    true, cls, q = true[off], cls[off], q[off]
    found: list[tuple[int, int, float]] = [(-1, 0, 0.0)] * len(s.rows)
    order = np.argsort(s.y, kind="stable")
    bounds = np.searchsorted(s.y[order], np.arange(len(pcm) + 1))
    starts = np.searchsorted(cls, np.arange(len(pcm) + 1))
    for k in np.flatnonzero(np.diff(bounds)):
        mine = order[bounds[k] : bounds[k + 1]]
        js, qs = true[starts[k] : starts[k + 1]], q[starts[k] : starts[k + 1]]
        if not len(js):
            continue
        rows = s.rows[mine]
        margin = gather(pred_probs, rows[:, None], js[None, :]) - s.py[mine][:, None]
        margin = np.asarray(margin, dtype=np.float64)
        picked = np.zeros(margin.shape, dtype=bool)
        for c, take in enumerate(qs.tolist()):
            top = np.argsort(-margin[:, c], kind="stable")[: int(take)]
            picked[top, c] = margin[top, c] > 0
        for local, f in enumerate(mine.tolist()):
            cells = np.flatnonzero(picked[local])
            if not len(cells):
                continue
            own = cells[js[cells] == s.s[f]]
            c = own[0] if len(own) else cells[np.argmax(margin[local, cells])]
            found[f] = (int(js[c]), int(qs[c]), float(margin[local, c]))
    return found


def _low_score(s: Sentences, score: str, pred_probs) -> list[str]:
    """low_self_confidence / low_normalized_margin: the row is among the lowest scores, as many
    as the confident joint's off-diagonal count."""
    from labelaudit.confident.rank import scores_for

    count = len(s.rows)
    if score == "self_confidence":
        return [f"one of the {count} lowest self-confidences P(given)"] * count
    values = np.empty(count)
    for part in row_blocks(count, pred_probs.shape[1]):
        block = np.asarray(pred_probs[s.rows[part]])
        values[part] = scores_for(s.y[part], block, score)
    return [f"one of the {count} lowest normalized margins ({p(v)})" for v in values]


def _confident_joint(s: Sentences, pred_probs, thresholds) -> list[str]:
    """confident_learning: the row sits off the diagonal of the confident joint, counted under
    the class cleanlab guesses (the only class at its threshold, else the argmax of two or more)."""
    t = np.asarray(thresholds, dtype=np.float64)
    out = []
    for part in row_blocks(len(s.rows), pred_probs.shape[1]):
        block = np.asarray(pred_probs[s.rows[part]], dtype=np.float64)
        passing = block >= t - THRESHOLD_SLACK
        count = passing.sum(axis=1)
        guess = np.where(count > 1, block.argmax(axis=1), passing.argmax(axis=1))
        for i, f in enumerate(range(part.start, part.stop)):
            j = int(guess[i])
            which = "the only class" if count[i] == 1 else f"the likeliest of {count[i]} classes"
            out.append(
                f"counted as a {s.swap(f, j)} swap in the confident joint: P({s.name(j)}) = "
                f"{p(block[i, j])} reaches its threshold {p(t[j])}, {which} that does"
            )
    return out


def dynamics_explanations(td, name: str, result, flagged: np.ndarray, class_names) -> np.ndarray:
    """The explanation column (N,) of a dynamics report: what the primary detector `name` saw in
    the training dynamics `td` (labelaudit.dynamics.TrainingDynamics; `result` is that detector's
    own) for each `flagged` (N,) row, then when the row was learned and how often forgotten;
    None where not flagged."""
    out = np.full(td.n, None, dtype=object)
    rows = np.flatnonzero(flagged)
    numbers = td.epoch_numbers
    span = f"epochs {int(numbers[0])}–{int(numbers[-1])}"

    def cls(k) -> str:
        return str(class_names[k]) if class_names is not None else f"class {int(k)}"

    saw = _DYNAMICS_FACTS.get(name)
    for i in rows.tolist():
        y, s = int(td.labels[i]), int(result.suggested_label[i])
        onset = int(numbers[td.row_onset[i]])
        facts = [] if saw is None else [saw(td, i, y, s, onset, cls)]
        if name != "learning-time":
            facts.append(_learned(td, i, onset, span, cls(y)))
        if name != "forgetting" and not td.never_learned[i]:
            facts.append(f"forgotten {_times(int(td.forgetting[i]))}")
        out[i] = "; ".join(facts)
    return out


LEARNED_RUN = 3  # dynamics.analysis: learned = the first of 3 consecutive correct epochs


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _learned(td, i: int, onset: int, span: str, given: str) -> str:
    """When the row's given label was learned (FkL), against its class's memorisation onset."""
    if td.never_learned[i]:
        return f"never predicted as {given} ({span})"
    when = int(td.learning_time[i])
    if when > int(td.epoch_numbers[-1]):
        return f"never predicted as {given} for {LEARNED_RUN} epochs in a row ({span})"
    late = "late" if when > onset else "early"
    return f"learned {late}, at epoch {when} ({span}; {given} memorised from epoch {onset})"


def _elr(td, i, y, s, onset, cls) -> str:
    q = td.elr_target[i]
    return (
        f"the early-learning target (ELR) at epoch {onset} prefers {cls(s)} ({p(q[s])}) to "
        f"{cls(y)} ({p(q[y])})"
    )


def _adele(td, i, y, s, onset, cls) -> str:
    q = td.snapshot[i]
    return (
        f"at epoch {onset}, when {cls(y)} starts being memorised, the model gave {cls(s)} "
        f"{p(q[s])} and {cls(y)} {p(q[y])}"
    )


def _aum(td, i, y, s, onset, cls) -> str:
    return (
        f"the area under the margin of {cls(y)} up to epoch {onset} is {td.margin[i]:.2f} "
        f"(below 0: another class led; {cls(s)} is the runner-up)"
    )


def _cartography(td, i, y, s, onset, cls) -> str:
    mean = td.mean_probs[i]
    return (
        f"up to epoch {onset} the mean prediction is {cls(s)} ({p(mean[s])}); confidence in "
        f"{cls(y)} {p(td.confidence[i])}, variability {p(td.variability[i])}, correct in "
        f"{td.correctness[i]:.0%} of those epochs"
    )


def _forgetting(td, i, y, s, onset, cls) -> str:
    if td.never_learned[i]:
        return f"never predicted as {cls(y)}; the model mostly said {cls(s)}"
    return f"forgotten {_times(int(td.forgetting[i]))}; the model otherwise said {cls(s)}"


def _learning_time(td, i, y, s, onset, cls) -> str:
    numbers = td.epoch_numbers
    span = f"epochs {int(numbers[0])}–{int(numbers[-1])}"
    when = int(td.learning_time[i])
    if td.never_learned[i] or when > int(numbers[-1]):
        return f"not learned as {cls(y)} ({span}), though {cls(y)} was memorised from epoch {onset}"
    return (
        f"learned late, at epoch {when} ({span}), after {cls(y)} was memorised from epoch {onset}"
    )


_DYNAMICS_FACTS = {
    "elr": _elr,
    "adele": _adele,
    "aum": _aum,
    "cartography": _cartography,
    "forgetting": _forgetting,
    "learning-time": _learning_time,
}


def combined_suffix(columns: dict[str, np.ndarray], rows: np.ndarray, class_names) -> list[str]:
    """For a dynamics report combined with out-of-sample probabilities: P(given) and its threshold,
    and the combined posterior's suggestion, per flagged row."""
    s = Sentences(columns, rows, class_names, 0)
    return [
        f"out of sample {s.given(f)}; the combined posterior says {s.name(s.s[f])} ({p(s.ps[f])})"
        for f in range(len(rows))
    ]


def multilabel_explanations(
    one_hot: np.ndarray,
    pred_probs: np.ndarray,
    columns: dict[str, np.ndarray],
    *,
    filter_by: str,
    class_names,
) -> np.ndarray:
    """The explanation column (N,) of a multi-label report: per flagged row, each class whose
    one-vs-rest audit flagged it (given with a low P(class), or missing with a high one); under
    the low_* methods, the row's score. one_hot (N, K) the given sets, pred_probs (N, K)."""
    out = np.full(len(one_hot), None, dtype=object)
    rows = np.flatnonzero(columns["is_label_issue"])

    def cls(k) -> str:
        return str(class_names[k]) if class_names is not None else f"class {int(k)}"

    for i in rows.tolist():
        issues = columns["issue_classes"][i].tolist()
        if not issues:
            out[i] = (
                f"one of the {len(rows)} lowest label-quality scores "
                f"({p(columns['label_quality'][i])}) under {filter_by}"
            )
            continue
        parts = [
            f"{cls(c)} is given but P({cls(c)}) = {p(pred_probs[i, c])}"
            if one_hot[i, c]
            else f"{cls(c)} is missing but P({cls(c)}) = {p(pred_probs[i, c])}"
            for c in issues
        ]
        out[i] = f"{filter_by} on each class one-vs-rest: " + "; ".join(parts)
    return out
