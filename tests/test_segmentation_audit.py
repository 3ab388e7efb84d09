"""`audit --task segmentation`: per-image report equal to cleanlab's pixel answers, the pixel mask
file, the image rule, and one-sentence refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import ndimage

from labelaudit.report import Report
from tests.helpers import run_cli
from tests.hostile.conftest import sha

cl_filter = pytest.importorskip("cleanlab.segmentation.filter")
cl_rank = pytest.importorskip("cleanlab.segmentation.rank")


def corrupted_scenes(n=16, k=4, h=48, w=48, *, blur=1.5, seed=0):
    """Blob masks; model outputs blurred at the boundaries (where real models err); every other
    image gets a 12×12 region relabelled to another class. Returns given, probs, corrupted."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    truth = np.zeros((n, h, w), dtype=np.int64)
    for i in range(n):
        for c in range(1, k):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, h / 3)
            truth[i][(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
    signal = ndimage.gaussian_filter(
        np.eye(k)[truth].transpose(0, 3, 1, 2) * 3.0, (0, 0, blur, blur)
    )
    logits = rng.normal(0, 1, (n, k, h, w)) + signal
    probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    given, corrupted = truth.copy(), np.zeros(n, dtype=bool)
    for i in range(0, n, 2):
        y0, x0 = rng.integers(0, h - 12, 2)
        region = (i, slice(y0, y0 + 12), slice(x0, x0 + 12))
        given[region] = (truth[region] + rng.integers(1, k)) % k
        corrupted[i] = True
    return given.astype(np.uint8), probs, corrupted


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("seg")
    given, probs, corrupted = corrupted_scenes()
    np.save(root / "masks.npy", given)
    np.save(root / "probs.npy", probs)
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", root / "masks.npy", "--pred-probs",
        root / "probs.npy", "--out", root / "r.parquet", "--pixel-mask-out", root / "pixels.npy",
        "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return root, given, probs, corrupted


def test_report_and_pixel_mask_equal_cleanlabs(audited):
    root, given, probs, _ = audited
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cl_filter.find_label_issues(given, probs, verbose=False, n_jobs=1)
        image_scores, _ = cl_rank.get_label_quality_scores(given, probs, verbose=False, n_jobs=1)
    pixels = np.load(root / "pixels.npy", mmap_mode="r")
    assert pixels.dtype == bool and np.array_equal(pixels, expected)
    report = Report.read_parquet(root / "r.parquet")
    cols = report.columns
    assert report.metadata["task"] == "segmentation"
    assert cols["row"].tolist() == list(range(len(given)))
    assert cols["pixel_issue_count"].dtype == np.int64
    assert cols["pixel_issue_count"].tolist() == expected.sum(axis=(1, 2)).tolist()
    np.testing.assert_allclose(cols["label_quality"], image_scores, rtol=0, atol=1e-9)
    np.testing.assert_allclose(cols["pixel_issue_fraction"], expected.mean(axis=(1, 2)))
    for i in np.flatnonzero(cols["pixel_issue_count"]):
        assert cols["worst_class"][i] == np.bincount(given[i][expected[i]], minlength=4).argmax()
    flagged = np.flatnonzero(cols["is_label_issue"])
    ranked = flagged[np.argsort(cols["issue_rank"][flagged])]
    assert np.all(np.diff(cols["label_quality"][ranked]) >= 0)
    assert set(pq.read_schema(root / "r.parquet").names) >= {
        "row", "label_quality", "pixel_issue_count", "pixel_issue_fraction", "worst_class",
        "suggested_class", "largest_region", "is_label_issue", "issue_rank",
    }  # fmt: skip


def test_the_image_rule_separates_corrupted_images_from_clean_ones(audited):
    root, _, _, corrupted = audited
    flagged = Report.read_parquet(root / "r.parquet").columns["is_label_issue"]
    assert not (flagged & ~corrupted).any(), "a clean image was flagged"
    assert (flagged & corrupted).sum() >= 0.75 * corrupted.sum()


@pytest.mark.parametrize("blur", [0.0, 3.0])
def test_boundary_errors_alone_flag_no_image(blur):
    from labelaudit.pipeline.loaders.segmentation import PixelEvidence
    from labelaudit.pipeline.segmentation import audit_pixels

    given, probs, corrupted = corrupted_scenes(n=12, blur=blur, seed=4)
    clean = ~corrupted
    report = audit_pixels(PixelEvidence(given[clean], probs[clean], "m", "p"))
    assert report.columns["pixel_issue_count"].sum() > 0  # pixels are flagged, images are not
    assert not report.columns["is_label_issue"].any()


def test_the_summary_speaks_of_images(audited):
    root, *_ = audited
    res = run_cli("report", root / "r.parquet", "--json")
    assert res.exit_code == 0, res.stderr
    import json

    summary = json.loads(res.stdout)
    assert summary["task"] == "segmentation" and summary["n"] == 16
    assert summary["top_issues"] and "pixel_issue_count" in summary["top_issues"][0]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (dict(masks=np.zeros((3, 8, 8), np.int32), probs=np.full((2, 3, 8, 8), 1 / 3)), "must agree"),
        (dict(masks=np.zeros((2, 8, 8), np.int32), probs=np.full((2, 1, 8, 8), 1.0)), "at least 2"),
        (dict(masks=np.full((2, 8, 8), 3, np.int32), probs=np.full((2, 3, 8, 8), 1 / 3)), "outside [0, 3)"),
        (dict(masks=np.zeros((2, 8, 8), np.float32), probs=np.full((2, 3, 8, 8), 1 / 3)), "integers"),
        (dict(masks=np.zeros((2, 8, 8), np.int32), probs=np.full((2, 3, 8, 8), 1 / 3, np.float16)), "float32 or float64"),
    ],
)  # fmt: skip
def test_bad_segmentation_inputs_are_one_sentence(tmp_path, change, fragment):
    np.save(tmp_path / "m.npy", change["masks"])
    np.save(tmp_path / "p.npy", change["probs"])
    before = {p.name: sha(p) for p in tmp_path.iterdir()}
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", tmp_path / "m.npy", "--pred-probs",
        tmp_path / "p.npy", "--out", tmp_path / "r.parquet", "--pixel-mask-out", tmp_path / "x.npy",
    )  # fmt: skip
    assert res.exit_code == 2, res.stderr
    assert fragment in res.stderr and "Traceback" not in res.stderr
    assert {p.name: sha(p) for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--multi-label",), "does not take --multi-label"),
        (("--filter-by", "both"), "drop --filter-by"),
        (("--engine", "dask"), "does not take --engine dask"),
    ],
)
def test_what_a_pixel_audit_does_not_take_is_refused_before_reading(tmp_path, extra, fragment):
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", tmp_path / "absent.npy", "--pred-probs",
        tmp_path / "absent2.npy", "--out", tmp_path / "r.parquet", *extra,
    )  # fmt: skip
    assert res.exit_code == 2 and fragment in res.stderr, res.stderr


