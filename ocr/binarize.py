"""uint8 (H, W) gray → uint8 (H, W) ink mask: ink = 255 on 0, whatever the input polarity.

Polarity is decided once (the ink is the class of thin strokes), flat images give an
empty mask instead of thresholded noise, and noisy images (sensor noise, JPEG artefacts,
captcha speckle) get a light 3×3 blur before the threshold. The default is Otsu's global
threshold after flat-field correction: the image is divided by an estimate of its paper
brightness, so shading and gradients do not turn a dark corner into one ink blob. A local
Gaussian-weighted threshold is the alternative.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["is_dark_on_light", "paper_level", "otsu", "adaptive", "ink_mask", "noise_level", "border_share",
           "component_stats", "mask_contrast"]

# Below this spread between the 1st and 99th percentile the image is taken as blank.
MIN_CONTRAST = 24
# The image is also blank when Otsu's two classes lie closer than this many noise σ:
# splitting pure Gaussian noise gives class means about 1.6 σ apart.
MIN_SEPARATION = 3.0
# Above this estimated noise σ (gray levels) a 3×3 Gaussian blur precedes the threshold.
# Measured on rendered 6-digit strips (9-24 pt): clean ones estimate 3-6; Otsu alone keeps
# every glyph intact up to true σ ≈ 20 (estimate ≈ 14), specks appear from σ ≈ 30. A 3×3
# median filter split small glyphs (12 pt) even when clean, a 3×3 Gaussian never did.
NOISE_SIGMA = 12.0

# Immerkær's noise-estimation kernel: the difference of two Laplacians, blind to edges of
# first order, so what remains in flat regions is mostly noise.
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def noise_level(gray: np.ndarray) -> float:
    """Estimate the standard deviation of additive noise in gray levels (Immerkær 1996).

    The image is convolved with the difference of two Laplacians, which cancels flat areas
    and straight edges, and σ = √(π/2) · mean|response| / 6. Glyph edges still add a little:
    clean rendered strips measure about 3-6.

    Args:
        gray: uint8 (H, W).

    Returns:
        σ ≥ 0 in gray levels; 0 for images smaller than 3×3.

    >>> noise_level(np.full((16, 16), 128, np.uint8))
    0.0
    """
    h, w = gray.shape
    if h < 3 or w < 3:
        return 0.0
    response = cv2.filter2D(gray, cv2.CV_16S, _IMMERKAER)[1:-1, 1:-1]  # (H-2, W-2) int16
    return float(np.sqrt(np.pi / 2.0) * cv2.norm(response, cv2.NORM_L1) / (6.0 * response.size))


def border_share(mask: np.ndarray) -> float:
    """Share of non-zero pixels on the outermost rows and columns of a uint8 mask (each once)."""
    border = np.concatenate((mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]))
    return cv2.countNonZero(border) / border.size


def mask_contrast(gray: np.ndarray, mask: np.ndarray) -> float:
    """How far apart in gray a mask puts its ink and its paper, as a share of the image's spread.

    The difference between the median gray of the mask's ink and that of the rest, over the
    1st-99th percentile spread of `gray`: about 1 for a mask of print, about 0 for one whose
    "ink" is paper as well (0 for a mask of all ink or all paper).

    >>> gray = np.full((10, 10), 230, np.uint8); gray[3:7, 4:6] = 30
    >>> mask = np.zeros_like(gray); mask[3:7, 4:6] = 255
    >>> round(mask_contrast(gray, mask), 2), mask_contrast(gray, np.roll(mask, 3, axis=1))
    (1.0, 0.0)
    """
    ink = mask > 0
    count = int(np.count_nonzero(ink))
    if count == 0 or count == ink.size:
        return 0.0
    low, high = np.percentile(gray, (1, 99))
    return abs(float(np.median(gray[ink])) - float(np.median(gray[~ink]))) / max(1.0, float(high - low))


def _light_fraction(light: np.ndarray) -> float:
    """Share of light pixels, the image border and the whole image weighted equally."""
    return 0.5 * (cv2.countNonZero(light) / light.size + border_share(light))


def _thinness(mask: np.ndarray) -> float:
    """Share of a mask's pixels on its edge (lost to one 3×3 erosion); 0 for an empty mask."""
    n = cv2.countNonZero(mask)
    return 1.0 - cv2.countNonZero(cv2.erode(mask, _SQUARE3)) / n if n else 0.0


