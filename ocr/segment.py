"""uint8 (H, W) ink mask → glyph boxes `(x, y, w, h)`, left to right.

Connected components (8-connectivity) are the first guess; then rules and frames are
dropped (an underline or a plate border is no digit), fragments of a broken stroke that
overlap in x are merged, and specks and dots far shorter than the typical glyph are dropped.
Touching digits stay one wide box here; cutting them is the decoder's job.
"""

from __future__ import annotations

import statistics

import cv2
import numpy as np

__all__ = ["Box", "glyph_boxes", "pad_box", "cut_candidates", "sub_box"]

Box = tuple[int, int, int, int]
"""A glyph's box `(x, y, w, h)` in the image's pixels: left, top, width, height."""

MIN_HEIGHT, MIN_WIDTH = 6, 2  # an image smaller than this holds no readable digit


def glyph_boxes(
    ink: np.ndarray,
    *,
    line_aspect: float = 6.0,
    frame_span: float = 0.6,
    frame_fill: float = 0.2,
    merge_overlap: float = 0.6,
    merge_height: float = 1.3,
    min_height: float = 0.35,
    min_area: float = 0.08,
) -> list[Box]:
    """Find the glyphs of an ink mask, left to right.

    Args:
        ink: uint8 (H, W) mask, ink = 255 (any non-zero), background = 0.
        line_aspect: a component at least this many times wider than high is a rule
            (underline, strike-through, noise line) and dropped; digits are never wider
            than about 1.2× their height.
        frame_span: a component spanning at least this share of the image's width and
            height …
        frame_fill: … whose ink covers less than this share of its box, or that wholly
            encloses another component, is a frame (plate border, form field) and dropped.
        merge_overlap: two components are one glyph (a broken stroke) when at least this
            share of the narrower one's x-extent lies inside the other's …
        merge_height: … and their union is at most this many typical glyph heights high.
        min_height: components shorter than this share of the typical glyph height
            (noise dots, dashes, specks) are dropped.
        min_area: components with fewer ink pixels than this share of the typical glyph's
            are dropped (thin scratches). A thin "1" is about 0.3.

    Returns:
        Boxes `(x, y, w, h)` sorted by x; empty when there is no ink. The typical glyph is
        the median of the components at least 0.6× as high as the highest, so when only
        small components are there, they survive the size filters.

    >>> ink = np.zeros((20, 30), np.uint8); ink[3:17, 4:10] = 255; ink[3:17, 15:18] = 255
    >>> glyph_boxes(ink)
    [(4, 3, 6, 14), (15, 3, 3, 14)]
    """
    height, width = ink.shape
    if height < MIN_HEIGHT or width < MIN_WIDTH:
        return []  # too small to hold a readable digit (a 1-pixel slice is not a "1")
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    # Rows (x, y, w, h, area) as Python ints: a strip has a handful of components, and
    # plain tuples are several times faster than NumPy calls on arrays that small.
    rows = stats[1:].tolist()  # label 0 is the background
    components = [
        (x, y, w, h, area)
        for x, y, w, h, area in rows
        if w < line_aspect * h
        and not (w >= frame_span * width and h >= frame_span * height
                 and (area < frame_fill * w * h or _encloses((x, y, w, h), rows)))
    ]
    if not components:
        return []
    typical_h, typical_area = _typical(components)
    merged = _merge_overlapping(components, merge_overlap=merge_overlap, max_height=merge_height * typical_h)
    return [
        (x, y, w, h)
        for x, y, w, h, area in merged
        if h >= min_height * typical_h and area >= min_area * typical_area
    ]


def _encloses(box: tuple[int, int, int, int], rows: list[list[int]]) -> bool:
    """True when another component lies wholly inside ``box``: a border around the glyphs.

    A digit's own loops never hold a separate component, so a large component that does is
    a plate border or a field's box, however thick its lines are.
    """
    x, y, w, h = box
    return any(
        x < cx and y < cy and cx + cw < x + w and cy + ch < y + h and ch >= 0.2 * h
        for cx, cy, cw, ch, _ in rows
    )


