"""The backpropagation network: a multilayer perceptron written in plain NumPy.

A batch is a matrix with one sample per row: ``X`` is (n, d_in), ``weights[l]`` is
(d_l, d_{l+1}), the output is (n, n_classes). Hidden layers use one activation
(ReLU or sigmoid), the output layer is a softmax trained with cross-entropy, so the
error signal at the output is simply ``proba - onehot``. ``forward`` keeps every
layer's activation because ``backward`` needs them; ``predict_proba`` is the lean
inference path that keeps nothing.

The optimizers (SGD with momentum, Adam) update the parameter arrays in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "Network",
    "SGD",
    "Adam",
    "OPTIMIZERS",
    "softmax",
    "log_loss",
]


# --- activations, each beside its derivative --------------------------------------------


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=z)


def relu_grad(a: np.ndarray, delta: np.ndarray) -> None:
    """Multiply ``delta`` in place by relu'(z), written in terms of the output a = relu(z)."""
    np.multiply(delta, a > 0, out=delta)  # a dense multiply: faster than a masked assignment


def sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z), computed in place; clip so exp cannot overflow in float32.
    np.clip(z, -60, 60, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


def sigmoid_grad(a: np.ndarray, delta: np.ndarray) -> None:
    """sigmoid'(z) = a (1 - a)."""
    delta *= a
    delta *= 1 - a


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax in place; subtracting the row max keeps exp from overflowing."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "softmax": softmax}
DERIVATIVES = {"relu": relu_grad, "sigmoid": sigmoid_grad}


def _check_activation(activation: str) -> None:
    if activation not in DERIVATIVES:
        raise ValueError(f"activation must be one of {sorted(DERIVATIVES)}, got {activation!r}")


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of integer labels ``y`` (n,) under ``proba`` (n, k); clipped at 1e-12."""
    picked = proba[np.arange(len(y)), y]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


# --- the network ---------------------------------------------------------------------------


class Network:
    """A fully connected network: ``sizes[0]`` inputs, hidden layers, ``sizes[-1]`` classes.

    Args:
        sizes: layer widths, e.g. ``[784, 128, 11]``.
        activation: "relu" or "sigmoid" for the hidden layers.
        rng: source of the initial weights (He init for ReLU, Xavier/Glorot for sigmoid).
        dtype: float32 for training and reading; float64 for gradient checks.

    >>> net = Network([4, 3, 2], rng=np.random.default_rng(0))
    >>> net.predict_proba(np.zeros((1, 4), np.float32)).shape
    (1, 2)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str = "relu",
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(f"sizes must list at least two positive widths, got {list(sizes)}")
        _check_activation(activation)
        self.sizes = [int(s) for s in sizes]
        self.activation = activation
        self.dtype = np.dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            # He et al. (2015) for ReLU, Glorot & Bengio (2010) for sigmoid.
            if activation == "relu":
                scale = np.sqrt(2.0 / fan_in)
                w = rng.standard_normal((fan_in, fan_out)) * scale
            else:
                bound = np.sqrt(6.0 / (fan_in + fan_out))
                w = rng.uniform(-bound, bound, (fan_in, fan_out))
            self.weights.append(w.astype(self.dtype))
            self.biases.append(np.zeros(fan_out, dtype=self.dtype))

    @classmethod
    def from_weights(cls, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], *,
                     activation: str = "relu") -> Network:
        """A network holding trained `weights` and `biases` (float32), with no random start drawn.

        >>> net = Network.from_weights([np.ones((4, 3)), np.ones((3, 2))], [np.zeros(3), np.zeros(2)])
        >>> net.sizes, net.weights[0].dtype
        ([4, 3, 2], dtype('float32'))
        """
        net = cls.__new__(cls)
        _check_activation(activation)
        if len(weights) != len(biases) or not weights:
            raise ValueError(f"need as many bias vectors as weight matrices, got {len(weights)} and {len(biases)}")
        net.sizes = [int(weights[0].shape[0]), *(int(w.shape[1]) for w in weights)]
        net.activation = activation
        net.dtype = np.dtype(np.float32)
        net.weights = [np.asarray(w, np.float32) for w in weights]
        net.biases = [np.asarray(b, np.float32) for b in biases]
        return net

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def params(self) -> list[np.ndarray]:
        """Weights then biases, the order in which gradients are returned."""
        return [*self.weights, *self.biases]

    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """All layer activations for a batch: ``[X, a_1, ..., proba]``, each (n, d_l)."""
        hidden = ACTIVATIONS[self.activation]
        activations = [X]
        a = X
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w  # (n, d_l) @ (d_l, d_l+1) -> (n, d_l+1)
            z += b
            a = softmax(z) if layer == self.n_layers - 1 else hidden(z)
            activations.append(a)
        return activations

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes) for a batch (n, d_in); keeps no training cache."""
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"expected a batch of shape (n, {self.sizes[0]}), got {X.shape}")
        return self.forward(X)[-1]

    def loss(self, X: np.ndarray, y: np.ndarray, *, l2: float = 0.0) -> float:
        """Mean cross-entropy plus ``l2 / 2 * sum(w**2)`` over the weight matrices."""
        value = log_loss(self.forward(np.asarray(X, dtype=self.dtype))[-1], y)
        if l2:
            value += 0.5 * l2 * sum(float((w * w).sum()) for w in self.weights)
        return value

    def backward(
        self, activations: list[np.ndarray], y: np.ndarray, *, l2: float = 0.0
    ) -> list[np.ndarray]:
        """Gradients of the mean loss w.r.t. ``params`` from a ``forward`` cache.

        Backpropagation, layer by layer from the output: with softmax and cross-entropy
        the output error is ``delta = (proba - onehot) / n``; each layer's weight gradient
        is ``a_prev.T @ delta`` and the error passes back as ``delta @ W.T`` times the
        derivative of the activation.
        """
        n = len(y)
        delta = activations[-1].copy()
        delta[np.arange(n), y] -= 1
        delta /= n
        weight_grads: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        bias_grads: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        derivative = DERIVATIVES[self.activation]
        for layer in range(self.n_layers - 1, -1, -1):
            a_prev = activations[layer]
            weight_grads[layer] = a_prev.T @ delta  # (d_l, n) @ (n, d_l+1)
            if l2:
                weight_grads[layer] += l2 * self.weights[layer]
            bias_grads[layer] = delta.sum(axis=0)
            if layer > 0:
                delta = delta @ self.weights[layer].T  # (n, d_l+1) @ (d_l+1, d_l)
                derivative(a_prev, delta)
        return [*weight_grads, *bias_grads]

    def gradients(
        self, X: np.ndarray, y: np.ndarray, *, l2: float = 0.0
    ) -> tuple[float, list[np.ndarray]]:
        """(loss, gradients in ``params`` order) for one batch."""
        activations = self.forward(np.asarray(X, dtype=self.dtype))
        value = log_loss(activations[-1], y)
        if l2:
            value += 0.5 * l2 * sum(float((w * w).sum()) for w in self.weights)
        return value, self.backward(activations, y, l2=l2)


# --- optimizers ----------------------------------------------------------------------------


class SGD:
    """Mini-batch gradient descent with (classical) momentum: v = m v - lr g; p += v."""

    def __init__(self, params: list[np.ndarray], *, momentum: float = 0.9) -> None:
        self.params = params
        self.momentum = momentum
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        for p, g, v in zip(self.params, grads, self.velocities):
            v *= self.momentum
            v -= np.float32(lr) * g if g.dtype == np.float32 else lr * g
            p += v


# Values below this are set to zero every FLUSH_EVERY Adam steps. Weights fed by pixels that are
# blank in (nearly) every glyph receive only the L2 term's gradient; Adam walks them and their
# moments down into float32 subnormals (< 1.2e-38), and x86 arithmetic on subnormals is many
# times slower: without the flush, training epochs after the second take 1.7x as long. Values
# this small change no output (2^-64 ≈ 5e-20 times any input is far below float32 resolution).
FLUSH_BELOW = np.float32(2.0**-64)
FLUSH_EVERY = 8


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps from running moments of the gradient."""

    def __init__(
        self,
        params: list[np.ndarray],
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]  # reused every step: no temporaries

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        # Fold the bias corrections of both moments into the step size (float32, so that the
        # update below stays in float32 instead of being computed in float64 and cast back).
        step = np.float32(lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t))
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.scratch):
            # m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;  p -= step m / (√v + eps)
            m *= self.beta1
            np.multiply(g, 1 - self.beta1, out=tmp)
            m += tmp
            v *= self.beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - self.beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp
        if self.t % FLUSH_EVERY == 0:
            self._flush_tiny()

    def _flush_tiny(self) -> None:
        """Set parameters and moments smaller in magnitude than ``FLUSH_BELOW`` to zero."""
        for arrays in (self.params, self.m, self.v):
            for a in arrays:
                np.copyto(a, 0, where=np.abs(a) < FLUSH_BELOW)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
