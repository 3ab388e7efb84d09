"""Dynamics inputs (three layouts), the Recorder, and the CLI contract of `audit --dynamics`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit import audit_dynamics
from labelaudit.dynamics import Recorder, read_dynamics
from labelaudit.errors import InvalidInputError
from labelaudit.report import Report
from tests.helpers import digest, run_cli


def learning_record(n=240, k=3, e=10, noise=0.25, seed=0, jitter=0.3):
    """Synthetic dynamics: clean rows learned early, wrong labels memorised late."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    labels = true.copy()
    flip = rng.random(n) < noise
    labels[flip] = (true[flip] + rng.integers(1, k, flip.sum())) % k
    logits = np.zeros((e, n, k))
    for epoch in range(e):
        learn = min(1.0, (epoch + 1) / 3)  # the true class emerges over three epochs
        memorise = max(0.0, (epoch - e / 2) / (e / 2))  # wrong labels fitted late
        logits[epoch, np.arange(n), true] += 3 * learn
        logits[epoch, np.arange(n), labels] += 6 * memorise * flip
        logits[epoch] += rng.normal(0, jitter, (n, k))
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return labels, probs.astype(np.float32), logits, true


@pytest.fixture
def record(tmp_path):
    labels, probs, logits, _ = learning_record()
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "dyn.npy", probs)
    return tmp_path, labels, probs, logits


def parquet_record(path, probs, *, list_column=False):
    e, n, k = probs.shape
    frame = {"epoch": np.repeat(np.arange(e), n), "row": np.tile(np.arange(n), e)}
    flat = probs.reshape(e * n, k)
    if list_column:
        frame["probs"] = list(flat.astype(np.float64))
    else:
        for c in range(k):
            frame[f"p{c}"] = flat[:, c]
    table = pd.DataFrame(frame).sample(frac=1.0, random_state=0)  # rows in any order
    table.to_parquet(path, index=False)


@pytest.mark.parametrize("layout", ["npy", "directory", "parquet", "parquet-list"])
def test_every_layout_gives_the_same_report(record, layout):
    tmp, labels, probs, _ = record
    if layout == "directory":
        source = tmp / "epochs"
        source.mkdir()
        for epoch in range(len(probs)):
            np.save(source / f"run3_epoch{epoch}.npy", probs[epoch])
    elif layout.startswith("parquet"):
        source = tmp / "dyn.parquet"
        parquet_record(source, probs, list_column=layout == "parquet-list")
    else:
        source = tmp / "dyn.npy"
    out = tmp / "report.parquet"
    res = run_cli("audit", "--labels", tmp / "labels.npy", "--dynamics", source, "--out", out)
    assert res.exit_code == 0, res.stderr
    got = Report.read_parquet(out).columns
    want = audit_dynamics(labels, probs).columns
    for column in ("is_label_issue", "issue_rank", "suggested_label", "grade", "evidence"):
        np.testing.assert_array_equal(got[column], want[column], err_msg=column)
    np.testing.assert_allclose(got["label_quality"], want["label_quality"], atol=1e-6)
    assert got["is_label_issue"].sum() > 0


