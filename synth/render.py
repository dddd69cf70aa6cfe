"""Digits → ink strip with one exact box per digit (and free text → ink, for labels).

Each digit is rendered on its own (PIL for outline fonts, ``cv2.putText`` for Hershey
fonts), cached as a float32 coverage bitmap anchored at the baseline, optionally
transformed (scale/baseline jitter, rotation, shear, stroke weight) and composed left to
right with ``np.maximum``. Because every glyph is placed separately, its box is computed
from its own coverage and never includes a neighbour's ink.

Box rule (shared by every renderer here): the tight bounding rectangle of the pixels where
the glyph's own coverage is >= ``BOX_THRESHOLD`` (0.5), i.e. the pixels that binarize as ink.

>>> strip = render_strip("40172", bundled_fonts()[0], size=32)
>>> strip.ink.shape[0] >= 32, len(strip.boxes)
(True, 5)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from synth.fonts import Font, load_font

__all__ = [
    "Box",
    "Strip",
    "BOX_THRESHOLD",
    "render_strip",
    "render_text",
    "render_classic",
    "classic_font",
    "glyph_box",
    "without_foot",
    "footless_variants",
    "long_flag",
    "long_flag_variants",
]

Box = tuple[int, int, int, int]
BOX_THRESHOLD = 0.5

CLASSIC_SIZE = (100, 24)  # (width, height) of the seed captcha
CLASSIC_FONT_PX = 23
CLASSIC_ORIGIN = (5, 0)

_DIGITS = "0123456789"


@dataclass(frozen=True)
class Strip:
    """A rendered digit string.

    Attributes:
        ink: float32 (H, W) coverage in [0, 1], 1 = ink.
        boxes: One tight ``(x, y, w, h)`` per digit of `text`, left to right.
        text: The digits drawn.
    """

    ink: np.ndarray
    boxes: tuple[Box, ...]
    text: str


@dataclass(frozen=True)
class _Glyph:
    """A glyph bitmap (float32 (h, w) coverage) with its top-left offset from the pen.

    ``dx`` is measured from the pen x, ``dy`` from the baseline (negative = above it).
    """

    bitmap: np.ndarray
    dx: float
    dy: float


def glyph_box(coverage: np.ndarray, *, threshold: float = BOX_THRESHOLD) -> Box | None:
    """Tight ``(x, y, w, h)`` of the pixels of float (H, W) `coverage` >= `threshold`.

    Falls back to any non-zero pixel when nothing reaches `threshold` (a hairline glyph);
    returns None for an empty bitmap.
    """
    mask = coverage >= threshold
    if not mask.any():
        mask = coverage > 0
        if not mask.any():
            return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def _crop(bitmap: np.ndarray, dx: float, dy: float) -> _Glyph:
    """Crop a coverage bitmap to its non-zero pixels, moving the offsets with it."""
    rows = np.flatnonzero(bitmap.any(axis=1))
    cols = np.flatnonzero(bitmap.any(axis=0))
    if rows.size == 0:
        return _Glyph(np.zeros((1, 1), np.float32), dx, dy)
    cropped = bitmap[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return _Glyph(np.ascontiguousarray(cropped), dx + cols[0], dy + rows[0])


@functools.lru_cache(maxsize=None)
def _digit_height_ratio(path: str) -> float:
    """Height of the digits ``0``-``9`` (union of their boxes) per pixel of font size."""
    font = load_font(path, 100)
    left, top, right, bottom = font.getbbox(_DIGITS, anchor="ls")
    return max(bottom - top, 1) / 100.0


@functools.lru_cache(maxsize=None)
def _hershey_unit_height(face: int) -> float:
    """Ink height of the digits of Hershey `face` per unit of fontScale (measured, not metrics).

    ``getTextSize`` reports the face's nominal height, which overstates the digits of some
    faces (COMPLEX_SMALL), so the digits are drawn at scale 4 and their ink rows counted.
    """
    scale = 4.0
    (width, height), baseline = cv2.getTextSize(_DIGITS, face, scale, 1)
    canvas = np.zeros((2 * height + 2 * baseline + 20, width + 20), np.uint8)
    cv2.putText(canvas, _DIGITS, (10, height + 10), face, scale, 255, 1, cv2.LINE_8)
    rows = np.flatnonzero(canvas.any(axis=1))
    return float(max(rows[-1] - rows[0], 1)) / scale


def _draw_outline(path: str, size: int, text: str) -> _Glyph:
    """Draw `text` with the outline font at `path` so that its digits are about `size` pixels tall."""
    font = load_font(path, max(4, round(size / _digit_height_ratio(path))))
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    pad = 2
    width, height = right - left + 2 * pad, bottom - top + 2 * pad
    image = Image.new("L", (max(width, 1), max(height, 1)), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=255, anchor="ls")
    bitmap = np.asarray(image, dtype=np.float32) / 255.0
    return _crop(bitmap, left - pad, top - pad)


def _draw_hershey(face: int, size: int, text: str) -> _Glyph:
    """Draw `text` with Hershey `face` so that its digits are about `size` pixels tall."""
    thickness = max(1, round(size / 12))
    scale = max(size - thickness + 1, 1) / _hershey_unit_height(face)
    (width, height), descent = cv2.getTextSize(text, face, scale, thickness)
    pad = 2 * thickness + 2 + size // 4  # italic faces lean past their advance box
    canvas = np.zeros((height + descent + 2 * pad, width + 2 * pad), np.uint8)  # room for "y", ","
    origin = (pad, pad + height)
    cv2.putText(canvas, text, origin, face, scale, 255, thickness, cv2.LINE_AA)
    bitmap = canvas.astype(np.float32) / 255.0
    return _crop(bitmap, -pad, -origin[1])


# Digits are drawn over and over, so their bitmaps are cached; free text (render_text) is not.
_outline_glyph = functools.lru_cache(maxsize=20_000)(_draw_outline)
_hershey_glyph = functools.lru_cache(maxsize=20_000)(_draw_hershey)


def _draw(font: Font, size: int, text: str, *, cached: bool = False) -> _Glyph:
    """`text` drawn with `font` (outline or Hershey), its digits `size` px tall; a variant's
    lone "1" without its foot, with a longer flag. `cached`: through the digit bitmap caches."""
    if font.hershey is not None:
        glyph = (_hershey_glyph if cached else _draw_hershey)(font.hershey, size, text)
    elif font.path is not None:
        glyph = (_outline_glyph if cached else _draw_outline)(font.path, size, text)
    else:
        raise ValueError(f"font {font.name!r} has neither a path nor a Hershey face")
    if text != "1":
        return glyph
    if font.footless:
        glyph = _footless(glyph)
    return _long_flagged(glyph) if font.long_flag else glyph


def _base_glyph(font: Font, size: int, char: str) -> _Glyph:
    return _draw(font, size, char, cached=True)


def without_foot(coverage: np.ndarray, *, widen: float = 1.6) -> np.ndarray | None:
    """The coverage of a "1" with its foot cut away, or None when it stands on no foot.

    The stem is measured on the rows between 40% and 75% of the ink's height (``_stem``).
    The foot is the run of bottom rows, at most a third of the height, wider than `widen`
    stems: on those rows only the stem's own columns are kept, with a one-pixel soft edge.
    The flag is left as it is.

    >>> bar = np.zeros((30, 12), np.float32); bar[:, 5:8] = 1; bar[26:, :] = 1
    >>> np.flatnonzero(without_foot(bar)[-1] > 0.5).tolist(), without_foot(bar[:26]) is None
    ([5, 6, 7], True)
    """
    stem = _stem(coverage)
    if stem is None:
        return None
    ink = stem.ink
    filled = ink.any(axis=1)
    left = np.where(filled, ink.argmax(axis=1), -1)
    right = np.where(filled, ink.shape[1] - 1 - ink[:, ::-1].argmax(axis=1), -1)
    width = right - left + 1
    row = stem.bottom
    while row > stem.top + 0.66 * stem.height and width[row] > widen * stem.width + 1:
        row -= 1
    if stem.bottom - row < max(1.0, 0.04 * stem.height):
        return None
    out = coverage.copy()
    ys = np.arange(row + 1, coverage.shape[0])[:, None]
    xs = np.arange(coverage.shape[1])[None, :]
    centre = stem.slope * ys + stem.intercept
    out[row + 1:] *= np.clip(stem.width / 2 + 0.5 - np.abs(xs - centre), 0, 1).astype(out.dtype)
    return out


def _footless(glyph: _Glyph) -> _Glyph:
    cut = without_foot(glyph.bitmap)
    return glyph if cut is None else _crop(cut, glyph.dx, glyph.dy)


def footless_variants(fonts: Sequence[Font]) -> list[Font]:
    """A variant of every font in `fonts` whose "1" stands on a foot, drawing it without.

    Same family (so a family is drawn as often as before), name ``"<name> (footless 1)"``.
    A network that only ever sees a foot under its 1s reads a footless, flagged 1 under a
    captcha's crossing line as a 7.
    """
    return [
        replace(font, name=f"{font.name} (footless 1)", footless=True)
        for font in fonts
        if not font.footless and without_foot(_base_glyph(font, 48, "1").bitmap) is not None
    ]


@dataclass(frozen=True)
class _Stem:
    """The stem of a "1": its ink rows, width, and centre line x = slope * y + intercept."""

    ink: np.ndarray  # bool (H, W): coverage >= 0.25 (hairline faces never reach 0.5)
    top: int
    bottom: int
    width: float
    slope: float
    intercept: float

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1


def _stem(coverage: np.ndarray) -> _Stem | None:
    """The stem of the "1" drawn in float (H, W) `coverage`, None for a glyph too small to measure.

    The width is the median ink width of the rows between 40% and 75% of the height, the
    centre line is fitted on them, so that italics lean as they should.
    """
    ink = coverage >= 0.25
    filled = ink.any(axis=1)
    rows = np.flatnonzero(filled)
    if rows.size < 8:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    height = bottom - top + 1
    middle = np.arange(top + int(0.4 * height), top + int(0.75 * height) + 1)
    middle = middle[filled[middle]]
    if middle.size < 3:
        return None
    left = ink[middle].argmax(axis=1)
    right = ink.shape[1] - 1 - ink[middle, ::-1].argmax(axis=1)
    slope, intercept = np.polyfit(middle, (left + right) / 2.0, 1)
    return _Stem(ink, top, bottom, float(np.median(right - left + 1)), float(slope), float(intercept))


def long_flag(coverage: np.ndarray, *, factor: float = 1.8, reach: float = 0.4) -> tuple[np.ndarray, int] | None:
    """The coverage of a "1" whose flag is `factor` times as long, and the columns added on
    its left; None when it has no flag.

    The flag is the ink left of the stem (``_stem``) in the top half, down to its last solid
    row. It is stretched along the line from the top of the stem's left edge to its far tip,
    not across it (its stroke keeps its weight), and laid over the glyph as it was; its tip
    drops at most `reach` of the height. A short flag, as DejaVu's or Lato's, then reaches
    as far as Roboto's or Helvetica's, the flag of a 1 that crossing lines turn into a 7.

    >>> one = np.zeros((40, 20), np.float32); one[:, 12:15] = 1; one[2:6, 8:12] = 1
    >>> longer, added = long_flag(one)
    >>> added > 0, int((longer[:20, :added + 12] >= 0.5).sum()) > int((one[:20, :12] >= 0.5).sum())
    (True, True)
    """
    stem = _stem(coverage)
    if stem is None:
        return None
    ys = np.arange(coverage.shape[0])[:, None]
    xs = np.arange(coverage.shape[1])[None, :]
    zone = (xs < stem.slope * ys + stem.intercept - stem.width / 2 - 1.0) & (ys < stem.top + 0.5 * stem.height)
    solid = zone & (coverage >= 0.5)
    if solid.sum() < max(2.0, 0.5 * stem.width):
        return None
    zone &= ys <= np.flatnonzero(solid.any(axis=1))[-1] + 1
    flag = np.where(zone, coverage, 0).astype(np.float32)
    fy, fx = np.nonzero(flag >= 0.5)
    anchor = np.array([stem.slope * stem.top + stem.intercept - stem.width / 2, float(stem.top)])
    reach_out = np.stack([fx - anchor[0], fy - anchor[1]], axis=1)
    tip = reach_out[np.argmax((reach_out**2).sum(axis=1))]
    length = float(np.hypot(*tip))
    if length < 1.0:
        return None
    k = min(factor, max(1.0, reach * stem.height / max(float(tip[1]), 1.0)))
    along = tip / length
    matrix = np.eye(2) + (k - 1.0) * np.outer(along, along)
    added = int(np.ceil((k - 1.0) * length)) + 2
    shift = anchor + np.array([added, 0.0]) - matrix @ anchor
    h, w = coverage.shape
    stretched = cv2.warpAffine(flag, np.hstack([matrix, shift[:, None]]).astype(np.float32), (w + added, h + added),
                               flags=cv2.INTER_LINEAR)
    out = np.zeros((h + added, w + added), np.float32)
    out[:h, added:] = coverage
    return np.maximum(out, stretched), added


def _long_flagged(glyph: _Glyph) -> _Glyph:
    longer = long_flag(glyph.bitmap)
    return glyph if longer is None else _crop(longer[0], glyph.dx - longer[1], glyph.dy)


def long_flag_variants(fonts: Sequence[Font]) -> list[Font]:
    """A variant of every font in `fonts` whose "1" has a flag, drawing it longer and footless.

    Same family, name ``"<name> (long flag 1)"``. The training faces' short flags leave a
    network to read the long flag of a Roboto or Helvetica 1 (and of many captcha fonts),
    turned a little and crossed by a line, as the bar of a 7.
    """
    variants = []
    for font in fonts:
        if font.footless or font.long_flag:
            continue
        one = _base_glyph(font, 48, "1")
        cut = without_foot(one.bitmap)
        if long_flag(one.bitmap if cut is None else _crop(cut, one.dx, one.dy).bitmap) is not None:
            variants.append(replace(font, name=f"{font.name} (long flag 1)", footless=cut is not None, long_flag=True))
    return variants


def _warp(glyph: _Glyph, matrix: np.ndarray) -> _Glyph:
    """Apply a 2×3 affine `matrix` (in glyph-bitmap coordinates) on an expanded canvas."""
    h, w = glyph.bitmap.shape
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
    mapped = corners @ matrix.T  # (4, 2)
    x0, y0 = np.floor(mapped.min(axis=0)) - 1
    x1, y1 = np.ceil(mapped.max(axis=0)) + 1
    shifted = matrix.copy()
    shifted[:, 2] -= (x0, y0)
    out = cv2.warpAffine(
        glyph.bitmap, shifted, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR, borderValue=0
    )
    return _crop(out, glyph.dx + x0, glyph.dy + y0)


def _stroke(glyph: _Glyph, pixels: int) -> _Glyph:
    """Thicken (``pixels > 0``) or thin (``< 0``) a glyph by about `pixels` pixels of weight."""
    k = abs(pixels) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    if pixels > 0:
        pad = k
        padded = np.pad(glyph.bitmap, pad)
        return _crop(cv2.dilate(padded, kernel), glyph.dx - pad, glyph.dy - pad)
    thinned = cv2.erode(glyph.bitmap, kernel)
    if (thinned >= BOX_THRESHOLD).sum() < 0.4 * (glyph.bitmap >= BOX_THRESHOLD).sum():
        return glyph  # thinning would erase the glyph; keep it as drawn
    return _crop(thinned, glyph.dx, glyph.dy)


def _transformed(
    glyph: _Glyph, rng: np.random.Generator, *, size: int, jitter: float, rotate: float, shear: float
) -> _Glyph:
    """Per-glyph random scale, rotation and baseline shift, plus a fixed italic shear."""
    h, w = glyph.bitmap.shape
    scale = 1.0 + (rng.uniform(-jitter, jitter) if jitter else 0.0)
    angle = np.deg2rad(rng.uniform(-rotate, rotate)) if rotate else 0.0
    if scale != 1.0 or angle or shear:
        # Rotate/scale about the glyph centre, then shear about its bottom row (≈ baseline).
        cx, cy = w / 2.0, h / 2.0
        c, s = np.cos(angle) * scale, np.sin(angle) * scale
        rot = np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy], [0, 0, 1]])
        shr = np.array([[1.0, -shear, shear * h], [0, 1, 0], [0, 0, 1]])
        glyph = _warp(glyph, (shr @ rot)[:2])
    if jitter:
        shift = rng.uniform(-jitter, jitter) * size
        glyph = _Glyph(glyph.bitmap, glyph.dx, glyph.dy + shift)
    return glyph


def render_strip(
    text: str,
    font: Font,
    *,
    size: int,
    spacing: float | Sequence[float] = 0.1,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
    rotate: float = 0.0,
    stroke: int = 0,
    shear: float = 0.0,
    margin: int = 4,
    space_after: Sequence[int] = (),
    space_width: float = 0.6,
    max_overlap: float | None = None,
) -> Strip:
    """Render the digit string `text` as a float32 ink strip with one tight box per digit.

    Args:
        text: Digits only, e.g. ``"0042"``.
        font: The font to draw with (outline or Hershey).
        size: Target digit height in pixels (the tallest digit of the font is about this tall).
        spacing: Gap between neighbouring glyph boxes, as a fraction of `size` (may be negative:
            glyphs then overlap and are composed with ``np.maximum``); one value for every
            gap, or a sequence of ``len(text) - 1`` values, one per gap.
        rng: Random generator for the per-glyph variations; required if any of them is non-zero.
        jitter: Per-glyph scale and baseline variation, as a fraction of `size`.
        rotate: Per-glyph rotation, uniform in ±`rotate` degrees.
        stroke: Extra weight in pixels (dilation), or thinning if negative.
        shear: Italic slant (x shift per pixel of height, 0.2 ≈ 11°).
        margin: Empty pixels around the glyphs on every side.
        space_after: Indices of digits followed by a wide gap (e.g. ``(2,)`` → ``"123 45"``).
        space_width: Width of such a gap, as a fraction of `size`, added to `spacing`.
        max_overlap: With negative spacing, the most that two neighbouring boxes may overlap,
            as a fraction of the narrower box's width (a "1" is then never hidden under its
            neighbour); None = no limit.

    Returns:
        A `Strip`: ``ink`` float32 (H, W) in [0, 1], ``boxes`` ``(x, y, w, h)`` per digit.

    Raises:
        ValueError: `text` is empty or holds a non-digit, randomness is asked without `rng`,
            or `spacing` is a sequence of the wrong length.
    """
    if not text or not text.isdigit() or not text.isascii():
        raise ValueError(f"text must be a non-empty string of digits 0-9, got {text!r}")
    if rng is None and (jitter or rotate):
        raise ValueError("jitter and rotate need an rng")
    gaps = [float(spacing)] * (len(text) - 1) if np.ndim(spacing) == 0 else [float(g) for g in spacing]
    if len(gaps) != len(text) - 1:
        raise ValueError(f"spacing needs one value per gap ({len(text) - 1}), got {len(gaps)}")
    size = int(size)
    glyphs = []
    for char in text:
        glyph = _base_glyph(font, size, char)
        if jitter or rotate or shear:
            glyph = _transformed(glyph, rng, size=size, jitter=jitter, rotate=rotate, shear=shear)
        if stroke:
            glyph = _stroke(glyph, stroke)
        glyphs.append(glyph)

    # Lay the glyphs out left to right: each glyph's box starts `gap` after the previous one.
    boxes_local = [glyph_box(g.bitmap) or (0, 0, 1, 1) for g in glyphs]
    wide = set(space_after)
    xs, ys = [], []
    pen = 0.0
    for i, (glyph, (bx, _, bw, _)) in enumerate(zip(glyphs, boxes_local)):
        left = round(pen) - bx
        xs.append(left)
        ys.append(round(glyph.dy))
        if i == len(text) - 1:
            break
        gap = gaps[i] * size + (space_width * size if i in wide else 0.0)
        if max_overlap is not None:  # overlap <= max_overlap × the narrower of the two boxes
            gap = max(gap, -max_overlap * min(bw, boxes_local[i + 1][2]))
        pen = left + bx + bw + gap
    x0 = min(xs) - margin
    y0 = min(ys) - margin
    width = max(x + g.bitmap.shape[1] for x, g in zip(xs, glyphs)) - x0 + margin
    height = max(y + g.bitmap.shape[0] for y, g in zip(ys, glyphs)) - y0 + margin

    ink = np.zeros((height, width), np.float32)
    boxes = []
    for glyph, x, y, (bx, by, bw, bh) in zip(glyphs, xs, ys, boxes_local):
        gh, gw = glyph.bitmap.shape
        top, left = y - y0, x - x0
        region = ink[top : top + gh, left : left + gw]
        np.maximum(region, glyph.bitmap, out=region)
        boxes.append((left + bx, top + by, bw, bh))
    return Strip(ink=ink, boxes=tuple(boxes), text=text)


def render_text(text: str, font: Font, *, size: int, stroke: int = 0, margin: int = 0) -> np.ndarray:
    """Draw any printable ASCII `text` (words, labels, punctuation) as one ink bitmap.

    Unlike `render_strip` the string is drawn in one go with the font's own advances and
    kerning, and no boxes are kept: it is for the non-digit parts of an image ("No.",
    "Ref:", "#-/"). The scale matches `render_strip`: the font's digits would be `size` px tall.

    Args:
        text: Printable ASCII with at least one non-space character.
        font: The font to draw with (outline or Hershey).
        size: Digit height of the font in pixels.
        stroke: Extra weight in pixels (dilation), or thinning if negative.
        margin: Empty pixels around the ink on every side.

    Returns:
        float32 (H, W) coverage in [0, 1], 1 = ink, cropped to the ink plus `margin`.

    Raises:
        ValueError: `text` is blank or not printable ASCII.

    >>> render_text("Ref:", bundled_fonts()[0], size=20).dtype
    dtype('float32')
    """
    if not text.strip() or not text.isascii() or not text.isprintable():
        raise ValueError(f"text must be printable ASCII with some ink, got {text!r}")
    glyph = _draw(font, int(size), text)
    if stroke:
        glyph = _stroke(glyph, stroke)
    return np.pad(glyph.bitmap, margin)


def classic_font() -> Font:
    """Roboto Regular from the font-roboto package: the seed captcha's 23 px sans."""
    from synth.fonts import bundled_fonts

    for font in bundled_fonts():
        if font.path and Path(font.path).name == "Roboto-Regular.ttf":
            return font
    raise LookupError("Roboto-Regular.ttf not found: is the font-roboto package installed?")


