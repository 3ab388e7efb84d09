"""`report --html` for segmentation and token reports: each flagged image with the audit's pixel
mask drawn over it, each flagged sentence with its suspect tokens, and one-sentence refusals."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from labelaudit.report import Report
from labelaudit.review.segmentation_page import HIGHLIGHT, PALETTE, PILLOW_MISSING
from tests.helpers import planted, run_audit, run_cli
from tests.test_review import chromium, needs_chromium
from tests.test_segmentation_audit import corrupted_scenes
from tests.test_token_audit import TAGS, sentences

FIGURE = re.compile(
    r'<figure class="image" id="image-(\d+)" data-row="(\d+)" data-rank="(\d+)">(.*?)</figure>',
    re.S,
)
ARTICLE = re.compile(r'<article class="sentence" id="sentence-(\d+)"[^>]*>(.*?)</article>', re.S)


def decode(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head.startswith("data:image/") and head.endswith(";base64")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def images_of(figure: str) -> dict[str, str]:
    """alt text -> data URI of every <img> in one figure."""
    found = re.findall(r'<img class="\w+" src="([^"]+)" alt="([^"]+)"', figure)
    return {alt: src for src, alt in found}


@pytest.fixture(scope="module")
def seg(tmp_path_factory):
    """A segmentation audit with its pixel mask, and one image per row: PNG, one JPEG, one gone."""
    root = tmp_path_factory.mktemp("segpage")
    given, probs, _ = corrupted_scenes(n=10, seed=3)
    np.save(root / "masks.npy", given)
    np.save(root / "probs.npy", probs)
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", root / "masks.npy", "--pred-probs",
        root / "probs.npy", "--out", root / "r.parquet", "--pixel-mask-out", root / "pixels.npy",
        "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    report = Report.read_parquet(root / "r.parquet")
    order = report.issue_order()
    assert len(order) >= 3  # the planted regions flag several images
    (root / "img").mkdir()
    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, (len(given), *given.shape[1:], 3), dtype=np.uint8)
    for i, photo in enumerate(photos):
        Image.fromarray(photo).save(root / "img" / f"{i}.png")
    jpeg_row, missing_row = int(order[1]), int(order[2])
    (root / "img" / f"{jpeg_row}.png").unlink()
    Image.fromarray(photos[jpeg_row]).save(root / "img" / f"{jpeg_row}.jpg", quality=90)
    (root / "img" / f"{missing_row}.png").unlink()
    return root, given, photos, report, jpeg_row, missing_row


def seg_page(root, out, *extra):
    return run_cli(
        "report", root / "r.parquet", "--html", out, "--pixel-mask", root / "pixels.npy", *extra
    )


def test_segmentation_page_draws_the_pixel_mask_over_each_flagged_image(seg, tmp_path):
    root, given, photos, report, jpeg_row, missing_row = seg
    out = tmp_path / "seg.html"
    res = seg_page(root, out, "--masks", root / "masks.npy", "--image-root", root / "img")
    assert res.exit_code == 0, res.stderr
    assert f"({report.num_issues} flagged images)" in res.stdout
    text = out.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text
    figures = FIGURE.findall(text)
    order = report.issue_order()
    assert [int(f[1]) for f in figures] == report.columns["row"][order].tolist()
    assert [int(f[2]) for f in figures] == list(range(1, len(order) + 1))
    pixels = np.load(root / "pixels.npy")
    for _, row, _, body in figures:
        row = int(row)
        found = images_of(body)
        overlay = decode(found["flagged pixels"])
        assert overlay.shape == (*given.shape[1:], 4)
        assert np.array_equal(overlay[..., 3] > 0, pixels[row])  # highlighted exactly there
        assert (overlay[pixels[row]][:, :3] == HIGHLIGHT).all()
        assert np.array_equal(decode(found["given mask"]), PALETTE[given[row] % len(PALETTE)])
        if row == missing_row:
            assert "image" not in found and f"no image {row}.png" in body
        elif row == jpeg_row:
            assert found["image"].startswith("data:image/jpeg;base64,")  # the file's own bytes
            assert decode(found["image"]).shape == photos[row].shape
        else:
            assert np.array_equal(decode(found["image"]), photos[row])
        assert f"{int(pixels[row].sum()):,} flagged pixels" in body
    assert "Showing the" not in text


def test_segmentation_page_caps_images_and_says_so(seg, tmp_path):
    root, _, _, report, *_ = seg
    out = tmp_path / "seg.html"
    assert seg_page(root, out, "--max-rows", "2").exit_code == 0
    text = out.read_text()
    figures = FIGURE.findall(text)
    assert [int(f[2]) for f in figures] == [1, 2]
    assert f"Showing the 2 most likely wrong of {report.num_issues} flagged images" in text
    body = figures[0][3]
    assert set(images_of(body)) == {"flagged pixels"}  # no masks, no images: the overlay alone


def test_an_only_flagged_report_gets_the_same_figures(seg, tmp_path):
    root, *_ = seg
    res = run_cli(
        "audit", "--task", "segmentation", "--labels", root / "masks.npy", "--pred-probs",
        root / "probs.npy", "--out", tmp_path / "flagged.parquet", "--only-flagged", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    pages = []
    for report in (root / "r.parquet", tmp_path / "flagged.parquet"):
        out = tmp_path / f"{report.stem}.html"
        assert run_cli("report", report, "--html", out, "--pixel-mask", root / "pixels.npy",
                       "--masks", root / "masks.npy").exit_code == 0  # fmt: skip
        pages.append(FIGURE.findall(out.read_text()))
    assert pages[0] == pages[1] and len(pages[0]) >= 3


def refused(res, out, message: str) -> None:
    assert res.exit_code == 2, res.stdout + res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_segmentation_page_refuses_files_that_are_not_the_audits(seg, tmp_path):
    root, given, photos, report, *_ = seg
    out = tmp_path / "seg.html"
    pixels = np.load(root / "pixels.npy")
    np.save(tmp_path / "short.npy", pixels[:-1])
    np.save(tmp_path / "narrow.npy", given[:, :, :-1])
    np.save(tmp_path / "shifted.npy", np.roll(pixels, 1, axis=0))
    np.save(tmp_path / "relabelled.npy", (given + 1) % 4)
    first = int(report.columns["row"][report.issue_order()[0]])
    (tmp_path / "img").mkdir()
    Image.fromarray(photos[first][:-2]).save(tmp_path / "img" / f"{first}.png")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / f"{first}.png").write_bytes(b"not a png")
    n, h, w = given.shape
    cases = [
        ((), "the segmentation page needs --pixel-mask PIXELS.npy"),
        (
            ("--pixel-mask", tmp_path / "short.npy"),
            f"holds {n - 1}×{h}×{w} but the report describes {n} images of {h}×{w}.",
        ),
        (("--pixel-mask", root / "masks.npy"), "holds uint8; it needs bool values."),
        (("--pixel-mask", tmp_path / "shifted.npy"), "pass this audit's --pixel-mask-out file."),
        (("--pixel-mask", root / "r.parquet"), "not a .npy array"),
        (("--pixel-mask", tmp_path / "none.npy"), "no such file."),
    ]
    for args, message in cases:
        refused(run_cli("report", root / "r.parquet", "--html", out, *args), out, message)
    cases = [
        (("--masks", tmp_path / "narrow.npy"), f"holds {n}×{h}×{w - 1} but the report"),
        (("--masks", root / "probs.npy"), f"holds {n}×4×{h}×{w} but the report"),
        (("--masks", tmp_path / "relabelled.npy"), "pass this audit's --labels masks."),
        (("--image-root", tmp_path / "img"), f"is {w}×{h - 2} pixels but the masks are {w}×{h}"),
        (("--image-root", tmp_path / "junk"), "not an image Pillow can read"),
        (("--image-root", tmp_path / "none"), "none: not a directory."),
        (("--dataset", root / "r.parquet"), "--dataset: only for classification reports"),
    ]
    for args, message in cases:
        refused(seg_page(root, out, *args), out, message)


def test_without_pillow_the_segmentation_page_says_how_to_install_it(seg, tmp_path):
    """A real interpreter in which `import PIL` fails, as it does where Pillow is not installed."""
    root, *_ = seg
    out = tmp_path / "seg.html"
    code = (
        "import sys; sys.modules['PIL'] = None; from labelaudit.cli import main; "
        f"sys.argv = ['labelaudit', 'report', {str(root / 'r.parquet')!r}, '--html', "
        f"{str(out)!r}, '--pixel-mask', {str(root / 'pixels.npy')!r}]; main()"
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"error: {PILLOW_MISSING}"
    assert not out.exists()


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    """A token audit of tag names (--class-names) with a tokens column, and one without it."""
    root = tmp_path_factory.mktemp("tokpage")
    given, probs = sentences(60, seed=2, noise=0.1)
    names = np.array(TAGS)
    words = [[f"w{s}_{j}" for j in range(len(t))] for s, t in enumerate(given)]
    pq.write_table(
        pa.table({"tokens": words, "label": [names[t].tolist() for t in given]}),
        root / "named.parquet",
    )
    pq.write_table(pa.table({"label": [t.tolist() for t in given]}), root / "plain.parquet")
    np.save(root / "probs.npy", np.concatenate(probs))
    for labels, extra in (("named", ("--class-names", ",".join(TAGS))), ("plain", ())):
        res = run_cli(
            "audit", "--task", "token", "--labels", root / f"{labels}.parquet", "--pred-probs",
            root / "probs.npy", "--out", root / f"{labels}.r.parquet", "-q", *extra,
        )  # fmt: skip
        assert res.exit_code == 0, res.stderr
    return root, words


def flagged_by_sentence(report: Report) -> dict[int, list[int]]:
    """sentence -> flagged report rows, sentences in the order of their best issue_rank."""
    cols = report.columns
    groups: dict[int, list[int]] = {}
    for r in report.issue_order().tolist():
        groups.setdefault(int(cols["sentence"][r]), []).append(r)
    return groups


def marks_of(article: str) -> list[tuple[int, int, str, str, str]]:
    found = re.findall(
        r'<mark class="tok flagged" data-token="(\d+)" data-rank="(\d+)"[^>]*>(.*?)'
        r'<small class="tags">(.*?) → (.*?)</small></mark>',
        article,
    )
    return [(int(t), int(r), text, g, s) for t, r, text, g, s in found]


def test_token_page_highlights_exactly_the_flagged_tokens_with_their_tags(tok, tmp_path):
    root, words = tok
    report = Report.read_parquet(root / "named.r.parquet")
    cols = report.columns
    out = tmp_path / "tok.html"
    res = run_cli("report", root / "named.r.parquet", "--html", out)
    assert res.exit_code == 0, res.stderr
    assert f"({report.num_issues} flagged tokens)" in res.stdout
    text = out.read_text()
    assert "<script" not in text and "http://" not in text
    articles = ARTICLE.findall(text)
    groups = flagged_by_sentence(report)
    assert len(articles) > 5 and [int(s) for s, _ in articles] == list(groups)
    assert sum(len(marks_of(a)) for _, a in articles) == report.num_issues
    for s, article in articles:
        rows = groups[int(s)]
        expected = [
            (
                int(cols["token"][r]),
                int(cols["issue_rank"][r]),
                words[int(s)][int(cols["token"][r])],
                TAGS[cols["given_label"][r]],
                TAGS[cols["suggested_label"][r]],
            )
            for r in sorted(rows, key=lambda r: cols["token"][r])
        ]
        assert marks_of(article) == expected
        shown = re.findall(r'class="tok[^"]*" data-token="(\d+)"', article)
        assert [int(t) for t in shown] == list(range(len(words[int(s)])))  # the whole sentence


def test_token_page_without_tokens_shows_positions_and_caps_sentences(tok, tmp_path):
    root, _ = tok
    report = Report.read_parquet(root / "plain.r.parquet")
    out = tmp_path / "tok.html"
    assert (
        run_cli("report", root / "plain.r.parquet", "--html", out, "--max-rows", "3").exit_code == 0
    )
    text = out.read_text()
    groups = flagged_by_sentence(report)
    articles = ARTICLE.findall(text)
    assert [int(s) for s, _ in articles] == list(groups)[:3]
    assert f"Showing the 3 most likely wrong of {len(groups)} flagged sentences" in text
    assert "tokens show their position" in text
    for _, article in articles:
        for token, _, shown, given, suggested in marks_of(article):
            assert shown == str(token) and given in "01234" and suggested in "01234"


def test_options_of_other_pages_are_refused(tok, tmp_path):
    root, _ = tok
    out = tmp_path / "page.html"
    res = run_cli("report", root / "named.r.parquet", "--html", out, "--masks", root / "probs.npy")
    refused(res, out, "--masks: only for segmentation reports; this one is token.")
    given, P, _ = planted(n=120, k=3, seed=1)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    res = run_audit(tmp_path / "labels.npy", tmp_path / "probs.npy", tmp_path / "r.parquet")
    assert res.exit_code == 0, res.stderr
    res = run_cli(
        "report", tmp_path / "r.parquet", "--html", out, "--pixel-mask", tmp_path / "labels.npy"
    )
    refused(res, out, "--pixel-mask and --masks are for segmentation reports; this one is single")


@needs_chromium
def test_both_pages_render_their_images_and_highlights_in_chromium(seg, tok, tmp_path):
    root, *_ = seg
    assert seg_page(root, tmp_path / "seg.html", "--masks", root / "masks.npy").exit_code == 0
    tok_root, _ = tok
    res = run_cli("report", tok_root / "named.r.parquet", "--html", tmp_path / "tok.html")
    assert res.exit_code == 0, res.stderr
    colours = {"seg": HIGHLIGHT, "tok": (0xFD, 0xE2, 0xE1)}  # the overlay; the flagged token's mark
    for name, colour in colours.items():
        shot = tmp_path / f"{name}.png"
        chromium(
            f"--screenshot={shot}", "--window-size=1200,1400", (tmp_path / f"{name}.html").as_uri()
        )
        image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        near = (np.abs(image - np.array(colour)).max(axis=2) < 40).sum()
        assert near > 200, name  # the data: images and styles passed the page's CSP
