"""Reading speed: cold start of `ocr read`, strips/s in-process on one core, and Tesseract.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/read_speed.py [--n 2000] [--model models/digits28.npz]

It synthesizes plain strips in the held-out font families, then prints one table:
the wall time of a whole `ocr read one.png` process (median of repeated runs), the time
a 20,000×20,000 PNG takes to be refused (aim < 0.1 s, and < 100 MB for the process), strips per
second for `Reader.read` on one core (from decoded arrays and from PNG files), and the
same for `tesseract --psm 7` with a digit whitelist, one process per file as scripts
usually call it, if the `tesseract` binary is installed. Accuracy is shown beside speed.
"""

from __future__ import annotations

import argparse
import os

# One core, one BLAS thread: set before NumPy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cold_start(exe: list[str], image: Path, model: Path, runs: int) -> float:
    """Median wall seconds of a whole `ocr read --model M image` process."""
    # Bytecode caching on, as on a normal install (some sandboxes set PYTHONDONTWRITEBYTECODE,
    # which makes every start recompile the sources); the first run warms the cache.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*exe, "read", "--model", str(model), str(image)], check=True, capture_output=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*exe, "read", "--model", str(model), str(image)], check=True, capture_output=True,
                       env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_wall(command: list[str], runs: int) -> float:
    """Median wall seconds of running ``command`` to completion."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_REFUSAL = """
import resource, subprocess, sys, time
from ocr import image
start = time.perf_counter()
try:
    image.load(sys.argv[1])
except image.ImageError:
    pass
seconds = time.perf_counter() - start
done = subprocess.run([sys.argv[2], "read", sys.argv[1]], capture_output=True)
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""


def refusal_cost(exe: list[str], folder: Path, runs: int) -> tuple[float, int]:
    """Median seconds to refuse a huge PNG, and the peak RSS (KiB) of `ocr read` refusing it.

    Each run is a fresh process, so the time is that of the first refusal, Pillow's lazy
    plugin imports included; the RSS is that of a whole `ocr read huge-white.png` process.
    """
    from tests.helpers import png_gray

    huge = folder / "huge-white.png"
    huge.write_bytes(png_gray(20_000, 20_000))  # 400 MB of white pixels, 0.4 MB on disk
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _REFUSAL, str(huge), exe[0]], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        seconds, child_kib, code = out.stdout.split()
        if int(code) != 2:
            raise SystemExit(f"{huge}: expected a refusal (exit 2), got {code}")
        times.append(float(seconds))
        peaks.append(int(child_kib))
    return statistics.median(times), max(peaks)


def tesseract_read(path: Path) -> str:
    result = subprocess.run(
        ["tesseract", str(path), "stdout", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"],
        capture_output=True, text=True,
    )
    return "".join(ch for ch in result.stdout if ch.isdigit())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="strips to read in-process")
    parser.add_argument("--n-tesseract", type=int, default=200, help="strips for Tesseract")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "digits28.npz")
    parser.add_argument("--runs", type=int, default=15, help="repeats of the cold start")
    parser.add_argument("--style", default="plain")
    parser.add_argument("--passes", type=int, default=3, help="in-process passes; the best is shown")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from ocr import image as image_io
    from ocr.metrics import score
    from ocr.reader import Reader
    from synth import dataset
    from synth import fonts as font_lib

    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    folder = Path(tempfile.mkdtemp(prefix="ocr-read-speed-"))
    dataset.write_dataset(folder, n=args.n, style=args.style, seed=11, fonts=held_out)
    rows = dataset.read_labels(folder)
    paths = [folder / name for name, _ in rows]
    truths = [text for _, text in rows]
    arrays = [image_io.load(p) for p in paths]
    h, w = zip(*(a.shape for a in arrays))
    print(f"{len(paths)} '{args.style}' strips in held-out fonts, median {statistics.median(w):.0f}×"
          f"{statistics.median(h):.0f} px, in {folder}")

    table: list[tuple[str, str, str, str]] = []
    exe = [str(Path(sys.executable).with_name("ocr"))]
    bare = median_wall([sys.executable, "-c", "pass"], args.runs)
    floor = median_wall([sys.executable, "-c", "import numpy, cv2, PIL.Image"], args.runs)
    cold = cold_start(exe, paths[0], args.model, args.runs)
    table.append(("cold start: `ocr read one.png`", f"{cold * 1000:.0f} ms", "aim ≤ 200 ms",
                  f"python alone {bare * 1000:.0f} ms; importing numpy+cv2+PIL {floor * 1000:.0f} ms"))

    extra, rss_kib = refusal_cost(exe, folder, args.runs)
    table.append(("refusing a 20,000×20,000 PNG", f"{extra * 1000:.1f} ms", "aim < 100 ms",
                  f"first refusal in a process; `ocr read` peak RSS {rss_kib / 1024:.0f} MB (aim < 100)"))

    reader = Reader(args.model)
    reader.read(arrays[0])  # warm-up
    for label, sources in (("in-process, decoded arrays", arrays), ("in-process, PNG files", paths)):
        seconds = float("inf")
        for _ in range(args.passes):  # the best of a few passes: this machine is shared
            start = time.perf_counter()
            texts = [reader.read(s).text for s in sources]
            seconds = min(seconds, time.perf_counter() - start)
        s = score(truths, texts)
        table.append((label + ", 1 core", f"{len(sources) / seconds:,.0f} strips/s",
                      f"{seconds / len(sources) * 1000:.3f} ms/strip", f"exact {s.exact:.2%}"))

    if args.n_tesseract and shutil.which("tesseract"):
        subset = paths[: args.n_tesseract]
        start = time.perf_counter()
        texts = [tesseract_read(p) for p in subset]
        seconds = time.perf_counter() - start
        s = score(truths[: len(subset)], texts)
        table.append(("tesseract --psm 7, digits, process/file", f"{len(subset) / seconds:,.1f} strips/s",
                      f"{seconds / len(subset) * 1000:.1f} ms/strip", f"exact {s.exact:.2%}"))
    else:
        table.append(("tesseract", "skipped (--n-tesseract 0)" if not args.n_tesseract else "not installed", "", ""))

    widths = [max(len(row[i]) for row in table) for i in range(4)]
    print()
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
