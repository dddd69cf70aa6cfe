"""Decoding: digits kept, "not a digit" refused, noise dropped, expected length honoured."""

import numpy as np
import pytest

from ocr.decode import best_reading

CLASSES = [str(d) for d in range(10)] + ["reject"]


def rows(*winners, p=0.9):
    """One probability row per winner class index, the rest spread evenly."""
    out = np.full((len(winners), 11), (1 - p) / 10)
    out[np.arange(len(winners)), winners] = p
    return out


def boxes(n, h=20):
    return [(10 * i, 0, 8, h) for i in range(n)]


def test_digits_in_order_with_boxes_and_alternatives():
    proba = rows(4, 0, 1, 7)
    reading = best_reading(proba, boxes(4), classes=CLASSES)
    assert reading.text == "4017"
    assert [g.box for g in reading.glyphs] == boxes(4)
    assert reading.glyphs[0].prob == pytest.approx(0.9)
    assert len(reading.glyphs[0].alternatives) == 2
    assert reading.confidence == pytest.approx(0.9**4)


def test_refused_glyph_is_marked_not_guessed_or_dropped_on_request():
    proba = rows(3, 10, 8)
    assert best_reading(proba, boxes(3), classes=CLASSES).text == "3?8"
    assert best_reading(proba, boxes(3), classes=CLASSES).confidence == 0.0
    assert best_reading(proba, boxes(3), classes=CLASSES, drop_rejected=True).text == "38"


def test_small_refused_segment_is_noise_and_dropped():
    b = boxes(3)
    b[1] = (10, 5, 3, 4)  # a speck between two digits
    assert best_reading(rows(3, 10, 8), b, classes=CLASSES).text == "38"


def test_nothing_digit_like_reads_empty():
    reading = best_reading(rows(10, 10), boxes(2), classes=CLASSES)
    assert reading.text == "" and reading.confidence == 0.0 and reading.glyphs == ()
    assert best_reading(np.zeros((0, 11)), [], classes=CLASSES).text == ""


def test_expected_length_keeps_the_most_digit_like_segments():
    proba = rows(1, 2, 3, 4)
    proba[2, 10] = 0.5  # segment 2 is half "not a digit"
    proba[2, 3] = 0.5
    reading = best_reading(proba, boxes(4), classes=CLASSES, length=3)
    assert reading.text == "124"
