"""Procedural stroke font: one digit drawn from a skeleton with random design variants.

Fonts teach the network only the designs their authors chose; a design it saw too rarely
(the foot-less, long-flagged italic "1" of Roboto Italic, say) is misread on unseen fonts.
Here each digit is a skeleton of strokes — polylines sampled from lines, elliptic arcs and
Bézier curves — with its design picked at random (see ``VARIANTS``: a 1 with or without flag
and foot, an open or closed 4, a 7 with or without crossbar, …) and its proportions jittered.
A global style per call sets stroke width, width/height ratio, italic shear, a slight rotation
and optional serifs. The skeleton is drawn anti-aliased at 4× and reduced with INTER_AREA.

Skeleton coordinates: y runs down from 0 (top of the digit) to 1 (baseline); x is in the same
unit (the digit's height), from 0 at the left edge, so a circle stays a circle. Shapes get the
stroke width ``t`` (same unit) so that counters and gaps stay open however bold the stroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["VARIANTS", "render_digit"]

Stroke = np.ndarray  # float (n, 2) polyline of (x, y) points, skeleton units

VARIANTS: dict[int, tuple[str, ...]] = {
    0: ("oval", "narrow", "slashed", "dotted"),
    1: ("plain", "flag", "long_flag", "curved_flag", "flag_foot"),
    2: ("diagonal", "curved", "looped"),
    3: ("round", "flat_top"),
    4: ("closed", "open"),
    5: ("upright", "slanted"),
    6: ("curved_tail", "straight_tail"),
    7: ("plain", "curved", "crossbar", "hooked"),
    8: ("stacked", "equal", "crossed"),
    9: ("curved_tail", "straight_tail", "stem"),
}
# How often each variant is drawn; rare designs (slashed 0, looped 2) stay rare.
_WEIGHTS: dict[int, tuple[float, ...]] = {
    0: (0.6, 0.26, 0.07, 0.07),
    1: (0.2, 0.3, 0.15, 0.1, 0.25),
    2: (0.5, 0.4, 0.1),
    3: (0.8, 0.2),
    4: (0.7, 0.3),
    5: (0.7, 0.3),
    6: (0.75, 0.25),
    7: (0.45, 0.25, 0.15, 0.15),
    8: (0.5, 0.25, 0.25),
    9: (0.6, 0.25, 0.15),
}
_SUPERSAMPLE = 4  # draw at 4× and reduce: anti-aliasing beyond what LINE_AA gives
_SHIFT = 4  # fractional bits of the integer coordinates handed to cv2


@dataclass(frozen=True)
class _Style:
    """Global look of one rendered digit (units: the digit's height)."""

    thickness: float  # stroke width, 0.06 … 0.20
    aspect: float  # factor on all x coordinates: condensed < 1 < extended
    shear: float  # italic slant, x shift per unit of height going up
    rotation: float  # degrees, counter-clockwise on screen
    serifs: bool  # short ticks on free stroke ends where a serif font has them


def render_digit(
    digit: int,
    rng: np.random.Generator,
    *,
    size: int = 40,
    variant: str | None = None,
    margin: int = 3,
) -> np.ndarray:
    """Draw one printed-looking digit with a random design and style.

    Args:
        digit: 0 … 9.
        rng: the only source of randomness; the same state gives the same array.
        size: height of the ink in pixels (the digit's cap height, stroke included).
        variant: one of ``VARIANTS[digit]`` to force a design, or None to draw one at random.
        margin: empty pixels on every side.

    Returns:
        float32 (size + 2·margin, W) ink coverage in [0, 1], 1 = ink; W depends on the design.

    Raises:
        ValueError: unknown digit or variant.

    >>> img = render_digit(7, np.random.default_rng(0), size=32)
    >>> img.shape[0], img.dtype, float(img.max()) <= 1.0
    (38, dtype('float32'), True)
    """
    if digit not in VARIANTS:
        raise ValueError(f"digit must be 0 … 9, got {digit!r}")
    names = VARIANTS[digit]
    if variant is None:
        variant = names[rng.choice(len(names), p=_WEIGHTS[digit])]
    elif variant not in names:
        raise ValueError(f"digit {digit} has variants {names}, got {variant!r}")
    style = _draw_style(rng)
    strokes = _SKELETONS[digit](rng, variant, style)
    return _draw(_transform(strokes, style), style.thickness, size=size, margin=margin)


# --- global style --------------------------------------------------------------------------


def _draw_style(rng: np.random.Generator) -> _Style:
    """Pick stroke width, proportions, slant, rotation and serifs for one digit."""
    kind = rng.random()
    if kind < 0.15:
        thickness = rng.uniform(0.06, 0.08)  # hairline
    elif kind < 0.85:
        thickness = rng.uniform(0.08, 0.16)
    else:
        thickness = rng.uniform(0.16, 0.20)  # bold
    shear = 0.0 if rng.random() < 0.5 else rng.uniform(-0.1, 0.35)
    return _Style(
        thickness=thickness,
        aspect=rng.uniform(0.82, 1.2),
        shear=shear,
        rotation=rng.uniform(-4.0, 4.0),
        serifs=bool(rng.random() < 0.25),
    )


def _transform(strokes: list[Stroke], style: _Style) -> list[Stroke]:
    """Apply width ratio, italic shear and rotation to skeleton strokes (each (n, 2))."""
    theta = np.deg2rad(style.rotation)
    c, s = np.cos(theta), np.sin(theta)
    out = []
    for points in strokes:
        x = points[:, 0] * style.aspect
        y = points[:, 1]
        x = x + style.shear * (0.5 - y)  # the top leans right for a positive shear
        # Rotate about (0, 0.5); y is down, so this turns counter-clockwise on screen.
        out.append(np.stack([c * x + s * (y - 0.5), -s * x + c * (y - 0.5) + 0.5], axis=1))
    return out


def _draw(strokes: list[Stroke], thickness: float, *, size: int, margin: int) -> np.ndarray:
    """Rasterize strokes so the ink is `size` px high; return float32 (size + 2·margin, W)."""
    points = np.concatenate(strokes)  # (N, 2)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    scale = size / (y1 - y0 + thickness)  # pixels per skeleton unit, stroke included
    height = size + 2 * margin
    width = int(np.ceil((x1 - x0 + thickness) * scale)) + 2 * margin
    k = _SUPERSAMPLE
    canvas = np.zeros((height * k, width * k), np.uint8)
    origin = np.array([x0, y0]) - thickness / 2  # skeleton point that lands on (margin, margin)
    fixed = []
    for stroke in strokes:
        pixels = ((stroke - origin) * scale + margin) * k  # (n, 2) supersampled pixels
        fixed.append(np.round(pixels * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2))
    line_width = max(1, round(thickness * scale * k))
    cv2.polylines(canvas, fixed, False, 255, line_width, cv2.LINE_AA, _SHIFT)
    small = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) * np.float32(1.0 / 255.0)


