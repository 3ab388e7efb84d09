"""The engine on other array libraries: the same flags, order and scores as on NumPy.

array-api-strict (always installed with the test extras) and PyTorch's CPU build exercise the
device code path on the CPU; the CUDA cases are marked `gpu` and skip without one.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import labelaudit
from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS
from tests.conftest import DATASETS, load_shared
from tests.test_conformance_generated import make_case


def _namespaces():
    out = []
    strict = pytest.importorskip("array_api_strict")
    out.append(pytest.param(lambda a: strict.asarray(a), id="array-api-strict"))
    try:
        import torch

        out.append(
            pytest.param(lambda a: torch.from_numpy(np.ascontiguousarray(a)), id="torch-cpu")
        )
        if torch.cuda.is_available():
            out.append(
                pytest.param(
                    lambda a: torch.from_numpy(np.ascontiguousarray(a)).to("cuda"),
                    id="torch-cuda",
                    marks=pytest.mark.gpu,
                )
            )
    except ImportError:
        pass
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            out.append(pytest.param(lambda a: cupy.asarray(a), id="cupy", marks=pytest.mark.gpu))
    except Exception:  # no cupy, or no driver
        pass
    return out


CASES = {
    "planted": make_case(
        1,
        1500,
        12,
        concentration=1.0,
        quantum=None,
        one_hot_share=0.05,
        missing=1,
        tiny=1,
        never_predicted=1,
        float32=False,
    ),
    "ties-float32": make_case(
        2,
        800,
        5,
        concentration=1.0,
        quantum=0.1,
        one_hot_share=0.2,
        missing=0,
        tiny=2,
        never_predicted=0,
        float32=True,
    ),
    "many-classes": make_case(
        3,
        3000,
        300,
        concentration=0.1,
        quantum=None,
        one_hot_share=0.0,
        missing=0,
        tiny=0,
        never_predicted=0,
        float32=False,
    ),
}


@pytest.mark.parametrize("convert", _namespaces())
@pytest.mark.parametrize("case", sorted(CASES))
def test_device_arrays_give_numpys_answer(convert, case):
    labels, P = CASES[case]
    device_P = convert(P)
    for filter_by in FILTER_METHODS:
        for ranked in (None, *RANK_METHODS):
            expected = labelaudit.find_label_issues(
                labels, P, filter_by=filter_by, return_indices_ranked_by=ranked
            )
            got = labelaudit.find_label_issues(
                labels, device_P, filter_by=filter_by, return_indices_ranked_by=ranked
            )
            assert np.array_equal(got, expected), (filter_by, ranked)
    for method in RANK_METHODS:
        expected = labelaudit.get_label_quality_scores(labels, P, method=method)
        assert np.array_equal(
            labelaudit.get_label_quality_scores(labels, device_P, method=method), expected
        )
    assert np.array_equal(
        labelaudit.compute_confident_joint(labels, device_P),
        labelaudit.compute_confident_joint(labels, P),
    )
    report = labelaudit.audit(labels, device_P)
    reference = labelaudit.audit(labels, P)
    for column in ("is_label_issue", "issue_rank", "suggested_label", "label_quality"):
        assert np.array_equal(report.columns[column], reference.columns[column])


@pytest.mark.parametrize("convert", _namespaces())
def test_device_arrays_are_validated(convert):
    labels, P = CASES["planted"]
    bad = P.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="row 3, column 2 is nan"):
        labelaudit.find_label_issues(labels, convert(bad))


@pytest.mark.parametrize("convert", _namespaces())
def test_device_matrix_stays_on_the_device(monkeypatch, convert):
    """Only the rows pruning needs cross to the host: a full copy of the matrix (once made by
    every value check) would cost a GPU audit its memory and a PCIe transfer of N×K values."""
    from labelaudit.backend import DeviceMatrix

    labels, P = CASES["planted"]
    largest = []
    take = DeviceMatrix.take

    def counted_take(self, rows, axis=0):
        largest.append(len(rows))
        return take(self, rows, axis)

    monkeypatch.setattr(DeviceMatrix, "take", counted_take)
    device_P = convert(P)
    labelaudit.find_label_issues(labels, device_P)
    labelaudit.get_label_quality_scores(labels, device_P)
    assert largest and max(largest) < len(labels) // 2


def test_importing_labelaudit_does_not_import_gpu_libraries():
    code = (
        "import sys, numpy as np, labelaudit\n"
        "labelaudit.find_label_issues(np.array([0, 1, 1, 0]), np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]))\n"
        "print([m for m in ('torch', 'cupy', 'array_api_compat') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_device_choice(tmp_path):
    from labelaudit.backend import place
    from labelaudit.errors import ConfigError

    P = np.full((4, 2), 0.5)
    assert place(P, "cpu") is P
    with pytest.raises(ConfigError, match="must be one of"):
        place(P, "tpu")


def test_cuda_request_without_a_gpu_is_a_clear_error(tmp_path):
    from labelaudit.backend import place
    from tests.helpers import planted, run_audit

    try:
        place(np.full((2, 2), 0.5), "cuda")
        pytest.skip("a CUDA device is available here")
    except labelaudit.ConfigError:
        pass
    labels, P, _ = planted(n=50, k=3)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", P)
    res = run_audit(
        tmp_path / "l.npy", tmp_path / "p.npy", tmp_path / "r.parquet", "--device", "cuda"
    )
    assert res.exit_code == 2
    assert "pip install 'labelaudit[gpu]'" in res.stderr
    assert not (tmp_path / "r.parquet").exists()
    res = run_audit(
        tmp_path / "l.npy",
        tmp_path / "p.npy",
        tmp_path / "r.parquet",
        "--device",
        "auto",
        "--quiet",
    )
    assert res.exit_code == 0


@pytest.mark.parametrize("convert", _namespaces())
@pytest.mark.parametrize("dataset", DATASETS)
def test_device_arrays_give_cleanlabs_answer_on_the_shared_data(convert, dataset):
    """Real model outputs (Fortran-ordered files) on each backend: cleanlab's flags, order and
    scores, for the default filter and 'both'."""
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    cleanlab_rank = pytest.importorskip("cleanlab.rank")
    labels, P = load_shared(dataset, "resnet18")
    device_P = convert(P)
    for filter_by in ("prune_by_noise_rate", "both"):
        expected = cleanlab_filter.find_label_issues(
            labels, P, filter_by=filter_by, return_indices_ranked_by="self_confidence"
        )
        got = labelaudit.find_label_issues(
            labels, device_P, filter_by=filter_by, return_indices_ranked_by="self_confidence"
        )
        assert np.array_equal(got, expected), filter_by
    assert np.array_equal(
        labelaudit.get_label_quality_scores(labels, device_P),
        cleanlab_rank.get_label_quality_scores(labels, P),
    )
