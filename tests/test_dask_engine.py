"""The Dask engine on a real LocalCluster: the same answer as the local engine, and faults."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from labelaudit import audit
from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS
from labelaudit.engines import dask_engine
from labelaudit.errors import InvalidInputError, LabelAuditError
from tests.helpers import planted


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        Client(c) as client,
    ):
        yield c, client


def same(a, b) -> None:
    assert a.columns.keys() == b.columns.keys()
    for name in a.columns:
        np.testing.assert_array_equal(a.columns[name], b.columns[name], err_msg=name)
    assert a.metadata["details"] == b.metadata["details"]


def on_cluster(path, small_chunks=True):
    array = dask_engine.load(str(path))
    if small_chunks:  # many chunks, so that every pass really is split across tasks
        array = array.rechunk((max(1, array.shape[0] // 7), -1))
    return dask_engine.checked(dask_engine.DaskMatrix(array), str(path))


@pytest.mark.parametrize("filter_by", FILTER_METHODS)
def test_every_filter_matches_the_local_engine(cluster, tmp_path, filter_by):
    given, P, _ = planted(n=3000, k=7, noise=0.25, seed=11)
    P = P.astype(np.float32)
    np.save(tmp_path / "p.npy", P)
    rank_by = RANK_METHODS[FILTER_METHODS.index(filter_by) % len(RANK_METHODS)]
    local = audit(given, P, filter_by=filter_by, rank_by=rank_by)
    remote = audit(given, on_cluster(tmp_path / "p.npy"), filter_by=filter_by, rank_by=rank_by)
    same(local, remote)
    assert local.num_issues > 0


def test_default_audit_with_repairs_matches(cluster, tmp_path):
    given, P, _ = planted(n=5000, k=12, noise=0.2, seed=12)
    P[::97] *= 1.0 + 5e-4  # slightly off rows: renormalised the same way on both engines
    np.save(tmp_path / "p.npy", P)
    from labelaudit.io.probabilities import read_members

    with pytest.warns(UserWarning, match="renormalised"):
        local_p = read_members([tmp_path / "p.npy"])[0]
    with pytest.warns(UserWarning, match="renormalised"):
        remote_p = on_cluster(tmp_path / "p.npy")
    same(audit(given, local_p), audit(given, remote_p))


@pytest.mark.parametrize("dataset", ["cifar10-synthetic-noise", "roman-numeral"])
def test_shared_data_matches(cluster, dataset):
    from tests.conftest import shared_data_dir

    root = shared_data_dir() / dataset
    labels = np.load(root / "given_labels.npy")
    path = root / "pred_probs" / "resnet18.npy"
    same(audit(labels, np.load(path)), audit(labels, on_cluster(path, small_chunks=False)))


def test_cli_on_a_scheduler_address_equals_local(cluster, tmp_path):
    given, P, _ = planted(n=4000, k=5, noise=0.2, seed=13)
    np.save(tmp_path / "y.npy", given)
    pq.write_table(
        __import__("pyarrow").table({f"c{i}": P[:, i] for i in range(5)}), tmp_path / "p.parquet"
    )
    np.save(tmp_path / "p.npy", P)
    base = [sys.executable, "-m", "labelaudit", "audit", "--labels", str(tmp_path / "y.npy"), "-q"]
    local = subprocess.run(
        [*base, "--pred-probs", str(tmp_path / "p.npy"), "--out", str(tmp_path / "l.parquet")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    for source in ("p.npy", "p.parquet"):
        out = tmp_path / f"d-{source}.parquet"
        remote = subprocess.run(
            [*base, "--pred-probs", f"file://{tmp_path / source}", "--out", str(out),
             "--engine", "dask", "--scheduler", cluster[0].scheduler_address],
            capture_output=True, text=True,
        )  # fmt: skip
        assert remote.returncode == 0, remote.stderr
        a, b = pq.read_table(tmp_path / "l.parquet"), pq.read_table(out)
        for name in a.column_names:
            assert a.column(name).equals(b.column(name)), (source, name)


@pytest.mark.parametrize("filter_by", [None, "prune_by_noise_rate"])
def test_a_five_model_ensemble_on_dask_equals_local_and_cleanlab(cluster, tmp_path, filter_by):
    import cleanlab.filter

    given, P0, _ = planted(n=3000, k=6, noise=0.25, seed=21)
    members = []
    for seed in range(5):  # five models that disagree a little
        z = np.log(P0) + np.random.default_rng(seed).normal(0, 0.7, P0.shape)
        P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        members.append(P)
        np.save(tmp_path / f"m{seed}.npy", P)
    np.save(tmp_path / "y.npy", given)
    base = [sys.executable, "-m", "labelaudit", "audit", "--labels", str(tmp_path / "y.npy"), "-q"]
    if filter_by:
        base += ["--filter-by", filter_by]
    probs = [arg for s in range(5) for arg in ("--pred-probs", str(tmp_path / f"m{s}.npy"))]
    local = subprocess.run(
        [*base, *probs, "--out", str(tmp_path / "l.parquet")], capture_output=True, text=True
    )
    assert local.returncode == 0, local.stderr
    remote = subprocess.run(
        [*base, *probs, "--out", str(tmp_path / "d.parquet"), "--engine", "dask",
         "--scheduler", cluster[0].scheduler_address],
        capture_output=True, text=True,
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    a, b = pq.read_table(tmp_path / "l.parquet"), pq.read_table(tmp_path / "d.parquet")
    for name in a.column_names:
        assert a.column(name).equals(b.column(name)), name
    if filter_by:
        mean = np.mean(np.stack(members), axis=0)
        ranked = cleanlab.filter.find_label_issues(
            given, mean, filter_by=filter_by, return_indices_ranked_by="self_confidence"
        )
        df = b.to_pandas()
        order = df[df.is_label_issue].sort_values("issue_rank")["row"].to_numpy()
        assert np.array_equal(order, ranked)


def test_unreachable_scheduler_is_one_sentence(tmp_path):
    given, P, _ = planted(n=100, k=3)
    np.save(tmp_path / "y.npy", given)
    np.save(tmp_path / "p.npy", P)
    done = subprocess.run(
        [sys.executable, "-m", "labelaudit", "audit", "--labels", str(tmp_path / "y.npy"),
         "--pred-probs", str(tmp_path / "p.npy"), "--out", str(tmp_path / "r.parquet"),
         "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, env={**os.environ, "LABELAUDIT_DASK_TIMEOUT": "1"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r.parquet").exists()


def test_bad_inputs_on_the_cluster(cluster, tmp_path):
    _, P, _ = planted(n=2000, k=4, seed=14)
    P[1500, 2] = np.nan
    np.save(tmp_path / "nan.npy", P)
    with pytest.raises(InvalidInputError, match="row 1500, column 2 is nan"):
        on_cluster(tmp_path / "nan.npy")
    data = (tmp_path / "nan.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-1000])
    with pytest.raises(InvalidInputError, match="truncated"):
        dask_engine.load(str(tmp_path / "cut.npy"))


def _die(block):
    if block.size:  # dask may call it on an empty array here to infer the output's type
        os._exit(1)
    return block


def test_a_worker_that_dies_is_a_clear_error():
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        Client(c),
    ):
        doomed = da.ones((10, 4), chunks=(5, 4)).map_blocks(_die, meta=np.empty((0, 0)))
        with (
            pytest.raises(LabelAuditError, match=r"a Dask worker died while processing probs\.npy"),
            dask_engine.translated_faults("probs.npy"),
        ):
            doomed.compute()


def test_cli_starts_a_local_cluster_when_no_scheduler_is_given(tmp_path):
    given, P, _ = planted(n=1500, k=4, noise=0.2, seed=15)
    np.save(tmp_path / "y.npy", given)
    np.save(tmp_path / "p.npy", P)
    base = [sys.executable, "-m", "labelaudit", "audit", "--labels", str(tmp_path / "y.npy"),
            "--pred-probs", str(tmp_path / "p.npy"), "-q", "--out"]  # fmt: skip
    for out, extra in (("l.parquet", []), ("d.parquet", ["--engine", "dask"])):
        done = subprocess.run([*base, str(tmp_path / out), *extra], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    meta = pq.read_schema(tmp_path / "d.parquet").metadata
    assert b'"engine": "dask"' in meta[b"labelaudit"]
    a, b = pq.read_table(tmp_path / "l.parquet"), pq.read_table(tmp_path / "d.parquet")
    for name in a.column_names:
        assert a.column(name).equals(b.column(name)), name