def _typical(components: list[tuple[int, int, int, int, int]]) -> tuple[float, float]:
    """Median height and ink area of the components at least 0.6× as high as the highest.

    0.6 leaves out the halves of a glyph broken across the middle, which would otherwise
    pull the typical height down.
    """
    max_h = max(c[3] for c in components)
    tall = [c for c in components if c[3] >= 0.6 * max_h]
    return statistics.median(c[3] for c in tall), statistics.median(c[4] for c in tall)


def _merge_overlapping(
    components: list[tuple[int, int, int, int, int]], *, merge_overlap: float, max_height: float
) -> list[tuple[int, int, int, int, int]]:
    """Union components that overlap strongly in x, until no pair does.

    Args:
        components: rows `(x, y, w, h, area)`.

    Returns:
        Rows `(x, y, w, h, area)` after merging, sorted by x.
    """
    boxes = sorted(components)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes) - 1):
            xi, yi, wi, hi, ai = boxes[i]
            for j in range(i + 1, len(boxes)):
                xj, yj, wj, hj, aj = boxes[j]
                if xj >= xi + wi:
                    break  # sorted by x: nothing further right overlaps box i
                overlap = min(xi + wi, xj + wj) - xj
                top, bottom = min(yi, yj), max(yi + hi, yj + hj)
                if overlap >= merge_overlap * min(wi, wj) and bottom - top <= max_height:
                    left, right = min(xi, xj), max(xi + wi, xj + wj)
                    boxes[i] = (left, top, right - left, bottom - top, ai + aj)
                    del boxes[j]
                    boxes.sort()
                    merged = True
                    break
            if merged:
                break
    return boxes


def pad_box(box: Box, pad: int, shape: tuple[int, ...]) -> Box:
    """Grow a box by `pad` pixels on every side, clipped to an image of `shape` (H, W, ...).

    >>> pad_box((0, 5, 4, 4), 2, (10, 10))
    (0, 3, 6, 7)
    """
    x, y, w, h = box
    height, width = shape[0], shape[1]
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(width, x + w + pad), min(height, y + h + pad)
    return (left, top, right - left, bottom - top)


def cut_candidates(ink: np.ndarray, box: Box, *, max_cuts: int = 8, margin: float = 0.2) -> list[int]:
    """Columns where a wide segment (touching glyphs) could be cut, best first by ink count.

    The candidates are the local minima of the column ink projection inside ``box``, away
    from its edges by ``margin`` × its height; the decoder tries them and lets the network
    judge each piece (recognition-driven segmentation). Over-segmenting is on purpose.

    Args:
        ink: uint8 (H, W) mask, ink 255.
        box: the wide segment.
        max_cuts: keep at most this many candidates, those with the least ink.
        margin: no cut closer than ``margin * h`` to the box's left or right edge.

    Returns:
        Absolute x columns, sorted left to right.

    >>> ink = np.zeros((10, 20), np.uint8); ink[:, 2:9] = 255; ink[:, 11:18] = 255
    >>> ink[5, 9:11] = 255  # a bridge joining the two blobs
    >>> cut_candidates(ink, (2, 0, 16, 10))
    [9, 10]
    """
    x, y, w, h = box
    profile = (ink[y : y + h, x : x + w] > 0).sum(axis=0).astype(np.float32)  # (w,)
    lo, hi = max(1, int(margin * h)), w - max(1, int(margin * h))
    if hi <= lo:
        return []
    inner = profile[lo:hi]
    left, right = profile[lo - 1 : hi - 1], profile[lo + 1 : hi + 1]  # neighbours of `inner`
    minima = np.flatnonzero((inner <= left) & (inner <= right) & ((inner < left) | (inner < right)))
    best = minima[np.argsort(inner[minima], kind="stable")[:max_cuts]]
    return sorted(int(x + lo + c) for c in best)


def sub_box(ink: np.ndarray, box: Box, x0: int, x1: int) -> Box | None:
    """The tight box of the ink of ``box`` between columns ``x0`` and ``x1`` (exclusive)."""
    _, y, _, h = box
    rows = np.flatnonzero((ink[y : y + h, x0:x1] > 0).any(axis=1))
    if len(rows) == 0:
        return None
    return (x0, y + int(rows[0]), x1 - x0, int(rows[-1] - rows[0] + 1))
