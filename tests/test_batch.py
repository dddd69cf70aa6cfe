"""ocr batch: one row per file, bad files as rows, resume after a crash, process pool and Dask."""

import csv
import json
import os

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import ocr
from ocr import batch
from ocr.cli import app
from ocr.errors import ExitCode
from tests.helpers import print_strip

runner = CliRunner()
TEXTS = ["4017", "2958", "36", "880", "1234567"]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "scans"
    root.mkdir()
    for k, text in enumerate(TEXTS):
        Image.fromarray(print_strip(text)).save(root / f"{k:02d}.png")
    Image.fromarray(np.full((30, 90), 255, np.uint8)).save(root / "blank.png")
    (root / "zero.png").write_bytes(b"")
    (root / "text.png").write_text("not an image")
    (root / "notes.txt").write_text("ignored: not an image suffix")
    return root


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_every_file_gets_a_row_and_bad_ones_do_not_stop_the_run(folder, tmp_path):
    out = tmp_path / "r.csv"
    summary = batch.run([folder], out, jobs=1)
    rows = {os.path.basename(r["file"]): r for r in _rows(out)}
    assert set(rows) == {f"{k:02d}.png" for k in range(5)} | {"blank.png", "zero.png", "text.png"}
    assert [rows[f"{k:02d}.png"]["text"] for k in range(5)] == TEXTS
    assert rows["blank.png"]["status"] == "empty"
    assert rows["zero.png"]["status"] == "error" and "empty file" in rows["zero.png"]["error"]
    assert rows["text.png"]["status"] == "error" and "text.png" in rows["text.png"]["error"]
    assert (summary.files, summary.read, summary.empty, summary.errors) == (8, 5, 1, 2)


def test_process_pool_gives_the_same_rows(folder, tmp_path):
    batch.run([folder], tmp_path / "one.csv", jobs=1)
    batch.run([folder], tmp_path / "two.csv", jobs=2, chunk_size=2)
    one = sorted((r["file"], r["text"], r["status"]) for r in _rows(tmp_path / "one.csv"))
    two = sorted((r["file"], r["text"], r["status"]) for r in _rows(tmp_path / "two.csv"))
    assert one == two


def test_resume_after_a_crash_mid_row_completes_every_file_exactly_once(folder, tmp_path):
    out = tmp_path / "r.csv"
    batch.run([folder], out, jobs=1)
    full = out.read_text()
    lines = full.splitlines(keepends=True)
    # A crash after three rows, in the middle of writing the fourth:
    out.write_text("".join(lines[:4]) + lines[4][:10])
    batch.run([folder], out, jobs=1, resume=True)
    files = [r["file"] for r in _rows(out)]
    assert sorted(files) == sorted(r["file"] for r in csv.DictReader(full.splitlines()))
    assert len(files) == len(set(files))


def test_read_many_gives_glyphs_unless_told_not_to(folder):
    paths = sorted(str(p) for p in folder.glob("*.png"))
    with_glyphs = {r.file: r for r in batch.read_many(paths, jobs=1)}
    text_only = {r.file: r for r in batch.read_many(paths, jobs=1, glyphs=False)}
    ok = [f for f, r in with_glyphs.items() if r.status == "ok"]
    assert ok and all(len(with_glyphs[f].glyphs) == len(with_glyphs[f].text) for f in ok)
    assert all(text_only[f].glyphs == () and text_only[f].text == with_glyphs[f].text for f in ok)


