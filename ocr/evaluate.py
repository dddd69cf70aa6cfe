"""Evaluate a reader on a labelled folder (images + ``labels.csv``) and draw a report.

``labels.csv`` has a header ``file,text``; ``file`` is relative to the folder and ``text``
the digits (kept as a string, so leading zeros survive).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr.errors import DataError, OcrError
from ocr.metrics import COLUMNS, DIGITS, Score, align, score

__all__ = ["Evaluation", "read_labels", "evaluate_folder", "write_report"]


@dataclass(frozen=True)
class Evaluation:
    """A score plus what each file read as (``error`` holds the message of a file that failed)."""

    score: Score
    files: tuple[str, ...]
    truths: tuple[str, ...]
    readings: tuple[str, ...]
    errors: tuple[str | None, ...]


def read_labels(folder: str | Path) -> list[tuple[str, str]]:
    """(file, text) rows of ``folder/labels.csv``.

    Raises:
        DataError: the folder or file is missing, the header lacks ``file``/``text``, or a row
            is malformed (the message names the file and the line).
    """
    folder = Path(folder)
    path = folder / "labels.csv"
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    if not path.is_file():
        raise DataError(f"{path}: no labels.csv in the folder (need a header 'file,text')")
    try:
        # utf-8-sig: spreadsheets save "UTF-8 CSV" with a byte-order mark before the header.
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not {"file", "text"} <= set(reader.fieldnames):
                found = ",".join(reader.fieldnames or []) or "nothing"
                raise DataError(f"{path}: header must name the columns 'file' and 'text' "
                                f"(a first line file,text); found {found}")
            rows = []
            for line, row in enumerate(reader, start=2):
                name, text = row.get("file"), row.get("text")
                if not name or text is None:
                    raise DataError(f"{path}:{line}: a row needs both a file and a text")
                rows.append((name, text.strip()))
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({e}); save it as UTF-8") from e
    except csv.Error as e:
        raise DataError(f"{path}: not a readable CSV file ({e})") from e
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def evaluate_folder(
    read: Callable[[Path], str],
    folder: str | Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Read every labelled file with ``read(path) -> text`` and score the readings.

    A file that cannot be read counts as a misread (empty reading) and keeps its message.
    """
    folder = Path(folder)
    rows = read_labels(folder)
    readings, errors = [], []
    for name, _ in rows:
        try:
            readings.append(read(folder / name))
            errors.append(None)
        except OcrError as e:
            readings.append("")
            errors.append(str(e))
        if progress is not None:
            progress(1)
    truths = [text for _, text in rows]
    return Evaluation(
        score=score(truths, readings),
        files=tuple(name for name, _ in rows),
        truths=tuple(truths),
        readings=tuple(readings),
        errors=tuple(errors),
    )


def write_report(evaluation: Evaluation, folder: str | Path, out: str | Path, *,
                 title: str = "", n_worst: int = 12) -> Path:
    """A PNG with the confusion heatmap and the worst misreads (image, truth, reading)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ocr import image as image_io

    folder, out = Path(folder), Path(out)
    s = evaluation.score
    # Worst first: the most characters wrong (edit distance), then input order.
    misreads = sorted(s.misreads, key=lambda m: -sum(t != r for t, r in align(m[1], m[2])))[:n_worst]
    n_rows = max(1, len(misreads))
    fig = plt.figure(figsize=(11, max(5.0, 0.55 * n_rows + 1.5)))
    ax = fig.add_axes([0.05, 0.1, 0.45, 0.75])
    shown = np.log1p(s.confusion)
    ax.imshow(shown, cmap="Blues")
    ax.set_xticks(range(len(COLUMNS)), COLUMNS)
    ax.set_yticks(range(10), list(DIGITS))
    ax.set_xlabel("read as")
    ax.set_ylabel("truth")
    for (r, c), v in np.ndenumerate(s.confusion):
        if v:
            colour = "white" if shown[r, c] > 0.6 * shown.max() else "black"
            ax.text(c, r, str(v), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(f"{title}\nexact {s.exact:.2%} · char acc {s.char_acc:.2%} · n={s.n}")
    fig.text(0.56, 0.9, "worst misreads (truth → read)" if misreads else "no misreads",
             fontsize=11)
    for k, (index, truth, reading) in enumerate(misreads):
        bottom = 0.85 - (k + 1) * 0.8 / n_rows
        sub = fig.add_axes([0.56, bottom, 0.22, 0.8 / n_rows * 0.85])
        try:
            sub.imshow(image_io.load(folder / evaluation.files[index]), cmap="gray")
        except OcrError:  # a broken file still gets its line in the report
            pass
        sub.axis("off")
        fig.text(0.8, bottom + 0.3 / n_rows, f"{truth} → {reading or '(empty)'}", fontsize=9,
                 family="monospace")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(out)
    return out
