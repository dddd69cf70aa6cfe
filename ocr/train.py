"""Training loop: mini-batches, a learning-rate schedule, validation and early stopping.

``fit`` takes glyph rows and integer labels and returns the trained ``Network`` with its
per-epoch history. Everything random comes from the config's seed, so the same data and
config give the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ocr.network import OPTIMIZERS, Network, log_loss

__all__ = [
    "TrainConfig",
    "EpochStats",
    "get_lr",
    "fit",
    "accuracy",
    "split_validation",
    "build_model",
    "build_digits_model",
    "build_handwriting_model",
    "build_mnist_model",
    "plot_history",
]


# The ten digit classes, without "not a digit": the sources that have no examples of one.
TEN_DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, ...] = (256, 128)  # hidden layer widths
    activation: str = "relu"  # "relu" or "sigmoid"
    optimizer: str = "adam"  # "adam" or "sgd" (with momentum)
    lr: float = 2e-3  # peak learning rate
    schedule: str = "cosine"  # "cosine", "step" (x0.3 every third of the run) or "constant"
    warmup: int = 1  # epochs of linear warm-up
    momentum: float = 0.9  # for sgd
    l2: float = 1e-5  # weight decay as an L2 penalty on the weights
    epochs: int = 20
    batch_size: int = 128
    patience: int = 8  # keep="best": stop after this many epochs without a better validation accuracy
    # Which weights to return: "last" (the end of the schedule; validation is only reported) or
    # "best" (the epoch of highest validation accuracy, with early stopping). Validation rows
    # come from the training fonts, so "best" picks among epochs whose accuracy differs by a
    # few glyphs; on strips in held-out fonts the last epoch of the cosine decay read better
    # (+0.1 to +0.5 points on clean strips, two dev suites, two seeds).
    keep: str = "last"
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    lr: float
    loss: float
    train_acc: float
    val_loss: float
    val_acc: float


def get_lr(config: TrainConfig, epoch: int) -> float:
    """Learning rate for ``epoch`` (0-based): linear warm-up, then the chosen decay."""
    if epoch < config.warmup:
        return config.lr * (epoch + 1) / (config.warmup + 1)
    if config.schedule == "constant":
        return config.lr
    progress = (epoch - config.warmup) / max(1, config.epochs - config.warmup)
    if config.schedule == "cosine":
        return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))
    if config.schedule == "step":
        return config.lr * 0.3 ** int(progress * 3)
    raise ValueError(f"unknown schedule {config.schedule!r}; use cosine, step or constant")


def accuracy(net: Network, X: np.ndarray, y: np.ndarray, *, batch: int = 4096) -> tuple[float, float]:
    """(mean log-loss, accuracy) of ``net`` on ``X`` (n, d), ``y`` (n,), in batches."""
    if len(y) == 0:
        return float("nan"), float("nan")
    losses, hits = 0.0, 0
    for start in range(0, len(y), batch):
        proba = net.predict_proba(X[start : start + batch])
        yb = y[start : start + batch]
        losses += log_loss(proba, yb) * len(yb)
        hits += int((proba.argmax(axis=1) == yb).sum())
    return losses / len(y), hits / len(y)


def split_validation(
    n: int, *, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of a random split of ``n`` samples."""
    order = rng.permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def fit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    config: TrainConfig,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    n_classes: int | None = None,
    network: Network | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> tuple[Network, list[EpochStats]]:
    """Train a network on glyph rows.

    Args:
        X: float32 (n, d) inputs, already scaled for the network.
        y: int (n,) class indices.
        config: sizes, optimizer and schedule.
        X_val, y_val: validation data for early stopping (none: train for all epochs).
        n_classes: output width (default: ``y.max() + 1``).
        network: continue training this network (fine-tuning) instead of a new one.
        augment: optional ``f(batch, rng) -> batch`` applied to every training mini-batch.
        on_epoch: called with each epoch's statistics (progress bars).

    Returns:
        The network — with ``config.keep == "best"`` the weights of the best validation
        epoch (highest accuracy, then lowest loss), else those of the last epoch — and the
        history.
    """
    rng = np.random.default_rng(config.seed)
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    n_classes = n_classes or int(y.max()) + 1
    if network is None:
        sizes = [X.shape[1], *config.hidden, n_classes]
        network = Network(sizes, activation=config.activation, rng=rng)
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; use {sorted(OPTIMIZERS)}")
    if config.keep not in ("last", "best"):
        raise ValueError(f"keep must be 'last' or 'best', got {config.keep!r}")
    if config.optimizer == "sgd":
        optimizer = OPTIMIZERS["sgd"](network.params, momentum=config.momentum)
    else:
        optimizer = OPTIMIZERS["adam"](network.params)

    has_val = X_val is not None and y_val is not None and len(y_val) > 0
    best_score, best_params, stale = (-math.inf, -math.inf), None, 0
    history: list[EpochStats] = []
    for epoch in range(config.epochs):
        lr = get_lr(config, epoch)
        order = rng.permutation(len(y))
        total, hits = 0.0, 0
        for start in range(0, len(y), config.batch_size):
            idx = order[start : start + config.batch_size]
            xb, yb = X[idx], y[idx]
            if augment is not None:
                xb = augment(xb, rng)
            activations = network.forward(xb)
            proba = activations[-1]
            total += log_loss(proba, yb) * len(yb)
            hits += int((proba.argmax(axis=1) == yb).sum())
            optimizer.step(network.backward(activations, yb, l2=config.l2), lr)
        if has_val:
            val_loss, val_acc = accuracy(network, X_val, y_val)
        else:
            val_loss, val_acc = float("nan"), float("nan")
        stats = EpochStats(epoch + 1, lr, total / len(y), hits / len(y), val_loss, val_acc)
        history.append(stats)
        if on_epoch is not None:
            on_epoch(stats)
        if has_val:
            # The best epoch has the highest validation accuracy, ties going to the lower loss.
            if config.keep == "last":
                continue
            if (val_acc, -val_loss) > best_score:
                best_score, stale = (val_acc, -val_loss), 0
                best_params = [p.copy() for p in network.params]
            else:
                stale += 1
                if stale >= config.patience:
                    break
    if best_params is not None:
        for p, best in zip(network.params, best_params):
            p[...] = best
    return network, history


