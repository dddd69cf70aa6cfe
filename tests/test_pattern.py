"""Patterns: digit counts for the decoder, literals put back in the printed reading."""

import pytest

from ocr.decode import Glyph, Reading
from ocr.errors import InputError
from ocr.pattern import parse


def reading(digits, xs):
    glyphs = tuple(Glyph(d, (x, 0, 8, 20), 0.9) for d, x in zip(digits, xs))
    return Reading(text=digits, confidence=0.5, glyphs=glyphs)


def test_fixed_groups_give_an_exact_count_and_put_the_literals_back():
    p = parse(r"\d{3}-\d{4}")
    assert p.n_digits == (7, 7)
    assert p.apply_to("5550123", gaps=[2] * 6) == "555-0123"
    assert p.apply_to("555012", gaps=[2] * 5) is None  # one digit short: no match


def test_variable_groups_split_at_the_widest_gap():
    p = parse(r"\d{1,3} \d{3}")
    assert p.n_digits == (4, 6)
    # glyphs at x = 0, 10, 40, 50, 60: the wide gap lies after the second digit
    assert p.apply(reading("12345", [0, 10, 40, 50, 60])).text == "12 345"
    # the second group must hold three: the split cannot follow the wide gap after "123"
    assert p.apply(reading("12345", [0, 10, 20, 50, 60])).text == "12 345"
    assert parse(r"\d{1,3} \d{2,3}").apply(reading("12345", [0, 10, 20, 50, 60])).text == "123 45"
    assert p.apply(reading("1234", [0, 30, 40, 50])).text == "1 234"


def test_prefix_suffix_escapes_and_shorthands():
    p = parse(r"No. \d+\.")
    assert p.parts == ("No. ", (1, 40), ".")
    assert parse(r"\d\d").n_digits == (2, 2)
    assert parse(r"\{\d{2,3}\}").apply_to("42", gaps=[1]) == "{42}"


def test_a_reading_that_cannot_fit_reads_empty():
    p = parse(r"\d{2}-\d{2}")
    assert p.apply(reading("123", [0, 10, 20])).text == ""
    assert p.apply(Reading(text="1?34", confidence=0.0, glyphs=())).text == ""


@pytest.mark.parametrize("bad", ["[0-9]{4}", r"\d{4,2}", r"\d{0}", "abc", r"\w+", r"(\d)", r"\d*"])
def test_unsupported_or_empty_patterns_are_clear_usage_errors(bad):
    with pytest.raises(InputError, match="pattern"):
        parse(bad)
