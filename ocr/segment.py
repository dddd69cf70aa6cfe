"""uint8 (H, W) ink mask → glyph boxes `(x, y, w, h)`, left to right.

Connected components (8-connectivity) are the first guess; then rules and frames are
dropped (an underline or a plate border is no digit), fragments of a broken stroke that
overlap in x are merged, and specks and dots far shorter than the typical glyph are dropped.
``find_glyphs`` adds the repairs hard strips need: lines drawn across the glyphs removed,
italics sheared upright, overlapping boxes joined. Touching digits stay one wide box here;
cutting them is the decoder's job, at the columns ``cut_points`` proposes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import cv2
import numpy as np

from ocr import binarize

__all__ = [
    "Box", "Segmentation", "find_glyphs", "glyph_boxes", "remove_lines", "estimate_slant", "shear",
    "shear_box", "unshear_box", "pad_box", "cut_candidates", "cut_points", "sub_box", "CUTTABLE",
]

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
    speck_area: float = 0.04,
) -> list[Box]:
    """Find the glyphs of an ink mask, left to right.

    Args:
        ink: uint8 (H, W) mask, ink = 255 (any non-zero), background = 0.
        line_aspect: a component at least this many times wider than high is a rule
            (underline, strike-through, noise line) and dropped, unless glyphs hang on it
            (see ``_is_rule``); digits are never wider than about 1.2× their height.
        frame_span: a component spanning at least this share of the image's width and
            height …
        frame_fill: … whose ink covers less than this share of its box and lies along its
            edges, or that wholly encloses another component, is a frame (plate border,
            form field) and dropped. So is a box of any width (a field's box beside its
            caption), at least as wide as high, that surrounds a component 0.4 as high as
            itself: a glyph in it. Sparse ink across the middle is glyphs joined by a
            captcha's curve, which is kept.
        merge_overlap: two components are one glyph (a broken stroke) when at least this
            share of the narrower one's x-extent lies inside the other's …
        merge_height: … and their union is at most this many typical glyph heights high.
        min_height: components shorter than this share of the typical glyph height
            (noise dots, dashes, specks) are dropped.
        min_area: components with fewer ink pixels than this share of the typical glyph's
            are dropped (thin scratches). A thin "1" is about 0.3.
        speck_area: components with fewer ink pixels than this share of the typical glyph's
            are dropped before merging (noise dots that would join a glyph).

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
    # Rows (x, y, w, h, area) as Python ints: a strip has a handful of components, and
    # plain tuples are several times faster than NumPy calls on arrays that small.
    cropped, rows, (x0, y0) = binarize.component_stats(ink)
    labels = cropped
    if x0 or y0 or cropped.shape != ink.shape:
        # The rule and frame tests look at labels in the image's coordinates; few strips
        # need them (a long or tall component), so the full label image is made only then.
        if any(w >= line_aspect * h or h >= frame_span * height for _, _, w, h, _ in rows):
            labels = np.zeros(ink.shape, np.int32)
            labels[y0 : y0 + cropped.shape[0], x0 : x0 + cropped.shape[1]] = cropped
    components = [
        (x, y, w, h, area)
        for k, (x, y, w, h, area) in enumerate(rows, start=1)
        if not (w >= line_aspect * h and _is_rule(labels, k, (x, y, w, h), height))
        and not (h >= frame_span * height and _is_frame(labels, k, (x, y, w, h, area), rows,
                                                         wide=w >= frame_span * width, fill=frame_fill))
    ]
    if not components:
        return []
    typical_h, typical_area = _typical(components)
    # Specks far smaller than any fragment of a stroke are dropped before merging, so that a
    # noise dot above a "1" does not join it and make an "i".
    components = [c for c in components if c[4] >= speck_area * typical_area]
    merged = _merge_overlapping(components, merge_overlap=merge_overlap, max_height=merge_height * typical_h)
    return [
        (x, y, w, h)
        for x, y, w, h, area in merged
        if h >= min_height * typical_h and area >= min_area * typical_area
    ]


# A wide component is a rule when it is at most this share of the image's height thick, or
# when fewer than RULE_TALL of its columns hold ink over RULE_STROKE of its height (but not
# all of it: that is a straight upright rule, a table cell's side): a line (straight,
# slanted or curved) crossing digits joins them into one wide component, but the digits'
# strokes still stand in it.
RULE_THICK, RULE_TALL, RULE_STROKE = 0.15, 0.05, 0.25


