"""`labelaudit bench speed` measures both libraries on the same arrays and checks they agree."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers import run_cli

pytest.importorskip("cleanlab")


def test_bench_speed_reports_ratios_memory_and_agreement():
    res = run_cli(
        "bench",
        "speed",
        "--sizes",
        "800x6,1500x12",
        "--end-to-end-size",
        "600x5",
        "--repeat",
        "1",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["machine"]["cleanlab"].startswith("2.9")
    library = data["library"]
    assert [(r["n"], r["k"], r["filter_by"]) for r in library] == [
        (800, 6, "prune_by_noise_rate"),
        (800, 6, "both"),
        (1500, 12, "prune_by_noise_rate"),
        (1500, 12, "both"),
    ]
    for row in library:
        assert row["identical"] is True
        assert row["speedup"] == pytest.approx(row["cleanlab_s"] / row["labelaudit_s"])
        assert row["cleanlab_peak_mb"] > 0 and row["labelaudit_peak_mb"] > 0
    e2e = data["end_to_end"][0]
    assert e2e["labelaudit"]["peak_rss_mb"] > 10 and e2e["cleanlab"]["seconds"] > 0
    assert data["startup"]["help_s"] > 0


def test_bench_rejects_malformed_sizes():
    res = run_cli("bench", "speed", "--sizes", "lots", "--no-end-to-end")
    assert res.exit_code == 2
    assert "sizes must look like 50000x1000" in res.stderr


def test_bench_speed_times_labelaudit_on_another_array_backend():
    """The GPU figures come from `--backend cupy|torch`; array-api-strict runs the same device
    code path on the CPU, so the comparison and its equality check are exercised here."""
    pytest.importorskip("array_api_strict")
    res = run_cli(
        "bench",
        "speed",
        *("--sizes", "900x7", "--repeat", "1", "--no-end-to-end", "--json"),
        *("--backend", "array-api-strict"),
    )
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["machine"]["labelaudit backend"] == "array-api-strict (cpu)"
    assert [row["identical"] for row in data["library"]] == [True, True]


def test_bench_refuses_an_unknown_backend_before_measuring():
    res = run_cli("bench", "speed", "--backend", "jax", "--no-end-to-end")
    assert res.exit_code == 2
    assert "--backend must be one of numpy, torch, cupy, array-api-strict" in res.stderr


@pytest.mark.slow
def test_bench_segmentation_runs_both_and_compares_their_pixel_masks():
    from labelaudit.bench.segmentation import measure

    row = measure(4, 3, 48, 48)
    assert row.identical
    assert row.cleanlab.seconds > 0 and row.labelaudit.seconds > 0
    assert row.speedup == pytest.approx(row.cleanlab.seconds / row.labelaudit.seconds)
    assert row.rss_budget_mb == pytest.approx(1.5 * row.file_mb + 150)


def test_bench_tokens_sentences_add_up_and_repeat_verbatim():
    from labelaudit.bench.tokens import TAGS, tagged_sentences

    tags, probs = tagged_sentences(5_000, seed=3)
    assert sum(len(t) for t in tags) == 5_000 == len(probs)
    assert probs.shape[1] == len(TAGS) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in tags])])
    repeats = range(39, len(tags) - 1, 40)
    assert len(repeats) >= 5
    for s in repeats:
        assert np.array_equal(tags[s], tags[s - 20])
        assert np.array_equal(
            probs[offsets[s] : offsets[s + 1]], probs[offsets[s - 20] : offsets[s - 19]]
        )


@pytest.mark.slow
def test_bench_tokens_runs_both_and_compares_their_flagged_pairs():
    from labelaudit.bench.tokens import measure

    row = measure(20_000)
    assert row.identical
    assert row.speedup == pytest.approx(row.cleanlab.seconds / row.labelaudit.seconds)
    assert row.cleanlab.peak_rss_mb > 0 and row.labelaudit.peak_rss_mb > 0


def _datalab_importable(path: str = "") -> bool:
    from labelaudit.bench.embed_speed import require_datalab
    from labelaudit.errors import ConfigError

    try:
        require_datalab(path)
    except ConfigError:
        return False
    return True


def test_bench_embeddings_generator_plants_errors_and_conflicting_copies():
    from labelaudit.bench.embed_speed import clustered_embeddings, f1

    X, given, planted, pairs = clustered_embeddings(3_000, 16, seed=5, duplicates=7)
    assert X.shape == (3_000, 16) and X.dtype == np.float32
    assert given.dtype == np.int64 and set(np.unique(given)) == set(range(10))
    assert 0.07 < planted.mean() < 0.13  # 10% flipped, give or take the draw
    assert pairs.shape == (7, 2) and len(np.unique(pairs)) == 14
    a, b = pairs[:, 0], pairs[:, 1]
    assert np.abs(X[a] - X[b]).max() < 1e-3 and (given[a] != given[b]).all()
    assert planted[b].all() and not planted[a].any()  # the copy carries the wrong label
    again = clustered_embeddings(3_000, 16, seed=5, duplicates=7)
    assert np.array_equal(again[0], X) and np.array_equal(again[1], given)
    assert f1(planted, planted) == 1.0 and f1(~planted, planted) == 0.0


def test_bench_embeddings_refuses_in_one_sentence_without_datalab(tmp_path):
    if _datalab_importable(str(tmp_path)):
        pytest.skip("cleanlab[datalab] is installed here")
    res = run_cli("bench", "embeddings", "--rows", "500", "--datalab-path", str(tmp_path))
    assert res.exit_code == 2
    assert "bench embeddings needs cleanlab[datalab]: pip install 'labelaudit[bench]'" in (
        res.stderr
    )
    assert "Traceback" not in res.stderr


@pytest.mark.slow
def test_bench_embeddings_measure_times_both_and_scores_planted_errors():
    import os

    from labelaudit.bench.embed_speed import DATALAB_ENV, measure

    path = os.environ.get(DATALAB_ENV, "")
    if not _datalab_importable(path):
        pytest.skip(f"needs cleanlab[datalab] (installed, or a directory in ${DATALAB_ENV})")
    row = measure(3_000, 64, datalab_path=path)
    assert row.speedup == pytest.approx(row.datalab.seconds / row.labelaudit.seconds)
    assert row.datalab.peak_rss_mb > 0 and row.labelaudit.peak_rss_mb > 0
    assert row.planted_errors > 200 and row.k == 10
    # both find errors in the overlapping clusters (0.67 and 0.41 at seed 0), ours more of them
    assert 0.3 < row.datalab_f1 < row.labelaudit_f1 < 1.0
    assert row.conflicting_pairs_found == row.planted_duplicates == 20
