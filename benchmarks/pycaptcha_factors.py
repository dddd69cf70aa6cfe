"""Where the `captcha` package's images are lost: its generator with one setting changed at a time.

Run by hand (not part of the tests; needs ``pip install captcha``):

    .venv/bin/python benchmarks/pycaptcha_factors.py [--n 400] [--seed 5]

The ``pycaptcha`` style of ``benchmarks/accuracy.py`` is ``ImageCaptcha()`` as it comes. Here
the same texts are drawn again with one thing changed per row: its own font (DroidSansMono)
swapped for one of our training fonts, a wider canvas, no word spaces (each drawn space
widens the text, which is then squeezed to 160 pixels), smaller turns of each glyph (its
default is up to 30° either way) or none, no perspective warp. Each row gives our reader's
exact match (engine ``auto``), the images whose only kind of error is a 7 read as a 1, and
the refusals; and ddddocr's exact match when it is present (see ``benchmarks/engines.py``).
A row that reads much better than the first names a property of the generator that costs us.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import engines  # noqa: E402
from ocr.evaluate import read_labels  # noqa: E402
from ocr.metrics import score  # noqa: E402
from ocr.reader import Reader  # noqa: E402


def _matplotlib_font(name: str) -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


# Row name → (fonts, width, ImageCaptcha settings). Settings as in captcha 0.7: a space is drawn
# before a glyph when a uniform draw exceeds word_space_probability (so 1.0: never).
VARIANTS: dict[str, tuple[list[str] | None, int, dict[str, object]]] = {
    "as it comes": (None, 160, {}),
    "font: DejaVu Sans Mono (trained on)": ([_matplotlib_font("DejaVuSansMono.ttf")], 160, {}),
    "font: DejaVu Sans (trained on)": ([_matplotlib_font("DejaVuSans.ttf")], 160, {}),
    "canvas 240 px wide": (None, 240, {}),
    "no word spaces": (None, 160, {"word_space_probability": 1.0}),
    "turns up to 15°": (None, 160, {"character_rotate": (-15, 15)}),
    "no turns": (None, 160, {"character_rotate": (0, 0)}),
    "no warp": (None, 160, {"character_warp_dx": (0.0, 0.0), "character_warp_dy": (0.0, 0.0)}),
    "no word spaces, turns up to 15°": (None, 160, {"word_space_probability": 1.0, "character_rotate": (-15, 15)}),
}


def seven_as_one(truth: str, read: str) -> bool:
    """True when `read` differs from `truth` only where a 7 was read as a 1."""
    return (truth != read and len(truth) == len(read)
            and all(a == b or (a, b) == ("7", "1") for a, b in zip(truth, read)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="images per row (default 400)")
    parser.add_argument("--seed", type=int, default=5, help="texts and drawing seed (default 5)")
    args = parser.parse_args(argv)

    reader = Reader()
    dddd = engines.ddddocr_python()
    print(f"{args.n} images per row, lengths 4-6, seed {args.seed}; ours: the shipped models, engine auto")
    print(f"{'generator':38s} {'ours':>7s} {'7 as 1':>7s} {'refused':>8s} {'ddddocr':>8s}")
    with tempfile.TemporaryDirectory(prefix="ocr-pycaptcha-factors-") as tmp:
        for k, (name, (fonts, width, settings)) in enumerate(VARIANTS.items()):
            folder = Path(tmp) / f"row{k}"
            if not engines.write_pycaptcha_suite(folder, args.n, args.seed, fonts=fonts, width=width,
                                                 settings=settings):
                print("the captcha package is not installed: pip install captcha")
                return 1
            rows = read_labels(folder)
            paths = [folder / name_ for name_, _ in rows]
            truths = [text for _, text in rows]
            reads = [r.text for r in reader.read_batch(paths)]
            exact = score(truths, reads).exact
            sevens = sum(seven_as_one(t, r) for t, r in zip(truths, reads))
            refused = sum(r == "" for r in reads)
            theirs = "-"
            if dddd is not None:
                got = engines.read_ddddocr(paths, dddd)
                theirs = f"{score(truths, got).exact:.1%}"
            print(f"{name:38s} {exact:7.1%} {sevens:7d} {refused:8d} {theirs:>8s}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
