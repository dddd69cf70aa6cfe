"""The reading pipeline: the one place that knows the order of the stages.

    image ─load→ gray ─ink_mask→ ink ─glyph_boxes→ boxes ─glyph_batch→ glyphs
          ─model→ probabilities ─best_reading→ Reading

``Reader`` loads a model once and reads many images with it; ``read`` is the one-call
version that keeps a shared default ``Reader``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr import binarize, decode, image, normalize, segment
from ocr import model as model_io
from ocr.decode import Reading

__all__ = ["Reader", "read", "Trace"]


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

    >>> reader = Reader()                                   # doctest: +SKIP
    >>> reader.read("strip.png").text                       # doctest: +SKIP
    '40172'
    """

    def __init__(self, model: str | Path | model_io.Model | None = None) -> None:
        if isinstance(model, model_io.Model):
            self.model = model
        else:
            self.model = model_io.load(model if model is not None else model_io.default_model_path())

    def trace(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
              name: str | None = None) -> Trace:
        """Read ``source`` and keep every stage's output."""
        gray = image.load(source, name=name)
        ink = binarize.ink_mask(gray)
        boxes = segment.glyph_boxes(ink)
        glyphs = normalize.glyph_batch(ink, boxes, size=self.model.input_size)
        n_classes = len(self.model.classes)
        proba = self.model.predict_proba(glyphs) if boxes else np.zeros((0, n_classes), np.float32)
        reading = decode.best_reading(
            proba, boxes, classes=self.model.classes, length=length, drop_rejected=drop_rejected
        )
        return Trace(gray=gray, ink=ink, boxes=tuple(boxes), proba=proba, reading=reading)

    def read(self, source: Any, *, length: int | None = None, drop_rejected: bool = False,
             name: str | None = None) -> Reading:
        """Read the digits in ``source`` (a path, encoded bytes, a NumPy array or a PIL image).

        Args:
            source: the image.
            length: the number of digits expected, if known.
            drop_rejected: leave out glyphs the network refuses instead of marking them "?".
            name: what error messages call the source.

        Raises:
            ImageError: the source is not a readable image.
        """
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
