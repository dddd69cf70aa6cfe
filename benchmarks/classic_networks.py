"""The classic seed networks, side by side in one run on the same split.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/classic_networks.py [--seed 0] [--epochs 100] [--threads 2]
                                                    [--n20 5000] [--n-held 1500] [--mnist DIR]

Two small textbook networks, each trained by three engines on one train/test split per task:

(a) 400-25-10 on 20×20 glyphs — the shape of the Coursera (Andrew Ng) backpropagation
    exercise: 400 inputs, one hidden layer of 25 sigmoid units, 10 softmax outputs, about
    5,000 examples. There is no MNIST on this machine, so by default the glyphs are the
    project's synthetic ones: ``synth.glyphs.harvest`` over the training fonts (the bundled
    fonts minus the held-out families), half cut from rendered strips and half drawn as
    augmented single digits, "not a digit" crops dropped, normalised MNIST-style to 28×28
    (longest side 20 px, centred by mass) and shrunk to 20×20 with ``cv2.INTER_AREA``. The
    rows are split 75/25 by a seeded permutation. ``--mnist DIR`` takes the first ``--n20``
    MNIST training images from the IDX files in DIR instead (pixels / 255, shrunk the same
    way). The header says which data was used.
    An extra column, "held-out fonts", is the accuracy on a second, smaller glyph set drawn
    with another seed only in the families kept out of training (Roboto, Source Serif Pro,
    Hanken Grotesk), all cut from rendered strips (the single-glyph source draws half its
    digits with a font-free stroke generator, which would dilute the check): how well the
    network carries over to typefaces it never saw. With
    ``--mnist`` the column measures handwriting → print transfer instead.
(b) 64-32-10 on scikit-learn's ``load_digits`` (8×8, values 0..16), split 75/25 by
    ``ocr.datasets.digits_split``; the rows are scaled by 1/16, as the project's 8×8 models
    are fed.

The engines:

1. ours — ``ocr.train.fit`` with a ``TrainConfig`` (constant learning rate, no warm-up; no
   validation set is passed, so it runs every epoch and keeps the last weights).
2. sklearn MLP — ``MLPClassifier`` with the same layers, activation, Adam settings, batch size,
   learning rate, number of epochs and an equivalent L2 penalty (see ``sklearn_mlp``); its
   stopping rule is disarmed so it runs exactly the same number of epochs.
3. SVC — ``sklearn.svm.SVC`` with the RBF kernel, C=1 and ``gamma="scale"``, on the same rows.

The two networks differ only where the libraries do: initial weights (ours: Glorot-uniform
bound sqrt(6/(fan_in+fan_out)) for sigmoid, He-normal for ReLU, zero biases; sklearn: bound
sqrt(2/(fan_in+fan_out)) for logistic, sqrt(6/...) otherwise, random biases) and the random
order of the mini-batches. BLAS threads are capped at ``--threads`` for every engine
(``threadpoolctl``); libsvm is single-threaded anyway. Training seconds cover the fit only.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from ocr.datasets import digits_split, load_mnist, mnist_rows  # noqa: E402
from ocr.train import TrainConfig, fit  # noqa: E402
from synth import fonts as font_lib  # noqa: E402
from synth import glyphs  # noqa: E402

HELD_OUT = "held-out fonts"
# About how many digit glyphs one synthetic strip yields, and the share of single-glyph
# items that come out with a glyph; used only to size a harvest that is then trimmed.
DIGITS_PER_STRIP = 5.5
SINGLES_YIELD = 0.95


# --- the networks' settings ------------------------------------------------------------------
#
# Adam with Kingma & Ba's default step (1e-3) and mini-batches of 32 is the usual, robust
# choice for networks this small; the learning rate is held constant so that both network
# engines see the same one every step (sklearn's Adam has no schedule). The L2 penalty echoes
# the classic exercise: it minimises J + λ/(2m)·ΣW² with λ = 1 and m = 5,000, whose gradient
# adds (λ/m)·W = 2e-4·W to that of the mean loss — exactly what our ``l2`` means. Biases are
# not penalised, by either network.
# (a) keeps the exercise's sigmoid hidden layer. (b) uses ReLU, the project's and sklearn's
# default activation, so the table shows both kinds of hidden unit.


def classic_config(*, hidden: tuple[int, ...], activation: str, epochs: int, seed: int,
                   l2: float) -> TrainConfig:
    return TrainConfig(hidden=hidden, activation=activation, optimizer="adam", lr=1e-3,
                       schedule="constant", warmup=0, l2=l2, epochs=epochs, batch_size=32,
                       patience=epochs, seed=seed)


# --- data ------------------------------------------------------------------------------------


@dataclass
class Task:
    name: str
    data: str  # what the rows are, for the header
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    config: TrainConfig
    extra: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def layers(self) -> str:
        sizes = [self.X_train.shape[1], *self.config.hidden, 10]
        return "-".join(str(s) for s in sizes)


def shrink_to_20(rows28: np.ndarray) -> np.ndarray:
    """float32 (n, 784) 28×28 rows → (n, 400) 20×20 rows, by area averaging."""
    out = np.empty((len(rows28), 400), dtype=np.float32)
    for k, row in enumerate(rows28):
        out[k] = cv2.resize(row.reshape(28, 28), (20, 20), interpolation=cv2.INTER_AREA).ravel()
    return out


def synthetic_glyphs(fonts, *, n: int, seed: int, jobs: int,
                     strip_share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """About ``n`` digit glyphs as 20×20 rows, and labels.

    ``strip_share`` of them are cut from rendered strips, the rest are augmented single
    digits. A little more than ``n`` is harvested, then a seeded subset of exactly ``n`` is
    kept (fewer only if the harvest fell short).
    """
    n_strips = math.ceil(1.1 * n * strip_share / DIGITS_PER_STRIP)
    n_singles = math.ceil(1.1 * n * (1 - strip_share) / SINGLES_YIELD)
    crops, y = glyphs.harvest(fonts, n_strips=n_strips, n_singles=n_singles, n_rejects=0,
                              seed=seed, jobs=jobs)
    keep = np.flatnonzero(y != glyphs.REJECT)  # strips also yield "not a digit" crops
    if len(keep) > n:
        keep = np.sort(np.random.default_rng([seed, 7]).choice(keep, n, replace=False))
    X28 = glyphs.vectors([crops[i] for i in keep], size=28)
    return shrink_to_20(X28), y[keep]


def mnist_glyphs(folder: Path, *, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` MNIST training images as 20×20 rows in [0, 1], and their labels."""
    images, labels = load_mnist(folder)
    return shrink_to_20(mnist_rows(images[:n], size=28)), labels[:n]


