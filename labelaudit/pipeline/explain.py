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
    """A probability as the sentences write it: two decimals, or one significant digit below 0.005."""
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


def fmt(values) -> np.ndarray:
    """Numbers (F,) as p() writes them, as an object array of str. Each value is first rounded to
    what p() shows, so only the few distinct shown values are formatted."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    tiny = (np.abs(values) < 0.005) & (values != 0)
    for group, spec in ((~tiny, ".2f"), (tiny, ".0e")):
        v = values[group]
        if not len(v):
            continue
        if spec == ".2f":
            shown = np.rint(v * 100) / 100
        else:  # one significant digit: mantissa × 10^exponent
            scale = 10.0 ** np.floor(np.log10(np.abs(v)))
            shown = np.rint(v / scale) * scale
        distinct, inverse = np.unique(shown, return_inverse=True)
        text = np.array([format(x, spec) for x in distinct.tolist()], dtype=object)
        out[group] = text[inverse.reshape(-1)]
    return out


def ints(values) -> np.ndarray:
    """Integers (F,) as an object array of str, formatting each distinct value once."""
    distinct, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    return np.array([str(v) for v in distinct.tolist()], dtype=object)[inverse.reshape(-1)]


def join(*parts) -> np.ndarray:
    """Element-wise concatenation of object arrays of str (F,) and plain strings."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        out = out + part
    return out


class Sentences:
    """The flagged rows `rows` (F,) of a single-label report, as the sentences need them."""

    def __init__(self, columns: dict[str, np.ndarray], rows: np.ndarray, names, k: int) -> None:
        self.rows = rows
        top = int(max(k, columns["given_label"].max() + 1, columns["suggested_label"].max() + 1))
        texts = [f"class {c}" for c in range(top)] if names is None else [str(x) for x in names]
        self.names = np.array(texts, dtype=object)
        self.counts = np.bincount(columns["given_label"], minlength=k)  # examples per class
        self.y = columns["given_label"][rows]
        self.s = columns["suggested_label"][rows]
        self.ps = columns["suggestion_confidence"][rows]
        self.py = columns["given_prob"][rows]
        self.ty = columns["given_threshold"][rows]
        self.top = None  # the model's argmax of each flagged row, where known

    def name(self, codes) -> np.ndarray:
        """Class names (F,) of class indices, or 'class k' without names."""
        return self.names[np.asarray(codes)]

    def given(self) -> np.ndarray:
        """'P(three) = 0.02 (threshold 0.41)' per flagged row."""
        return join(
            "P(", self.name(self.y), ") = ", fmt(self.py), " (threshold ", fmt(self.ty), ")"
        )

    def model(self) -> np.ndarray:
        """What the suggestion is: the model's top class, or the noise posterior's choice."""
        said = join(self.name(self.s), " (", fmt(self.ps), ")")
        says = "the model says " + said
        if self.top is None:
            return says
        other = join(
            "suggested ",
            said,
            ", the noise posterior's choice over the model's ",
            self.name(self.top),
        )
        return np.where(self.top == self.s, says, other)

    def swap(self, true) -> np.ndarray:
        return join(self.name(self.y), ARROW, self.name(true))


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
    if detector != "confident_learning":
        head = join(
            f"flagged by {detector} (label_quality ", fmt(columns["label_quality"][rows]), ")"
        )
    elif result.details.get("default_rule"):
        head = _adaptive(s, result.details["default_rule"], result.explain, members)
    else:
        method = options.get("filter_by") or "prune_by_noise_rate"
        head = _cleanlab(s, method, pred_probs, result, options)
    text = join(head, "; ", s.given(), "; ", s.model())
    agree = _agreement(members, rows, s.s)
    if agree is not None:
        text = join(text, "; ", ints(agree), f"/{len(members)} models say ", s.name(s.s))
    out[rows] = text.tolist()
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


def _adaptive(s: Sentences, rule: dict, facts: dict, members) -> np.ndarray:
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
    plain = join(f"error posterior{combined} ", fmt(bayes))
    raised = join(
        "error posterior ",
        fmt(low),
        f", from the low self-confidence mixture component (Bayes posterior{combined} ",
        fmt(bayes),
        ")",
    )
    return np.where(low > bayes, raised, plain) + tail


