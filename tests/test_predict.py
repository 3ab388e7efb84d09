"""`labelaudit predict` and `audit --features`: cross-validated and ONNX probabilities, built
from real scikit-learn models and real ONNX files made in the test (nothing downloaded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import labelaudit
from labelaudit.predict.cross_val import cross_val_probabilities
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def digits():
    """Digits with 10% of labels flipped to another class (seeded)."""
    X, true = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16; scaled, logistic regression converges quickly
    rng = np.random.default_rng(1)
    noisy = rng.random(len(true)) < 0.1
    y = np.where(noisy, (true + rng.integers(1, 10, len(true))) % 10, true)
    return X, y, noisy


def _f1(mask, truth):
    tp = (mask & truth).sum()
    precision, recall = tp / mask.sum(), tp / truth.sum()
    return 2 * precision * recall / (precision + recall)


def test_audit_from_features_finds_injected_errors(tmp_path, digits):
    X, y, noisy = digits
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "r.parquet"
    res = run_cli(
        "audit",
        "--features",
        tmp_path / "X.npy",
        "--labels",
        tmp_path / "y.npy",
        "--out",
        out,
        "--quiet",
    )
    assert res.exit_code == 0, res.stderr
    flagged = pd.read_parquet(out)["is_label_issue"].to_numpy()
    assert _f1(flagged, noisy) >= 0.8


@pytest.mark.parametrize("model", ["logreg", "knn"])
def test_predict_is_out_of_sample_and_reproducible(tmp_path, digits, model):
    X, y, _ = digits
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    for name in ("a.npy", "b.npy"):
        res = run_cli(
            "predict",
            "--features",
            tmp_path / "X.npy",
            "--labels",
            tmp_path / "y.npy",
            "--out",
            tmp_path / name,
            "--model",
            model,
            "--seed",
            "3",
        )
        assert res.exit_code == 0, res.stderr
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert np.array_equal(a, b)
    assert a.shape == (len(y), 10) and np.allclose(a.sum(axis=1), 1)
    # Out of sample: a model scoring rows it trained on agrees with the given labels more often.
    in_sample = LogisticRegression(max_iter=300).fit(X, y).predict_proba(X)
    assert (a.argmax(1) == y).mean() < (in_sample.argmax(1) == y).mean()


def test_classes_missing_from_a_fold_keep_columns_aligned():
    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 30 + [2] * 2)  # class 2 is absent from some training folds
    X = rng.normal(size=(62, 3)) + y[:, None]
    P = cross_val_probabilities(X, y, num_classes=4, folds=5)
    assert P.shape == (62, 4)
    assert np.all(P[:, 3] == 0)  # never seen: probability 0
    assert np.allclose(P.sum(axis=1), 1)


def test_csv_features_exclude_label_and_id_and_reject_text(tmp_path, digits):
    X, y, _ = digits
    table = pd.DataFrame(X[:300], columns=[f"f{i}" for i in range(64)])
    table.insert(0, "id", np.arange(300))
    table["label"] = y[:300]
    table.to_csv(tmp_path / "data.csv", index=False)
    res = run_cli(
        "predict",
        "--features",
        tmp_path / "data.csv",
        "--labels",
        tmp_path / "data.csv",
        "--out",
        tmp_path / "p.npy",
        "--folds",
        "3",
    )
    assert res.exit_code == 0, res.stderr
    ref = cross_val_probabilities(X[:300], y[:300], num_classes=int(y[:300].max()) + 1, folds=3)
    assert np.allclose(np.load(tmp_path / "p.npy"), ref)
    table["note"] = "x"
    table.to_csv(tmp_path / "data.csv", index=False)
    res = run_cli(
        "predict",
        "--features",
        tmp_path / "data.csv",
        "--labels",
        tmp_path / "data.csv",
        "--out",
        tmp_path / "q.npy",
    )
    assert res.exit_code == 2 and "column 'note' is not numeric" in res.stderr
    assert not (tmp_path / "q.npy").exists()


def test_nan_features_need_impute(tmp_path, digits):
    X, y, _ = digits
    X = X.copy()
    X[5, 7] = np.nan
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    res = run_cli(
        "predict",
        "--features",
        tmp_path / "X.npy",
        "--labels",
        tmp_path / "y.npy",
        "--out",
        tmp_path / "p.npy",
    )
    assert (
        res.exit_code == 2 and "row 5, column 7 is nan" in res.stderr and "--impute" in res.stderr
    )
    assert not (tmp_path / "p.npy").exists()
    res = run_cli(
        "predict",
        "--features",
        tmp_path / "X.npy",
        "--labels",
        tmp_path / "y.npy",
        "--out",
        tmp_path / "p.npy",
        "--impute",
        "--folds",
        "3",
    )
    assert res.exit_code == 0, res.stderr
    assert np.isfinite(np.load(tmp_path / "p.npy")).all()


# ---------------------------------------------------------------- ONNX

onnx = pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")


def _export(model, X, path):
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32), options={id(model): {"zipmap": False}})
    path.write_bytes(onx.SerializeToString())


def _linear_logits_model(weights, bias, path):
    """A hand-built ONNX graph that outputs logits X @ W + b (no softmax)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["logits"]),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [None, weights.shape[1]])],
        [
            numpy_helper.from_array(weights.astype(np.float32), "W"),
            numpy_helper.from_array(bias.astype(np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())


def test_onnx_classifier_probabilities_match_sklearn(tmp_path, digits):
    X, y, _ = digits
    model = LogisticRegression(max_iter=300).fit(X[:1000], y[:1000])
    _export(model, X, tmp_path / "m.onnx")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    res = run_cli(
        "predict",
        "--onnx",
        tmp_path / "m.onnx",
        "--inputs",
        tmp_path / "X.npy",
        "--labels",
        tmp_path / "y.npy",
        "--out",
        tmp_path / "p.npy",
        "--batch-size",
        "500",
    )
    assert res.exit_code == 0, res.stderr
    P = np.load(tmp_path / "p.npy")
    assert np.allclose(P, model.predict_proba(X), atol=1e-4)


def test_onnx_logits_are_softmaxed(tmp_path):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    _linear_logits_model(W, b, tmp_path / "lin.onnx")
    X = rng.normal(size=(50, 4))
    np.save(tmp_path / "X.npy", X)
    res = run_cli(
        "predict",
        "--onnx",
        tmp_path / "lin.onnx",
        "--inputs",
        tmp_path / "X.npy",
        "--out",
        tmp_path / "p.npy",
    )
    assert res.exit_code == 0, res.stderr
    logits = X.astype(np.float32) @ W.astype(np.float32) + b.astype(np.float32)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    assert np.allclose(np.load(tmp_path / "p.npy"), expected, atol=1e-5)


def test_fold_models_score_only_their_own_fold(tmp_path, digits):
    X, y, noisy = digits
    fold = np.arange(len(y)) % 3
    models = [LogisticRegression(max_iter=300).fit(X[fold != f], y[fold != f]) for f in range(3)]
    for f, model in enumerate(models):
        _export(model, X, tmp_path / f"m{f}.onnx")
    table = pd.DataFrame(X, columns=[f"f{i}" for i in range(64)])
    table["fold"] = fold
    table.to_parquet(tmp_path / "inputs.parquet")
    args = [
        "predict",
        "--inputs",
        tmp_path / "inputs.parquet",
        "--fold-column",
        "fold",
        "--out",
        tmp_path / "p.npy",
    ]
    res = run_cli(*args, *[a for f in range(3) for a in ("--onnx", tmp_path / f"m{f}.onnx")])
    assert res.exit_code == 0, res.stderr
    P = np.load(tmp_path / "p.npy")
    for f, model in enumerate(models):
        assert np.allclose(P[fold == f], model.predict_proba(X[fold == f]), atol=1e-4)
    assert _f1(labelaudit.find_label_issues(y, P), noisy) > 0.7
    res = run_cli(
        *args[:-2],
        "--out",
        tmp_path / "q.npy",
        "--onnx",
        tmp_path / "m0.onnx",
        "--onnx",
        tmp_path / "m1.onnx",
    )
    assert res.exit_code == 2 and "fold 2 has no model" in res.stderr
    assert not (tmp_path / "q.npy").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [("not_onnx", "not a loadable ONNX model"), ("wrong_width", "the model outputs 3 classes")],
)
def test_onnx_bad_input(tmp_path, digits, case, message):
    X, y, _ = digits
    np.save(tmp_path / "X.npy", X[:, :4])
    np.save(tmp_path / "y.npy", y)
    path = tmp_path / "m.onnx"
    if case == "not_onnx":
        path.write_bytes(b"this is not a protobuf")
    else:
        _linear_logits_model(np.ones((4, 3)), np.zeros(3), path)
    res = run_cli(
        "predict",
        "--onnx",
        path,
        "--inputs",
        tmp_path / "X.npy",
        "--labels",
        tmp_path / "y.npy",
        "--out",
        tmp_path / "p.npy",
    )
    assert res.exit_code == 2, res.stdout + res.stderr
    assert message in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "p.npy").exists()
