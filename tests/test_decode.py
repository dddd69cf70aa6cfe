"""Decoding: digits kept, "not a digit" refused, noise dropped, expected length honoured."""

import numpy as np
import pytest

from ocr.decode import best_paths, best_reading, fit_count

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


def test_refused_segments_beside_the_number_are_junk_not_characters():
    # a blot before the digits and a label after them: only a gap inside the number shows
    proba = rows(10, 3, 1, 10, 8, 5, 10)
    assert best_reading(proba, boxes(7), classes=CLASSES).text == "31?85"


def test_a_word_whose_letters_read_as_digits_is_not_a_number():
    # "Wert", "Name": letters set as closely as the digits around them, most refused, a few
    # read as "1" or "7". Refused letters at the ends of the number count against it.
    assert best_reading(rows(10, 1, 7, 10, 10), boxes(5), classes=CLASSES).text == ""
    assert best_reading(rows(1, 10, 10), boxes(3), classes=CLASSES).text == ""
    # a caption set as widely as the digits of a comb field ("Acct: 77415"): as many letters
    # as a long number's digits do not make it writing
    assert best_reading(rows(10, 10, 10, 10, 10, 7, 7, 4, 1, 5), boxes(10), classes=CLASSES).text == "77415"
    # the same letters as a label set apart by a wide gap leave the number alone
    b = [(0, 0, 10, 20), (12, 0, 10, 20), (24, 0, 10, 20), (60, 0, 10, 20), (72, 0, 10, 20), (84, 0, 10, 20)]
    assert best_reading(rows(10, 1, 10, 4, 0, 2), b, classes=CLASSES).text == "402"


def test_digits_only_reads_every_segment_as_its_best_digit():
    proba = rows(10, 3)
    proba[0, 7] = 0.05  # "not a digit" first, "7" the best digit
    reading = best_reading(proba, boxes(2), classes=CLASSES, digits_only=True)
    assert reading.text == "73"
    assert reading.glyphs[0].prob == pytest.approx(0.05)


def test_best_paths_gives_the_best_chain_for_each_piece_count():
    scores = {(0, 3): -0.5, (0, 1): -0.1, (1, 3): -0.2, (1, 2): -0.1, (2, 3): -0.1}
    paths = best_paths(4, scores, max_pieces=3)
    assert paths[1] == (-0.5, [(0, 3)])
    assert paths[2][1] == [(0, 1), (1, 3)] and paths[2][0] == pytest.approx(-0.3)
    assert paths[3][1] == [(0, 1), (1, 2), (2, 3)]
    assert best_paths(3, {(0, 1): -1.0}, max_pieces=2) == {}  # no chain reaches the end


def test_fit_count_reaches_the_expected_count_at_the_best_score():
    noise, digit, pair = {0: -0.1, 1: -4.0}, {0: -6.0, 1: -0.1}, {0: -8.0, 1: -2.0, 2: -0.4}
    assert fit_count([digit, noise, pair], 3, 3) == [1, 0, 2]  # cut the pair, drop the noise
    assert fit_count([digit, noise, pair], 2, 2) == [1, 0, 1]
    assert fit_count([digit, noise], 1, 2) == [1, 0]  # a range: the best total within it
    assert fit_count([digit], 2, 2) is None  # no choice reaches two digits


def test_a_label_beside_the_number_is_not_read_into_it():
    # "No. 4017": the "o" reads as "0" but is short and set apart by a wide gap
    b = [(0, 0, 12, 20), (14, 6, 10, 14), (50, 0, 10, 20), (62, 0, 10, 20), (74, 0, 10, 20), (86, 0, 10, 20)]
    assert best_reading(rows(10, 0, 4, 0, 1, 7), b, classes=CLASSES).text == "4017"
    # evenly spaced digits of several heights (a captcha) all stay
    b = [(0, 4, 10, 14), (12, 0, 10, 20), (24, 0, 10, 20), (36, 2, 10, 17)]
    assert best_reading(rows(2, 4, 7, 2), b, classes=CLASSES).text == "2472"
    # two groups of full-height digits (a plate's "12 345") both stay
    b = [(0, 0, 10, 20), (12, 0, 10, 20), (40, 0, 10, 20), (52, 0, 10, 20), (64, 0, 10, 20)]
    assert best_reading(rows(1, 2, 3, 4, 5), b, classes=CLASSES).text == "12345"


def test_letters_in_the_numbers_group_are_left_out_where_they_outweigh_it():
    # "Invoice 1630160" set as evenly as the digits: "o" reads as "0" between refused letters
    proba = rows(10, 10, 10, 0, 10, 10, 10, 1, 6, 3, 0, 1, 6, 0)
    assert best_reading(proba, boxes(14), classes=CLASSES).text == "1630160"
    # one refused glyph inside a number still shows as "?"
    assert best_reading(rows(4, 0, 10, 1, 7), boxes(5), classes=CLASSES).text == "40?17"


def test_a_short_digit_after_refused_letters_ends_the_label():
    # "No 4017" without a wide gap: "N" refused, the short "o" read as "0"
    b = boxes(6)
    b[1] = (10, 6, 8, 14)
    assert best_reading(rows(10, 0, 4, 0, 1, 7), b, classes=CLASSES).text == "4017"


def test_refused_ticks_taller_than_the_digits_are_rules_not_characters():
    # a comb field: each digit between two ticks that rise above it
    b = []
    for i in range(4):
        b += [(24 * i, 0, 2, 26), (24 * i + 6, 3, 12, 20)]
    b.append((96, 0, 2, 26))
    proba = rows(10, 7, 10, 0, 10, 1, 10, 2, 10)
    assert best_reading(proba, b, classes=CLASSES).text == "7012"
