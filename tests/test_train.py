"""Building a model from synthetic glyphs: held-out fonts stay out, a seed fixes the weights."""

import numpy as np
import pytest

from ocr import model as model_io
from ocr.train import TrainConfig, build_model
from synth.fonts import HELD_OUT_FAMILIES, bundled_fonts

TINY = dict(n_strips=12, n_singles=40, n_rejects=12)


@pytest.fixture(scope="module")
def fonts():
    return bundled_fonts()


def _build(fonts, seed, jobs=1):
    config = TrainConfig(hidden=(16,), epochs=2, seed=seed)
    return build_model(size=8, config=config, fonts=fonts, jobs=jobs, **TINY)


def test_same_seed_gives_identical_weights_serial_or_parallel(fonts, tmp_path):
    a, _ = _build(fonts, seed=5, jobs=1)
    b, _ = _build(fonts, seed=5, jobs=2)
    for p, q in zip(a.network.params, b.network.params):
        np.testing.assert_array_equal(p, q)
    # and the files written from them are byte-identical
    model_io.save(tmp_path / "a.npz", a)
    model_io.save(tmp_path / "b.npz", b)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_another_seed_gives_other_weights(fonts):
    a, _ = _build(fonts, seed=5)
    c, _ = _build(fonts, seed=6)
    assert not np.array_equal(a.network.weights[0], c.network.weights[0])


def test_held_out_families_are_not_trained_on(fonts):
    m, history = _build(fonts, seed=1)
    assert set(m.meta["held_out_families"]) == set(HELD_OUT_FAMILIES)
    assert not set(m.meta["fonts"]) & set(HELD_OUT_FAMILIES)
    assert m.meta["seed"] == 1 and list(m.meta["config"]["hidden"]) == [16]
    assert len(history) == 2 and m.network.sizes == [64, 16, 11]