def build_model(
    *,
    size: int,
    config: TrainConfig,
    fonts: Sequence,
    n_strips: int,
    n_singles: int,
    n_rejects: int,
    include_held_out: bool = False,
    val_fraction: float = 0.1,
    jobs: int = 0,
    on_epoch: Callable[[EpochStats], None] | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int], None] | None = None,
):
    """Train a shipped-style model from synthetic glyphs; returns (Model, history).

    The fonts of ``synth.fonts.HELD_OUT_FAMILIES`` are left out unless ``include_held_out``,
    so that accuracy can be measured on families the network never saw.
    """
    from ocr.model import DIGIT_CLASSES, INPUT_SCALES
    from synth import fonts as font_lib
    from synth import glyphs

    train_fonts, held_out = font_lib.split_held_out(list(fonts))
    if include_held_out:
        train_fonts, held_out = list(fonts), []
    if not train_fonts:
        raise ValueError("no fonts left to train on")
    say = log or (lambda message: None)
    say(f"rendering glyphs from {len(train_fonts)} fonts "
        f"({len({f.family for f in train_fonts})} families; held out: "
        f"{', '.join(sorted({f.family for f in held_out})) or 'none'})")
    crops, y = glyphs.harvest(train_fonts, n_strips=n_strips, n_singles=n_singles,
                              n_rejects=n_rejects, seed=config.seed, jobs=jobs, progress=progress)
    X = glyphs.vectors(crops, size=size) * np.float32(INPUT_SCALES[size])
    counts = np.bincount(y, minlength=len(DIGIT_CLASSES))
    say(f"{len(y)} glyphs; per class {counts.tolist()}")
    network, history, best = _fit_held(X, y, config=config, n_classes=len(DIGIT_CLASSES),
                                       val_fraction=val_fraction, on_epoch=on_epoch)
    data = {"strips": n_strips, "singles": n_singles, "rejects": n_rejects, "glyphs": int(len(y)),
            "per_class": counts.tolist()}
    model = _model(network, size=size, classes=DIGIT_CLASSES, source="synth", config=config, data=data,
                   best=best, history=history, fonts=sorted({f.family for f in train_fonts}),
                   held_out_families=sorted({f.family for f in held_out}))
    return model, history


