"""Debug overlays: the picture holds what explains the reading."""

from dataclasses import replace

import numpy as np

from ocr.decode import Glyph, Reading
from ocr.overlay import debug_overlay
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