# --- stroke primitives (skeleton units) ----------------------------------------------------


def _line(*points: tuple[float, float]) -> Stroke:
    """Polyline through the given (x, y) points; (n, 2)."""
    return np.array(points, dtype=np.float64)


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> Stroke:
    """Elliptic arc from angle a0 to a1 (degrees; 0 = right, 90 = down since y is down); (n, 2)."""
    n = max(8, int(abs(a1 - a0) / 4))
    a = np.deg2rad(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _at(cx: float, cy: float, rx: float, ry: float, a: float) -> tuple[float, float]:
    """The point at angle `a` (degrees) on an ellipse."""
    r = np.deg2rad(a)
    return cx + rx * np.cos(r), cy + ry * np.sin(r)


def _bezier(*controls: tuple[float, float], n: int = 40) -> Stroke:
    """Bézier curve through its first and last control points (Bernstein form); (n, 2)."""
    p = np.array(controls, dtype=np.float64)  # (m, 2)
    m = len(p) - 1
    u = np.linspace(0.0, 1.0, n)[:, None]  # (n, 1)
    binom = [1.0]
    for i in range(m):
        binom.append(binom[-1] * (m - i) / (i + 1))
    return sum(binom[i] * u**i * (1 - u) ** (m - i) * p[i] for i in range(m + 1))


def _rotate_half_turn(strokes: list[Stroke]) -> list[Stroke]:
    """Turn a skeleton by 180° inside its unit height: (x, y) → (-x, 1 - y)."""
    return [np.stack([-s[:, 0], 1.0 - s[:, 1]], axis=1) for s in strokes]


# --- digit skeletons -------------------------------------------------------------------------
# Each maps (rng, variant, style) to list[Stroke]; t = style.thickness, in height units.


def _zero(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Oval; narrow or round; rarely slashed (lower-left to upper-right) or dotted."""
    t = style.thickness
    w = rng.uniform(0.42, 0.52) if variant == "narrow" else rng.uniform(0.55, 0.8)
    rx, ry = w / 2, 0.5
    strokes = [_arc(rx, ry, rx, ry, 0.0, 360.0)]
    if variant == "slashed":
        reach = rng.uniform(0.75, 1.0)
        strokes.append(_line(_at(rx, ry, rx * reach, ry * reach, 125.0),
                             _at(rx, ry, rx * reach, ry * reach, 305.0)))
    elif variant == "dotted":
        d = max(0.02, 0.6 * t)
        strokes.append(_line((rx - d / 2, ry), (rx + d / 2, ry)))
    return strokes


def _one(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Vertical stem; a flag going down-left from its top (never longer than 0.42); a foot.

    A 7's bar runs right across the top, level; a 1's flag runs left and visibly down. The
    flag's angle is chosen as it will look on screen, after width ratio and italic shear
    (a slant flattens a flag, which is how Roboto Italic's 1 comes to look like a 7).
    """
    strokes = [_line((0.0, 0.0), (0.0, 1.0))]
    if variant != "plain":
        if variant == "long_flag":
            length, angle = rng.uniform(0.3, 0.42), rng.uniform(30.0, 45.0)
        else:
            length, angle = rng.uniform(0.14, 0.3), rng.uniform(30.0, 55.0)
        a = np.deg2rad(angle)
        dy = length * np.sin(a)
        # On screen x' = aspect·x − shear·y (relative to the top), so undo both here.
        tip = ((-length * np.cos(a) + style.shear * dy) / style.aspect, dy)
        if variant == "curved_flag":
            bend = rng.uniform(0.06, 0.14) * length * rng.choice([-1.0, 1.0])
            mid = (tip[0] / 2 - bend * np.sin(a), tip[1] / 2 - bend * np.cos(a))
            strokes.append(_bezier((0.0, 0.0), mid, tip))
        else:
            strokes.append(_line((0.0, 0.0), tip))
    if variant == "flag_foot" or (style.serifs and variant != "long_flag"):
        half = rng.uniform(0.14, 0.24) + style.thickness / 2
        strokes.append(_line((-half, 1.0), (half, 1.0)))
    return strokes


def _two(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Round top arc, diagonal or curved neck, flat base; or a small loop at the bottom-left."""
    t, serifs = style.thickness, style.serifs
    w = rng.uniform(0.5, 0.7)
    ry = rng.uniform(0.22, 0.3)
    rx = w / 2 * rng.uniform(0.9, 1.0)
    cx = w - rx
    a_end = rng.uniform(15.0, 45.0) + 360.0  # the bowl comes round past its right side
    top = _arc(cx, ry, rx, ry, rng.uniform(165.0, 200.0), a_end)
    ex, ey = top[-1]
    if variant == "looped":
        r = rng.uniform(0.06, 0.09) + t / 3
        lx, ly = r, 1.0 - r
        neck = _line((ex, ey), _at(lx, ly, r, r, 300.0))
        loop = _arc(lx, ly, r, r, 300.0, 90.0)  # over the top, round the left, to the bottom
        strokes = [top, neck, loop, _line((lx, 1.0), (w, 1.0))]
    else:
        if variant == "curved":
            # The neck leaves the bowl steeply and flattens into the base corner.
            ctrl = (ex - rng.uniform(0.0, 0.12) * w, ey + rng.uniform(0.25, 0.4) * (1.0 - ey))
            neck = _bezier((ex, ey), ctrl, (0.0, 1.0))
        else:
            neck = _line((ex, ey), (0.0, 1.0))
        strokes = [top, neck, _line((0.0, 1.0), (w, 1.0))]
    if serifs:
        strokes.append(_line((w, 1.0), (w, 1.0 - rng.uniform(0.08, 0.14) - t / 2)))
    return strokes


def _three(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Two bowls open on the left (bottom one larger); or a flat top bar and a diagonal."""
    t, serifs = style.thickness, style.serifs
    w = rng.uniform(0.5, 0.66)
    rxb = w / 2
    if variant == "round":
        rt = rng.uniform(0.21, 0.245)
        rb = (1.0 - 2 * rt) / 2
        rxt = rxb * rng.uniform(0.82, 0.95)
        a0, a1 = rng.uniform(195.0, 215.0), rng.uniform(100.0, 115.0) + 360.0
        top = _arc(w - rxt - 0.02, rt, rxt, rt, a0, a1)
        a0, a1 = rng.uniform(245.0, 260.0), rng.uniform(140.0, 160.0) + 360.0
        bottom = _arc(rxb, 1.0 - rb, rxb, rb, a0, a1)
        return [top, _line(tuple(top[-1]), tuple(bottom[0])), bottom]
    ym = rng.uniform(0.36, 0.44)
    rb = (1.0 - ym) / 2
    jx = w * rng.uniform(0.32, 0.45)
    left = w * rng.uniform(0.0, 0.12)
    bottom = _arc(rxb, 1.0 - rb, rxb, rb, 260.0, rng.uniform(140.0, 160.0) + 360)
    strokes = [_line((left, 0.0), (w * rng.uniform(0.9, 1.0), 0.0), (jx, ym)),
               _line((jx, ym), tuple(bottom[0])), bottom]
    if serifs:
        strokes.append(_line((left, 0.0), (left, rng.uniform(0.08, 0.14) + t / 2)))
    return strokes


def _four(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Stem through a crossbar at 0.62–0.74; closed (diagonal meets the stem top) or open."""
    t, serifs = style.thickness, style.serifs
    w = rng.uniform(0.55, 0.75)
    yc = rng.uniform(0.62, 0.74)
    xs = w * rng.uniform(0.64, 0.76)
    right = w if rng.random() < 0.75 else xs + t / 3  # crossbar past the stem, or stopping at it
    strokes = [_line((0.0, yc), (right, yc))]
    if variant == "closed":
        strokes.insert(0, _line((xs, 0.0), (0.0, yc)))
        strokes.append(_line((xs, 0.0), (xs, 1.0)))
    else:
        # Open top: the left stroke ends at least 1.5 strokes plus a gap left of the stem.
        xl = max(0.0, xs - 1.5 * t - rng.uniform(0.12, 0.25) * w)
        x_low = rng.uniform(0.0, 0.3) * xl
        strokes.insert(0, _line((xl, 0.0), (x_low, yc)))
        strokes.append(_line((xs, rng.uniform(0.0, 0.18)), (xs, 1.0)))
    if serifs:
        half = rng.uniform(0.1, 0.16) + t / 2
        strokes.append(_line((xs - half, 1.0), (xs + half, 1.0)))
    return strokes


def _five(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Top bar, a short upright (or slanted) neck, a bowl open on the lower left."""
    t, serifs = style.thickness, style.serifs
    w = rng.uniform(0.5, 0.68)
    ry = rng.uniform(0.27, 0.31)
    rx = w / 2 * rng.uniform(0.95, 1.05)
    cx, cy = w - rx, 1.0 - ry
    a0 = rng.uniform(200.0, 218.0)
    a1 = rng.uniform(125.0, 150.0) + 360.0 - 60.0 * t  # bolder strokes end sooner: no 6
    bowl = _arc(cx, cy, rx, ry, a0, a1)
    sx, sy = bowl[0]
    nx = sx + (rng.uniform(0.03, 0.1) if variant == "slanted" else 0.0)
    bar_end = (w * rng.uniform(0.85, 1.02), -rng.uniform(0.0, 0.04))
    strokes = [_line(bar_end, (nx, 0.0), (sx, sy)), bowl]
    if serifs:
        strokes.append(_line(bar_end, (bar_end[0], bar_end[1] + rng.uniform(0.08, 0.13) + t / 2)))
    return strokes


def _six_shape(rng: np.random.Generator, variant: str) -> list[Stroke]:
    """Closed loop at the bottom; a tail from its left rising to a free end at the top right."""
    w = rng.uniform(0.5, 0.7)
    ry = rng.uniform(0.27, 0.32)
    rx, cy = w / 2, 1.0 - ry
    loop = _arc(rx, cy, rx, ry, 0.0, 360.0)
    end = (w * rng.uniform(0.6, 0.85), rng.uniform(0.0, 0.08))
    if variant == "curved_tail":
        # Leave the loop's leftmost point going straight up, bend over to the right.
        tail = _bezier((0.0, cy), (0.0, cy * rng.uniform(0.2, 0.45)),
                       (end[0] * rng.uniform(0.25, 0.5), 0.0), end)
    else:
        tail = _line(_at(rx, cy, rx, ry, rng.uniform(200.0, 225.0)), end)
    return [loop, tail]


def _six(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """A 6: loop at the bottom, curved or straight tail at the top."""
    return _six_shape(rng, variant)


def _seven(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Level top bar across the whole width; a straight or curved diagonal to the baseline."""
    t, serifs = style.thickness, style.serifs
    w = rng.uniform(0.55, 0.72)
    xb = w * rng.uniform(0.12, 0.42)
    if variant == "curved":
        # Steep at the foot, leaning into the bar corner at the top.
        bend = (xb + rng.uniform(0.25, 0.45) * (w - xb), rng.uniform(0.45, 0.6))
        stem = _bezier((w, 0.0), bend, (xb, 1.0))
    else:
        stem = _line((w, 0.0), (xb, 1.0))
    strokes = [_line((0.0, 0.0), (w, 0.0)), stem]
    if variant == "hooked" or serifs:
        strokes.append(_line((0.0, 0.0), (0.0, rng.uniform(0.1, 0.16) + t / 2)))
    if variant == "crossbar":
        my = rng.uniform(0.45, 0.55)
        mx = float(np.interp(my, stem[:, 1], stem[:, 0]))  # the stem's y rises monotonically
        half = w * rng.uniform(0.2, 0.28)
        strokes.append(_line((mx - half, my), (mx + half, my)))
    return strokes


def _eight(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """Two loops, the top one smaller or equal: stacked ellipses, or one crossing curve."""
    w = rng.uniform(0.5, 0.66)
    rxb = w / 2
    if variant == "crossed":
        # One stroke crossing itself at C: two teardrop loops, each a cubic Bézier from C
        # back to C. Such a loop reaches 3/4 of its control offset in height and
        # 0.2887 of its control spread either side, hence the factors.
        ym = rng.uniform(0.42, 0.48)
        c = (rxb, ym)
        spread_t, spread_b = rxb * rng.uniform(0.8, 0.95) / 0.2887, rxb / 0.2887
        top = _bezier(c, (rxb - spread_t, ym - ym / 0.75), (rxb + spread_t, ym - ym / 0.75), c)
        dip = (1.0 - ym) / 0.75
        bottom = _bezier(c, (rxb - spread_b, ym + dip), (rxb + spread_b, ym + dip), c)
        return [np.concatenate([top, bottom[1:]])]
    rt = rng.uniform(0.2, 0.235) if variant == "stacked" else 0.25
    rb = (1.0 - 2 * rt) / 2
    rxt = rxb * (rng.uniform(0.75, 0.9) if variant == "stacked" else rng.uniform(0.9, 1.0))
    return [_arc(rxb, rt, rxt, rt, 0.0, 360.0), _arc(rxb, 1.0 - rb, rxb, rb, 0.0, 360.0)]


def _nine(rng: np.random.Generator, variant: str, style: _Style) -> list[Stroke]:
    """A 9: loop at the top; a 6 turned round, or a straight stem down its right side."""
    if variant != "stem":
        return _rotate_half_turn(_six_shape(rng, variant))
    w = rng.uniform(0.5, 0.66)
    ry = rng.uniform(0.26, 0.31)
    rx = w / 2
    return [_arc(rx, ry, rx, ry, 0.0, 360.0), _line((w, ry), (w, 1.0))]


_SKELETONS: dict[int, Callable[[np.random.Generator, str, _Style], list[Stroke]]] = {
    0: _zero, 1: _one, 2: _two, 3: _three, 4: _four,
    5: _five, 6: _six, 7: _seven, 8: _eight, 9: _nine,
}
