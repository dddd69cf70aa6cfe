"""Style presets: every style renders, boxes match text, style-specific looks hold."""

import numpy as np
import pytest

from synth.fonts import bundled_fonts
from synth.styles import STYLES, Sample, make_sample, pick_font


@pytest.fixture(scope="module")
def fonts():
    return bundled_fonts()


def _inside(sample):
    h, w = sample.image.shape[:2]
    return all(0 <= x and 0 <= y and x + bw <= w and y + bh <= h for x, y, bw, bh in sample.boxes)


@pytest.mark.parametrize("style", STYLES + ("mixed",))
def test_every_style_makes_valid_samples(style, fonts, rng):
    for _ in range(8):
        sample = make_sample(style, rng, fonts, length=(3, 6))
        assert isinstance(sample, Sample) and sample.image.dtype == np.uint8
        assert sample.image.ndim == 2 or sample.image.shape[2] == 3
        assert sample.text.isdigit() and len(sample.boxes) == len(sample.text)
        assert sample.style in STYLES and sample.font
        assert _inside(sample)
        if sample.style != "classic":
            assert 3 <= len(sample.text) <= 6
        xs = [x for x, _, _, _ in sample.boxes]
        assert xs == sorted(xs)


def test_unknown_style_lists_the_valid_ones(fonts, rng):
    with pytest.raises(ValueError, match="plain.*classic"):
        make_sample("fancy", rng, fonts)


def test_style_kinds_and_sizes(fonts, rng):
    assert make_sample("captcha", rng, fonts).image.ndim == 3
    assert make_sample("plate", rng, fonts).image.ndim == 3
    assert make_sample("field", rng, fonts).image.ndim == 2
    classic = make_sample("classic", rng, fonts, length=(8, 8), height=40)
    assert classic.image.shape == (24, 100) and len(classic.text) == 5


def test_height_sets_the_digit_height(fonts, rng):
    for style in ("plain", "field", "plate"):
        sample = make_sample(style, rng, fonts, height=30)
        assert 24 <= max(h for _, _, _, h in sample.boxes) <= 36


def test_plain_shows_both_polarities_and_good_contrast(fonts, rng):
    light_on_dark = 0
    for _ in range(50):
        image = make_sample("plain", rng, fonts).image
        background = np.median(np.concatenate([image[0], image[-1]]))
        light_on_dark += background < 128
        assert image.max() - image.min() >= 100
    assert 3 <= light_on_dark <= 25


def test_plate_has_border_and_margin(fonts, rng):
    for _ in range(10):
        sample = make_sample("plate", rng, fonts)
        gray = sample.image.mean(axis=2)
        size = max(h for _, _, _, h in sample.boxes)
        top = min(y for _, y, _, _ in sample.boxes)
        left = min(x for x, _, _, _ in sample.boxes)
        # the column left of the first digit: plate, then a dark border, then the surround
        row = gray[sample.boxes[0][1] + sample.boxes[0][3] // 2, :left][::-1]
        dark = np.flatnonzero(row < 80)
        assert dark.size and dark[0] >= 0.3 * size - 1
        col = gray[:top, sample.boxes[0][0] + sample.boxes[0][2] // 2][::-1]
        assert np.flatnonzero(col < 80)[0] >= 0.3 * size - 1


def test_field_line_keeps_three_pixels_from_digits(fonts, rng):
    for _ in range(10):
        sample = make_sample("field", rng, fonts)
        bottom = max(y + h for _, y, _, h in sample.boxes)
        x, _, w, _ = sample.boxes[0]
        below = sample.image[bottom : bottom + 3, x : x + w]
        assert below.min() >= 150  # no rule within 3 px under the digits


def test_pick_font_is_uniform_over_families(fonts):
    rng = np.random.default_rng(0)
    families = sorted({f.family for f in fonts})
    counts = {f: 0 for f in families}
    for _ in range(3000):
        counts[pick_font(rng, fonts).family] += 1
    expected = 3000 / len(families)
    assert all(0.6 * expected < c < 1.4 * expected for c in counts.values())
