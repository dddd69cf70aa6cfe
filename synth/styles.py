"""Style presets: one random, labelled sample image per call.

A style turns a digit string and a font into a finished image — plain print, a noisy scan,
a colourful captcha, a licence plate, an invoice form field, or the classic 100×24 seed
captcha — and keeps one exact ``(x, y, w, h)`` box per digit through every step.

>>> sample = make_sample("plate", np.random.default_rng(0), bundled_fonts())
>>> sample.image.shape[2], len(sample.boxes) == len(sample.text)
(3, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth import augment
from synth.fonts import Font
from synth.render import Box, Strip, classic_font, render_classic, render_strip

__all__ = ["Sample", "STYLES", "make_sample", "pick_font", "random_digits"]

STYLES: tuple[str, ...] = ("plain", "noisy", "captcha", "plate", "field", "classic")

_THIN_WORDS = ("Thin", "Hairline", "ExtraLight", "Light")
_BOLD_WORDS = ("Bold", "Black", "Heavy", "Semibold", "SemiBold", "Duplex", "Triplex", "Fjalla", "Fredoka")


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        image: uint8 gray (H, W) or RGB (H, W, 3).
        text: The digits shown, left to right.
        boxes: One ``(x, y, w, h)`` per digit of `text`, in image pixels.
        style: The style that made it (one of `STYLES`).
        font: Name of the font drawn with.
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


def _strip(
    text: str, font: Font, rng: np.random.Generator, *, size: int, spacing: float, jitter: float,
    rotate: float = 0.0, margin: int = 0, stroke: int = 0,
) -> Strip:
    """`render_strip` with a weight boost for hairline fonts at small sizes (kept readable)."""
    if stroke == 0 and _is_thin(font) and size < 36:
        stroke = 1
    return render_strip(
        text, font, size=size, spacing=spacing, rng=rng, jitter=jitter, rotate=rotate,
        stroke=stroke, margin=margin,
    )


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


def _plain(text, font, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    strip = _strip(
        text, font, rng, size=size, spacing=float(rng.uniform(0.06, 0.35)),
        jitter=float(rng.uniform(0.0, 0.03)), margin=int(rng.integers(3, 3 + size // 2)),
    )
    background, ink = _polarity_grays(rng, light_on_dark=bool(rng.random() < 0.25))
    return _paint(strip.ink, np.float32(background), np.float32(ink)), strip.boxes


def _noisy(text, font, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    image, boxes = _plain(text, font, rng, size)
    image, boxes = augment.illumination(image, boxes, rng, strength=float(rng.uniform(0.0, 0.3)))
    image, boxes = augment.rotate(image, boxes, rng, max_angle=4.0)
    image, boxes = augment.perspective(image, boxes, rng, amount=0.03)
    if rng.random() < 0.3:
        image, boxes = augment.blur(image, boxes, rng, motion=True, length=int(rng.integers(2, 2 + size // 12)))
    else:
        image, boxes = augment.blur(image, boxes, rng, sigma=float(rng.uniform(0.3, 0.4 + size / 40)))
    image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(2, 12)))
    if rng.random() < 0.3:
        image, boxes = augment.salt_pepper(image, boxes, rng, amount=float(rng.uniform(0.002, 0.01)))
    return augment.jpeg(image, boxes, rng, quality=int(rng.integers(30, 91)))


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


def _captcha(text, font, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    strip = _strip(
        text, font, rng, size=size, spacing=float(rng.uniform(0.12, 0.4)),
        jitter=float(rng.uniform(0.03, 0.1)), rotate=15.0, margin=int(rng.integers(4, 4 + size // 2)),
    )
    h, w = strip.ink.shape
    light_background = bool(rng.random() < 0.6)
    bg_range, ink_range = ((170, 255), (0, 100)) if light_background else ((0, 80), (165, 255))
    background = _gradient(rng, (h, w), _colour(rng, *bg_range), _colour(rng, *bg_range))
    background = background + rng.normal(0, rng.uniform(0, 10), (h, w, 1)).astype(np.float32)
    glyph_colours = rng.uniform(*ink_range, (len(text), 3)).astype(np.float32)
    foreground = _per_glyph_colours(strip.boxes, w, glyph_colours)[None, :, :]  # (1, W, 3)
    image = _paint(strip.ink, np.clip(background, 0, 255), foreground)
    boxes = strip.boxes
    decoration = _colour(rng, *ink_range)
    image, boxes = augment.speckles(image, boxes, rng, count=(3, 12), color=decoration)
    image, boxes = augment.lines(
        image, boxes, rng, count=(1, 3), thickness=int(rng.integers(1, 3)), color=_colour(rng, *ink_range)
    )
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(2, 8)))
    return image, boxes


def _plate(text, font, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    space_after = (len(text) // 2 - 1,) if len(text) >= 5 and rng.random() < 0.4 else ()
    stroke = 0 if any(word in font.name for word in _BOLD_WORDS) else max(1, size // 16)
    strip = render_strip(
        text, font, size=size, spacing=float(rng.uniform(0.08, 0.25)), rng=rng,
        jitter=float(rng.uniform(0.0, 0.02)), stroke=stroke, margin=0, space_after=space_after,
        space_width=0.4,
    )
    if rng.random() < 0.5:
        plate = np.float32([rng.uniform(240, 255)] * 3)  # white
    else:
        plate = np.float32([rng.uniform(230, 255), rng.uniform(185, 215), rng.uniform(0, 50)])  # yellow
    ink = np.float32([rng.uniform(0, 50)] * 3)
    image = _paint(strip.ink, plate, ink)
    margin_x = math.ceil(rng.uniform(0.35, 0.6) * size)
    margin_y = math.ceil(rng.uniform(0.3, 0.45) * size)
    image, boxes = _pad(image, strip.boxes, (margin_y, margin_y, margin_x, margin_x), plate)
    border = int(rng.integers(2, 5))
    image, boxes = _pad(image, boxes, (border,) * 4, ink)
    surround = int(rng.integers(1, 6))
    image, boxes = _pad(image, boxes, (surround,) * 4, _colour(rng, 90, 200))
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(1, 5)))
    return image, boxes


def _field(text, font, rng, size) -> tuple[np.ndarray, tuple[Box, ...]]:
    strip = _strip(
        text, font, rng, size=size, spacing=float(rng.uniform(0.06, 0.25)),
        jitter=float(rng.uniform(0.0, 0.015)), margin=0,
    )
    paper, ink = float(rng.uniform(225, 255)), float(rng.uniform(0, 70))
    rule = float(rng.uniform(0, 140))  # field lines are often lighter than the digits
    fill = paper - float(rng.uniform(0, 12)) if rng.random() < 0.4 else paper
    image = _paint(strip.ink, np.float32(fill), np.float32(ink))
    gap = int(rng.integers(3, 3 + max(size // 3, 1)))  # digits ↔ line, >= 3 px
    extra_right = int(rng.integers(0, 3 * size))  # fields are wider than their content
    line = int(rng.integers(1, 3))
    if rng.random() < 0.5:  # boxed field
        image, boxes = _pad(image, strip.boxes, (gap, gap, gap, gap + extra_right), fill)
        image, boxes = _pad(image, boxes, (line,) * 4, rule)
    else:  # digits on an underline
        image, boxes = _pad(image, strip.boxes, (0, gap, gap, gap + extra_right), fill)
        image, boxes = _pad(image, boxes, (0, line, 0, 0), rule)
    outer = int(rng.integers(2, 8))
    image, boxes = _pad(image, boxes, (outer,) * 4, paper)
    if rng.random() < 0.5:
        image, boxes = augment.gaussian_noise(image, boxes, rng, sigma=float(rng.uniform(1, 5)))
    return image, boxes


_RENDERERS = {"plain": _plain, "noisy": _noisy, "captcha": _captcha, "plate": _plate, "field": _field}
_SIZES = {"plain": (16, 48), "noisy": (16, 48), "captcha": (20, 44), "plate": (20, 48), "field": (14, 36)}


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
        style: One of `STYLES`, or ``"mixed"`` (a style drawn from `STYLES`).
        rng: Source of every random choice (digits, font, layout, colours, noise).
        fonts: Fonts to draw from: a family uniformly, then a member of it.
        length: Inclusive range of the number of digits (ignored by ``"classic"``: always 5).
        height: Digit height in pixels; default a style-specific random range.
        text: The digits to draw instead of random ones (`length` is then ignored).

    Returns:
        A `Sample` with a uint8 gray (H, W) or RGB (H, W, 3) image and one box per digit.

    Raises:
        ValueError: `style` is unknown, `fonts` is empty, or `length` is not positive.
    """
    if style == "mixed":
        style = STYLES[int(rng.integers(len(STYLES)))]
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; valid styles: {', '.join(STYLES)}, mixed")
    if length[0] < 1 or length[1] < length[0]:
        raise ValueError(f"length must be a range (low, high) with 1 <= low <= high, got {length}")
    if text is not None and (not text or not text.isascii() or not text.isdigit()):
        raise ValueError(f"text must be a non-empty string of digits, got {text!r}")
    if style == "classic":
        text = text if text is not None else random_digits(rng, (5, 5))
        image, boxes = render_classic(text)
        return Sample(image=image, text=text, boxes=boxes, style=style, font=classic_font().name)
    text = text if text is not None else random_digits(rng, length)
    font = pick_font(rng, fonts, bold=(style == "plate"))
    size = _size(rng, height, *_SIZES[style])
    image, boxes = _RENDERERS[style](text, font, rng, size)
    return Sample(image=image, text=text, boxes=tuple(boxes), style=style, font=font.name)
