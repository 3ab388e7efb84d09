"""given_prob, given_threshold and explanation: cleanlab's thresholds, and sentences whose numbers
are the report's own and name what decided each flag under the method in use."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from cleanlab.count import compute_confident_joint, get_confident_thresholds

import labelaudit
from labelaudit.pipeline.multilabel import classify_multilabel
from labelaudit.report import Report
from tests.helpers import planted, run_audit

NAMES = ["ant", "bee", "cat", "dog"]  # sorted: the class order of the CSV's names
PROB = r"(\d+\.\d+|\de-\d+)"


def files(tmp, given, *matrices):
    pd.DataFrame(
        {"id": [f"ex{i}" for i in range(len(given))], "label": np.array(NAMES)[given]}
    ).to_csv(tmp / "labels.csv", index=False)
    paths = []
    for m, matrix in enumerate(matrices):
        np.save(tmp / f"p{m}.npy", matrix)
        paths.append(tmp / f"p{m}.npy")
    return tmp / "labels.csv", paths


def audit(tmp, given, matrices, *extra) -> pd.DataFrame:
    labels, paths = files(tmp, given, *matrices)
    out = tmp / "r.parquet"
    res = run_audit(labels, paths, out, "-q", *extra)
    assert res.exit_code == 0, res.stderr
    return pd.read_parquet(out)


def close(text: str, value: float) -> bool:
    """A probability as the sentence writes it (2 decimals, or 1 significant digit) matches."""
    return abs(float(text) - value) <= (0.0051 if "e" not in text else 0.5 * 10 ** int(text[-3:]))


def check_common(df: pd.DataFrame, P: np.ndarray, given: np.ndarray) -> None:
    assert df["given_prob"].dtype == np.float64 and df["given_threshold"].dtype == np.float64
    assert np.array_equal(df["given_prob"].to_numpy(), P[np.arange(len(given)), given])
    t = get_confident_thresholds(given, P)
    np.testing.assert_allclose(df["given_threshold"].to_numpy(), t[given], rtol=0, atol=1e-9)
    flagged = df["is_label_issue"].to_numpy()
    assert df["explanation"][~flagged].isna().all()
    assert df["explanation"][flagged].notna().all() and flagged.sum() > 0
    for i in np.flatnonzero(flagged)[:40]:
        text, name = df["explanation"][i], NAMES[given[i]]
        m = re.search(rf"P\({name}\) = {PROB} \(threshold {PROB}\)", text)
        assert m, text
        assert close(m[1], df["given_prob"][i]) and close(m[2], df["given_threshold"][i])
        suggested = NAMES[df["suggested_label"][i]]
        m = re.search(rf"(?:says|suggested) {suggested} \({PROB}\)", text)
        assert m and close(m[1], df["suggestion_confidence"][i]), text


def test_prune_by_noise_rate_names_the_cell_of_cleanlabs_joint(tmp_path):
    given, P, _ = planted(n=800, k=4, noise=0.2, seed=3)
    df = audit(tmp_path, given, [P], "--filter-by", "prune_by_noise_rate")
    check_common(df, P, given)
    cj = compute_confident_joint(given, P, calibrate=True)  # cj[given, true]
    cell = re.compile(
        rf"one of the (\d+) likeliest (\w+)→(\w+) swaps in the confident joint \(P\((\w+)\) − P\((\w+)\) = {PROB}\)"
    )
    named = 0
    for i in np.flatnonzero(df["is_label_issue"]):
        m = cell.match(df["explanation"][i])
        assert m, df["explanation"][i]
        count, k, j = int(m[1]), NAMES.index(m[2]), NAMES.index(m[3])
        assert k == given[i] and (m[4], m[5]) == (m[3], m[2])
        assert count == cj[k, j]
        margin = P[i, j] - P[i, k]
        assert close(m[6], margin)
        in_class = np.flatnonzero(given == k)
        top = in_class[np.argsort(-(P[in_class, j] - P[in_class, k]), kind="stable")[:count]]
        assert i in top  # the row really is among that cell's largest margins
        named += 1
    assert named == df["is_label_issue"].sum()


def test_prune_by_class_and_both_give_the_class_count(tmp_path):
    given, P, _ = planted(n=600, k=4, noise=0.2, seed=4)
    cj = compute_confident_joint(given, P, calibrate=True)
    counts = np.bincount(given, minlength=4)
    for method in ("prune_by_class", "both"):
        df = audit(tmp_path, given, [P], "--filter-by", method)
        check_common(df, P, given)
        for i in np.flatnonzero(df["is_label_issue"]):
            text, k = df["explanation"][i], given[i]
            m = re.search(
                rf"one of the (\d+) lowest P\({NAMES[k]}\) among rows labelled {NAMES[k]}", text
            )
            assert m and int(m[1]) == counts[k] - cj[k, k], text
            assert ("likeliest" in text) == (method == "both")


def test_confident_learning_names_the_class_at_its_threshold(tmp_path):
    given, P, _ = planted(n=600, k=4, noise=0.2, seed=5)
    df = audit(tmp_path, given, [P], "--filter-by", "confident_learning")
    check_common(df, P, given)
    t = get_confident_thresholds(given, P)
    sentence = re.compile(
        rf"counted as a (\w+)→(\w+) swap in the confident joint: P\((\w+)\) = {PROB} "
        rf"(reaches its threshold|is the argmax, short of its threshold) {PROB}"
    )
    for i in np.flatnonzero(df["is_label_issue"]):
        text = df["explanation"][i]
        m = sentence.match(text)
        assert m, text
        j = NAMES.index(m[2])
        assert m[1] == NAMES[given[i]] and j != given[i] and m[3] == m[2]
        assert close(m[4], P[i, j]) and close(m[6], t[j])
        passing = P[i] >= t - 1e-6
        if m[5] == "reaches its threshold":  # the argmax, or the only class at its threshold
            assert passing[j] and (j == P[i].argmax() or passing.sum() == 1)
        else:
            assert j == P[i].argmax() and not passing[j] and passing.sum() >= 2


def test_swap_cells_read_in_chunks_say_the_same(tmp_path, monkeypatch):
    import labelaudit.pipeline.explain as explain

    given, P, _ = planted(n=800, k=6, noise=0.3, seed=9)
    whole = labelaudit.audit(given, P, filter_by="prune_by_noise_rate").columns["explanation"]
    monkeypatch.setattr(explain, "PAIRS_PER_CHUNK", 7)  # many chunks of whole classes
    chunked = labelaudit.audit(given, P, filter_by="prune_by_noise_rate").columns["explanation"]
    assert list(whole) == list(chunked)
    assert sum(t is not None and "likeliest class" in t for t in whole) > 10


@pytest.mark.parametrize(
    ("method", "phrase"),
    [
        ("predicted_neq_given", "the model's top class is not the given"),
        ("low_self_confidence", "lowest self-confidences"),
        ("low_normalized_margin", "lowest normalized margins"),
    ],
)
def test_the_other_filters_say_their_rule(tmp_path, method, phrase):
    given, P, _ = planted(n=400, k=4, noise=0.2, seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = audit(tmp_path, given, [P], "--filter-by", method)
    check_common(df, P, given)
    flagged = df["explanation"][df["is_label_issue"]]
    assert flagged.str.contains(phrase, regex=False).all()
    if method.startswith("low_"):
        assert flagged.str.contains(f"one of the {len(flagged)} lowest").all()


def test_default_rule_gives_the_posterior_and_its_cut_and_ensemble_agreement(tmp_path):
    given, P, _ = planted(n=600, k=4, noise=0.2, seed=7)
    rng = np.random.default_rng(1)
    members = []
    for _ in range(3):
        noisy = P * rng.uniform(0.7, 1.3, P.shape)
        members.append(noisy / noisy.sum(axis=1, keepdims=True))
    df = audit(tmp_path, given, members)
    mean = np.mean(members, axis=0)
    check_common(df, mean, given)
    rule = Report.read_parquet(tmp_path / "r.parquet").metadata["details"]["default_rule"]
    pattern = re.compile(
        rf"error posterior(?: of 3 models combined)? {PROB}.*above the cut {PROB} \((\d+) of (\d+) disagreements flagged"
    )
    cuts, posteriors = set(), []
    for i in np.flatnonzero(df["is_label_issue"]):
        text = df["explanation"][i]
        m = pattern.search(text)
        assert m, text
        assert int(m[3]) == rule["num_flagged"] == df["is_label_issue"].sum()
        assert int(m[4]) == rule["evidence"]["num_candidates_predicted_neq_given"]
        posteriors.append(float(m[1]))
        cuts.add(m[2])
        suggested = df["suggested_label"][i]
        votes = sum(int(member[i].argmax() == suggested) for member in members)
        assert text.endswith(f"; {votes}/3 models say {NAMES[suggested]}"), text
    assert len(cuts) == 1 and min(posteriors) >= float(cuts.pop()) - 0.005


def test_logits_and_library_reports_have_the_columns(tmp_path):
    given, P, _ = planted(n=300, k=4, noise=0.2, seed=8)
    logits = np.log(P) + 2.0
    df = audit(tmp_path, given, [logits], "--logits")
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(df["given_prob"], softmax[np.arange(300), given], atol=1e-12)
    report = labelaudit.audit(given, P)  # no class names: "class k"
    cols = report.columns
    i = np.flatnonzero(cols["is_label_issue"])[0]
    assert f"P(class {given[i]}) = " in cols["explanation"][i]
    assert cols["explanation"].dtype == object and cols["given_threshold"].dtype == np.float64
    top = report.summary()["top_issues"][0]  # `audit --json` shows the top issues' sentences
    assert top["explanation"] == cols["explanation"][top["row"]] and top["explanation"]


def test_multi_label_reports_explain_the_issue_classes(tmp_path):
    rng = np.random.default_rng(0)
    n, k = 300, 3
    true = rng.random((n, k)) < 0.4
    P = np.clip(np.where(true, 0.8, 0.2) + rng.normal(0, 0.1, (n, k)), 0.01, 0.99)
    given = true ^ (rng.random((n, k)) < 0.05)
    labels = [np.flatnonzero(r).tolist() for r in given]
    report = classify_multilabel(labels, P)  # what `audit --multi-label` runs
    cols = report.columns
    assert "given_prob" not in cols and "given_threshold" not in cols
    flagged = cols["is_label_issue"]
    assert all(text is None for text in cols["explanation"][~flagged])
    for i in np.flatnonzero(flagged):
        text = cols["explanation"][i]
        for c in cols["issue_classes"][i]:
            state = "given" if given[i, c] else "missing"
            m = re.search(rf"class {c} is {state} but P\(class {c}\) = {PROB}", text)
            assert m and close(m[1], P[i, c]), text


def dynamics_record(n=300, k=3, e=12, seed=0):
    """Epochs that learn the true class first and memorise the given one late."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.2, (true + 1) % k, true)
    out = np.empty((e, n, k))
    for t in range(e):
        logits = rng.normal(0, 1, (n, k))
        logits[np.arange(n), true] += 0.5 * t if t < 7 else 3.5
        logits[np.arange(n), given] += 0 if t < 7 else (t - 6) * 1.5
        out[t] = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return given, out


