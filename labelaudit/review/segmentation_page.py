"""The review page of a segmentation report: each flagged image, most likely wrong first, with the
flagged pixels of the audit's `--pixel-mask-out` file drawn over the image and over its given mask.

Where things come from (docs/review.md):

- the flagged pixels: `--pixel-mask PIXELS.npy`, the N×H×W bool file of `audit --pixel-mask-out`,
  memory-mapped; only the shown images are read;
- the given masks: `--masks MASKS.npy`, the audit's `--labels`, memory-mapped, drawn in a fixed
  palette (class c in colour c mod 20);
- the images: `--image-root DIR`, where image `row` is `DIR/{row}.png` (or `.jpg`, `.jpeg`,
  `.webp`, `.bmp`, `.gif`, `.tif`, `.tiff`, the first that exists), or `DIR/{id}.png` and so on
  when the report has an `id` column. A missing image is named on the page.

The overlay is its own PNG, transparent except at the flagged pixels, laid over each panel by the
page's style: a pixel is highlighted exactly where the pixel mask is True.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report
from labelaudit.review.static_page import cap_note, class_namer, data_uri, esc, header, page

PILLOW_MISSING = "the segmentation page needs Pillow: pip install 'labelaudit[images]'"
DEFAULT_MAX_IMAGES = 100  # each image is embedded up to three times: keep the default page small
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
EMBED_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_EMBED_BYTES = 2 * 1024 * 1024  # larger files (and other formats) are re-encoded as PNG
HIGHLIGHT = (255, 0, 255)  # magenta: in no palette entry, visible on photos and masks alike
OVERLAY_ALPHA = 220
DISPLAY_PX = 256  # the longer side of each panel on the page, in CSS pixels
LEGEND_MAX_CLASSES = 60
# tab20: 20 colours that stay apart from each other (matplotlib's qualitative palette)
PALETTE = np.array(
    [
        (31, 119, 180), (174, 199, 232), (255, 127, 14), (255, 187, 120), (44, 160, 44),
        (152, 223, 138), (214, 39, 40), (255, 152, 150), (148, 103, 189), (197, 176, 213),
        (140, 86, 75), (196, 156, 148), (227, 119, 194), (247, 182, 210), (127, 127, 127),
        (199, 199, 199), (188, 189, 34), (219, 219, 141), (23, 190, 207), (158, 218, 229),
    ],
    dtype=np.uint8,
)  # fmt: skip


def pillow():
    """PIL.Image, or the one sentence that says how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise InvalidInputError(PILLOW_MISSING) from None
    return Image


def render(
    report: Report,
    *,
    pixel_mask: Path,
    masks: Path | None = None,
    image_root: Path | None = None,
    max_rows: int | None = None,
    title: str = "labelaudit review",
) -> str:
    """The page as a string; every file is checked against the report before anything is drawn."""
    image = pillow()
    n = int(report.metadata["n"])
    h, w = (int(v) for v in report.metadata["image_shape"])
    pixels = open_stack(pixel_mask, "--pixel-mask", n, h, w, kinds="b", what="bool")
    given = None if masks is None else open_stack(masks, "--masks", n, h, w, kinds="iu")
    order = report.issue_order()
    shown = order[: max_rows or DEFAULT_MAX_IMAGES]
    cols = report.columns
    name = class_namer(report)
    figures = []
    for i in shown.tolist():
        row = int(cols["row"][i])
        flagged = np.asarray(pixels[row])
        _check_flags(report, i, row, flagged, given, pixel_mask, masks)
        panels = _panels(image, row, flagged, given, image_root, _image_name(report, i), (h, w))
        figures.append(_figure(report, i, row, panels, name))
    body = [
        header(report, title, _cards(report, len(order))),
        '<input type="checkbox" id="show-overlay" checked>'
        '<label for="show-overlay"> show flagged pixels</label>',
        '<main id="images"><h2>Flagged images</h2>',
        _rule_note(report),
        cap_note(len(shown), len(order), "images"),
        _legend(report, name) if given is not None else "",
        "".join(figures) or '<p class="meta">No image is flagged.</p>',
        "</main>",
    ]
    return page(title, _STYLE, "\n".join(part for part in body if part))


