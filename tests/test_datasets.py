"""MNIST IDX files (written here, raw and gzipped) and scikit-learn's digits split."""

import gzip
import struct

import numpy as np
import pytest

from ocr.datasets import digits_split, load_idx, load_mnist, mnist_rows
from ocr.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: magic 0x0000 08 NN, NN big-endian sizes, the data."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(folder, rng, *, n=6, split="train", gz=False, images=None, labels=None):
    """A tiny MNIST folder: ``n`` random 28×28 images and their labels."""
    prefix = "train" if split == "train" else "t10k"
    images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8) if images is None else images
    labels = rng.integers(0, 10, n).astype(np.uint8) if labels is None else labels
    for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_back_what_was_written(tmp_path, rng, gz):
    images, labels = write_mnist(tmp_path, rng, gz=gz)
    got_images, got_labels = load_mnist(tmp_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int64


def test_test_split_reads_the_t10k_files(tmp_path, rng):
    write_mnist(tmp_path, rng, n=3)
    images, labels = write_mnist(tmp_path, rng, n=4, split="test")
    got_images, _ = load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(got_images, images)


def test_gzip_is_recognised_by_content_not_name(tmp_path, rng):
    array = rng.integers(0, 256, (2, 28, 28)).astype(np.uint8)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(load_idx(path), array)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "too short"),
        (b"\x00\x00\x08", "too short"),
        (struct.pack(">HBB", 0, 0x0D, 1) + struct.pack(">I", 1) + b"\0\0\0\0", "not an IDX file of unsigned bytes"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "not an IDX file"),
        (struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">II", 2, 28), "header is cut short"),
        (struct.pack(">HBB", 0, 0x08, 1) + struct.pack(">I", 5) + b"\1\2", "truncated"),
        (struct.pack(">HBB", 0, 0x08, 1) + struct.pack(">I", 1) + b"\1\2", "truncated"),
    ],
    ids=["empty", "short", "float-type", "png", "cut-header", "truncated", "trailing"],
)
def test_malformed_idx_is_a_data_error_naming_the_file(tmp_path, data, message):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message) as caught:
        load_idx(path)
    assert str(path) in str(caught.value)


def test_broken_gzip_is_a_data_error(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"0123456789" * 100)[:30])
    with pytest.raises(DataError, match="cannot read"):
        load_idx(path)


def test_missing_folder_and_files_say_what_was_looked_for(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_mismatched_counts_wrong_shape_and_bad_labels_are_refused(tmp_path, rng):
    write_mnist(tmp_path, rng, n=4, labels=np.arange(3, dtype=np.uint8))
    with pytest.raises(DataError, match="4 images but 3 labels"):
        load_mnist(tmp_path)
    write_mnist(tmp_path, rng, images=np.zeros((2, 20, 20), np.uint8), labels=np.zeros(2, np.uint8))
    with pytest.raises(DataError, match=r"\(n, 28, 28\)"):
        load_mnist(tmp_path)
    write_mnist(tmp_path, rng, n=2, labels=np.array([3, 12], np.uint8))
    with pytest.raises(DataError, match="label 12 is not a digit"):
        load_mnist(tmp_path)


def test_mnist_rows_match_the_readers_normalisation(rng):
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 4:24, 12:16] = 255  # a bar: a "1"
    images[1, 6:22, 8:20] = 200
    rows28 = mnist_rows(images, size=28)
    assert rows28.shape == (2, 784) and rows28.dtype == np.float32
    assert rows28.max() == 1.0 and rows28.min() == 0.0
    rows8 = mnist_rows(images, size=8)
    assert rows8.shape == (2, 64) and rows8.max() == 16
    # the thin bar keeps its aspect ratio: ink only in the middle columns of the 8x8 grid
    grid = rows8[0].reshape(8, 8)
    assert grid[:, :2].sum() == 0 and grid[:, 6:].sum() == 0 and grid[:, 3:5].sum() > 0


def test_digits_split_is_seeded_disjoint_and_complete():
    a, b, c = digits_split(seed=3), digits_split(seed=3), digits_split(seed=4)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    assert len(a.y_train) + len(a.y_test) == 1797 and len(a.y_test) == 449
    assert a.X_train.dtype == np.float32 and a.X_train.max() == 16
    rows = {r.tobytes() for r in a.X_train}
    # no held-out row is a training row (load_digits has a few exact duplicates; allow them)
    assert sum(r.tobytes() in rows for r in a.X_test) <= 5
