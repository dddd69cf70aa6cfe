"""Tests for ocr.binarize: polarity, ink = 255 on 0 whatever the input, blank images, noise."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from ocr import binarize, image, segment

FONT = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 24)


def render(text: str = "401729", *, ink: int = 0, paper: int = 255, size=(150, 32)) -> np.ndarray:
    """uint8 (H, W) strip of `text` in DejaVu Sans 24 px, `ink` on `paper`."""
    im = Image.new("L", size, paper)
    ImageDraw.Draw(im).text((8, 2), text, fill=ink, font=FONT)
    return np.asarray(im)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_ink_mask_is_binary_uint8_with_ink_on_the_dark_pixels():
    gray = render()
    ink = binarize.ink_mask(gray)
    assert ink.dtype == np.uint8 and ink.shape == gray.shape
    assert set(np.unique(ink).tolist()) == {0, 255}
    assert gray[ink == 255].max() < gray[ink == 0].min()  # one global threshold
    assert 0.05 < (ink > 0).mean() < 0.4  # the ink is the minority


@pytest.mark.parametrize("method", ["otsu", "adaptive"])
def test_both_polarities_give_the_same_mask(method):
    dark_on_light = binarize.ink_mask(render(), method=method)
    light_on_dark = binarize.ink_mask(render(ink=255, paper=0), method=method)
    assert np.count_nonzero(dark_on_light != light_on_dark) <= 0.01 * (dark_on_light > 0).sum()


@pytest.mark.parametrize(("ink", "paper", "expected"), [(0, 255, True), (255, 0, False), (90, 160, True), (200, 60, False)])
def test_is_dark_on_light(ink, paper, expected):
    assert binarize.is_dark_on_light(render(ink=ink, paper=paper)) is expected


def test_polarity_survives_a_glyph_touching_the_border():
    gray = render("8", paper=255, size=(14, 20))  # the glyph fills most of the image
    assert binarize.is_dark_on_light(gray)
    assert binarize.is_dark_on_light(render(ink=0, paper=255)[4:28, 8:30])


@pytest.mark.parametrize(
    "gray",
    [
        np.full((32, 150), 255, np.uint8),
        np.zeros((32, 150), np.uint8),
        np.random.default_rng(1).integers(120, 136, (32, 150)).astype(np.uint8),  # p99 - p1 < 24
        np.clip(np.random.default_rng(2).normal(128, 10, (32, 150)), 0, 255).astype(np.uint8),
        np.tile(np.linspace(100, 120, 150), (32, 1)).astype(np.uint8),  # a faint gradient
    ],
    ids=["white", "black", "low-contrast", "flat-noise", "gradient"],
)
@pytest.mark.parametrize("method", ["otsu", "adaptive"])
def test_blank_images_give_an_empty_mask(gray, method):
    assert not binarize.ink_mask(gray, method=method).any()


def test_low_contrast_but_clean_text_is_kept():
    ink = binarize.ink_mask(render(ink=110, paper=150))
    assert len(segment.glyph_boxes(ink)) == 6


@pytest.mark.parametrize("sigma", [5, 10, 20, 30])
def test_gaussian_noise_keeps_every_glyph(sigma, rng):
    clean = binarize.ink_mask(render(ink=60, paper=200))
    noisy = np.clip(render(ink=60, paper=200) + rng.normal(0, sigma, (32, 150)), 0, 255).astype(np.uint8)
    ink = binarize.ink_mask(noisy)
    assert len(segment.glyph_boxes(ink)) == 6
    overlap = np.count_nonzero(ink & clean) / np.count_nonzero(ink | clean)
    assert overlap > 0.75


def test_noise_level_estimates_sigma(rng):
    flat = np.full((64, 128), 128.0)
    for sigma in (5, 10, 20):
        noisy = np.clip(flat + rng.normal(0, sigma, flat.shape), 0, 255).astype(np.uint8)
        assert binarize.noise_level(noisy) == pytest.approx(sigma, rel=0.1)
    assert binarize.noise_level(np.full((2, 50), 9, np.uint8)) == 0.0


def test_jpeg_artefacts_keep_every_glyph():
    _, data = cv2.imencode(".jpg", render(), [cv2.IMWRITE_JPEG_QUALITY, 15])
    assert len(segment.glyph_boxes(binarize.ink_mask(image.load(data.tobytes())))) == 6


def test_coloured_captcha_background(rng):
    h, w = 32, 150
    red, green = np.meshgrid(np.linspace(150, 255, w), np.linspace(180, 230, h))
    background = np.stack([red, green, np.full((h, w), 200.0)], axis=2)  # (h, w, 3) gradient
    glyphs = render() < 128
    rgb = background.copy()
    rgb[glyphs] = (40, 20, 120)  # dark blue digits
    rgb = np.clip(rgb + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    ink = binarize.ink_mask(image.load(rgb))
    assert len(segment.glyph_boxes(ink)) == 6


def test_adaptive_handles_uneven_lighting():
    shade = np.tile(np.linspace(0.35, 1.0, 150), (32, 1))
    gray = (render(ink=40, paper=230) * shade).astype(np.uint8)  # dark left, bright right
    assert len(segment.glyph_boxes(binarize.ink_mask(gray, method="adaptive"))) == 6


def test_unknown_method():
    with pytest.raises(ValueError, match="method"):
        binarize.ink_mask(render(), method="sauvola")


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)))
def test_any_gray_image_gives_a_binary_mask(gray):
    for method in ("otsu", "adaptive"):
        ink = binarize.ink_mask(gray, method=method)
        assert ink.shape == gray.shape and ink.dtype == np.uint8
        assert np.isin(ink, (0, 255)).all()


@pytest.mark.parametrize(("ink", "paper"), [(30, 230), (230, 30)], ids=["dark-on-light", "light-on-dark"])
@pytest.mark.parametrize("darkest", [0.2, 0.4])
def test_shading_gives_one_component_per_digit(ink, paper, darkest):
    """Global Otsu alone paints the shaded paper as one blob (dark ink) or loses the digits."""
    shade = np.tile(np.linspace(darkest, 1.0, 150), (32, 1))  # (32, 150) dark left, bright right
    gray = (render(ink=ink, paper=paper) * shade).astype(np.uint8)
    found = segment.glyph_boxes(binarize.ink_mask(gray))
    expected = segment.glyph_boxes(binarize.ink_mask(render()))
    assert len(found) == len(expected) == 6
    for (x, y, w, h), (ex, ey, ew, eh) in zip(found, expected):
        assert abs(x - ex) <= 1 and abs(y - ey) <= 1 and abs(w - ew) <= 2 and abs(h - eh) <= 2


def test_paper_level_follows_a_gradient_and_ignores_the_ink():
    shade = np.tile(np.linspace(0.3, 1.0, 150), (32, 1))
    gray = (render(ink=30, paper=230) * shade).astype(np.uint8)
    paper = binarize.paper_level(gray).astype(np.float64)
    assert paper.shape == gray.shape
    assert np.abs(paper - 230 * shade).max() < 20


def test_blotchy_or_textured_paper_without_print_gives_an_empty_mask(rng):
    blotches = cv2.GaussianBlur(rng.normal(0, 1, (48, 200)).astype(np.float32), (0, 0), 6)
    paper = np.clip(205 + 15 * blotches / blotches.std(), 0, 255).astype(np.uint8)
    for method in ("otsu", "adaptive"):
        assert not binarize.ink_mask(paper, method=method).any()
    # faint print on the same paper (ink at about half its brightness) is still print
    faint = np.minimum(paper, render(ink=110, paper=255, size=(200, 48)))
    assert segment.glyph_boxes(binarize.ink_mask(faint)) != []


def test_touching_bold_light_digits_on_dark_are_light_ink():
    # Touching digits form no glyph-like component and their loops do: the border of the
    # strip, all dark, tells which class is the paper. (The old rule read this one inverted.)
    from synth import fonts as font_lib
    from synth.styles import make_sample

    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    sample = make_sample("touching", np.random.default_rng([2029, 140]), held_out)
    gray = image.load(sample.image)
    assert (sample.text, sample.font) == ("64879992", "Roboto Black")
    assert gray[0].mean() < 100  # light digits on a dark ground
    assert not binarize.is_dark_on_light(gray)


def test_a_framed_panel_is_the_paper_of_a_plate_round_one_digit_and_nothing_else():
    """One digit in a frame on a dark surround: the polarity test takes the plate's panel for ink,
    and `framed_panel` recognises that mask. Touching bold digits and an empty frame are no panel."""
    from synth import fonts as font_lib
    from synth.styles import make_sample

    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    panels = 0
    for i in range(20):
        gray = image.load(make_sample("plate", np.random.default_rng([41, i]), held_out, text=str(i % 10)).image)
        _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        if binarize.border_share(light) <= binarize.BORDER_CLEAR:  # surround as dark as the frame
            assert not binarize.is_dark_on_light(gray)  # the panel taken for ink ...
            assert binarize.framed_panel(binarize.ink_mask(gray))  # ... and recognised as a panel
            panels += 1
        else:
            assert not binarize.framed_panel(binarize.ink_mask(gray))
    assert panels >= 5
    for i in range(20):
        gray = image.load(make_sample("touching", np.random.default_rng([43, i]), held_out).image)
        assert not binarize.framed_panel(binarize.ink_mask(gray)), i
    empty = np.zeros((40, 100), np.uint8)
    empty[6:34, 8:92] = 255  # a panel with nothing printed on it
    assert not binarize.framed_panel(empty)
    empty[12:28, 40:50] = 0  # one stroke printed on it
    assert binarize.framed_panel(empty)


def test_cloudy_paper_is_blank_but_soft_print_on_it_is_not(rng):
    clouds = cv2.GaussianBlur(rng.normal(0, 1, (48, 200)).astype(np.float32), (0, 0), 8)
    paper = np.clip(160 + 15 * clouds / clouds.std(), 0, 255).astype(np.uint8)  # dark blotches
    assert not binarize.ink_mask(paper).any()
    soft = cv2.GaussianBlur(np.minimum(paper, render(ink=60, paper=255, size=(200, 48))), (0, 0), 1.0)
    assert len(segment.glyph_boxes(binarize.ink_mask(soft))) >= 6  # its six digits (and a dark blotch)


def _full_rule(light: np.ndarray) -> bool:
    """The polarity rule of ``_light_is_ink`` with every count measured (no bound)."""
    dark = cv2.bitwise_not(light)
    n_light, n_dark = binarize._glyphlike(light), binarize._glyphlike(dark)
    if abs(n_light - n_dark) >= 2:
        return n_light > n_dark
    border = binarize.border_share(light)
    if border <= binarize.BORDER_CLEAR or border >= 1 - binarize.BORDER_CLEAR:
        return border <= binarize.BORDER_CLEAR
    if n_light != n_dark:
        return n_light > n_dark
    gap = binarize._thinness(light) - binarize._thinness(dark)
    if abs(gap) >= binarize.THINNESS_MARGIN:
        return gap > 0
    return binarize._light_fraction(light) < 0.5


def _rings_on_a_line(ring_height: int) -> np.ndarray:
    """Two dark rings overlapping by half and a "17", all joined by one thin curve, on light paper.

    The ink is one component, too wide to look like a glyph; the paper the rings and the
    curve close off forms several glyph-like pieces when the rings are tall enough.
    """
    gray = np.full((60, 160), 245, np.uint8)
    for cx in (40, 52):
        cv2.ellipse(gray, (cx, 30), (14, ring_height // 2), 0, 0, 360, 90, 4)
    cv2.putText(gray, "17", (86, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 90, 4)
    cv2.line(gray, (5, 34), (155, 28), 90, 2)
    return gray


def test_a_light_border_and_thick_paper_outvote_glyph_like_paper_between_joined_strokes():
    # A captcha's curve joins every digit into one component and the paper it closes off
    # between overlapping strokes looks like glyphs: the count of glyph-like components
    # says the paper is the ink. The border (all light) and the thickness of the light
    # class (wide open, the ink thin) both say it is not, and together they decide.
    gray = _rings_on_a_line(44)
    _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    assert binarize._glyphlike(light) >= binarize._glyphlike(cv2.bitwise_not(light)) + 2
    assert binarize._glyph_vote(light)  # the vote alone is wrong here
    assert binarize.is_dark_on_light(gray)
    assert not binarize.is_dark_on_light(gray, vote_only=True)  # as the shipped networks were trained
    ink = binarize.ink_mask(gray)
    assert gray[ink > 0].max() < gray[ink == 0].min()  # the mask holds the dark strokes
    assert not np.array_equal(ink, binarize.ink_mask(gray, vote_only=True))


def test_the_border_check_leaves_the_vote_alone_where_the_vote_agrees_with_the_border():
    gray = _rings_on_a_line(36)  # shorter rings close off no glyph-like paper: the vote is right
    assert binarize.is_dark_on_light(gray) and binarize.is_dark_on_light(gray, vote_only=True)
    for inverted in (cv2.bitwise_not(gray), cv2.bitwise_not(_rings_on_a_line(44))):
        assert not binarize.is_dark_on_light(inverted)


def test_polarity_bound_decides_as_the_full_rule_on_every_style():
    """Counting the paper's components off the sides instead of measuring them changes no decision,
    whether the bound settles it (most strips) or not (many loops: 0, 6, 8, 9; busy captchas)."""
    from synth import fonts as font_lib
    from synth.styles import STYLES, make_sample

    fonts = font_lib.bundled_fonts()
    splits, settled, clear = [], 0, 0
    for style in sorted(STYLES):
        for i in range(12):
            gray = image.load(make_sample(style, np.random.default_rng([31, i]), fonts).image)
            _, light = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
            splits += [light, cv2.bitwise_not(light)]
    for text in ("808080", "0000000", "4444", "9696"):  # loops that can outnumber the glyphs
        _, light = cv2.threshold(render(text), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        splits.append(light)
    for light in splits:
        assert binarize._glyph_vote(light) == _full_rule(light)  # the vote the bound is part of
        border = binarize.border_share(light)
        if border >= 1 - binarize.BORDER_CLEAR:
            clear += 1
            settled += binarize._off_the_sides(light) < binarize._glyphlike(cv2.bitwise_not(light)) + 2
    assert 0 < settled < clear  # the bound settled some clear-bordered strips, not all


def test_component_stats_match_labelling_the_whole_mask():
    """Labelled inside the ink's bounding box, the components keep their image coordinates."""
    ink = binarize.ink_mask(render("40172"))
    labels, rows, (x0, y0) = binarize.component_stats(ink)
    _, full_labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert rows == stats[1:].tolist() and (x0, y0) != (0, 0)
    h, w = labels.shape
    np.testing.assert_array_equal(full_labels[y0 : y0 + h, x0 : x0 + w], labels)
    assert binarize.component_stats(np.zeros((8, 8), np.uint8))[1] == []


