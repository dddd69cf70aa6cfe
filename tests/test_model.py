"""Model files: round trip without pickle, and a clear ModelError for each broken kind."""

import json
import pickle

import numpy as np
import pytest

from ocr import model as model_io
from ocr.errors import ExitCode, ModelError
from ocr.network import Network


@pytest.fixture
def tiny_model(rng):
    net = Network([64, 7, 11], rng=rng)
    return model_io.Model(network=net, input_size=8, meta={"seed": 3, "fonts": ["DejaVu Sans"]})


def test_round_trip_keeps_weights_and_metadata(tmp_path, tiny_model, rng):
    path = model_io.save(tmp_path / "m.npz", tiny_model)
    loaded = model_io.load(path)
    for a, b in zip(tiny_model.network.params, loaded.network.params):
        np.testing.assert_array_equal(a, b)
    assert loaded.input_size == 8 and loaded.meta["seed"] == 3
    assert loaded.classes[-1] == "reject"
    X = rng.integers(0, 17, (5, 64)).astype(np.float32)
    np.testing.assert_array_equal(tiny_model.predict_proba(X), loaded.predict_proba(X))
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


def test_loading_a_model_draws_no_random_start(tmp_path, tiny_model):
    """The weights come from the file: no random initialisation is drawn and thrown away, and
    numpy.random (10 ms of a cold start) is never imported to read with the shipped model."""
    import subprocess
    import sys

    loaded = model_io.load(model_io.save(tmp_path / "m.npz", tiny_model))
    assert loaded.network.sizes == [64, 7, 11] and loaded.network.activation == "relu"
    assert all(w.dtype == np.float32 for w in loaded.network.params)
    code = ("import sys; from ocr import model; model.load(model.default_model_path()); "
            "print('numpy.random' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _write(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _arrays(model):
    path_arrays = {f"W{i}": w for i, w in enumerate(model.network.weights)}
    path_arrays |= {f"b{i}": b for i, b in enumerate(model.network.biases)}
    meta = {"format_version": 1, "sizes": model.network.sizes, "activation": "relu",
            "classes": list(model.classes), "input_size": 8}
    path_arrays["meta"] = np.array(json.dumps(meta))
    return path_arrays, meta


def test_broken_model_files_are_clear_errors(tmp_path, tiny_model):
    good = model_io.save(tmp_path / "good.npz", tiny_model).read_bytes()
    cases = {}
    (tmp_path / "truncated.npz").write_bytes(good[: len(good) // 2])
    cases["truncated.npz"] = "not a valid model file"
    (tmp_path / "text.npz").write_text("hello")
    cases["text.npz"] = "not a valid model file"
    arrays, meta = _arrays(tiny_model)
    _write(tmp_path / "nan.npz", arrays | {"W0": np.full_like(arrays["W0"], np.nan)})
    cases["nan.npz"] = "NaN"
    _write(tmp_path / "shape.npz", arrays | {"W1": np.zeros((3, 3), np.float32)})
    cases["shape.npz"] = "shape"
    _write(tmp_path / "keys.npz", {k: v for k, v in arrays.items() if k != "b1"})
    cases["keys.npz"] = "do not match"
    _write(tmp_path / "newer.npz", arrays | {"meta": np.array(json.dumps(meta | {"format_version": 99}))})
    cases["newer.npz"] = "newer"
    _write(tmp_path / "nometa.npz", {"W0": arrays["W0"]})
    cases["nometa.npz"] = "no 'meta'"
    _write(tmp_path / "objects.npz", arrays | {"evil": np.array([{"a": 1}], dtype=object)})
    cases["objects.npz"] = "pickled"
    (tmp_path / "pickle.npz").write_bytes(pickle.dumps({"W0": 1}))
    cases["pickle.npz"] = "not a valid model file"
    cases["missing.npz"] = "no such model file"
    for name, phrase in cases.items():
        with pytest.raises(ModelError, match=phrase) as info:
            model_io.load(tmp_path / name)
        assert name in str(info.value) and "\n" not in str(info.value)
        assert info.value.exit_code == ExitCode.model_file
