"""Reference engines for the accuracy benchmarks: Tesseract, ddddocr, and the `captcha` package's images.

Only the benchmark scripts use this module; the project itself never depends on any of these
tools, and each helper says when its tool is missing instead of failing at import time:

- **Tesseract** — the ``tesseract`` CLI (Debian package ``tesseract-ocr``), one process per
  image with ``--psm 7`` (a single text line) and a digit whitelist, as a script would call it.
  :func:`tesseract_available`, :func:`read_tesseract`.
- **ddddocr** — a captcha reader on onnxruntime, installed by hand in its own venv (it pins
  its own numpy/onnxruntime/Pillow), e.g. ``python3 -m venv ../ddddocr-venv &&
  ../ddddocr-venv/bin/pip install ddddocr``. It runs in that interpreter as one subprocess
  per call, so a folder of thousands of images costs one model load.
  :func:`ddddocr_python`, :func:`read_ddddocr`.
- **pycaptcha** — images of the ``captcha`` package's ``ImageCaptcha`` with its default font
  and size (``pip install captcha`` by hand): a captcha style the project was not built
  from. :func:`write_pycaptcha_suite`.

Every reader returns, in input order, one string per image holding only the ASCII digits the
engine read ("" when it read nothing or failed on that image).

    sys.path.insert(0, str(ROOT))
    from benchmarks.engines import read_tesseract, ddddocr_python, read_ddddocr
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = [
    "TESSERACT_CMD",
    "tesseract_available",
    "read_tesseract",
    "ddddocr_python",
    "read_ddddocr",
    "write_pycaptcha_suite",
]

ROOT = Path(__file__).resolve().parent.parent

DIGITS = "0123456789"
_NON_DIGIT = re.compile(r"[^0-9]")

#: The Tesseract command for one image; ``{image}`` is replaced by the image's path.
TESSERACT_CMD = ["tesseract", "{image}", "stdout", "--psm", "7", "-c", f"tessedit_char_whitelist={DIGITS}"]

#: Environment variable naming a Python interpreter that can ``import ddddocr``.
DDDDOCR_ENV = "OCR_DDDDOCR_PYTHON"


def _digits(text: str) -> str:
    """Keep the ASCII digits of `text` (not other Unicode digits such as '²')."""
    return _NON_DIGIT.sub("", text)


# --- Tesseract -------------------------------------------------------------------------------


def tesseract_available() -> bool:
    """True when the ``tesseract`` CLI is on PATH and answers ``--version``."""
    exe = shutil.which(TESSERACT_CMD[0])
    if exe is None:
        return False
    try:
        done = subprocess.run([exe, "--version"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _tesseract_one(path: Path, env: dict[str, str]) -> str:
    cmd = [str(path) if part == "{image}" else part for part in TESSERACT_CMD]
    try:
        done = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return ""
    if done.returncode != 0:
        return ""
    return _digits(done.stdout.decode("utf-8", "replace"))


def read_tesseract(paths: list[Path], jobs: int = 2) -> list[str]:
    """Read each image with its own ``tesseract`` process, `jobs` processes at a time.

    Each child runs with ``OMP_THREAD_LIMIT=1`` so that `jobs` processes use `jobs` cores.
    Returns the digits read per image, in the order of `paths`; "" for an image Tesseract
    read nothing from or failed on.
    """
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda p: _tesseract_one(Path(p), env), paths))


# --- ddddocr ---------------------------------------------------------------------------------

# Run with ``python -c`` in an interpreter that has ddddocr. Protocol: stdin has one JSON
# string (an image path) per line; stdout gets one JSON object per input line, in order,
# {"text": ...} or {"text": "", "error": ...}. The real stdout file descriptor is kept for
# the results and fd 1 is pointed at stderr, so banners and warnings printed by ddddocr or
# onnxruntime (from Python or C) cannot corrupt the protocol.
DDDDOCR_DRIVER = r"""
import json, os, sys
results = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
import ddddocr
try:
    ocr = ddddocr.DdddOcr(show_ad=False)
except TypeError:  # a release without the show_ad keyword
    ocr = ddddocr.DdddOcr()
ocr.set_ranges("0123456789")  # the string form: the integer form 0 reads "" in 1.6.1
for line in sys.stdin:
    if not line.strip():
        continue
    path = json.loads(line)
    try:
        with open(path, "rb") as f:
            text = ocr.classification(f.read())
        row = {"text": text if isinstance(text, str) else str(text)}
    except Exception as e:
        row = {"text": "", "error": f"{type(e).__name__}: {e}"}
    results.write(json.dumps(row) + "\n")
