"""Expected formats such as ``\\d{3}-\\d{4}``: how many digits to find, and how to print them.

A pattern is a small regular-expression-like string of digit groups and literal characters:

- ``\\d`` one digit, ``\\d{4}`` four, ``\\d{2,3}`` two or three, ``\\d+`` one or more;
- any other character is a literal, printed as it is (``\\`` escapes a character that
  would otherwise be special: ``\\{``, ``\\\\``).

The reader reads only the digits; the literals are matched, not read: a dash printed between
two groups is one more thing the decoder may drop, and the output puts the pattern's own
literals back, at the group boundaries that fall on the widest gaps between the glyphs.

>>> p = parse("\\\\d{3}-\\\\d{4}")
>>> p.n_digits, p.apply_to("5550123", gaps=[1, 1, 9, 1, 1, 1])
((7, 7), '555-0123')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import product

from ocr.decode import Reading
from ocr.errors import InputError

__all__ = ["Pattern", "parse"]

MAX_DIGITS = 40  # what "\d+" means at most: no strip holds more
_GROUP = re.compile(r"\\d(?:\{(\d+)(?:,(\d+))?\}|(\+))?")


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern.

    Attributes:
        source: the text it was parsed from.
        parts: literal strings and digit groups ``(low, high)``, left to right.
    """

    source: str
    parts: tuple[str | tuple[int, int], ...]

    @property
    def groups(self) -> tuple[tuple[int, int], ...]:
        return tuple(p for p in self.parts if isinstance(p, tuple))

    @property
    def n_digits(self) -> tuple[int, int]:
        """The inclusive range of the number of digits the pattern holds."""
        return sum(lo for lo, _ in self.groups), min(MAX_DIGITS, sum(hi for _, hi in self.groups))

    def apply_to(self, digits: str, gaps: Sequence[float]) -> str | None:
        """Print ``digits`` in the pattern's format, or None when they cannot fit it.

        Args:
            digits: the digits read, left to right.
            gaps: ``len(digits) - 1`` distances between neighbouring glyphs; when groups
                have a variable size, the split that puts group boundaries on the widest
                gaps wins.
        """
        sizes = _best_sizes(self.groups, len(digits), gaps)
        if sizes is None:
            return None
        out, start, k = [], 0, 0
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(digits[start : start + sizes[k]])
                start += sizes[k]
                k += 1
        return "".join(out)

    def apply(self, reading: Reading) -> Reading:
        """``reading`` with its text printed in the pattern's format; empty when it does not fit."""
        boxes = [g.box for g in reading.glyphs]
        gaps = [b[0] - (a[0] + a[2]) for a, b in zip(boxes, boxes[1:])]
        text = self.apply_to(reading.text, gaps) if "?" not in reading.text else None
        if text is None:
            return Reading(text="", confidence=0.0, glyphs=())
        return replace(reading, text=text)


def _best_sizes(groups: Sequence[tuple[int, int]], n: int, gaps: Sequence[float]) -> list[int] | None:
    """Group sizes summing to ``n`` whose boundaries lie on the widest gaps, or None."""
    if not groups:
        return [] if n == 0 else None
    ranges = [range(lo, min(hi, n) + 1) for lo, hi in groups]
    if all(len(r) == 1 for r in ranges):  # fixed sizes: nothing to choose
        sizes = [r[0] for r in ranges]
        return sizes if sum(sizes) == n else None
    best, best_score = None, float("-inf")
    for sizes in product(*ranges):
        if sum(sizes) != n:
            continue
        ends = [sum(sizes[: k + 1]) for k in range(len(sizes) - 1)]
        score = sum(gaps[e - 1] for e in ends if 0 < e < n)
        if score > best_score:
            best, best_score = list(sizes), score
    return best


def parse(text: str) -> Pattern:
    """Parse a pattern such as ``\\d{3}-\\d{4}``.

    Raises:
        InputError: the pattern holds no digit group, a group is malformed (``\\d{4,2}``),
            or it uses regular-expression syntax this small language lacks (``[``, ``(``,
            ``|``, ``*``, ``?``, other backslash classes).
    """
    parts: list[str | tuple[int, int]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        match = _GROUP.match(text, i)
        if match:
            if literal:
                parts.append("".join(literal))
                literal = []
            low, high, plus = match.groups()
            if plus:
                group = (1, MAX_DIGITS)
            elif low is None:
                group = (1, 1)
            else:
                group = (int(low), int(high) if high is not None else int(low))
            if group[0] < 1 or group[1] < group[0] or group[1] > MAX_DIGITS:
                raise InputError(f"pattern {text!r}: {match.group(0)} must count 1 to {MAX_DIGITS} digits, low ≤ high")
            parts.append(group)
            i = match.end()
        elif text[i] == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            literal.append(text[i + 1])
            i += 2
        elif text[i] == "\\" or text[i] in "[]()|*?{}^$":
            raise InputError(f"pattern {text!r}: only \\d, \\d{{n}}, \\d{{m,n}}, \\d+ and literal "
                             f"characters are understood; escape {text[i]!r} with a backslash")
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    pattern = Pattern(source=text, parts=tuple(parts))
    if not pattern.groups:
        raise InputError(f"pattern {text!r} holds no digits; write them as \\d, \\d{{4}} or \\d{{2,3}}")
    return pattern
