"""The BP network: backprop against central differences, softmax, optimizers, training."""

import numpy as np
import pytest

from ocr.network import FLUSH_EVERY, SGD, Adam, Network, log_loss, relu_grad, softmax
from ocr.train import TrainConfig, accuracy, fit, get_lr


def numeric_gradients(net: Network, X, y, *, l2=0.0, eps=1e-6):
    """Central differences of the loss for every parameter entry (float64 network)."""
    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            up = net.loss(X, y, l2=l2)
            flat[i] = keep - eps
            down = net.loss(X, y, l2=l2)
            flat[i] = keep
            gflat[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_backward_matches_central_differences(rng, activation, l2):
    net = Network([6, 5, 4, 3], activation=activation, rng=rng, dtype=np.float64)
    for b in net.biases:  # non-zero biases so every term of the gradient is exercised
        b[:] = rng.normal(0, 0.1, b.shape)
    X, y = rng.normal(size=(7, 6)), rng.integers(0, 3, 7)
    _, analytic = net.gradients(X, y, l2=l2)
    numeric = numeric_gradients(net, X, y, l2=l2)
    assert len(analytic) == 2 * net.n_layers  # every layer's weights and biases
    for a, n in zip(analytic, numeric):
        rel = np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))
        assert rel.max() < 1e-6


def test_softmax_rows_sum_to_one_even_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    p = softmax(z.copy())
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(p[1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


def test_log_loss_of_certain_wrong_answer_is_clipped_not_infinite():
    assert log_loss(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-np.log(1e-12))


def test_weights_are_float32_and_fan_in_scaled(rng):
    net = Network([784, 256, 11], rng=rng)
    assert all(w.dtype == np.float32 for w in net.params)
    assert net.weights[0].std() == pytest.approx(np.sqrt(2 / 784), rel=0.05)


def test_predict_proba_names_the_expected_shape(rng):
    net = Network([4, 3, 2], rng=rng)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        net.predict_proba(np.zeros((2, 5)))


@pytest.mark.parametrize("optimizer_cls", [SGD, Adam])
def test_optimizers_reduce_the_loss_on_a_fixed_batch(rng, optimizer_cls):
    net = Network([2, 8, 2], rng=rng)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR-like: needs the hidden layer
    opt = optimizer_cls(net.params)
    before = net.loss(X, y)
    for _ in range(300):
        _, grads = net.gradients(X, y)
        opt.step(grads, 0.05)
    assert net.loss(X, y) < 0.5 * before


def test_adam_flushes_subnormal_weights_and_moments_but_nothing_else():
    """Subnormal floats make x86 arithmetic many times slower; Adam sets them to zero."""
    tiny, small = np.float32(1e-39), np.float32(1e-12)  # 1e-39 is subnormal in float32
    w = np.array([tiny, -tiny, small, 0.5], dtype=np.float32)
    opt = Adam([w])
    opt.m[0][:] = [tiny, small, 0, 0]
    zero = [np.zeros(4, np.float32)]
    for step in range(1, FLUSH_EVERY + 1):
        opt.step(zero, 0.0)  # a zero step moves nothing: only the flush can change values
        if step < FLUSH_EVERY:
            assert w[0] == tiny
    np.testing.assert_array_equal(w, [0, 0, small, 0.5])
    assert opt.m[0][0] == 0 and opt.m[0][1] == pytest.approx(small * 0.9**FLUSH_EVERY, rel=1e-5)


def test_relu_grad_zeroes_the_error_where_the_unit_was_off():
    a = np.array([[0.0, 2.0], [3.0, 0.0]], np.float32)
    delta = np.array([[5.0, -1.0], [7.0, 4.0]], np.float32)
    relu_grad(a, delta)
    np.testing.assert_array_equal(delta, [[0.0, -1.0], [7.0, 0.0]])


def test_fit_learns_separable_classes_and_is_deterministic(rng):
    centres = rng.normal(0, 3, size=(3, 10))
    y = rng.integers(0, 3, 600)
    X = (centres[y] + rng.normal(size=(600, 10))).astype(np.float32)
    config = TrainConfig(hidden=(16,), epochs=8, batch_size=32, seed=7)
    net_a, history = fit(X[:500], y[:500], config=config, X_val=X[500:], y_val=y[500:])
    net_b, _ = fit(X[:500], y[:500], config=config, X_val=X[500:], y_val=y[500:])
    assert history[-1].val_acc > 0.95
    for a, b in zip(net_a.params, net_b.params):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_keeps_the_most_accurate_epoch(rng):
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = rng.integers(0, 2, 200)  # pure noise: validation loss soon rises
    config = TrainConfig(hidden=(64,), epochs=60, lr=0.01, patience=3, keep="best", seed=1)
    net, history = fit(X[:100], y[:100], config=config, X_val=X[100:], y_val=y[100:])
    assert len(history) < 60
    best = max(history, key=lambda h: (h.val_acc, -h.val_loss))
    loss, acc = accuracy(net, X[100:], y[100:])
    assert acc == best.val_acc and loss == pytest.approx(best.val_loss, rel=1e-5)


def test_keep_last_trains_every_epoch_and_returns_the_final_weights(rng):
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = rng.integers(0, 2, 200)
    config = TrainConfig(hidden=(64,), epochs=12, lr=0.01, patience=3, keep="last", seed=1)
    net, history = fit(X[:100], y[:100], config=config, X_val=X[100:], y_val=y[100:])
    assert len(history) == 12
    loss, acc = accuracy(net, X[100:], y[100:])
    assert acc == history[-1].val_acc and loss == pytest.approx(history[-1].val_loss, rel=1e-5)
    with pytest.raises(ValueError, match="keep"):
        fit(X, y, config=TrainConfig(keep="median"))


def test_learning_rate_schedule_warms_up_then_decays():
    config = TrainConfig(lr=1.0, epochs=10, warmup=1, schedule="cosine")
    lrs = [get_lr(config, e) for e in range(10)]
    assert lrs[0] < lrs[1] and lrs[1] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[1:], lrs[2:]))
    with pytest.raises(ValueError):
        get_lr(TrainConfig(schedule="bogus"), 5)
