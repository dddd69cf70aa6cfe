"""Generalization to unseen fonts: exact match per style, on font families held out of training.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/heldout.py [--n 1000] [--seed 2027]

Synthesizes a fixed suite — `plain` (clean) and `noisy` (noise, blur, JPEG, rotation,
perspective, illumination) strips, plus `captcha`, `plate` and `field`, all drawn only in the
held-out families (Roboto, Source Serif Pro, Hanken Grotesk), and 500 `classic` captchas —
then reads it with both shipped models and prints exact-match and character accuracy per style,
and the classic captchas' confusion matrix for each model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr.evaluate import evaluate_folder  # noqa: E402
from ocr.metrics import format_confusion  # noqa: E402
from ocr.reader import Reader  # noqa: E402
from synth import dataset  # noqa: E402
from synth import fonts as font_lib  # noqa: E402

STYLES = ("plain", "noisy", "captcha", "plate", "field")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="strips per style")
    parser.add_argument("--n-classic", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--models", nargs="+", type=Path,
                        default=[ROOT / "models" / "digits28.npz", ROOT / "models" / "digits8.npz"])
    args = parser.parse_args()

    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    root = Path(tempfile.mkdtemp(prefix="ocr-heldout-"))
    print(f"held-out families: {', '.join(sorted({f.family for f in held_out}))}; suite in {root}")
    suites = {style: args.n for style in STYLES} | {"classic": args.n_classic}
    for k, (style, n) in enumerate(suites.items()):
        dataset.write_dataset(root / style, n=n, style=style, seed=args.seed + k, fonts=held_out)

    results = {}
    for model in args.models:
        reader = Reader(model)
        for style in suites:
            start = time.perf_counter()
            result = evaluate_folder(lambda p: reader.read(p).text, root / style)
            results[model.name, style] = (result, time.perf_counter() - start)

    header = f"{'style':<9} {'n':>5}" + "".join(f"  {m.name + ' exact':>19} {'char':>7}" for m in args.models)
    print("\n" + header)
    for style, n in suites.items():
        cells = "".join(
            f"  {results[m.name, style][0].score.exact:>19.2%} {results[m.name, style][0].score.char_acc:>7.2%}"
            for m in args.models
        )
        print(f"{style:<9} {n:>5}{cells}")
    for model in args.models:
        result = results[model.name, "classic"][0]
        print(f"\nclassic captchas, {model.name}: confusion (rows truth, columns read)")
        print(format_confusion(result.score.confusion))
        for index, truth, reading in result.score.misreads[:10]:
            print(f"  misread {result.files[index]}: {truth} → {reading or '(empty)'}")


if __name__ == "__main__":
    main()
