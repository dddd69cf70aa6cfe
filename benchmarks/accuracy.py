"""Hard strips side by side: our two shipped models, Tesseract and ddddocr, on one held-out suite.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/accuracy.py [--n 300] [--seed 6007] [--engines ...]

Synthesizes a fixed suite of ``--n`` images per style, drawn only in the font families held
out of training (Roboto, Source Serif Pro, Hanken Grotesk):

    clean     plain print                         noisy     blur, noise, JPEG, rotation
    touching  neighbours touching or overlapping  captcha   colours, speckles, crossing lines
    plate     bordered plates                     field     form fields, comb boxes, labels
    nodigit   no digits at all (must read empty)  pycaptcha the `captcha` package's ImageCaptcha

``pycaptcha`` comes from a generator we did not write and never train on (its own fonts); it
is made only when the ``captcha`` package is installed. Then every engine reads every image
and the table gives exact match and character accuracy per style (for ``nodigit``: the share
read as empty). Tesseract (``--psm 7``, digit whitelist) and ddddocr (``set_ranges``) run when
present — see ``benchmarks/engines.py`` — and are skipped otherwise; the project needs neither.
Our columns are the shipped models with the reader's engines (``--ours``, default ``auto``,
which asks the sequence network about tangled strips, and ``glyphs``, which does not).
Finally, for the first column, how its confidence separates right from wrong readings: the
exact-match rate of readings at or above each ``--min-confidence`` threshold and below it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import engines  # noqa: E402
from ocr.evaluate import read_labels  # noqa: E402
from ocr.metrics import score  # noqa: E402
from ocr.reader import Reader  # noqa: E402
from synth import dataset  # noqa: E402
from synth import fonts as font_lib  # noqa: E402

# Suite style name → synth style.
STYLES = {"clean": "plain", "noisy": "noisy", "touching": "touching", "captcha": "captcha",
          "plate": "plate", "field": "field", "nodigit": "nodigit"}
THRESHOLDS = (0.3, 0.5, 0.7, 0.9, 0.97)


def make_suite(root: Path, n: int, seed: int) -> dict[str, Path]:
    """Write every style's folder under ``root``; return style → folder."""
    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    folders = {}
    for k, (name, style) in enumerate(STYLES.items()):
        folders[name] = dataset.write_dataset(root / name, n=n, style=style, seed=seed + k, fonts=held_out)
    if engines.write_pycaptcha_suite(root / "pycaptcha", n, seed + len(STYLES)):
        folders["pycaptcha"] = root / "pycaptcha"
    return folders


def read_ours(model: Path, paths: list[Path], engine: str = "auto") -> tuple[list[str], list[float], float]:
    """Texts, confidences and seconds of one model reading ``paths`` one by one, in one process."""
    reader = Reader(model, engine=engine)
    texts, confidences = [], []
    start = time.perf_counter()
    for path in paths:
        reading = reader.read(path)
        texts.append(reading.text)
        confidences.append(reading.confidence)
    return texts, confidences, time.perf_counter() - start


def calibration(truths: list[str], texts: list[str], confidences: list[float]) -> list[str]:
    """Rows: threshold, share kept, exact match of kept readings, exact match of refused ones."""
    lines = [f"{'threshold':>9} {'kept':>7} {'exact if kept':>14} {'exact if refused':>17}"]
    for t in THRESHOLDS:
        kept = [tr == tx for tr, tx, c in zip(truths, texts, confidences) if c >= t]
        refused = [tr == tx for tr, tx, c in zip(truths, texts, confidences) if c < t]
        share = len(kept) / len(truths)
        k = f"{sum(kept) / len(kept):.2%}" if kept else "—"
        r = f"{sum(refused) / len(refused):.2%}" if refused else "—"
        lines.append(f"{t:>9.2f} {share:>7.1%} {k:>14} {r:>17}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="images per style")
    parser.add_argument("--seed", type=int, default=6007)
    parser.add_argument("--models", nargs="+", type=Path,
                        default=[ROOT / "models" / "digits28.npz", ROOT / "models" / "digits8.npz"])
    parser.add_argument("--ours", nargs="+", default=["auto", "glyphs"],
                        help="our engines (ocr.reader.ENGINES) to run with the first model; the others run auto")
    parser.add_argument("--engines", nargs="*", default=["tesseract", "ddddocr"],
                        help="reference engines to run when present")
    parser.add_argument("--suite", type=Path, help="folder for the suite (default: a new temporary one)")
    args = parser.parse_args()

    root = args.suite or Path(tempfile.mkdtemp(prefix="ocr-accuracy-"))
    folders = make_suite(root, args.n, args.seed)
    held = ", ".join(font_lib.HELD_OUT_FAMILIES)
    print(f"suite in {root}: {args.n} images per style, fonts held out of training: {held}")
    if "pycaptcha" not in folders:
        print("pycaptcha: skipped (pip install captcha to add the captcha package's images)")

    labels = {style: read_labels(folder) for style, folder in folders.items()}
    paths = [folders[s] / name for s in folders for name, _ in labels[s]]
    truths = [text for s in folders for _, text in labels[s]]
    styles = [s for s in folders for _ in labels[s]]

    columns: dict[str, list[str]] = {}
    speed: dict[str, float] = {}
    confidences: dict[str, list[float]] = {}
    runs = [(args.models[0], e) for e in args.ours] + [(m, "auto") for m in args.models[1:]]
    for model, engine in runs:
        name = f"{model.stem} {engine}"
        texts, conf, seconds = read_ours(model, paths, engine)
        columns[name], confidences[name] = texts, conf
        speed[name] = len(paths) / seconds
    if "tesseract" in args.engines:
        if engines.tesseract_available():
            start = time.perf_counter()
            columns["tesseract"] = engines.read_tesseract(paths)
            speed["tesseract"] = len(paths) / (time.perf_counter() - start)
        else:
            print("tesseract: skipped (not installed)")
    if "ddddocr" in args.engines:
        python = engines.ddddocr_python()
        if python:
            start = time.perf_counter()
            columns["ddddocr"] = engines.read_ddddocr(paths, python)
            speed["ddddocr"] = len(paths) / (time.perf_counter() - start)
        else:
            print("ddddocr: skipped (no Python with ddddocr; set OCR_DDDDOCR_PYTHON)")

    names = list(columns)
    print("\nexact match / character accuracy per style (nodigit: share read as empty)")
    print(f"{'style':<10} {'n':>4}" + "".join(f" {name:>22}" for name in names))
    for style in folders:
        index = [i for i, s in enumerate(styles) if s == style]
        cells = []
        for name in names:
            result = score([truths[i] for i in index], [columns[name][i] for i in index])
            char = "—" if style == "nodigit" else f"{result.char_acc:.2%}"
            cells.append(f"{result.exact:>13.2%} {char:>8}")
        print(f"{style:<10} {len(index):>4}" + "".join(f" {c:>22}" for c in cells))
    print(f"{'images/s':<15}" + "".join(f" {speed[name]:>22,.0f}" for name in names))
    print("(ours: one process reading file by file; Tesseract: one process per file, 2 at a time;"
          " ddddocr: one process)")

    first = f"{args.models[0].stem} {args.ours[0]}"
    digits = [i for i, s in enumerate(styles) if s != "nodigit"]
    print(f"\n{first}: readings kept by --min-confidence (all styles but nodigit, {len(digits)} images)")
    for line in calibration([truths[i] for i in digits], [columns[first][i] for i in digits],
                            [confidences[first][i] for i in digits]):
        print(line)


if __name__ == "__main__":
    main()