def _fit_held(X, y, *, config: TrainConfig, n_classes: int, val_fraction: float, on_epoch):
    """Train on all but a seeded ``val_fraction`` of the rows, which choose the best epoch.

    Returns (network, history, best epoch's stats).
    """
    train_idx, val_idx = split_validation(len(y), fraction=val_fraction,
                                          rng=np.random.default_rng([config.seed, 1]))
    network, history = fit(X[train_idx], y[train_idx], config=config, X_val=X[val_idx],
                           y_val=y[val_idx], n_classes=n_classes, on_epoch=on_epoch)
    if config.keep == "best" and len(val_idx):
        best = max(history, key=lambda h: (h.val_acc, -h.val_loss))
    else:
        best = history[-1]
    return network, history, best


def _model(network: Network, *, size: int, classes: tuple[str, ...], source: str, config: TrainConfig,
           data: dict, best: EpochStats, history: Sequence[EpochStats], **extra):
    """A ``Model`` whose metadata records how it was trained (what ``ocr finetune`` replays).

    ``extra`` holds the source's own entries (training fonts, held-out accuracy, ...).
    """
    from ocr import __version__
    from ocr.model import Model

    meta = {
        "library_version": __version__,
        "source": source,
        "seed": config.seed,
        "config": config.to_dict(),
        "data": data,
        "validation": {"accuracy": best.val_acc, "loss": best.val_loss, "epoch": best.epoch,
                       "epochs_run": len(history)},
        **extra,
    }
    return Model(network=network, input_size=size, classes=classes, meta=meta)



def build_digits_model(
    *,
    config: TrainConfig,
    test_fraction: float = 0.25,
    val_fraction: float = 0.1,
    on_epoch: Callable[[EpochStats], None] | None = None,
    log: Callable[[str], None] | None = None,
):
    """Train an 8×8 model on scikit-learn's handwritten digits; returns (Model, history).

    The data is split by ``config.seed`` into a training part and a held-out ``test_fraction``
    (``ocr.datasets.digits_split``); the validation rows that pick the best epoch come out of
    the training part, so the held-out accuracy in the metadata is on digits training never
    touched. The model has the ten digit classes and no "not a digit" class: the handwriting
    set has no examples of one.
    """
    from ocr.datasets import digits_split
    from ocr.model import INPUT_SCALES

    say = log or (lambda message: None)
    split = digits_split(seed=config.seed, test_fraction=test_fraction)
    scale = np.float32(INPUT_SCALES[8])
    say(f"scikit-learn digits: {len(split.y_train)} to train on, {len(split.y_test)} held out")
    network, history, best = _fit_held(split.X_train * scale, split.y_train, config=config,
                                       n_classes=10, val_fraction=val_fraction, on_epoch=on_epoch)
    _, test_acc = accuracy(network, split.X_test * scale, split.y_test)
    say(f"held-out accuracy {test_acc:.2%} on {len(split.y_test)} digits")
    data = {"test_fraction": test_fraction, "train": int(len(split.y_train)), "test": int(len(split.y_test))}
    model = _model(network, size=8, classes=TEN_DIGITS, source="digits", config=config, data=data, best=best,
                   history=history, test={"accuracy": test_acc, "n": int(len(split.y_test))})
    return model, history


