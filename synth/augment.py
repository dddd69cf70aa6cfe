"""Image augmentations that keep the per-digit boxes true.

Every function has the form ``f(image, boxes, rng, *, knobs) -> (image, boxes)`` on a uint8
gray (H, W) or RGB (H, W, 3) image, so they chain freely. Photometric functions return the
boxes unchanged; geometric ones map the four corners of each box and take their bounding
rectangle, clipped to the image. Default strengths keep the digits easy for a person to read.

>>> image, boxes = gaussian_noise(image, boxes, rng, sigma=6.0)
>>> image, boxes = rotate(image, boxes, rng, max_angle=3.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from synth.render import glyph_box

__all__ = [
    "background_value",
    "ink_value",
    "gaussian_noise",
    "salt_pepper",
    "blur",
    "jpeg",
    "rotate",
    "perspective",
    "illumination",
    "lines",
    "curves",
    "speckles",
    "warp",
]

Box = tuple[int, int, int, int]
Boxes = tuple[Box, ...]


def background_value(image: np.ndarray) -> np.ndarray:
    """Median of the image's outermost rows and columns: float64 (C,) or (1,) background level."""
    edges = (image[0], image[-1], image[:, 0], image[:, -1])
    pixels = np.concatenate([e.reshape(-1, *image.shape[2:]) for e in edges])
    return np.atleast_1d(np.median(pixels, axis=0))


def ink_value(image: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """The pixel inside `boxes` farthest from the background: float64 (C,) or (1,) ink level."""
    background = background_value(image)
    inside = np.concatenate(
        [image[y : y + h, x : x + w].reshape(-1, background.size) for x, y, w, h in boxes]
        or [background[None, :]]
    ).astype(np.float64)
    distance = np.abs(inside - background).sum(axis=1)
    return inside[int(np.argmax(distance))]


def _as_color(value: np.ndarray, image: np.ndarray) -> tuple[float, ...] | float:
    """A cv2 drawing colour for `image` from a (C,) value."""
    if image.ndim == 2:
        return float(value[0])
    return tuple(float(v) for v in np.broadcast_to(value, (image.shape[2],)))


def _clip_boxes(boxes: np.ndarray, width: int, height: int) -> Boxes:
    """Clip float (n, 4) x0, y0, x1, y1 rectangles to the image; return integer (x, y, w, h)."""
    out = []
    for x0, y0, x1, y1 in boxes:
        left = int(np.clip(np.floor(x0), 0, width - 1))
        top = int(np.clip(np.floor(y0), 0, height - 1))
        right = int(np.clip(np.ceil(x1), left + 1, width))
        bottom = int(np.clip(np.ceil(y1), top + 1, height))
        out.append((left, top, right - left, bottom - top))
    return tuple(out)


def _map_boxes(boxes: Sequence[Box], matrix: np.ndarray, width: int, height: int) -> Boxes:
    """Map each box's four corners through a 3×3 homography; bounding rectangle, clipped."""
    if not boxes:
        return ()
    b = np.asarray(boxes, np.float64)  # (n, 4)
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    corners = np.stack([np.stack([x0, y0]), np.stack([x1, y0]), np.stack([x0, y1]), np.stack([x1, y1])])
    points = corners.transpose(2, 0, 1).reshape(-1, 2)  # (n*4, 2)
    mapped = cv2.perspectiveTransform(points[None], matrix)[0].reshape(-1, 4, 2)
    rects = np.concatenate([mapped.min(axis=1), mapped.max(axis=1)], axis=1)  # (n, 4)
    return _clip_boxes(rects, width, height)


def gaussian_noise(
    image: np.ndarray, boxes: Sequence[Box], rng: np.random.Generator, *, sigma: float = 8.0
) -> tuple[np.ndarray, Boxes]:
    """Add zero-mean Gaussian noise of standard deviation `sigma` gray levels."""
    noise = rng.normal(0.0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8), tuple(boxes)


def salt_pepper(
    image: np.ndarray, boxes: Sequence[Box], rng: np.random.Generator, *, amount: float = 0.01
) -> tuple[np.ndarray, Boxes]:
    """Set a fraction `amount` of pixels to black or white (half each)."""
    out = image.copy()
    hit = rng.random(image.shape[:2]) < amount
    salt = rng.random(image.shape[:2]) < 0.5
    out[hit & salt] = 255
    out[hit & ~salt] = 0
    return out, tuple(boxes)


def blur(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    sigma: float = 0.8,
    motion: bool = False,
    length: int = 5,
) -> tuple[np.ndarray, Boxes]:
    """Gaussian blur of `sigma` pixels, or a motion blur `length` pixels long at a random angle."""
    if not motion:
        return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma), tuple(boxes)
    length = max(int(length), 2)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    center = ((length - 1) / 2.0, (length - 1) / 2.0)
    turn = cv2.getRotationMatrix2D(center, float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    kernel /= max(float(kernel.sum()), 1e-6)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE), tuple(boxes)


