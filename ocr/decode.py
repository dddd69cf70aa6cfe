"""Per-glyph probabilities → the reading: characters, confidences, rejection.

Each segment comes with a row of class probabilities. The decoder keeps the digits,
refuses what the network calls "not a digit", and, when the caller knows how many digits
to expect, keeps the segments most likely to be digits. A rejected segment clearly
smaller than the digits around it is noise and is dropped; a digit-sized one that the
network refuses is an unreadable character and appears as ``?`` (or is dropped on request)
— inside the number: refused segments and labels beside it are not part of it.
``best_path``, ``best_paths`` and ``fit_count`` are the dynamic programs the reader uses to
cut touching digits and to reach an expected number of digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Glyph", "Reading", "best_reading", "best_path", "best_paths", "fit_count"]

Box = tuple[int, int, int, int]
REJECT_CHAR = "?"
# A rejected segment whose height is below this fraction of the median digit height is noise.
NOISE_HEIGHT = 0.6
# A digit at either end of a reading lower than this fraction of the median digit height is
# a lower-case letter of a label beside the number, not one of its digits.
SHORT = 0.8
# A number of this many digits or more is not made of letters cut into strokes.
LONG_NUMBER = 4
# A refused segment at least RULE_HEIGHT digits high and at most RULE_WIDTH as wide as high
# is a rule, not a character (see ``_is_rule``).
RULE_HEIGHT, RULE_WIDTH = 1.15, 0.2


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
    """What was read in one image: ``text``, overall ``confidence``, one ``Glyph`` per character.

    ``engine`` says which network read it: ``glyphs`` (glyph by glyph) or ``sequence``.
    """

    text: str
    confidence: float
    glyphs: tuple[Glyph, ...]
    engine: str = "glyphs"

    def __str__(self) -> str:
        return self.text

    def below(self, min_confidence: float) -> bool:
        """True when this reading has digits but less confidence than ``min_confidence``.

        That is what ``--min-confidence`` refuses: the reading then counts as empty.
        """
        return bool(self.text) and self.confidence < min_confidence

    def to_dict(self) -> dict:
        """A JSON-ready view: text, confidence and each glyph with its box and alternatives."""
        return {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "engine": self.engine,
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
    digits_only: bool = False,
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
        digits_only: every segment is a digit (the caller chose them, as ``Reader`` does
            when it fits an expected count): each reads as its best digit, none is dropped.

    Returns:
        The ``Reading``; empty text when nothing digit-like was found.

    >>> p = np.array([[0.9, 0.1, 0.0], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1], [0.0, 0.1, 0.9]])
    >>> best_reading(p, [(0, 0, 5, 9), (7, 0, 5, 9), (14, 0, 5, 9), (21, 0, 5, 9)],
    ...              classes=["0", "1", "reject"]).text
    '0?1'
    """
    if len(boxes) != len(proba):
        raise ValueError(f"{len(boxes)} boxes but {len(proba)} probability rows")
    if len(boxes) == 0:
        return EMPTY
    names = [REJECT_CHAR if c == "reject" else c for c in classes]
    reject = names.index(REJECT_CHAR) if REJECT_CHAR in names else None
    if digits_only and reject is not None:
        proba = np.delete(proba, reject, axis=1)
        names = names[:reject] + names[reject + 1 :]
        reject = None
    # Strips hold a handful of segments: plain Python on small lists beats NumPy calls here.
    ranked = np.argsort(-proba, axis=1, kind="stable")[:, : 1 + n_alternatives].tolist()
    rows = proba.tolist()
    best = [r[0] for r in ranked]
    is_digit = [b != reject for b in best]
    heights = [b[3] for b in boxes]
    digit_heights = sorted(h for h, d in zip(heights, is_digit) if d)
    if not digit_heights:
        return EMPTY  # nothing digit-like at all
    typical = digit_heights[len(digit_heights) // 2]
    # A refused segment much smaller than the digits is noise, and a thin one taller than
    # them a rule (the ticks of a comb field): drop them; a digit-sized one stays as "?".
    keep = [d or (NOISE_HEIGHT * typical <= b[3] and not _is_rule(b, typical) and not drop_rejected)
            for d, b in zip(is_digit, boxes)]
    if digits_only:
        keep = [True] * len(keep)
    else:  # labels and blots beside the number go; then, is it a number at all?
        number, words = _the_number([i for i, k in enumerate(keep) if k], boxes, is_digit, typical)
        if not number:
            return EMPTY
        keep = [k and number[0] <= i <= number[-1] for i, k in enumerate(keep)]
        n_read = sum(is_digit[i] for i in number)
        n_refused = sum(not is_digit[i] for i in words)
        # Its group refused at least as much as it read: texture or writing, not a number;
        # but as many letters as 4+ digits is a caption set as widely as a comb's digits.
        if n_refused >= max(2, n_read) and (n_refused > n_read or n_read < LONG_NUMBER):
            return EMPTY
    if length is not None and sum(keep) > length:
        # Keep the `length` segments most likely to be digits, in reading order.
        p_reject = [rows[i][reject] if reject is not None else 0.0 for i in range(len(rows))]
        likely = sorted((i for i in range(len(keep)) if keep[i]), key=lambda i: p_reject[i])[:length]
        keep = [False] * len(keep)
        for i in likely:
            keep[i] = True

    glyphs = []
    for i, kept in enumerate(keep):
        if not kept:
            continue
        top, *others = ranked[i]
        alternatives = tuple([(names[k], rows[i][k]) for k in others])
        glyphs.append(Glyph(names[top], tuple(map(int, boxes[i])), rows[i][top], alternatives))
    confidence = 1.0
    for g in glyphs:
        confidence *= 0.0 if g.char == REJECT_CHAR else g.prob
    return Reading(text="".join(g.char for g in glyphs), confidence=confidence, glyphs=tuple(glyphs))


def _densest_run(weights: list[float]) -> tuple[int, int]:
    """[start, stop) of the run with the largest sum (the longest of equals); (0, 0) if none is positive."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, w in enumerate(weights):
        if total < 0.0:
            total, start = 0.0, i
        total += w
        if total > best or (total == best and total > 0 and i + 1 - start > best_span[1] - best_span[0]):
            best, best_span = total, (start, i + 1)
    return best_span


def _is_rule(box: Box, typical: float) -> bool:
    """A thin segment clearly taller than the digits: a field's tick or a cell's side."""
    return box[3] >= RULE_HEIGHT * typical and box[2] <= RULE_WIDTH * box[3]


def _the_number(kept: list[int], boxes: Sequence[Box], is_digit: list[bool],
                typical: float) -> tuple[list[int], list[int]]:
    """The segments of ``kept`` that make the number, without what stands beside it.

    Segments fall into groups at gaps twice the usual one (and at least 0.3 digit heights).
    A group at either end that holds a refused segment or a digit clearly shorter than the
    others (``SHORT``) is a label — "No.", "Invoice", whose "o" reads as "0" — when another
    group holds more digits: the digits of one number share a height. In what is left, the
    number is the run where digits most outweigh refused segments (``_densest_run``): a
    captcha's blot at an end goes, and so do letters set as closely as the digits ("Invoice"
    without a wide gap); a lone "?" between digits stays, and shows.

    Returns:
        (number, words): the number's segments, and the segments of the groups it was found
        in, refused ones at its ends included. The caller weighs those: letters set as
        closely as the digits ("Wert" read as "1?7??") are writing, not a number.
    """
    gaps = [boxes[j][0] - boxes[i][0] - boxes[i][2] for i, j in zip(kept, kept[1:])]
    ordered = sorted(gaps)
    wide = max(2 * ordered[len(ordered) // 2] if ordered else 0, 0.3 * typical)
    groups, group = [], [kept[0]] if kept else []
    for gap, j in zip(gaps, kept[1:]):
        if gap >= wide:
            groups.append(group)
            group = []
        group.append(j)
    if group:
        groups.append(group)

    def n_digits(g: list[int]) -> int:
        return sum(is_digit[i] for i in g)

    def label(g: list[int], others: list[list[int]]) -> bool:
        odd = any(not is_digit[i] or boxes[i][3] < SHORT * typical for i in g)
        return odd and n_digits(g) < max(n_digits(o) for o in others)

    while len(groups) > 1 and label(groups[0], groups[1:]):
        groups.pop(0)
    while len(groups) > 1 and label(groups[-1], groups[:-1]):
        groups.pop()
    words = [i for g in groups for i in g]
    # Each digit counts for the number, each refused segment against it; a short digit
    # (a lower-case letter read as "o" → "0", or a captcha's smaller digit) is neutral.
    weights = [(1.0 if boxes[i][3] >= SHORT * typical else 0.0) if is_digit[i] else -1.0 for i in words]
    start, stop = _densest_run(weights)
    # A short digit between refused letters and the number ends the label: "No" of "No 4017".
    while start < stop and weights[start] == 0.0 and start > 0 and weights[start - 1] < 0.0:
        start += 1
    while start < stop and weights[stop - 1] == 0.0 and stop < len(weights) and weights[stop] < 0.0:
        stop -= 1
    return words[start:stop], words


def best_path(n_points: int, scores: dict[tuple[int, int], float]) -> tuple[float, list[tuple[int, int]]]:
    """Best chain of pieces from point 0 to point ``n_points - 1`` (dynamic programming).

    Args:
        n_points: cut points 0..n-1 (the segment's left edge, candidate cuts, right edge).
        scores: log-score of each allowed piece ``(i, j)``, i < j; pieces not listed are not allowed.

    Returns:
        (total score, pieces left to right); ``(-inf, [])`` when no chain exists.

    >>> best_path(3, {(0, 2): -2.0, (0, 1): -0.1, (1, 2): -0.2})
    (-0.30000000000000004, [(0, 1), (1, 2)])
    """
    best = [-np.inf] * n_points
    back: list[int] = [-1] * n_points
    best[0] = 0.0
    for j in range(1, n_points):
        for i in range(j):
            piece = scores.get((i, j))
            if piece is not None and best[i] + piece > best[j]:
                best[j], back[j] = best[i] + piece, i
    if back[-1] < 0:
        return -np.inf, []
    pieces, j = [], n_points - 1
    while j > 0:
        pieces.append((back[j], j))
        j = back[j]
    return best[-1], pieces[::-1]


def best_paths(
    n_points: int, scores: dict[tuple[int, int], float], *, max_pieces: int
) -> dict[int, tuple[float, list[tuple[int, int]]]]:
    """Best chain of pieces from point 0 to point ``n_points - 1`` for each number of pieces.

    ``best_path`` with a count: the same lattice, one best chain per piece count, so a
    decoder that knows how many digits to expect can ask for a segment cut into exactly k.

    Args:
        n_points: cut points 0..n-1.
        scores: log-score of each allowed piece ``(i, j)``, i < j.
        max_pieces: the largest number of pieces wanted.

    Returns:
        ``{k: (total score, pieces left to right)}`` for every k in 1..max_pieces that
        some chain reaches.

    >>> best_paths(3, {(0, 2): -2.0, (0, 1): -0.1, (1, 2): -0.2}, max_pieces=2)[1]
    (-2.0, [(0, 2)])
    """
    # best[k][j]: best score of a chain of k pieces from point 0 to point j.
    best = [[-np.inf] * n_points for _ in range(max_pieces + 1)]
    back = [[-1] * n_points for _ in range(max_pieces + 1)]
    best[0][0] = 0.0
    for (i, j), piece in sorted(scores.items(), key=lambda item: item[0][1]):
        for k in range(1, max_pieces + 1):
            if best[k - 1][i] + piece > best[k][j]:
                best[k][j], back[k][j] = best[k - 1][i] + piece, i
    out = {}
    for k in range(1, max_pieces + 1):
        if back[k][-1] < 0:
            continue
        pieces, j = [], n_points - 1
        for level in range(k, 0, -1):
            pieces.append((back[level][j], j))
            j = back[level][j]
        out[k] = (best[k][-1], pieces[::-1])
    return out


def fit_count(options: Sequence[dict[int, float]], low: int, high: int) -> list[int] | None:
    """How many characters each segment should give so that the total lies in ``low..high``.

    A knapsack over the segments, left to right: segment i may give any count k listed in
    ``options[i]`` (0 = dropped as noise, 1 = read whole, k > 1 = cut into k digits), at
    log-score ``options[i][k]``; the choice with the best total score whose counts sum to
    between ``low`` and ``high`` wins.

    Args:
        options: one ``{count: log-score}`` per segment.
        low, high: the inclusive range of the total count.

    Returns:
        One count per segment, or None when no choice reaches the range.

    >>> fit_count([{0: -5.0, 1: -0.1}, {0: -0.1, 1: -3.0}, {1: -0.2, 2: -0.5}], 3, 3)
    [1, 0, 2]
    """
    # best[t]: (score, counts so far) of the best choice so far whose counts sum to t.
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for option in options:
        step: dict[int, tuple[float, list[int]]] = {}
        for total, (score, counts) in best.items():
            for k, s in option.items():
                t = total + k
                if t <= high and (t not in step or score + s > step[t][0]):
                    step[t] = (score + s, counts + [k])
        best = step
    reachable = [(score, counts) for total, (score, counts) in best.items() if low <= total <= high]
    return max(reachable, key=lambda item: item[0])[1] if reachable else None
