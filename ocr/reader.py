"""The reading pipeline: the one place that knows the order of the stages.

    image ─load→ gray ─ink_mask→ ink ─find_glyphs→ segments ─glyph_batch→ glyphs
          ─model→ probabilities ─cut touching digits→ pieces ─best_reading→ Reading

Cutting is recognition-driven: inside a segment wide enough to hold touching digits, the
candidate cut columns (``segment.cut_points``) bound pieces that the network reads, and
dynamic programming picks the chain of pieces it reads best. With an expected count
(``length``) or format (``pattern``), a reading that misses it is searched again over
every segment's choices: drop it, read it whole, or cut it into 2-4 digits.

Strips the glyph path may get wrong — a segment wider than a digit (touching digits, a line
crossing a captcha) or a doubtful reading — are also read whole by the sequence network
(``ocr.sequence``, no cutting at all), and the surer of the two readings is kept.

``Reader`` loads a model once and reads many images with it; ``read`` is the one-call
version that keeps a shared default ``Reader``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ocr import binarize, decode, image, normalize, segment
from ocr import model as model_io
from ocr import sequence as sequence_io
from ocr.decode import Reading
from ocr.errors import InputError, OcrError
from ocr.pattern import Pattern
from ocr.pattern import parse as parse_pattern

__all__ = ["Reader", "read", "Trace", "ENGINES", "check_engine"]

ENGINES = ("auto", "glyphs", "sequence")
"""How to read: ``glyphs`` cuts the strip into glyphs and classifies each; ``sequence`` reads
the whole strip with the CTC network (``ocr.sequence``); ``auto`` reads glyphs and asks the
sequence network too when the strip is tangled (a segment wider than a digit) or the glyph
reading is doubtful, keeping whichever reading is surer."""


def check_engine(engine: str) -> None:
    """Raise InputError unless ``engine`` is one of ``ENGINES``."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; valid engines: {', '.join(ENGINES)}")

# A segment this many times wider than high may be touching digits: try to cut it, unless
# the network reads it whole as a digit with at least SURE probability (a wide "0").
WIDE = 0.8
SURE = 0.9
# A piece cut from a wide segment must be read as a digit with at least this probability.
PIECE_SURE = 0.9
# When a count of digits is expected, a segment may be cut into at most this many digits,
# and a segment becomes a digit only if the network gives that digit at least FIT_SURE (a
# piece: PIECE_SURE): a count is never reached by reading letters or half-glyphs as weak
# guesses.
MAX_PIECES = 4
FIT_SURE = 0.3
FIT_HEIGHT = 0.8  # ... and a piece at least this share of its segment's height
# A cut with 3+ pieces narrower than this share of the segment's height, half or more of
# its pieces, is refused (the strokes of a letter; see ``_strokes``).
STROKE_WIDTH = 0.45
# A reading below DOUBT confidence (or empty, or with a refused glyph) gets a second look
# with other ink masks; another mask's reading must reach ALTERNATIVE_SURE to replace it.
DOUBT = 0.5
ALTERNATIVE_SURE = 0.8
# The flipped mask is tried only when its ink and its paper differ in gray by at least this
# share of the image's spread (``binarize.mask_contrast``): print is about 1 (dev captchas
# whose flipped mask won: 0.46 and up), a halo of paper taken for ink about 0.
PRINT_CONTRAST = 0.25
# The sequence network is asked about a strip with a segment this many times wider than high
# (or a doubtful reading); its reading wins when at least SEQUENCE_SURE and either surer than the
# glyphs' or sure that the glyphs' text is wrong: it gives that text less than RULED_OUT
# (SEQUENCE_SURE_ALONE, and SEQUENCE_MIN_ALONE digits unless a length or pattern is expected,
# when the glyphs read nothing: a lone digit seen only by the sequence network is more often a
# letter's stroke, and so is a pair; SEQUENCE_LONG_ALONE digits or more need only SEQUENCE_SURE).
# A glyph reading becomes empty when the sequence network reads nothing with probability
# EMPTY_SURE if the reading is doubtful, EMPTY_SURE_UNDOUBTED if it is not; a doubtful
# one also when the network's own reading is empty and it finds no digit at least EMPTY_OVER times
# likelier than the glyphs' digits (the side of an empty plate frame read as a "1"). A reading
# whose glyphs span less than SPARSE of the ink's width left ink unread, and is asked about too;
# so is one of SHORT digits or fewer (the sides of a frame, a bracket or a letter's stroke read
# as "1", "11" or "10"; the sequence network sees the whole strip).
TANGLED = 1.2
SPARSE = 0.3
SHORT = 2
# A reading whose digits differ in height by at least UNEVEN (standard deviation over the
# median) with a speck of ink beside them (a component under SPECK of that height each way)
# is asked about too: the warp and the dots of a captcha, which the glyph path can misread
# with confidence (printed digits of one font share one height).
UNEVEN = 0.04
SPECK = 0.3
SEQUENCE_SURE = 0.5
SEQUENCE_SURE_ALONE = 0.9
SEQUENCE_MIN_ALONE = 2
# A lone digit seen only by the sequence network is kept all the same when the network is at
# least LONE_SURE of it and gives "no digit" under LONE_NO_DIGIT: a one-digit captcha whose
# lines the glyph path cannot see past. (On 3,600 dev no-digit images, lone digits read at
# 0.99 or more gave "no digit" 2.5e-5 or more; one at 0.979, 2.3e-8.)
LONE_SURE = 0.99
LONE_NO_DIGIT = 1e-7
SEQUENCE_LONG_ALONE = 3
RULED_OUT = 0.01
# A reading the sequence network found only in its wide view (``sequence.WIDE``), where the
# glyphs read nothing, needs this: it was picked as the likelier of two looks, which flatters
# it. (On 3,600 dev no-digit images, such readings reached 0.60; those the reader would keep
# from the package's captchas on dev, 37 of 42 right, 0.74 and up.)
WIDENED_SURE_ALONE = 0.7
# A strip that would be refused, or keep a glyph reading the sequence network rules out, is read
# as the sequence network reads it in its views when its wide view reads the same text with at
# least AGREED_SURE: two looks at different scales agree, the wider one sure (a lone digit
# needs LONE_SURE and LONE_NO_DIGIT here too). (On 3,600 dev no-digit images, such agreeing
# readings reached 0.70; of the captchas the reader refused, 18 of 20 were right at 0.8 and up.)
AGREED_SURE = 0.8
# It also wins, though less sure than the glyphs, when at least OUTWEIGH_SURE of its own text
# while it gives the glyphs' text under OUTWEIGH_RIVAL: two networks near 1 for different
# texts, the one that sees the whole strip giving the other's text odds of about 1 in 6 or worse
# (a long-flagged 1 the glyph network reads as a 7 at 0.97, the sequence network as a 1).
OUTWEIGH_SURE = 0.85
OUTWEIGH_RIVAL = 0.15
# A glyph reading the sequence network rules out, its own reading not kept either, is refused
# unless the glyph path is at least this sure of it. When its own reading would be kept
# instead, the strip is refused if the network gives "no digit" at least EMPTY_DOUBT.
CONTRADICTED = 0.99
EMPTY_DOUBT = 0.05
EMPTY_SURE = 0.5
EMPTY_SURE_UNDOUBTED = 0.6
EMPTY_OVER = 5.0
# Below SEQUENCE_SURE, the sequence network's reading is still kept over a glyph reading it
# rules out (or, of SEQUENCE_LONG_ALONE digits or more, over none) when it gives "no digit"
# under DIGITS_SURE: it is then sure digits are there, unlike what the glyphs read. (On 3,600
# dev no-digit images, those it would so read as digits gave "no digit" 2.5e-11 or more. 1e-12
# instead of 1e-15 reads 108 dev captchas it refused: 25 right, the rest wrong and unsure.)
DIGITS_SURE = 1e-12


