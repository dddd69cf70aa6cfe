"""Training data besides the generator: scikit-learn's handwritten digits and MNIST IDX files.

Both come out as the network's rows, normalised like the reader's glyphs:

- ``digits_split``: ``sklearn.datasets.load_digits`` (1,797 handwritten 8×8 digits, values
  0..16, as the UCI optdigits set was made — the same recipe as ``normalize.to_8x8``), split
  into train and held-out parts by a seeded permutation. It ships inside scikit-learn, so
  nothing is downloaded.
- ``load_mnist``: the MNIST IDX files a user already has (``train-images-idx3-ubyte`` and
  ``train-labels-idx1-ubyte``, raw or ``.gz``), validated before use: magic numbers, element
  type, dimensions, and a file length that matches its header. Anything else is a
  ``DataError`` naming the file. ``mnist_rows`` turns the images into 28×28 rows in [0, 1]
  (they are MNIST style already) or 8×8 block counts.

The IDX format (LeCun et al.): a big-endian magic number ``0x0000TTNN`` — two zero bytes, a
type code ``TT`` (``0x08`` = unsigned byte) and ``NN`` dimensions — then ``NN`` big-endian
uint32 sizes, then the data in row-major order.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr import normalize
from ocr.errors import DataError

__all__ = ["Split", "digits_split", "load_idx", "load_mnist", "mnist_rows", "MNIST_NAMES"]

_UBYTE = 0x08
MAX_IDX_BYTES = 1 << 31  # 2 GiB: far above MNIST's 47 MB; a header claiming more is corrupt
# The file names MNIST is found under: the originals, and the dotted variant some mirrors use.
MNIST_NAMES = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


@dataclass(frozen=True)
class Split:
    """Rows and labels for training and for a held-out check.

    Attributes:
        X_train, X_test: float32 (n, d) network rows (8×8: 0..16; 28×28: 0..1).
        y_train, y_test: int64 (n,) digit labels 0..9.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits_split(*, seed: int = 0, test_fraction: float = 0.25) -> Split:
    """scikit-learn's ``load_digits`` split by a seeded permutation (test part first).

    The same seed and fraction always give the same split, so a model trained on the train
    part can be checked on the test part later (``ocr finetune`` does, to show nothing was
    forgotten).

    >>> s = digits_split(seed=0)
    >>> s.X_train.shape, s.X_test.shape
    ((1348, 64), (449, 64))
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = bunch.data.astype(np.float32)  # (1797, 64), whole numbers 0..16
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng([seed, 25]).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Split(X[train], y[train], X[test], y[test])


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by its magic bytes, whatever the name)."""
    try:
        with path.open("rb") as f:
            head = f.read(2)
            f.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=f) as z:
                    data = z.read(MAX_IDX_BYTES + 1)
            else:
                data = f.read(MAX_IDX_BYTES + 1)
    except (EOFError, OSError, zlib.error) as e:
        raise DataError(f"{path}: cannot read it ({e})") from e
    if len(data) > MAX_IDX_BYTES:
        raise DataError(f"{path}: larger than {MAX_IDX_BYTES} bytes; not an IDX file of digits")
    return data


def load_idx(path: str | Path) -> np.ndarray:
    """An IDX file of unsigned bytes (raw or gzip) as a uint8 array of its declared shape.

    Raises:
        DataError: the file is missing or unreadable, its magic number is not that of an
            unsigned-byte IDX file, or its length does not match the sizes in its header.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero, kind, n_dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != _UBYTE or not 1 <= n_dims <= 3:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (magic number "
                        f"0x{data[:4].hex()}; expected 0x00000801 labels or 0x00000803 images)")
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise DataError(f"{path}: the IDX header is cut short")
    shape = struct.unpack(f">{n_dims}I", data[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        raise DataError(f"{path}: holds {len(data)} bytes but its header {list(shape)} "
                        f"needs {expected}; the file is truncated or not what it claims")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _find(folder: Path, split: str, part: str) -> Path:
    for name in MNIST_NAMES[(split, part)]:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    wanted = MNIST_NAMES[(split, part)][0]
    raise DataError(f"{folder}: no MNIST {split} {part} file (looked for {wanted} or {wanted}.gz)")


def load_mnist(folder: str | Path, *, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels from the IDX files in ``folder``.

    Args:
        folder: holds ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (and for
            ``split="test"`` the ``t10k-`` pair), raw or gzipped.
        split: "train" or "test".

    Returns:
        (images uint8 (n, 28, 28) ink bright on dark, labels int64 (n,) in 0..9).

    Raises:
        DataError: a file is missing or malformed, the images are not 28×28, the counts of
            images and labels differ, or a label is not a digit.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder (--mnist takes the folder holding the IDX files)")
    images_path, labels_path = _find(folder, split, "images"), _find(folder, split, "labels")
    images, labels = load_idx(images_path), load_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: expected images of shape (n, 28, 28), found {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected a list of labels, found shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images)} images but {len(labels)} labels")
    if len(labels) and labels.max() > 9:
        raise DataError(f"{labels_path}: label {int(labels.max())} is not a digit 0..9")
    return images, labels.astype(np.int64)


def mnist_rows(images: np.ndarray, *, size: int) -> np.ndarray:
    """MNIST-style images uint8 (n, 28, 28) → network rows float32 (n, size*size).

    28: the pixels scaled to [0, 1] (MNIST is already made the way ``normalize.to_28x28``
    makes glyphs). 8: each digit's ink box through ``normalize.to_8x8``, counts 0..16.
    """
    if size == 28:
        return images.reshape(len(images), 784).astype(np.float32) / np.float32(255)
    if size != 8:
        raise ValueError(f"size must be 8 or 28, got {size!r}")
    out = np.zeros((len(images), 64), dtype=np.float32)
    for i, img in enumerate(images):
        ys, xs = np.nonzero(img >= 64)
        if len(xs):
            box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
            out[i] = normalize.to_8x8(img, box).ravel()
    return out
