"""Training the sequence network: synthetic strips in, a CTC-trained `SeqNet` out.

Strips are rendered by the generator in a fixed mix of styles (captchas above all, and
no-digit images so that the network learns to answer nothing), passed through
``sequence.strip_input`` exactly as the reader does, grouped into mini-batches of similar
width, and fitted with Adam on the CTC loss under a cosine learning-rate decay. The same seed
gives the same strips, batches and weights.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from ocr import binarize, image, sequence
from ocr.network import Adam

__all__ = ["SeqConfig", "MIX", "make_strips", "learning_rate", "fit", "build_sequence_model"]

# Style → share of the training strips ("crowded": ``synth.styles.crowded_captcha``; "warped":
# ``synth.styles.warped_captcha``; "fitted": ``synth.styles.fitted_captcha``, only when a
# config asks for it (``SeqConfig.fitted``); "strokes":
# ``synth.styles.stroke_strip``, the designs of 1, 4, 7 … that the training fonts rarely draw).
MIX: dict[str, float] = {"captcha": 0.25, "crowded": 0.08, "warped": 0.1, "strokes": 0.14, "touching": 0.11,
                         "noisy": 0.06, "plain": 0.06, "classic": 0.03, "plate": 0.03, "field": 0.03, "nodigit": 0.11}
# Share of the warped captchas drawn in procedural stroke digits instead of a font's.
WARPED_STROKES = 0.35


@dataclass(frozen=True)
class SeqConfig:
    strips: int = 120000
    epochs: int = 5
    batch_size: int = 32
    lr: float = 2e-3
    channels: tuple[int, int, int] = (32, 64, 96)
    hidden: int = 256
    layers: int = 2
    length: tuple[int, int] = (3, 9)
    seed: int = 0
    # Also draw with a footless-1 variant of every font whose 1 stands on a foot
    # (``synth.render.footless_variants``); False is the recipe of network F.
    footless: bool = True
    # Also draw with a long-flag-1 variant of every font whose 1 has a flag
    # (``synth.render.long_flag_variants``): the shipped network's fine-tune of I.
    long_flag: bool = False
    # Share of the strips drawn as captchas fitted to a canvas of fixed size
    # (``synth.styles.fitted_captcha``), the other styles keeping their proportions.
    fitted: float = 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        for key in ("long_flag", "fitted"):  # written as before these options: make model's I keeps its bytes
            if not out[key]:
                del out[key]
        return out

    def mix(self) -> dict[str, float]:
        """Style → share of the strips: `MIX`, with ``fitted`` taking its share when asked for.

        >>> SeqConfig(fitted=0.2).mix()["captcha"], SeqConfig().mix() == MIX
        (0.2, True)
        """
        if not self.fitted:
            return dict(MIX)
        return {**{k: v * (1 - self.fitted) for k, v in MIX.items()}, "fitted": self.fitted}


def _strip_item(args) -> tuple[np.ndarray, str]:
    seed, style, fonts, length = args
    from synth.styles import crowded_captcha, fitted_captcha, make_sample, stroke_strip, warped_captcha

    rng = np.random.default_rng(seed)
    if style == "crowded":
        sample = crowded_captcha(rng, fonts, length=length)
    elif style == "warped":
        sample = warped_captcha(rng, fonts, length=length, strokes=WARPED_STROKES)
    elif style == "fitted":
        sample = fitted_captcha(rng, fonts, length=length)
    elif style == "strokes":
        sample = stroke_strip(rng, length=length)
    else:
        sample = make_sample(style, rng, fonts, length=length)
    gray = image.load(sample.image)
    # The polarity test the shipped network was trained with (before the reader's border check),
    # so that `make model` rebuilds it byte for byte.
    return sequence.strip_input(gray, light_ink=not binarize.is_dark_on_light(gray, vote_only=True)), sample.text


def make_strips(n: int, *, seed: int, fonts: Sequence, length: tuple[int, int] = (3, 9),
                mix: dict[str, float] = MIX, jobs: int = 1, progress=None) -> tuple[list[np.ndarray], list[str]]:
    """`n` network inputs and their texts; strip i is drawn from its own seed, so jobs do not matter."""
    rng = np.random.default_rng(seed)
    names = list(mix)
    shares = np.array([mix[k] for k in names], np.float64)
    picks = rng.choice(len(names), size=n, p=shares / shares.sum())
    seeds = rng.integers(0, 2**63 - 1, size=n)
    work = [(int(s), names[k], list(fonts), length) for s, k in zip(seeds, picks)]
    jobs = jobs or os.cpu_count() or 1
    inputs, texts = [], []
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else contextlib.nullcontext() as pool:
        results = pool.map(_strip_item, work, chunksize=64) if pool else map(_strip_item, work)
        for x, text in results:  # in the order of `work`, either way
            inputs.append(x)
            texts.append(text)
            if progress:
                progress(1)
    return inputs, texts


def _batches(widths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Index batches of similar width (sorted, jittered), in a random order."""
    order = np.argsort(widths + rng.uniform(0, 16, len(widths)), kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _stack(inputs: Sequence[np.ndarray], idx: np.ndarray) -> np.ndarray:
    """One (B, HEIGHT, W) batch, each strip padded on the right with paper (zeros)."""
    width = max(inputs[i].shape[1] for i in idx)
    out = np.zeros((len(idx), sequence.HEIGHT, width), np.float32)
    for row, i in enumerate(idx):
        out[row, :, :inputs[i].shape[1]] = inputs[i]
    return out


def learning_rate(step: int, *, peak: float, total: int, warmup: int) -> float:
    """The learning rate of mini-batch `step` (from 0) of `total`: a linear ramp up to `peak`
    over the first `warmup` steps, under a cosine decay from `peak` to 0 over all of them.

    >>> [round(learning_rate(s, peak=1.0, total=4, warmup=2), 3) for s in range(4)]
    [0.5, 0.854, 0.5, 0.146]
    """
    warm = min(1.0, (step + 1) / warmup)
    return peak * warm * 0.5 * (1 + math.cos(math.pi * step / total))


def fit(net: sequence.SeqNet, inputs: Sequence[np.ndarray], texts: Sequence[str], *, config: SeqConfig,
        on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `net` in place; returns the mean CTC loss of every epoch."""
    rng = np.random.default_rng(config.seed + 1)
    keys = list(net.params)
    opt = Adam([net.params[k] for k in keys])
    widths = np.array([x.shape[1] for x in inputs])
    steps_per_epoch = math.ceil(len(inputs) / config.batch_size)
    total = steps_per_epoch * config.epochs
    step = 0
    losses = []
    for epoch in range(config.epochs):
        seen, running = 0, 0.0
        for idx in _batches(widths, config.batch_size, rng):
            lr = learning_rate(step, peak=config.lr, total=total, warmup=steps_per_epoch)
            logits, cache = net.forward(_stack(inputs, idx), keep=True)
            loss, grad = sequence.ctc_loss(logits, [texts[i] for i in idx])
            grads = net.backward(grad, cache)
            opt.step([np.clip(grads[k], -5.0, 5.0) for k in keys], lr)
            running += loss * len(idx)
            seen += len(idx)
            step += 1
        losses.append(running / seen)
        if on_epoch:
            on_epoch(epoch + 1, losses[-1])
    return losses


def build_sequence_model(*, config: SeqConfig, fonts: Sequence, jobs: int = 1,
                         log: Callable[[str], None] | None = None, progress=None,
                         on_epoch: Callable[[int, float], None] | None = None,
                         start: sequence.SeqNet | None = None) -> sequence.SeqNet:
    """Render `config.strips` strips in `fonts`, train a network on them, return it.

    The network is a fresh one from `config`, or, given `start`, that network trained on (in
    place): a fine-tune, whose metadata keeps `start`'s training as ``parent``.
    """
    say = log or (lambda message: None)
    from synth.render import footless_variants, long_flag_variants

    fonts = [*fonts, *(footless_variants(fonts) if config.footless else ()),
             *(long_flag_variants(fonts) if config.long_flag else ())]
    mix = config.mix()
    inputs, texts = make_strips(config.strips, seed=config.seed, fonts=fonts, length=config.length, mix=mix,
                                jobs=jobs, progress=progress)
    say(f"{len(inputs)} strips rendered ({', '.join(f'{k} {v:.0%}' for k, v in mix.items())})")
    if start is None:
        net = sequence.SeqNet.create(channels=config.channels, hidden=config.hidden, layers=config.layers,
                                     seed=config.seed)
    else:
        net = start
        parent = {k: net.meta[k] for k in ("config", "losses", "parent") if k in net.meta}
    losses = fit(net, inputs, texts, config=config, on_epoch=on_epoch)
    from synth.fonts import HELD_OUT_FAMILIES

    net.meta.update(config=config.to_dict(), mix=mix, losses=losses, fonts=sorted({f.family for f in fonts}),
                    held_out_families=list(HELD_OUT_FAMILIES))
    if start is not None:
        net.meta["parent"] = parent
    return net
