"""Coverage-guided fuzzing of the image loader and the reading stages (atheris).

Not part of the test run (pytest only collects ``test_*.py``). Run by hand, for example for
ten minutes, with atheris installed (``pip install atheris``; not a project dependency):

    .venv/bin/python tests/fuzz/fuzz_image.py -max_total_time=600 -rss_limit_mb=2048 corpus/

Each input is handed to ``ocr.image.load`` as file bytes; a decoded image then goes through
``binarize.ink_mask``, ``segment.glyph_boxes`` and ``normalize.glyph_batch``. The only
exception allowed out is ``ocr.errors.OcrError``; anything else is a finding and stops the run
with the input saved by libFuzzer. The seed corpus is a set of small valid images of every
format and mode, written on first use into the corpus folder.
"""

from __future__ import annotations

import io
import os
import sys

import atheris

with atheris.instrument_imports():
    import numpy as np
    from PIL import Image

    from ocr import binarize, image, normalize, segment
    from ocr.errors import OcrError


def seed_corpus(folder: str) -> None:
    """Write small valid images (formats × modes) as starting points for the mutations."""
    os.makedirs(folder, exist_ok=True)
    if os.listdir(folder):
        return
    rng = np.random.default_rng(0)
    gray = (rng.random((12, 30)) * 255).astype(np.uint8)
    pictures = {
        "L": Image.fromarray(gray),
        "RGB": Image.fromarray(np.dstack([gray] * 3)),
        "RGBA": Image.fromarray(np.dstack([gray] * 4)),
        "P": Image.fromarray(gray).convert("P"),
        "1": Image.fromarray(gray).convert("1"),
        "I;16": Image.fromarray(gray.astype(np.uint16) * 257),
    }
    formats = {"png": ("L", "RGB", "RGBA", "P", "1", "I;16"), "jpeg": ("L", "RGB"),
               "bmp": ("L", "RGB", "P"), "gif": ("L", "P"), "tiff": ("L", "RGB", "I;16"),
               "webp": ("RGB", "RGBA")}
    for fmt, modes in formats.items():
        for mode in modes:
            buffer = io.BytesIO()
            try:
                pictures[mode].save(buffer, format=fmt)
            except (OSError, ValueError):
                continue
            with open(os.path.join(folder, f"seed-{mode.replace(';', '')}.{fmt}"), "wb") as f:
                f.write(buffer.getvalue())


def test_one_input(data: bytes) -> None:
    try:
        gray = image.load(data, max_pixels=4_000_000)
    except OcrError:
        return
    assert gray.dtype == np.uint8 and gray.ndim == 2 and gray.size > 0
    ink = binarize.ink_mask(gray)
    boxes = segment.glyph_boxes(ink)
    height, width = gray.shape
    for x, y, w, h in boxes:
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height
    normalize.glyph_batch(ink, boxes[:16], size=28)


def main() -> None:
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if corpus:
        seed_corpus(corpus[0])
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
