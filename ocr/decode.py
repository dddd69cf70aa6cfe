"""Per-glyph probabilities → the reading: characters, confidences, rejection.

Each segment comes with a row of class probabilities. The decoder keeps the digits,
refuses what the network calls "not a digit", and, when the caller knows how many digits
to expect, keeps the segments most likely to be digits. A rejected segment clearly
smaller than the digits around it is noise and is dropped; a digit-sized one that the
network refuses is an unreadable character and appears as ``?`` (or is dropped on request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Glyph", "Reading", "best_reading"]

Box = tuple[int, int, int, int]
REJECT_CHAR = "?"
# A rejected segment whose height is below this fraction of the median digit height is noise.
NOISE_HEIGHT = 0.6


@dataclass(frozen=True)
class Glyph:
    """One character of a reading.

    Attributes:
        char: the digit, or "?" for a segment the network refused.
        box: (x, y, w, h) in the source image's pixels.
        prob: the probability of ``char`` (for "?", of "not a digit").
        alternatives: the runners-up, ``((char, prob), ...)`` best first.
    """

    char: str
    box: Box
    prob: float
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Reading:
    """What was read in one image: ``text``, overall ``confidence``, one ``Glyph`` per character."""

    text: str
    confidence: float
    glyphs: tuple[Glyph, ...]

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        """A JSON-ready view: text, confidence and each glyph with its box and alternatives."""
        return {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "glyphs": [
                {
                    "char": g.char,
                    "box": list(g.box),
                    "prob": round(g.prob, 6),
                    "alternatives": [[c, round(p, 6)] for c, p in g.alternatives],
                }
                for g in self.glyphs
            ],
        }


EMPTY = Reading(text="", confidence=0.0, glyphs=())


def best_reading(
    proba: np.ndarray,
    boxes: Sequence[Box],
    *,
    classes: Sequence[str],
    length: int | None = None,
    drop_rejected: bool = False,
    n_alternatives: int = 2,
) -> Reading:
    """Decode one strip from its segments' probabilities.

    Args:
        proba: float (n, n_classes), one row per segment, segments left to right.
        boxes: the n segment boxes, in the same order.
        classes: class names; "reject" (if present) means "not a digit".
        length: the number of digits expected; when there are more segments, the ones least
            likely to be digits are dropped.
        drop_rejected: leave refused segments out instead of marking them "?".
        n_alternatives: how many runners-up to keep per glyph.

    Returns:
        The ``Reading``; empty text when nothing digit-like was found.

    >>> p = np.array([[0.9, 0.1, 0.0], [0.1, 0.1, 0.8]])
    >>> best_reading(p, [(0, 0, 5, 9), (7, 0, 5, 9)], classes=["0", "1", "reject"]).text
    '0?'
    """
    if len(boxes) != len(proba):
        raise ValueError(f"{len(boxes)} boxes but {len(proba)} probability rows")
    if len(boxes) == 0:
        return EMPTY
    classes = list(classes)
    reject = classes.index("reject") if "reject" in classes else None
    p_reject = proba[:, reject] if reject is not None else np.zeros(len(proba))
    best = proba.argmax(axis=1)
    keep = np.ones(len(boxes), dtype=bool)

    heights = np.array([b[3] for b in boxes], dtype=float)
    is_digit = best != reject
    if reject is not None and is_digit.any():
        typical = np.median(heights[is_digit])
        keep &= is_digit | (heights >= NOISE_HEIGHT * typical)
    elif reject is not None:
        keep[:] = False  # nothing digit-like at all
    if drop_rejected:
        keep &= is_digit
    if length is not None and keep.sum() > length:
        # Keep the `length` segments most likely to be digits, in reading order.
        order = np.argsort(p_reject + ~keep * 2.0, kind="stable")[:length]
        keep[:] = False
        keep[order] = True

    glyphs = []
    for i in np.flatnonzero(keep):
        ranked = np.argsort(-proba[i], kind="stable")
        top = int(ranked[0])
        char = REJECT_CHAR if top == reject else classes[top]
        alternatives = tuple(
            (REJECT_CHAR if k == reject else classes[k], float(proba[i, k]))
            for k in ranked[1 : 1 + n_alternatives]
        )
        glyphs.append(Glyph(char, tuple(int(v) for v in boxes[i]), float(proba[i, top]), alternatives))
    if not glyphs:
        return EMPTY
    confidence = float(np.prod([g.prob if g.char != REJECT_CHAR else 0.0 for g in glyphs]))
    return Reading(text="".join(g.char for g in glyphs), confidence=confidence, glyphs=tuple(glyphs))