def test_cli_report_columns_and_several_detectors(record):
    tmp, *_ = record
    out = tmp / "r.parquet"
    res = run_cli(
        "audit", "--labels", tmp / "labels.npy", "--dynamics", tmp / "dyn.npy", "--out", out,
        "--detector", "adele", "--detector", "aum", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    names = pq.read_schema(out).names
    for column in (
        "row", "given_label", "suggested_label", "suggestion_confidence", "label_quality",
        "is_label_issue", "issue_rank", "grade", "evidence", "score_adele", "score_aum",
    ):  # fmt: skip
        assert column in names
    assert "score_elr" not in names
    frame = pd.read_parquet(out)
    assert set(frame["grade"].dropna()) <= {"confident", "review"}
    assert frame["grade"].isna().sum() == (~frame["is_label_issue"]).sum()


def test_logits_record_is_detected(record):
    tmp, labels, probs, logits = record
    np.save(tmp / "logits.npy", logits)
    a = audit_dynamics(labels, tmp / "logits.npy")
    assert a.metadata["options"]["dynamics_kind"] == "logits"
    b = audit_dynamics(labels, probs)
    np.testing.assert_array_equal(a.columns["is_label_issue"], b.columns["is_label_issue"])


def bad_inputs(tmp, labels, probs):
    """(name, dynamics path, expected message fragment) for each documented bad input."""
    cases = []
    nan = probs.copy()
    nan[4, 17, 1] = np.nan
    np.save(tmp / "nan.npy", nan)
    cases.append(("nan", tmp / "nan.npy", "epoch 4: row 17, column 1 is nan"))
    np.save(tmp / "two.npy", probs[:2])
    cases.append(("few", tmp / "two.npy", "2 epoch(s) recorded"))
    np.save(tmp / "short.npy", probs[:, :-5])
    cases.append(("n", tmp / "short.npy", "examples per epoch"))
    d = tmp / "ragged"
    d.mkdir()
    for epoch in range(len(probs)):
        np.save(d / f"epoch_{epoch}.npy", probs[epoch] if epoch != 6 else probs[epoch][:, :2])
    cases.append(("k", d, "differs from the first epoch"))
    d = tmp / "mixed"
    d.mkdir()
    for epoch in range(len(probs)):
        values = probs[epoch] if epoch < 5 else np.log(probs[epoch])
        np.save(d / f"epoch_{epoch}.npy", values)
    cases.append(("mixed", d, "holds logits"))
    (tmp / "empty.npy").write_bytes(b"")
    cases.append(("empty", tmp / "empty.npy", "empty"))
    np.save(tmp / "flat.npy", probs[0])
    cases.append(("2d", tmp / "flat.npy", "E×N×K"))
    return cases


def test_bad_dynamics_exit_2_with_one_sentence_and_no_report(record):
    tmp, labels, probs, _ = record
    for name, source, fragment in bad_inputs(tmp, labels, probs):
        out = tmp / f"{name}.parquet"
        before = digest(source) if source.is_file() else None
        res = run_cli("audit", "--labels", tmp / "labels.npy", "--dynamics", source, "--out", out)
        assert res.exit_code == 2, (name, res.stdout, res.stderr)
        assert fragment in " ".join(res.stderr.split()), (name, res.stderr)
        assert "Traceback" not in res.stderr
        assert not out.exists(), name
        assert not list(tmp.glob(f".{name}.parquet*")), name
        if before:
            assert digest(source) == before


def test_dynamics_refuses_confident_learning_options(record):
    tmp, *_ = record
    res = run_cli(
        "audit", "--labels", tmp / "labels.npy", "--dynamics", tmp / "dyn.npy",
        "--out", tmp / "r.parquet", "--filter-by", "both",
    )  # fmt: skip
    assert res.exit_code == 2
    assert "confident learning runs with its defaults" in res.stderr
    # options that tune the joint have nothing to tune without --pred-probs
    res = run_cli(
        "audit", "--labels", tmp / "labels.npy", "--dynamics", tmp / "dyn.npy",
        "--out", tmp / "r.parquet", "--no-calibrate",
    )  # fmt: skip
    assert res.exit_code == 2
    assert "only when --pred-probs is given too" in " ".join(res.stderr.split())
    assert not (tmp / "r.parquet").exists()


def test_dynamics_passes_joint_tuning_to_the_confident_learning_it_combines(record):
    """--min-examples-per-class and --no-calibrate reach confident learning on --pred-probs."""
    tmp, _, probs, _ = record
    np.save(tmp / "early.npy", probs[3])  # learned, not yet memorised: out-of-sample-like
    args = ("--labels", tmp / "labels.npy", "--dynamics", tmp / "dyn.npy",
            "--pred-probs", tmp / "early.npy")  # fmt: skip
    flags = {}
    for name, extra in [("default", ()), ("tuned", ("--min-examples-per-class", "1000"))]:
        out = tmp / f"{name}.parquet"
        res = run_cli("audit", *args, "--out", out, *extra)
        assert res.exit_code == 0, res.stderr
        report = Report.read_parquet(out)
        flags[name] = report.columns["is_label_issue"]
        assert report.metadata["options"]["confident_learning"] == (
            {} if name == "default" else {"min_examples_per_class": 1000}
        )
    assert flags["default"].any()
    # every class has fewer than 1000 examples: confident learning may flag none of them, so
    # its evidence no longer backs any flag
    for name, backed in [("default", True), ("tuned", False)]:
        evidence = Report.read_parquet(tmp / f"{name}.parquet").columns["evidence"]
        assert any("confident_learning" in e.split(",") for e in evidence) == backed


def test_recorder_from_numpy_batches_is_crash_safe(tmp_path, record):
    _, labels, probs, _ = record
    e, n, k = probs.shape
    rng = np.random.default_rng(0)
    path = tmp_path / "rec"
    with pytest.raises(RuntimeError, match="killed"), Recorder(path, n, k) as recorder:
        for epoch in range(e):
            for batch in np.array_split(rng.permutation(n), 7):
                recorder.log(epoch, batch, probs[epoch, batch])
                if epoch == 6 and len(recorder.written) == 6:
                    raise RuntimeError("killed mid-epoch")
    assert sorted(p.name for p in path.iterdir()) == [f"epoch_{i:05d}.npy" for i in range(6)]
    opened = read_dynamics(path)
    assert list(opened.numbers) == list(range(6))
    np.testing.assert_array_equal(np.load(path / "epoch_00003.npy"), probs[3])
    audit_dynamics(labels, path)  # the finished epochs are a valid record


def test_recorder_refuses_incomplete_epochs_and_bad_batches(tmp_path):
    recorder = Recorder(tmp_path / "r", n=10, k=3)
    recorder.log(0, [0, 1, 2], np.full((3, 3), 1 / 3))
    with pytest.raises(InvalidInputError, match="7 of 10 rows were never logged"):
        recorder.log(1, [0], np.full((1, 3), 1 / 3))
    assert not list((tmp_path / "r").glob("*.npy"))  # nothing half-written
    recorder = Recorder(tmp_path / "r", n=10, k=3)
    with pytest.raises(InvalidInputError, match="outside"):
        recorder.log(2, [10], np.full((1, 3), 1 / 3))
    with pytest.raises(InvalidInputError, match="expected"):
        recorder.log(2, [1, 2], np.full((2, 4), 1 / 4))
    with pytest.raises(InvalidInputError, match="NaN"):
        recorder.log(2, [1], np.array([[np.nan, 0, 1]]))


def test_recorder_in_a_scikit_learn_partial_fit_loop(tmp_path):
    from labelaudit.bench.training import noisy_digits, record_mlp

    data = noisy_digits("symmetric", 0.2, seed=3)
    recorder = Recorder(tmp_path / "mlp", n=len(data.labels), k=data.k)
    record = record_mlp(data, epochs=5, seed=3, hidden=32, recorder=recorder)
    opened = read_dynamics(tmp_path / "mlp")
    assert len(opened) == 5
    np.testing.assert_array_equal(np.load(tmp_path / "mlp" / "epoch_00004.npy"), record[4])


def test_recorder_from_a_pytorch_loop(tmp_path):
    torch = pytest.importorskip("torch")
    n, k = 64, 4
    torch.manual_seed(0)
    x = torch.randn(n, 8)
    y = torch.randint(0, k, (n,))
    model = torch.nn.Linear(8, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    with Recorder(tmp_path / "torch", n, k) as recorder:
        for epoch in range(3):
            for idx in torch.randperm(n).split(16):
                logits = model(x[idx])
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                recorder.log(epoch, idx, logits)  # tensors with grad: detached by the recorder
    opened = read_dynamics(tmp_path / "torch")
    assert opened.kind == "logits" and len(opened) == 3


def test_parquet_with_missing_rows_is_refused(tmp_path, record):
    _, labels, probs, _ = record
    path = tmp_path / "holes.parquet"
    e, n, k = probs.shape
    rows = pa.table(
        {
            "epoch": np.repeat(np.arange(e), n - 1),
            "row": np.tile(np.arange(n - 1), e),
            "p": pa.array(list(probs[:, :-1].reshape(-1, k).astype(np.float64))),
        }
    )
    pq.write_table(rows, path)
    with pytest.raises(InvalidInputError, match="examples per epoch"):
        audit_dynamics(labels, path)
