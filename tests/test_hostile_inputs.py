"""Files from strangers: every hostile input through the real ``ocr`` command, in subprocesses.

One module-scoped fixture writes one file of every kind into a temporary folder; the tests run
``python -m ocr read | batch | eval`` on them and hold the tool to its promise: a single line
``error: <file>: <problem>`` on stderr, never a traceback, and the documented exit code
(read: 0 digits, 1 nothing readable, 2 bad input; batch: 0 all read, 1 some failed, 2 usage;
eval: 2 for a bad labels.csv). ``ocr batch`` gives every file its row and carries on.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp
from PIL import Image

from ocr import binarize, image, segment
from ocr.errors import ExitCode, ImageError
from tests.helpers import MODEL28, ROOT, encode, forbid_decoding, png_gray, print_strip

TEXT = "4017"  # the digits on every readable kind
OTHER = "2958"  # the digits on the frames and pages after the first
TIMEOUT = 60  # seconds per subprocess; a hang is a failure, not a stuck CI job
IS_ROOT = os.name == "posix" and os.geteuid() == 0


# --- building the files ----------------------------------------------------------------




def _same_size(*grays: np.ndarray) -> list[np.ndarray]:
    """Pad uint8 white-background strips with white to one common shape."""
    h = max(g.shape[0] for g in grays)
    w = max(g.shape[1] for g in grays)
    return [np.pad(g, ((0, h - g.shape[0]), (0, w - g.shape[1])), constant_values=255) for g in grays]


def _exif_rotated(gray: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose pixels are `gray` turned so that only honouring EXIF `orientation` undoes it."""
    turned = {6: np.rot90(gray, k=1), 8: np.rot90(gray, k=-1)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.fromarray(np.ascontiguousarray(turned)), "JPEG", quality=95, exif=exif.tobytes())