def _is_rule(labels: np.ndarray, k: int, box: tuple[int, int, int, int], image_height: int) -> bool:
    """True when wide component ``k`` of ``labels`` is a bare line, False when glyphs hang on it."""
    x, y, w, h = box
    if h <= max(4, RULE_THICK * image_height):
        return True
    counts = (labels[y : y + h, x : x + w] == k).sum(axis=0)  # (w,) ink per column
    strokes = (counts >= RULE_STROKE * h) & (counts < 0.9 * h)
    return float(strokes.mean()) < RULE_TALL


@dataclass(frozen=True)
class Segmentation:
    """The glyphs of one strip and the ink they were found in.

    Attributes:
        ink: uint8 (H', W') mask the boxes refer to: the binarized strip, with crossing
            lines removed, and sheared upright when ``slant`` is not 0.
        boxes: glyph boxes in ``ink``'s pixels, left to right.
        slant: the shear that made italic glyphs upright (see ``shear``); 0 when none.
        height: the height of the original image (to map boxes back with ``unshear_box``).
    """

    ink: np.ndarray
    boxes: list[Box]
    slant: float = 0.0
    height: int = 0


def find_glyphs(ink: np.ndarray) -> Segmentation:
    """The glyph boxes of an ink mask, after removing crossing lines and straightening italics.

    Two repairs run only when the first look at the components calls for them, so a clean
    strip costs one labelling:

    - one component long and wide with glyphs hanging on it (a captcha's line or curve
      through the digits): the line's thin tracks are removed (``remove_lines``), and what
      is left shorter than ``DEBRIS_HEIGHT`` typical glyph heights is dropped with it;
    - neighbouring boxes overlapping in x, or a segment wide enough to hold touching
      digits: the strip is sheared by its slant (``estimate_slant``), when it has one, so
      that italic digits stand upright, their boxes stop overlapping and vertical cuts
      fall between them — unless the shear leaves fewer segments than before (it joined
      what was apart). Boxes that still overlap are joined, for the decoder to cut.

    Args:
        ink: uint8 (H, W) mask, ink = 255.
    """
    height = ink.shape[0]
    boxes = glyph_boxes(ink)
    min_height = 0.35
    crossed = [b for b in boxes if b[2] >= CROSSED_ASPECT * b[3]]
    if crossed:
        ink = remove_lines(ink, glyph_height=max(b[3] for b in crossed))
        # What a removed line leaves behind (the ticks of a comb field, stubs between
        # digits) is shorter than the glyphs: a stricter height floor than a clean strip needs.
        min_height = DEBRIS_HEIGHT
        boxes = glyph_boxes(ink, min_height=min_height)
    slant = 0.0
    segments = _join_overlapping(boxes)
    if _overlapping(boxes) or any(b[2] >= SLANT_WIDE * b[3] for b in boxes):
        slant = estimate_slant(ink)
        if slant:
            sheared = shear(ink, slant)
            upright = _join_overlapping(glyph_boxes(sheared, min_height=min_height))
            # Sheared, italic glyphs separate or stay as they were; fewer segments (boxes
            # overlapping in x joined) means the shear joined what was apart (a comb's
            # ticks, slanted in perspective, stood up into the digits): not italic print.
            if len(upright) >= len(segments):
                ink, segments = sheared, upright
            else:
                slant = 0.0
    return Segmentation(ink, segments, slant, height)


def _overlapping(boxes: list[Box]) -> bool:
    return any(a[0] + a[2] > b[0] + OVERLAP for a, b in zip(boxes, boxes[1:]))


def _join_overlapping(boxes: list[Box]) -> list[Box]:
    """Join neighbours whose boxes overlap in x by more than ``OVERLAP`` pixels.

    Glyphs that overlap without touching (a "7" whose bar hangs over the next digit) would
    each be cropped with a piece of the other; joined, they are one wide segment that the
    decoder cuts where the network reads both pieces best.
    """
    if not _overlapping(boxes):
        return boxes
    out = [boxes[0]]
    for box in boxes[1:]:
        x, y, w, h = out[-1]
        if x + w > box[0] + OVERLAP:
            left, top = min(x, box[0]), min(y, box[1])
            right, bottom = max(x + w, box[0] + box[2]), max(y + h, box[1] + box[3])
            out[-1] = (left, top, right - left, bottom - top)
        else:
            out.append(box)
    return out


# Boxes overlapping in x by more than this many pixels are one segment for the decoder.
OVERLAP = 2


# Slant correction is tried when a segment is at least SLANT_WIDE times as wide as high;
# shears are searched over SLANTS (horizontal pixels per pixel of height).
SLANT_WIDE = 0.8
SLANTS = (-0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4)


