"""Fine-tuning: fix a model's confusions with targeted synthetic glyphs, without forgetting.

The recipe (DESIGN.md, "Fine-tuning the confusions"):

1. read a labelled folder with the model and take the confusion matrix (``eval``);
2. pick the most confused pairs of digits (``confused_pairs``), or take the user's ``focus``;
3. render glyphs that drill those digits in the user's fonts and style
   (``synth.glyphs.focused_harvest``), cut by the reader's own segmentation;
4. mix in a replay of the model's original data (``replay_rows``) — the same synthetic items
   made again from their seeds, the same scikit-learn digits split, or the same MNIST files —
   so that the other digits keep their weights' attention;
5. continue training from the model's weights at a small learning rate, and keep the epoch
   that does best on a validation part of that mix;
6. read the folder again and report both matrices, per-class accuracy, and the accuracy on
   held-out rows of the original data before and after (what "nothing forgotten" means).

The result carries its lineage in the model's metadata: parent file and checksum, focus,
pairs, sample counts, seed and the before/after numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ocr.errors import DataError
from ocr.evaluate import Evaluation
from ocr.model import INPUT_SCALES, Model
from ocr.network import Network
from ocr.train import EpochStats, TrainConfig, accuracy, fit, split_validation

__all__ = [
    "FinetuneConfig",
    "Replay",
    "Finetuned",
    "confused_pairs",
    "per_class_accuracy",
    "replay_rows",
    "focus_rows",
    "finetune",
    "retained",
    "lineage",
    "Outcome",
    "fix_confusions",
]


@dataclass(frozen=True)
class FinetuneConfig:
    style: str = "mixed"  # strip style of the targeted samples ("classic" = the 100x24 layout)
    n_strips: int = 1500  # targeted strips, their digits mostly from the focus
    n_singles: int = 1500  # augmented single glyphs of the focus digits
    share: float = 0.6  # chance that a digit of a targeted strip is a focus digit
    replay: float = 3.0  # rows of original data per targeted row
    epochs: int = 12
    lr: float = 2e-3  # the training peak: a small network must make room for the new glyphs
    batch_size: int = 128
    l2: float = 1e-5
    seed: int = 0

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Replay:
    """Rows of a model's original training data, and held-out rows of it to check forgetting.

    Attributes:
        X, y: float32 (n, d) rows scaled for the network, int64 (n,) labels.
        X_check, y_check: rows the model never trained on: held-out data, or items its
            generator never made for training.
        what: one line naming the data, for messages and metadata.
    """

    X: np.ndarray
    y: np.ndarray
    X_check: np.ndarray
    y_check: np.ndarray
    what: str


@dataclass(frozen=True)
class Finetuned:
    """A fine-tuned model, its training history, and how many rows of each kind it saw."""

    model: Model
    history: list[EpochStats] = field(default_factory=list)
    mix: dict = field(default_factory=dict)  # {"targeted": n, "replay": n}


def confused_pairs(confusion: np.ndarray, *, max_pairs: int = 3) -> list[tuple[int, int, int]]:
    """The digit pairs most often read as each other, most confused first.

    Args:
        confusion: int (10, k) counts, rows true digits, the first ten columns read digits
            (``metrics.Score.confusion``; the refused and missed columns are ignored).
        max_pairs: at most this many pairs.

    Returns:
        ``(a, b, count)`` with ``a < b`` and ``count`` = a read as b plus b read as a, > 0.

    >>> c = np.zeros((10, 12), int); c[3, 8] = 5; c[8, 3] = 1; c[1, 7] = 2
    >>> confused_pairs(c)
    [(3, 8, 6), (1, 7, 2)]
    """
    square = np.asarray(confusion)[:10, :10].astype(np.int64)
    both = square + square.T
    pairs = [(a, b, int(both[a, b])) for a in range(10) for b in range(a + 1, 10) if both[a, b] > 0]
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs[:max_pairs]


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """float (10,): for each true digit, the share of its characters read as itself (NaN if none)."""
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion[:, :10]) / np.maximum(totals, 1), np.nan)


def _scaled(rows: np.ndarray, size: int) -> np.ndarray:
    return rows * np.float32(INPUT_SCALES[size])


def _keep_classes(X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop rows whose label the model has no output for (no "not a digit" class)."""
    keep = y < n_classes
    return X[keep], y[keep]