def split_75_25(X: np.ndarray, y: np.ndarray, *, seed: int):
    """(X_train, y_train, X_test, y_test): a quarter held out by a seeded permutation."""
    order = np.random.default_rng([seed, 20]).permutation(len(y))
    n_test = int(round(len(y) * 0.25))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return X[train], y[train], X[test], y[test]


def glyph_task(args) -> Task:
    train_fonts, held_fonts = font_lib.split_held_out(font_lib.bundled_fonts())
    if args.mnist is not None:
        X, y = mnist_glyphs(args.mnist, n=args.n20)
        data = f"MNIST: first {len(y)} training images from {args.mnist}, shrunk 28×28 → 20×20"
    else:
        X, y = synthetic_glyphs(train_fonts, n=args.n20, seed=args.seed, jobs=args.threads)
        data = (f"synthetic glyphs (no MNIST given): {len(y)} from {len(train_fonts)} training "
                f"fonts, MNIST-style 28×28 → 20×20")
    # Strips only: half of the single glyphs are drawn by the procedural stroke generator,
    # whatever the fonts, so singles would mix glyphs of no held-out font into the check.
    X_held, y_held = synthetic_glyphs(held_fonts, n=args.n_held, seed=args.seed + 1000,
                                      jobs=args.threads, strip_share=1.0)
    families = ", ".join(sorted({f.family for f in held_fonts}))
    data += f"; {HELD_OUT}: {len(y_held)} glyphs cut from strips in {families}"
    config = classic_config(hidden=(25,), activation="sigmoid", epochs=args.epochs,
                            seed=args.seed, l2=args.l2)
    return Task("(a) 20×20 glyphs", data, *split_75_25(X, y, seed=args.seed), config,
                extra={HELD_OUT: (X_held, y_held)})


def digits_task(args) -> Task:
    s = digits_split(seed=args.seed, test_fraction=0.25)
    scale = np.float32(1 / 16)
    config = classic_config(hidden=(32,), activation="relu", epochs=args.epochs,
                            seed=args.seed, l2=args.l2)
    data = "scikit-learn load_digits, 8×8 values 0..16 scaled by 1/16"
    return Task("(b) sklearn digits", data, s.X_train * scale, s.y_train, s.X_test * scale,
                s.y_test, config)


# --- engines: each trains on the task and returns (predict, epochs run, seconds) --------------

Predict = Callable[[np.ndarray], np.ndarray]


def train_ours(task: Task) -> tuple[Predict, int | None, float]:
    start = time.perf_counter()
    net, history = fit(task.X_train, task.y_train, config=task.config, n_classes=10)
    seconds = time.perf_counter() - start
    return (lambda X: net.predict_proba(X).argmax(axis=1)), len(history), seconds


