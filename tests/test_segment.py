"""Tests for ocr.segment: exact boxes on rendered strips, rules, frames, specks, broken strokes."""

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


def render_glyphs(text: str, *, size=(160, 32), x0: int = 8, gap: int = 6):
    """Dark-on-light strip of `text`, and each glyph's true box from rendering it alone."""
    strip = Image.new("L", size, 255)
    draw = ImageDraw.Draw(strip)
    boxes, x = [], x0
    for ch in text:
        draw.text((x, 2), ch, fill=0, font=FONT)
        alone = Image.new("L", size, 255)
        ImageDraw.Draw(alone).text((x, 2), ch, fill=0, font=FONT)
        boxes.append(cv2.boundingRect((np.asarray(alone) < 128).astype(np.uint8)))
        x += int(draw.textlength(ch, font=FONT)) + gap
    return np.asarray(strip), boxes


def rectangles(shape, *boxes) -> np.ndarray:
    """uint8 ink mask with filled rectangles (x, y, w, h)."""
    ink = np.zeros(shape, np.uint8)
    for x, y, w, h in boxes:
        ink[y : y + h, x : x + w] = 255
    return ink


def assert_boxes_close(found, expected, tol=1):
    assert len(found) == len(expected), (found, expected)
    for f, e in zip(found, expected):
        assert np.abs(np.subtract(f, e)).max() <= tol, (f, e)


@pytest.mark.parametrize("text", ["401729", "1111", "80", "3141592"])
def test_rendered_strip_gives_one_tight_box_per_glyph_left_to_right(text):
    gray, expected = render_glyphs(text)
    found = segment.glyph_boxes(binarize.ink_mask(gray))
    assert_boxes_close(found, expected)
    assert [b[0] for b in found] == sorted(b[0] for b in found)


def test_hershey_strip():
    gray = np.full((40, 180), 255, np.uint8)
    cv2.putText(gray, "907354", (6, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2, cv2.LINE_AA)
    assert len(segment.glyph_boxes(binarize.ink_mask(gray))) == 6


def test_exact_boxes_of_rectangles_and_a_thin_one():
    ink = rectangles((30, 60), (4, 5, 10, 18), (20, 5, 2, 18), (30, 6, 11, 17))
    assert segment.glyph_boxes(ink) == [(4, 5, 10, 18), (20, 5, 2, 18), (30, 6, 11, 17)]


def test_specks_and_dots_are_dropped():
    ink = rectangles((30, 60), (4, 5, 10, 18), (30, 5, 10, 18), (20, 25, 2, 2), (50, 2, 1, 1), (45, 12, 4, 4))
    assert segment.glyph_boxes(ink) == [(4, 5, 10, 18), (30, 5, 10, 18)]


def test_a_thin_scratch_is_dropped_but_a_one_is_not():
    ink = rectangles((30, 60), (4, 5, 10, 18), (20, 5, 3, 18), (30, 5, 1, 9), (40, 5, 10, 18))
    assert segment.glyph_boxes(ink) == [(4, 5, 10, 18), (20, 5, 3, 18), (40, 5, 10, 18)]


def test_short_components_are_kept_when_alone():
    ink = rectangles((30, 60), (10, 10, 3, 3), (30, 12, 4, 4))
    assert segment.glyph_boxes(ink) == [(10, 10, 3, 3), (30, 12, 4, 4)]


def test_underline_and_strike_are_dropped():
    gray, expected = render_glyphs("5083")
    gray = gray.copy()
    gray[30:32, 4:120] = 0  # underline, not touching the digits
    ink = binarize.ink_mask(gray)
    assert_boxes_close(segment.glyph_boxes(ink), expected)


def test_frame_around_the_digits_is_dropped():
    gray, expected = render_glyphs("2764", size=(110, 32))
    ink = binarize.ink_mask(gray)
    framed = np.pad(ink, 3)  # room for a 1-px frame 1 px outside the strip
    cv2.rectangle(framed, (1, 1), (framed.shape[1] - 2, framed.shape[0] - 2), 255, 1)
    found = segment.glyph_boxes(framed)
    assert_boxes_close(found, [(x + 3, y + 3, w, h) for x, y, w, h in expected])


def test_broken_stroke_is_merged_into_one_box():
    # an "8"-sized glyph broken across the middle, and a thin piece lying inside a wider one
    ink = rectangles((30, 60), (4, 5, 10, 8), (5, 14, 9, 9), (25, 5, 12, 18), (42, 5, 8, 8), (44, 15, 3, 8))
    assert segment.glyph_boxes(ink) == [(4, 5, 10, 18), (25, 5, 12, 18), (42, 5, 8, 18)]


def test_side_by_side_glyphs_are_not_merged():
    ink = rectangles((30, 60), (4, 5, 10, 18), (13, 5, 10, 18))  # touching columns, 1 px overlap at most
    ink[:, 13] = 0
    assert len(segment.glyph_boxes(ink)) == 2


def test_empty_mask_gives_no_boxes():
    assert segment.glyph_boxes(np.zeros((24, 100), np.uint8)) == []
    assert segment.glyph_boxes(rectangles((24, 100), (0, 10, 100, 2))) == []  # only a rule


@pytest.mark.parametrize(
    ("box", "pad", "expected"),
    [((10, 2, 5, 5), 2, (8, 0, 9, 9)), ((0, 0, 5, 5), 3, (0, 0, 8, 8)), ((17, 7, 3, 3), 4, (13, 3, 7, 7))],
)
def test_pad_box_is_clipped_to_the_image(box, pad, expected):
    assert segment.pad_box(box, pad, (10, 20)) == expected


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=30)))
def test_boxes_lie_inside_the_image_and_are_sorted(mask):
    ink = mask.astype(np.uint8) * 255
    boxes = segment.glyph_boxes(ink)
    height, width = ink.shape
    for x, y, w, h in boxes:
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height
        assert ink[y : y + h, x : x + w].any()
    assert boxes == sorted(boxes)


