"""Training glyphs: segments of labelled strips get the right labels, rejects are not digits."""

import numpy as np

from synth import glyphs
from synth.fonts import bundled_fonts, split_held_out
from tests.helpers import print_strip


def test_segments_of_a_clean_strip_get_their_digits():
    gray = print_strip("40172")
    from ocr import binarize, segment

    boxes = segment.glyph_boxes(binarize.ink_mask(gray))
    labelled = glyphs.strip_glyphs(gray, "40172", boxes)
    assert [label for _, label in labelled] == [4, 0, 1, 7, 2]


def test_a_segment_spanning_two_digits_is_not_a_digit_and_its_cut_pieces_are_the_digits():
    gray = print_strip("38")
    from ocr import binarize, segment

    true = segment.glyph_boxes(binarize.ink_mask(gray))
    ink = binarize.ink_mask(gray)
    ink[ink.shape[0] // 2, true[0][0] : true[1][0] + 2] = 255  # a bridge fuses the pair
    fused = np.where(ink > 0, 0, 255).astype(np.uint8)
    labelled = glyphs.strip_glyphs(fused, "38", true)
    assert [label for _, label in labelled] == [glyphs.REJECT, 3, 8]
    whole, three, eight = (crop for crop, _ in labelled)
    # the pieces are cut where the pair joins: each about as wide as its own glyph
    assert abs(three.shape[1] - true[0][2]) <= 3 and abs(eight.shape[1] - true[1][2]) <= 3
    assert whole.shape[1] >= three.shape[1] + eight.shape[1]


def test_harvest_gives_all_eleven_classes_and_normalized_rows():
    train_fonts, _ = split_held_out(bundled_fonts())
    crops, labels = glyphs.harvest(train_fonts, n_strips=30, n_singles=80, n_rejects=40, seed=0, jobs=1)
    assert len(crops) == len(labels) and set(labels.tolist()) == set(range(11))
    X28, X8 = glyphs.vectors(crops, size=28), glyphs.vectors(crops, size=8)
    assert X28.shape == (len(crops), 784) and 0 <= X28.min() and X28.max() <= 1
    assert X8.shape == (len(crops), 64) and X8.max() <= 16