_SQUARE3 = np.ones((3, 3), np.uint8)
# Thinness gaps below this are too close to call; the majority rule decides then.
THINNESS_MARGIN = 0.02
# A border with at most this share of one class is all paper of the other.
BORDER_CLEAR = 0.05
# A border with at most this share of one class is mostly paper of the other, and when that
# other class is also clearly the thicker — its thinness at least THIN_CLEAR below the first
# class's — the two together outvote a count of glyph-like components (see ``_light_is_ink``).
BORDER_MOSTLY = 0.2
THIN_CLEAR = 0.15


# OpenCV's labelling algorithm for the statistics pass: Grana's block-based one numbers the
# components as the default (Spaghetti) does, in the same order with the same statistics
# (checked on 20,000 random masks), and takes a tenth to a fifth less time on strips.
_LABELLING = cv2.CCL_GRANA


def component_stats(mask: np.ndarray) -> tuple[np.ndarray, list[list[int]], tuple[int, int]]:
    """The 8-connected components of a uint8 mask: labels, ``[x, y, w, h, area]`` rows, offset.

    OpenCV's statistics pass costs in proportion to the image's area, and a strip's ink
    usually fills half of it or less: the components are labelled inside the bounding box
    of the non-zero pixels only, and the rows are moved back into the mask's coordinates.

    Returns:
        (labels, rows, (x0, y0)): int32 labels of the cropped box (0 = background), whose
        pixel (0, 0) is the mask's (x0, y0); one row per component, label k in row k - 1,
        as Python ints in the mask's coordinates.
    """
    x0, y0, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return np.zeros((0, 0), np.int32), [], (0, 0)
    _, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask[y0 : y0 + h, x0 : x0 + w], 8, cv2.CV_32S, _LABELLING)
    rows = stats[1:].tolist()  # label 0 is the background
    for row in rows:
        row[0] += x0
        row[1] += y0
    return labels, rows, (x0, y0)


def _glyphlike(mask: np.ndarray) -> int:
    """How many components of a mask have the size and shape of a glyph.

    Glyph-like: at least 30% of the image height yet not touching both its top and bottom
    rows (a frame or a background does), between 0.1 and 1.3 times as wide as high, not
    touching the left or right edge, and filling less than 70% of its box (strokes do; the
    hole of a "0" or an "8", a solid ellipse, does not).
    """
    _, rows, _ = component_stats(mask)
    height, width = mask.shape
    count = 0
    for x, y, w, h, area in rows:
        if (h >= 0.3 * height and 0.1 * h <= w <= 1.3 * h and x > 0 and x + w < width
                and not (y == 0 and y + h == height) and area < 0.7 * w * h):
            count += 1
    return count


def _off_the_sides(mask: np.ndarray) -> int:
    """How many components of a mask touch neither its left nor its right column.

    An upper bound on ``_glyphlike`` (a glyph-like component touches neither side), at a
    fifth of its cost: labelling without statistics.
    """
    n_labels, labels = cv2.connectedComponents(mask, connectivity=8)
    on_sides = np.bincount(np.concatenate((labels[:, 0], labels[:, -1])), minlength=n_labels)
    return int(np.count_nonzero(on_sides[1:] == 0))


# A framed panel: a component of one class, touching no side, at least this share of the
# image's width and height, ...
PANEL_SPAN = 0.6
# ... whose outline with its holes filled covers at least this share of its box (a rectangle
# with rounded corners; touching bold digits reach 0.85 at most) ...
PANEL_OUTLINE = 0.9
# ... and whose holes (the print on it) are at least this share of that filled outline: a
# solid block with nothing on it (a bold "1", a redaction bar) is no panel.
PANEL_PRINT = 0.02


