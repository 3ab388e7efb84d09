"""Out-of-core audits: memory-mapped inputs with a bounded resident set, Parquet in row groups,
row-group reports, --only-flagged, and faults that leave no report behind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from labelaudit.bench.end_to_end import run_process
from labelaudit.bench.scale import write_matrix
from labelaudit.report import Report
from tests.helpers import planted, run_audit, run_cli


def audit(tmp, *extra, probs="probs.npy", out="r.parquet"):
    """Audit tmp/labels.npy against tmp/PROBS into tmp/OUT, quietly."""
    return run_audit(tmp / "labels.npy", tmp / probs, tmp / out, "-q", *extra)


def test_streamed_audit_equals_in_memory_and_keeps_rss_bounded(tmp_path):
    """A 60,000 × 1,000 float32 file (229 MB): same report; far less resident memory."""
    write_matrix(tmp_path, 60_000, 1_000, seed=3)
    base = ["-m", "labelaudit", "audit", "--labels", str(tmp_path / "labels.npy")]
    base += ["--pred-probs", str(tmp_path / "probs.npy"), "-q", "--out"]
    streamed = run_process([*base, str(tmp_path / "s.parquet")])
    loaded = run_process([*base, str(tmp_path / "m.parquet"), "--in-memory"])
    assert pq.read_table(tmp_path / "s.parquet").equals(pq.read_table(tmp_path / "m.parquet"))
    file_mb = (tmp_path / "probs.npy").stat().st_size / 2**20
    # loading holds the whole file; streaming only a few blocks of it at a time
    assert loaded.peak_rss_mb > streamed.peak_rss_mb + 0.6 * file_mb


def test_parquet_probabilities_read_in_batches_equal_npy(tmp_path):
    given, P, _ = planted(n=5000, k=6, noise=0.2, seed=5)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    table = pa.table({f"p{c}": P[:, c] for c in range(6)})
    pq.write_table(table, tmp_path / "probs.parquet", row_group_size=700)
    assert audit(tmp_path).exit_code == 0
    res = audit(tmp_path, "--block-rows", "333", probs="probs.parquet", out="q.parquet")
    assert res.exit_code == 0, res.stderr
    a, b = Report.read_parquet(tmp_path / "r.parquet"), Report.read_parquet(tmp_path / "q.parquet")
    for name in a.columns:
        np.testing.assert_array_equal(a.columns[name], b.columns[name], err_msg=name)


def test_parquet_null_mid_file_is_named(tmp_path):
    given, P, _ = planted(n=3000, k=4, seed=6)
    np.save(tmp_path / "labels.npy", given)
    columns = {f"p{c}": pa.array(P[:, c]) for c in range(4)}
    values = P[:, 2].tolist()
    values[2345] = None
    columns["p2"] = pa.array(values, type=pa.float64())
    pq.write_table(pa.table(columns), tmp_path / "holes.parquet", row_group_size=500)
    res = audit(tmp_path, "--block-rows", "400", probs="holes.parquet")
    assert res.exit_code == 2
    assert "row 2345, column 'p2' is empty" in res.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_report_row_groups_and_only_flagged(tmp_path):
    given, P, _ = planted(n=4000, k=5, noise=0.2, seed=7)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    assert audit(tmp_path, "--block-rows", "1000").exit_code == 0
    assert pq.ParquetFile(tmp_path / "r.parquet").metadata.num_row_groups == 4
    res = audit(tmp_path, "--only-flagged", out="f.parquet")
    assert res.exit_code == 0, res.stderr
    full = pd.read_parquet(tmp_path / "r.parquet")
    flagged = pd.read_parquet(tmp_path / "f.parquet")
    assert (
        pq.read_schema(tmp_path / "f.parquet").names == pq.read_schema(tmp_path / "r.parquet").names
    )
    pd.testing.assert_frame_equal(
        flagged.reset_index(drop=True), full[full.is_label_issue].reset_index(drop=True)
    )
    a = Report.read_parquet(tmp_path / "r.parquet").summary()
    b = Report.read_parquet(tmp_path / "f.parquet").summary()
    assert (a["n"], a["num_issues"], a["per_class"]) == (b["n"], b["num_issues"], b["per_class"])
    refused = run_cli(
        "apply", tmp_path / "f.parquet", "--labels", tmp_path / "labels.npy", "--dry-run"
    )
    assert refused.exit_code == 2 and "--only-flagged" in refused.stderr


def test_truncated_npy_and_nan_mid_stream_leave_no_report(tmp_path):
    given, P, _ = planted(n=50_000, k=8, seed=8)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    data = (tmp_path / "probs.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    res = audit(tmp_path, probs="cut.npy")
    assert res.exit_code == 2 and "truncated" in res.stderr
    P[41_234, 5] = np.nan
    np.save(tmp_path / "nan.npy", P)
    res = audit(tmp_path, probs="nan.npy")
    assert res.exit_code == 2 and "row 41234, column 5 is nan" in res.stderr
    assert not (tmp_path / "r.parquet").exists()
    assert not list(tmp_path.glob(".r.parquet*"))  # no temporary file either
