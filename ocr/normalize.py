"""Glyph box on an ink mask → the network's input: 28×28 (MNIST style) or 8×8 (sklearn digits style).

Training and reading both go through these functions, so the network sees at reading time
exactly what it was trained on. Both keep the glyph's aspect ratio: a "1" stays thin.

- 28×28: the longest side scaled to 20 px, pasted so that the centre of mass is at (14, 14),
  values in [0, 1] — how MNIST was made (LeCun et al., "Gradient-based learning applied to
  document recognition", 1998).
- 8×8: the glyph fit into 32×32 (full height, centred), binarised, and 4×4 blocks counted,
  values 0..16 — how the UCI optdigits set behind ``sklearn.datasets.load_digits`` was made.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.segment import Box

__all__ = ["to_28x28", "to_8x8", "glyph_batch"]


def _fit(crop: np.ndarray, side: int) -> np.ndarray:
    """Resize a uint8 (h, w) crop so its longest side is `side` px, keeping the aspect ratio."""
    h, w = crop.shape
    scale = side / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(crop, (new_w, new_h), interpolation=interpolation)


def to_28x28(ink: np.ndarray, box: Box) -> np.ndarray:
    """Crop `box` from a uint8 (H, W) ink mask; return float32 (28, 28) in [0, 1], MNIST style.

    The longest side becomes 20 px; the glyph is shifted by whole pixels so that its centre
    of mass falls on (14, 14), but never so far that part of it would leave the frame.

    Args:
        ink: uint8 (H, W), ink = 255 on 0.
        box: `(x, y, w, h)` with w, h ≥ 1 inside the image.

    Returns:
        float32 (28, 28), 0 = background, 1 = full ink.

    >>> ink = np.zeros((30, 20), np.uint8); ink[5:25, 8:12] = 255
    >>> to_28x28(ink, (8, 5, 4, 20)).shape
    (28, 28)
    """
    return np.multiply(_batch_28x28(ink, [box])[0], _SCALE, dtype=np.float32)


_SCALE = np.float32(1.0 / 255.0)  # uint8 ink → [0, 1]


# Each staged pixel's weights for the moments: 1 (mass), its column x, its row y.
_MOMENT_WEIGHTS = np.stack([np.ones(400), np.tile(np.arange(20), 20), np.repeat(np.arange(20), 20)],
                           axis=1).astype(np.float32)  # (400, 3)


def _batch_28x28(ink: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """uint8 (n, 28, 28), 0..255: each box fit into 20×20 and shifted by whole pixels so that
    its centre of mass falls on (14, 14), without leaving the frame (see ``to_28x28``).

    The fitted glyphs are staged in the corners of an (n, 20, 20) array so that the mass and
    first moments of every glyph come from one matrix product instead of one
    ``cv2.moments`` call per glyph. They are exact in float32: every product and partial
    sum is a whole number below 400 × 255 × 19 < 2**24.
    """
    n = len(boxes)
    staged = np.zeros((n, 20, 20), dtype=np.uint8)
    shapes = []
    for i, (x, y, w, h) in enumerate(boxes):
        glyph = _fit(ink[y : y + h, x : x + w], 20)
        gh, gw = glyph.shape
        staged[i, :gh, :gw] = glyph
        shapes.append((gh, gw))
    moments = (staged.reshape(n, 400).astype(np.float32) @ _MOMENT_WEIGHTS).tolist()  # (n, 3): Σ, Σx, Σy
    out = np.zeros((n, 28, 28), dtype=np.uint8)
    for i, ((gh, gw), (mass, mx, my)) in enumerate(zip(shapes, moments)):
        if mass > 0:
            cx, cy = mx / mass, my / mass
        else:
            cx, cy = (gw - 1) / 2.0, (gh - 1) / 2.0
        left = min(max(round(14.0 - cx), 0), 28 - gw)
        top = min(max(round(14.0 - cy), 0), 28 - gh)
        out[i, top : top + gh, left : left + gw] = staged[i, :gh, :gw]
    return out


def to_8x8(ink: np.ndarray, box: Box) -> np.ndarray:
    """Crop `box` from a uint8 (H, W) ink mask; return float32 (8, 8) counts 0..16, optdigits style.

    The glyph is fit into 32×32 keeping its aspect ratio (a digit fills the full height and
    sits in the middle horizontally), binarised at half intensity, and each 4×4 block's
    ink pixels are counted.

    Args:
        ink: uint8 (H, W), ink = 255 on 0.
        box: `(x, y, w, h)` with w, h ≥ 1 inside the image.

    Returns:
        float32 (8, 8) holding whole numbers 0..16.

    >>> ink = np.zeros((30, 20), np.uint8); ink[5:25, 4:16] = 255
    >>> int(to_8x8(ink, (4, 5, 12, 20)).max())
    16
    """
    x, y, w, h = box
    glyph = _fit(ink[y : y + h, x : x + w], 32)  # (gh, gw), longest side 32
    gh, gw = glyph.shape
    top, left = (32 - gh) // 2, (32 - gw) // 2
    bitmap = np.zeros((32, 32), dtype=np.uint8)
    bitmap[top : top + gh, left : left + gw] = glyph >= 128
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3), dtype=np.int32)  # (8, 8) in 0..16
    return counts.astype(np.float32)


_NORMALIZERS = {28: to_28x28, 8: to_8x8}


def glyph_batch(ink: np.ndarray, boxes: list[Box], *, size: int) -> np.ndarray:
    """Normalise every box of an ink mask into one row of the network's input.

    Args:
        ink: uint8 (H, W), ink = 255 on 0.
        boxes: glyph boxes `(x, y, w, h)`, usually from `segment.glyph_boxes`.
        size: 28 (rows in [0, 1], MNIST style) or 8 (rows in 0..16, sklearn digits style).

    Returns:
        float32 (n_boxes, size * size); (0, size * size) when there are no boxes.

    Raises:
        ValueError: `size` is neither 8 nor 28.
    """
    normalizer = _NORMALIZERS.get(size)
    if normalizer is None:
        raise ValueError(f"size must be 8 or 28, got {size!r}")
    if size == 28:  # the reading path: every glyph's centre of mass at once, one scaling
        return np.multiply(_batch_28x28(ink, boxes).reshape(len(boxes), 784), _SCALE, dtype=np.float32)
    batch = np.empty((len(boxes), size * size), dtype=np.float32)
    for i, box in enumerate(boxes):
        batch[i] = normalizer(ink, box).ravel()
    return batch