@dataclass(frozen=True)
class Trace:
    """Every intermediate value of one read, for debug overlays and tests."""

    gray: np.ndarray  # uint8 (H, W)
    ink: np.ndarray  # uint8 (H, W'), ink 255; sheared by ``slant`` (wider) when not 0
    boxes: tuple[segment.Box, ...]
    proba: np.ndarray  # float32 (n_boxes, n_classes)
    reading: Reading  # its glyph boxes in ``gray``'s pixels
    segments: tuple[segment.Box, ...] = ()  # the segments before any cut
    slant: float = 0.0  # the shear that made ``ink`` upright (boxes and segments are in ``ink``)
    glyph_reading: Reading | None = None  # what the glyph path read, when ``reading`` is another's
    sequence: Reading | None = None  # what the sequence network read, when it was asked
    p_empty: float | None = None  # and the probability it gave "no digit"
    p_glyphs: float | None = None  # and the glyph path's digits (None: it read none)
    sequence_views: tuple[str, ...] = ()  # what it read in each view, when it looked at several
    sequence_wide: tuple[str, float, bool] | None = None  # what it read WIDE times wider, how likely, taken?
    sequence_agreed: bool = False  # read because that wide view agreed with the views (AGREED_SURE)
    light_ink: bool | None = None  # the polarity of ``ink`` when not the polarity test's


