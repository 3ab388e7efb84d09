"""The sparse confident joint (K² ≫ N): bit-identical to the dense path and to cleanlab 2.9, and
an audit whose memory is bounded by its input, not by K².

The datasets have many classes nobody labels, classes that are never the argmax, rows
confidently in an unlabelled class, and label counts of 1 and 2: the rows of the joint with
zero sum, the exact x.5 calibrations and the rounding ties that cleanlab's edge cases live in.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.format import open_memmap

import labelaudit.confident.sparse_joint as sparse_joint
from labelaudit.bench.end_to_end import PEAK_REPORTER
from labelaudit.confident._pairwise import pairwise_sums, sequential_sums
from labelaudit.confident.ensemble import member_confident_joint
from labelaudit.confident.filter import ConfidentAnalysis, find_label_issues, num_label_issues
from labelaudit.confident.latent import estimate_latent
from labelaudit.confident.prune import prune_count_matrix
from labelaudit.confident.sparse_joint import SparseJoint, prefers_sparse
from labelaudit.detectors.confident_learning import ConfidentLearning

ROOT = Path(__file__).resolve().parents[1]
K = 2_000


def many_classes(n: int, k: int, *, labelled: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, pred_probs): `labelled` of the k classes carry labels, 20% of them flipped,
    10% of rows confidently in a random (mostly unlabelled) class."""
    rng = np.random.default_rng(seed)
    classes = rng.choice(k, labelled, replace=False)
    true = classes[rng.integers(0, labelled, n)]
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), true] += rng.uniform(2, 9, n)
    stray = rng.random(n) < 0.1
    logits[stray, rng.integers(0, k, stray.sum())] += 10
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    given = true.copy()
    flip = rng.random(n) < 0.2
    given[flip] = classes[rng.integers(0, labelled, flip.sum())]
    return given, P


# Half the classes labelled; few classes (many examples each); nearly all, about one each.
DATASETS = {"half": (1_500, 1_000, 0), "few": (1_500, 50, 1), "all": (1_200, K - 1, 2)}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def dataset(request):
    n, labelled, seed = DATASETS[request.param]
    return many_classes(n, K, labelled=labelled, seed=seed)


@pytest.fixture(scope="module")
def half():
    n, labelled, seed = DATASETS["half"]
    return many_classes(n, K, labelled=labelled, seed=seed)


def test_the_regime_is_sparse_and_the_benchmarks_dense():
    assert all(prefers_sparse(n, K) for n, _, _ in DATASETS.values())
    assert prefers_sparse(300, 20_000) and prefers_sparse(1_000, 100_000)
    assert not prefers_sparse(50_000, 1_000) and not prefers_sparse(500_000, 100)
    assert not prefers_sparse(10, 100)  # small K stays dense whatever N


@pytest.mark.parametrize("length", [1, 7, 8, 9, 17, 128, 129, 300, 4_097, 100_000, 4_000_000])
def test_pairwise_sums_equal_numpy(length):
    rng = np.random.default_rng(length)
    nnz = min(length, 700)
    at = np.sort(rng.choice(length, nnz, replace=False))
    values = rng.random(nnz) * rng.integers(1, 10**6, nnz) / rng.integers(1, 1_000, nnz)
    run = np.zeros(length)
    run[at] = values
    assert pairwise_sums(np.zeros(nnz, np.int64), at, values, length, 1)[0] == np.sum(run)


def test_matrix_sums_equal_numpy_in_each_layout():
    rng = np.random.default_rng(0)
    m = np.zeros((700, 700))
    m.flat[rng.choice(m.size, 3_000, replace=False)] = rng.random(3_000) * 7
    i, j = np.nonzero(m)  # row-major
    by_col = np.lexsort((i, j))
    assert np.array_equal(pairwise_sums(i, j, m[i, j], 700, 700), m.sum(axis=1))
    assert np.array_equal(sequential_sums(j, m[i, j], 700), m.sum(axis=0))
    f = np.asfortranarray(m)
    assert np.array_equal(
        pairwise_sums(j[by_col], i[by_col], m[i, j][by_col], 700, 700), f.sum(axis=0)
    )
    flat = (j * 700 + i)[by_col]
    assert pairwise_sums(np.zeros(len(flat), np.int64), flat, m[i, j][by_col], 700**2, 1)[
        0
    ] == np.sum(f)


def _joints(labels, P) -> tuple[object, object]:
    """(raw, calibrated) confident joints of the path the switch picks now."""
    analysis = ConfidentAnalysis.of(labels, P)
    return analysis.raw_joint(), analysis.calibrated_joint()