def _cleanlab(s: Sentences, method: str, pred_probs, result, options: dict) -> np.ndarray:
    """What cleanlab's filter_by rule was for each flagged row."""
    from labelaudit.confident.methods import LOW_SCORE_METHODS, PRUNING_METHODS

    if method == "predicted_neq_given":
        return "the model's top class is not the given " + s.name(s.y)
    if method in LOW_SCORE_METHODS:
        return _low_score(s, method.removeprefix("low_"), pred_probs)
    if method == "confident_learning":
        return _confident_joint(s, pred_probs, result.details["thresholds"])
    if method not in PRUNING_METHODS:
        return np.full(len(s.rows), f"flagged by {method}", dtype=object)
    pcm = _prune_counts(s, result.explain["joint"], options)
    parts = []
    if method != "prune_by_class":
        true, count, margin = _swap_cells(s, pred_probs, pcm)
        named = join(
            "one of the ",
            ints(count),
            " likeliest ",
            s.swap(true),
            " swaps in the confident joint (P(",
            s.name(np.maximum(true, 0)),
            ") − P(",
            s.name(s.y),
            ") = ",
            fmt(margin),
            ")",
        )
        unnamed = join("one of the likeliest swaps of ", s.name(s.y), " in the confident joint")
        parts.append(np.where(true >= 0, named, unnamed))
    if method != "prune_by_noise_rate":
        cut = s.counts[s.y] - np.asarray(pcm.diagonal())[s.y]  # n_k − PCM[k, k]
        label = s.name(s.y)
        parts.append(
            join("one of the ", ints(cut), " lowest P(", label, ") among rows labelled ", label)
        )
    return parts[0] if len(parts) == 1 else join(parts[0], ", and ", parts[1])


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


# Pairs (flagged row, cell of its class) per chunk of _swap_cells: bounds its temporaries.
PAIRS_PER_CHUNK = 1 << 21


