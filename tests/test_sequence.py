"""The sequence network: CTC against brute force, gradients against finite differences,
decoding, model files, and a tiny network that learns."""

import itertools
import json
import math

import numpy as np
import pytest

from ocr import sequence
from ocr.errors import ModelError
from ocr.seqtrain import SeqConfig, fit, learning_rate, make_strips
from synth import fonts as font_lib
from tests.helpers import MODEL28, print_strip

K = sequence.BLANK + 1


def _collapse(path) -> str:
    out, prev = [], None
    for k in path:
        if k != sequence.BLANK and k != prev:
            out.append(sequence.CLASSES[k])
        prev = k
    return "".join(out)


def _brute_force(logits: np.ndarray, text: str) -> float:
    """P(text) by summing over every one of the K**T frame labellings."""
    p = np.exp(sequence.log_softmax(logits.astype(np.float64)))
    total = 0.0
    for path in itertools.product(range(K), repeat=len(p)):
        if _collapse(path) == text:
            total += float(np.prod(p[np.arange(len(p)), path]))
    return total


@pytest.mark.parametrize("text", ["", "7", "33", "12", "404"])
def test_ctc_loss_is_the_probability_summed_over_every_alignment(text):
    logits = np.random.default_rng(len(text)).normal(0, 2, (1, 5, K)).astype(np.float32)
    loss, _ = sequence.ctc_loss(logits, [text])
    assert loss == pytest.approx(-np.log(_brute_force(logits[0], text)), rel=1e-4)
    assert sequence.label_probability(sequence.log_softmax(logits[0]), text) == pytest.approx(
        _brute_force(logits[0], text), rel=1e-4)


def test_a_label_too_long_for_its_columns_has_no_probability():
    logits = np.zeros((1, 3, K), np.float32)
    assert sequence.label_probability(sequence.log_softmax(logits[0]), "111") < 1e-20  # "111" needs 5 columns


def test_ctc_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1, (3, 6, K)).astype(np.float32)
    labels = ["12", "", "99"]
    _, grad = sequence.ctc_loss(logits, labels)
    eps = 1e-2
    for _ in range(12):
        idx = tuple(int(rng.integers(0, s)) for s in logits.shape)
        up, down = logits.copy(), logits.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (sequence.ctc_loss(up, labels)[0] - sequence.ctc_loss(down, labels)[0]) / (2 * eps)
        assert grad[idx] == pytest.approx(numeric, abs=2e-3)


@pytest.mark.parametrize("layers", [1, 2])
def test_network_gradients_match_finite_differences(layers):
    rng = np.random.default_rng(2)
    net = sequence.SeqNet.create(channels=(3, 4, 5), hidden=8, layers=layers, seed=3)
    net.params = {k: v.astype(np.float64) for k, v in net.params.items()}  # finite differences need the precision
    x = rng.random((2, sequence.HEIGHT, 24))
    labels = ["5", "61"]

    def loss() -> float:
        logits, _ = net.forward(x)
        return sequence.ctc_loss(logits.astype(np.float64), labels)[0]

    logits, cache = net.forward(x, keep=True)
    grads = net.backward(sequence.ctc_loss(logits, labels)[1].astype(np.float64), cache)
    assert set(grads) == set(net.params)
    for name in ("c0_w", "c1_w", "c2_w", "c2_b", "h_w", "o_b", *(("h2_w", "h2_b") if layers == 2 else ())):
        p = net.params[name]
        for _ in range(3):
            idx = tuple(int(rng.integers(0, s)) for s in p.shape)
            old = p[idx]
            p[idx] = old + 1e-3
            up = loss()
            p[idx] = old - 1e-3
            down = loss()
            p[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / 2e-3, rel=0.05, abs=1e-3), name


def test_best_path_merges_repeats_and_drops_blanks():
    frames = [1, 1, sequence.BLANK, 1, 2, 2, sequence.BLANK, sequence.BLANK, 0]
    logp = np.full((len(frames), K), np.log(0.01), np.float32)
    logp[np.arange(len(frames)), frames] = np.log(0.9)
    text, spans, probs = sequence.best_path(logp)
    assert text == "1120"
    assert spans == [(0, 1), (3, 3), (4, 5), (8, 8)]
    assert probs == pytest.approx([0.9] * 4)