def build_handwriting_model(
    *,
    size: int,
    config: TrainConfig,
    n: int,
    val_fraction: float = 0.1,
    jobs: int = 0,
    on_epoch: Callable[[EpochStats], None] | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int], None] | None = None,
):
    """Train on ``n`` handwriting-like synthetic digits (``synth.glyphs.handwriting``).

    Items ``0 .. n-1`` train (less a validation part); items ``n .. n + n/4`` are the
    held-out check recorded in the metadata. Ten classes, no "not a digit" class.
    """
    from ocr.model import INPUT_SCALES
    from synth import glyphs

    say = log or (lambda message: None)
    n_test = max(1, n // 4)
    crops, y = glyphs.handwriting(range(n), seed=config.seed, jobs=jobs, progress=progress)
    test_crops, y_test = glyphs.handwriting(range(n, n + n_test), seed=config.seed, jobs=jobs)
    scale = np.float32(INPUT_SCALES[size])
    say(f"handwriting-like digits: {len(y)} to train on, {len(y_test)} held out")
    network, history, best = _fit_held(glyphs.vectors(crops, size=size) * scale, y, config=config,
                                       n_classes=10, val_fraction=val_fraction, on_epoch=on_epoch)
    _, test_acc = accuracy(network, glyphs.vectors(test_crops, size=size) * scale, y_test)
    say(f"held-out accuracy {test_acc:.2%} on {len(y_test)} digits")
    data = {"items": n, "test_items": n_test, "glyphs": int(len(y))}
    model = _model(network, size=size, classes=TEN_DIGITS, source="handwriting", config=config, data=data,
                   best=best, history=history, test={"accuracy": test_acc, "n": int(len(y_test))})
    return model, history


def build_mnist_model(
    folder,
    *,
    size: int,
    config: TrainConfig,
    val_fraction: float = 0.1,
    on_epoch: Callable[[EpochStats], None] | None = None,
    log: Callable[[str], None] | None = None,
):
    """Train on the MNIST IDX files in ``folder``; returns (Model, history).

    The ``train-`` files train (less a seeded validation part); the ``t10k-`` files, when the
    folder has them, give the held-out accuracy recorded in the metadata. Ten classes, no
    "not a digit" class.
    """
    from pathlib import Path

    from ocr.datasets import load_mnist, mnist_rows
    from ocr.errors import DataError
    from ocr.model import INPUT_SCALES

    say = log or (lambda message: None)
    folder = Path(folder)
    images, labels = load_mnist(folder, split="train")
    scale = np.float32(INPUT_SCALES[size])
    X = mnist_rows(images, size=size) * scale
    say(f"MNIST: {len(labels)} training images from {folder}")
    network, history, best = _fit_held(X, labels, config=config, n_classes=10,
                                       val_fraction=val_fraction, on_epoch=on_epoch)
    test = None
    try:
        test_images, test_labels = load_mnist(folder, split="test")
    except DataError as e:
        say(f"no held-out check: {e}")
    else:
        _, test_acc = accuracy(network, mnist_rows(test_images, size=size) * scale, test_labels)
        test = {"accuracy": test_acc, "n": int(len(test_labels))}
        say(f"held-out accuracy {test_acc:.2%} on {len(test_labels)} t10k images")
    data = {"folder": str(folder.resolve()), "train": int(len(labels))}
    model = _model(network, size=size, classes=TEN_DIGITS, source="mnist", config=config, data=data,
                   best=best, history=history, test=test)
    return model, history


def plot_history(history: Sequence[EpochStats], path) -> None:
    """Learning curves (loss and accuracy, train and validation) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h.epoch for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [h.loss for h in history], label="train")
    left.plot(epochs, [h.val_loss for h in history], label="validation")
    left.set(xlabel="epoch", ylabel="cross-entropy", yscale="log")
    right.plot(epochs, [h.train_acc for h in history], label="train")
    right.plot(epochs, [h.val_acc for h in history], label="validation")
    right.set(xlabel="epoch", ylabel="accuracy")
    for ax in (left, right):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
