"""Early-learning detectors on real recorded dynamics (an MLP trained on noisy digits)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from labelaudit import audit_dynamics
from labelaudit.bench.training import noisy_digits, record_mlp
from labelaudit.detectors import registry
from labelaudit.dynamics import analyse, read_dynamics
from labelaudit.dynamics.analysis import WeakEvidenceWarning
from labelaudit.dynamics.onset import online_onset
from labelaudit.errors import ConfigError

DETECTORS = ["elr", "adele", "aum", "cartography", "forgetting", "learning-time"]


@pytest.fixture(scope="module")
def sym40():
    """Digits with 40% symmetric noise, recorded as `labelaudit bench early` does (100 epochs of a
    512-unit MLP, ~3 s): long enough to memorise most wrong labels."""
    data = noisy_digits("symmetric", 0.4, seed=0)
    return data, record_mlp(data, epochs=100, seed=0, hidden=512)


def test_default_detector_meets_the_issue_targets(sym40):
    data, record = sym40
    report = audit_dynamics(data.labels, record)
    cols = report.columns
    errors = data.labels != data.true_labels
    flagged = cols["is_label_issue"]
    hits = (flagged & errors).sum()
    assert hits / flagged.sum() >= 0.9  # precision
    assert hits / errors.sum() >= 0.9  # recall
    assert roc_auc_score(errors, 1 - cols["label_quality"]) >= 0.98
    fixed = data.labels.copy()
    confident = cols["grade"] == "confident"
    fixed[confident] = cols["suggested_label"][confident]
    assert (data.labels == data.true_labels).mean() == pytest.approx(0.6, abs=0.01)
    assert (fixed == data.true_labels).mean() >= 0.9
    assert report.metadata["detector"] == "elr"


def test_memorisation_defeats_last_epoch_but_not_the_onset_window(sym40):
    """The point of the early window: the last epoch has memorised most wrong labels."""
    data, record = sym40
    errors = data.labels != data.true_labels
    last = record[-1][np.arange(len(errors)), data.labels]
    td = analyse(data.labels, read_dynamics_array(record))
    onset = td.elr_target[np.arange(len(errors)), data.labels]
    assert roc_auc_score(errors, 1 - onset) > roc_auc_score(errors, 1 - last) + 0.1
    assert td.epoch_numbers[td.class_onset].max() < len(record) / 2


def read_dynamics_array(record):
    from labelaudit.dynamics.source import dynamics_from_array

    return dynamics_from_array(record, "auto")


def test_every_detector_keeps_the_contract(sym40):
    data, record = sym40
    report = audit_dynamics(data.labels, record, detectors=DETECTORS)
    cols = report.columns
    errors = data.labels != data.true_labels
    for name in DETECTORS:
        single = audit_dynamics(data.labels, record, detectors=[name]).columns
        quality = single["label_quality"]
        assert np.all((quality >= 0) & (quality <= 1)), name
        flagged = single["is_label_issue"]
        assert np.array_equal(single["suggested_label"] != data.labels, flagged), name
        assert np.array_equal(single["grade"] != None, flagged), name  # noqa: E711
        assert set(single["grade"][flagged]) <= {"confident", "review"}
        # every detector beats chance clearly on this record
        assert roc_auc_score(errors, 1 - quality) > 0.85, name
        np.testing.assert_array_equal(cols[f"score_{name.replace('-', '_')}"], quality)
        evidence_has = np.array([name in e.split(",") for e in cols["evidence"]])
        np.testing.assert_array_equal(evidence_has, flagged, err_msg=name)
    assert {"aum", "cartography_variability", "forgetting", "learning_time", "onset_epoch"} <= set(
        cols
    )
    ranks = cols["issue_rank"][cols["is_label_issue"]]
    assert sorted(ranks) == list(range(1, cols["is_label_issue"].sum() + 1))


def test_logits_give_the_same_audit_as_their_softmax(sym40):
    data, record = sym40
    rng = np.random.default_rng(0)
    logits = np.log(np.clip(record.astype(np.float64), 1e-30, None))
    logits += rng.normal(0, 5, (len(record), len(data.labels), 1))  # per-row shifts
    a = audit_dynamics(data.labels, record.astype(np.float64), detectors=DETECTORS).columns
    b = audit_dynamics(data.labels, logits, detectors=DETECTORS).columns
    np.testing.assert_array_equal(a["is_label_issue"], b["is_label_issue"])
    np.testing.assert_allclose(a["label_quality"], b["label_quality"], atol=1e-6)
    np.testing.assert_allclose(a["aum"], b["aum"], atol=1e-5)


def test_combination_with_confident_learning_is_at_least_as_good(sym40):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    from labelaudit import audit

    data, record = sym40
    probs = cross_val_predict(
        LogisticRegression(max_iter=500), data.features, data.labels, cv=5, method="predict_proba"
    )
    errors = data.labels != data.true_labels
    combined = audit_dynamics(data.labels, record, pred_probs=probs).columns
    elr = audit_dynamics(data.labels, record).columns
    cl = audit(data.labels, probs).columns

    def f1(flags):
        hits = (flags & errors).sum()
        return 2 * hits / (flags.sum() + errors.sum())

    assert (
        f1(combined["is_label_issue"])
        >= max(f1(elr["is_label_issue"]), f1(cl["is_label_issue"])) - 0.005
    )
    # confident learning can veto an early-learning flag, never add one
    assert not (combined["is_label_issue"] & ~elr["is_label_issue"]).any()
    assert "confident_learning" in {e for row in combined["evidence"] for e in row.split(",")}
    assert "score_confident_learning" in combined


def test_no_evidence_no_flags():
    """Outputs unrelated to the labels: warn, and flag nothing rather than at random."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, 400)
    record = rng.dirichlet(np.ones(5), size=(12, 400))
    with pytest.warns(WeakEvidenceWarning, match="no evidence"):
        report = audit_dynamics(labels, record)
    assert report.num_issues == 0