class Reader:
    """Reads digit strips with one model, loaded once.

    Args:
        model: a model file path, a loaded ``Model``, or None for the shipped 28×28 model.
        engine: ``auto`` (default), ``glyphs`` or ``sequence``; see ``ENGINES``.
        sequence: the sequence network for ``auto`` and ``sequence``: a file path, a loaded
            ``SeqNet``, or None for the shipped ``models/sequence.npz``.
        max_pixels: refuse images declaring more pixels than this (checked before decoding).
        max_bytes: refuse image files larger than this.

    >>> reader = Reader()                                   # doctest: +SKIP
    >>> reader.read("strip.png").text                       # doctest: +SKIP
    '40172'
    """

    def __init__(self, model: str | Path | model_io.Model | None = None, *, engine: str = "auto",
                 sequence: str | Path | sequence_io.SeqNet | None = None,
                 max_pixels: int = image.MAX_PIXELS, max_bytes: int = image.MAX_BYTES) -> None:
        check_engine(engine)
        self.engine = engine
        self.limits = {"max_pixels": max_pixels, "max_bytes": max_bytes}
        if isinstance(model, model_io.Model):
            self.model = model
        else:
            self.model = model_io.load(model if model is not None else model_io.default_model_path())
        self.sequence: sequence_io.SeqNet | None = None
        if engine != "glyphs":
            if isinstance(sequence, sequence_io.SeqNet):
                self.sequence = sequence
            else:
                path = sequence if sequence is not None else sequence_io.default_sequence_path()
                self.sequence = sequence_io.load(path)

    def trace(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
              name: str | None = None, pattern: str | Pattern | None = None) -> Trace:
        """Read ``source`` and keep every stage's output."""
        options = {"length": length, "drop_rejected": drop_rejected, "pattern": _as_pattern(pattern)}
        gray = image.load(source, name=name, **self.limits)
        found = segment.find_glyphs(binarize.ink_mask(gray))
        trace = self._finish(gray, found, self._classify(found.ink, found.boxes), **options)
        return self._consult([self._second_look(trace, **options)], **options)[0]

    def _finish(self, gray: np.ndarray, found: segment.Segmentation, proba: np.ndarray, **options) -> Trace:
        """Decode one segmented strip whose segments the network has classified."""
        boxes, proba, reading = self._decode(found.ink, found.boxes, proba, **options)
        return Trace(gray=gray, ink=found.ink, boxes=tuple(boxes), proba=proba, reading=_upright(reading, found),
                     segments=tuple(found.boxes), slant=found.slant)

    def _second_look(self, trace: Trace, **options) -> Trace:
        """When a reading is doubtful, binarize the strip the other ways and keep the best reading.

        Doubtful: empty, below ``DOUBT`` confidence, or with a refused segment as tall as
        the digits (shown as "?", or dropped at an end of the reading). Captchas
        defeat the default threshold in several ways (lines that fool the polarity test,
        noise that fills the background), and the network is the judge of which ink mask
        shows digits: an alternative replaces the first reading only when it is sure
        (confidence ``ALTERNATIVE_SURE``, no refused glyph) and scores better
        (``_quality``). Clean strips never get here, so they cost nothing more.
        """
        if not _doubtful(trace, self.model.reject_index):
            return trace
        best, best_quality = trace, _quality(trace.reading)
        flipped = binarize.is_dark_on_light(trace.gray)  # the polarity the default did not pick, mostly
        # (The adaptive threshold is not tried flipped: it would outline the paper around
        # every stroke, and outlines read as 0s.)
        for method, light_ink in (("otsu", flipped), ("adaptive", None)):
            ink = binarize.ink_mask(trace.gray, method=method, light_ink=light_ink)
            # A mostly-ink mask is the paper taken for ink, whose gaps would read as shapes;
            # except the flipped one of a plate whose panel the default took for ink (one digit
            # in a frame on a dark surround): there frame and surround are the ink at the
            # border, and the segmenter drops a frame.
            if _mostly_ink(ink) and not (method == "otsu" and binarize.framed_panel(trace.ink)):
                continue
            # Flipped, the paper round a lone dark glyph on clean paper flattens to "ink" (the
            # paper level there is lifted by the glyph): a halo whose holes are the strokes,
            # which reads as a 0 ("#" → "0"). That ink is paper too: no gray sets it apart.
            if method == "otsu" and binarize.mask_contrast(trace.gray, ink) < PRINT_CONTRAST:
                continue
            found = segment.find_glyphs(ink)
            other = self._finish(trace.gray, found, self._classify(found.ink, found.boxes), **options)
            quality = _quality(other.reading)
            if (quality > best_quality and other.reading.confidence >= ALTERNATIVE_SURE
                    and decode.REJECT_CHAR not in other.reading.text):
                best, best_quality = replace(other, light_ink=light_ink), quality
        return best

    def read_batch(
        self,
        sources: Sequence[Any],
        *,
        names: Sequence[str | None] | None = None,
        length: int | None = None,
        drop_rejected: bool = False,
        roi: segment.Box | None = None,
        pattern: str | Pattern | None = None,
    ) -> list[Reading | OcrError]:
        """Read many images, classifying the glyphs of all of them in one network pass.

        The stages are those of ``trace``; only the network pass is shared by the batch.

        Args:
            sources: images, as for ``read``.
            names: what error messages call each source.
            length: the number of digits expected in each, if known.
            drop_rejected: leave out glyphs the network refuses.
            roi: read only this region ``(x, y, w, h)`` of every image; boxes are still
                given in the whole image's pixels.
            pattern: the expected format, such as ``\\d{3}-\\d{4}`` (see ``ocr.pattern``).

        Returns:
            One ``Reading`` per source, or the ``OcrError`` that source raised (a bad file
            does not stop the others), in the order of ``sources``.
        """
        names = list(names) if names is not None else [None] * len(sources)
        options = {"length": length, "drop_rejected": drop_rejected, "pattern": _as_pattern(pattern)}
        prepared: list[tuple[np.ndarray, segment.Segmentation, tuple[int, int]] | OcrError] = []
        rows = []
        for source, name in zip(sources, names):
            try:
                gray, offset = _crop(image.load(source, name=name, **self.limits), roi, name)
                found = segment.find_glyphs(binarize.ink_mask(gray))
                rows.append(normalize.glyph_batch(found.ink, found.boxes, size=self.model.input_size))
                prepared.append((gray, found, offset))
            except OcrError as e:
                prepared.append(e)
        glyphs = np.concatenate(rows) if rows else np.zeros((0, self.model.input_size**2), np.float32)
        proba = self._predict(glyphs)  # every glyph of the batch in one pass
        traces, offsets = [], []
        start = 0
        for item in prepared:
            if isinstance(item, OcrError):
                continue
            gray, found, offset = item
            p = proba[start : start + len(found.boxes)]
            start += len(found.boxes)
            traces.append(self._second_look(self._finish(gray, found, p, **options), **options))
            offsets.append(offset)
        done = iter(zip(self._consult(traces, **options), offsets))
        results: list[Reading | OcrError] = []
        for item in prepared:
            if isinstance(item, OcrError):
                results.append(item)
            else:
                trace, offset = next(done)
                results.append(_shifted(trace.reading, offset))
        return results

    def _consult(self, traces: list[Trace], *, length: int | None, drop_rejected: bool,
                 pattern: Pattern | None) -> list[Trace]:
        """Ask the sequence network about the tangled or doubtful strips; keep the surer reading.

        With the ``sequence`` engine every strip is asked and its reading always kept. The
        sequence reading must hold the expected count (``length``, ``pattern``) to be used.
        """
        if self.sequence is None:
            return traces
        asked = [i for i, t in enumerate(traces) if self.engine == "sequence" or _tangled(t, self.model.reject_index)]
        if not asked:
            return traces
        grays = [traces[i].gray for i in asked]
        # The sequence network sees the ink the glyph path read: the second look's flipped
        # polarity when that won (a captcha whose lines fooled the polarity test, a plate
        # round one digit), else the polarity test's.
        polarity = [traces[i].light_ink if traces[i].light_ink is not None else not binarize.is_dark_on_light(g)
                    for i, g in zip(asked, grays)]
        out = list(traces)
        expected = length is not None or pattern is not None
        rivals = None if self.engine == "sequence" else [_digits(traces[i].reading.text) or None for i in asked]
        for i, said in zip(asked, sequence_io.read_strips(self.sequence, grays, polarity, rivals)):
            seq, p_empty = _expected(said.reading, length, pattern), said.p_empty
            glyphs = traces[i].reading
            agreed = False
            if self.engine == "sequence":
                chosen = seq
            elif _prefer_sequence(glyphs, seq, expected=expected, p_glyphs=said.p_rival, widened=said.widened,
                                  p_empty=p_empty):
                # Swapped in for digits it rules out, unless it doubts there are any: refuse then.
                chosen = replace(decode.EMPTY, engine="sequence") if _doubts_digits(said) else seq
            elif _sure_of_digits(glyphs, said):
                chosen = seq  # not sure of its text, yet sure of digits the glyphs did not see
            elif glyphs.text and not seq.text and _prefer_empty(said, _doubtful(traces[i], self.model.reject_index)):
                chosen = replace(decode.EMPTY, engine="sequence")  # a guess where it is sure of no digit
            elif _agreed_wider(glyphs, said):
                chosen, agreed = replace(seq, confidence=said.wide[1]), True  # views and wide view agree
            elif _contradicted(glyphs, said.p_rival):
                chosen = replace(decode.EMPTY, engine="sequence")  # neither reading stands: refuse
            else:
                chosen = glyphs
            out[i] = replace(traces[i], reading=chosen, sequence=seq, p_empty=p_empty, p_glyphs=said.p_rival,
                             sequence_views=said.views, sequence_wide=_wide(said), sequence_agreed=agreed,
                             glyph_reading=glyphs if chosen is not glyphs else None)
        return self._second_opinion(out, asked)

    def _second_opinion(self, traces: list[Trace], asked: list[int]) -> list[Trace]:
        """Ask again, in the polarity test's polarity, about glyph readings of flipped ink.

        The glyph path's second look may read the paper between a word's letters as ink (its
        gaps look like digits); the sequence network, shown that same flipped ink, then sees
        neither digits nor "no digit". A glyph reading kept although the network ruled its
        digits out (``RULED_OUT``) in the flipped polarity is emptied when, shown the strip
        the polarity test's way, it finds no digit (``_prefer_empty``). A plate round one
        digit or a captcha whose lines fooled the polarity test is not touched: there the
        network, shown the flipped ink, reads the glyphs' digits.
        """
        again = [i for i in asked if traces[i].light_ink is not None and traces[i].reading.text
                 and traces[i].glyph_reading is None and _ruled_out(traces[i].p_glyphs)]
        if not again:
            return traces
        grays = [traces[i].gray for i in again]
        said = sequence_io.read_strips(self.sequence, grays, [not traces[i].light_ink for i in again],
                                       [_digits(traces[i].reading.text) or None for i in again])
        out = list(traces)
        for i, other in zip(again, said):
            if not other.reading.text and _prefer_empty(other, _doubtful(traces[i], self.model.reject_index)):
                out[i] = replace(traces[i], reading=replace(decode.EMPTY, engine="sequence"),
                                 glyph_reading=traces[i].reading, p_empty=other.p_empty,
                                 sequence_views=other.views, sequence_wide=_wide(other))
        return out

    def _decode(self, ink: np.ndarray, boxes: list[segment.Box], proba: np.ndarray, *,
                length: int | None, drop_rejected: bool, pattern: Pattern | None = None):
        """Cut touching digits, then decode: (boxes, probabilities, Reading) after the cuts.

        Without an expected count, wide segments are cut where the network reads the pieces
        better than the whole (``_cut_wide``). With ``length`` or ``pattern``, a reading that
        does not hold the expected number of digits is decoded again as a search over
        dropping, keeping and cutting every segment (``_fit``); when no choice fits, the
        reading is empty.
        """
        cut_boxes, cut_proba = self._cut_wide(ink, boxes, proba)
        classes = self.model.classes
        reading = decode.best_reading(cut_proba, cut_boxes, classes=classes, drop_rejected=drop_rejected)
        expected = pattern.n_digits if pattern is not None else (length, length) if length else None
        if expected is not None:
            low, high = expected
            if not (low <= len(reading.text) <= high and decode.REJECT_CHAR not in reading.text):
                fitted = self._fit(ink, boxes, proba, low, high)
                if fitted is None:
                    reading = decode.EMPTY
                else:
                    cut_boxes, cut_proba = fitted
                    reading = decode.best_reading(cut_proba, cut_boxes, classes=classes, digits_only=True)
            if pattern is not None:
                reading = pattern.apply(reading)
        return cut_boxes, cut_proba, reading

    def _predict(self, glyphs: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes) of normalized glyph rows; (0, n_classes) for none."""
        if not len(glyphs):
            return np.zeros((0, len(self.model.classes)), np.float32)
        return self.model.predict_proba(glyphs)

    def _classify(self, ink: np.ndarray, boxes: list[segment.Box]) -> np.ndarray:
        """Class probabilities (n, n_classes) of the glyphs in ``boxes``, one network pass."""
        return self._predict(normalize.glyph_batch(ink, boxes, size=self.model.input_size))

    def _cut_wide(self, ink: np.ndarray, boxes: list[segment.Box], proba: np.ndarray):
        """Split segments that look like touching digits where the network reads the pieces better.

        A segment at least ``WIDE`` times as wide as high that the network is not ``SURE`` of,
        one wider than high, or one the network refuses gets cut candidates; every run of
        pieces between them is classified in one batch and the best chain (sum of
        log-probabilities of each piece's best digit) replaces the segment when it beats
        reading the segment whole.
        """
        reject = self.model.reject_index
        digits = self.model.digit_indices
        if not len(boxes):
            return boxes, proba
        # Whole-strip NumPy calls, then plain Python per segment (strips hold a handful).
        refused_all = (proba.argmax(axis=1) == reject).tolist() if reject is not None else [False] * len(boxes)
        unsure_all = [p < SURE for p in proba[:, digits].max(axis=1).tolist()]  # compared as Python floats
        out_boxes, out_rows = [], []
        for box, row, refused, unsure in zip(boxes, proba, refused_all, unsure_all):
            x, y, w, h = box
            if (w >= WIDE * h and unsure) or w >= 1.2 * h or (refused and w >= 0.5 * h):
                pieces = self._best_cut(ink, box, row)
                if pieces:
                    out_boxes.extend(b for b, _ in pieces)
                    out_rows.extend(r for _, r in pieces)
                    continue
            out_boxes.append(box)
            out_rows.append(row)
        if len(out_boxes) == len(boxes):
            return boxes, proba
        return out_boxes, np.stack(out_rows)

    def _pieces(self, ink: np.ndarray, box: segment.Box):
        """Cut candidates inside ``box`` and every piece between two of them, classified.

        Returns:
            (number of points, {(i, j): (piece box, probability row)}) where points are the
            box's left edge, the candidate cuts (projection minima and a grid) and its right
            edge; pieces narrower than 0.15 or wider than 1.05 of the box's height, or
            shorter than half of it, are left out, and so is the whole box.
        """
        x, y, w, h = box
        points = [x, *segment.cut_points(ink, box), x + w]
        spans = [(i, j) for i in range(len(points)) for j in range(i + 1, len(points))
                 if 0.15 * h <= points[j] - points[i] <= 1.05 * h and (i, j) != (0, len(points) - 1)]
        boxes = {(i, j): segment.sub_box(ink, box, points[i], points[j]) for i, j in spans}
        boxes = {k: b for k, b in boxes.items() if b is not None and b[3] >= 0.5 * h}
        if not boxes:
            return len(points), {}
        keys = list(boxes)
        rows = self._classify(ink, [boxes[k] for k in keys])
        return len(points), {k: (boxes[k], r) for k, r in zip(keys, rows)}

    def _best_cut(self, ink, box, row):
        n_points, pieces = self._pieces(ink, box)
        if not pieces:
            return None
        digits = self.model.digit_indices
        # Only pieces the network reads confidently as digits may be used: a letter cut into
        # strokes must not turn into a row of weak guesses.
        best = {k: (float(r[digits].max()), self.model.classes[digits[int(r[digits].argmax())]])
                for k, (_, r) in pieces.items()}
        scores = {k: float(np.log(p)) for k, (p, _) in best.items() if p >= PIECE_SURE}
        total, path = decode.best_path(n_points, scores)
        whole = float(np.log(max(row[digits].max(), 1e-9)))
        if not path or total <= whole:
            return None
        if _strokes(path, pieces, box):
            return None
        return [pieces[k] for k in path]

    def _fit(self, ink: np.ndarray, boxes: list[segment.Box], proba: np.ndarray, low: int, high: int):
        """Boxes and rows of the best reading with between ``low`` and ``high`` digits, or None.

        Every segment may be dropped (scored by the network's "not a digit" probability),
        read whole as its best digit, or cut into up to ``MAX_PIECES`` digits (each piece
        scored by its best digit's log-probability plus that of the whole being no single
        digit; only segments read at ``FIT_SURE`` and pieces at ``PIECE_SURE`` count);
        ``decode.fit_count`` picks the best combination whose digits add up to the expected
        count.
        """
        digits = self.model.digit_indices
        reject = self.model.reject_index
        options, cuts = [], []
        for box, row in zip(boxes, proba):
            p_digit = float(row[digits].max())
            p_none = float(row[reject]) if reject is not None else 1.0 - p_digit
            option = {0: float(np.log(max(p_none, 1e-6)))}
            if p_digit >= FIT_SURE:
                option[1] = float(np.log(p_digit))
            chains = {}
            if box[2] >= segment.CUTTABLE * box[3]:
                n_points, pieces = self._pieces(ink, box)
                # Digits of one strip share a height: a shorter piece is a stroke, not a digit.
                scores = {k: float(np.log(r[digits].max())) for k, (b, r) in pieces.items()
                          if r[digits].max() >= PIECE_SURE and b[3] >= FIT_HEIGHT * box[3]}
                chains = decode.best_paths(n_points, scores, max_pieces=MAX_PIECES)
                # A cut also stakes that the whole is not one digit: a clean "5" read at
                # 0.99 is not cut into two pieces to reach a count.
                not_one = float(np.log(max(1.0 - p_digit, 1e-4)))
                for k, (total, path) in chains.items():
                    if k >= 2 and not _strokes(path, pieces, box):
                        option[k] = total + not_one
            options.append(option)
            cuts.append({k: [pieces[key] for key in path] for k, (_, path) in chains.items() if k >= 2})
        counts = decode.fit_count(options, low, high)
        # Reaching the count must not cost more than FIT_SURE per digit on any segment.
        if counts is None or any(k and option[k] < k * np.log(FIT_SURE) for k, option in zip(counts, options)):
            return None
        out_boxes, out_rows = [], []
        for box, row, k, cut in zip(boxes, proba, counts, cuts):
            if k == 1:
                out_boxes.append(box)
                out_rows.append(row)
            elif k >= 2:
                out_boxes.extend(b for b, _ in cut[k])
                out_rows.extend(r for _, r in cut[k])
        return out_boxes, np.stack(out_rows) if out_rows else proba[:0]

    def read(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
             name: str | None = None, roi: segment.Box | None = None,
             pattern: str | Pattern | None = None) -> Reading:
        """Read the digits in ``source`` (a path, encoded bytes, a NumPy array or a PIL image).

        Args:
            source: the image.
            length: the number of digits expected, if known.
            drop_rejected: leave out glyphs the network refuses instead of marking them "?".
            name: what error messages call the source.
            roi: read only this region ``(x, y, w, h)``; boxes stay in the whole image's pixels.
            pattern: the expected format, such as ``\\d{3}-\\d{4}``: its digit count guides
                the decoder and its literal characters are put back into ``text``; a strip
                that cannot fit it reads as empty.

        Raises:
            ImageError: the source is not a readable image.
            InputError: ``roi`` lies outside the image.
        """
        if roi is not None:
            result = self.read_batch([source], names=[name], length=length,
                                     drop_rejected=drop_rejected, roi=roi, pattern=pattern)[0]
            if isinstance(result, OcrError):
                raise result
            return result
        return self.trace(source, length=length, drop_rejected=drop_rejected, name=name,
                          pattern=pattern).reading


_default_readers: dict[str, Reader] = {}


def read(source: Any, *, model: str | Path | None = None, length: int | None = None,
         drop_rejected: bool = False, pattern: str | None = None) -> Reading:
    """Read the digits in one image with the shipped model (or ``model``), loaded once per process.

    >>> import ocr                                          # doctest: +SKIP
    >>> ocr.read("captcha.png").text                        # doctest: +SKIP
    '40172'
    """
    key = str(model) if model is not None else ""
    if key not in _default_readers:
        _default_readers[key] = Reader(model)
    return _default_readers[key].read(source, length=length, drop_rejected=drop_rejected, pattern=pattern)


def _as_pattern(pattern: str | Pattern | None) -> Pattern | None:
    return parse_pattern(pattern) if isinstance(pattern, str) else pattern


def _crop(gray: np.ndarray, roi: segment.Box | None, name: str | None) -> tuple[np.ndarray, tuple[int, int]]:
    """The region ``roi`` of ``gray`` (clipped to the image) and its offset (x, y)."""
    if roi is None:
        return gray, (0, 0)
    x, y, w, h = roi
    height, width = gray.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise InputError(f"{name or '<image>'}: region {x},{y},{w},{h} lies outside the {width}×{height} image")
    return np.ascontiguousarray(gray[y0:y1, x0:x1]), (x0, y0)


def _strokes(path: list[tuple[int, int]], pieces: dict, box: segment.Box) -> bool:
    """True when a cut of ``box`` gives three or more pieces as narrow as a "1", half or more of them.

    The strokes of a W, an M or an m read as ones and sevens one by one; three touching
    narrow digits in one segment are far rarer than letters.
    """
    narrow = sum(pieces[k][0][2] < STROKE_WIDTH * box[3] for k in path)
    return narrow >= 3 and 2 * narrow >= len(path)


def _mostly_ink(ink: np.ndarray) -> bool:
    """True when half of a mask, or half of its border, is ink: that is paper, not print."""
    return np.count_nonzero(ink) > 0.5 * ink.size or binarize.border_share(ink) > 0.5


def _doubtful(trace: Trace, reject: int | None) -> bool:
    """Empty, unsure, or with a refused glyph as tall as the digits (even one left out at an end)."""
    reading = trace.reading
    if not reading.text or reading.confidence < DOUBT or decode.REJECT_CHAR in reading.text:
        return True
    if reject is None or not len(trace.proba):
        return False
    best = trace.proba.argmax(axis=1).tolist()
    if reject not in best:
        return False  # the usual case: every piece read as a digit
    heights = sorted(g.box[3] for g in reading.glyphs)
    tall = 0.8 * heights[len(heights) // 2]
    return any(b == reject and box[3] >= tall for b, box in zip(best, trace.boxes))


def _tangled(trace: Trace, reject: int | None) -> bool:
    """True when the glyph reading may be wrong in ways only the sequence network sees past.

    A segment wider than ``TANGLED`` times its height is digits joined by touching or by a
    crossing line, and a segment the decoder cut (``_cut_wide``) is one it guessed how to
    split (the "A" of a word cut into "7" and "4"); a doubtful reading (``_doubtful``), a
    short one (``SHORT`` digits or fewer), a sparse one (``_sparse``) and a captcha's uneven
    digits among specks (``_captcha_like``) are other reasons to ask.
    """
    if len(trace.boxes) > len(trace.segments) or any(w >= TANGLED * h for _, _, w, h in trace.segments):
        return True
    return (_doubtful(trace, reject) or len(_digits(trace.reading.text)) <= SHORT or _sparse(trace)
            or _captcha_like(trace))


def _sparse(trace: Trace) -> bool:
    """True when the glyphs read span less than ``SPARSE`` of the ink's width.

    Most of the ink was then left unread: one digit picked out of a captcha whose other
    digits a curve tied into shapes the glyph path dropped, or a stroke of a word. (The glyph
    boxes are in the image's pixels and the ink may be sheared upright; a lean of a few
    pixels does not matter at this ratio.)
    """
    boxes = [g.box for g in trace.reading.glyphs]
    if not boxes:
        return False
    span = max(x + w for x, _, w, _ in boxes) - min(x for x, _, _, _ in boxes)
    if span >= SPARSE * trace.ink.shape[1]:
        return False  # the ink cannot be wider than its image: no need to look (most strips)
    columns = np.flatnonzero(trace.ink.any(axis=0))
    return span < SPARSE * (int(columns[-1]) - int(columns[0]) + 1)


def _captcha_like(trace: Trace) -> bool:
    """True when the digits read differ in height (``UNEVEN``) and a speck lies among the ink.

    A captcha warps and scales its digits one by one and strews dots; a printed strip's
    digits share one height. The specks are counted only for uneven readings (a few in a
    hundred plain strips), so the usual strip pays for one look at its glyph heights.
    """
    heights = sorted(g.box[3] for g in trace.reading.glyphs if g.char in sequence_io.CLASSES)
    n = len(heights)
    if n < 2:
        return False
    median = (heights[n // 2] + heights[(n - 1) // 2]) / 2
    # The standard deviation is at most half the range: most strips stop here, in plain Python.
    if heights[-1] - heights[0] < 2 * UNEVEN * median or float(np.std(heights)) < UNEVEN * median:
        return False
    _, rows, _ = binarize.component_stats(trace.ink)
    return any(w < SPECK * median and h < SPECK * median for _, _, w, h, _ in rows)


def _prefer_sequence(glyphs: Reading, seq: Reading, *, expected: bool = False, p_glyphs: float | None = None,
                     widened: bool = False, p_empty: float | None = None) -> bool:
    """Keep the sequence network's reading instead of the glyphs' one?

    Only when it is at least ``SEQUENCE_SURE``, and either surer than the glyphs' reading or
    sure that it is wrong: `p_glyphs`, the probability the sequence network gives the glyphs'
    digits, below ``RULED_OUT`` (two confidences near 1 do not say which is right; this does),
    or below ``OUTWEIGH_RIVAL`` while its own text has at least ``OUTWEIGH_SURE``.
    When the glyphs read nothing, digits seen by the sequence network alone need more proof:
    ``SEQUENCE_MIN_ALONE`` of them unless the count was `expected` (``--length``,
    ``--pattern``) or one is read at ``LONE_SURE`` with `p_empty`, P(no digit), under
    ``LONE_NO_DIGIT``, and ``SEQUENCE_SURE_ALONE`` unless they are ``SEQUENCE_LONG_ALONE`` or more
    (a letter's strokes are read as one or two digits, rarely as a longer number), and
    ``WIDENED_SURE_ALONE`` at least when the sequence network read them in its wide view only
    (`widened`).
    """
    if not seq.text:
        return False
    alone = not glyphs.text and not expected
    if alone and len(seq.text) < SEQUENCE_MIN_ALONE and not _sure_lone_digit(seq.text, seq.confidence, p_empty):
        return False
    need = SEQUENCE_SURE if glyphs.text or len(seq.text) >= SEQUENCE_LONG_ALONE else SEQUENCE_SURE_ALONE
    if widened and not glyphs.text:
        need = max(need, WIDENED_SURE_ALONE)
    if seq.confidence < need:
        return False
    outweighs = seq.confidence >= OUTWEIGH_SURE and p_glyphs is not None and p_glyphs < OUTWEIGH_RIVAL
    return seq.confidence > glyphs.confidence or _ruled_out(p_glyphs) or outweighs


def _sure_lone_digit(text: str, p_text: float, p_empty: float | None) -> bool:
    """Is `text` one digit the sequence network gives at least ``LONE_SURE`` (`p_text`), while
    it gives "no digit" (`p_empty`) under ``LONE_NO_DIGIT``?"""
    return len(text) == 1 and p_text >= LONE_SURE and p_empty is not None and p_empty < LONE_NO_DIGIT


def _wide(said: sequence_io.StripReading) -> tuple[str, float, bool] | None:
    """What the sequence network read in its wide view, how likely, and whether that was read."""
    return None if said.wide is None else (*said.wide, said.widened)


def _ruled_out(p_glyphs: float | None) -> bool:
    """Does the sequence network rule the glyph digits out (gives them under ``RULED_OUT``)?

    `p_glyphs` is its probability for the glyph path's digits; None when it was not asked
    about them (the glyphs read none).
    """
    return p_glyphs is not None and p_glyphs < RULED_OUT


def _contradicted(glyphs: Reading, p_glyphs: float | None) -> bool:
    """Refuse a glyph reading the sequence network rules out, unless it is ``CONTRADICTED`` sure?

    Asked only when the sequence network's own reading was not kept either: the two networks
    then contradict each other, and the strip is better refused than guessed (letters read as
    digits, a captcha's glyphs cut wrong).
    """
    return bool(glyphs.text) and _ruled_out(p_glyphs) and glyphs.confidence < CONTRADICTED


def _sure_of_digits(glyphs: Reading, said: sequence_io.StripReading) -> bool:
    """Keep the sequence network's reading although it is under ``SEQUENCE_SURE``?

    When it gives "no digit" under ``DIGITS_SURE`` and the glyph path read digits it rules
    out (``RULED_OUT``), or read none where it reads ``SEQUENCE_LONG_ALONE`` or more: the
    strip holds digits and the glyph reading is not them (a captcha whose warped glyphs the
    glyph path cut wrong or dropped). Refusing would throw away the only reading left; its
    low confidence stays on it, for ``--min-confidence`` to weigh.
    """
    seq = said.reading
    if not seq.text or said.p_empty >= DIGITS_SURE:
        return False
    return _ruled_out(said.p_rival) if glyphs.text else len(seq.text) >= SEQUENCE_LONG_ALONE


def _agreed_wider(glyphs: Reading, said: sequence_io.StripReading) -> bool:
    """Keep the sequence network's reading, unsure over its views, because its wide view agrees?

    Asked when the glyph path read nothing or digits the network rules out (``RULED_OUT``),
    and the network's reading was not kept: the strip would be refused or left to a ruled-out
    reading. The wide view (``sequence.WIDE``) reading the same text with at least
    ``AGREED_SURE`` is a second look at another scale: glyphs too narrow for the network's
    stride read faintly as they are and clearly wider. The reading keeps that probability. A
    lone digit needs what it needs from the views alone (``_sure_lone_digit``), with the wide
    view's probability.
    """
    seq = said.reading
    if not seq.text or said.wide is None or said.widened:
        return False
    text, p_text = said.wide
    if len(text) < SEQUENCE_MIN_ALONE and not _sure_lone_digit(text, p_text, said.p_empty):
        return False  # a lone digit needs as much here as anywhere ("&" read as 8 in both looks)
    return text == seq.text and p_text >= AGREED_SURE and (not glyphs.text or _ruled_out(said.p_rival))


def _doubts_digits(said: sequence_io.StripReading) -> bool:
    """Refuse rather than swap a ruled-out glyph reading for the sequence network's own?

    When the network, which rules the glyph digits out (``RULED_OUT``), still gives "no
    digit" at least ``EMPTY_DOUBT``, neither network stands behind any digits: the strokes
    of a word or a captcha's lines without digits ("Amt." read "1111" by the glyphs, "1" by
    the network).
    """
    return _ruled_out(said.p_rival) and said.p_empty >= EMPTY_DOUBT


def _prefer_empty(said: sequence_io.StripReading, doubtful: bool) -> bool:
    """Empty a glyph reading the sequence network read as nothing (`said`: its empty reading)?

    When it gives no digit at least ``EMPTY_SURE_UNDOUBTED`` (``EMPTY_SURE`` for a `doubtful`
    reading), or, for a doubtful one, ``EMPTY_OVER`` times the probability of the glyphs' digits.
    """
    if said.p_empty >= (EMPTY_SURE if doubtful else EMPTY_SURE_UNDOUBTED):
        return True
    return doubtful and said.p_rival is not None and said.p_empty >= EMPTY_OVER * said.p_rival


def _digits(text: str) -> str:
    """The digits of a reading's text, without refused glyphs ("?") or a pattern's other characters."""
    return "".join(c for c in text if c in sequence_io.CLASSES)


def _expected(reading: Reading, length: int | None, pattern: Pattern | None) -> Reading:
    """``reading`` when it holds the expected count of digits (printed in ``pattern``), else empty."""
    empty = replace(decode.EMPTY, engine=reading.engine)
    if pattern is not None:
        low, high = pattern.n_digits
        return replace(pattern.apply(reading), engine=reading.engine) if low <= len(reading.text) <= high else empty
    if length is not None and len(reading.text) != length:
        return empty
    return reading


def _quality(reading: Reading) -> float:
    """How much a reading shows digits: Σ log(p / 0.5) over its digits, minus 2 per refused glyph.

    A digit read at more than even odds adds, a weak one subtracts, an empty reading is 0.
    """
    return sum(float(np.log(max(g.prob, 1e-9) / 0.5)) if g.char != decode.REJECT_CHAR else -2.0
               for g in reading.glyphs)


def _upright(reading: Reading, found: segment.Segmentation) -> Reading:
    """``reading`` with its glyph boxes moved from the sheared ink back to the image's pixels."""
    if not found.slant:
        return reading
    glyphs = tuple(replace(g, box=segment.unshear_box(g.box, found.slant, found.height)) for g in reading.glyphs)
    return replace(reading, glyphs=glyphs)


def _shifted(reading: Reading, offset: tuple[int, int]) -> Reading:
    """``reading`` with every glyph box moved by ``offset`` (from a region to the whole image)."""
    dx, dy = offset
    if not (dx or dy):
        return reading
    glyphs = tuple(replace(g, box=(g.box[0] + dx, g.box[1] + dy, g.box[2], g.box[3])) for g in reading.glyphs)
    return replace(reading, glyphs=glyphs)
