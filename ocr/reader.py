"""The reading pipeline: the one place that knows the order of the stages.

    image ─load→ gray ─ink_mask→ ink ─glyph_boxes→ boxes ─glyph_batch→ glyphs
          ─model→ probabilities ─best_reading→ Reading

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
from ocr.decode import Reading
from ocr.errors import InputError, OcrError

__all__ = ["Reader", "read", "Trace"]

# A segment this many times wider than high may be touching digits: try to cut it, unless
# the network reads it whole as a digit with at least SURE probability (a wide "0").
WIDE = 0.8
SURE = 0.9
# A piece cut from a wide segment must be read as a digit with at least this probability.
PIECE_SURE = 0.9


@dataclass(frozen=True)
class Trace:
    """Every intermediate value of one read, for debug overlays and tests."""

    gray: np.ndarray  # uint8 (H, W)
    ink: np.ndarray  # uint8 (H, W), ink 255
    boxes: tuple[segment.Box, ...]
    proba: np.ndarray  # float32 (n_boxes, n_classes)
    reading: Reading


class Reader:
    """Reads digit strips with one model, loaded once.

    Args:
        model: a model file path, a loaded ``Model``, or None for the shipped 28×28 model.
        max_pixels: refuse images declaring more pixels than this (checked before decoding).
        max_bytes: refuse image files larger than this.

    >>> reader = Reader()                                   # doctest: +SKIP
    >>> reader.read("strip.png").text                       # doctest: +SKIP
    '40172'
    """

    def __init__(self, model: str | Path | model_io.Model | None = None, *,
                 max_pixels: int = image.MAX_PIXELS, max_bytes: int = image.MAX_BYTES) -> None:
        self.limits = {"max_pixels": max_pixels, "max_bytes": max_bytes}
        if isinstance(model, model_io.Model):
            self.model = model
        else:
            self.model = model_io.load(model if model is not None else model_io.default_model_path())

    def trace(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
              name: str | None = None) -> Trace:
        """Read ``source`` and keep every stage's output."""
        gray = image.load(source, name=name, **self.limits)
        ink, boxes = self._segment(gray)
        proba = self._classify(ink, boxes)
        boxes, proba, reading = self._decode(ink, boxes, proba, length=length, drop_rejected=drop_rejected)
        return Trace(gray=gray, ink=ink, boxes=tuple(boxes), proba=proba, reading=reading)

    def read_batch(
        self,
        sources: Sequence[Any],
        *,
        names: Sequence[str | None] | None = None,
        length: int | None = None,
        drop_rejected: bool = False,
        roi: segment.Box | None = None,
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

        Returns:
            One ``Reading`` per source, or the ``OcrError`` that source raised (a bad file
            does not stop the others), in the order of ``sources``.
        """
        names = list(names) if names is not None else [None] * len(sources)
        prepared: list[tuple[np.ndarray, list[segment.Box], tuple[int, int]] | OcrError] = []
        rows = []
        for source, name in zip(sources, names):
            try:
                gray, offset = _crop(image.load(source, name=name, **self.limits), roi, name)
                ink, boxes = self._segment(gray)
                rows.append(normalize.glyph_batch(ink, boxes, size=self.model.input_size))
                prepared.append((ink, boxes, offset))
            except OcrError as e:
                prepared.append(e)
        glyphs = np.concatenate(rows) if rows else np.zeros((0, self.model.input_size**2), np.float32)
        proba = self._predict(glyphs)  # every glyph of the batch in one pass
        results: list[Reading | OcrError] = []
        start = 0
        for item in prepared:
            if isinstance(item, OcrError):
                results.append(item)
                continue
            ink, boxes, offset = item
            p = proba[start : start + len(boxes)]
            start += len(boxes)
            reading = self._decode(ink, boxes, p, length=length, drop_rejected=drop_rejected)[2]
            results.append(_shifted(reading, offset))
        return results

    def _segment(self, gray: np.ndarray) -> tuple[np.ndarray, list[segment.Box]]:
        """The ink mask of a gray image and its glyph boxes."""
        ink = binarize.ink_mask(gray)
        return ink, segment.glyph_boxes(ink)

    def _decode(self, ink: np.ndarray, boxes: list[segment.Box], proba: np.ndarray, *,
                length: int | None, drop_rejected: bool):
        """Cut touching digits, then decode: (boxes, probabilities, Reading) after the cuts."""
        boxes, proba = self._cut_wide(ink, boxes, proba)
        reading = decode.best_reading(proba, boxes, classes=self.model.classes, length=length,
                                      drop_rejected=drop_rejected)
        return boxes, proba, reading

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
        out_boxes, out_rows = [], []
        for box, row in zip(boxes, proba):
            x, y, w, h = box
            refused = reject is not None and int(row.argmax()) == reject
            unsure = float(row[digits].max()) < SURE
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

    def _best_cut(self, ink, box, row):
        x, y, w, h = box
        points = [x, *segment.cut_candidates(ink, box), x + w]
        spans = [(i, j) for i in range(len(points)) for j in range(i + 1, len(points))
                 if 0.15 * h <= points[j] - points[i] <= 1.05 * h and (i, j) != (0, len(points) - 1)]
        pieces = {(i, j): segment.sub_box(ink, box, points[i], points[j]) for i, j in spans}
        pieces = {k: b for k, b in pieces.items() if b is not None and b[3] >= 0.5 * h}
        if not pieces:
            return None
        keys = list(pieces)
        rows = self._classify(ink, [pieces[k] for k in keys])
        digits = self.model.digit_indices
        # Only pieces the network reads confidently as digits may be used: a letter cut into
        # strokes must not turn into a row of weak guesses.
        best = {k: (float(r[digits].max()), self.model.classes[digits[int(r[digits].argmax())]])
                for k, r in zip(keys, rows)}
        scores = {k: float(np.log(p)) for k, (p, _) in best.items() if p >= PIECE_SURE}
        total, path = decode.best_path(len(points), scores)
        whole = float(np.log(max(row[digits].max(), 1e-9)))
        if not path or total <= whole:
            return None
        if len(path) >= 3 and all(best[k][1] == "1" for k in path):
            return None  # the strokes of a W or an M, not three touching ones
        by_key = dict(zip(keys, rows))
        return [(pieces[k], by_key[k]) for k in path]

    def read(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
             name: str | None = None, roi: segment.Box | None = None) -> Reading:
        """Read the digits in ``source`` (a path, encoded bytes, a NumPy array or a PIL image).

        Args:
            source: the image.
            length: the number of digits expected, if known.
            drop_rejected: leave out glyphs the network refuses instead of marking them "?".
            name: what error messages call the source.
            roi: read only this region ``(x, y, w, h)``; boxes stay in the whole image's pixels.

        Raises:
            ImageError: the source is not a readable image.
            InputError: ``roi`` lies outside the image.
        """
        if roi is not None:
            result = self.read_batch([source], names=[name], length=length,
                                     drop_rejected=drop_rejected, roi=roi)[0]
            if isinstance(result, OcrError):
                raise result
            return result
        return self.trace(source, length=length, drop_rejected=drop_rejected, name=name).reading


_default_readers: dict[str, Reader] = {}


def read(source: Any, *, model: str | Path | None = None, length: int | None = None,
         drop_rejected: bool = False) -> Reading:
    """Read the digits in one image with the shipped model (or ``model``), loaded once per process.

    >>> import ocr                                          # doctest: +SKIP
    >>> ocr.read("captcha.png").text                        # doctest: +SKIP
    '40172'
    """
    key = str(model) if model is not None else ""
    if key not in _default_readers:
        _default_readers[key] = Reader(model)
    return _default_readers[key].read(source, length=length, drop_rejected=drop_rejected)


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


def _shifted(reading: Reading, offset: tuple[int, int]) -> Reading:
    """``reading`` with every glyph box moved by ``offset`` (from a region to the whole image)."""
    dx, dy = offset
    if not (dx or dy):
        return reading
    glyphs = tuple(replace(g, box=(g.box[0] + dx, g.box[1] + dy, g.box[2], g.box[3])) for g in reading.glyphs)
    return replace(reading, glyphs=glyphs)