def framed_panel(mask: np.ndarray) -> bool:
    """True when `mask` holds a panel framed inside the image, with print on it.

    A plate or a box drawn round one or two digits, with a surround as dark as its frame,
    has a border all of one class, and one digit is too few to outvote it by glyph count:
    the polarity test takes the panel for ink. Such a mask is one component that spans most
    of the image without touching its sides, whose outline is almost its whole box, and
    which has holes where the digits are. (The reader then also tries the other polarity.)
    """
    height, width = mask.shape
    labels, rows, (x0, y0) = component_stats(mask)
    for k, (x, y, w, h, area) in enumerate(rows, 1):
        if (x > 0 and y > 0 and x + w < width and y + h < height and w >= PANEL_SPAN * width
                and h >= PANEL_SPAN * height and area >= PANEL_SPAN * w * h):
            one = (labels[y - y0 : y - y0 + h, x - x0 : x - x0 + w] == k).astype(np.uint8)
            outlines, _ = cv2.findContours(one, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            filled = cv2.countNonZero(cv2.drawContours(np.zeros_like(one), outlines, -1, 1, cv2.FILLED))
            if filled >= PANEL_OUTLINE * w * h and filled - area >= PANEL_PRINT * filled:
                return True
    return False


def _light_is_ink(light: np.ndarray, *, vote_only: bool = False) -> bool:
    """Decide polarity from an Otsu split: ink is the class that forms glyphs (``_glyph_vote``).

    Unless a border mostly of one class (all but ``BORDER_MOSTLY``) and a clearly thicker
    class (by ``THIN_CLEAR``) both say that class is the paper: a captcha whose noise curve
    joins all its digits into one component, so the ink forms no glyph-like component while
    the paper between the strokes (a closed "0", the gaps the curve closes off) forms two or
    three. Checked only when the vote contradicts the border, since thinness costs two erosions.
    With `vote_only`, the vote alone decides: the test the shipped networks were trained with.
    """
    said = _glyph_vote(light)
    if vote_only:
        return said
    border_light = border_share(light)
    border_says = True if border_light <= BORDER_MOSTLY else False if border_light >= 1 - BORDER_MOSTLY else None
    if border_says is None or said == border_says:
        return said
    gap = _thinness(light) - _thinness(cv2.bitwise_not(light))  # > 0: light is the thinner, the ink
    if abs(gap) >= THIN_CLEAR and (gap > 0) == border_says:
        return border_says
    return said


def _glyph_vote(light: np.ndarray) -> bool:
    """Ink is the class that forms glyphs, as far as an Otsu split shows it.

    First, the class whose components look like glyphs (clearly more of them: two more) is
    the ink; this settles three-level images such as a plate whose mid-grey surround falls
    in the dark class with the ink. When both count the same (touching digits form no
    glyph-like component), a border that is almost all one class is the paper. Otherwise
    ink is the class of thin strokes: strokes are a few pixels wide while the background is
    wide open, so ink loses a larger share of its pixels to one erosion. When both are
    about as thin, the background is the majority (image and border averaged).

    Most strips have a clear border, and their paper's components off the sides (the holes
    of 0, 6, 8 …) are too few to outnumber the ink's glyphs by two: counting them bounds
    the paper's glyph-like components without measuring each, and decides the same.
    """
    dark = cv2.bitwise_not(light)
    border_light = border_share(light)
    clear = border_light <= BORDER_CLEAR or border_light >= 1 - BORDER_CLEAR
    if clear:
        paper, ink = (light, dark) if border_light >= 1 - BORDER_CLEAR else (dark, light)
        n_ink = _glyphlike(ink)
        if _off_the_sides(paper) < n_ink + 2:  # the paper cannot count two more glyphs
            return border_light <= BORDER_CLEAR
        n_paper = _glyphlike(paper)
        n_light, n_dark = (n_paper, n_ink) if paper is light else (n_ink, n_paper)
    else:
        n_light, n_dark = _glyphlike(light), _glyphlike(dark)
    if abs(n_light - n_dark) >= 2:
        return n_light > n_dark
    if clear:
        return border_light <= BORDER_CLEAR  # the paper is what surrounds the print
    if n_light != n_dark:  # one glyph-like component against none
        return n_light > n_dark
    gap = _thinness(light) - _thinness(dark)
    if abs(gap) >= THINNESS_MARGIN:
        return gap > 0
    return _light_fraction(light) < 0.5


def is_dark_on_light(gray: np.ndarray, *, vote_only: bool = False) -> bool:
    """True when the ink is darker than the background (black on white), False otherwise.

    The image is split into two classes by Otsu's threshold; the ink is the class of thin
    strokes (see ``_light_is_ink``).

    Args:
        gray: uint8 (H, W).
        vote_only: decide by the count of glyph-like components alone, as the shipped
            networks' training did (see ``_light_is_ink``).

    Returns:
        Whether the ink is the dark class.

    >>> strip = np.full((8, 8), 255, np.uint8); strip[2:6, 3:5] = 0
    >>> is_dark_on_light(strip)
    True
    """
    _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return not _light_is_ink(light, vote_only=vote_only)


# Flat-field correction. The paper's brightness is sampled on a grid of blocks about
# 1/PAPER_ROWS of the image's height (block means average noise and specks away), taken as
# a morphological closing over PAPER_SPAN image heights (wider than any stroke, so no ink
# survives), smoothed and stretched back to full size. Measured on 1800 synthetic strips
# of six styles: 8 and 0.5 fixed every shading blob and broke no strip.
PAPER_ROWS = 8
PAPER_SPAN = 0.5


def paper_level(gray: np.ndarray) -> np.ndarray:
    """Estimate the local brightness of the paper under dark ink (the illumination).

    Args:
        gray: uint8 (H, W), dark ink on light paper.

    Returns:
        uint8 (H, W): at each pixel, about the brightness the paper would have there.

    >>> strip = np.full((16, 40), 200, np.uint8); strip[4:12, 10:13] = 0
    >>> int(paper_level(strip).min())
    200
    """
    h, w = gray.shape
    step = max(1, round(h / PAPER_ROWS))  # block side in pixels
    blocks = cv2.resize(gray, (max(1, w // step), max(1, h // step)), interpolation=cv2.INTER_AREA)
    k = max(3, int(PAPER_SPAN * h / step) | 1)  # window side in blocks, odd
    # A closing: the dilation lifts every block to its brightest neighbour (ink is gone),
    # the erosion puts back the edges of shadows wider than the window.
    paper = cv2.morphologyEx(blocks, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8), borderType=cv2.BORDER_REPLICATE)
    paper = cv2.blur(paper, (3, 3), borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def _flatten(gray: np.ndarray) -> np.ndarray:
    """uint8 (H, W) dark-on-light ``gray`` divided by its paper level: paper ≈ 255 everywhere."""
    return cv2.divide(gray, paper_level(gray), scale=255)


def otsu(gray: np.ndarray, *, light_ink: bool | None = None, vote_only: bool = False) -> np.ndarray:
    """Otsu's threshold with polarity detection, after flat-field correction.

    Polarity comes from a plain Otsu split (see ``_light_is_ink``); light ink is inverted
    to dark, the image is divided by its paper level (``paper_level``), so the paper is
    about 255 everywhere and ink keeps its contrast ratio even in shade, and then one
    global Otsu threshold splits ink from paper. Paper with nothing darker than ``FAINT``
    of itself gives an empty mask: textured or blotchy paper is not print.

    Args:
        gray: uint8 (H, W).
        light_ink: the polarity, when the caller knows it; None: detect it.
        vote_only: detect it as the shipped networks' training did (see ``_light_is_ink``).

    Returns:
        uint8 (H, W) mask, ink = 255, background = 0.
    """
    if light_ink is None:
        _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        light_ink = _light_is_ink(light, vote_only=vote_only)
    if light_ink:
        gray = cv2.bitwise_not(gray)  # dark ink on light paper from here on
    flat = _flatten(gray)
    if _no_print(flat):
        return np.zeros_like(gray)
    _, ink = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


# Print is darker than FAINT × the paper around it; flattened paper whose darkest
# pixels (all but MIN_PRINT of them) are lighter than that holds none: texture, shading or
# blotches only. Measured on rendered strips: their ink reaches 0.1-0.5 of the paper,
# while textured blank paper, flattened, stays above 0.8.
FAINT = 0.75
MIN_PRINT = 0.001


def _no_print(flat: np.ndarray) -> bool:
    """True when a flattened uint8 image (paper ≈ 255) has next to no pixel dark enough to be print."""
    # A uint8 level is below FAINT × 255 exactly when it is below that bound rounded up: an
    # integer comparison, with no copy of the image as floats.
    return np.count_nonzero(flat < math.ceil(FAINT * 255)) <= MIN_PRINT * flat.size


def adaptive(gray: np.ndarray, *, block: int = 15, c: float = 10.0, light_ink: bool | None = None,
             vote_only: bool = False) -> np.ndarray:
    """Local threshold: a pixel is ink when it is `c` darker (or lighter) than its neighbourhood.

    Args:
        gray: uint8 (H, W).
        block: odd side in pixels of the Gaussian-weighted neighbourhood (≥ 3); about the
            height of a glyph works well.
        c: margin in gray levels between a pixel and its local mean; larger keeps less.
        light_ink: the polarity, when the caller knows it; None: detect it.
        vote_only: detect it as the shipped networks' training did (see ``_light_is_ink``).

    Returns:
        uint8 (H, W) mask, ink = 255, background = 0.
    """
    block = max(3, block | 1)
    if light_ink if light_ink is not None else not is_dark_on_light(gray, vote_only=vote_only):
        gray = cv2.bitwise_not(gray)
    if _no_print(_flatten(gray)):
        return np.zeros_like(gray)
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, c
    )


_METHODS = {"otsu": otsu, "adaptive": adaptive}
_LEVELS = np.arange(256)  # the gray levels, to weigh a histogram


def _is_blank(gray: np.ndarray, sigma: float) -> bool:
    """True when a uint8 image holds no ink: too little contrast, only noise, or no sharp edge.

    Statistics come from every other row and column, which is plenty for a histogram.
    """
    sample = np.ascontiguousarray(gray[::2, ::2])  # one copy, for both NumPy and OpenCV
    hist = np.bincount(sample.ravel(), minlength=256)  # (256,) counts
    cdf = np.cumsum(hist)
    p1, p99 = np.searchsorted(cdf, (0.01 * cdf[-1], 0.99 * cdf[-1]))
    if p99 - p1 < MIN_CONTRAST:
        return True
    t = int(cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
    n_dark, n_light = cdf[t], cdf[-1] - cdf[t]
    if n_dark == 0 or n_light == 0:
        return True
    mean_dark = (hist[: t + 1] @ _LEVELS[: t + 1]) / n_dark
    mean_light = (hist[t + 1 :] @ _LEVELS[t + 1 :]) / n_light
    if mean_light - mean_dark < MIN_SEPARATION * sigma:
        return True
    return p99 - p1 < SOFT_SPREAD and _sharpness(gray, p99 - p1) < MIN_SHARPNESS


# Print has edges: from paper to ink within a pixel or two. Blotchy or cloudy paper changes
# slowly. Sharpness is the 99.5th percentile of the gradient magnitude over the 1-99%
# spread of gray levels: printed strips measure 0.20 (blurred, noisy scans) to 0.45,
# cloudy paper 0.04-0.15. It is only asked of images whose spread is below SOFT_SPREAD
# (print is usually far more contrasted), so a clean strip costs nothing more.
MIN_SHARPNESS = 0.15
SOFT_SPREAD = 100


def _sharpness(gray: np.ndarray, spread: float) -> float:
    """How sharp a uint8 image's strongest edges are for its contrast (see ``MIN_SHARPNESS``)."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy) / 8.0  # gray levels per pixel
    return float(np.percentile(magnitude, 99.5)) / max(float(spread), 1.0)


def ink_mask(gray: np.ndarray, *, method: str = "otsu", light_ink: bool | None = None,
             vote_only: bool = False) -> np.ndarray:
    """Binarise a gray strip into an ink mask, bright ink on black as MNIST.

    Noisy images (estimated σ above `NOISE_SIGMA`) are blurred 3×3 first. Images whose
    1st-99th percentile spread is below `MIN_CONTRAST`, or whose two Otsu classes are less
    than `MIN_SEPARATION` noise σ apart (a flat noisy field), hold no ink: all zeros.

    Args:
        gray: uint8 (H, W), any polarity.
        method: ``"otsu"`` (flat-field corrected, then global; the default) or
            ``"adaptive"`` (local).
        light_ink: True for light ink on a dark ground, False for dark on light; None
            (the default) detects it.
        vote_only: detect it as the shipped networks' training did (see ``_light_is_ink``).

    Returns:
        uint8 (H, W) mask, ink = 255, background = 0.

    Raises:
        ValueError: unknown `method`.

    >>> strip = np.zeros((8, 8), np.uint8); strip[2:6, 3:5] = 200
    >>> int(ink_mask(strip).sum() // 255)
    8
    """
    threshold = _METHODS.get(method)
    if threshold is None:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    sigma = noise_level(gray)
    if sigma > NOISE_SIGMA:
        gray = cv2.GaussianBlur(gray, (3, 3), 0)
        sigma = noise_level(gray)  # what is left for the threshold to face
    if _is_blank(gray, sigma):
        return np.zeros_like(gray)
    return threshold(gray, light_ink=light_ink, vote_only=vote_only)
