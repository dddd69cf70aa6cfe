"""Debug overlays: the picture holds what explains the reading."""

from dataclasses import replace

import numpy as np

from ocr.decode import Glyph, Reading
from ocr.overlay import debug_overlay, header_lines
from ocr.reader import Trace

CLASSES = tuple("0123456789") + ("reject",)


def _trace() -> Trace:
    ink = np.zeros((20, 40), np.uint8)
    ink[3:17, 10:13] = 255
    reading = Reading(text="1", confidence=0.99, glyphs=(Glyph(char="1", box=(10, 3, 3, 14), prob=0.99),))
    return Trace(gray=255 - ink, ink=ink, boxes=((10, 3, 3, 14),), proba=np.eye(11, dtype=np.float32)[[1]],
                 reading=reading, segments=((10, 3, 3, 14),))


def test_the_header_grows_a_line_for_each_thing_the_reader_weighed():
    glyphs_only = debug_overlay(_trace(), classes=CLASSES)
    nothing = Reading(text="", confidence=0.0, glyphs=(), engine="sequence")
    asked = replace(_trace(), sequence=nothing)
    with_sequence = debug_overlay(asked, classes=CLASSES)
    with_odds = debug_overlay(replace(asked, p_empty=0.29, p_glyphs=0.03), classes=CLASSES)
    assert glyphs_only.ndim == 3 and glyphs_only.dtype == np.uint8
    # one header line for the readings and the kept one, one for the sequence network's odds
    assert with_sequence.shape[0] - glyphs_only.shape[0] == 18
    assert with_odds.shape[0] - with_sequence.shape[0] == 18
    # below the header (one line: 22 rows) the pictures are the same, but for their width
    bands, width = glyphs_only.shape[0] - 22, glyphs_only.shape[1]
    assert np.array_equal(with_odds[-bands:, :width], glyphs_only[-bands:])


def test_the_header_says_which_reading_was_kept_or_that_neither_was():
    glyphs = _trace()
    seq = Reading(text="7", confidence=0.4, glyphs=(), engine="sequence")
    empty = Reading(text="", confidence=0.0, glyphs=(), engine="sequence")
    assert header_lines(glyphs) == ["read: 1  confidence 0.990"]
    assert header_lines(replace(glyphs, sequence=seq))[1].endswith("kept: glyphs")
    took = replace(glyphs, reading=replace(seq, confidence=0.9), sequence=seq, glyph_reading=glyphs.reading)
    assert header_lines(took)[1].endswith("kept: sequence")
    refused = replace(glyphs, reading=empty, sequence=seq, glyph_reading=glyphs.reading, p_empty=0.0, p_glyphs=0.001)
    lines = header_lines(refused)
    assert lines[0].startswith("read: (empty)") and lines[1].endswith("kept: neither (they contradict each other)")
    assert lines[2] == "sequence network: P(no digit) 0.000   P(glyphs' 1) 0.001"
    no_digit = replace(refused, sequence=empty, p_empty=0.9)
    assert header_lines(no_digit)[1].endswith("kept: sequence")  # the network read no digit


def test_the_header_shows_what_the_sequence_network_read_in_each_view():
    glyphs = _trace()
    seq = Reading(text="7", confidence=0.4, glyphs=(), engine="sequence")
    asked = replace(glyphs, sequence=seq, p_empty=0.01, p_glyphs=0.2)
    assert len(header_lines(asked)) == 3 and "views" not in header_lines(asked)[2]
    viewed = replace(asked, sequence_views=("7", "1", "7", "", "7"))
    lines = header_lines(viewed)
    assert lines[2].startswith("sequence network (medians of 5 views): P(no digit) 0.010")
    assert lines[3] == "views: as is 7   narrower 1   wider 7   leaning right (empty)   leaning left 7"
    assert len(lines) == 4  # no wide view was read
    widened = replace(viewed, sequence=replace(seq, text="71", confidence=0.5), sequence_wide=("71", 0.5, True))
    assert header_lines(widened)[4] == "1.6x wider: 71 0.500   taken: more digits, likelier"
    kept = replace(viewed, sequence_wide=("71", 0.3, False))
    assert header_lines(kept)[4] == "1.6x wider: 71 0.300"
    agreed = replace(viewed, reading=replace(seq, confidence=0.9), glyph_reading=viewed.reading,
                     sequence_wide=("7", 0.9, False), sequence_agreed=True)
    assert header_lines(agreed)[4] == "1.6x wider: 7 0.900   agrees with the views: read at this probability"
    assert header_lines(replace(viewed, sequence_wide=("7", 0.9, False)))[4] == "1.6x wider: 7 0.900"