class _Booby:
    """Unpickling this creates a marker file: proof that a pickle was executed."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _model_arrays() -> dict[str, np.ndarray]:
    with np.load(MODEL28, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with path.open("wb") as f:
        np.savez(f, **arrays)
    return path


@dataclass(frozen=True)
class Kind:
    """One hostile (or merely unusual) image file and what the tool must answer.

    Attributes:
        name: the file's name in the batch folder.
        code: ``ocr read``'s exit code.
        status: its row's status in ``ocr batch``: "ok", "empty" or "error".
        text: the digits ``ocr read`` prints (exit 0), or None.
        phrase: the problem the one-line error must name (exit 2), or None.
    """

    name: str
    code: int
    status: str
    text: str | None = None
    phrase: str | None = None


READ, EMPTY = ExitCode.ok, ExitCode.nothing_read
BAD = ExitCode.input_file

KINDS = [
    Kind("plain.png", READ, "ok", TEXT),
    Kind("empty.png", BAD, "error", phrase="empty file (0 bytes)"),
    Kind("truncated.png", BAD, "error", phrase="truncated or corrupt"),
    Kind("truncated.jpg", BAD, "error", phrase="truncated or corrupt"),
    Kind("text.png", BAD, "error", phrase="not a recognised image file"),
    Kind("pdf.png", BAD, "error", phrase="not a recognised image file"),
    Kind("zero-size.png", BAD, "error", phrase="not a recognised image file"),
    Kind("one-pixel.png", EMPTY, "empty"),
    Kind("one-row.png", EMPTY, "empty"),
    Kind("one-column.png", EMPTY, "empty"),  # a 1-px slice of a strip: no digit, not "11"
    Kind("black.png", EMPTY, "empty"),
    Kind("white.png", EMPTY, "empty"),
    Kind("gray16.png", READ, "ok", TEXT),
    Kind("rgba-transparent.png", READ, "ok", TEXT),
    Kind("cmyk.jpg", READ, "ok", TEXT),
    Kind("palette.gif", READ, "ok", TEXT),
    Kind("animated.gif", READ, "ok", TEXT),
    Kind("multipage.tif", READ, "ok", TEXT),
    Kind("exif6.jpg", READ, "ok", TEXT),
    Kind("exif8.jpg", READ, "ok", TEXT),
    Kind("jpeg-named.png", READ, "ok", TEXT),
    Kind("UPPER.PNG", READ, "ok", TEXT),
    Kind("čísla 12.png", READ, "ok", TEXT),
    Kind("with spaces.png", READ, "ok", TEXT),
    Kind("bomb.png", BAD, "error", phrase="declares 2500000000 pixels, more than the limit of 40000000"),
    Kind("huge-white.png", BAD, "error", phrase="declares 400000000 pixels, more than the limit of 40000000"),
    Kind("gif-bomb.gif", BAD, "error", phrase="pixels, more than the limit of 40000000"),
    Kind("big.png", BAD, "error", phrase="declares 10000×10000 = 100000000 pixels, more than the limit"),
]


def _write_images(folder: Path) -> None:
    """One file per entry of KINDS in `folder`."""
    strip = print_strip(TEXT)
    first, second = _same_size(strip, print_strip(OTHER))
    png = encode(Image.fromarray(strip), "PNG")
    noise = np.random.default_rng(0).integers(0, 256, (64, 256), dtype=np.uint8)
    noisy_png = encode(Image.fromarray(noise), "PNG")
    jpeg = encode(Image.fromarray(strip), "JPEG", quality=95)
    rgba = np.zeros((*strip.shape, 4), np.uint8)  # black everywhere; only alpha draws the digits
    rgba[..., 3] = 255 - strip
    gif_bomb = bytearray(encode(Image.fromarray(strip).convert("P"), "GIF"))
    gif_bomb[6:10] = struct.pack("<HH", 65535, 65535)  # the logical screen size
    files = {
        "plain.png": png,
        "empty.png": b"",
        "truncated.png": noisy_png[: len(noisy_png) // 2],
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "text.png": b"these are not pixels, just a note\n",
        "pdf.png": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "zero-size.png": png_gray(0, 0),
        "one-pixel.png": encode(Image.new("L", (1, 1), 0), "PNG"),
        "one-row.png": encode(Image.fromarray(strip[strip.shape[0] // 2][None, :]), "PNG"),
        "one-column.png": encode(Image.fromarray(np.ascontiguousarray(strip[:, 20:21])), "PNG"),
        "black.png": encode(Image.new("L", (120, 40), 0), "PNG"),
        "white.png": encode(Image.new("L", (120, 40), 255), "PNG"),
        "gray16.png": encode(Image.fromarray(strip.astype(np.uint16) * 257), "PNG"),
        "rgba-transparent.png": encode(Image.fromarray(rgba, "RGBA"), "PNG"),
        "cmyk.jpg": encode(Image.fromarray(strip).convert("CMYK"), "JPEG", quality=95),
        "palette.gif": encode(Image.fromarray(strip).convert("P"), "GIF"),
        "animated.gif": encode(Image.fromarray(first), "GIF", save_all=True,
                                append_images=[Image.fromarray(second)]),
        "multipage.tif": encode(Image.fromarray(first), "TIFF", save_all=True,
                                 append_images=[Image.fromarray(second)]),
        "exif6.jpg": _exif_rotated(strip, 6),
        "exif8.jpg": _exif_rotated(strip, 8),
        "jpeg-named.png": jpeg,
        "UPPER.PNG": png,
        "čísla 12.png": png,
        "with spaces.png": png,
        "bomb.png": png_gray(50_000, 50_000, n_rows=1),
        "huge-white.png": png_gray(20_000, 20_000),
        "gif-bomb.gif": bytes(gif_bomb),
        "big.png": png_gray(10_000, 10_000, n_rows=1),  # above our limit, below Pillow's hard one
    }
    assert set(files) == {k.name for k in KINDS}
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _write_links(folder: Path) -> None:
    """A sub-folder that loops back on itself, two file links that point at each other, one dangling."""
    folder.mkdir()
    (folder / "up").symlink_to("..", target_is_directory=True)
    (folder / "a.png").symlink_to("b.png")
    (folder / "b.png").symlink_to("a.png")
    (folder / "dangling.png").symlink_to("nowhere.png")


EVAL_CASES = {  # folder → labels.csv bytes (None: no labels.csv); every folder holds a.png and b.png
    "missing-row": b"file,text\na.png,4017\n",  # b.png is not listed: ignored
    "extra-row": b"file,text\na.png,4017\nghost.png,12\n",  # ghost.png does not exist
    "bad-header": b"name,digits\na.png,4017\n",
    "latin-2": "file,text\na.png,4017\nčísla.png,12\n".encode("cp1250"),
    "utf-16": "file,text\na.png,4017\n".encode("utf-16"),
    "utf-8-bom": "file,text\na.png,4017\n".encode("utf-8-sig"),  # as spreadsheets save it
}


def _write_models(folder: Path, marker: Path) -> None:
    """Broken model files, each made from the shipped one."""
    folder.mkdir()
    raw = MODEL28.read_bytes()
    (folder / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    (folder / "pickle.npz").write_bytes(pickle.dumps(_Booby(str(marker))))
    arrays = _model_arrays()
    arrays["W1"] = arrays["W1"].copy()
    arrays["W1"][3, 5] = np.nan
    _save_npz(folder / "nan.npz", arrays)
    arrays = _model_arrays()
    arrays["W1"] = arrays["W1"][:-1]
    _save_npz(folder / "shapes.npz", arrays)
    arrays = _model_arrays()
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "format_version": meta["format_version"] + 1}))
    _save_npz(folder / "newer.npz", arrays)
    arrays = _model_arrays()
    arrays["W0"] = np.array([{"not": "weights"}], dtype=object)
    _save_npz(folder / "object-array.npz", arrays)


@dataclass(frozen=True)
class Hostile:
    root: Path  # the subprocesses' working directory: file names in messages are relative to it
    marker: Path  # created if and only if the disguised pickle is ever unpickled


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    root = tmp_path_factory.mktemp("hostile")
    images = root / "images"
    images.mkdir()
    _write_images(images)
    (images / "dir.png").mkdir()  # a folder named like an image: an error row in a batch
    _write_links(images / "links")
    (root / "empty-folder").mkdir()
    (root / "locked").mkdir()
    locked = root / "locked" / "locked.png"
    shutil.copy(images / "plain.png", locked)
    locked.chmod(0)
    names = root / "names"
    names.mkdir()
    shutil.copy(images / "text.png", names / "bad\nname.png")
    shutil.copy(images / "plain.png", os.fsencode(names) + b"/latin-1 \xe8\xed.png")
    shutil.copy(images / "plain.png", names / "-5.png")
    for case, labels in EVAL_CASES.items():
        folder = root / "eval" / case
        folder.mkdir(parents=True)
        shutil.copy(images / "plain.png", folder / "a.png")
        shutil.copy(images / "plain.png", folder / "b.png")
        if labels is not None:
            (folder / "labels.csv").write_bytes(labels)
    marker = root / "UNPICKLED"
    _write_models(root / "models", marker)
    return Hostile(root, marker)


# --- running the command -----------------------------------------------------------------


def ocr(hostile: Hostile, *args: str | bytes) -> subprocess.CompletedProcess:
    """Run the real ``ocr`` in the fixture's folder; stdout and stderr as text."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("OCR_MODEL", None)
    result = subprocess.run([sys.executable, "-m", "ocr", *args], cwd=hostile.root, env=env,
                            capture_output=True, timeout=TIMEOUT)
    out = subprocess.CompletedProcess(result.args, result.returncode,
                                      result.stdout.decode("utf-8", "replace"),
                                      result.stderr.decode("utf-8", "replace"))
    assert "Traceback" not in out.stderr + out.stdout, out.stderr
    return out