def focus_rows(model: Model, fonts: Sequence, focus: Sequence[int], *, config: FinetuneConfig,
               jobs: int = 0, progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Targeted glyph rows for ``model``: (X float32 scaled for its network, y int64)."""
    from synth import glyphs

    crops, y = glyphs.focused_harvest(fonts, focus=focus, style=config.style, n_strips=config.n_strips,
                                      n_singles=config.n_singles, share=config.share, seed=config.seed,
                                      jobs=jobs, progress=progress)
    if not crops:
        raise DataError("the targeted samples gave no glyphs; check the fonts")
    X = _scaled(glyphs.vectors(crops, size=model.input_size), model.input_size)
    return _keep_classes(X, y, len(model.classes))


def replay_rows(model: Model, *, n: int, seed: int, fonts: Sequence | None = None,
                mnist: str | Path | None = None, jobs: int = 0,
                progress: Callable[[int], None] | None = None) -> Replay:
    """About ``n`` rows of the data ``model`` was trained on, made again from its metadata.

    - synth: a seeded sample of the original items (strips, singles, "not a digit"), made by
      ``synth.glyphs.harvest_items`` exactly as in training, with the training fonts found by
      family among ``fonts``; the check is items numbered past the original counts — same
      generator, same seed, never made for training.
    - digits: the training part of the same scikit-learn split, however many ``n`` asks
      for (``finetune`` repeats rows when it needs more); the held-out part is the check.
    - handwriting: a sample of the original procedural items, made again; the held-out
      items of training are the check.
    - mnist: a sample of the ``train-`` files from ``mnist`` (or the folder recorded in the
      model); the ``t10k-`` files are the check, or else the rows training kept for validation.

    Raises:
        DataError: the metadata names no known source, or the data cannot be found.
    """
    meta = model.meta
    source = meta.get("source", "synth" if "data" in meta and "strips" in meta["data"] else None)
    rng = np.random.default_rng([seed, 7])
    size = model.input_size
    if source == "digits":
        from ocr.datasets import digits_split

        split = digits_split(seed=int(meta["seed"]), test_fraction=float(meta["data"]["test_fraction"]))
        return Replay(_scaled(split.X_train, size), split.y_train, _scaled(split.X_test, size), split.y_test,
                      f"scikit-learn digits, the {len(split.y_train)} training rows of the original split")
    if source == "mnist":
        from ocr.datasets import load_mnist, mnist_rows

        folder = Path(mnist or meta["data"]["folder"])
        images, labels = load_mnist(folder, split="train")
        # The rows training set aside for validation (as ``train._fit_held`` split them) are
        # neither replayed nor trained on: without t10k files they are the check.
        trained, validation = split_validation(len(labels), fraction=0.1,
                                               rng=np.random.default_rng([int(meta["seed"]), 1]))
        pick = np.sort(rng.choice(trained, size=min(n, len(trained)), replace=False))
        try:
            test_images, test_labels = load_mnist(folder, split="test")
            check = (_scaled(mnist_rows(test_images, size=size), size), test_labels)
        except DataError:
            check = (_scaled(mnist_rows(images[validation], size=size), size), labels[validation])
        return Replay(_scaled(mnist_rows(images[pick], size=size), size), labels[pick], *check,
                      f"MNIST from {folder}, {len(pick)} training images")
    if source == "handwriting":
        from synth import glyphs

        items, n_test = int(meta["data"]["items"]), int(meta["data"]["test_items"])
        pick = np.sort(rng.choice(items, size=min(n, items), replace=False))
        crops, y = glyphs.handwriting(pick, seed=int(meta["seed"]), jobs=jobs, progress=progress)
        check, y_check = glyphs.handwriting(range(items, items + n_test), seed=int(meta["seed"]), jobs=jobs)
        return Replay(_scaled(glyphs.vectors(crops, size=size), size), y,
                      _scaled(glyphs.vectors(check, size=size), size), y_check,
                      f"handwriting-like digits made again from seed {meta['seed']} ({len(y)} glyphs)")
    if source == "synth":
        return _replay_synth(model, n=n, rng=rng, fonts=fonts, jobs=jobs, progress=progress)
    raise DataError(f"the model's metadata names no training source it can replay ({source!r})")


def _replay_synth(model: Model, *, n: int, rng: np.random.Generator, fonts, jobs, progress) -> Replay:
    from synth import fonts as font_lib
    from synth import glyphs

    meta = model.meta
    data = meta["data"]
    families = set(meta.get("fonts", []))
    pool = list(fonts) if fonts is not None else font_lib.bundled_fonts()
    train_fonts = [f for f in pool if f.family in families] or font_lib.split_held_out(pool)[0]
    counts = [int(data["strips"]), int(data["singles"]), int(data["rejects"])]
    total = sum(counts)
    if total == 0:
        raise DataError("the model's metadata records no training items to replay")
    # Items per source in proportion to the original; strips give ~5 glyphs each.
    glyphs_per_item = (5, 1, 1)
    want = [min(c, max(1, round(n * c / total / g))) for c, g in zip(counts, glyphs_per_item)]
    picks, checks = [], []
    for c, w in zip(counts, want):
        picks.append(np.sort(rng.permutation(c)[:w]))
        # The check: items past the original counts, from the same generator and seed, which
        # the training never made.
        checks.append(np.arange(c, c + max(1, w // 4)))
    seed = int(meta["seed"])
    crops, y = glyphs.harvest_items(train_fonts, strips=picks[0], singles=picks[1], rejects=picks[2],
                                    seed=seed, jobs=jobs, progress=progress)
    check_crops, y_check = glyphs.harvest_items(train_fonts, strips=checks[0], singles=checks[1],
                                                rejects=checks[2], seed=seed, jobs=jobs)
    size = model.input_size
    X = _scaled(glyphs.vectors(crops, size=size), size)
    X_check = _scaled(glyphs.vectors(check_crops, size=size), size)
    n_classes = len(model.classes)
    return Replay(*_keep_classes(X, y, n_classes), *_keep_classes(X_check, y_check, n_classes),
                  f"synthetic training items made again from seed {seed} ({len(y)} glyphs)")


def _copy(network: Network) -> Network:
    twin = Network(network.sizes, activation=network.activation, rng=np.random.default_rng(0))
    twin.weights = [w.copy() for w in network.weights]
    twin.biases = [b.copy() for b in network.biases]
    return twin


def finetune(model: Model, X_focus: np.ndarray, y_focus: np.ndarray, replay: Replay, *,
             config: FinetuneConfig, on_epoch: Callable[[EpochStats], None] | None = None) -> Finetuned:
    """Continue training ``model`` on targeted rows mixed with replayed original rows.

    A seeded tenth of the targeted rows and of the replay rows is set aside to choose the
    best epoch; the rest of the targeted rows are shuffled together with ``config.replay``
    times as many replay rows (rows repeat when the replay has fewer, as the 1,348 of
    scikit-learn's digits do — after the split, so that no validation row is trained on).
    The parent is left untouched.

    Returns:
        The new model (same layers and classes, metadata copied), the history, and the mix.
    """
    rng = np.random.default_rng([config.seed, 11])
    focus_train, focus_val = split_validation(len(y_focus), fraction=0.1, rng=rng)
    replay_train, replay_val = split_validation(len(replay.y), fraction=0.1, rng=rng)
    n_replay = max(1, int(round(config.replay * len(focus_train))))
    pool = np.tile(replay_train, math.ceil(n_replay / max(1, len(replay_train))))
    pick = np.sort(rng.choice(pool, size=n_replay, replace=False))
    X_train = np.concatenate([X_focus[focus_train], replay.X[pick]]).astype(np.float32)
    y_train = np.concatenate([y_focus[focus_train], replay.y[pick]])
    X_val = np.concatenate([X_focus[focus_val], replay.X[replay_val]]).astype(np.float32)
    y_val = np.concatenate([y_focus[focus_val], replay.y[replay_val]])
    net = model.network
    train_config = TrainConfig(hidden=tuple(net.sizes[1:-1]), activation=net.activation, optimizer="adam",
                               lr=config.lr, schedule="cosine", warmup=0, l2=config.l2, epochs=config.epochs,
                               batch_size=config.batch_size, patience=config.epochs, keep="best",
                               seed=config.seed)
    network, history = fit(X_train, y_train, config=train_config, X_val=X_val, y_val=y_val,
                           n_classes=len(model.classes), network=_copy(net), on_epoch=on_epoch)
    tuned = replace(model, network=network, meta=dict(model.meta))
    return Finetuned(tuned, history, {"targeted": int(len(focus_train)), "replay": int(n_replay),
                                      "validation": int(len(y_val))})


def retained(model: Model, replay: Replay) -> float:
    """Accuracy of ``model`` on the replay's held-out check rows."""
    return accuracy(model.network, replay.X_check, replay.y_check)[1]


def file_digest(path: str | Path) -> str:
    """sha256 of a file, hex (the parent model's identity in the lineage)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lineage(*, parent: str | Path, focus: Sequence[int], pairs: Sequence[tuple[int, int, int]],
            config: FinetuneConfig, fonts: Sequence[str], data: str, replay: Replay,
            mix: dict, before: Evaluation, after: Evaluation, kept: tuple[float, float]) -> dict:
    """The metadata entry that records one fine-tune."""
    return {
        "parent": str(parent),
        "parent_sha256": file_digest(parent),
        "focus": [int(d) for d in focus],
        "pairs": [[a, b, n] for a, b, n in pairs],
        "config": config.to_dict(),
        "fonts": sorted(set(fonts)),
        "eval_data": data,
        "replay": replay.what,
        "samples": mix,
        "before": {"exact": before.score.exact, "char_acc": before.score.char_acc, "n": before.score.n},
        "after": {"exact": after.score.exact, "char_acc": after.score.char_acc, "n": after.score.n},
        "retained": {"before": kept[0], "after": kept[1], "n": int(len(replay.y_check))},
    }


@dataclass(frozen=True)
class Outcome:
    """What ``fix_confusions`` did, with the numbers to judge it.

    Attributes:
        model: the fine-tuned model, its lineage appended to ``meta["finetune"]``.
        focus: the digits drilled.
        pairs: the confused pairs that chose them (empty when the focus was given).
        before, after: the labelled folder read by the parent and by the new model.
        kept: accuracy on held-out rows of the original data, (parent, new model).
        seconds: wall time of the whole fine-tune.
    """

    model: Model
    focus: tuple[int, ...]
    pairs: tuple[tuple[int, int, int], ...]
    before: Evaluation
    after: Evaluation
    kept: tuple[float, float]
    history: tuple[EpochStats, ...]
    seconds: float


def fix_confusions(
    parent: str | Path,
    *,
    fonts: Sequence,
    config: FinetuneConfig = FinetuneConfig(),
    focus: Sequence[int] | None = None,
    data: str | Path | None = None,
    n_eval: int = 300,
    max_pairs: int = 3,
    mnist: str | Path | None = None,
    length: int | None = None,
    jobs: int = 0,
    log: Callable[[str], None] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> Outcome:
    """Fine-tune the model file ``parent`` on its confusions (the recipe in the module docstring).

    Args:
        parent: the model file to start from (left untouched).
        fonts: the fonts to render targeted samples in (the user's, or the training fonts).
        config: style, sample counts, epochs, learning rate, seed.
        focus: digits to drill; None picks them from the confusion matrix ("auto").
        data: a labelled folder to measure the confusions on; None renders ``n_eval`` strips
            of ``config.style`` in ``fonts`` (seeded) into a temporary folder.
        mnist: the MNIST folder, for a model trained on MNIST whose recorded folder moved.
        length: digits per strip when reading ``data``, if known.

    Raises:
        DataError: auto focus found no confusion, or the data cannot be made or found.
        ModelError: ``parent`` is not a valid model file.
    """
    import tempfile
    import time

    from ocr import model as model_io
    from ocr.evaluate import evaluate_folder
    from ocr.reader import Reader
    from synth import dataset

    say = log or (lambda message: None)
    start = time.perf_counter()
    base = model_io.load(parent)
    with tempfile.TemporaryDirectory(prefix="ocr-finetune-") as scratch:
        if data is None:
            style = "classic" if config.style in ("classic", "classic-layout") else config.style
            data = dataset.write_dataset(Path(scratch) / "eval", n=n_eval, style=style,
                                         seed=config.seed + 1_000_003, fonts=fonts)
            where = f"{n_eval} fresh synthetic '{style}' strips"
        else:
            where = str(data)

        def score(model: Model) -> Evaluation:
            reader = Reader(model, engine="glyphs")  # the network being fixed, not the sequence one
            return evaluate_folder(lambda p: reader.read(p, length=length).text, data)

        before = score(base)
        say(f"before: {before.score.exact:.2%} exact on {before.score.n} strips ({where})")
        pairs: tuple[tuple[int, int, int], ...] = ()
        if focus is None:
            pairs = tuple(confused_pairs(before.score.confusion, max_pairs=max_pairs))
            if not pairs:
                raise DataError(f"no digit was read as another in {where}: nothing to fine-tune "
                                "(give --focus to drill digits anyway)")
            focus = sorted({d for a, b, _ in pairs for d in (a, b)})
            say("most confused: " + ", ".join(f"{a}↔{b} ({n}×)" for a, b, n in pairs))
        focus = tuple(int(d) for d in focus)
        X_focus, y_focus = focus_rows(base, fonts, focus, config=config, jobs=jobs)
        replay = replay_rows(base, n=int(round(config.replay * len(y_focus))), seed=config.seed,
                             mnist=mnist, jobs=jobs)
        say(f"fine-tuning on {len(y_focus)} targeted glyphs of {','.join(map(str, focus))} "
            f"and a replay of {replay.what}")
        tuned = finetune(base, X_focus, y_focus, replay, config=config, on_epoch=on_epoch)
        after = score(tuned.model)
    kept = (retained(base, replay), retained(tuned.model, replay))
    entry = lineage(parent=parent, focus=focus, pairs=pairs, config=config,
                    fonts=[f.family for f in fonts], data=where, replay=replay, mix=tuned.mix,
                    before=before, after=after, kept=kept)
    tuned.model.meta["finetune"] = [*base.meta.get("finetune", []), entry]
    return Outcome(tuned.model, focus, pairs, before, after, kept, tuple(tuned.history),
                   time.perf_counter() - start)
