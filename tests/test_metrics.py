"""Scoring: exact match, character accuracy by edit distance, the aligned confusion matrix."""

import numpy as np

from ocr.metrics import COLUMNS, align, format_confusion, score


def test_alignment_keeps_later_digits_in_place_after_a_miss():
    assert align("4017", "407") == [("4", "4"), ("0", "0"), ("1", None), ("7", "7")]
    assert align("12", "312") == [(None, "3"), ("1", "1"), ("2", "2")]
    assert align("", "") == []


def test_score_counts_substitutions_misses_and_refusals():
    s = score(["12345", "3", "38", "00"], ["12345", "8", "3", "0?"])
    assert s.n == 4 and s.exact == 0.25
    # errors: 3→8, a missed 8, a refused 0  → 3 of 10 characters wrong
    assert s.char_acc == 0.7
    assert s.confusion[3, COLUMNS.index("8")] == 1
    assert s.confusion[8, COLUMNS.index("-")] == 1
    assert s.confusion[0, COLUMNS.index("?")] == 1
    assert s.confusion[1, 1] == 1 and s.confusion.sum() == 10  # one count per true digit
    assert [m[0] for m in s.misreads] == [1, 2, 3]


def test_confusion_table_has_a_row_per_digit():
    table = format_confusion(np.eye(10, len(COLUMNS), dtype=int) * 5)
    lines = table.splitlines()
    assert len(lines) == 11 and lines[0].split()[-2:] == ["?", "-"]
    assert lines[4].split()[0] == "3" and lines[4].split()[4] == "5"
