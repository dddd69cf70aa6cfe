"""Style presets: one random, labelled sample image per call.

A style turns a digit string and a font into a finished image — plain print, a noisy scan,
a colourful captcha, a licence plate, an invoice form field, the classic 100×24 seed
captcha, or digits that touch their neighbours — and keeps one exact ``(x, y, w, h)`` box
per digit through every step. One more style, ``nodigit``, draws images that hold no digit
at all (words, captcha clutter, blank paper, empty fields), so that a reader can learn to
answer "nothing".

>>> sample = make_sample("plate", np.random.default_rng(0), bundled_fonts())
>>> sample.image.shape[2], len(sample.boxes) == len(sample.text)
(3, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocr import sequence
from synth import augment
from synth.fonts import Font, load_font
from synth.render import Box, Strip, classic_font, render_classic, render_strip, render_text
from synth.strokes import render_digit

__all__ = ["Sample", "STYLES", "DIGIT_STYLES", "make_sample", "crowded_captcha", "warped_captcha", "fitted_captcha",
           "stroke_strip",
           "pick_font", "random_digits"]

STYLES: tuple[str, ...] = ("plain", "noisy", "captcha", "plate", "field", "classic", "touching", "nodigit")
DIGIT_STYLES: tuple[str, ...] = tuple(style for style in STYLES if style != "nodigit")
"""The styles that draw digits: what ``"mixed"`` chooses from."""

_THIN_WORDS = ("Thin", "Hairline", "ExtraLight", "Light")
_BOLD_WORDS = ("Bold", "Black", "Heavy", "Semibold", "SemiBold", "Duplex", "Triplex", "Fjalla", "Fredoka")

# Non-digit text. Letters a reader could take for a digit are left out, so that "nodigit"
# never teaches that a printed O is not a 0: no O o D Q (0), I l i j (1), Z z (2), S s (5),
# b G (6), B (8), g q (9), and no | ! ? % either.
_SAFE_LETTERS = "ACEFHKMNPRTUVWXYacefhkmnprtuvwxy"
_SAFE_MARKS = "#-/.,:;()+*&=@_"
_WORDS = (
    "Nr.", "Ref:", "Ref.", "VAT", "Tax", "Name", "Menu", "Fax", "Km", "Ctr.", "Art.", "Wert", "EUR",
    "Kat.", "Part", "Mark", "Type", "Rev.", "Ave", "Cat.", "Key", "Amt.", "N/A", "Nach", "Apt.",
    "Hwy", "Max.", "Extra", "Carte", "Name:", "Fee", "Net", "MAX", "HEX", "ACK",
)
# Printed captions left of a form field's number: drawn in the image, never in the label.
_FIELD_LABELS = ("No.", "Nr.", "#", "Invoice", "Ref:", "Ref.", "Nr:", "Acct:", "Kd.-Nr.", "Amt.")
_FIELD_KINDS = ("boxed", "underline", "comb", "table")
_HERSHEY_SIMPLEX = Font(
    name="Hershey Simplex", family="Hershey", source="hershey", hershey=cv2.FONT_HERSHEY_SIMPLEX
)  # draws all printable ASCII: the fallback for fonts without letters


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        image: uint8 gray (H, W) or RGB (H, W, 3).
        text: The digits shown, left to right ("" for a ``nodigit`` image).
        boxes: One ``(x, y, w, h)`` per digit of `text`, in image pixels.
        style: The style that made it (one of `STYLES`).
        font: Name of the font drawn with ("" for a ``nodigit`` image without any text).
    """

    image: np.ndarray
    text: str
    boxes: tuple[Box, ...]
    style: str
    font: str


def random_digits(rng: np.random.Generator, length: tuple[int, int]) -> str:
    """A random digit string whose length is uniform in the inclusive range `length`."""
    n = int(rng.integers(length[0], length[1] + 1))
    return "".join(str(d) for d in rng.integers(0, 10, n))


def pick_font(rng: np.random.Generator, fonts: Sequence[Font], *, bold: bool = False) -> Font:
    """Draw a family uniformly among those in `fonts`, then a font of that family.

    With `bold`, upright bold-looking members of the family are preferred when it has any.
    """
    if not fonts:
        raise ValueError("no fonts to draw with")
    families = sorted({f.family for f in fonts})
    family = families[int(rng.integers(len(families)))]
    members = [f for f in fonts if f.family == family]
    if bold:  # plates: upright, heavy faces where the family has them
        upright = [f for f in members if "Italic" not in f.name and "Oblique" not in f.name]
        heavy = [f for f in upright if any(word in f.name for word in _BOLD_WORDS)]
        members = heavy or upright or members
    return members[int(rng.integers(len(members)))]


def _is_thin(font: Font) -> bool:
    return any(word in font.name for word in _THIN_WORDS)


def _is_bold(font: Font) -> bool:
    return any(word in font.name for word in _BOLD_WORDS)


def _strip(
    text: str, font: Font, rng: np.random.Generator, *, size: int, spacing: float | Sequence[float],
    jitter: float, rotate: float = 0.0, margin: int = 0, stroke: int = 0, max_overlap: float | None = None,
) -> Strip:
    """`render_strip` with a weight boost for hairline fonts at small sizes (kept readable)."""
    if stroke == 0 and _is_thin(font) and size < 36:
        stroke = 1
    return render_strip(
        text, font, size=size, spacing=spacing, rng=rng, jitter=jitter, rotate=rotate,
        stroke=stroke, margin=margin, max_overlap=max_overlap,
    )


@functools.lru_cache(maxsize=4096)
def _covers(path: str, text: str) -> bool:
    """Whether the outline font at `path` has a glyph for every character of `text`.

    A missing character would be drawn as the font's ``.notdef`` box, which looks like a 0.
    """
    font = load_font(path, 32)

    def mask(char: str) -> tuple[tuple[int, int], bytes]:
        m = font.getmask(char, mode="L")
        return m.size, np.asarray(m, dtype=np.uint8).tobytes()

    notdef = mask("\U0010fffd")  # a private-use code point: no font maps it
    return all(mask(char) != notdef for char in set(text) - {" "})