def test_pixel_mask_out_needs_the_segmentation_task(tmp_path):
    res = run_cli(
        "audit", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy",
        "--out", tmp_path / "r.parquet", "--pixel-mask-out", tmp_path / "x.npy",
    )  # fmt: skip
    assert res.exit_code == 2 and "needs --task segmentation" in res.stderr


def test_export_and_diff_take_segmentation_reports_and_apply_refuses(audited, tmp_path):
    root, given, *_ = audited
    report = root / "r.parquet"
    res = run_cli("export", report, "--out", tmp_path / "flagged.csv", "-q")
    assert res.exit_code == 0, res.stderr
    import pandas as pd

    exported = pd.read_csv(tmp_path / "flagged.csv")
    flagged = Report.read_parquet(report).columns["is_label_issue"]
    assert len(exported) == flagged.sum() and exported["issue_rank"].tolist() == sorted(
        exported["issue_rank"]
    )
    import json

    res = run_cli("diff", report, report, "--json")
    assert res.exit_code == 0, res.stderr
    same = json.loads(res.stdout)
    assert same["newly_flagged"] == [] and same["no_longer_flagged"] == []
    np.save(tmp_path / "masks.npy", given)
    for args, fragment in (
        (("apply", report, "--labels", tmp_path / "masks.npy", "--dry-run"), "apply works on"),
        (("report", report, "--html", tmp_path / "p.html"), "page needs --pixel-mask"),
    ):
        res = run_cli(*args)
        assert res.exit_code == 2 and fragment in res.stderr and "segmentation" in res.stderr