def test_uniform_outputs_flag_nothing():
    labels = np.arange(300) % 3
    record = np.full((6, 300, 3), 1 / 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakEvidenceWarning)
        report = audit_dynamics(labels, record, detectors=DETECTORS)
    assert report.num_issues == 0


def test_online_onset_finds_the_knee_without_look_ahead():
    x = np.arange(60.0)
    early = 0.6 * (1 - np.exp(-x / 2))  # fast early learning, then a plateau
    curve = early + np.where(x > 30, 0.01 * (x - 30), 0)  # late memorisation
    onset = online_onset(x, curve)
    assert onset is not None and 3 <= onset <= 12
    # the onset only depends on the epochs before it
    assert online_onset(x[: onset + 1], curve[: onset + 1]) == onset


def test_onset_falls_back_loudly_when_a_class_never_flattens():
    rng = np.random.default_rng(0)
    n, k, e = 300, 3, 8
    labels = np.arange(n) % k
    probs = np.full((e, n, k), 0.1)
    for epoch in range(e):  # classes 0 and 1 learned at once; class 2 rises linearly
        probs[epoch, labels == 0, 0] = 0.8
        probs[epoch, labels == 1, 1] = 0.8
        share = epoch / e
        learned = (labels == 2) & (rng.random(n) < share)
        probs[epoch, learned, 2] = 0.8
        probs[epoch, (labels == 2) & ~learned, 0] = 0.8
    probs /= probs.sum(axis=2, keepdims=True)
    with pytest.warns(WeakEvidenceWarning) as caught:
        td = analyse(labels, read_dynamics_array(probs))
    assert any("onset" in str(w.message) for w in caught)
    assert "fit" in td.onset_source


def test_registered_and_listed():
    names = registry.registered()
    for name in DETECTORS:
        assert name in names
        assert registry.load(name).needs == ("dynamics",)


def test_confident_learning_is_not_a_dynamics_detector(sym40):
    data, record = sym40
    with pytest.raises(ConfigError, match="confident_learning needs out-of-sample probabilities"):
        audit_dynamics(data.labels, record, detectors=["confident_learning"])
    with pytest.raises(ConfigError, match="did you mean 'aum'"):
        audit_dynamics(data.labels, record, detectors=["aun"])


def test_read_dynamics_directory_order_is_by_epoch_number(tmp_path, sym40):
    data, record = sym40
    for epoch in range(len(record)):
        np.save(tmp_path / f"epoch_{epoch}.npy", record[epoch])  # epoch_10 sorts before epoch_2
    opened = read_dynamics(tmp_path)
    assert list(opened.numbers) == list(range(len(record)))
    a = audit_dynamics(data.labels, tmp_path).columns
    b = audit_dynamics(data.labels, record).columns
    for column in ("is_label_issue", "issue_rank", "suggested_label", "grade"):
        np.testing.assert_array_equal(a[column], b[column])


def test_bench_early_cli_prints_every_detector_and_refuses_bad_settings():
    import json

    from tests.helpers import run_cli

    res = run_cli(
        "bench", "early", "--settings", "pair:0.2", "--seeds", "0", "--epochs", "15",
        "--hidden", "64", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["detector"] for r in rows] == [
        *DETECTORS,
        "elr+confident_learning",
        "confident_learning",
    ]
    for r in rows:
        assert r["accuracy_before"] == pytest.approx(0.8, abs=0.01)
        assert 0.5 < r["auroc"] <= 1
    bad = run_cli("bench", "early", "--settings", "diagonal:0.2")
    assert bad.exit_code == 2 and "settings look like" in bad.stderr


def test_a_class_never_learned_is_reported():
    labels = np.arange(300) % 3
    record = np.full((8, 300, 3), 0.05)
    record[:, labels == 0, 0] = 0.9
    record[:, labels == 1, 1] = 0.9
    record[:, labels == 2, 0] = 0.9  # the model never predicts class 2
    record /= record.sum(axis=2, keepdims=True)
    with pytest.warns(WeakEvidenceWarning, match="never rose above 10%"):
        report = audit_dynamics(labels, record)
    assert "never rose" in " ".join(report.metadata["details"]["warnings"])