def jpeg(
    image: np.ndarray, boxes: Sequence[Box], rng: np.random.Generator, *, quality: int = 60
) -> tuple[np.ndarray, Boxes]:
    """Re-encode as JPEG at `quality` (1-100) and decode again (`rng` unused, kept for chaining)."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - cv2 always encodes uint8 images
        raise RuntimeError("JPEG encoding failed")
    flag = cv2.IMREAD_GRAYSCALE if image.ndim == 2 else cv2.IMREAD_COLOR
    out = cv2.imdecode(data, flag)
    if image.ndim == 3:
        out = cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    return out, tuple(boxes)


def rotate(
    image: np.ndarray, boxes: Sequence[Box], rng: np.random.Generator, *, max_angle: float = 4.0
) -> tuple[np.ndarray, Boxes]:
    """Rotate by a uniform angle in ±`max_angle` degrees on an expanded canvas (nothing cut).

    The new corners are filled with the background level (`background_value`).
    """
    h, w = image.shape[:2]
    angle = float(rng.uniform(-max_angle, max_angle))
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    c, s = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(np.ceil(w * c + h * s)), int(np.ceil(w * s + h * c))
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    border = _as_color(background_value(image), image)
    out = cv2.warpAffine(
        image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )
    return out, _map_boxes(boxes, np.vstack([matrix, [0, 0, 1]]), new_w, new_h)


def perspective(
    image: np.ndarray, boxes: Sequence[Box], rng: np.random.Generator, *, amount: float = 0.04
) -> tuple[np.ndarray, Boxes]:
    """Move each corner inwards by up to `amount` × the image size (a mild perspective tilt).

    Corners only move inwards, so no ink leaves the canvas; the uncovered border gets the
    background level.
    """
    h, w = image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    inward = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    shift = rng.uniform(0, amount, (4, 2)) * np.float32([w, h])
    dst = (src + inward * shift).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    border = _as_color(background_value(image), image)
    out = cv2.warpPerspective(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )
    return out, _map_boxes(boxes, matrix, w, h)


def illumination(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    strength: float = 0.25,
    radial: bool | None = None,
) -> tuple[np.ndarray, Boxes]:
    """Multiply by a smooth gain field falling from 1 to ``1 - strength`` (linear or radial).

    Args:
        strength: Largest relative darkening, in [0, 1).
        radial: Radial spot (True), linear ramp at a random angle (False), or random (None).
    """
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if radial is None:
        radial = bool(rng.random() < 0.5)
    if radial:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        ramp = np.hypot(xs - cx, ys - cy)
    else:
        theta = rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(theta) + ys * np.sin(theta)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)  # (H, W) in [0, 1]
    gain = 1.0 - strength * ramp
    if image.ndim == 3:
        gain = gain[:, :, None]
    return np.clip(image * gain, 0, 255).astype(np.uint8), tuple(boxes)


def _keep_out(shape: tuple[int, int], boxes: Sequence[Box], pad: int) -> np.ndarray:
    """bool (H, W) mask of the boxes grown by `pad` pixels: where decorations must not go."""
    mask = np.zeros(shape, bool)
    for x, y, w, h in boxes:
        mask[max(y - pad, 0) : y + h + pad, max(x - pad, 0) : x + w + pad] = True
    return mask


def _mix(background: np.ndarray, ink: np.ndarray, weight: float) -> np.ndarray:
    return background + weight * (ink - background)


def lines(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    count: tuple[int, int] = (1, 3),
    thickness: int = 1,
    weight: tuple[float, float] = (0.35, 0.7),
    crossing: bool = False,
    color: Sequence[float] | None = None,
    pad: int = 2,
) -> tuple[np.ndarray, Boxes]:
    """Draw a few thin straight or curved lines of low contrast.

    Args:
        count: Inclusive range of the number of lines.
        thickness: Line thickness in pixels.
        weight: Range of the line's contrast as a fraction of the ink's (1 = as dark as ink).
        crossing: Allow lines through the glyph boxes; if False a line touching any box grown
            by `pad` pixels is dropped (tried up to 30 times per line).
        color: Line colour (one value, or three for RGB); default the ink level.
    """
    h, w = image.shape[:2]
    out = image.copy()
    background = background_value(image)
    ink = np.asarray(color, np.float64) if color is not None else ink_value(image, boxes)
    keep_out = None if crossing else _keep_out((h, w), boxes, pad)
    wanted = int(rng.integers(count[0], count[1] + 1))
    drawn = tries = 0
    while drawn < wanted and tries < 30 * max(wanted, 1):
        tries += 1
        n_points = int(rng.integers(2, 6))  # 2 = straight, more = a curve through the points
        if rng.random() < 0.5:  # mostly horizontal, as over/under a strip
            xs = np.sort(rng.uniform(-0.1 * w, 1.1 * w, n_points))
            ys = rng.uniform(0, h, 1) + rng.normal(0, 0.08 * h, n_points)
        else:
            xs = np.sort(rng.uniform(0, w, n_points))
            ys = rng.uniform(0, h, n_points)
        points = np.round(np.stack([xs, ys], axis=1)).astype(np.int32)
        stroke = np.zeros((h, w), np.uint8)
        cv2.polylines(stroke, [points], False, 255, int(thickness), cv2.LINE_AA)
        if keep_out is not None and (stroke[keep_out] > 0).any():
            continue
        out = _blend(out, stroke, _mix(background, ink, float(rng.uniform(*weight))))
        drawn += 1
    return out, tuple(boxes)


def _blend(image: np.ndarray, stroke: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """Lay uint8 (H, W) anti-aliased `stroke` coverage over `image` in colour `tone` (C,)."""
    alpha = stroke.astype(np.float32) / 255.0  # (H, W) in [0, 1]
    if image.ndim == 3:
        alpha = alpha[:, :, None]
    else:
        tone = tone[0]
    return np.clip(image * (1 - alpha) + tone * alpha, 0, 255).astype(np.uint8)


def _curve_points(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """int32 (n, 2) x, y points of a smooth curve from the left edge to the right edge.

    Half the time a sine wave about a slanted line, else a cubic Bezier curve; both keep
    to the middle 80% of the height so that they cross the digits rather than the margin.
    """
    xs = np.arange(-2.0, width + 2.0, 1.0)  # one point per column: smooth after rounding
    t = (xs - xs[0]) / max(xs[-1] - xs[0], 1.0)  # (n,) in [0, 1]
    low, high = 0.1 * height, 0.9 * height
    if rng.random() < 0.5:
        start, end = rng.uniform(low, high, 2)
        amplitude = rng.uniform(0.05, 0.25) * height
        periods = rng.uniform(0.5, 2.0)
        phase = rng.uniform(0, 2 * np.pi)
        ys = start + t * (end - start) + amplitude * np.sin(2 * np.pi * periods * t + phase)
    else:
        p0, p1, p2, p3 = rng.uniform(low, high, 4)  # y of the four control points, x evenly spaced
        ys = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
    return np.round(np.stack([xs, np.clip(ys, 0, height - 1)], axis=1)).astype(np.int32)


def curves(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    count: tuple[int, int] = (1, 2),
    thickness: tuple[int, int] = (1, 2),
    weight: tuple[float, float] = (0.6, 0.9),
    color: Sequence[float] | None = None,
) -> tuple[np.ndarray, Boxes]:
    """Draw a few smooth curves (sine waves, Bezier curves) across the whole image, digits too.

    The captcha's strike-through lines: they cross the glyphs on purpose, so keep them thin
    and a little lighter than the ink to leave every digit readable.

    Args:
        count: Inclusive range of the number of curves.
        thickness: Inclusive range of the curve thickness in pixels.
        weight: Range of the curve's contrast as a fraction of the ink's (1 = as dark as ink).
        color: Curve colour (one value, or three for RGB); default the ink level.
    """
    h, w = image.shape[:2]
    out = image.copy()
    background = background_value(image)
    ink = np.asarray(color, np.float64) if color is not None else ink_value(image, boxes)
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        points = _curve_points(rng, w, h)
        stroke = np.zeros((h, w), np.uint8)
        width = int(rng.integers(thickness[0], thickness[1] + 1))
        cv2.polylines(stroke, [points], False, 255, width, cv2.LINE_AA)
        out = _blend(out, stroke, _mix(background, ink, float(rng.uniform(*weight))))
    return out, tuple(boxes)


def speckles(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    count: tuple[int, int] = (3, 10),
    radius: tuple[int, int] = (1, 2),
    weight: tuple[float, float] = (0.4, 0.9),
    color: Sequence[float] | None = None,
    pad: int = 2,
) -> tuple[np.ndarray, Boxes]:
    """Draw a few small dots at least `pad` pixels away from every glyph box.

    Args:
        count: Inclusive range of the number of dots.
        radius: Inclusive range of dot radii in pixels.
        weight: Range of the dot contrast as a fraction of the ink's.
        color: Dot colour; default the ink level.
    """
    h, w = image.shape[:2]
    out = image.copy()
    background = background_value(image)
    ink = np.asarray(color, np.float64) if color is not None else ink_value(image, boxes)
    wanted = int(rng.integers(count[0], count[1] + 1))
    drawn = tries = 0
    while drawn < wanted and tries < 30 * max(wanted, 1):
        tries += 1
        r = int(rng.integers(radius[0], radius[1] + 1))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        dot = (cx - r - pad, cy - r - pad, 2 * (r + pad) + 1, 2 * (r + pad) + 1)
        if any(_overlap(dot, box) for box in boxes):
            continue
        tone = _mix(background, ink, float(rng.uniform(*weight)))
        cv2.circle(out, (cx, cy), r, _as_color(tone, out), -1, cv2.LINE_AA)
        drawn += 1
    return out, tuple(boxes)


def _overlap(a: Box, b: Box) -> bool:
    """Whether two (x, y, w, h) rectangles share a pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _box_ink(image: np.ndarray, box: Box) -> np.ndarray:
    """float32 (H, W) mask: 1 on the pixels of `box` nearer to its ink than to its background.

    The background is the median of the one-pixel ring around the box (the local colour, on
    gradients too); the ink is the pixel of the box farthest from it. A pixel half way or
    more counts, as a glyph's coverage >= 0.5 makes its box (`synth.render.BOX_THRESHOLD`).
    """
    h, w = image.shape[:2]
    x, y, bw, bh = box
    pixels = image.reshape(h, w, -1).astype(np.float32)  # (H, W, C)
    top, left = max(y - 1, 0), max(x - 1, 0)
    around = pixels[top : y + bh + 1, left : x + bw + 1]
    ring = np.ones(around.shape[:2], bool)
    ring[y - top : y - top + bh, x - left : x - left + bw] = False
    background = np.median(around[ring], axis=0) if ring.any() else background_value(image)
    distance = np.abs(pixels[y : y + bh, x : x + bw] - background).sum(axis=2)  # (bh, bw)
    mask = np.zeros((h, w), np.float32)
    mask[y : y + bh, x : x + bw] = distance >= 0.5 * distance.max()
    return mask