def estimate_slant(ink: np.ndarray) -> float:
    """The shear that stands a strip's strokes most upright, from ``SLANTS``.

    Sheared upright, a glyph's strokes pile into few columns: the column ink projection is
    sharpest, so the sum of its squares is largest. Upright (0) wins ties and anything
    within 2% of its score, so print that is already upright is left alone.

    Args:
        ink: uint8 (H, W) mask, ink = 255.

    Returns:
        A value of ``SLANTS``; positive for glyphs leaning right.
    """
    ones = (ink > 0).view(np.uint8)  # 0/1: a column's sum is its count of ink pixels
    scores = {}
    for slant in SLANTS:
        profile = cv2.reduce(shear(ones, slant), 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).astype(np.float64)  # (1, W')
        scores[slant] = float(np.vdot(profile, profile))
    best = max(SLANTS, key=lambda s: (scores[s], -abs(s)))
    return best if scores[best] > 1.02 * scores[0.0] else 0.0


def _shear_pad(slant: float, height: int) -> int:
    return int(np.ceil(abs(slant) * height / 2))


def shear(image: np.ndarray, slant: float) -> np.ndarray:
    """Shear ``image`` horizontally: the pixel at (x, y) moves to x - slant·(y - H/2) + pad.

    The canvas is widened by ``pad`` = ⌈|slant|·H/2⌉ on each side so nothing is lost; new
    pixels are 0. Nearest-neighbour, so a mask stays a mask.
    """
    height, width = image.shape[:2]
    pad = _shear_pad(slant, height)
    matrix = np.float32([[1, -slant, slant * height / 2 + pad], [0, 1, 0]])
    return cv2.warpAffine(image, matrix, (width + 2 * pad, height), flags=cv2.INTER_NEAREST, borderValue=0)


def shear_box(box: Box, slant: float, height: int) -> Box:
    """Where an upright-boxed slanted glyph lands after ``shear``: centre moved, width narrowed.

    A glyph leaning by ``slant`` fills its upright box's width plus about |slant|·h of lean;
    sheared upright, it keeps its centre line's position and loses the lean.
    """
    x, y, w, h = box
    pad = _shear_pad(slant, height)
    centre = x + w / 2 - slant * (y + h / 2 - height / 2) + pad
    narrow = max(w - abs(slant) * h, 0.5 * w)
    return (int(round(centre - narrow / 2)), y, int(round(narrow)), h)


def unshear_box(box: Box, slant: float, height: int) -> Box:
    """The box, in the original image's pixels, around a box found in the sheared ink."""
    x, y, w, h = box
    if not slant:
        return box
    pad = _shear_pad(slant, height)
    xs = [x + dx + slant * (yy - height / 2) - pad for dx in (0, w) for yy in (y, y + h)]
    left = int(np.floor(min(xs)))
    return (max(0, left), y, int(np.ceil(max(xs))) - max(0, left), h)


# A component this many times wider than high, that glyphs hang on, is a line through glyphs.
CROSSED_ASPECT = 2.5
DEBRIS_HEIGHT = 0.6