def test_joints_and_noise_matrix_equal_dense(dataset, monkeypatch):
    labels, P = dataset
    raw, calibrated = _joints(labels, P)
    assert isinstance(raw, SparseJoint) and isinstance(calibrated, SparseJoint)
    monkeypatch.setattr(sparse_joint, "SPARSE_CELLS_PER_EXAMPLE", 10**18)
    raw_dense, calibrated_dense = _joints(labels, P)
    assert isinstance(calibrated_dense, np.ndarray)
    assert np.array_equal(raw.toarray(), raw_dense)
    assert np.array_equal(calibrated.toarray(), calibrated_dense)
    assert calibrated.trace() == np.trace(calibrated_dense)
    _, noise, _ = estimate_latent(calibrated_dense, labels)
    assert np.array_equal(sparse_joint.noise_matrix(calibrated).toarray(), noise)


@pytest.mark.parametrize(
    "options",
    [
        dict(min_examples_per_class=1, frac_noise=1.0),
        dict(min_examples_per_class=0, frac_noise=1.0),
        dict(min_examples_per_class=2, frac_noise=0.37),
        dict(min_examples_per_class=1, frac_noise=0.5),
    ],
)
def test_prune_count_matrix_equals_dense(half, monkeypatch, options):
    """From the calibrated joint, and from the raw one (--no-calibrate: the other memory order)."""
    labels, P = half
    counts = np.bincount(labels, minlength=K)
    sparse = _joints(labels, P)
    monkeypatch.setattr(sparse_joint, "SPARSE_CELLS_PER_EXAMPLE", 10**18)
    for joint, joint_dense in zip(sparse, _joints(labels, P), strict=True):
        pcm = prune_count_matrix(
            joint, num_to_remove_per_class=None, label_counts=counts, **options
        )
        expected = prune_count_matrix(
            joint_dense, num_to_remove_per_class=None, label_counts=counts, **options
        )
        assert isinstance(pcm, SparseJoint)
        assert np.array_equal(pcm.toarray(), expected)


def test_rounding_ties_go_through_the_dense_argsort(half, monkeypatch):
    """Rows whose rounding ties at the cut are settled by np.argsort of the whole dense row
    (cleanlab's tie order); the data above has plenty of them."""
    calls = []
    original = sparse_joint._round_dense_row
    monkeypatch.setattr(
        sparse_joint, "_round_dense_row", lambda *a: calls.append(1) or original(*a)
    )
    ConfidentAnalysis.of(*half).calibrated_joint()
    assert len(calls) > 10


CLEANLAB_OPTIONS = [
    dict(),
    dict(filter_by="prune_by_class"),
    dict(filter_by="both"),
    dict(filter_by="confident_learning"),
    dict(filter_by="predicted_neq_given"),
    dict(filter_by="low_normalized_margin"),
    dict(filter_by="low_self_confidence"),
    dict(frac_noise=0.6),
    dict(filter_by="both", frac_noise=0.3, min_examples_per_class=3),
    dict(min_examples_per_class=0),
    dict(return_indices_ranked_by="normalized_margin"),
    dict(return_indices_ranked_by="confidence_weighted_entropy", filter_by="prune_by_class"),
]


@pytest.mark.parametrize("options", CLEANLAB_OPTIONS, ids=lambda o: str(o) or "default")
def test_find_label_issues_equals_cleanlab(dataset, options):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, P = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = find_label_issues(labels, P, **options)
        theirs = cleanlab_filter.find_label_issues(labels, P, **options)
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_num_to_remove_per_class_equals_cleanlab(half, filter_by):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, P = half
    counts = np.bincount(labels, minlength=K)
    remove = np.minimum(counts, np.random.default_rng(0).integers(0, 3, K))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = find_label_issues(labels, P, filter_by=filter_by, num_to_remove_per_class=remove)
        theirs = cleanlab_filter.find_label_issues(
            labels, P, filter_by=filter_by, num_to_remove_per_class=remove
        )
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("method", ["off_diagonal", "off_diagonal_calibrated"])
def test_num_label_issues_equals_cleanlab(dataset, method):
    cleanlab_count = pytest.importorskip("cleanlab.count")
    labels, P = dataset
    expected = cleanlab_count.num_label_issues(labels, P, estimation_method=method)
    assert num_label_issues(labels, P, estimation_method=method) == expected


