"""The ocr command through typer's CliRunner: output formats, exit codes, one-line errors."""

import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr.cli import app
from ocr.errors import ExitCode
from ocr.reader import Reader
from tests.helpers import MODEL8, print_strip

runner = CliRunner()


@pytest.fixture
def strips(tmp_path):
    paths = {}
    for text in ["4017", "2958"]:
        path = tmp_path / f"s{text}.png"
        Image.fromarray(print_strip(text)).save(path)
        paths[text] = path
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((30, 90), 255, np.uint8)).save(blank)
    paths["blank"] = blank
    return paths


def test_read_one_image_prints_only_the_digits(strips):
    result = runner.invoke(app, ["read", str(strips["4017"])])
    assert result.exit_code == ExitCode.ok
    assert result.stdout == "4017\n"


def test_read_several_prints_file_tab_text(strips):
    result = runner.invoke(app, ["read", str(strips["4017"]), str(strips["2958"])])
    assert result.exit_code == ExitCode.ok
    assert result.stdout.splitlines() == [f"{strips['4017']}\t4017", f"{strips['2958']}\t2958"]


def test_read_json_mirrors_the_reading(strips):
    result = runner.invoke(app, ["read", "--json", str(strips["2958"])])
    data = json.loads(result.stdout)
    assert data["text"] == "2958" and 0 < data["confidence"] <= 1
    assert [g["char"] for g in data["glyphs"]] == list("2958")
    assert len(data["glyphs"][0]["box"]) == 4 and data["glyphs"][0]["alternatives"]


def test_read_from_stdin(strips):
    result = runner.invoke(app, ["read", "-"], input=strips["4017"].read_bytes())
    assert result.exit_code == ExitCode.ok and result.stdout == "4017\n"


def test_read_with_the_8x8_model(strips):
    result = runner.invoke(app, ["read", "--model", str(MODEL8), str(strips["4017"])])
    assert result.stdout == "4017\n"


def test_nothing_readable_exits_1(strips):
    result = runner.invoke(app, ["read", str(strips["blank"])])
    assert result.exit_code == ExitCode.nothing_read
    assert result.stdout == "\n"


@pytest.mark.parametrize(
    "content, phrase",
    [(b"", "empty"), (b"hello, not an image", "not a recognised image"), (None, "no such file")],
)
def test_bad_image_is_one_line_and_exit_2(tmp_path, content, phrase):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == ExitCode.input_file
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.png" in lines[0] and phrase in lines[0]
    assert "Traceback" not in result.output