def _text_font(font: Font, text: str) -> Font:
    """`font` if it can draw `text`, else Hershey Simplex (which draws all printable ASCII)."""
    return font if font.path is None or _covers(font.path, text) else _HERSHEY_SIMPLEX


def _text_ink(text: str, font: Font, *, size: int, margin: int = 0) -> np.ndarray:
    """float32 (H, W) ink of `text` (`render_text`), with the hairline boost of `_strip`."""
    stroke = 1 if _is_thin(font) and size < 36 else 0
    return render_text(text, font, size=size, stroke=stroke, margin=margin)


def _paint(ink: np.ndarray, background: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """Blend float32 (H, W) `ink` from `background` to `foreground`.

    Gray levels are 0-d arrays and give a gray (H, W) image; colours end in an axis of 3
    (``(3,)``, ``(1, W, 3)``, ``(H, W, 3)``) and give an RGB (H, W, 3) image.
    """
    if np.ndim(background) >= 1 or np.ndim(foreground) >= 1:
        ink = ink[:, :, None]
    return np.clip(np.rint(background + ink * (foreground - background)), 0, 255).astype(np.uint8)


def _pad(
    image: np.ndarray, boxes: Sequence[Box], pad: tuple[int, int, int, int], value
) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Pad (top, bottom, left, right) pixels of `value` around `image`, shifting the boxes."""
    top, bottom, left, right = pad
    widths = ((top, bottom), (left, right)) + (((0, 0),) if image.ndim == 3 else ())
    if image.ndim == 3:
        out = np.empty((image.shape[0] + top + bottom, image.shape[1] + left + right, 3), np.uint8)
        out[:] = np.asarray(value, np.uint8)
        out[top : top + image.shape[0], left : left + image.shape[1]] = image
    else:
        out = np.pad(image, widths, constant_values=int(value))
    return out, tuple((x + left, y + top, w, h) for x, y, w, h in boxes)


def _size(rng: np.random.Generator, height: int | None, low: int, high: int) -> int:
    return int(height) if height is not None else int(rng.integers(low, high + 1))


def _polarity_grays(rng: np.random.Generator, *, light_on_dark: bool) -> tuple[float, float]:
    """(background, ink) gray levels with at least ~130 levels of contrast."""
    light, dark = float(rng.uniform(195, 255)), float(rng.uniform(0, 65))
    return (dark, light) if light_on_dark else (light, dark)


# ---------------------------------------------------------------------------------------------
# Digit styles: each renderer maps (text, font, rng, size, fonts) to (image, boxes).


def _plain(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    strip = _strip(
        text, font, rng, size=size, spacing=float(rng.uniform(0.06, 0.35)),
        jitter=float(rng.uniform(0.0, 0.03)), margin=int(rng.integers(3, 3 + size // 2)),
    )
    background, ink = _polarity_grays(rng, light_on_dark=bool(rng.random() < 0.25))
    return _paint(strip.ink, np.float32(background), np.float32(ink)), strip.boxes


def _scanned(image, boxes, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    """A scan or photo of a print: uneven light, tilt, perspective, blur, noise, JPEG."""
    image, boxes = augment.illumination(image, boxes, rng, strength=float(rng.uniform(0.0, 0.3)))
    image, boxes = augment.rotate(image, boxes, rng, max_angle=4.0)
    image, boxes = augment.perspective(image, boxes, rng, amount=0.03)
    if rng.random() < 0.3:
        length = int(rng.integers(2, max(3, 2 + size // 12)))
        image, boxes = augment.blur(image, boxes, rng, motion=True, length=length)
    else:
        image, boxes = augment.blur(image, boxes, rng, sigma=float(rng.uniform(0.3, 0.4 + size / 40)))
    image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(2, 12)))
    if rng.random() < 0.3:
        image, boxes = augment.salt_pepper(image, boxes, rng, amount=float(rng.uniform(0.002, 0.01)))
    return augment.jpeg(image, boxes, rng, quality=int(rng.integers(30, 91)))


def _noisy(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    image, boxes = _plain(text, font, rng, size, fonts)
    return _scanned(image, boxes, rng, size)


def _colour(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    return rng.uniform(low, high, 3).astype(np.float32)


def _gradient(rng: np.random.Generator, shape: tuple[int, int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 (H, W, 3) linear blend from colour `a` to `b` along a random direction."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = xs * np.cos(theta) + ys * np.sin(theta)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return a + ramp[:, :, None] * (b - a)


def _per_glyph_colours(boxes: Sequence[Box], width: int, colours: np.ndarray) -> np.ndarray:
    """float32 (W, 3): each column takes the colour of the glyph box nearest to it in x."""
    centres = np.array([x + w / 2.0 for x, _, w, _ in boxes])
    columns = np.arange(width)[:, None]
    nearest = np.abs(columns - centres[None, :]).argmin(axis=1)  # (W,)
    return colours[nearest]


def _captcha_look(ink: np.ndarray, boxes: tuple[Box, ...], rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Paint float32 (H, W) `ink` as a captcha: RGB (H, W, 3) on a gradient, with clutter.

    Each glyph box gets its own colour (all ink one colour when there are no boxes); a mild
    sine warp (1-3 px) bends the whole image; dots and straight lines keep off the boxes,
    and 1-2 thin curves cross everything.
    """
    h, w = ink.shape
    light_background = bool(rng.random() < 0.6)
    bg_range, ink_range = ((170, 255), (0, 100)) if light_background else ((0, 80), (165, 255))
    background = _gradient(rng, (h, w), _colour(rng, *bg_range), _colour(rng, *bg_range))
    background = background + rng.normal(0, rng.uniform(0, 10), (h, w, 1)).astype(np.float32)
    if boxes:
        glyph_colours = rng.uniform(*ink_range, (len(boxes), 3)).astype(np.float32)
        foreground = _per_glyph_colours(boxes, w, glyph_colours)[None, :, :]  # (1, W, 3)
    else:
        foreground = _colour(rng, *ink_range)
    image = _paint(ink, np.clip(background, 0, 255), foreground)
    # warp first, while the boxes hold nothing but their glyph: it measures them again
    image, boxes = augment.warp(
        image, boxes, rng, amplitude=(1.0, min(3.0, 1.0 + size / 20)), wavelength=(2.0 * size, 5.0 * size)
    )
    decoration = _colour(rng, *ink_range)
    image, boxes = augment.speckles(image, boxes, rng, count=(3, 12), color=decoration)
    image, boxes = augment.lines(
        image, boxes, rng, count=(1, 3), thickness=int(rng.integers(1, 3)), color=_colour(rng, *ink_range)
    )
    image, boxes = augment.curves(
        image, boxes, rng, count=(1, 2), thickness=(1, max(1, min(3, size // 14))), weight=(0.5, 0.85),
        color=_colour(rng, *ink_range),
    )
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(2, 8)))
    return image, boxes


def _captcha(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    strip = _strip(
        text, font, rng, size=size, spacing=float(rng.uniform(0.12, 0.4)),
        jitter=float(rng.uniform(0.03, 0.1)), rotate=15.0, margin=int(rng.integers(4, 4 + size // 2)),
    )
    return _captcha_look(strip.ink, strip.boxes, rng, size)


def crowded_captcha(rng: np.random.Generator, fonts: Sequence[Font], *, length: tuple[int, int] = (4, 8)) -> Sample:
    """A harder captcha than the ``captcha`` style, for training the sequence network.

    Glyphs overlap their neighbours by up to a quarter of their width (bold ones: a tenth, so
    that a person can still read them), vary in size by up to ±25% and turn by up to 25°, and
    a shower of dots falls over everything, digits included: the layout of many captcha
    generators, which no cut between glyphs can part. Not one of
    `STYLES` (the glyph network never trains on it): ``sequence`` training asks for it by name.
    """
    text = random_digits(rng, length)
    font = pick_font(rng, fonts)
    size = _size(rng, None, 22, 44)
    spacing = [float(v) for v in rng.uniform(-0.2, 0.15, len(text) - 1)]
    strip = _strip(text, font, rng, size=size, spacing=spacing, jitter=float(rng.uniform(0.1, 0.25)), rotate=25.0,
                   margin=int(rng.integers(4, 4 + size // 2)), max_overlap=0.1 if _is_bold(font) else 0.25)
    image, boxes = _captcha_look(strip.ink, strip.boxes, rng, size)
    dots = _colour(rng, 0, 255) if rng.random() < 0.3 else None
    image, _ = augment.speckles(image, (), rng, count=(10, 10 + image.shape[1] // 3), radius=(1, 2),
                                weight=(0.3, 0.8), color=dots, pad=0)
    return Sample(image=image, text=text, boxes=tuple(tuple(int(v) for v in b) for b in boxes), style="captcha",
                  font=font.name)


def _warped_glyph(glyph: np.ndarray, rng: np.random.Generator, *, rotate: float, squeeze: tuple[float, float],
                  skew: float) -> np.ndarray:
    """float32 ink of one glyph under a random perspective, cropped to its ink.

    Each corner moves by up to `skew` of the glyph's width and height, the whole is squeezed
    or stretched in x by a factor drawn from `squeeze` and turned by up to ±`rotate` degrees.
    """
    h, w = glyph.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-skew, skew, (4, 2)).astype(np.float32) * np.float32([w, h])
    dst[:, 0] *= np.float32(rng.uniform(*squeeze))
    angle = math.radians(rng.uniform(-rotate, rotate))
    turn = np.float32([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = dst @ turn.T
    dst -= dst.min(axis=0) - 1.0
    size = np.ceil(dst.max(axis=0)).astype(int) + 2
    out = cv2.warpPerspective(glyph, cv2.getPerspectiveTransform(src, dst), (int(size[0]), int(size[1])),
                              flags=cv2.INTER_LINEAR, borderValue=0)
    rows, cols = np.nonzero(out >= 0.5)
    if rows.size == 0:
        return glyph
    return out[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _lay_out(glyphs: Sequence[np.ndarray], rng: np.random.Generator, *, gap, size: int, headroom: float,
             wander: float, margin_x: tuple[int, int], margin_y: tuple[int, int]) -> tuple[np.ndarray, list[Box]]:
    """float32 ink of separately drawn `glyphs` set in a row, and their boxes.

    ``gap(i)`` gives the pixels between glyph i and the next (negative: they overlap), called
    left to right. The row is the tallest glyph plus `headroom` × `size` high, each glyph moved
    up or down by up to `wander` × `size` from its middle; the margins are drawn from the
    integer ranges `margin_x` and `margin_y` (high end excluded).
    """
    xs, x = [], 0
    for i, glyph in enumerate(glyphs):
        xs.append(x)
        if i + 1 < len(glyphs):
            x = int(round(x + glyph.shape[1] + gap(i)))
    band = max(g.shape[0] for g in glyphs) + int(headroom * size)
    ys = [int(np.clip((band - g.shape[0]) / 2 + rng.uniform(-wander, wander) * size, 0, band - g.shape[0]))
          for g in glyphs]
    mx, my = int(rng.integers(*margin_x)), int(rng.integers(*margin_y))
    ink = np.zeros((band + 2 * my, xs[-1] + glyphs[-1].shape[1] + 2 * mx), np.float32)
    boxes = []
    for glyph, gx, gy in zip(glyphs, xs, ys):
        h, w = glyph.shape
        region = ink[my + gy:my + gy + h, mx + gx:mx + gx + w]
        np.maximum(region, glyph, out=region)
        boxes.append((mx + gx, my + gy, w, h))
    return ink, boxes


def _scaled_in_x(image: np.ndarray, boxes: Sequence[Box], factor: float, n_digits: int) -> tuple[np.ndarray, tuple[Box, ...]]:
    """`image` and its `boxes` squeezed or stretched in x by `factor`, as a generator does that fits
    any text into a canvas of fixed width; never so narrow that the sequence network (a column
    per STRIDE pixels at HEIGHT rows) has fewer columns than the CTC alignment of `n_digits`
    may need (a blank between each pair).
    """
    fewest = (2 * n_digits + 1) * sequence.STRIDE * image.shape[0] / sequence.HEIGHT
    fx = max(factor, fewest / image.shape[1])
    width = max(8, int(round(image.shape[1] * fx)))
    image = cv2.resize(image, (width, image.shape[0]), interpolation=cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR)
    return image, tuple((min(int(bx * fx), width - 1), by, max(1, min(int(round(bw * fx)), width - int(bx * fx))), bh)
                        for bx, by, bw, bh in boxes)


def warped_captcha(rng: np.random.Generator, fonts: Sequence[Font], *, length: tuple[int, int] = (4, 8),
                   strokes: float = 0.0) -> Sample:
    """A captcha whose glyphs are each distorted on their own, for training the sequence network.

    Every digit gets its own size (±25%), a perspective pull of its corners, a squeeze or
    stretch in x and a turn of up to 25°; neighbours overlap by up to 20% of the narrower
    glyph (bold fonts: 10%), the glyphs wander up and down, and now and then the image cuts
    a sliver off the top or bottom of the ink. Ink is often pale and close to the paper,
    and dots of any colour fall everywhere; half of the images are then squeezed or stretched
    in x as a whole (0.5-1.3), as a generator does that fits any text into a canvas of fixed
    width. The look of captcha generators that warp glyph by glyph, unlike `crowded_captcha`,
    which turns whole glyphs only. Not one of `STYLES`.

    With probability `strokes` every digit is a procedural stroke digit (``synth.strokes``)
    instead of the font's: its designs (a flagged 1 without a foot, an open 4, …) under the
    same distortions; the sample's font is then "strokes".
    """
    text = random_digits(rng, length)
    font = pick_font(rng, fonts)
    size = _size(rng, None, 28, 48)
    drawn = bool(rng.random() < strokes)

    def ink(d: str) -> np.ndarray:
        scale = size * rng.uniform(0.75, 1.25)
        if drawn:  # a stroke digit about as tall as the font's digits
            return render_digit(int(d), rng, size=max(10, int(round(0.95 * scale))), margin=0)
        return _text_ink(d, font, size=max(12, int(round(scale))))

    glyphs = [_warped_glyph(ink(d), rng, rotate=25.0, squeeze=(0.7, 1.2), skew=0.08) for d in text]
    cap = 0.1 if _is_bold(font) else 0.2

    def gap(i: int) -> float:
        return max(rng.uniform(-0.3, 0.25) * size, -cap * min(glyphs[i].shape[1], glyphs[i + 1].shape[1]))

    ink, boxes = _lay_out(glyphs, rng, gap=gap, size=size, headroom=0.3, wander=0.15,
                          margin_x=(3, 4 + size // 2), margin_y=(2, 3 + size // 4))
    if rng.random() < 0.3:  # cut into the glyphs from above or below, at most 6% of the ink's height
        rows = np.nonzero(ink.max(axis=1) >= 0.5)[0]
        cut = int(rng.integers(0, max(1, int(0.06 * (rows[-1] - rows[0] + 1))) + 1))
        top, bottom = (rows[0] + cut, ink.shape[0]) if rng.random() < 0.5 else (0, rows[-1] + 1 - cut)
        ink = ink[top:bottom]
        boxes = [(bx, max(by, top) - top, bw, min(by + bh, bottom) - max(by, top)) for bx, by, bw, bh in boxes]
    image, out_boxes = _captcha_look(ink, tuple(boxes), rng, size)
    dots = _colour(rng, 0, 255) if rng.random() < 0.5 else None
    image, _ = augment.speckles(image, (), rng, count=(10, 10 + image.shape[1] // 2), radius=(1, 2),
                                weight=(0.3, 0.8), color=dots, pad=0)
    if rng.random() < 0.4:  # pale ink: pull everything towards the paper
        paper = augment.background_value(image).astype(np.float32)
        image = np.clip(np.rint(paper + (image - paper) * np.float32(rng.uniform(0.55, 0.85))), 0, 255).astype(np.uint8)
    if rng.random() < 0.5:  # fitted to a canvas of fixed width: every glyph squeezed or stretched alike
        image, out_boxes = _scaled_in_x(image, out_boxes, float(rng.uniform(0.5, 1.3)), len(text))
    return Sample(image=image, text=text, boxes=tuple(tuple(int(v) for v in b) for b in out_boxes), style="captcha",
                  font="strokes" if drawn else font.name)


def fitted_captcha(rng: np.random.Generator, fonts: Sequence[Font], *, length: tuple[int, int] = (4, 8)) -> Sample:
    """A captcha laid out at its natural width, then fitted to a canvas of fixed size.

    Each glyph gets its own size (±15%), a perspective pull and a turn of up to 25°; about one
    gap in three is a word space (a quarter to two thirds of the size), the others close up or
    overlap. The row is then squeezed in x into a canvas 2.2 to 3.4 times as wide as high, or
    left with paper on the right when it is narrower: a long text comes out in tall, narrow
    glyphs with uneven gaps, as a generator that draws into an image of fixed size makes it.
    Half of the images get the ``captcha`` style's look; the other half one ink colour on
    flat paper, with dots and a thin curve drawn in the ink over everything and a slight blur.
    Not one of `STYLES`: ``sequence`` training asks for it by name.
    """
    text = random_digits(rng, length)
    font = pick_font(rng, fonts)
    size = _size(rng, None, 28, 48)
    glyphs = [_warped_glyph(_text_ink(d, font, size=max(12, int(round(size * rng.uniform(0.85, 1.15))))), rng,
                            rotate=25.0, squeeze=(0.8, 1.2), skew=0.1) for d in text]
    cap = 0.1 if _is_bold(font) else 0.2

    def gap(i: int) -> float:
        if rng.random() < 0.35:  # a word space
            return rng.uniform(0.25, 0.65) * size
        return max(rng.uniform(-0.2, 0.05) * size, -cap * min(glyphs[i].shape[1], glyphs[i + 1].shape[1]))

    ink, boxes = _lay_out(glyphs, rng, gap=gap, size=size, headroom=0.25, wander=0.12,
                          margin_x=(2, 3 + size // 4), margin_y=(2, 3 + size // 5))
    height, natural = ink.shape
    canvas = int(round(height * rng.uniform(2.2, 3.4)))
    if natural > canvas:
        ink, boxes = _scaled_in_x(ink, boxes, canvas / natural, len(text))
    else:
        ink = np.pad(ink, ((0, 0), (0, canvas - natural)))
    if rng.random() < 0.5:
        image, out_boxes = _captcha_look(ink, tuple(boxes), rng, size)
    else:
        paper, tone = _colour(rng, 225, 255), _colour(rng, 10, 200)
        image = _paint(ink, paper, tone)
        image, _ = augment.speckles(image, (), rng, count=(15, 45), radius=(1, 2), weight=(0.8, 1.0), color=tone, pad=0)
        image, _ = augment.curves(image, (), rng, count=(1, 1), thickness=(1, 2), weight=(0.8, 1.0), color=tone)
        if rng.random() < 0.5:
            image = cv2.GaussianBlur(image, (3, 3), 0.6)
        out_boxes = tuple(boxes)
    return Sample(image=image, text=text, boxes=tuple(tuple(int(v) for v in b) for b in out_boxes), style="captcha",
                  font=font.name)


def stroke_strip(rng: np.random.Generator, *, length: tuple[int, int] = (4, 8)) -> Sample:
    """A strip of procedural stroke digits (``synth.strokes``), plain or as a captcha.

    Every digit gets its own design and style (a flagged or foot-less 1, an open 4, a crossed
    7, …), so the sequence network sees the designs fonts rarely draw. Not one of `STYLES`:
    ``sequence`` training asks for it by name.
    """
    text = random_digits(rng, length)
    size = _size(rng, None, 20, 44)
    glyphs = [render_digit(int(d), rng, size=size, margin=0) for d in text]
    gaps = [int(round(size * g)) for g in rng.uniform(0.05, 0.35, len(text) - 1)]
    margin = int(rng.integers(4, 4 + size // 2))
    height = max(g.shape[0] for g in glyphs) + 2 * margin
    width = sum(g.shape[1] for g in glyphs) + sum(gaps) + 2 * margin
    ink = np.zeros((height, width), np.float32)
    boxes, x = [], margin
    for glyph, gap in zip(glyphs, [*gaps, 0]):
        h, w = glyph.shape
        y = height - margin - h  # on the baseline
        np.maximum(ink[y:y + h, x:x + w], glyph, out=ink[y:y + h, x:x + w])
        boxes.append((x, y, w, h))
        x += w + gap
    boxes = tuple(boxes)
    if rng.random() < 0.5:
        image, boxes = _captcha_look(ink, boxes, rng, size)
    else:
        background, foreground = _polarity_grays(rng, light_on_dark=bool(rng.random() < 0.2))
        image, boxes = _scanned(_paint(ink, np.float32(background), np.float32(foreground)), boxes, rng, size)
    return Sample(image=image, text=text, boxes=tuple(tuple(int(v) for v in b) for b in boxes), style="plain",
                  font="strokes")


def _plate_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(plate, ink) float32 (3,) colours: black on white or on yellow."""
    if rng.random() < 0.5:
        plate = np.float32([rng.uniform(240, 255)] * 3)  # white
    else:
        plate = np.float32([rng.uniform(230, 255), rng.uniform(185, 215), rng.uniform(0, 50)])  # yellow
    return plate, np.float32([rng.uniform(0, 50)] * 3)


def _plate_frame(image, boxes, rng, *, size, plate, ink) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Surround the RGB plate content with plate margin, an ink border and a random surround."""
    margin_x = math.ceil(rng.uniform(0.35, 0.6) * size)
    margin_y = math.ceil(rng.uniform(0.3, 0.45) * size)
    image, boxes = _pad(image, boxes, (margin_y, margin_y, margin_x, margin_x), plate)
    border = int(rng.integers(2, 5))
    image, boxes = _pad(image, boxes, (border,) * 4, ink)
    surround = int(rng.integers(1, 6))
    return _pad(image, boxes, (surround,) * 4, _colour(rng, 90, 200))


def _plate(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    space_after = (len(text) // 2 - 1,) if len(text) >= 5 and rng.random() < 0.4 else ()
    stroke = 0 if _is_bold(font) else max(1, size // 16)
    strip = render_strip(
        text, font, size=size, spacing=float(rng.uniform(0.08, 0.25)), rng=rng,
        jitter=float(rng.uniform(0.0, 0.02)), stroke=stroke, margin=0, space_after=space_after,
        space_width=0.4,
    )
    plate, ink = _plate_colours(rng)
    image = _paint(strip.ink, plate, ink)
    image, boxes = _plate_frame(image, strip.boxes, rng, size=size, plate=plate, ink=ink)
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(1, 5)))
    return image, boxes


def _glyph_columns(strip: Strip) -> tuple[list[np.ndarray], list[Box]]:
    """Cut a widely spaced strip into one float32 (H, w_i) ink crop per digit.

    The cuts fall halfway between neighbouring boxes, so each crop holds one glyph's ink;
    crops keep all rows of the strip (a shared baseline) and their boxes are crop-relative.
    """
    height, width = strip.ink.shape
    middles = [(x + w + nx) // 2 for (x, _, w, _), (nx, _, _, _) in zip(strip.boxes, strip.boxes[1:])]
    cuts = [0, *middles, width]
    crops, boxes = [], []
    for (x, y, w, h), a, b in zip(strip.boxes, cuts, cuts[1:]):
        columns = np.flatnonzero(strip.ink[:, a:b].any(axis=0))
        left, right = a + columns[0], a + columns[-1] + 1
        crops.append(strip.ink[:, left:right])
        boxes.append((x - left, y, w, h))
    return crops, boxes


def _comb(
    crops: Sequence[np.ndarray], boxes: Sequence[Box], rng, *, gap: int, line: int, fill: float, ink: float,
    rule: float,
) -> tuple[np.ndarray, tuple[Box, ...]]:
    """A comb field: one cell per crop, each crop centred in its cell, `gap` px from every rule.

    Args:
        crops: float32 (H, w_i) ink per cell, all of the same height H (zeros for empty cells).
        boxes: Crop-relative boxes, one per crop (or fewer: ``()`` for an empty comb).
        gap: Minimum empty pixels between a crop and the cell's rules.
        line: Rule thickness in pixels.

    Returns:
        uint8 gray (H + 2 gap + 2 line, W) image and the boxes in its pixels. The cells are
        closed boxes, or (40%) an open comb: an underline with short ticks between the cells.
    """
    inner_h = crops[0].shape[0] + 2 * gap
    inner_w = max(max(c.shape[1] for c in crops) + 2 * gap, int(round(rng.uniform(0.7, 1.0) * inner_h)))
    n = len(crops)
    height, width = inner_h + 2 * line, n * inner_w + (n + 1) * line
    canvas = np.zeros((height, width), np.float32)
    offsets = []
    for i, crop in enumerate(crops):
        left = line + i * (inner_w + line) + (inner_w - crop.shape[1]) // 2
        top = line + gap
        canvas[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
        offsets.append((left, top))
    image = _paint(canvas, np.float32(fill), np.float32(ink))
    closed = rng.random() < 0.6
    tick = inner_h + line if closed else int(rng.uniform(0.3, 0.6) * inner_h)
    image[height - line :, :] = round(rule)
    if closed:
        image[:line, :] = round(rule)
    for k in range(n + 1):
        x = k * (inner_w + line)
        image[height - line - tick : height, x : x + line] = round(rule)
    return image, tuple((x + dx, y + dy, w, h) for (x, y, w, h), (dx, dy) in zip(boxes, offsets))


def _frame(
    kind, image, boxes, rng, *, size, gap, line, fill, rule, paper
) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Put gray field content in a box, on an underline, or in a table cell (`kind`).

    The content gets `gap` px of `fill` on its sides (more on the right: fields are wider
    than what is typed into them), then rules of `line` px; a table cell's rules run on
    past the cell by up to `size` px, over `paper`, as the table's neighbouring rules.
    """
    extra_right = int(rng.integers(0, 3 * size))
    if kind == "underline":
        image, boxes = _pad(image, boxes, (0, gap, gap, gap + extra_right), fill)
        return _pad(image, boxes, (0, line, 0, 0), rule)
    image, boxes = _pad(image, boxes, (gap, gap, gap, gap + extra_right), fill)
    image, boxes = _pad(image, boxes, (line,) * 4, rule)
    if kind == "table":
        h, w = image.shape
        top, bottom, left, right = (int(r) for r in rng.integers(0, size + 1, 4))
        image, boxes = _pad(image, boxes, (top, bottom, left, right), paper)
        for y in (top, top + h - line):  # the cell's rules, run across the whole table
            image[y : y + line, :] = round(rule)
        for x in (left, left + w - line):
            image[:, x : x + line] = round(rule)
    return image, boxes


def _with_label(image, boxes, label: np.ndarray, *, bottom: int, gap: int, paper: float, tone: float):
    """Print float32 (h, w) `label` ink `gap` px left of gray `image`, its last row at `bottom` - 1.

    Returns the wider (and, if the label is taller than `bottom`, taller) image and the
    shifted boxes; the label is drawn on `paper` in gray `tone` and is in no box.
    """
    lh, lw = label.shape
    above = max(0, lh - bottom)
    image, boxes = _pad(image, boxes, (above, 0, lw + gap, 0), paper)
    top = above + bottom - lh
    region = image[top : top + lh, :lw].astype(np.float32)
    image[top : top + lh, :lw] = np.clip(np.rint(region + label * (tone - region)), 0, 255).astype(np.uint8)
    return image, boxes


def _field_label(font, rng, size, fonts) -> tuple[np.ndarray, Font]:
    """A printed caption ("No.", "Ref:", …): its float32 ink, and the font it is in (`font` or another)."""
    label = _FIELD_LABELS[int(rng.integers(len(_FIELD_LABELS)))]
    label_font = _text_font(font if rng.random() < 0.5 else pick_font(rng, fonts), label)
    return _text_ink(label, label_font, size=max(8, round(rng.uniform(0.55, 1.0) * size))), label_font


def _field_paper(rng) -> tuple[float, float, float, float]:
    """(paper, ink, rule, fill) gray levels of a form: the field may be shaded a little."""
    paper, ink = float(rng.uniform(225, 255)), float(rng.uniform(0, 70))
    rule = float(rng.uniform(0, 140))  # field lines are often lighter than the digits
    fill = paper - float(rng.uniform(0, 12)) if rng.random() < 0.4 else paper
    return paper, ink, rule, fill


def _field(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    paper, ink, rule, fill = _field_paper(rng)
    gap = int(rng.integers(3, 3 + max(size // 3, 1)))  # digits ↔ line, >= 3 px
    line = int(rng.integers(1, 3))
    kind = _FIELD_KINDS[int(rng.integers(len(_FIELD_KINDS)))]
    jitter = float(rng.uniform(0.0, 0.015))
    if kind == "comb":  # spaced a whole digit apart, then cut into one cell per digit
        crops, local = _glyph_columns(_strip(text, font, rng, size=size, spacing=1.0, jitter=jitter))
        image, boxes = _comb(crops, local, rng, gap=gap, line=line, fill=fill, ink=ink, rule=rule)
    else:
        strip = _strip(text, font, rng, size=size, spacing=float(rng.uniform(0.06, 0.25)), jitter=jitter)
        image = _paint(strip.ink, np.float32(fill), np.float32(ink))
        image, boxes = _frame(
            kind, image, strip.boxes, rng, size=size, gap=gap, line=line, fill=fill, rule=rule, paper=paper
        )
    if rng.random() < 0.4:
        label, _ = _field_label(font, rng, size, fonts)
        bottom = max(y + h for _, y, _, h in boxes)  # bottom-aligned with the digits
        image, boxes = _with_label(
            image, boxes, label, bottom=bottom, gap=int(rng.integers(max(3, size // 3), size + 4)),
            paper=paper, tone=float(rng.uniform(0, 100)),
        )
    outer = int(rng.integers(2, 8))
    image, boxes = _pad(image, boxes, (outer,) * 4, paper)
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(1, 5)))
    return image, boxes


def _touching_spacing(rng: np.random.Generator, n: int) -> list[float]:
    """Per-gap spacing for `n` digits: runs of 2-4 digits whose boxes overlap, small gaps between runs."""
    gaps: list[float] = []
    while len(gaps) < n - 1:
        run = int(rng.integers(2, 5))
        gaps += [float(g) for g in rng.uniform(-0.15, -0.02, run - 1)]
        gaps.append(float(rng.uniform(0.03, 0.2)))
    return gaps[: n - 1]


def _touching(text, font, rng, size, fonts) -> tuple[np.ndarray, tuple[Box, ...]]:
    """Neighbours that touch: runs of 2-4 digits overlap by up to 35% of the narrower box."""
    stroke = max(1, round(size / 16)) if not _is_bold(font) and rng.random() < 0.6 else 0
    strip = _strip(
        text, font, rng, size=size, spacing=_touching_spacing(rng, len(text)),
        jitter=float(rng.uniform(0.0, 0.02)), margin=int(rng.integers(3, 3 + size // 3)), stroke=stroke,
        max_overlap=0.35,
    )
    background, ink = _polarity_grays(rng, light_on_dark=bool(rng.random() < 0.3))
    image, boxes = _paint(strip.ink, np.float32(background), np.float32(ink)), strip.boxes
    if rng.random() < 0.3:
        image, boxes = augment.blur(image, boxes, rng, sigma=float(rng.uniform(0.3, 0.4 + size / 80)))
    if rng.random() < 0.4:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(2, 8)))
    return image, boxes


_RENDERERS = {
    "plain": _plain, "noisy": _noisy, "captcha": _captcha, "plate": _plate, "field": _field,
    "touching": _touching,
}
_SIZES = {
    "plain": (16, 48), "noisy": (16, 48), "captcha": (20, 44), "plate": (20, 48), "field": (14, 36),
    "touching": (18, 48), "nodigit": (16, 44),
}


# ---------------------------------------------------------------------------------------------
# nodigit: images of the same sizes and looks as the strips, with no digit in them.


def _random_words(rng: np.random.Generator) -> str:
    """One or two words: a short printed word, random safe letters, or a run of marks."""
    words = []
    for _ in range(int(rng.integers(1, 3))):
        kind = rng.random()
        if kind < 0.5:
            words.append(_WORDS[int(rng.integers(len(_WORDS)))])
        elif kind < 0.8:
            words.append("".join(rng.choice(list(_SAFE_LETTERS), int(rng.integers(2, 6)))))
        else:
            words.append("".join(rng.choice(list(_SAFE_MARKS), int(rng.integers(2, 5)))))
    return " ".join(words)


def _nodigit_text(font, rng, size) -> tuple[np.ndarray, str]:
    """Words or marks in a font, printed plain, scanned, or as a captcha."""
    text = _random_words(rng)
    font = _text_font(font, text)
    ink = _text_ink(text, font, size=size, margin=int(rng.integers(3, 3 + size // 2)))
    look = rng.random()
    if look < 0.3:
        return _captcha_look(ink, (), rng, size)[0], font.name
    background, tone = _polarity_grays(rng, light_on_dark=bool(rng.random() < 0.25))
    image = _paint(ink, np.float32(background), np.float32(tone))
    if look < 0.65:
        image = _scanned(image, (), rng, size)[0]
    return image, font.name


def _blank_shape(rng, size) -> tuple[int, int]:
    """(H, W) of a strip of 4-8 digits at `size` with its margins."""
    return size + 2 * int(rng.integers(3, 3 + size // 2)), int(rng.uniform(2.5, 6.0) * size)


def _nodigit_clutter(rng, size) -> np.ndarray:
    """A captcha background alone: gradient, dots, lines, curves, warp and noise."""
    image = _captcha_look(np.zeros(_blank_shape(rng, size), np.float32), (), rng, size)[0]
    if rng.random() < 0.5:  # a busier one
        image = augment.speckles(image, (), rng, count=(5, 25), radius=(1, 3), color=_colour(rng, 0, 255))[0]
        image = augment.curves(image, (), rng, count=(1, 2), thickness=(1, 3), color=_colour(rng, 0, 255))[0]
    return image


def _nodigit_paper(rng, size) -> np.ndarray:
    """Blank paper or a blank screen region: shading, mottled texture, sensor noise, JPEG."""
    shape = _blank_shape(rng, size)
    if rng.random() < 0.6:
        image = np.full(shape, rng.uniform(60, 255), np.float32)
    else:
        image = np.broadcast_to(_colour(rng, 40, 255), (*shape, 3)).astype(np.float32)
    if rng.random() < 0.5:  # paper fibres / uneven toner: low-frequency blotches
        blotches = rng.normal(0, 1, shape).astype(np.float32)
        blotches = cv2.GaussianBlur(blotches, (0, 0), float(rng.uniform(2, 6)))
        blotches *= float(rng.uniform(3, 12)) / max(float(blotches.std()), 1e-6)
        image = image + (blotches[:, :, None] if image.ndim == 3 else blotches)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    image = augment.illumination(image, (), rng, strength=float(rng.uniform(0.0, 0.4)))[0]
    image = augment.gaussian_noise(image, (), rng, sigma=float(rng.uniform(1, 12)))[0]
    if rng.random() < 0.3:
        image = augment.blur(image, (), rng, sigma=float(rng.uniform(0.3, 1.2)))[0]
    if rng.random() < 0.5:
        image = augment.jpeg(image, (), rng, quality=int(rng.integers(30, 91)))[0]
    return image


def _nodigit_frame(font, rng, size, fonts) -> tuple[np.ndarray, str]:
    """An empty form field (boxed, underline, comb, table cell) or an empty plate border."""
    if rng.random() < 0.2:
        plate, ink = _plate_colours(rng)
        blank = np.broadcast_to(plate, (size, int(rng.uniform(2.5, 6.0) * size), 3)).astype(np.uint8)
        return _plate_frame(blank, (), rng, size=size, plate=plate, ink=ink)[0], ""
    paper, _, rule, fill = _field_paper(rng)
    gap = int(rng.integers(3, 3 + max(size // 3, 1)))
    line = int(rng.integers(1, 3))
    kind = _FIELD_KINDS[int(rng.integers(len(_FIELD_KINDS)))]
    cell = (size, round(0.6 * size))
    if kind == "comb":
        crops = [np.zeros(cell, np.float32)] * int(rng.integers(4, 9))
        first = (0, 0, cell[1], cell[0])  # a stand-in box for the first (empty) cell
        image, content = _comb(crops, [first], rng, gap=gap, line=line, fill=fill, ink=0, rule=rule)
    else:
        blank = np.full((size, int(rng.uniform(2.5, 6.0) * size)), int(fill), np.uint8)  # as `_pad` fills
        image, content = _frame(
            kind, blank, ((0, 0, blank.shape[1], size),), rng, size=size, gap=gap, line=line, fill=fill,
            rule=rule, paper=paper,
        )
    used = ""
    if rng.random() < 0.4:  # "Nr. ______"
        label, label_font = _field_label(font, rng, size, fonts)
        _, y, _, h = content[0]  # the blank content's box: the label sits on its bottom
        image, _ = _with_label(
            image, (), label, bottom=y + h, gap=int(rng.integers(3, size + 4)), paper=paper,
            tone=float(rng.uniform(0, 100)),
        )
        used = label_font.name
    outer = int(rng.integers(2, 8))
    image, _ = _pad(image, (), (outer,) * 4, paper)
    if rng.random() < 0.5:
        image = augment.gaussian_noise(image, (), rng, sigma=float(rng.uniform(1, 5)))[0]
    return image, used


def _nodigit(font, rng, size, fonts) -> tuple[np.ndarray, str]:
    """An image with no digit in it, of one of four kinds; returns it and the font drawn with ("" if none)."""
    kind = int(rng.integers(4))
    if kind == 0:
        return _nodigit_text(font, rng, size)
    if kind == 1:
        return _nodigit_clutter(rng, size), ""
    if kind == 2:
        return _nodigit_paper(rng, size), ""
    return _nodigit_frame(font, rng, size, fonts)


def make_sample(
    style: str,
    rng: np.random.Generator,
    fonts: Sequence[Font],
    *,
    length: tuple[int, int] = (4, 8),
    height: int | None = None,
    text: str | None = None,
) -> Sample:
    """Render one random sample of `style`.

    Args:
        style: One of `STYLES`, or ``"mixed"`` (a style drawn from `DIGIT_STYLES`, so never
            ``"nodigit"``).
        rng: Source of every random choice (digits, font, layout, colours, noise).
        fonts: Fonts to draw from: a family uniformly, then a member of it.
        length: Inclusive range of the number of digits (ignored by ``"classic"``: always 5,
            and by ``"nodigit"``: none).
        height: Digit height in pixels; default a style-specific random range.
        text: The digits to draw instead of random ones (`length` is then ignored); for
            ``"nodigit"`` only ``""`` or None.

    Returns:
        A `Sample` with a uint8 gray (H, W) or RGB (H, W, 3) image and one box per digit
        (``"nodigit"``: ``text == ""`` and ``boxes == ()``).

    Raises:
        ValueError: `style` is unknown, `fonts` is empty, `length` is not positive, or
            `text` does not suit the style.
    """
    if style == "mixed":
        style = DIGIT_STYLES[int(rng.integers(len(DIGIT_STYLES)))]
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; valid styles: {', '.join(STYLES)}, mixed")
    if length[0] < 1 or length[1] < length[0]:
        raise ValueError(f"length must be a range (low, high) with 1 <= low <= high, got {length}")
    if style == "nodigit":
        if text:
            raise ValueError(f"a nodigit image shows no digits: text must be '' or None, got {text!r}")
        font = pick_font(rng, fonts)
        image, used = _nodigit(font, rng, _size(rng, height, *_SIZES[style]), fonts)
        return Sample(image=image, text="", boxes=(), style=style, font=used)
    if text is not None and (not text or not text.isascii() or not text.isdigit()):
        raise ValueError(f"text must be a non-empty string of digits, got {text!r}")
    if style == "classic":
        text = text if text is not None else random_digits(rng, (5, 5))
        image, boxes = render_classic(text)
        return Sample(image=image, text=text, boxes=boxes, style=style, font=classic_font().name)
    text = text if text is not None else random_digits(rng, length)
    font = pick_font(rng, fonts, bold=(style == "plate") or (style == "touching" and rng.random() < 0.5))
    size = _size(rng, height, *_SIZES[style])
    image, boxes = _RENDERERS[style](text, font, rng, size, fonts)
    return Sample(image=image, text=text, boxes=tuple(tuple(int(v) for v in b) for b in boxes), style=style, font=font.name)