def test_strip_input_ignores_polarity_and_keeps_the_aspect_ratio():
    gray = print_strip("40172")
    dark = sequence.strip_input(gray, light_ink=False)
    light = sequence.strip_input(255 - gray, light_ink=True)
    assert dark.shape[0] == sequence.HEIGHT and dark.shape[1] % sequence.STRIDE == 0
    assert abs(dark.shape[1] - gray.shape[1] * sequence.HEIGHT / gray.shape[0]) <= sequence.STRIDE
    np.testing.assert_allclose(dark, light, atol=1e-6)
    assert dark.min() == 0.0 and dark.max() == 1.0


@pytest.mark.parametrize("layers", [1, 2])
def test_model_file_round_trip(tmp_path, layers):
    net = sequence.SeqNet.create(channels=(3, 4, 5), hidden=8, layers=layers, seed=0)
    net.meta["note"] = "kept"
    loaded = sequence.load(sequence.save(tmp_path / "s.npz", net))
    assert loaded.meta["note"] == "kept"
    for k, v in net.params.items():
        np.testing.assert_array_equal(loaded.params[k], v)
    x = np.random.default_rng(0).random((1, sequence.HEIGHT, 40)).astype(np.float32)
    np.testing.assert_array_equal(loaded.log_probs(x), net.log_probs(x))