def remove_lines(ink: np.ndarray, *, glyph_height: int) -> np.ndarray:
    """Remove thin lines and curves that run across glyphs, keeping the glyphs' strokes.

    A pixel is thin when its vertical run of ink is short (a horizontal-ish line is a few
    pixels thick; where it crosses a digit's upright stroke the run is long, and stays).
    Thin pixels are joined along the row across the gaps that strokes leave; a joined track
    longer than 1.5 glyph heights is a line. Its centre row is followed from column to
    column (``_follow``: across a stroke it keeps its heading), and the thin pixels within
    the line's own thickness of it are removed: a digit's bar that touches the line keeps
    the rest of its pixels. Before that, straight lines of any thickness are removed whole
    (``_remove_straight_lines``).

    Args:
        ink: uint8 (H, W) mask, ink = 255.
        glyph_height: about the height of the glyphs, in pixels.

    Returns:
        uint8 (H, W) mask without the lines.
    """
    ink = _remove_straight_lines(ink, length=int(max(1.5 * glyph_height, STRAIGHT_SPAN * ink.shape[1])) | 1)
    thick = max(2, round(LINE_THICK * glyph_height))
    upright = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((thick + 1, 1), np.uint8))
    thin = cv2.subtract(ink, upright)  # ink in vertical runs of at most `thick` pixels
    bridge = max(3, round(LINE_BRIDGE * glyph_height))
    track = cv2.morphologyEx(thin, cv2.MORPH_CLOSE, np.ones((1, bridge), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(track, connectivity=8)
    long = np.flatnonzero(stats[:, cv2.CC_STAT_WIDTH] >= 1.5 * glyph_height)
    long = long[long > 0]  # label 0 is the background
    if not len(long):
        return ink
    cleaned = ink.copy()
    rows = np.arange(ink.shape[0])[:, None]  # (H, 1)
    for k in long:
        x, _, w, _, _ = stats[k]
        mine = (labels[:, x : x + w] == k) & (thin[:, x : x + w] > 0)  # (H, w) the line's thin ink
        centre, half = _follow(mine, reach=thick)
        if centre is None:
            continue
        band = np.abs(rows - centre[None, :]) <= half  # (H, w) the line itself
        cleaned[:, x : x + w][band & (thin[:, x : x + w] > 0)] = 0
    return cleaned


# Straight lines are looked for at these angles (degrees from horizontal), and must span
# STRAIGHT_SPAN of the image's width (as a captcha's line does; a row of touching digits,
# whose feet may line up, does not).
LINE_ANGLES = (-16.0, -8.0, 0.0, 8.0, 16.0)
STRAIGHT_SPAN = 0.6


def _remove_straight_lines(ink: np.ndarray, *, length: int) -> np.ndarray:
    """Remove straight lines at least ``length`` pixels long, at angles of ``LINE_ANGLES``.

    A morphological opening with a one-pixel-wide segment as the structuring element keeps
    exactly the ink that such a segment fits into: a line as long, whatever its
    thickness. No stroke of a digit is that long, so the glyphs lose only where the line
    crosses them.
    """
    found = np.zeros_like(ink)
    for angle in LINE_ANGLES:
        t = np.radians(angle)
        dx, dy = np.cos(t) * (length - 1) / 2, np.sin(t) * (length - 1) / 2
        side_x, side_y = int(np.ceil(abs(dx))), int(np.ceil(abs(dy)))
        kernel = np.zeros((2 * side_y + 1, 2 * side_x + 1), np.uint8)
        cv2.line(kernel, (int(round(side_x - dx)), int(round(side_y - dy))),
                 (int(round(side_x + dx)), int(round(side_y + dy))), 1, 1)
        found |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    return cv2.subtract(ink, found) if found.any() else ink


def _follow(mine: np.ndarray, *, reach: int) -> tuple[np.ndarray | None, float]:
    """Follow a line through a mask of its thin ink, column by column.

    In each column the run of ink nearest to where the line is heading is taken; a column
    with no run within ``reach`` of it (a glyph's stroke, which is not thin, or a gap) keeps
    the heading. Bars of glyphs that touch the line are other runs, and are not followed.

    Args:
        mine: bool (H, w), the thin ink of one line's track.
        reach: how far in rows the line may move from one column to the next.

    Returns:
        (float (w,) the line's centre row per column, half its thickness in rows); (None, 0)
        when the mask holds too little to follow.
    """
    w = mine.shape[1]
    inked = np.flatnonzero(mine.any(axis=0))  # columns holding some of the line
    if len(inked) < 2:
        return None, 0.0
    start = int(inked[0])
    ys = np.flatnonzero(mine[:, start])
    centre = np.empty(w)
    heading, slope = float(ys.mean()), 0.0
    widths = []
    for x in range(start, w):
        ys = np.flatnonzero(mine[:, x])
        best = None
        if len(ys):
            breaks = np.flatnonzero(np.diff(ys) > 1) + 1
            runs = np.split(ys, breaks)
            run = min(runs, key=lambda r: abs(r.mean() - heading - slope))
            if abs(run.mean() - heading - slope) <= reach:
                best = run
        if best is not None:
            new = float(best.mean())
            slope = 0.7 * slope + 0.3 * (new - heading)
            heading = new
            widths.append(len(best))
        else:
            heading += slope
        centre[x] = heading
    centre[:start] = centre[start]
    return centre, float(np.median(widths)) / 2 + 1 if widths else 0.0


# Line removal: a line is at most LINE_THICK glyph heights thick; the gaps that upright
# strokes leave in its track are bridged over LINE_BRIDGE glyph heights.
LINE_THICK, LINE_BRIDGE = 0.1, 0.3


def _is_frame(labels: np.ndarray, k: int, component: tuple[int, int, int, int, int], rows: list[list[int]],
              *, wide: bool, fill: float) -> bool:
    """Whether tall component ``k`` is a border: see ``glyph_boxes``'s ``frame_span``."""
    x, y, w, h, area = component
    if wide:
        return ((area < fill * w * h and _hugs_border(labels, k, (x, y, w, h)))
                or _encloses(labels, k, (x, y, w, h), rows))
    return w >= h and _encloses(labels, k, (x, y, w, h), rows, tall=0.4)


def _hugs_border(labels: np.ndarray, k: int, box: tuple[int, int, int, int]) -> bool:
    """True when most of component ``k``'s ink lies near its box's edges, as a frame's does."""
    x, y, w, h = box
    mine = labels[y : y + h, x : x + w] == k
    band = max(1, int(0.2 * min(w, h)))
    inner = mine[band : h - band, band : w - band]
    return inner.sum() <= 0.2 * mine.sum()


def _encloses(labels: np.ndarray, k: int, box: tuple[int, int, int, int], rows: list[list[int]],
              tall: float = 0.2) -> bool:
    """True when component ``k`` surrounds another one: a border around the glyphs.

    A digit's own loops never hold a separate component, so a large component that does is
    a plate border or a field's box, however thick its lines are. Surrounds: the other
    component (at least ``tall`` as high) has ``k``'s ink to its left, right, top and bottom
    along its middle row and column. A curve that joins captcha digits runs past the others
    on one side only.
    """
    x, y, w, h = box
    for cx, cy, cw, ch, _ in rows:
        if not (x < cx and y < cy and cx + cw < x + w and cy + ch < y + h and ch >= tall * h):
            continue
        row, col = labels[cy + ch // 2], labels[:, cx + cw // 2]
        if ((row[x:cx] == k).any() and (row[cx + cw : x + w] == k).any()
                and (col[y:cy] == k).any() and (col[cy + ch : y + h] == k).any()):
            return True
    return False


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


def cut_candidates(ink: np.ndarray, box: Box, *, max_cuts: int | None = None, margin: float = 0.2) -> list[int]:
    """Columns where a wide segment (touching glyphs) could be cut, best first by ink count.

    The candidates are the local minima of the column ink projection inside ``box``, away
    from its edges by ``margin`` × its height; the decoder tries them and lets the network
    judge each piece (recognition-driven segmentation). Over-segmenting is on purpose.

    Args:
        ink: uint8 (H, W) mask, ink 255.
        box: the wide segment.
        max_cuts: keep at most this many candidates, those with the least ink; default
            eight, or three per box height of width in a long segment (a line crossing a
            whole captcha joins all its digits).
        margin: no cut closer than ``margin * h`` to the box's left or right edge.

    Returns:
        Absolute x columns, sorted left to right.

    >>> ink = np.zeros((10, 20), np.uint8); ink[:, 2:9] = 255; ink[:, 11:18] = 255
    >>> ink[5, 9:11] = 255  # a bridge joining the two blobs
    >>> cut_candidates(ink, (2, 0, 16, 10))
    [9, 10]
    """
    x, y, w, h = box
    if max_cuts is None:
        max_cuts = max(8, int(3 * w / max(h, 1)))
    profile = (ink[y : y + h, x : x + w] > 0).sum(axis=0).astype(np.float32)  # (w,)
    lo, hi = max(1, int(margin * h)), w - max(1, int(margin * h))
    if hi <= lo:
        return []
    inner = profile[lo:hi]
    left, right = profile[lo - 1 : hi - 1], profile[lo + 1 : hi + 1]  # neighbours of `inner`
    minima = np.flatnonzero((inner <= left) & (inner <= right) & ((inner < left) | (inner < right)))
    best = minima[np.argsort(inner[minima], kind="stable")[:max_cuts]]
    return sorted(int(x + lo + c) for c in best)


# Segments at least CUTTABLE times as wide as high may hold two or more touching digits:
# the decoder tries cutting them. Besides the projection minima, cuts are tried every GRID
# box heights.
CUTTABLE = 0.45
GRID = 0.08


def cut_points(ink: np.ndarray, box: Box) -> list[int]:
    """Every column where the decoder tries to cut a wide segment, left to right.

    The projection minima (``cut_candidates``) and a grid every ``GRID`` box heights: bold
    digits that overlap leave no minimum where they join, and the network judges every
    piece either way.

    >>> cut_points(np.zeros((25, 20), np.uint8), (0, 0, 20, 25))
    [2, 4, 6, 8, 10, 12, 14, 16, 18]
    """
    x, _, w, h = box
    step = max(2, round(GRID * h))
    return sorted({*cut_candidates(ink, box), *range(x + step, x + w - step // 2, step)})


def sub_box(ink: np.ndarray, box: Box, x0: int, x1: int) -> Box | None:
    """The tight box of the ink of ``box`` between columns ``x0`` and ``x1`` (exclusive)."""
    _, y, _, h = box
    rows = np.flatnonzero((ink[y : y + h, x0:x1] > 0).any(axis=1))
    if len(rows) == 0:
        return None
    return (x0, y + int(rows[0]), x1 - x0, int(rows[-1] - rows[0] + 1))
