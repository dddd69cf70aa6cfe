"""Fine-tuning: confused pairs, targeted and replayed data, and a confusion actually fixed."""

import numpy as np
import pytest

from ocr import model as model_io
from ocr.datasets import digits_split
from ocr.errors import DataError
from ocr.finetune import (FinetuneConfig, confused_pairs, file_digest, fix_confusions, per_class_accuracy,
                          replay_rows)
from ocr.train import TrainConfig, build_digits_model, build_model
from synth import dataset, glyphs
from synth.fonts import bundled_fonts, split_held_out

SMALL = FinetuneConfig(style="classic", n_strips=600, n_singles=600, epochs=6, seed=0)


@pytest.fixture(scope="module")
def train_fonts():
    return split_held_out(bundled_fonts())[0]


@pytest.fixture(scope="module")
def handwriting_model(tmp_path_factory):
    """A 64-32-10 network on scikit-learn's handwritten digits: it misreads printed captchas."""
    model, _ = build_digits_model(config=TrainConfig(hidden=(32,), epochs=40, batch_size=32, seed=0))
    path = tmp_path_factory.mktemp("models") / "hand.npz"
    model_io.save(path, model)
    return path


@pytest.fixture(scope="module")
def classic_strips(tmp_path_factory):
    """40 classic 100×24 captchas (Roboto, a font the fine-tune never renders)."""
    folder = tmp_path_factory.mktemp("classic")
    return dataset.write_dataset(folder, n=40, style="classic", seed=99, fonts=bundled_fonts())


def test_confused_pairs_add_both_directions_and_ignore_refusals():
    c = np.zeros((10, 12), int)
    c[3, 8], c[8, 3] = 4, 3  # 3↔8: 7
    c[1, 7] = 5  # 1→7: 5
    c[6, 10] = 50  # refused ("?"), not a confusion between digits
    c[2, 11] = 50  # missed ("-")
    np.fill_diagonal(c[:, :10], 100)
    assert confused_pairs(c) == [(3, 8, 7), (1, 7, 5)]
    assert confused_pairs(c, max_pairs=1) == [(3, 8, 7)]
    assert confused_pairs(np.diag(np.full(10, 9))) == []


def test_per_class_accuracy_counts_refusals_as_errors_and_skips_absent_digits():
    c = np.zeros((10, 12), int)
    c[3, 3], c[3, 8], c[3, 10] = 6, 3, 1
    acc = per_class_accuracy(c)
    assert acc[3] == pytest.approx(0.6)
    assert np.isnan(acc[0])


def test_focused_harvest_drills_the_focus_digits_and_is_seeded(train_fonts):
    crops, y = glyphs.focused_harvest(train_fonts, focus=[3, 8], style="mixed", n_strips=30, n_singles=30,
                                      seed=4, jobs=1)
    counts = np.bincount(y, minlength=11)
    assert counts[[3, 8]].sum() > 0.6 * counts[:10].sum()
    again, y2 = glyphs.focused_harvest(train_fonts, focus=[3, 8], style="mixed", n_strips=30, n_singles=30,
                                       seed=4, jobs=2)
    np.testing.assert_array_equal(y, y2)
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))
    with pytest.raises(ValueError, match="focus"):
        glyphs.focused_harvest(train_fonts, focus=[12], n_strips=1, n_singles=1)


def test_harvest_items_remakes_any_item_exactly(train_fonts):
    """Replay depends on it: item i of a training set can be made again on its own."""
    all_crops, all_y = glyphs.harvest_items(train_fonts, strips=range(3), singles=range(4), rejects=[],
                                            seed=2, jobs=1)
    one_crops, one_y = glyphs.harvest_items(train_fonts, strips=[], singles=[3], rejects=[], seed=2, jobs=1)
    assert len(one_y) == 1 and one_y[0] == all_y[-1]
    np.testing.assert_array_equal(one_crops[0], all_crops[-1])


def test_digits_replay_is_the_original_split(handwriting_model):
    model = model_io.load(handwriting_model)
    replay = replay_rows(model, n=3000, seed=0)
    split = digits_split(seed=0)
    np.testing.assert_array_equal(replay.X_check, split.X_test / 16)
    np.testing.assert_array_equal(replay.X, split.X_train / 16)