def test_broken_sequence_model_files_are_clear_errors(tmp_path):
    good = sequence.save(tmp_path / "good.npz", sequence.SeqNet.create(channels=(3, 4, 5), hidden=8))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    with np.load(good) as data:
        arrays = {k: data[k] for k in data.files}
    mismatched = tmp_path / "mismatched.npz"
    np.savez(mismatched, **{**arrays, "h_w": arrays["h_w"][:-1]})
    other_height = tmp_path / "other_height.npz"
    meta = json.loads(str(arrays["meta"]))
    np.savez(other_height, **{**arrays, "meta": np.array(json.dumps({**meta, "height": 48}))})
    flat = tmp_path / "flat.npz"  # a weight matrix saved as a scalar
    np.savez(flat, **{**arrays, "c0_w": np.float32(1.0)})
    nan = tmp_path / "nan.npz"
    np.savez(nan, **{**arrays, "o_b": np.full_like(arrays["o_b"], np.nan)})
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**arrays, "o_w": np.array([object()], dtype=object)})
    two = sequence.save(tmp_path / "two.npz", sequence.SeqNet.create(channels=(3, 4, 5), hidden=8, layers=2))
    with np.load(two) as data:
        two_arrays = {k: data[k] for k in data.files}
    half = tmp_path / "half.npz"  # the second temporal layer's weights without its biases
    np.savez(half, **{k: v for k, v in two_arrays.items() if k != "h2_b"})
    narrow = tmp_path / "narrow.npz"
    np.savez(narrow, **{**two_arrays, "h2_w": two_arrays["h2_w"][:, :-1]})
    cases = {tmp_path / "missing.npz": "no such", tmp_path: "is a directory", truncated: "not a valid",
             MODEL28: "not a sequence model", mismatched: "mismatched shapes", flat: "mismatched shapes", other_height: "another input",
             nan: "non-finite", pickled: "pickled", half: "half of its second", narrow: "mismatched shapes"}
    for path, phrase in cases.items():
        with pytest.raises(ModelError, match=phrase) as info:
            sequence.load(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.fixture(scope="module")
def train_fonts():
    return font_lib.split_held_out(font_lib.bundled_fonts())[0]


def test_strips_are_the_same_for_a_seed_whatever_the_jobs(train_fonts):
    a = make_strips(6, seed=4, fonts=train_fonts, jobs=1)
    b = make_strips(6, seed=4, fonts=train_fonts, jobs=2)
    c = make_strips(6, seed=5, fonts=train_fonts, jobs=1)
    assert a[1] == b[1] and all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert a[1] != c[1]
    assert all(x.shape[0] == sequence.HEIGHT and x.dtype == np.float32 for x in a[0])


def test_fitted_captchas_are_drawn_only_when_the_config_asks_for_them(train_fonts):
    assert "fitted" not in SeqConfig().mix()
    mix = SeqConfig(fitted=0.25).mix()
    assert mix["fitted"] == 0.25 and sum(mix.values()) == pytest.approx(sum(SeqConfig().mix().values()))
    inputs, texts = make_strips(4, seed=2, fonts=train_fonts, mix={"fitted": 1.0}, length=(6, 8))
    assert all(t.isdigit() and 6 <= len(t) <= 8 for t in texts)
    assert all(x.shape[0] == sequence.HEIGHT and x.shape[1] >= 2 * len(t) * sequence.STRIDE
               for x, t in zip(inputs, texts))


def test_a_tiny_network_learns_and_training_is_deterministic(train_fonts):
    inputs, texts = make_strips(48, seed=0, fonts=train_fonts, mix={"plain": 1.0}, length=(2, 3))
    config = SeqConfig(epochs=4, batch_size=8, lr=3e-3, seed=0)

    def train():
        net = sequence.SeqNet.create(channels=(4, 8, 8), hidden=16, seed=0)
        return net, fit(net, inputs, texts, config=config)

    (net, losses), (again, _) = train(), train()
    assert losses[-1] < 0.7 * losses[0]
    for k in net.params:
        np.testing.assert_array_equal(net.params[k], again.params[k])


def test_the_learning_rate_ramps_up_over_the_warmup_only_then_decays_to_nothing():
    total, warmup = 100, 10
    lrs = [learning_rate(s, peak=2.0, total=total, warmup=warmup) for s in range(total)]
    assert all(a < b for a, b in zip(lrs[:warmup - 1], lrs[1:warmup]))  # the ramp
    assert lrs[warmup - 1] == pytest.approx(1.0 * (1 + math.cos(math.pi * (warmup - 1) / total)))  # full height
    assert all(a > b for a, b in zip(lrs[warmup - 1:], lrs[warmup:]))  # then only the cosine
    assert lrs[0] == pytest.approx(2.0 / warmup) and lrs[-1] < 0.002 * 2.0


def test_reading_a_strip_gives_glyph_boxes_inside_the_image():
    net = sequence.load(sequence.default_sequence_path())
    gray = print_strip("40172")
    said = sequence.read_strips(net, [gray], [False])[0]
    reading, p_empty = said.reading, said.p_empty
    assert reading.text == "40172" and said.p_rival is None
    assert 0.5 < reading.confidence <= 1 and p_empty < 0.01 and reading.engine == "sequence"
    xs = [g.box[0] for g in reading.glyphs]
    assert xs == sorted(xs)
    for g in reading.glyphs:
        x, y, w, h = g.box
        assert 0 <= x and x + w <= gray.shape[1] and 0 <= y and y + h <= gray.shape[0] and w > 0 and h > 0
        assert len(g.alternatives) == 2 and all(p <= g.prob for _, p in g.alternatives)


def test_a_rival_reading_is_scored_by_the_network():
    net = sequence.load(sequence.default_sequence_path())
    gray = print_strip("40172")
    same, other, none = sequence.read_strips(net, [gray] * 3, [False] * 3, ["40172", "40112", None])
    assert same.p_rival == pytest.approx(same.reading.confidence, rel=1e-5)
    assert other.p_rival < 0.01 < same.p_rival and none.p_rival is None
    assert other.reading == same.reading  # the rival does not change the reading
    with pytest.raises(ValueError, match="one rival per strip"):
        sequence.read_strips(net, [gray], [False], [])


def test_the_likeliest_alignment_of_the_best_path_text_is_the_best_path():
    for seed in range(20):
        logp = sequence.log_softmax(np.random.default_rng(seed).normal(0, 3, (9, K)).astype(np.float32))
        text, spans, probs = sequence.best_path(logp)
        assert sequence._align(logp, text) == (spans, probs)


def test_any_text_that_fits_is_aligned_in_order_and_one_that_cannot_fit_is_not():
    logp = sequence.log_softmax(np.random.default_rng(3).normal(0, 3, (6, K)).astype(np.float32))
    spans, probs = sequence._align(logp, "337")
    assert len(spans) == 3 and all(0 <= a <= b < 6 for a, b in spans)
    assert spans[0][1] + 1 < spans[1][0]  # a repeated digit needs a blank between its copies
    assert spans[1][1] < spans[2][0] and all(0 < p <= 1 for p in probs)
    assert sequence._align(logp, "3333") is None  # four 3s need seven columns
    assert sequence._align(logp, "") == ([], [])


def test_a_view_stretches_then_leans_the_strip_on_paper():
    gray = np.full((20, 40), 230, np.uint8)
    gray[:, 18:22] = 20  # one upright bar
    wide = sequence.view(gray, 1.5, 0.0)
    assert wide.shape == (20, 60) and (wide[:, 27:33] < 128).all()
    leaning = sequence.view(gray, 1.0, 0.2)
    assert leaning.shape == (20, 40 + 2 * 2)
    assert leaning[0, :4].min() == 230 and leaning[-1, -4:].min() == 230  # the new corners are paper
    top, bottom = (int(np.flatnonzero(leaning[r] < 128).mean()) for r in (0, -1))
    assert bottom - top >= 3  # slant > 0: the bottom moves right of the top


def _frames(*columns: dict) -> np.ndarray:
    """(T, 11) log-probabilities from a {class: probability} dict per column, the rest to the blank."""
    p = np.full((len(columns), K), 1e-6)
    for t, col in enumerate(columns):
        for k, v in col.items():
            p[t, sequence.CLASSES.index(k) if k != "-" else sequence.BLANK] = v
        p[t, sequence.BLANK] += 1 - p[t].sum()
    return np.log(p).astype(np.float32)


def test_the_views_pick_the_text_they_agree_on_and_keep_its_probability_scale():
    x = np.zeros((sequence.HEIGHT, 5 * sequence.STRIDE), np.float32)
    x[4:28, 2:6] = x[4:28, 14:18] = 1.0
    own = _frames({"1": 0.95}, {}, {"7": 0.55, "1": 0.4}, {}, {})  # the strip itself: "17", narrowly
    other = _frames({"1": 0.95}, {}, {"1": 0.9, "7": 0.05}, {}, {})  # both other views: "11", surely
    alone = sequence._reading(x, [own], (24, 40))
    assert alone.reading.text == "17"
    pooled = sequence._reading(x, [own, other, other], (24, 40), rival="17")
    assert pooled.reading.text == "11" and len(pooled.reading.glyphs) == 2
    by_view = [sequence.label_probability(lp, "11") for lp in (own, other, other)]
    assert pooled.reading.confidence == pytest.approx(np.median(by_view), rel=1e-6)
    assert pooled.p_rival == pytest.approx(sequence.label_probability(other, "17"), rel=1e-6)  # the median view's
    boxes = [g.box for g in pooled.reading.glyphs]  # placed on the strip itself, left to right
    assert boxes[0][0] < boxes[1][0] and all(0 <= b[0] and b[0] + b[2] <= 40 for b in boxes)
    # A text that one view rules out is not read, though the others narrowly prefer it.
    narrow = _frames({"1": 0.95}, {}, {"7": 0.5, "1": 0.45}, {}, {})
    vetoed = sequence._reading(x, [narrow, narrow, _frames({"1": 0.95}, {}, {"1": 0.99}, {}, {})], (24, 40))
    assert vetoed.reading.text == "11"
    # One view that barely sees the second 1 does not crush a reading the others are sure of.
    faint = _frames({"1": 0.95}, {}, {"1": 0.02}, {}, {})
    held = sequence._reading(x, [other, other, faint], (24, 40))
    assert held.reading.text == "11" and sequence.label_probability(faint, "11") < 0.05
    assert held.reading.confidence > 0.5


class _FixedNet:
    """Stands in for a SeqNet: the same (T, 11) log-probabilities for every input, whatever its width."""

    def __init__(self, logp):
        self.logp = logp

    def log_probs(self, x):
        return np.stack([self.logp] * len(x))


class _WidthNet:
    """Stands in for a SeqNet that reads inputs at least `wide` columns wide as `wider`, others as `narrow`."""

    def __init__(self, narrow, wider, wide):
        self.narrow, self.wider, self.wide = narrow, wider, wide

    def log_probs(self, x):
        return np.stack([self.wider if x.shape[2] >= self.wide else self.narrow] * len(x))


def _wide_enough(gray) -> int:
    """Network input columns of `gray` seen ``WIDE`` times wider, less a little: only that view reaches it."""
    return sequence.strip_input(sequence.view(gray, sequence.WIDE, 0.0), light_ink=False).shape[1] - sequence.STRIDE


def test_a_wide_view_that_finds_more_digits_and_is_likelier_is_read():
    """Squeezed glyphs run together at the network's scale (a "147" read "17"); seen wider,
    the dropped digit comes back, and that reading is taken, placed on the strip itself."""
    gray = print_strip("147")
    dropped = _frames({"1": 0.999}, {}, {"7": 0.6, "1": 0.399}, {}, {})  # "17", unsure (P ≈ 0.6), sure of digits
    found = _frames({"1": 0.95}, {}, {"4": 0.9}, {}, {"7": 0.9}, {})  # "147", surer: P ≈ 0.77
    net = _WidthNet(dropped, found, _wide_enough(gray))
    said = sequence.read_strips(net, [gray], [False], ["17"])[0]
    assert said.widened and said.reading.text == "147"
    assert said.reading.confidence == pytest.approx(sequence.label_probability(found, "147"), rel=1e-6)
    assert said.wide == ("147", pytest.approx(said.reading.confidence))
    assert said.views == ("17",) * (1 + len(sequence.VIEWS))  # what the views read, for the overlay
    assert said.p_rival == pytest.approx(sequence.label_probability(dropped, "17"), rel=1e-6)  # the views'
    boxes = [g.box for g in said.reading.glyphs]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    assert all(0 <= b[0] and b[0] + b[2] <= gray.shape[1] for b in boxes)  # in the strip's own pixels


@pytest.mark.parametrize(("wider", "why"), [
    (_frames({"1": 0.95}, {}, {"4": 0.5}, {}, {"7": 0.9}, {}), "more digits, but less likely"),
    (_frames({"1": 0.99}, {}, {"7": 0.99}, {}, {}), "likelier, but no more digits"),
])
def test_a_wide_view_is_not_read_unless_it_finds_more_digits_and_is_likelier(wider, why):
    gray = print_strip("147")
    net = _WidthNet(_frames({"1": 0.999}, {}, {"7": 0.6, "1": 0.399}, {}, {}), wider, _wide_enough(gray))
    said = sequence.read_strips(net, [gray], [False])[0]
    assert said.reading.text == "17" and not said.widened and said.wide is not None, why


def test_no_wide_view_for_a_sure_strip_an_empty_reading_or_a_read_without_views():
    gray = print_strip("147")
    found = _frames({"1": 0.95}, {}, {"4": 0.9}, {}, {"7": 0.9}, {})
    sure = _WidthNet(_frames({"1": 0.9999}, {}, {"7": 0.9999}, {}, {}), found, _wide_enough(gray))
    empty = _WidthNet(_frames({}, {}, {"1": 0.3}, {}, {}), found, _wide_enough(gray))  # reads "" (blank wins)
    unsure = _WidthNet(_frames({"1": 0.999}, {}, {"7": 0.6, "1": 0.399}, {}, {}), found, _wide_enough(gray))
    doubtful = _WidthNet(_frames({"1": 0.9}, {}, {"7": 0.6}, {}, {}), found, _wide_enough(gray))
    doubt = sequence.read_strips(doubtful, [gray], [False])[0]  # "17", but P("") = 0.1 · 0.4
    assert doubt.reading.text == "17" and doubt.p_empty >= sequence.WIDE_NO_DIGIT and doubt.wide is None
    assert sequence.read_strips(unsure, [gray], [False])[0].widened  # "17" too, sure of digits
    assert sequence.read_strips(sure, [gray], [False])[0].wide is None
    assert sequence.read_strips(empty, [gray], [False])[0].wide is None
    assert sequence.read_strips(unsure, [gray], [False], views=())[0].wide is None


def test_only_a_strip_read_under_sure_alone_is_read_again_in_its_views(monkeypatch):
    calls = []
    real_view = sequence.view
    monkeypatch.setattr(sequence, "view", lambda gray, stretch, slant: calls.append((stretch, slant))
                        or real_view(gray, stretch, slant))
    gray = print_strip("17")
    sure = _FixedNet(_frames({"1": 0.9999}, {}, {"7": 0.9999}, {}, {}))
    assert sequence.label_probability(sure.logp, "17") >= sequence.SURE_ALONE
    alone = sequence.read_strips(sure, [gray], [False])[0]
    assert alone.reading.text == "17" and alone.views == () and calls == []
    unsure = _FixedNet(_frames({"1": 0.9999}, {}, {"7": 0.9, "1": 0.09}, {}, {}))
    viewed = sequence.read_strips(unsure, [gray], [False])[0]
    assert viewed.reading.text == "17" and viewed.views == ("17",) * (1 + len(sequence.VIEWS))
    assert calls == [*sequence.VIEWS, (sequence.WIDE, 0.0)]  # and, as it read digits, the wide view
    assert viewed.wide is not None and viewed.wide[0] == "17" and not viewed.widened