def render_classic(text: str, *, font: Font | None = None) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Draw the seed captcha: 100×24 uint8 gray, white digits on black, single-spaced.

    The image equals ``ImageDraw.text((5, 0), " ".join(text), font=<23 px font>, fill=255)``
    pixel for pixel; each digit is drawn at its own (fractional) pen position from
    ``getlength`` so that its box comes from its own coverage.

    Args:
        text: The digits, usually five (``"01234"`` → drawn as ``"0 1 2 3 4"``).
        font: An outline font; default `classic_font()` (Roboto Regular).

    Returns:
        (image, boxes): uint8 (24, 100) image, and one ``(x, y, w, h)`` per digit.

    Raises:
        ValueError: `text` is not digits, or `font` is a Hershey font.
    """
    if not text or not text.isdigit() or not text.isascii():
        raise ValueError(f"text must be a non-empty string of digits 0-9, got {text!r}")
    font = font or classic_font()
    if font.path is None:
        raise ValueError("render_classic needs an outline (TTF/OTF) font")
    pil_font = load_font(font.path, CLASSIC_FONT_PX)
    spaced = " ".join(text)
    width, height = CLASSIC_SIZE
    image = np.zeros((height, width), np.uint8)
    boxes = []
    for k in range(0, len(spaced), 2):
        x = CLASSIC_ORIGIN[0] + pil_font.getlength(spaced[:k])
        layer = Image.new("L", (width, height), 0)
        ImageDraw.Draw(layer).text((x, CLASSIC_ORIGIN[1]), spaced[k], font=pil_font, fill=255)
        coverage = np.asarray(layer)
        np.maximum(image, coverage, out=image)
        box = glyph_box(coverage.astype(np.float32) / 255.0)
        boxes.append(box if box is not None else (int(x), 0, 1, 1))
    return image, tuple(boxes)
