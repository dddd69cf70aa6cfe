"""uint8 (H, W) gray → uint8 (H, W) ink mask: ink = 255 on 0, whatever the input polarity.

Polarity is decided once (the background is the majority class), flat images give an
empty mask instead of thresholded noise, and noisy images (sensor noise, JPEG artefacts,
captcha speckle) get a light 3×3 blur before the threshold. Otsu's global threshold
is the default; a local Gaussian-weighted threshold is there for uneven lighting.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["is_dark_on_light", "otsu", "adaptive", "ink_mask", "noise_level"]

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


def _light_fraction(light: np.ndarray) -> float:
    """Share of light pixels, the image border and the whole image weighted equally.

    The border is nearly always background, the whole image nearly always mostly
    background; averaging the two survives a glyph touching the border as well as a
    heavily inked strip.
    """
    border = np.concatenate((light[0], light[-1], light[1:-1, 0], light[1:-1, -1]))
    return 0.5 * (cv2.countNonZero(light) / light.size + cv2.countNonZero(border) / border.size)


def is_dark_on_light(gray: np.ndarray) -> bool:
    """True when the ink is darker than the background (black on white), False otherwise.

    The image is split into two classes by Otsu's threshold; the background is the class
    that holds the majority of the pixels (border and whole image averaged).

    Args:
        gray: uint8 (H, W).

    Returns:
        Whether the ink is the dark class.

    >>> strip = np.full((8, 8), 255, np.uint8); strip[2:6, 3:5] = 0
    >>> is_dark_on_light(strip)
    True
    """
    _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return _light_fraction(light) >= 0.5


def otsu(gray: np.ndarray) -> np.ndarray:
    """Global Otsu threshold with polarity detection.

    Args:
        gray: uint8 (H, W).

    Returns:
        uint8 (H, W) mask, ink = 255, background = 0.
    """
    _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if _light_fraction(light) >= 0.5:
        return cv2.bitwise_not(light)
    return light


def adaptive(gray: np.ndarray, *, block: int = 15, c: float = 10.0) -> np.ndarray:
    """Local threshold: a pixel is ink when it is `c` darker (or lighter) than its neighbourhood.

    Args:
        gray: uint8 (H, W).
        block: odd side in pixels of the Gaussian-weighted neighbourhood (≥ 3); about the
            height of a glyph works well.
        c: margin in gray levels between a pixel and its local mean; larger keeps less.

    Returns:
        uint8 (H, W) mask, ink = 255, background = 0.
    """
    block = max(3, block | 1)
    if not is_dark_on_light(gray):
        gray = cv2.bitwise_not(gray)
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, c
    )


_METHODS = {"otsu": otsu, "adaptive": adaptive}


def _is_blank(gray: np.ndarray, sigma: float) -> bool:
    """True when a uint8 image holds no ink: too little contrast, or only noise.

    Statistics come from every other row and column, which is plenty for a histogram.
    """
    sample = gray[::2, ::2]
    hist = np.bincount(sample.ravel(), minlength=256)  # (256,) counts
    cdf = np.cumsum(hist)
    p1, p99 = np.searchsorted(cdf, (0.01 * cdf[-1], 0.99 * cdf[-1]))
    if p99 - p1 < MIN_CONTRAST:
        return True
    t = int(cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
    levels = np.arange(256)
    n_dark, n_light = cdf[t], cdf[-1] - cdf[t]
    if n_dark == 0 or n_light == 0:
        return True
    mean_dark = (hist[: t + 1] @ levels[: t + 1]) / n_dark
    mean_light = (hist[t + 1 :] @ levels[t + 1 :]) / n_light
    return mean_light - mean_dark < MIN_SEPARATION * sigma


def ink_mask(gray: np.ndarray, *, method: str = "otsu") -> np.ndarray:
    """Binarise a gray strip into an ink mask, bright ink on black as MNIST.

    Noisy images (estimated σ above `NOISE_SIGMA`) are blurred 3×3 first. Images whose
    1st-99th percentile spread is below `MIN_CONTRAST`, or whose two Otsu classes are less
    than `MIN_SEPARATION` noise σ apart (a flat noisy field), hold no ink: all zeros.

    Args:
        gray: uint8 (H, W), any polarity.
        method: ``"otsu"`` (global, default) or ``"adaptive"`` (local, uneven lighting).

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
    return threshold(gray)
