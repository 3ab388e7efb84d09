"""Segmentation drop-ins against cleanlab 2.9 itself, on generated masks with relabelled regions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelaudit.errors import InvalidInputError
from labelaudit.segmentation.analysis import lowest_scores_mask
from labelaudit.segmentation.filter import find_label_issues
from labelaudit.segmentation.rank import get_label_quality_scores

cl_filter = pytest.importorskip("cleanlab.segmentation.filter")
cl_rank = pytest.importorskip("cleanlab.segmentation.rank")


def scene(n, k, h, w, *, seed=0, dtype=np.float32, shape="rectangles", unused_class=False):
    """True masks of rectangles or blobs, confident-ish model outputs, and given masks with a
    relabelled region per image. unused_class: class K-1 is never a given label."""
    rng = np.random.default_rng(seed)
    classes = k - 1 if unused_class else k
    if shape == "rectangles":
        truth = np.empty((n, h, w), dtype=np.int64)
        for i in range(n):
            truth[i] = rng.integers(0, classes)
            y0, x0 = rng.integers(0, max(h // 2, 1)), rng.integers(0, max(w // 2, 1))
            truth[i, y0 : y0 + h // 2, x0 : x0 + w // 2] = rng.integers(0, classes)
    else:  # blobs: thresholded smooth noise
        yy, xx = np.mgrid[0:h, 0:w]
        truth = np.zeros((n, h, w), dtype=np.int64)
        for i in range(n):
            for c in range(1, classes):
                cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(2, max(h, w) / 3)
                truth[i][(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
    logits = rng.normal(0, 1.0, (n, k, h, w))
    np.put_along_axis(
        logits, truth[:, None], np.take_along_axis(logits, truth[:, None], 1) + 2.5, 1
    )
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = truth.copy()
    for i in range(n):
        y0, x0 = rng.integers(0, h - h // 4), rng.integers(0, w - w // 4)
        given[i, y0 : y0 + h // 4, x0 : x0 + w // 4] = rng.integers(0, classes)
    return given.astype(np.int32), probs.astype(dtype)


def cleanlab_answers(labels, probs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = cl_filter.find_label_issues(labels, probs, verbose=False, n_jobs=1, **kwargs)
        scores = cl_rank.get_label_quality_scores(labels, probs, verbose=False, n_jobs=1)
    return mask, scores


CASES = {
    "rectangles, one image per batch": dict(n=4, k=3, h=64, w=72),
    "blobs, float64": dict(n=5, k=4, h=40, w=40, shape="blobs", dtype=np.float64),
    "small images, many per batch": dict(n=60, k=5, h=8, w=9),
    "one image": dict(n=1, k=3, h=30, w=20),
    "a class never labelled": dict(n=6, k=4, h=24, w=24, unused_class=True),
    "images larger than a batch": dict(n=2, k=6, h=50, w=60, shape="blobs"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pixel_mask_and_scores_equal_cleanlabs(case):
    labels, probs = scene(**CASES[case], seed=len(case))
    expected_mask, (expected_images, expected_pixels) = cleanlab_answers(labels, probs)
    mask = find_label_issues(labels, probs)
    images, pixels = get_label_quality_scores(labels, probs)
    assert mask.dtype == bool and mask.shape == labels.shape
    assert expected_mask.any() and np.array_equal(mask, expected_mask)
    np.testing.assert_allclose(images, expected_images, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(pixels, expected_pixels)


def test_downsampling_and_batch_size_follow_cleanlab():
    labels, probs = scene(n=3, k=3, h=32, w=32, seed=7)
    for kwargs in (dict(downsample=2), dict(downsample=4), dict(batch_size=500)):
        expected, _ = cleanlab_answers(labels, probs, **kwargs)
        assert np.array_equal(find_label_issues(labels, probs, **kwargs), expected), kwargs


def test_num_pixel_issues_method_equals_cleanlabs():
    labels, probs = scene(n=3, k=4, h=20, w=16, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cl_rank.get_label_quality_scores(
            labels, probs, method="num_pixel_issues", verbose=False, n_jobs=1
        )
    ours = get_label_quality_scores(labels, probs, method="num_pixel_issues")
    np.testing.assert_allclose(ours[0], expected[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours[1], expected[1])


def test_relabelled_regions_are_what_gets_flagged():
    labels, probs = scene(n=8, k=4, h=48, w=48, seed=11)
    truth_wrong = probs.argmax(axis=1) != labels
    mask = find_label_issues(labels, probs)
    precision = (mask & truth_wrong).sum() / mask.sum()
    assert precision > 0.9  # flagged pixels are ones the model disagrees with


def test_ties_at_the_cut_go_to_the_earliest_pixels():
    scores = np.array([[0.5, 0.2, 0.5], [0.5, 0.9, 0.1]])
    assert lowest_scores_mask(scores, 3).tolist() == [[True, True, False], [False, False, True]]
    assert lowest_scores_mask(scores, 4).tolist() == [[True, True, True], [False, False, True]]
    assert not lowest_scores_mask(scores, 0).any() and lowest_scores_mask(scores, 9).all()


@pytest.mark.parametrize(
    ("labels_shape", "probs_shape", "fragment"),
    [
        ((2, 8, 8), (3, 3, 8, 8), "N, H and W must agree"),
        ((2, 8, 9), (2, 3, 8, 8), "N, H and W must agree"),
        ((2, 8, 8), (2, 1, 8, 8), "at least 2"),
        ((8, 8), (2, 3, 8, 8), "(N, H, W)"),
    ],
)
def test_bad_shapes_are_one_sentence(labels_shape, probs_shape, fragment):
    with pytest.raises(InvalidInputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        find_label_issues(np.zeros(labels_shape, dtype=int), np.full(probs_shape, 0.5))


def test_a_mask_value_outside_k_names_the_image():
    labels, probs = scene(n=3, k=3, h=8, w=8)
    labels[2, 1, 1] = 3
    with pytest.raises(InvalidInputError, match="mask value 3 at image 2, row 1, column 1"):
        find_label_issues(labels, probs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_streamed_cut_equals_a_full_sort_even_with_many_ties(dtype):
    """Probabilities rounded to 1/20 make ties at the cut certain; the histogram cut must pick the
    same pixels as a stable full sort (the documented tie rule), and cleanlab's away from them."""
    from labelaudit.segmentation.analysis import confident_thresholds, pixel_issues, pixel_pass

    labels, probs = scene(n=5, k=3, h=30, w=30, seed=9, dtype=np.float64)
    probs = np.round(probs * 20) / 20
    probs[:, 0] += 1 - probs.sum(axis=1)  # keep rows summing to one
    probs = np.clip(probs, 0, 1).astype(dtype)
    mask, found = pixel_issues(labels, probs)
    scores = np.take_along_axis(probs, labels[:, None].astype(np.int64), 1)[:, 0]
    reference = lowest_scores_mask(scores, found.num_issues) & (found.predicted != labels)
    assert np.array_equal(mask, reference)
    expected, _ = cleanlab_answers(labels, probs)
    thresholds = confident_thresholds(labels, probs)
    assert pixel_pass(labels, probs, thresholds).num_issues == found.num_issues
    cut = np.sort(scores.reshape(-1))[found.num_issues - 1]
    away = scores != cut
    assert np.array_equal(mask[away], expected[away])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -0.5])
def test_non_finite_or_negative_probabilities_name_the_pixel(bad):
    labels, probs = scene(n=3, k=3, h=8, w=8)
    probs[1, 2, 3, 4] = bad
    with pytest.raises(InvalidInputError, match="at image 1, class 2, row 3, column 4"):
        find_label_issues(labels, probs)