def test_one_bad_file_among_several_does_not_stop_the_others(strips, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = runner.invoke(app, ["read", str(strips["4017"]), str(bad), str(strips["2958"])])
    assert result.exit_code == ExitCode.input_file
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == ["4017", "2958"]
    assert "bad.png" in result.stderr


def test_missing_model_is_a_clear_error(strips, tmp_path):
    result = runner.invoke(app, ["read", "--model", str(tmp_path / "nope.npz"), str(strips["4017"])])
    assert result.exit_code == ExitCode.model_file
    assert "nope.npz" in result.stderr and "Traceback" not in result.output


def test_debug_writes_an_overlay(strips, tmp_path):
    out = tmp_path / "debug"
    result = runner.invoke(app, ["read", "--debug", str(out), str(strips["4017"])])
    assert result.exit_code == ExitCode.ok
    picture = np.asarray(Image.open(out / "s4017.debug.png"))
    assert picture.ndim == 3 and picture.shape[0] > 100


def test_synth_then_eval_json(tmp_path):
    folder = tmp_path / "set"
    result = runner.invoke(app, ["synth", "--n", "12", "--out", str(folder), "--style", "plain",
                                 "--held-out", "--seed", "3", "--length", "5"])
    assert result.exit_code == ExitCode.ok, result.output
    assert len(list(folder.glob("*.png"))) == 12
    rows = (folder / "labels.csv").read_text().splitlines()
    assert rows[0] == "file,text" and len(rows) == 13
    assert all(len(r.split(",")[1]) == 5 for r in rows[1:])
    result = runner.invoke(app, ["eval", str(folder), "--json", "--report", str(tmp_path / "r.png")])
    assert result.exit_code == ExitCode.ok, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 12 and 0.9 <= data["exact"] <= 1 and 0.9 <= data["char_acc"] <= 1
    assert len(data["confusion"]["counts"]) == 10
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_eval_without_labels_is_exit_2(tmp_path):
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == ExitCode.input_file and "labels.csv" in result.stderr


def test_synth_rejects_an_unknown_style(tmp_path):
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--style", "fancy"])
    assert result.exit_code == ExitCode.bad_args and "fancy" in result.output


def test_fonts_lists_held_out_families():
    result = runner.invoke(app, ["fonts", "--json"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    held = {r["family"] for r in rows if r["held_out"]}
    assert held == {"Roboto", "Source Serif Pro", "Hanken Grotesk"}
    assert {"matplotlib", "pypi", "hershey"} <= {r["source"] for r in rows}


def test_train_a_tiny_model_that_loads(tmp_path):
    out = tmp_path / "tiny.npz"
    result = runner.invoke(app, ["train", "--size", "8", "--out", str(out), "--strips", "20",
                                 "--singles", "60", "--rejects", "20", "--epochs", "2",
                                 "--hidden", "16", "--jobs", "1"])
    assert result.exit_code == ExitCode.ok, result.output
    from ocr import model as model_io

    m = model_io.load(out)
    assert m.input_size == 8 and m.network.sizes == [64, 16, 11]
    assert "Roboto" in m.meta["held_out_families"] and "Roboto" not in m.meta["fonts"]


def test_size_limits_can_be_lowered_and_raised(strips):
    path = str(strips["4017"])
    result = runner.invoke(app, ["read", "--max-pixels", "100", path])
    assert result.exit_code == ExitCode.input_file and "max_pixels" in result.stderr
    result = runner.invoke(app, ["read", "--max-bytes", "10", path])
    assert result.exit_code == ExitCode.input_file and "limit" in result.stderr
    result = runner.invoke(app, ["read", "--max-pixels", "1000000", path])
    assert result.exit_code == ExitCode.ok and result.stdout == "4017\n"


def test_cli_limit_defaults_match_the_library():
    from ocr import cli, image

    assert (cli._MAX_PIXELS, cli._MAX_BYTES) == (image.MAX_PIXELS, image.MAX_BYTES)


# --- train sources and finetune --------------------------------------------------------


def test_train_the_classic_64_32_10_on_scikit_learn_digits(tmp_path):
    out = tmp_path / "d.npz"
    result = runner.invoke(app, ["train", "--source", "digits", "--size", "8", "--hidden", "32", "--epochs", "30",
                                 "--batch-size", "32", "--activation", "sigmoid", "--optimizer", "sgd",
                                 "--lr", "0.1", "--schedule", "step", "--out", str(out)])
    assert result.exit_code == ExitCode.ok, result.output
    from ocr import model as model_io

    m = model_io.load(out)
    assert m.network.sizes == [64, 32, 10] and m.network.activation == "sigmoid"
    assert m.meta["source"] == "digits" and m.meta["config"]["optimizer"] == "sgd"
    assert m.meta["test"]["n"] == 449 and m.meta["test"]["accuracy"] > 0.9
    assert "held-out accuracy" in result.stderr


def test_train_from_mnist_idx_files(tmp_path, rng):
    from tests.test_datasets import write_mnist

    images = np.zeros((40, 28, 28), np.uint8)
    labels = np.arange(40, dtype=np.uint8) % 10
    for i, d in enumerate(labels):  # a bar whose column says the digit: learnable
        images[i, 4:24, 2 + 2 * d : 4 + 2 * d] = 255
    write_mnist(tmp_path, rng, images=images, labels=labels, gz=True)
    out = tmp_path / "m.npz"
    result = runner.invoke(app, ["train", "--mnist", str(tmp_path), "--hidden", "16", "--epochs", "2",
                                 "--out", str(out)])
    assert result.exit_code == ExitCode.ok, result.output
    from ocr import model as model_io

    m = model_io.load(out)
    assert m.meta["source"] == "mnist" and m.meta["data"]["train"] == 40 and m.network.sizes == [784, 16, 10]
    assert "no held-out check" in result.stderr  # no t10k files in the folder


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--source", "digits"], "--size 8"),
        (["--source", "mnist"], "mnist:DIR"),
        (["--source", "emnist:x"], "synth, handwriting, digits or mnist:DIR"),
        (["--hidden", "32,x"], "comma-separated"),
        (["--activation", "tanh"], "relu, sigmoid"),
        (["--mnist", "x", "--source", "digits"], "not both"),
    ],
)
def test_train_usage_errors_are_one_line_exit_2(tmp_path, args, phrase):
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "x.npz"), *args])
    assert result.exit_code == ExitCode.bad_args
    assert phrase in result.output and "Traceback" not in result.output