def test_a_directory_of_per_image_files_gives_the_same_report(audited, tmp_path):
    root, _, probs, _ = audited
    folder = tmp_path / "probs"
    folder.mkdir()
    for i, image in enumerate(probs):  # natural order: img2 before img10
        np.save(folder / f"img{i}.npy", image)
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", root / "masks.npy", "--pred-probs",
        folder, "--out", tmp_path / "r.parquet", "--pixel-mask-out", tmp_path / "pix.npy", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert np.array_equal(np.load(tmp_path / "pix.npy"), np.load(root / "pixels.npy"))
    ours = Report.read_parquet(tmp_path / "r.parquet").columns
    single = Report.read_parquet(root / "r.parquet").columns
    for name in ("pixel_issue_count", "label_quality", "is_label_issue", "issue_rank"):
        assert np.array_equal(ours[name], single[name]), name


def test_a_per_image_file_of_another_shape_is_named(tmp_path):
    given, probs, _ = corrupted_scenes(n=3, h=16, w=16)
    np.save(tmp_path / "masks.npy", given)
    folder = tmp_path / "probs"
    folder.mkdir()
    for i, image in enumerate(probs):
        np.save(folder / f"img{i}.npy", image if i != 1 else image[:, :8])
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", tmp_path / "masks.npy", "--pred-probs",
        folder, "--out", tmp_path / "r.parquet",
    )  # fmt: skip
    assert res.exit_code == 2 and "img1.npy" in res.stderr and "K×H×W" in res.stderr
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.slow
def test_a_4_gb_probability_file_is_audited_within_1_2_gb(tmp_path):
    """#19: 4 GB of float32 pixel probabilities, streamed, with --pixel-mask-out: peak RSS ≤ 1.2 GB."""
    from labelaudit.bench.end_to_end import run_process
    from labelaudit.bench.segmentation import scenes

    n, k, h, w = 1600, 8, 288, 288  # 4.2 GB as float32
    masks = np.lib.format.open_memmap(tmp_path / "m.npy", "w+", np.uint8, (n, h, w))
    probs = np.lib.format.open_memmap(tmp_path / "p.npy", "w+", np.float32, (n, k, h, w))
    for start in range(0, n, 50):  # write in chunks so this process stays small too
        chunk_masks, chunk_probs = scenes(50, k, h, w, seed=start)
        masks[start : start + 50], probs[start : start + 50] = chunk_masks, chunk_probs
    masks.flush(), probs.flush()
    del masks, probs
    assert (tmp_path / "p.npy").stat().st_size > 4e9
    run = run_process(
        ["-m", "labelaudit", "audit", "--task", "segmentation", "--labels", str(tmp_path / "m.npy"),
         "--pred-probs", str(tmp_path / "p.npy"), "--out", str(tmp_path / "r.parquet"),
         "--pixel-mask-out", str(tmp_path / "x.npy"), "-q"]
    )  # fmt: skip
    assert run.peak_rss_mb <= 1.2 * 1024, run
    report = Report.read_parquet(tmp_path / "r.parquet")
    assert len(report.columns["row"]) == n and report.columns["is_label_issue"].any()