def _swap_cells(s: Sentences, pred_probs, pcm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per flagged row (true j, PCM[j, k], margin P(j) − P(k)) (each (F,)): the cell (given k,
    true j) whose pruning took it, i.e. the row is among the PCM[j, k] largest positive margins
    of its class; j = −1 where none is found (ties at a cut).

    A cell's picks are all flagged (prune_by_noise_rate), so they are its PCM[j, k] largest
    margins among the flagged rows of class k: only (flagged row, cell of its class) pairs are
    read. Where several cells took a row, the suggested class's cell is named, else the one with
    the largest margin."""
    from labelaudit.confident.prune import _positive_cells

    true, cls, q = _positive_cells(pcm)  # ordered by (class, true)
    off = true != cls
    true, cls, q = true[off], cls[off], q[off]
    k_all = len(pcm)
    starts = np.searchsorted(cls, np.arange(k_all + 1))
    per_class = np.diff(starts)
    order = np.argsort(s.y, kind="stable")  # flagged rows grouped by class
    found_true = np.full(len(s.rows), -1, dtype=np.int64)
    found_count = np.zeros(len(s.rows), dtype=np.int64)
    found_margin = np.zeros(len(s.rows))
    # Chunks of whole classes, each about PAIRS_PER_CHUNK pairs.
    y_sorted = s.y[order]
    class_start = np.flatnonzero(np.r_[True, y_sorted[1:] != y_sorted[:-1]]) if len(order) else []
    pairs_before = np.r_[0, np.cumsum(per_class[y_sorted])][class_start]
    total = int(per_class[y_sorted].sum())
    chunk_of = np.searchsorted(pairs_before, np.arange(0, total, PAIRS_PER_CHUNK), side="right")
    bounds = np.r_[np.asarray(class_start)[np.unique(chunk_of - 1)], len(order)]
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        f = order[lo:hi]
        f = f[per_class[s.y[f]] > 0]  # a row of a class without cells has no pair
        if not len(f):
            continue
        width = per_class[s.y[f]]
        owner = np.repeat(f, width)  # flagged-row index of each pair
        cell = np.repeat(starts[s.y[f]] - np.cumsum(width) + width, width) + np.arange(width.sum())
        j = true[cell]
        margin = np.asarray(gather(pred_probs, s.rows[owner], j), dtype=np.float64) - s.py[owner]
        # Rank of each positive margin within its cell, largest first (ties: row order); pairs
        # with margin <= 0 are never picked and never outrank a positive one, so they are skipped.
        positive = np.flatnonzero(margin > 0)
        # One sort on cell + (1 − margin) / 2: margins in (0, 1] keep their order inside a cell
        # down to ~1e-10 (float64 next to a cell index below 2^20), and finer ties go by row.
        key = cell[positive] + (1.0 - margin[positive]) / 2
        by_cell = positive[np.argsort(key, kind="stable")]
        first = np.searchsorted(cell[by_cell], cell[by_cell], side="left")
        picked = np.zeros(len(cell), dtype=bool)
        picked[by_cell] = np.arange(len(by_cell)) - first < q[cell[by_cell]]
        # per row (its pairs are contiguous): the suggested class's cell, else the largest margin
        score = np.where(picked, 1.0 + 2.0 * (j == s.s[owner]) + margin, 0.0)
        group = np.cumsum(width) - width
        best_score = np.maximum.reduceat(score, group)
        hits = np.flatnonzero(score == np.repeat(best_score, width))
        best = hits[np.searchsorted(hits, group)]
        ok = best_score > 0
        rows_ok, best = f[ok], best[ok]
        found_true[rows_ok] = j[best]
        found_count[rows_ok] = q[cell[best]]
        found_margin[rows_ok] = margin[best]
    return found_true, found_count, found_margin


def _low_score(s: Sentences, score: str, pred_probs) -> np.ndarray:
    """low_self_confidence / low_normalized_margin: the row is among the lowest scores, as many
    as the confident joint's off-diagonal count."""
    from labelaudit.confident.rank import scores_for

    count = len(s.rows)
    if score == "self_confidence":
        return np.full(count, f"one of the {count} lowest self-confidences P(given)", dtype=object)
    values = np.empty(count)
    for part in row_blocks(count, pred_probs.shape[1]):
        block = np.asarray(pred_probs[s.rows[part]])
        values[part] = scores_for(s.y[part], block, score)
    return join(f"one of the {count} lowest normalized margins (", fmt(values), ")")


def _confident_joint(s: Sentences, pred_probs, thresholds) -> np.ndarray:
    """confident_learning: the row sits off the diagonal of the confident joint, counted under
    the class cleanlab guesses: the argmax when it reaches its threshold (then two or more
    classes may, and cleanlab takes the argmax), else the one class that does. Only rows whose
    argmax falls short of its threshold are read whole."""
    t = np.asarray(thresholds, dtype=np.float64)
    top = s.top
    if top is None:
        top = np.empty(len(s.rows), dtype=np.int64)
        for part in row_blocks(len(s.rows), pred_probs.shape[1]):
            top[part] = np.asarray(pred_probs[s.rows[part]]).argmax(axis=1)
    guess = np.asarray(top, dtype=np.int64).copy()
    value = np.asarray(gather(pred_probs, s.rows, guess), dtype=np.float64)
    short = np.flatnonzero(value < t[guess] - THRESHOLD_SLACK)
    for part in row_blocks(len(short), pred_probs.shape[1]):
        rows = short[part]
        block = np.asarray(pred_probs[s.rows[rows]], dtype=np.float64)
        passing = block >= t - THRESHOLD_SLACK
        # two or more classes at their thresholds: cleanlab still takes the argmax
        one = passing.sum(axis=1) == 1
        guess[rows[one]] = passing[one].argmax(axis=1)
        value[rows] = block[np.arange(len(rows)), guess[rows]]
    reaches = value >= t[guess] - THRESHOLD_SLACK
    how = np.where(reaches, " reaches its threshold ", " is the argmax, short of its threshold ")
    tail = np.where(reaches, "", ", while other classes reach theirs")
    return join(
        "counted as a ",
        s.swap(guess),
        " swap in the confident joint: P(",
        s.name(guess),
        ") = ",
        fmt(value),
        how,
        fmt(t[guess]),
        tail,
    )


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
    said = join(s.name(s.s), " (", fmt(s.ps), ")")
    return join("out of sample ", s.given(), "; the combined posterior says ", said).tolist()


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