def test_dynamics_reports_say_what_the_detector_saw(tmp_path):
    given, record = dynamics_record()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learning = labelaudit.audit_dynamics(given, record, detectors=["learning-time", "aum"])
        P = record[:5].mean(axis=0)
        combined = labelaudit.audit_dynamics(given, record, pred_probs=P)
    cols = learning.columns
    assert "given_prob" not in cols and "evidence" in cols
    flagged = np.flatnonzero(cols["is_label_issue"])
    assert len(flagged) and all(t is None for t in cols["explanation"][~cols["is_label_issue"]])
    for i in flagged:
        text, when = cols["explanation"][i], int(cols["learning_time"][i])
        onset = int(cols["onset_epoch"][i])
        if when <= 11:
            assert text.startswith(
                f"learned late, at epoch {when} (epochs 0–11), after class {given[i]} was memorised from epoch {onset}"
            ), text
        else:
            assert text.startswith(f"not learned as class {given[i]}"), text
    c = combined.columns
    np.testing.assert_allclose(c["given_prob"], P[np.arange(len(given)), given], atol=0)
    np.testing.assert_allclose(
        c["given_threshold"], get_confident_thresholds(given, P)[given], atol=1e-9
    )
    for i in np.flatnonzero(c["is_label_issue"]):
        text = c["explanation"][i]
        assert text.startswith("the early-learning target (ELR) at epoch"), text
        assert f"the combined posterior says class {c['suggested_label'][i]}" in text


def test_device_arrays_explain_as_numpy_does():
    """Arrays of another library (array-api-strict here; CuPy or PyTorch on a GPU) are read
    through the same gathers: the same columns, sentence for sentence."""
    strict = pytest.importorskip("array_api_strict")
    given, P, _ = planted(n=500, k=5, noise=0.25, seed=10)
    for filter_by in (
        None,
        "prune_by_noise_rate",
        "both",
        "confident_learning",
        "low_normalized_margin",
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = labelaudit.audit(given, strict.asarray(P), filter_by=filter_by).columns
            reference = labelaudit.audit(given, P, filter_by=filter_by).columns
        for column in ("given_prob", "given_threshold", "explanation"):
            assert np.array_equal(ours[column], reference[column]), (filter_by, column)