results.flush()
"""


def _imports_ddddocr(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import ddddocr"], capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def ddddocr_python() -> str | None:
    """A Python interpreter that can ``import ddddocr``, or None when there is none.

    Tried in order: the interpreter named by ``$OCR_DDDDOCR_PYTHON``, ``../ddddocr-venv/bin/python``
    beside the repository, and the current interpreter. Each candidate is checked by running
    ``python -c "import ddddocr"`` (a second or two for onnxruntime).
    """
    candidates: list[str] = []
    named = os.environ.get(DDDDOCR_ENV)
    if named:
        candidates.append(named)
    sibling = ROOT.parent / "ddddocr-venv" / "bin" / "python"
    if sibling.exists():
        candidates.append(str(sibling))
    if sys.executable:
        candidates.append(sys.executable)
    for python in candidates:
        if _imports_ddddocr(python):
            return python
    return None


def read_ddddocr(paths: list[Path], python: str) -> list[str]:
    """Read every image with ddddocr (digits-only charset) in ONE subprocess of `python`.

    The model loads once for the whole list. Returns the digits read per image, in the
    order of `paths`; "" for an image ddddocr failed on.

    Raises:
        RuntimeError: the subprocess failed (e.g. `python` cannot import ddddocr) or did
            not answer every path.
    """
    if not paths:
        return []
    # JSON strings keep any file name (spaces, newlines, undecodable bytes) on one line.
    request = "".join(json.dumps(os.fsdecode(p)) + "\n" for p in paths)
    done = subprocess.run(
        [python, "-c", DDDDOCR_DRIVER],
        input=request.encode("ascii"),  # json.dumps escapes everything else
        capture_output=True,
    )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if done.returncode != 0 or len(lines) != len(paths):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(
            f"ddddocr driver in {python} exited {done.returncode} after {len(lines)} of "
            f"{len(paths)} images: " + (" | ".join(tail) or "no message")
        )
    return [_digits(json.loads(line).get("text", "")) for line in lines]


# --- pycaptcha -------------------------------------------------------------------------------


class _SeededSecrets:
    """Stands in for the ``secrets`` module inside ``captcha.image`` while a suite is drawn.

    ``captcha`` 0.6+ draws with ``secrets`` (not seedable); older releases draw with
    ``random``, which :func:`write_pycaptcha_suite` seeds as well.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def randbelow(self, n: int) -> int:
        return self._rng.randrange(n)

    def randbits(self, k: int) -> int:
        return self._rng.getrandbits(k)

    def choice(self, seq: Sequence[object]) -> object:
        return self._rng.choice(seq)


def _pycaptcha_name(i: int, n: int) -> str:
    """``000042.png``: zero-padded to 6 digits, or wider when `n` needs it (as synth does)."""
    width = max(6, len(str(max(n - 1, 0))))
    return f"{i:0{width}d}.png"


def write_pycaptcha_suite(folder: Path, n: int, seed: int, length: tuple[int, int] = (4, 6), *,
                          fonts: list[str] | None = None, width: int = 160,
                          settings: dict[str, object] | None = None) -> bool:
    """Write `n` digit captchas from the ``captcha`` package into `folder`, with ``labels.csv``.

    Images are ``ImageCaptcha()`` with its defaults (built-in DroidSansMono font, 160×60,
    random colours, noise dots and a curve), digits only, each of a length drawn uniformly
    from the inclusive range `length`; files ``000000.png`` … and ``labels.csv`` with the
    header ``file,text``, the format ``ocr synth`` writes. The same seed gives the same texts
    and, with the same settings, the same files.

    `fonts` (TTF paths) and `width` replace the generator's own; `settings` overrides its
    attributes (``character_rotate``, ``character_warp_dx``, ``word_space_probability`` …),
    for ``benchmarks/pycaptcha_factors.py``, which changes one at a time.

    Returns False (writing nothing) when the ``captcha`` package is not importable.
    """
    try:
        import captcha.image as captcha_image
    except ImportError:
        return False

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lo, hi = length
    texts_rng = random.Random(seed)
    draw_rng = random.Random(f"pycaptcha-draw-{seed}")

    saved_random = random.getstate()
    had_secrets = hasattr(captcha_image, "secrets")
    saved_secrets = getattr(captcha_image, "secrets", None)
    random.seed(seed)  # releases before 0.6 draw from the random module
    if had_secrets:
        captcha_image.secrets = _SeededSecrets(draw_rng)
    try:
        generator = captcha_image.ImageCaptcha(width=width, fonts=fonts)
        for name, value in (settings or {}).items():
            if not hasattr(generator, name):
                raise ValueError(f"ImageCaptcha has no setting {name!r}")
            setattr(generator, name, value)
        rows = []
        for i in range(n):
            text = "".join(texts_rng.choice(DIGITS) for _ in range(texts_rng.randint(lo, hi)))
            name = _pycaptcha_name(i, n)
            generator.generate_image(text).save(folder / name, format="PNG")
            rows.append((name, text))
    finally:
        if had_secrets:
            captcha_image.secrets = saved_secrets
        random.setstate(saved_random)

    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "text"])
        writer.writerows(rows)
    return True