# --- hard strips: lines across the glyphs, italics, overlapping glyphs, cut points -------


def crossed_strip(text="40172", *, thickness=2, wave=0.0):
    """A 40 px strip with a line (straight, or a sine `wave` px high) drawn across it all."""
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 40)
    gray = Image.new("L", (260, 56), 255)
    draw = ImageDraw.Draw(gray)
    boxes, x = [], 10
    for ch in text:
        alone = Image.new("L", gray.size, 255)
        ImageDraw.Draw(alone).text((x, 4), ch, fill=0, font=font)
        draw.text((x, 4), ch, fill=0, font=font)
        boxes.append(cv2.boundingRect((np.asarray(alone) < 128).astype(np.uint8)))
        x += int(draw.textlength(ch, font=font)) + 10
    gray = np.array(gray)
    xs = np.arange(gray.shape[1])
    ys = (34 + wave * np.sin(xs / 16.0)).astype(np.int32)
    cv2.polylines(gray, [np.stack([xs, ys], axis=1).reshape(-1, 1, 2)], False, 0, thickness)
    return gray, boxes


@pytest.mark.parametrize("wave", [
    0.0,
    pytest.param(4.0, marks=pytest.mark.xfail(strict=True, reason="known limit: a wavy line is followed "
                                              "only in part, and what is left joins two digits")),
], ids=["straight", "curved"])
def test_a_line_across_the_digits_is_removed_and_each_digit_found_again(wave):
    gray, truth = crossed_strip(wave=wave)
    ink = binarize.ink_mask(gray)
    assert len(segment.glyph_boxes(ink)) < len(truth)  # the line joins them into one component
    found = segment.find_glyphs(ink)
    assert len(found.boxes) == len(truth) and found.slant == 0.0
    for (x, _, w, _), (tx, _, tw, _) in zip(found.boxes, truth):
        assert abs((x + w / 2) - (tx + tw / 2)) <= 4 and 0.5 * tw <= w <= tw + 3  # a foot may go
    # the line is gone between the digits, and the digits keep their ink
    gaps = [(a[0] + a[2] + 1, b[0] - 1) for a, b in zip(truth, truth[1:])]
    assert all(not found.ink[:, x0:x1].any() for x0, x1 in gaps if x1 > x0)
    assert all(found.ink[y : y + h, x : x + w].sum() > 0.6 * ink[y : y + h, x : x + w].sum()
               for x, y, w, h in truth)


def test_a_clean_strip_is_left_alone():
    gray, truth = render_glyphs("40172")
    ink = binarize.ink_mask(gray)
    found = segment.find_glyphs(ink)
    assert found.ink is ink and found.slant == 0.0 and found.boxes == segment.glyph_boxes(ink)