def test_jsonl_rows_carry_glyph_boxes(folder, tmp_path):
    out = tmp_path / "r.jsonl"
    batch.run([folder], out, jobs=1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    first = next(r for r in rows if r["file"].endswith("00.png"))
    assert first["text"] == "4017" and len(first["glyphs"]) == 4
    assert len(first["glyphs"][0]["box"]) == 4 and 0 < first["glyphs"][0]["prob"] <= 1


def test_recursive_walk_does_not_follow_a_symlink_loop(folder, tmp_path):
    sub = folder / "deeper"
    sub.mkdir()
    Image.fromarray(print_strip("55")).save(sub / "x.png")
    os.symlink(folder, sub / "loop")
    found = list(batch.iter_images([folder], recursive=True))
    assert os.path.join(str(sub), "x.png") in found
    assert len(found) == len(set(found)) == 9
    assert len(list(batch.iter_images([folder], glob="0*.png"))) == 5


def test_read_many_yields_rows_lazily(folder):
    paths = (str(folder / f"{k:02d}.png") for k in range(5))
    rows = ocr.read_many(paths, jobs=1)
    assert iter(rows) is rows  # a generator: nothing is read before it is asked for
    assert sorted(r.text for r in rows) == sorted(TEXTS)


def test_roi_reads_only_the_region_and_reports_whole_image_boxes():
    left, right = print_strip("11"), print_strip("90")
    height = max(left.shape[0], right.shape[0])
    gray = np.full((height, left.shape[1] + right.shape[1]), 255, np.uint8)
    gray[: left.shape[0], : left.shape[1]] = left
    gray[: right.shape[0], left.shape[1] :] = right
    reader = ocr.Reader()
    assert reader.read(gray).text == "1190"
    reading = reader.read(gray, roi=(left.shape[1], 0, right.shape[1], height))
    assert reading.text == "90"
    assert all(g.box[0] >= left.shape[1] for g in reading.glyphs)


def test_cli_batch_exit_codes_and_summary(folder, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    for k, text in enumerate(TEXTS[:2]):
        Image.fromarray(print_strip(text)).save(good / f"{k}.png")
    result = runner.invoke(app, ["batch", str(good), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == ExitCode.ok, result.output
    assert "files 2, read 2, empty 0, errors 0" in result.stderr
    result = runner.invoke(app, ["batch", str(folder), "--out", str(tmp_path / "f.csv"), "--quiet"])
    assert result.exit_code == ExitCode.some_files_failed and result.stderr == ""
    result = runner.invoke(app, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "n.csv")])
    assert result.exit_code == ExitCode.bad_args and "nope" in result.stderr


def test_cli_batch_to_stdout(folder):
    result = runner.invoke(app, ["batch", str(folder), "--out", "-", "--quiet", "--glob", "0*.png"])
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["text"] for r in rows] == TEXTS


def test_dask_local_cluster_gives_the_same_rows(folder, tmp_path):
    pytest.importorskip("dask.distributed")
    batch.run([folder], tmp_path / "local.csv", jobs=1)
    batch.run([folder], tmp_path / "dask.csv", jobs=2, dask="local", chunk_size=3)
    one = sorted((r["file"], r["text"], r["status"]) for r in _rows(tmp_path / "local.csv"))
    two = sorted((r["file"], r["text"], r["status"]) for r in _rows(tmp_path / "dask.csv"))
    assert one == two


def test_process_pool_from_a_process_with_busy_opencv_threads_does_not_hang(folder):
    """Workers are forked: one that changed OpenCV's thread count after the fork used to wait
    forever for pool threads that were never copied. Run in a subprocess with a timeout."""
    import subprocess
    import sys

    script = (
        "import cv2, numpy as np, sys\n"
        "cv2.setNumThreads(2)\n"
        "cv2.GaussianBlur(np.zeros((1500, 1500), np.uint8), (0, 0), 5)  # start OpenCV's pool\n"
        "from ocr import batch\n"
        "rows = list(batch.read_many(sys.argv[1:], jobs=2, chunk_size=2))\n"
        "print(sorted(r.text for r in rows if r.status == 'ok'))\n"
        "print(cv2.getNumThreads())\n"
    )
    paths = [str(folder / f"{k:02d}.png") for k in range(5)]
    result = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    texts, threads = result.stdout.splitlines()
    assert texts == str(sorted(TEXTS)) and threads == "2"  # the caller's setting is put back


def test_the_engine_reaches_every_worker(folder, tmp_path):
    for engine in ("glyphs", "sequence"):
        batch.run([folder], tmp_path / f"{engine}.csv", jobs=2, chunk_size=2, engine=engine)
        rows = {os.path.basename(r["file"]): r["text"] for r in _rows(tmp_path / f"{engine}.csv")}
        reader = ocr.Reader(engine=engine)
        assert [rows[f"{k:02d}.png"] for k in range(5)] == [reader.read(folder / f"{k:02d}.png").text
                                                            for k in range(5)], engine
    result = runner.invoke(app, ["batch", str(folder), "--out", str(tmp_path / "x.csv"), "--engine", "fast",
                                 "--jobs", "2", "--quiet"])
    assert result.exit_code == ExitCode.bad_args
    assert "unknown engine 'fast'" in result.stderr and not (tmp_path / "x.csv").exists()
