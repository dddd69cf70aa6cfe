"""Labelled folders: labels.csv is validated, every file is scored, the report is drawn."""

import numpy as np
import pytest
from PIL import Image

from ocr.errors import DataError
from ocr.evaluate import evaluate_folder, read_labels, write_report


def _folder(tmp_path, rows, header="file,text"):
    (tmp_path / "labels.csv").write_text("\n".join([header, *rows]) + "\n")
    return tmp_path


@pytest.mark.parametrize(
    "header, rows, phrase",
    [
        ("name,digits", ["a.png,1"], "header"),
        ("file,text", [], "no rows"),
        ("file,text", [",123"], ":2: a row needs both"),
    ],
)
def test_malformed_labels_are_data_errors_naming_the_file(tmp_path, header, rows, phrase):
    with pytest.raises(DataError, match=phrase) as info:
        read_labels(_folder(tmp_path, rows, header))
    assert "labels.csv" in str(info.value)


def test_missing_labels_and_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no labels.csv"):
        read_labels(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        read_labels(tmp_path / "nope")


def test_leading_zeros_survive_and_unreadable_files_count_as_misreads(tmp_path):
    folder = _folder(tmp_path, ["a.png,0042", "b.png,17", "broken.png,5"])
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "b.png")
    (folder / "broken.png").write_bytes(b"not a png")
    assert read_labels(folder)[0] == ("a.png", "0042")

    from ocr import image

    def fake_read(path):
        image.load(path)  # raises ImageError for broken.png
        return {"a.png": "0042", "b.png": "11"}[path.name]

    result = evaluate_folder(fake_read, folder)
    assert result.readings == ("0042", "11", "")
    assert result.score.exact == pytest.approx(1 / 3)
    assert result.errors[2] is not None and "broken.png" in result.errors[2]
    out = write_report(result, folder, tmp_path / "report.png", title="t")
    assert Image.open(out).size[0] > 500