def test_fine_tune_fixes_a_handwriting_model_on_printed_captchas(handwriting_model, classic_strips, train_fonts):
    outcome = fix_confusions(handwriting_model, fonts=train_fonts, config=SMALL, data=classic_strips, jobs=1)
    before, after = outcome.before.score, outcome.after.score
    assert outcome.pairs and set(outcome.focus) == {d for a, b, _ in outcome.pairs for d in (a, b)}
    assert before.exact < 0.5
    assert after.exact >= 0.9
    # the confusions it was aimed at shrank
    for a, b, n in outcome.pairs:
        assert after.confusion[a, b] + after.confusion[b, a] < n
    # and the handwriting it was trained on is still read (replay): at most 3 points lost here
    assert outcome.kept[1] >= outcome.kept[0] - 0.03
    entry = outcome.model.meta["finetune"][-1]
    assert entry["parent_sha256"] == file_digest(handwriting_model)
    assert entry["focus"] == list(outcome.focus) and entry["config"]["seed"] == 0
    assert entry["samples"]["targeted"] > 0 and entry["samples"]["replay"] > 0
    assert outcome.model.classes == tuple("0123456789") and outcome.model.network.sizes == [64, 32, 10]


def test_same_seed_same_fine_tuned_weights(handwriting_model, classic_strips, train_fonts):
    config = FinetuneConfig(style="classic", n_strips=40, n_singles=40, epochs=1, seed=3)
    a = fix_confusions(handwriting_model, fonts=train_fonts, config=config, focus=[1, 3], data=classic_strips)
    b = fix_confusions(handwriting_model, fonts=train_fonts, config=config, focus=[1, 3], data=classic_strips)
    for p, q in zip(a.model.network.params, b.model.network.params):
        np.testing.assert_array_equal(p, q)
    assert a.pairs == () and a.focus == (1, 3)


def test_auto_focus_with_nothing_confused_is_a_clear_error(tmp_path, train_fonts):
    folder = dataset.write_dataset(tmp_path / "easy", n=8, style="classic", seed=5, fonts=bundled_fonts())
    shipped = model_io.default_model_path(28)
    with pytest.raises(DataError, match="nothing to fine-tune"):
        fix_confusions(shipped, fonts=train_fonts, config=SMALL, data=folder)


def test_synthetic_model_replays_its_own_items(tmp_path, train_fonts):
    config = TrainConfig(hidden=(16,), epochs=2, seed=1)
    model, _ = build_model(size=8, config=config, fonts=bundled_fonts(), n_strips=20, n_singles=60,
                           n_rejects=20, jobs=1)
    path = model_io.save(tmp_path / "tiny.npz", model)
    replay = replay_rows(model_io.load(path), n=40, seed=0, jobs=1)
    assert "seed 1" in replay.what and len(replay.y) > 0 and len(replay.y_check) > 0
    assert replay.y.max() <= 10 and replay.X.shape[1] == 64
    # every replayed row is a training row; no check row is one
    crops, _ = glyphs.harvest(train_fonts, n_strips=20, n_singles=60, n_rejects=20, seed=1, jobs=1)
    trained = {row.tobytes() for row in glyphs.vectors(crops, size=8) / np.float32(16)}
    assert all(row.tobytes() in trained for row in replay.X)
    assert not any(row.tobytes() in trained for row in replay.X_check)
    tuned = fix_confusions(path, fonts=train_fonts, focus=[3, 8], data=None, n_eval=6, jobs=1,
                           config=FinetuneConfig(style="plain", n_strips=10, n_singles=10, epochs=1))
    assert tuned.model.network.sizes == [64, 16, 11]
    assert tuned.model.meta["finetune"][0]["eval_data"].startswith("6 fresh synthetic 'plain' strips")


def test_mnist_replay_checks_on_validation_rows_when_there_is_no_t10k(tmp_path, rng):
    from ocr.train import build_mnist_model, split_validation
    from tests.test_datasets import write_mnist

    images, labels = write_mnist(tmp_path, rng, n=50)
    model, _ = build_mnist_model(tmp_path, size=28, config=TrainConfig(hidden=(8,), epochs=1, seed=4))
    replay = replay_rows(model, n=20, seed=0)
    _, validation = split_validation(50, fraction=0.1, rng=np.random.default_rng([4, 1]))
    np.testing.assert_array_equal(replay.y_check, labels[validation])
    assert len(replay.y) == 20 and not {r.tobytes() for r in replay.X} & {r.tobytes() for r in replay.X_check}


def test_handwriting_source_trains_ten_classes_and_replays_its_items():
    from ocr.train import build_handwriting_model

    model, _ = build_handwriting_model(size=28, config=TrainConfig(hidden=(16,), epochs=2, seed=2), n=80, jobs=1)
    assert model.classes == tuple("0123456789") and model.meta["source"] == "handwriting"
    assert model.meta["test"]["n"] == 20 and model.network.sizes == [784, 16, 10]
    replay = replay_rows(model, n=30, seed=0, jobs=1)
    assert len(replay.y) == 30 and len(replay.y_check) == 20
    # the check rows are the held-out items of training, made again: same labels as before
    _, y_test = glyphs.handwriting(range(80, 100), seed=2, jobs=1)
    np.testing.assert_array_equal(replay.y_check, y_test)