def sklearn_mlp(config: TrainConfig) -> MLPClassifier:
    """An ``MLPClassifier`` that trains like ``fit`` with ``config``.

    L2: ours adds ``l2 * W`` to the gradient of the batch's mean loss. sklearn's ``_backprop``
    computes ``(a.T @ delta + alpha * W) / n_batch`` with ``delta`` not yet averaged, i.e. the
    mean-loss gradient plus ``(alpha / n_batch) * W``; so ``alpha = l2 * batch_size`` makes the
    penalties equal on every full batch (only an epoch's last, short batch is penalised a bit
    more by sklearn). Neither penalises the biases.
    Epochs: ``max_iter`` is the number of epochs; with ``tol=0`` and ``n_iter_no_change`` at
    least ``max_iter`` its no-improvement counter can never exceed the limit, so it never stops
    early (and ``early_stopping=False`` keeps all rows for training). Adam's betas and epsilon
    are the defaults of both (0.9, 0.999, 1e-8).
    """
    activation = {"sigmoid": "logistic", "relu": "relu"}[config.activation]
    return MLPClassifier(hidden_layer_sizes=config.hidden, activation=activation, solver="adam",
                         alpha=config.l2 * config.batch_size, batch_size=config.batch_size,
                         learning_rate_init=config.lr, max_iter=config.epochs, tol=0.0,
                         n_iter_no_change=config.epochs, early_stopping=False, shuffle=True,
                         random_state=config.seed)


def train_sklearn_mlp(task: Task) -> tuple[Predict, int | None, float]:
    clf = sklearn_mlp(task.config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # "max_iter reached": intended
        start = time.perf_counter()
        clf.fit(task.X_train, task.y_train)
        seconds = time.perf_counter() - start
    return clf.predict, clf.n_iter_, seconds


def train_svc(task: Task) -> tuple[Predict, int | None, float]:
    clf = SVC(kernel="rbf", C=1.0, gamma="scale")
    start = time.perf_counter()
    clf.fit(task.X_train, task.y_train)
    seconds = time.perf_counter() - start
    return clf.predict, None, seconds


ENGINES = {"ours": train_ours, "sklearn MLP": train_sklearn_mlp, "SVC rbf": train_svc}


# --- running and reporting ------------------------------------------------------------------


@dataclass
class Row:
    task: str
    engine: str
    layers: str
    epochs: int | None
    test_acc: float
    held_acc: float | None
    seconds: float


def hit_rate(predict: Predict, X: np.ndarray, y: np.ndarray) -> float:
    return float((predict(X) == y).mean())


def run_engine(task: Task, engine: str) -> Row:
    predict, epochs, seconds = ENGINES[engine](task)
    held = task.extra.get(HELD_OUT)
    return Row(task=task.name, engine=engine,
               layers=task.layers if engine != "SVC rbf" else f"RBF C=1 {task.X_train.shape[1]}-d",
               epochs=epochs, test_acc=hit_rate(predict, task.X_test, task.y_test),
               held_acc=hit_rate(predict, *held) if held is not None else None, seconds=seconds)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def format_row(row: Row) -> str:
    epochs = "—" if row.epochs is None else str(row.epochs)
    return (f"{row.task:<20} {row.engine:<12} {row.layers:<16} {epochs:>6} "
            f"{percent(row.test_acc):>9} {percent(row.held_acc):>15} {row.seconds:>9.2f}")


HEADER = (f"{'task':<20} {'engine':<12} {'layers':<16} {'epochs':>6} "
          f"{'held-out':>9} {HELD_OUT:>15} {'train s':>9}")


def describe(task: Task) -> str:
    c = task.config
    return (f"{task.name}: {task.data}\n"
            f"    split: {len(task.y_train)} train / {len(task.y_test)} held out; network "
            f"{task.layers}, {c.activation} hidden, softmax out, Adam lr {c.lr:g} constant, "
            f"batch {c.batch_size}, l2 {c.l2:g} (sklearn alpha {c.l2 * c.batch_size:g}), "
            f"{c.epochs} epochs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100, help="epochs for both networks")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (and harvest jobs)")
    parser.add_argument("--n20", type=int, default=5000, help="20×20 glyphs for task (a)")
    parser.add_argument("--n-held", type=int, default=1500, help="glyphs in the held-out fonts")
    parser.add_argument("--l2", type=float, default=2e-4, help="L2 on the mean loss (ours)")
    parser.add_argument("--mnist", type=Path, default=None,
                        help="folder of MNIST IDX files: task (a) on MNIST instead of synth")
    args = parser.parse_args()

    wall = time.perf_counter()
    print(f"classic networks — seed {args.seed}, {args.epochs} epochs, {args.threads} BLAS "
          f"threads, numpy {np.__version__}, scikit-learn {sklearn.__version__}")
    start = time.perf_counter()
    tasks = [glyph_task(args), digits_task(args)]
    print(f"data ready in {time.perf_counter() - start:.1f} s")
    for task in tasks:
        print(describe(task))

    rows: list[Row] = []
    with threadpool_limits(limits=args.threads):
        for task in tasks:
            for engine in ENGINES:
                rows.append(run_engine(task, engine))
                print("  " + format_row(rows[-1]), flush=True)

    print("\n" + HEADER)
    print("-" * len(HEADER))
    for row in rows:
        print(format_row(row))
    print(f"\ntotal {time.perf_counter() - wall:.1f} s")


if __name__ == "__main__":
    main()