def test_train_from_a_broken_mnist_folder_is_a_clear_error(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"not idx at all")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x05")
    result = runner.invoke(app, ["train", "--source", f"mnist:{tmp_path}", "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == ExitCode.input_file
    assert "train-images-idx3-ubyte" in result.stderr and "not an IDX file" in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_finetune_with_a_given_focus_records_its_lineage(tmp_path):
    out = tmp_path / "ft.npz"
    result = runner.invoke(app, ["finetune", "-m", str(MODEL8), "-o", str(out), "--focus", "8,3",
                                 "--style", "classic", "--synth", "20", "--singles", "20", "--epochs", "1",
                                 "--eval-n", "8", "--replay", "0.5", "--json"])
    assert result.exit_code == ExitCode.ok, result.output
    report = json.loads(result.stdout)
    assert report["focus"] == [3, 8] and report["pairs"] == []
    assert report["before"]["n"] == report["after"]["n"] == 8 and len(report["after"]["per_class"]) == 10
    from ocr import model as model_io
    from ocr.finetune import file_digest

    m = model_io.load(out)
    entry = m.meta["finetune"][0]
    assert entry["parent"] == str(MODEL8) and entry["parent_sha256"] == file_digest(MODEL8)
    assert entry["focus"] == [3, 8] and m.network.sizes == model_io.load(MODEL8).network.sizes


@pytest.mark.parametrize("focus", ["3,x", "12", ","])
def test_finetune_bad_focus_is_exit_2(tmp_path, focus):
    result = runner.invoke(app, ["finetune", "-m", str(MODEL8), "-o", str(tmp_path / "x.npz"), "--focus", focus])
    assert result.exit_code == ExitCode.bad_args and "--focus" in result.output


def test_read_with_a_pattern_prints_its_literals_and_refuses_a_misfit(strips):
    result = runner.invoke(app, ["read", "--pattern", r"\d{2}-\d{2}", str(strips["4017"])])
    assert result.exit_code == ExitCode.ok and result.stdout == "40-17\n"
    result = runner.invoke(app, ["read", "-p", r"\d{3}-\d{3}", str(strips["4017"])])
    assert result.exit_code == ExitCode.nothing_read and result.stdout == "\n"
    result = runner.invoke(app, ["read", "-p", "[0-9]+", str(strips["4017"])])
    assert result.exit_code == ExitCode.bad_args
    assert result.stderr.startswith("error: pattern '[0-9]+'") and len(result.stderr.splitlines()) == 1


def test_min_confidence_refuses_a_reading_below_it(tmp_path):
    from synth import fonts as font_lib
    from synth.styles import make_sample

    # the first of a few captchas that reads, but not with certainty (a clean strip may read
    # at exactly 1.0)
    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    path = tmp_path / "captcha.png"
    for i in range(20):
        Image.fromarray(make_sample("captcha", np.random.default_rng([11, i]), held_out).image).save(path)
        first = json.loads(runner.invoke(app, ["read", "--json", str(path)]).stdout)
        text, confident = first["text"], first["confidence"]
        if text and 0.01 < confident < 0.99:
            break
    assert text and 0.01 < confident < 0.99
    result = runner.invoke(app, ["read", "--min-confidence", str(confident / 2), str(path)])
    assert result.exit_code == ExitCode.ok and result.stdout == text + "\n"
    above = confident + (1 - confident) / 2
    result = runner.invoke(app, ["read", "--json", "--min-confidence", str(above), str(path)])
    data = json.loads(result.stdout)
    assert result.exit_code == ExitCode.nothing_read
    assert data["text"] == "" and data["refused"] == text
    assert "below --min-confidence" in result.stderr


def test_batch_min_confidence_rows_say_why(strips, tmp_path):
    out = tmp_path / "rows.csv"
    result = runner.invoke(app, ["batch", str(strips["4017"].parent), "-o", str(out), "-q", "-j", "1",
                                 "--min-confidence", "1.0", "--pattern", r"\d+"])
    assert result.exit_code == ExitCode.some_files_failed
    reader = Reader()
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3
    refused = 0
    for r in rows:  # each reading short of certainty is refused, with the reason; a certain one is not
        reading = reader.read(r["file"], pattern=r"\d+")
        below = bool(reading.text) and reading.confidence < 1.0
        refused += below
        assert (r["status"] == "empty" and "below --min-confidence 1.0" in r["error"]) == below
        assert r["status"] == ("ok" if reading.text and not below else "empty")
    assert refused  # the rule was put to work


def test_synth_into_a_file_is_a_one_line_error(tmp_path):
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"not a folder")
    result = runner.invoke(app, ["synth", "--n", "2", "--out", str(taken)])
    assert result.exit_code == ExitCode.bad_args
    assert result.stderr.startswith("error: ") and "not a folder" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and taken.read_bytes() == b"not a folder"


def test_an_unknown_engine_is_a_usage_error(strips):
    result = runner.invoke(app, ["read", "--engine", "fast", str(strips["4017"])])
    assert result.exit_code == ExitCode.bad_args
    assert result.stderr.strip() == "error: unknown engine 'fast'; valid engines: auto, glyphs, sequence"


@pytest.mark.parametrize("engine", ["auto", "glyphs", "sequence"])
def test_every_engine_reads_a_clean_strip(strips, engine):
    result = runner.invoke(app, ["read", "--engine", engine, "--json", str(strips["4017"])])
    assert result.exit_code == ExitCode.ok, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "4017" and data["engine"] == ("sequence" if engine == "sequence" else "glyphs")


def test_train_a_tiny_sequence_model_that_loads(tmp_path):
    out = tmp_path / "seq.npz"
    result = runner.invoke(app, ["train-sequence", "--out", str(out), "--strips", "24", "--epochs", "1",
                                 "--jobs", "1"])
    assert result.exit_code == ExitCode.ok, result.output
    from ocr import sequence

    net = sequence.load(out)
    assert net.meta["config"]["strips"] == 24 and len(net.meta["losses"]) == 1
    assert "Roboto" in net.meta["held_out_families"] and "Roboto" not in net.meta["fonts"]


def test_train_sequence_init_fine_tunes_a_model_and_keeps_its_sizes_and_history(tmp_path):
    from ocr import sequence

    parent, child = tmp_path / "parent.npz", tmp_path / "child.npz"
    tiny = ["--strips", "16", "--epochs", "1", "--jobs", "1", "--channels", "4,8,8", "--hidden", "16", "--layers", "1"]
    assert runner.invoke(app, ["train-sequence", "--out", str(parent), *tiny]).exit_code == ExitCode.ok
    result = runner.invoke(app, ["train-sequence", "--init", str(parent), "--out", str(child), "--long-flag",
                                 "--fitted", "0.5", "--strips", "12", "--epochs", "1", "--jobs", "1", "--lr", "1e-3",
                                 "--seed", "3"])
    assert result.exit_code == ExitCode.ok, result.output
    before, after = sequence.load(parent), sequence.load(child)
    assert {k: v.shape for k, v in after.params.items()} == {k: v.shape for k, v in before.params.items()}
    assert any(not np.array_equal(after.params[k], before.params[k]) for k in before.params)  # trained on
    config, history = after.meta["config"], after.meta["parent"]
    assert config["long_flag"] and config["strips"] == 12 and config["hidden"] == 16 and config["channels"] == [4, 8, 8]
    assert history["config"]["strips"] == 16 and "long_flag" not in history["config"] and len(history["losses"]) == 1
    assert config["fitted"] == 0.5 and after.meta["mix"]["fitted"] == 0.5 and "fitted" not in history["config"]
    assert after.meta["mix"]["captcha"] == pytest.approx(before.meta["mix"]["captcha"] / 2)
    assert history["file"] == "parent.npz" and history["sha256"] == hashlib.sha256(parent.read_bytes()).hexdigest()
