"""Scoring readings against labels: exact match, character accuracy, a confusion matrix.

Truth and reading are aligned by edit distance (Levenshtein), so a dropped or an extra
character costs one error instead of shifting every digit after it. The confusion matrix
has a row per true digit and a column per read digit, plus "?" (refused) and "-" (missed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Score", "COLUMNS", "align", "score", "format_confusion"]

DIGITS = "0123456789"
COLUMNS = tuple(DIGITS) + ("?", "-")  # read digit, refused, missed


@dataclass(frozen=True)
class Score:
    """Accuracy of a set of readings.

    Attributes:
        n: number of images.
        exact: fraction read exactly right.
        char_acc: 1 - (edit distance / number of true characters), over the whole set.
        confusion: int (10, 12) counts, rows true digits, columns ``COLUMNS``.
        misreads: (index, truth, reading) of every image not read exactly, in input order.
    """

    n: int
    exact: float
    char_acc: float
    confusion: np.ndarray
    misreads: tuple[tuple[int, str, str], ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "exact": self.exact,
            "char_acc": self.char_acc,
            "confusion": {
                "rows": list(DIGITS),
                "columns": list(COLUMNS),
                "counts": self.confusion.tolist(),
            },
        }


def align(truth: str, reading: str) -> list[tuple[str | None, str | None]]:
    """Pairs (true char, read char) of a minimal edit alignment; None marks a gap.

    >>> align("4017", "407")
    [('4', '4'), ('0', '0'), ('1', None), ('7', '7')]
    """
    n, m = len(truth), len(reading)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1, j - 1] + (truth[i - 1] != reading[j - 1])
            cost[i, j] = min(sub, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs: list[tuple[str | None, str | None]] = []
    i, j = n, m
    while i > 0 or j > 0:  # walk back, preferring matches/substitutions
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (truth[i - 1] != reading[j - 1]):
            pairs.append((truth[i - 1], reading[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((truth[i - 1], None))
            i -= 1
        else:
            pairs.append((None, reading[j - 1]))
            j -= 1
    return pairs[::-1]


def score(truths: Sequence[str], readings: Sequence[str]) -> Score:
    """Score readings against truths (same order, same length).

    >>> s = score(["123", "45"], ["123", "46"])
    >>> s.exact, s.char_acc
    (0.5, 0.8)
    """
    if len(truths) != len(readings):
        raise ValueError(f"{len(truths)} truths but {len(readings)} readings")
    confusion = np.zeros((10, len(COLUMNS)), dtype=np.int64)
    n_chars, n_errors, n_exact = 0, 0, 0
    misreads = []
    for index, (truth, reading) in enumerate(zip(truths, readings)):
        n_chars += len(truth)
        if truth == reading:
            n_exact += 1
        else:
            misreads.append((index, truth, reading))
        for t, r in align(truth, reading):
            if t != r:
                n_errors += 1
            if t is not None and t in DIGITS:
                column = COLUMNS.index(r) if r in COLUMNS else COLUMNS.index("?")
                confusion[int(t), column if r is not None else COLUMNS.index("-")] += 1
    n = len(truths)
    return Score(
        n=n,
        exact=n_exact / n if n else 0.0,
        char_acc=max(0.0, 1 - n_errors / n_chars) if n_chars else 0.0,
        confusion=confusion,
        misreads=tuple(misreads),
    )


def format_confusion(confusion: np.ndarray) -> str:
    """The confusion matrix as an aligned text table (rows: truth, columns: read)."""
    width = max(4, len(str(int(confusion.max(initial=0)))) + 1)
    lines = ["truth\\read" + "".join(c.rjust(width) for c in COLUMNS)]
    for d, row in zip(DIGITS, confusion):
        cells = "".join((str(int(v)) if v else ".").rjust(width) for v in row)
        lines.append(d.rjust(10) + cells)
    return "\n".join(lines)