def assert_one_error(result: subprocess.CompletedProcess, name: str, phrase: str = "") -> str:
    """stderr is exactly one line, "error: NAME…", holding `phrase`; returns it."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {name}"), lines[0]
    assert phrase in lines[0]
    return lines[0]


# --- ocr read, one kind at a time ------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in KINDS if k.code == BAD], ids=lambda k: k.name)
def test_read_refuses_each_bad_kind_in_one_line(hostile, kind):
    result = ocr(hostile, "read", f"images/{kind.name}")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, f"images/{kind.name}: ", kind.phrase)
    assert result.stdout == ""


@pytest.mark.parametrize("code", [READ, EMPTY], ids=["digits", "nothing-readable"])
def test_read_the_usable_kinds(hostile, code):
    """One call per exit code (each process costs most of a second): 'file<TAB>digits' lines."""
    kinds = [k for k in KINDS if k.code == code]
    result = ocr(hostile, "read", *(f"images/{k.name}" for k in kinds))
    assert result.returncode == code
    # The only thing on stderr: a note for each multi-frame file that its first frame was read.
    frames = [k.name for k in kinds if k.name in ("animated.gif", "multipage.tif")]
    assert result.stderr.splitlines() == [
        f"note: images/{name}: holds several frames or pages; reading the first" for name in frames
    ]
    assert result.stdout.splitlines() == [f"images/{k.name}\t{k.text or ''}" for k in kinds]


def test_read_a_directory(hostile):
    result = ocr(hostile, "read", "images")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, "images: ", "is a directory, not an image file")


def test_read_paths_that_are_not_image_files(hostile):
    """Several bad paths in one call: one 'error:' line each, in order, exit 2."""
    paths = {
        "images/dir.png": "is a directory",
        "images/missing.png": "no such file",
        "images/links/a.png": "Too many levels of symbolic links",
        "images/links/dangling.png": "no such file",
    }
    result = ocr(hostile, "read", *paths)
    assert (result.returncode, result.stdout) == (ExitCode.input_file, "")
    lines = result.stderr.splitlines()
    assert len(lines) == len(paths)
    for line, (path, phrase) in zip(lines, paths.items()):
        assert line.startswith(f"error: {path}: ") and phrase in line


def test_read_a_newline_in_the_file_name_stays_one_line(hostile):
    result = ocr(hostile, "read", "names/bad\nname.png")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, "names/bad\\nname.png: ", "not a recognised image file")


def test_read_undecodable_file_name(hostile):
    result = ocr(hostile, "read", os.fsencode(hostile.root) + b"/names/latin-1 \xe8\xed.png")
    assert (result.returncode, result.stdout, result.stderr) == (ExitCode.ok, f"{TEXT}\n", "")


@pytest.mark.skipif(IS_ROOT, reason="root reads a chmod 000 file (as in CI): permissions cannot bite")
def test_read_unreadable_permissions(hostile):
    result = ocr(hostile, "read", "locked/locked.png")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, "locked/locked.png: ", "permission denied")


# --- ocr batch over the whole folder ----------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _check_rows(rows: list[dict], expected: dict[str, Kind]) -> None:
    files = [r["file"] for r in rows]
    assert sorted(files) == sorted(expected)  # one row per file, none twice
    for row in rows:
        kind = expected[row["file"]]
        assert row["status"] == kind.status, row
        if kind.status == "error":
            assert row["error"].startswith(f"{row['file']}: ") and kind.phrase in row["error"], row
        assert row["text"] == (kind.text or "")


def test_batch_gives_every_file_its_row(hostile):
    result = ocr(hostile, "batch", "images", "--out", "batch.csv")
    assert result.returncode == ExitCode.some_files_failed
    assert not any(line.startswith("error:") for line in result.stderr.splitlines())
    expected = {f"images/{k.name}": k for k in KINDS}
    expected["images/dir.png"] = Kind("dir.png", BAD, "error", phrase="is a directory")
    _check_rows(_rows(hostile.root / "batch.csv"), expected)


def test_batch_recursive_survives_link_loops(hostile):
    result = ocr(hostile, "batch", "images", "--recursive", "--out", "recursive.csv")
    assert result.returncode == ExitCode.some_files_failed
    loop = Kind("", BAD, "error", phrase="Too many levels of symbolic links")
    links = {"images/links/a.png": loop, "images/links/b.png": loop,
             "images/links/dangling.png": Kind("", BAD, "error", phrase="no such file")}
    # links/up → .. is not followed: every file appears once, no images/links/up/... rows
    _check_rows(_rows(hostile.root / "recursive.csv"), {f"images/{k.name}": k for k in KINDS} | links)


def test_batch_on_an_empty_folder_writes_the_header_only(hostile):
    result = ocr(hostile, "batch", "empty-folder", "--out", "-")
    assert result.returncode == ExitCode.ok
    assert result.stdout.splitlines() == ["file,text,confidence,status,error"]


def test_batch_odd_file_names(hostile):
    result = ocr(hostile, "batch", "names", "--out", "names.csv")
    assert result.returncode == ExitCode.some_files_failed
    assert len(_rows(hostile.root / "names.csv")) == 3


def test_read_file_named_like_an_option(hostile):
    result = ocr(hostile, "read", "-5.png")
    assert result.returncode == ExitCode.bad_args
    assert_one_error(result, "")


# --- ocr eval ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, phrase",
    [
        ("bad-header", "header must name the columns 'file' and 'text'"),
        ("latin-2", "not UTF-8 text"),
        ("utf-16", "not UTF-8 text"),
    ],
)
def test_eval_refuses_a_bad_labels_csv(hostile, case, phrase):
    result = ocr(hostile, "eval", f"eval/{case}")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, f"eval/{case}/labels.csv: ", phrase)
    assert result.stdout == ""


def test_eval_on_an_empty_folder(hostile):
    result = ocr(hostile, "eval", "empty-folder")
    assert result.returncode == ExitCode.input_file
    assert_one_error(result, "empty-folder/labels.csv: ", "no labels.csv")


@pytest.mark.parametrize(
    "case, n, exact, misreads",
    [
        ("missing-row", 1, 1.0, []),  # b.png is in the folder but not listed: ignored
        ("utf-8-bom", 1, 1.0, []),
        # a listed file that does not exist is a misread carrying its error; eval completes
        ("extra-row", 2, 0.5, [{"file": "ghost.png", "truth": "12", "read": "",
                                "error": "eval/extra-row/ghost.png: no such file; check the path"}]),
    ],
)
def test_eval_scores_what_labels_csv_lists(hostile, case, n, exact, misreads):
    result = ocr(hostile, "eval", "--json", f"eval/{case}")
    assert (result.returncode, result.stderr) == (ExitCode.ok, "")
    report = json.loads(result.stdout)
    assert (report["n"], report["exact"], report["misreads"]) == (n, exact, misreads)


# --- broken model files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, phrase",
    [
        ("truncated.npz", "not a valid model file"),
        ("pickle.npz", "pickled"),
        ("nan.npz", "W1 holds NaN or infinite weights"),
        ("shapes.npz", "W1 has shape (255, 128)"),
        ("newer.npz", "is newer than this tool reads"),
        ("object-array.npz", "pickled"),
    ],
)
def test_read_with_a_broken_model(hostile, model, phrase):
    result = ocr(hostile, "read", "--model", f"models/{model}", "images/plain.png")
    assert result.returncode == ExitCode.model_file
    assert_one_error(result, f"models/{model}: ", phrase)
    assert result.stdout == ""
    assert not hostile.marker.exists()  # the pickle was refused, never run


# --- a huge image is refused before its pixels cost anything --------------------------------
# How fast the refusal is, is a speed figure: benchmarks/read_speed.py measures it. Here the
# behaviour behind it is checked, which no load on the machine can change: nothing is decoded
# (in process), and the whole `ocr read` stays far below the 400 MB a decode would take.

_MEASURE = """
import resource, subprocess, sys
p = subprocess.run([sys.executable, "-m", "ocr", "read", "images/huge-white.png"], capture_output=True, text=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)
print(p.stderr, end="")
"""


def test_huge_white_png_is_refused_in_little_memory(hostile):
    """20000×20000 (400 MB of pixels, 0.4 MB on disk): exit code 2, one line, RSS < 100 MB.

    Measured in a wrapper process so that its RUSAGE_CHILDREN holds only this ``ocr`` run.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _MEASURE], cwd=hostile.root, env=env,
                         capture_output=True, text=True, timeout=TIMEOUT)
    numbers, message = out.stdout.split("\n", 1)
    max_rss_kib, code = numbers.split()
    assert int(code) == ExitCode.input_file
    assert message.startswith("error: images/huge-white.png: image declares 400000000 pixels, more than the limit")
    assert message.count("\n") == 1
    assert int(max_rss_kib) < 100 * 1024  # ru_maxrss is in KiB on Linux


