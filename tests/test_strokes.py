"""Stroke font: shapes and ranges, determinism, every variant drawn, digits told apart."""

import numpy as np
import pytest

from ocr import normalize
from synth.strokes import VARIANTS, render_digit


def ink_extent(img: np.ndarray) -> tuple[int, int]:
    """(height, width) in pixels of the rows and columns holding any ink above 0.25."""
    rows, cols = np.nonzero(img > 0.25)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_a_digit_is_float_coverage_in_unit_range(rng):
    img = render_digit(4, rng, size=40)
    assert img.dtype == np.float32 and img.ndim == 2
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert img.shape[0] == 40 + 2 * 3
    assert img.max() > 0.9  # strokes are solid ink, not only anti-aliased edges


@pytest.mark.parametrize("digit", range(10))
def test_the_ink_is_about_size_pixels_high_with_a_margin(digit, rng):
    for _ in range(10):
        img = render_digit(digit, rng, size=32)
        height, _ = ink_extent(img)
        assert 0.8 * 32 <= height <= 1.2 * 32
        assert not img[:2].any() and not img[-2:].any()
        assert not img[:, :2].any() and not img[:, -2:].any()


def test_the_same_seed_gives_the_same_digit_and_another_seed_another():
    first = render_digit(8, np.random.default_rng(7))
    again = render_digit(8, np.random.default_rng(7))
    other = render_digit(8, np.random.default_rng(8))
    np.testing.assert_array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


@pytest.mark.parametrize("digit", range(10))
def test_every_named_variant_draws_ink(digit, rng):
    for variant in VARIANTS[digit]:
        img = render_digit(digit, rng, size=24, variant=variant)
        assert img.sum() > 0.05 * img.size, (digit, variant)


def test_unknown_digit_or_variant_is_refused(rng):
    with pytest.raises(ValueError, match="0 … 9"):
        render_digit(10, rng)
    with pytest.raises(ValueError, match="variants"):
        render_digit(1, rng, variant="looped")


def test_a_one_is_much_narrower_than_a_zero(rng):
    ones = [ink_extent(render_digit(1, rng))[1] for _ in range(40)]
    zeros = [ink_extent(render_digit(0, rng))[1] for _ in range(40)]
    assert np.mean(ones) < 0.7 * np.mean(zeros)


def mnist_batch(digit: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """n random renderings of `digit` through the reader's 28×28 normalisation; (n, 784)."""
    rows = []
    for _ in range(n):
        ink = np.round(render_digit(digit, rng, size=28) * 255).astype(np.uint8)
        ys, xs = np.nonzero(ink)
        box = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        rows.append(normalize.to_28x28(ink, box).ravel())
    return np.stack(rows)


def test_digits_are_told_apart_by_their_mean_images():
    # Class means from one seed, nearest-mean classification of fresh samples from another:
    # if two digits' drawings were alike, their samples would land on the wrong mean.
    train_rng, test_rng = np.random.default_rng(0), np.random.default_rng(1)
    means = np.stack([mnist_batch(d, train_rng, 40).mean(axis=0) for d in range(10)])  # (10, 784)
    correct = 0
    for d in range(10):
        x = mnist_batch(d, test_rng, 20)  # (20, 784)
        distances = ((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)  # (20, 10)
        correct += int((distances.argmin(axis=1) == d).sum())
    assert correct / 200 > 0.9  # 0.985 when written