def warp(
    image: np.ndarray,
    boxes: Sequence[Box],
    rng: np.random.Generator,
    *,
    amplitude: tuple[float, float] = (1.0, 2.5),
    wavelength: tuple[float, float] = (40.0, 120.0),
) -> tuple[np.ndarray, Boxes]:
    """Wave the image: a smooth sine displacement of x along y and of y along x.

    The output pixel (x, y) is read from the input at ``(x + ax sin(2π y / Ly + φ),
    y + ay sin(2π x / Lx + ψ))``, bilinearly, with the edge pixels replicated.

    Each box is measured again after the warp: its ink pixels (`_box_ink`) are warped with
    the same maps and the new box is their tight rectangle at coverage >= 0.5, so it stays
    as tight as the glyph (mapping the box's corners instead would loosen it by up to 2×
    the amplitude). Boxes must not overlap for this: apply it before digits touch.

    Args:
        amplitude: Range of the displacement amplitudes ax, ay, in pixels.
        wavelength: Range of the wavelengths Lx, Ly, in pixels.
    """
    h, w = image.shape[:2]
    ax, ay = rng.uniform(*amplitude, 2)
    lx, ly = rng.uniform(*wavelength, 2)
    phase_x, phase_y = rng.uniform(0, 2 * np.pi, 2)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = xs + np.float32(ax) * np.sin(2 * np.pi * ys / np.float32(ly) + np.float32(phase_x))  # (H, W)
    map_y = ys + np.float32(ay) * np.sin(2 * np.pi * xs / np.float32(lx) + np.float32(phase_y))
    out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mapped = []
    for box in boxes:
        ink = cv2.remap(_box_ink(image, box), map_x, map_y, cv2.INTER_LINEAR, borderValue=0)
        mapped.append(glyph_box(ink) or box)  # None only if the ink left the image
    return out, tuple(mapped)