def test_component_stats_number_components_as_opencvs_default_labelling():
    """The faster labelling algorithm gives the default's labels, order and statistics."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        h, w = rng.integers(2, 60), rng.integers(2, 200)
        mask = (rng.random((h, w)) < rng.uniform(0.1, 0.9)).astype(np.uint8) * 255
        mask[0, 0] = 255  # the bounding box is the whole mask
        labels, rows, _ = binarize.component_stats(mask)
        _, expected_labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        assert rows == stats[1:].tolist()
        np.testing.assert_array_equal(labels[: h, : w], expected_labels[: labels.shape[0], : labels.shape[1]])


def test_mask_contrast_tells_print_from_paper_taken_for_ink():
    symbol = render("#", ink=65, paper=236, size=(166, 44)).copy()
    symbol[36:38, 60:160] = 120  # a rule beside it, as on a form
    right, flipped = binarize.ink_mask(symbol, light_ink=False), binarize.ink_mask(symbol, light_ink=True)
    assert np.count_nonzero(flipped) > 2 * np.count_nonzero(right)  # flipped, the paper round the "#" is "ink"
    assert binarize.mask_contrast(symbol, right) > 0.5
    assert binarize.mask_contrast(symbol, flipped) < 0.1
    light = render(ink=230, paper=30)
    assert binarize.mask_contrast(light, binarize.ink_mask(light, light_ink=True)) > 0.9
    assert binarize.mask_contrast(light, binarize.ink_mask(light, light_ink=False)) < 0.1
    assert binarize.mask_contrast(light, np.zeros_like(light)) == 0.0
