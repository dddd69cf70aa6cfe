"""Tests for ocr.normalize: MNIST-style 28×28 and optdigits-style 8×8 glyph images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from ocr import binarize, normalize, segment

FONT = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 28)


def rendered(text: str = "0123456789"):
    """Ink mask of `text` in DejaVu Sans 28 px, and its glyph boxes."""
    im = Image.new("L", (24 * len(text) + 16, 40), 255)
    ImageDraw.Draw(im).text((8, 2), " ".join(text), fill=0, font=FONT)
    ink = binarize.ink_mask(np.asarray(im))
    boxes = segment.glyph_boxes(ink)
    assert len(boxes) == len(text)
    return ink, boxes


def extent(a: np.ndarray) -> tuple[int, int]:
    """(width, height) of the non-zero part of a 2-D array."""
    _, _, w, h = cv2.boundingRect((a > 0).astype(np.uint8))
    return w, h


def test_to_28x28_is_float32_in_0_1_centred_by_mass_with_longest_side_20():
    ink, boxes = rendered()
    for box in boxes:
        glyph = normalize.to_28x28(ink, box)
        assert glyph.shape == (28, 28) and glyph.dtype == np.float32
        assert glyph.min() >= 0.0 and glyph.max() <= 1.0 and glyph.max() > 0.9
        m = cv2.moments(glyph)
        assert abs(m["m10"] / m["m00"] - 14) <= 1 and abs(m["m01"] / m["m00"] - 14) <= 1
        assert max(extent(glyph)) == 20


def test_a_thin_one_keeps_its_aspect_ratio():
    ink = np.zeros((40, 40), np.uint8)
    ink[5:35, 18:21] = 255  # a 3 × 30 bar
    glyph = normalize.to_28x28(ink, (18, 5, 3, 30))
    width, height = extent(glyph)
    assert height == 20 and width <= 3  # 3 × 20/30 = 2 px, not stretched to a square


def test_off_centre_mass_is_clamped_so_nothing_is_cut():
    ink = np.zeros((20, 20), np.uint8)
    ink[0, :] = 255  # a thin top bar …
    ink[12:20, 12:20] = 255  # … and a heavy block in the bottom-right corner
    glyph = normalize.to_28x28(ink, (0, 0, 20, 20))
    assert glyph.sum() == pytest.approx(ink.sum() / 255, rel=1e-5)  # 20 px → 20 px: every pixel kept


def test_to_8x8_counts_0_to_16_and_looks_like_sklearn_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    means = np.stack([digits.images[digits.target == d].mean(axis=0) for d in range(10)])  # (10, 8, 8)
    ink, boxes = rendered()
    own_correlations = []
    for digit, box in enumerate(boxes):
        glyph = normalize.to_8x8(ink, box)
        assert glyph.shape == (8, 8) and glyph.dtype == np.float32
        assert glyph.min() == 0 and 12 <= glyph.max() <= 16
        np.testing.assert_array_equal(glyph, np.round(glyph))
        assert glyph[0].any() and glyph[7].any()  # full height, as in load_digits
        assert not glyph[:, 0].any() and not glyph[:, 7].any()  # centred, margins free
        # printed DejaVu digits against the class means of handwriting: measured 0.45-0.73
        own = np.corrcoef(glyph.ravel(), means[digit].ravel())[0, 1]
        assert own > 0.4, (digit, own)
        own_correlations.append(own)
    assert np.mean(own_correlations) > 0.55


def test_to_8x8_of_a_full_block_is_all_16():
    ink = np.full((10, 10), 255, np.uint8)
    assert (normalize.to_8x8(ink, (0, 0, 10, 10)) == 16).all()


@pytest.mark.parametrize(("size", "width"), [(28, 784), (8, 64)])
def test_glyph_batch_stacks_rows(size, width):
    ink, boxes = rendered("305")
    batch = normalize.glyph_batch(ink, boxes, size=size)
    assert batch.shape == (3, width) and batch.dtype == np.float32
    single = normalize.to_28x28 if size == 28 else normalize.to_8x8
    np.testing.assert_array_equal(batch[1], single(ink, boxes[1]).ravel())
    assert normalize.glyph_batch(ink, [], size=size).shape == (0, width)


def test_glyph_batch_refuses_other_sizes():
    with pytest.raises(ValueError, match="8 or 28"):
        normalize.glyph_batch(np.zeros((4, 4), np.uint8), [], size=16)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_box_gives_values_in_range(data):
    height, width = data.draw(st.integers(1, 30)), data.draw(st.integers(1, 30))
    ink = (np.random.default_rng(data.draw(st.integers(0, 99))).random((height, width)) > 0.5).astype(np.uint8) * 255
    x, y = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, height - 1))
    box = (x, y, data.draw(st.integers(1, width - x)), data.draw(st.integers(1, height - y)))
    g28, g8 = normalize.to_28x28(ink, box), normalize.to_8x8(ink, box)
    assert 0 <= g28.min() and g28.max() <= 1 and g28.shape == (28, 28)
    assert 0 <= g8.min() and g8.max() <= 16 and g8.shape == (8, 8)


def test_batch_rows_equal_single_glyph_normalization():
    ink = np.zeros((40, 120), np.uint8)
    for k in range(4):
        ink[5 + k : 30 + k, 10 + 25 * k : 22 + 25 * k] = 255
    boxes = [(10 + 25 * k, 5 + k, 12, 25) for k in range(4)]
    batch = normalize.glyph_batch(ink, boxes, size=28)
    expected = np.stack([normalize.to_28x28(ink, box).ravel() for box in boxes])
    np.testing.assert_array_equal(batch, expected)


def _mnist_reference(ink: np.ndarray, box) -> np.ndarray:
    """The MNIST rule written out plainly: fit to 20 px, cv2.moments, shift, clamp, scale."""
    x, y, w, h = box
    crop = ink[y : y + h, x : x + w]
    scale = 20 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    glyph = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    gh, gw = glyph.shape
    m = cv2.moments(glyph)
    cx, cy = (m["m10"] / m["m00"], m["m01"] / m["m00"]) if m["m00"] > 0 else ((gw - 1) / 2, (gh - 1) / 2)
    left, top = min(max(round(14 - cx), 0), 28 - gw), min(max(round(14 - cy), 0), 28 - gh)
    out = np.zeros((28, 28), np.float32)
    out[top : top + gh, left : left + gw] = np.multiply(glyph, np.float32(1 / 255), dtype=np.float32)
    return out


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_batch_places_every_glyph_by_its_centre_of_mass_as_cv2_moments_says(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    height, width = data.draw(st.integers(4, 60)), data.draw(st.integers(4, 120))
    ink = ((rng.random((height, width)) > data.draw(st.floats(0.3, 1.0))) * 255).astype(np.uint8)
    boxes = []
    for _ in range(data.draw(st.integers(1, 6))):
        x, y = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, height - 1))
        boxes.append((x, y, data.draw(st.integers(1, width - x)), data.draw(st.integers(1, height - y))))
    batch = normalize.glyph_batch(ink, boxes, size=28)
    for row, box in zip(batch, boxes):
        np.testing.assert_array_equal(row.reshape(28, 28), _mnist_reference(ink, box))