def open_stack(path: Path, option: str, n: int, h: int, w: int, *, kinds: str, what: str = ""):
    """The N×H×W .npy at path, memory-mapped read-only, after its shape and dtype are checked."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise InvalidInputError(f"{option} {path}: no such file.") from None
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{option} {path}: not a .npy array ({exc}).") from None
    if not isinstance(array, np.ndarray) or array.ndim != 3 or array.shape != (n, h, w):
        shape = "×".join(map(str, getattr(array, "shape", ()))) or "no array"
        raise InvalidInputError(
            f"{option} {path} holds {shape} but the report describes {n} images of {h}×{w}."
        )
    if array.dtype.kind not in kinds:
        want = what or "integer"
        raise InvalidInputError(f"{option} {path} holds {array.dtype}; it needs {want} values.")
    return array


def _check_flags(report, i, row, flagged, given, pixel_mask, masks) -> None:
    """The files are the audit's: the image's flag count and its worst class match the report."""
    cols = report.columns
    expected = int(cols["pixel_issue_count"][i])
    count = int(np.count_nonzero(flagged))
    if count != expected:
        raise InvalidInputError(
            f"--pixel-mask {pixel_mask}: image {row} has {count:,} flagged pixels where the report "
            f"counts {expected:,}; pass this audit's --pixel-mask-out file."
        )
    if given is None or not count:
        return
    worst = int(np.bincount(np.asarray(given[row])[flagged].astype(np.int64)).argmax())
    if worst != int(cols["worst_class"][i]):
        raise InvalidInputError(
            f"--masks {masks}: the flagged pixels of image {row} are mostly class {worst} where "
            f"the report says {int(cols['worst_class'][i])}; pass this audit's --labels masks."
        )


def _image_name(report: Report, i: int) -> str:
    cols = report.columns
    return str(cols["id"][i] if "id" in cols else cols["row"][i])


def find_image(root: Path, name: str) -> Path | None:
    """root/name with the first image suffix that exists, only when it lies in root or below."""
    base = Path(root).resolve()
    for suffix in IMAGE_SUFFIXES:
        path = (base / f"{name}{suffix}").resolve()
        if path.is_relative_to(base) and path.is_file():
            return path
    return None


def _panels(image, row, flagged, given, image_root, name, shape) -> list[tuple[str, str | None]]:
    """(caption, base image data URI or None) per panel, and the overlay as the last item."""
    h, w = shape
    panels: list[tuple[str, str | None]] = []
    if image_root is not None:
        path = find_image(image_root, name)
        if path is None:
            panels.append((f"no image {name}.png (or .jpg, …) in --image-root", None))
        else:
            panels.append(("image", _photo_uri(image, path, h, w)))
    if given is not None:
        colours = PALETTE[np.asarray(given[row]).astype(np.int64) % len(PALETTE)]
        panels.append(("given mask", _png_uri(image.fromarray(colours, "RGB"))))
    if not panels:
        panels.append(("flagged pixels", None))
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[flagged] = (*HIGHLIGHT, OVERLAY_ALPHA)
    panels.append(("overlay", _png_uri(image.fromarray(rgba, "RGBA"))))
    return panels


def _photo_uri(image, path: Path, h: int, w: int) -> str:
    """The image file as a data URI (its own bytes when a browser shows them, else as PNG)."""
    try:
        with image.open(path) as im:
            if im.size != (w, h):
                raise InvalidInputError(
                    f"{path} is {im.size[0]}×{im.size[1]} pixels but the masks are {w}×{h}; "
                    "--image-root must hold the audited images."
                )
            if im.format in EMBED_AS_IS and path.stat().st_size <= MAX_EMBED_BYTES:
                return data_uri(path.read_bytes(), EMBED_AS_IS[im.format])
            return _png_uri(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except InvalidInputError:
        raise
    except (OSError, ValueError, image.DecompressionBombError) as exc:
        # PIL.UnidentifiedImageError is an OSError; a decompression bomb is refused, not drawn
        raise InvalidInputError(f"{path}: not an image Pillow can read ({exc}).") from None


def _png_uri(im) -> str:
    buffer = io.BytesIO()
    im.save(buffer, format="PNG", optimize=False, compress_level=6)
    return data_uri(buffer.getvalue(), "image/png")


def _figure(report: Report, i: int, row: int, panels, name) -> str:
    cols = report.columns
    h, w = (int(v) for v in report.metadata["image_shape"])
    scale = DISPLAY_PX / max(h, w)
    size = f"width:{round(w * scale)}px;height:{round(h * scale)}px"
    *bases, (_, overlay) = panels
    cells = []
    for caption, uri in bases:
        base = f'<img class="base" src="{uri}" alt="{esc(caption)}">' if uri else ""
        cells.append(
            f'<div class="panel"><div class="layers" style="{size}">{base}'
            f'<img class="overlay" src="{overlay}" alt="flagged pixels"></div>'
            f'<div class="meta">{esc(caption)}</div></div>'
        )
    rank, count = int(cols["issue_rank"][i]), int(cols["pixel_issue_count"][i])
    ident = f" · id {esc(str(cols['id'][i]))}" if "id" in cols else ""
    caption = (
        f"#{rank} · image {row}{ident} · label_quality {float(cols['label_quality'][i]):.4f} · "
        f"{count:,} flagged pixels ({float(cols['pixel_issue_fraction'][i]):.1%}) · largest "
        f"region {int(cols['largest_region'][i]):,} px · given {esc(name(cols['worst_class'][i]))}"
        f", model says {esc(name(cols['suggested_class'][i]))}"
    )
    return (
        f'<figure class="image" id="image-{row}" data-row="{row}" data-rank="{rank}">'
        f'<div class="panels">{"".join(cells)}</div><figcaption>{caption}</figcaption></figure>'
    )


def _cards(report: Report, flagged: int) -> list[tuple[str, str]]:
    meta = report.metadata
    h, w = meta["image_shape"]
    pixels = (meta.get("details") or {}).get("num_pixel_issues")
    cards = [
        ("images", f"{int(meta['n']):,}"),
        ("image size", f"{h}×{w}"),
        ("classes", f"{int(meta['k']):,}"),
        ("flagged images", f"{flagged:,}"),
    ]
    if pixels is not None:
        cards.append(("flagged pixels", f"{int(pixels):,}"))
    return cards


def _rule_note(report: Report) -> str:
    rule = (report.metadata.get("details") or {}).get("image_rule")
    return f'<p class="meta">An image is flagged when {esc(rule)}.</p>' if rule else ""


def _legend(report: Report, name) -> str:
    k = int(report.metadata["k"])
    items = "".join(
        f'<span class="swatch" style="background:rgb{tuple(int(v) for v in PALETTE[c % 20])}">'
        f"</span>{esc(name(c))} "
        for c in range(min(k, LEGEND_MAX_CLASSES))
    )
    more = f" … and {k - LEGEND_MAX_CLASSES} more" if k > LEGEND_MAX_CLASSES else ""
    return f'<p class="legend">Given mask colours: {items}{more}</p>'


_STYLE = """
#show-overlay { margin-top: 1rem; }
#show-overlay:not(:checked) ~ main .overlay { visibility: hidden; }
figure.image { background: #fff; border: 1px solid #ddd; border-radius: 8px; margin: 1rem 0;
  padding: 0.6rem; }
.panels { display: flex; gap: 1rem; flex-wrap: wrap; }
.layers { position: relative; background: #444; }
.layers img { position: absolute; inset: 0; width: 100%; height: 100%; image-rendering: pixelated; }
figcaption { margin-top: 0.4rem; font-size: 0.9rem; }
.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; vertical-align: middle;
  margin: 0 0.2rem 0 0.6rem; border: 1px solid #999; }
"""