def _detect(labels, P, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ConfidentLearning(**options).detect(labels, P)


@pytest.mark.parametrize(
    "options", [dict(), dict(filter_by="both"), dict(calibrate=False, frac_noise=0.5)], ids=str
)
def test_detector_equals_dense(half, monkeypatch, options):
    """Flags, ranking, suggestions and the report metadata (largest flips, never a K×K list)."""
    labels, P = half
    result = _detect(labels, P, **options)
    monkeypatch.setattr(sparse_joint, "SPARSE_CELLS_PER_EXAMPLE", 10**18)
    expected = _detect(labels, P, **options)
    for field in ("is_label_issue", "ranking", "suggested_label", "label_quality"):
        assert np.array_equal(getattr(result, field), getattr(expected, field)), field
    assert result.details == expected.details
    assert "confident_joint" not in result.details and "noise_matrix" not in result.details
    assert len(result.details["thresholds"]) == K


def test_ensemble_equals_dense(half, monkeypatch):
    labels, P = half
    other = P**0.5 / (P**0.5).sum(axis=1, keepdims=True)
    members = [P, other]
    mean = (P + other) / 2
    joint = member_confident_joint(labels, members)
    result = _detect(labels, mean, members=members)
    monkeypatch.setattr(sparse_joint, "SPARSE_CELLS_PER_EXAMPLE", 10**18)
    assert np.array_equal(joint.toarray(), member_confident_joint(labels, members))
    expected = _detect(labels, mean, members=members)
    assert np.array_equal(result.is_label_issue, expected.is_label_issue)
    assert np.array_equal(result.suggested_label, expected.suggested_label)
    assert result.details == expected.details


def write_many_classes(root: Path, n: int, k: int, *, seed: int = 0) -> None:
    """labels.npy and a float32 probs.npy written block by block (never N×K float64 at once)."""
    rng = np.random.default_rng(seed)
    classes = rng.choice(k, min(k // 2, 2 * n), replace=False)
    true = classes[rng.integers(0, len(classes), n)]
    given = true.copy()
    flip = rng.random(n) < 0.2
    given[flip] = classes[rng.integers(0, len(classes), flip.sum())]
    np.save(root / "labels.npy", given)
    P = open_memmap(root / "probs.npy", mode="w+", dtype=np.float32, shape=(n, k))
    for start in range(0, n, 50):
        rows = slice(start, min(n, start + 50))
        block = rng.random((rows.stop - rows.start, k), dtype=np.float32) * 0.5
        peak = rng.uniform(50, 3_000, len(block)) * (rng.random(len(block)) < 0.9)
        block[np.arange(len(block)), true[rows]] += peak.astype(np.float32)
        block /= block.sum(axis=1, keepdims=True)
        P[rows] = block
    P.flush()
    del P


def audit_peak_mb(root: Path, *extra: str) -> float:
    """Peak RSS (VmHWM, MB) of one `labelaudit audit` process over root's files."""
    args = ["-m", "labelaudit", "audit", "--labels", str(root / "labels.npy")]
    args += ["--pred-probs", str(root / "probs.npy"), "--out", str(root / "r.parquet"), "-q"]
    done = subprocess.run(
        [sys.executable, "-c", PEAK_REPORTER, *args, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stderr.rsplit("PEAK_KB ", 1)[1].split()[0]) / 1024


def test_audit_at_20000_classes_stays_under_1_gb(tmp_path):
    """Dense K×K matrices need ~12.5 GB here; the sparse joint needs ~130 MB in all."""
    write_many_classes(tmp_path, 300, 20_000)
    assert audit_peak_mb(tmp_path) < 1024
    assert audit_peak_mb(tmp_path, "--filter-by", "both", "--rank-by", "normalized_margin") < 1024


@pytest.mark.slow
def test_audit_at_100000_classes_stays_under_1_gb(tmp_path):
    """A 400 MB float32 memory-mapped input: the audit streams it and keeps the joint sparse."""
    write_many_classes(tmp_path, 1_000, 100_000)
    assert audit_peak_mb(tmp_path) < 1024
    assert audit_peak_mb(tmp_path, "--filter-by", "prune_by_class") < 1024


@pytest.mark.slow
@pytest.mark.parametrize("options", [dict(), dict(filter_by="both"), dict(frac_noise=0.5)], ids=str)
def test_find_label_issues_equals_cleanlab_at_20000_classes(options):
    """cleanlab holds several dense 20,000² matrices here (several GB); we hold N + K cells."""
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, P = many_classes(400, 20_000, labelled=600, seed=3)
    P = P.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = find_label_issues(labels, P, **options)
        theirs = cleanlab_filter.find_label_issues(labels, P, **options)
    assert np.array_equal(ours, theirs)