def test_huge_white_png_is_refused_before_any_pixel_is_decoded(hostile, monkeypatch):
    forbid_decoding(monkeypatch)
    with pytest.raises(ImageError, match="huge-white.png: image declares 400000000 pixels, more than the limit"):
        image.load(hostile.root / "images" / "huge-white.png")


# --- in process: what the subprocess tests cannot see ---------------------------------------


def test_exif_cases_need_exif(hostile):
    """Without EXIF the turned pixels do not read as TEXT, so the CLI cases above prove EXIF is used."""
    from ocr.reader import Reader

    reader = Reader(MODEL28)
    for name in ("exif6.jpg", "exif8.jpg"):
        with Image.open(hostile.root / "images" / name) as im:
            raw = np.asarray(im.convert("L"))  # no exif_transpose
        assert raw.shape[0] > raw.shape[1]  # stored standing up
        assert reader.read(raw).text != TEXT


def test_first_frame_is_read_and_said_so(hostile, caplog):
    for name in ("animated.gif", "multipage.tif"):
        caplog.clear()
        with caplog.at_level("INFO", logger="ocr.image"):
            image.load(hostile.root / "images" / name)
        assert "reading the first" in caplog.text and name in caplog.text


def test_one_pixel_wide_slice_of_a_strip_reads_nothing():
    from ocr.reader import Reader

    column = np.ascontiguousarray(print_strip(TEXT)[:, 20:21])
    assert Reader(MODEL28).read(column).text == ""


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=40)))
def test_segmenter_never_raises_and_boxes_lie_inside(array):
    try:
        gray = image.load(array)
    except ImageError:
        assert 0 in array.shape  # the only arrays the loader refuses here: no pixels
        return
    ink = binarize.ink_mask(gray)
    assert ink.shape == gray.shape and ink.dtype == np.uint8
    height, width = ink.shape
    for x, y, w, h in segment.glyph_boxes(ink):
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height


@pytest.mark.parametrize("samples_per_pixel", [1, 1000], ids=["tags-past-the-end", "absurd-samples"])
def test_pillow_warnings_and_logs_on_odd_tiffs_do_not_reach_stderr(tmp_path, samples_per_pixel):
    """Odd TIFF tags make Pillow warn (tags past the end) or log an error (1000 samples per
    pixel) before it answers; the tool still answers with one line at most."""
    import struct

    # Little-endian TIFF, one IFD; strip offsets and byte counts point far beyond the file.
    entries = [(256, 4, 1, 8), (257, 4, 1, 8), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 4, 10_000), (277, 3, 1, samples_per_pixel), (279, 4, 4, 20_000)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries)
    data = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    path = tmp_path / "odd.tif"
    path.write_bytes(data)
    result = subprocess.run([sys.executable, "-m", "ocr", "read", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr
    assert "samples per pixel than" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1
