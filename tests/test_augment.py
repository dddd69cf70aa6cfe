"""Augmentations keep shape, dtype and true boxes; decorations stay off the glyphs."""

import numpy as np
import pytest

from synth import augment
from synth.fonts import bundled_fonts
from synth.render import render_strip


@pytest.fixture(scope="module")
def strip_image():
    """A known dark-on-light strip: uint8 (H, W) image and its boxes."""
    font = next(f for f in bundled_fonts() if f.name == "DejaVu Sans")
    strip = render_strip("50817", font, size=28, spacing=0.4, margin=10)
    image = (235 - 215 * strip.ink).astype(np.uint8)
    return image, strip.boxes


PHOTOMETRIC = [augment.gaussian_noise, augment.salt_pepper, augment.blur, augment.jpeg, augment.illumination]
GEOMETRIC = [augment.rotate, augment.perspective, augment.warp]
DECORATIONS = [augment.lines, augment.speckles, augment.curves]


def _inside(boxes, shape):
    h, w = shape[:2]
    return all(0 <= x and 0 <= y and bw >= 1 and bh >= 1 and x + bw <= w and y + bh <= h for x, y, bw, bh in boxes)


@pytest.mark.parametrize("fn", PHOTOMETRIC + DECORATIONS)
def test_photometric_keep_shape_dtype_and_boxes(fn, strip_image, rng):
    image, boxes = strip_image
    out, out_boxes = fn(image, boxes, rng)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out_boxes == boxes


@pytest.mark.parametrize("fn", PHOTOMETRIC + GEOMETRIC + DECORATIONS)
def test_rgb_images_are_supported(fn, strip_image, rng):
    image, boxes = strip_image
    rgb = np.stack([image, image // 2 + 100, image], axis=2)
    out, out_boxes = fn(rgb, boxes, rng)
    assert out.ndim == 3 and out.shape[2] == 3 and out.dtype == np.uint8
    assert _inside(out_boxes, out.shape)


@pytest.mark.parametrize("fn", GEOMETRIC)
def test_geometric_boxes_follow_the_ink(fn, strip_image, rng):
    image, boxes = strip_image
    for _ in range(5):
        out, out_boxes = fn(image, boxes, rng)
        assert out.dtype == np.uint8 and _inside(out_boxes, out.shape)
        ink = out < 128
        inside = np.zeros_like(ink)
        for x, y, w, h in out_boxes:
            inside[y : y + h, x : x + w] = True
        assert ink[inside].sum() >= 0.97 * ink.sum()  # (almost) all dark pixels are in a box
        assert [b[0] for b in out_boxes] == sorted(b[0] for b in out_boxes)


def test_rotate_expands_and_fills_with_background(strip_image, rng):
    image, boxes = strip_image
    out, _ = augment.rotate(image, boxes, rng, max_angle=10)
    assert out.shape[0] >= image.shape[0] and out.shape[1] >= image.shape[1]
    assert abs(int(out[0, 0]) - 235) <= 2 and abs(int(out[-1, -1]) - 235) <= 2


def test_rotate_by_zero_is_identity(strip_image, rng):
    image, boxes = strip_image
    out, out_boxes = augment.rotate(image, boxes, rng, max_angle=0.0)
    assert np.array_equal(out, image) and out_boxes == boxes


def test_lines_and_speckles_do_not_touch_the_boxes(strip_image, rng):
    image, boxes = strip_image
    for fn in (augment.lines, augment.speckles):
        out, _ = fn(image, boxes, rng, count=(5, 5))
        changed = out != image
        assert changed.any()
        for x, y, w, h in boxes:
            assert not changed[y : y + h, x : x + w].any(), fn.__name__


def test_crossing_lines_may_enter_boxes(strip_image):
    image, boxes = strip_image
    hits = 0
    for seed in range(10):
        out, _ = augment.lines(image, boxes, np.random.default_rng(seed), count=(3, 3), crossing=True)
        hits += any((out[y : y + h, x : x + w] != image[y : y + h, x : x + w]).any() for x, y, w, h in boxes)
    assert hits > 0


def test_noise_strength_and_jpeg_quality(strip_image, rng):
    image, boxes = strip_image
    noisy, _ = augment.gaussian_noise(image, boxes, rng, sigma=8.0)
    assert 5.0 < np.std(noisy.astype(float) - image) < 11.0
    low, _ = augment.jpeg(image, boxes, rng, quality=10)
    high, _ = augment.jpeg(image, boxes, rng, quality=95)
    assert np.abs(high.astype(int) - image).mean() < np.abs(low.astype(int) - image).mean()


def test_motion_blur_spreads_ink(strip_image, rng):
    image, boxes = strip_image
    out, _ = augment.blur(image, boxes, rng, motion=True, length=7)
    assert not np.array_equal(out, image)
    assert out.shape == image.shape


def test_illumination_darkens_by_at_most_strength(strip_image, rng):
    image, boxes = strip_image
    out, _ = augment.illumination(image, boxes, rng, strength=0.3)
    assert (out <= image).all() and (out >= np.floor(image * 0.7) - 1).all()


def test_curves_run_edge_to_edge_through_the_digits(strip_image):
    image, boxes = strip_image
    paper = np.full_like(image, 235)
    crossed = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        curve, _ = augment.curves(paper, boxes, rng, count=(1, 1), thickness=(1, 1), color=(0,))
        drawn = curve < 215
        assert drawn[:, 2:-2].any(axis=0).all()  # one unbroken curve: every column is touched
        assert drawn.sum() <= 3 * image.shape[1]  # ... and it is thin
        out, out_boxes = augment.curves(image, boxes, np.random.default_rng(seed))
        assert out_boxes == boxes
        crossed += any((out[y : y + h, x : x + w] != image[y : y + h, x : x + w]).any() for x, y, w, h in boxes)
    assert crossed >= 8  # unlike `lines`, curves go through the glyphs


def test_warp_with_zero_amplitude_is_identity(strip_image, rng):
    image, boxes = strip_image
    out, out_boxes = augment.warp(image, boxes, rng, amplitude=(0.0, 0.0))
    assert np.array_equal(out, image) and out_boxes == boxes


def test_warp_moves_ink_and_boxes_by_at_most_the_amplitude(strip_image):
    image, boxes = strip_image
    for seed in range(5):
        out, out_boxes = augment.warp(image, boxes, np.random.default_rng(seed), amplitude=(3.0, 3.0))
        assert out.shape == image.shape and not np.array_equal(out, image)
        for (x, y, w, h), (x2, y2, w2, h2) in zip(boxes, out_boxes):
            # each edge moves by at most the amplitude, plus 1 px for bilinear mixing
            assert abs(x2 - x) <= 4 and abs(y2 - y) <= 4
            assert abs((x2 + w2) - (x + w)) <= 4 and abs((y2 + h2) - (y + h)) <= 4
            # and the box stays tight: it still reaches the warped ink on every side
            ink = out[y2 : y2 + h2, x2 : x2 + w2] < 128
            assert ink[:2].any() and ink[-2:].any() and ink[:, :2].any() and ink[:, -2:].any()
