"""Labelled folders of synthetic samples, and looking at them.

Sample ``i`` of a run is drawn from ``np.random.default_rng([seed, i])`` alone, so a seed
gives the same images however the run is chunked or parallelised. A folder holds
``000000.png`` …, ``labels.csv`` (``file,text``) and ``boxes.jsonl`` (one object per image).

>>> write_dataset("data/train", n=1000, style="mixed", seed=0, fonts=bundled_fonts())
PosixPath('data/train')
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from ocr.evaluate import read_labels  # the reader's own parser: one place for the format
from synth.fonts import Font
from synth.styles import Sample, make_sample

__all__ = ["iter_samples", "write_dataset", "read_labels", "contact_sheet", "file_name"]


def iter_samples(
    n: int,
    *,
    style: str = "mixed",
    seed: int = 0,
    fonts: Sequence[Font],
    length: tuple[int, int] = (4, 8),
    height: int | None = None,
    start: int = 0,
) -> Iterator[Sample]:
    """Yield samples ``start`` … ``start + n - 1``; sample i uses ``default_rng([seed, i])``."""
    for i in range(start, start + n):
        rng = np.random.default_rng([seed, i])
        yield make_sample(style, rng, fonts, length=length, height=height)


def file_name(i: int, n: int) -> str:
    """``000042.png``: `i` zero-padded to the width of ``n - 1``, at least 6 digits."""
    width = max(6, len(str(max(n - 1, 0))))
    return f"{i:0{width}d}.png"


def _write_png(path: Path, image: np.ndarray) -> None:
    """Write uint8 gray (H, W) or RGB (H, W, 3) `image` to `path` via a temporary file."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", bgr)
    if not ok:  # pragma: no cover - cv2 always encodes uint8 images
        raise RuntimeError(f"PNG encoding failed for {path}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)


def write_dataset(
    out: str | Path,
    *,
    n: int,
    style: str = "mixed",
    seed: int = 0,
    fonts: Sequence[Font],
    length: tuple[int, int] = (4, 8),
    height: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Render `n` samples into the folder `out` (created if needed).

    Each PNG is written before its rows in ``labels.csv`` and ``boxes.jsonl``, and every row
    is flushed as it is written, so an interrupted run leaves valid files describing exactly
    the images finished so far. Existing label files in `out` are replaced.

    Args:
        out: Destination folder.
        n: Number of samples.
        style, seed, fonts, length, height: As for `iter_samples`.
        progress: Called with 1 after each written sample.

    Returns:
        The folder path.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as labels, open(
        folder / "boxes.jsonl", "w", encoding="utf-8"
    ) as boxes:
        writer = csv.writer(labels)  # text is written as a string: "0042" keeps its zeros
        writer.writerow(["file", "text"])
        labels.flush()
        for i, sample in enumerate(
            iter_samples(n, style=style, seed=seed, fonts=fonts, length=length, height=height)
        ):
            name = file_name(i, n)
            _write_png(folder / name, sample.image)
            writer.writerow([name, sample.text])
            record = {
                "file": name,
                "text": sample.text,
                "boxes": [list(b) for b in sample.boxes],
                "style": sample.style,
                "font": sample.font,
            }
            boxes.write(json.dumps(record) + "\n")
            labels.flush()
            boxes.flush()
            if progress is not None:
                progress(1)
    return folder


def _to_rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image


def contact_sheet(
    images: Sequence[np.ndarray],
    *,
    labels: Sequence[str] | None = None,
    cols: int = 4,
    cell_height: int = 48,
) -> np.ndarray:
    """Tile images into one uint8 RGB sheet, each scaled to `cell_height` with its label below.

    Args:
        images: uint8 gray (H, W) or RGB (H, W, 3) images.
        labels: One caption per image (optional).
        cols: Images per row.
        cell_height: Height each image is scaled to, in pixels.

    Returns:
        uint8 (H, W, 3) sheet on a mid-gray background.
    """
    if not images:
        return np.full((cell_height, cell_height, 3), 128, np.uint8)
    scaled = []
    for image in images:
        h, w = image.shape[:2]
        new_w = max(1, round(w * cell_height / h))
        scaled.append(cv2.resize(_to_rgb(image), (new_w, cell_height), interpolation=cv2.INTER_AREA))
    caption = 14 if labels is not None else 0
    gap = 6
    cell_w = max(s.shape[1] for s in scaled)
    rows = -(-len(scaled) // cols)
    sheet = np.full((rows * (cell_height + caption + gap) + gap, cols * (cell_w + gap) + gap, 3), 128, np.uint8)
    for k, image in enumerate(scaled):
        top = gap + (k // cols) * (cell_height + caption + gap)
        left = gap + (k % cols) * (cell_w + gap)
        sheet[top : top + cell_height, left : left + image.shape[1]] = image
        if labels is not None:
            org = (left, top + cell_height + caption - 3)
            cv2.putText(sheet, str(labels[k]), org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return sheet
