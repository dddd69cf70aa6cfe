"""Model files: a network's arrays plus JSON metadata in one ``.npz``, never a pickle.

The file holds ``W0, W1, ...``, ``b0, b1, ...`` and ``meta``: a JSON string with the layer
sizes, activation, classes, input size and scale, the training config, fonts, seed and
validation metrics. Loading uses ``allow_pickle=False`` and checks every array against the
metadata, so a truncated, tampered or mismatched file is a clear ``ModelError``.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ocr.errors import ModelError
from ocr.network import DERIVATIVES, Network

__all__ = ["FORMAT_VERSION", "DIGIT_CLASSES", "Model", "save", "load", "default_model_path"]

FORMAT_VERSION = 1
# Ten digits and one "not a digit" class; the reject class is always last.
DIGIT_CLASSES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "reject")
INPUT_SCALES = {28: 1.0, 8: 1.0 / 16.0}  # 28x28 is in [0, 1]; 8x8 block sums are 0..16


@dataclass(frozen=True)
class Model:
    """A trained network and what the reader must know to feed it.

    Attributes:
        network: the weights.
        input_size: 28 (MNIST-style glyphs) or 8 (scikit-learn-digits-style glyphs).
        classes: class names in output order; "reject" is "not a digit".
        meta: everything else from the file (config, fonts, seed, metrics, lineage).
    """

    network: Network
    input_size: int
    classes: tuple[str, ...] = DIGIT_CLASSES
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def input_scale(self) -> float:
        return INPUT_SCALES[self.input_size]

    @cached_property
    def reject_index(self) -> int | None:
        return self.classes.index("reject") if "reject" in self.classes else None

    @cached_property
    def digit_indices(self) -> np.ndarray:
        """Output columns of the digit classes (every class but "reject"), a read-only int array."""
        columns = np.array([k for k, c in enumerate(self.classes) if c != "reject"], dtype=np.intp)
        columns.flags.writeable = False
        return columns

    def predict_proba(self, glyphs: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_classes) for normalized glyph rows (n, input_size**2)."""
        X = np.asarray(glyphs, dtype=np.float32)
        if self.input_scale != 1.0:
            X = X * np.float32(self.input_scale)
        return self.network.predict_proba(X)


def default_model_path(size: int = 28) -> Path:
    """The shipped model for ``size`` (``OCR_MODEL`` in the environment overrides it)."""
    env = os.environ.get("OCR_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "models" / f"digits{size}.npz"


def save(path: str | Path, model: Model) -> Path:
    """Write ``model`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    net = model.network
    meta = {
        **model.meta,
        "format_version": FORMAT_VERSION,
        "sizes": net.sizes,
        "activation": net.activation,
        "classes": list(model.classes),
        "input_size": model.input_size,
    }
    arrays = {f"W{i}": w.astype(np.float32) for i, w in enumerate(net.weights)}
    arrays |= {f"b{i}": b.astype(np.float32) for i, b in enumerate(net.biases)}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return write_npz(path, arrays)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` as an ``.npz`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a model is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_npz(path: Path, kind: str = "model file") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, never unpickling; a ModelError names ``kind``."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else f"no such {kind}"
        raise ModelError(f"{path}: {what}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as e:  # object arrays need pickle, which we refuse
        raise ModelError(f"{path}: not a valid {kind} (holds pickled objects: {e})") from e
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ModelError(f"{path}: not a valid {kind} ({e})") from e


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load(path: str | Path) -> Model:
    """Read a model file, validating it against its own metadata.

    Raises:
        ModelError: missing, not an npz, contains pickled objects, keys or shapes that
            disagree with the metadata, non-finite weights, or a newer format version.
    """
    path = Path(path)
    return _from_arrays(path, read_npz(path))


def _from_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Model:
    if "meta" not in arrays:
        raise ModelError(f"{path}: not a model file of this tool (no 'meta' entry)")
    try:
        meta = json.loads(str(arrays["meta"]))
        version = int(meta["format_version"])
        sizes = [int(s) for s in meta["sizes"]]
        activation = str(meta["activation"])
        classes = tuple(str(c) for c in meta["classes"])
        input_size = int(meta["input_size"])
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{path}: model metadata is unreadable ({e})") from e
    if version > FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format {version} is newer than this tool reads ({FORMAT_VERSION}); "
            "upgrade the tool"
        )
    if input_size not in INPUT_SCALES or sizes[0] != input_size * input_size:
        raise ModelError(f"{path}: input size {input_size} does not match {sizes[0]} inputs")
    if len(classes) != sizes[-1]:
        raise ModelError(f"{path}: {len(classes)} classes but {sizes[-1]} outputs")
    if activation not in DERIVATIVES:
        raise ModelError(f"{path}: unknown activation {activation!r}")
    n_layers = len(sizes) - 1
    expected = {f"W{i}": (sizes[i], sizes[i + 1]) for i in range(n_layers)}
    expected |= {f"b{i}": (sizes[i + 1],) for i in range(n_layers)}
    if set(arrays) - {"meta"} != set(expected):
        raise ModelError(
            f"{path}: arrays {sorted(set(arrays) - {'meta'})} do not match layers {sizes}"
        )
    for key, shape in expected.items():
        a = arrays[key]
        if a.shape != shape or a.dtype.kind != "f":
            raise ModelError(f"{path}: {key} has shape {a.shape} ({a.dtype}), expected {shape}")
        if not np.isfinite(a).all():
            raise ModelError(f"{path}: {key} holds NaN or infinite weights")
    net = Network.from_weights([arrays[f"W{i}"] for i in range(n_layers)], [arrays[f"b{i}"] for i in range(n_layers)],
                               activation=activation)
    return Model(network=net, input_size=input_size, classes=classes, meta=meta)
