"""Rendering: exact boxes, the classic captcha, transforms."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from synth.fonts import bundled_fonts, load_font
from synth.render import (
    BOX_THRESHOLD, classic_font, footless_variants, glyph_box, long_flag, long_flag_variants, render_classic,
    render_strip, render_text, without_foot,
)


@pytest.fixture(scope="module")
def fonts():
    return bundled_fonts()


@pytest.fixture(scope="module")
def roboto(fonts):
    return next(f for f in fonts if f.name == "Roboto")


def _own_ink(text, font, **kwargs):
    """Ink of each digit rendered alone with the same settings, placed at its box."""
    return [render_strip(d, font, margin=0, **kwargs).ink for d in text]


def test_glyph_box_is_tight_around_threshold():
    coverage = np.zeros((10, 12), np.float32)
    coverage[2:7, 3:5] = 1.0
    coverage[8, 10] = 0.2  # faint pixel below the threshold
    assert glyph_box(coverage) == (3, 2, 2, 5)
    assert glyph_box(np.zeros((3, 3), np.float32)) is None


def test_strip_shape_dtype_and_text(roboto):
    strip = render_strip("0042", roboto, size=32)
    assert strip.ink.dtype == np.float32 and strip.ink.ndim == 2
    assert 0.0 <= strip.ink.min() and strip.ink.max() <= 1.0
    assert strip.text == "0042" and len(strip.boxes) == 4


def test_digit_height_matches_size(fonts):
    for font in fonts[::7]:
        strip = render_strip("0123456789", font, size=40)
        tallest = max(h for _, _, _, h in strip.boxes)
        assert 34 <= tallest <= 46, font.name


@pytest.mark.parametrize("kwargs", [{}, {"jitter": 0.08, "rotate": 12.0}, {"stroke": 2, "shear": 0.2}])
def test_boxes_hold_each_glyph_and_do_not_overlap(fonts, rng, kwargs):
    for font in fonts[::9]:
        strip = render_strip("4017293", font, size=28, spacing=0.15, rng=rng, margin=3, **kwargs)
        h, w = strip.ink.shape
        for (x, y, bw, bh), (x2, _, _, _) in zip(strip.boxes, strip.boxes[1:]):
            assert x + bw <= x2, font.name  # left to right, no shared column
        for x, y, bw, bh in strip.boxes:
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h
            # the box holds >= 95% of the ink in its columns band (neighbours are outside it)
            band = strip.ink[:, x : x + bw]
            assert strip.ink[y : y + bh, x : x + bw].sum() >= 0.95 * band.sum(), font.name


def test_boxes_hold_95_percent_of_glyph_ink(roboto):
    strip = render_strip("80", roboto, size=24, spacing=0.3, margin=0)
    total = strip.ink.sum()
    inside = sum(strip.ink[y : y + h, x : x + w].sum() for x, y, w, h in strip.boxes)
    assert inside >= 0.95 * total


def test_shared_baseline_without_jitter(roboto):
    strip = render_strip("1234567890", roboto, size=36)
    bottoms = [y + h for x, y, w, h in strip.boxes]
    assert max(bottoms) - min(bottoms) <= 2  # lining figures sit on one baseline (round digits overshoot)


def test_margin_surrounds_the_glyphs(roboto):
    strip = render_strip("77", roboto, size=30, margin=6)
    mask = strip.ink > 0
    assert not mask[:6].any() and not mask[-6:].any()
    assert not mask[:, :6].any() and not mask[:, -6:].any()


def test_negative_spacing_overlaps_and_keeps_max(roboto):
    touching = render_strip("00", roboto, size=30, spacing=-0.15)
    (x1, _, w1, _), (x2, _, _, _) = touching.boxes
    assert x2 < x1 + w1
    assert touching.ink.max() <= 1.0


def test_stroke_thickens_and_thins(roboto):
    base = (render_strip("8", roboto, size=40).ink >= BOX_THRESHOLD).sum()
    thick = (render_strip("8", roboto, size=40, stroke=2).ink >= BOX_THRESHOLD).sum()
    thin = (render_strip("8", roboto, size=40, stroke=-1).ink >= BOX_THRESHOLD).sum()
    assert thin < base < thick


def test_hershey_and_space_after(fonts):
    hershey = next(f for f in fonts if f.source == "hershey")
    plain = render_strip("123456", hershey, size=30, spacing=0.1)
    spaced = render_strip("123456", hershey, size=30, spacing=0.1, space_after=(2,))
    gap = lambda s: s.boxes[3][0] - (s.boxes[2][0] + s.boxes[2][2])
    assert gap(spaced) >= gap(plain) + 15


def test_render_is_deterministic_for_a_seed(roboto):
    a = render_strip("3141", roboto, size=30, rng=np.random.default_rng(5), jitter=0.1, rotate=10)
    b = render_strip("3141", roboto, size=30, rng=np.random.default_rng(5), jitter=0.1, rotate=10)
    assert a.boxes == b.boxes and np.array_equal(a.ink, b.ink)


@pytest.mark.parametrize("text", ["1a2", "", "１２"])
def test_non_digit_text_is_rejected(roboto, text):
    with pytest.raises(ValueError):
        render_strip(text, roboto, size=20)


def test_random_variation_needs_rng(roboto):
    with pytest.raises(ValueError, match="rng"):
        render_strip("12", roboto, size=20, rotate=5)


def test_classic_is_the_seed_captcha(rng):
    font = load_font(classic_font().path, 23)
    for _ in range(5):
        text = "".join(str(d) for d in rng.integers(0, 10, 5))
        image, boxes = render_classic(text)
        reference = Image.new("L", (100, 24), 0)
        ImageDraw.Draw(reference).text((5, 0), " ".join(text), font=font, fill=255)
        assert image.shape == (24, 100) and image.dtype == np.uint8
        assert np.array_equal(image, np.asarray(reference))
        assert image[:, :3].max() == 0 and image[:, -3:].max() == 0  # black, last digit not clipped
        assert len(boxes) == 5
        for (x, y, w, h), nxt in zip(boxes, boxes[1:] + ((100, 0, 0, 0),)):
            assert 0 <= x and 0 <= y and y + h <= 24 and x + w <= nxt[0]
            assert image[y : y + h, x : x + w].max() == 255


def test_classic_default_font_is_roboto_regular():
    assert classic_font().name == "Roboto" and classic_font().path.endswith("Roboto-Regular.ttf")


def _rows_width(coverage):
    ink = coverage >= 0.5
    cols = [np.flatnonzero(row) for row in ink]
    return np.array([c[-1] - c[0] + 1 if c.size else 0 for c in cols])


@pytest.mark.parametrize("name", ["DejaVu Sans", "DejaVu Serif Bold", "DejaVu Sans Oblique", "cmr10"])
def test_without_foot_cuts_the_bar_a_1_stands_on_and_keeps_its_stem_and_flag(fonts, name):
    font = next(f for f in fonts if f.name == name)
    one = render_strip("1", font, size=48, margin=0).ink
    cut = without_foot(one)
    widths, cut_widths = _rows_width(one), _rows_width(cut)
    stem = np.median(widths[len(widths) // 2:3 * len(widths) // 4])
    assert widths[-1] > 2 * stem  # the font's 1 has a foot ...
    assert cut_widths[-1] <= stem + 2  # ... and the cut one ends in its stem
    top = len(one) // 2
    np.testing.assert_array_equal(cut[:top], one[:top])  # the flag and the top of the stem as drawn
    assert (cut <= one).all() and (cut_widths[widths > 0] > 0).all()  # only ink taken, the stem never broken


def test_without_foot_leaves_a_footless_1_alone(roboto):
    assert without_foot(render_strip("1", roboto, size=48, margin=0).ink) is None


def test_footless_variants_change_the_1_only_of_fonts_that_have_a_foot(fonts):
    by_name = {f.name: f for f in fonts}
    variants = {f.name: f for f in footless_variants([by_name["DejaVu Sans"], by_name["Roboto"]])}
    assert list(variants) == ["DejaVu Sans (footless 1)"]
    variant, plain = variants["DejaVu Sans (footless 1)"], by_name["DejaVu Sans"]
    assert variant.family == plain.family and variant.footless and not plain.footless
    assert footless_variants([variant]) == []
    for text in ("1", "7", "4170"):
        drawn, as_before = render_strip(text, variant, size=40), render_strip(text, plain, size=40)
        assert np.array_equal(drawn.ink, as_before.ink) == ("1" not in text)
    assert _rows_width(render_text("1", variant, size=40))[-2] < _rows_width(render_text("1", plain, size=40))[-2] / 2


def _flag(coverage):
    """(drop, reach) of an upright 1's flag: the rows below the top that hold ink left of the
    stem, and the columns of ink left of it (the stem: the ink of the middle row)."""
    ink = coverage >= 0.5
    rows = np.flatnonzero(ink.any(axis=1))
    top, height = rows[0], rows[-1] - rows[0] + 1
    stem_left = np.flatnonzero(ink[top + height // 2])[0]
    beside = np.flatnonzero(ink[:top + height // 2, :stem_left - 1].any(axis=1))
    return beside[-1] - top, stem_left - np.flatnonzero(ink.any(axis=0))[0]


@pytest.mark.parametrize("name", ["DejaVu Sans", "Lato Light", "Source Sans Pro", "Caladea"])
def test_long_flag_draws_the_flag_of_a_1_further_down_and_out_and_leaves_its_stem(fonts, name):
    font = next(f for f in fonts if f.name == name)
    one = render_strip("1", font, size=48, margin=0).ink
    longer, added = long_flag(one)
    assert longer.shape[1] == one.shape[1] + added
    (drop, reach), (new_drop, new_reach) = _flag(one), _flag(longer)
    height = np.ptp(np.flatnonzero((one >= 0.5).any(axis=1))) + 1
    # About 1.8 times as long, unless its tip would then fall below the top 40% (Lato Light's).
    assert new_drop >= min(1.4 * drop, 0.4 * height - 2) and new_reach >= 1.25 * reach
    assert new_drop <= 0.4 * height + 1
    middle = len(one) // 2
    np.testing.assert_array_equal(longer[middle:len(one), added:], one[middle:])  # the stem as drawn
    assert (longer[:len(one), added:] >= one).all() and not longer[len(one):].any()


def test_long_flag_finds_no_flag_on_a_bare_stem():
    stem = np.zeros((40, 12), np.float32)
    stem[:, 4:8] = 1
    assert long_flag(stem) is None


def test_long_flag_variants_lengthen_the_flag_and_drop_the_foot_of_the_1_only(fonts):
    by_name = {f.name: f for f in fonts}
    variants = {f.name: f for f in long_flag_variants([by_name["DejaVu Sans"], by_name["Roboto"]])}
    assert list(variants) == ["DejaVu Sans (long flag 1)", "Roboto (long flag 1)"]
    dejavu, roboto = variants["DejaVu Sans (long flag 1)"], variants["Roboto (long flag 1)"]
    assert dejavu.family == "DejaVu Sans" and dejavu.long_flag and dejavu.footless  # it stood on a foot
    assert roboto.long_flag and not roboto.footless
    assert long_flag_variants([dejavu]) == []
    plain = by_name["DejaVu Sans"]
    for text in ("1", "7", "4170"):
        drawn, as_before = render_strip(text, dejavu, size=40), render_strip(text, plain, size=40)
        assert np.array_equal(drawn.ink, as_before.ink) == ("1" not in text)
    strip = render_strip("717", dejavu, size=40, margin=0)
    one = strip.boxes[1]
    footless = footless_variants([plain])[0]
    assert one[2] > render_strip("1", footless, size=40).boxes[0][2]  # the 1's box holds its longer flag
    assert strip.ink[one[1]:one[1] + one[3], one[0]:one[0] + one[2]].max() == 1.0