def test_a_field_underline_with_ticks_is_a_rule_not_digits():
    gray, truth = render_glyphs("4017")
    gray = gray.copy()
    gray[30:32, :] = 0  # the underline of a comb field …
    for x in range(2, 160, 22):
        gray[22:32, x : x + 2] = 0  # … and its ticks
    found = segment.find_glyphs(binarize.ink_mask(gray))
    assert len(found.boxes) == 4


def test_italic_print_is_sheared_upright():
    gray, truth = render_glyphs("4017", gap=0)
    slanted = segment.shear((gray < 128).astype(np.uint8) * 255, -0.3)  # lean the strip right
    slant = segment.estimate_slant(slanted)
    assert slant == pytest.approx(0.3)
    upright = segment.shear(slanted, slant)
    # sheared back, the strip's ink lines up with the original again
    assert segment.estimate_slant(upright) == 0.0


def test_boxes_found_in_sheared_ink_map_back_inside_the_image():
    height = 32
    for slant in (-0.4, 0.2, 0.4):
        box = (30, 5, 12, 20)
        back = segment.unshear_box(segment.shear_box(box, slant, height), slant, height)
        x, y, w, h = back
        assert (y, h) == (5, 20) and x <= 30 + 1 and x + w >= 30 + 12 - 1  # covers the original


def test_boxes_overlapping_in_x_are_joined_for_the_decoder():
    ink = np.zeros((30, 80), np.uint8)
    ink[5:8, 5:27] = 255  # a "7"'s bar hanging over …
    ink[5:25, 16:19] = 255
    ink[12:25, 21:33] = 255  # … the next glyph, which it does not touch
    ink[5:25, 45:55] = 255
    assert len(segment.glyph_boxes(ink)) == 3
    found = segment.find_glyphs(ink)
    assert found.boxes == [(5, 5, 28, 20), (45, 5, 10, 20)]


def test_cut_points_add_a_grid_to_the_projection_minima():
    ink = np.zeros((25, 60), np.uint8)
    ink[:, 2:58] = 255  # a solid block: no minimum at all
    points = segment.cut_points(ink, (2, 0, 56, 25))
    assert points and all(2 < p < 58 for p in points)
    assert max(np.diff([2, *points, 58])) <= 2 + round(segment.GRID * 25)


def test_a_box_around_the_digits_beside_a_caption_is_a_frame():
    # "Ref 2764" with the number in a box: the box spans well under 60% of the strip's
    # width, yet it surrounds glyph-tall components, so it is a field's box, not a glyph
    gray, expected = render_glyphs("2764", size=(110, 32))
    ink = np.pad(binarize.ink_mask(gray), 3)
    cv2.rectangle(ink, (1, 1), (ink.shape[1] - 2, ink.shape[0] - 2), 255, 1)
    caption = np.zeros((ink.shape[0], 120), np.uint8)
    caption[12:30, 10:14] = 255  # a caption's letters: upright strokes
    caption[12:30, 40:44] = 255
    strip = np.hstack([caption, ink])
    found = segment.glyph_boxes(strip)
    digits = [b for b in found if b[0] >= 120]
    assert_boxes_close(digits, [(x + 123, y + 3, w, h) for x, y, w, h in expected])


def test_a_loop_holding_a_speck_is_still_a_digit():
    # the rule above needs a glyph-tall component inside: a noise dot in a "0" is not one
    ink = np.zeros((40, 40), np.uint8)
    cv2.ellipse(ink, (20, 20), (12, 16), 0, 0, 360, 255, 3)
    loop = cv2.boundingRect(ink)
    ink[19:22, 19:22] = 255
    assert segment.glyph_boxes(ink) == [loop]


def test_a_shear_that_joins_separate_glyphs_is_not_applied():
    """A comb field photographed at a slant: the digits are upright but the ticks lean.

    The sample is the held-out suite's field 136 (seed 2032, fonts held out): sheared by the
    ticks' lean, the ticks stood up into the digits' columns and all became one segment.
    """
    from synth import dataset
    from synth import fonts as font_lib

    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    sample = next(iter(dataset.iter_samples(1, style="field", seed=2032, fonts=held_out, start=136)))
    assert sample.text == "7434"
    ink = binarize.ink_mask(image.load(sample.image))
    found = segment.find_glyphs(ink)
    assert len(found.boxes) == 4 and found.slant == 0.0
