"""A segmentation-free reader: a small convolutional network over the whole strip, trained with CTC.

Captchas join their digits with crossing curves, warp and overlap them, so no cut between
glyphs is clean. This network never cuts. The strip is scaled to ``HEIGHT`` rows, three
3×3 convolution layers (ReLU, max pooling) turn it into one feature column every four pixels,
a window of three columns feeds a hidden layer (and, in a two-layer model, a window of three
hidden columns feeds a second one, which widens what each column sees), and a softmax per
column says which digit is under it, or none ("blank"). Connectionist temporal classification
(Graves et al., 2006) trains it from the digit string alone, without boxes, and reads it back:
the best class per column, repeats merged, blanks dropped.

Everything is NumPy, float32, images in (N, H, W, C) order. Parameters live in a dict of
named arrays that ``save``/``load`` write as an ``.npz`` without pickle.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.decode import Glyph, Reading
from ocr.errors import ModelError
from ocr.model import read_npz, write_npz

__all__ = ["HEIGHT", "STRIDE", "BLANK", "SeqNet", "strip_input", "ctc_loss", "best_path", "label_probability",
           "label_probabilities", "StripReading", "read_strips", "view", "VIEWS", "WIDE", "WIDE_NO_DIGIT", "save",
           "load", "default_sequence_path"]

HEIGHT = 32  # rows of the network's input
STRIDE = 4  # input columns per output column
MAX_WIDTH = 640  # input columns at most (a strip 20× as wide as high)
CLASSES = "0123456789"
BLANK = len(CLASSES)  # the CTC "no character here" class is the last output
FORMAT = "ocr-sequence"
FORMAT_VERSION = 1
_NEG = np.float32(-1e30)  # log(0) that stays finite under addition
# The views of a strip read besides the strip itself, as (stretch in x, slant): a tenth
# narrower and wider, and leaning a tenth of its height each way (see ``read_strips``). A strip
# whose own reading is at least SURE_ALONE likely is not read in them.
VIEWS: tuple[tuple[float, float], ...] = ((0.9, 0.0), (1.1, 0.0), (1.0, -0.1), (1.0, 0.1))
SURE_ALONE = 0.99
# A strip read in its views whose pooled reading holds digits, with P("") under WIDE_NO_DIGIT
# (sure there are digits), is also read once stretched WIDE times in x, and that reading is
# taken when it finds more digits and is likelier (in its own view) than the pooled one:
# glyphs squeezed narrower than the network has seen run together and drop out (a generator
# that fits long texts into a fixed width). See ``read_strips``.
WIDE = 1.6
WIDE_NO_DIGIT = 0.01


def default_sequence_path() -> Path:
    """The shipped sequence model (``OCR_SEQUENCE_MODEL`` in the environment overrides it)."""
    env = os.environ.get("OCR_SEQUENCE_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "models" / "sequence.npz"


# --- input -------------------------------------------------------------------------------------


def strip_input(gray: np.ndarray, *, light_ink: bool) -> np.ndarray:
    """float32 (HEIGHT, W) in [0, 1], ink bright, for a uint8 gray strip; W a multiple of STRIDE.

    The paper level (the median) maps to 0 and the 99th percentile, the ink, to 1, so that
    colour, contrast and polarity do not matter. The width keeps the aspect ratio.
    """
    g = gray.astype(np.float32)
    if not light_ink:
        g = 255.0 - g
    h, w = g.shape
    width = int(round(w * HEIGHT / max(h, 1)))
    width = min(max(STRIDE * math.ceil(width / STRIDE), 4 * STRIDE), MAX_WIDTH)
    g = cv2.resize(g, (width, HEIGHT), interpolation=cv2.INTER_AREA if h > HEIGHT else cv2.INTER_LINEAR)
    paper, ink = np.percentile(g, (50, 99))
    scale = max(float(ink - paper), 24.0)
    return np.clip((g - np.float32(paper)) / np.float32(scale), 0.0, 1.0).astype(np.float32)


# --- layers ------------------------------------------------------------------------------------


def _im2col(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) → (N, H, W, 9C): each pixel's 3×3 neighbourhood (zero padded), row by row."""
    n, h, w, c = x.shape
    padded = np.zeros((n, h + 2, w + 2, c), x.dtype)
    padded[:, 1:-1, 1:-1] = x
    return np.concatenate([padded[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=3)


def _col2im(cols: np.ndarray, c: int) -> np.ndarray:
    """The adjoint of `_im2col`: sum each neighbourhood slot back onto its pixel."""
    n, h, w, _ = cols.shape
    padded = np.zeros((n, h + 2, w + 2, c), cols.dtype)
    k = 0
    for dy in range(3):
        for dx in range(3):
            padded[:, dy:dy + h, dx:dx + w] += cols[..., k * c:(k + 1) * c]
            k += 1
    return padded[:, 1:-1, 1:-1]


def _pool(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    n, h, w, c = x.shape
    return x.reshape(n, h // ph, ph, w // pw, pw, c).max(axis=(2, 4))


def _unpool(x: np.ndarray, pooled: np.ndarray, grad: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """Route each pooled gradient to the input(s) that held the maximum."""
    n, h, w, c = x.shape
    xs = x.reshape(n, h // ph, ph, w // pw, pw, c)
    mask = xs == pooled[:, :, None, :, None, :]
    return (mask * grad[:, :, None, :, None, :]).reshape(n, h, w, c)


def _window(f: np.ndarray) -> np.ndarray:
    """(N, T, D) → (N, T, 3D): each column with its left and right neighbours (zeros off the ends)."""
    n, t, d = f.shape
    padded = np.zeros((n, t + 2, d), f.dtype)
    padded[:, 1:-1] = f
    return np.concatenate([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]], axis=2)


def _unwindow(g: np.ndarray, d: int) -> np.ndarray:
    n, t, _ = g.shape
    padded = np.zeros((n, t + 2, d), g.dtype)
    padded[:, :-2] += g[..., :d]
    padded[:, 1:-1] += g[..., d:2 * d]
    padded[:, 2:] += g[..., 2 * d:]
    return padded[:, 1:-1]


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@dataclass
class SeqNet:
    """The network's parameters and shape; `forward` and `backward` on batches of strips.

    Attributes:
        params: ``c0_w (9, C0)``, ``c0_b``, ``c1_w (9·C0, C1)``, ``c1_b``, ``c2_w``, ``c2_b``,
            ``h_w (3·(HEIGHT/8)·C2, hidden)``, ``h_b``, optionally ``h2_w (3·hidden, hidden)`` and
            ``h2_b`` (the second temporal layer), ``o_w (hidden, 11)``, ``o_b``.
    """

    params: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    POOLS = ((2, 2), (2, 2), (2, 1))  # max pooling after each convolution: rows, columns

    @classmethod
    def create(cls, *, channels: tuple[int, int, int] = (16, 32, 48), hidden: int = 128, layers: int = 1,
               seed: int = 0) -> SeqNet:
        """He-initialised weights from `seed`; `layers` temporal layers (1 or 2) after the convolutions."""
        if layers not in (1, 2):
            raise ValueError(f"layers must be 1 or 2, not {layers}")
        rng = np.random.default_rng(seed)
        params: dict[str, np.ndarray] = {}
        fan_in = 1
        for i, c in enumerate(channels):
            scale = math.sqrt(2.0 / (9 * fan_in))
            params[f"c{i}_w"] = (rng.standard_normal((9 * fan_in, c)) * scale).astype(np.float32)
            params[f"c{i}_b"] = np.zeros(c, np.float32)
            fan_in = c
        features = 3 * (HEIGHT // 8) * channels[-1]
        params["h_w"] = (rng.standard_normal((features, hidden)) * math.sqrt(2.0 / features)).astype(np.float32)
        params["h_b"] = np.zeros(hidden, np.float32)
        if layers == 2:
            params["h2_w"] = (rng.standard_normal((3 * hidden, hidden)) * math.sqrt(2.0 / (3 * hidden))).astype(np.float32)
            params["h2_b"] = np.zeros(hidden, np.float32)
        params["o_w"] = (rng.standard_normal((hidden, BLANK + 1)) * math.sqrt(1.0 / hidden)).astype(np.float32)
        params["o_b"] = np.zeros(BLANK + 1, np.float32)
        return cls(params)

    def forward(self, x: np.ndarray, *, keep: bool = False) -> tuple[np.ndarray, list | None]:
        """Logits (N, W/STRIDE, 11) for inputs (N, HEIGHT, W); with `keep`, what `backward` needs."""
        p = self.params
        a = x[..., None].astype(p["c0_w"].dtype, copy=False)
        cache = []
        for i, (ph, pw) in enumerate(self.POOLS):
            cols = _im2col(a)
            n, h, w, k = cols.shape
            z = cols.reshape(-1, k) @ p[f"c{i}_w"] + p[f"c{i}_b"]
            r = np.maximum(z, 0.0).reshape(n, h, w, -1)
            pooled = _pool(r, ph, pw)
            if keep:
                cache.append((cols, r, pooled))
            a = pooled
        n, h, t, c = a.shape
        f = a.transpose(0, 2, 1, 3).reshape(n, t, h * c)
        temporal = []
        for name in self.temporal_layers:
            win = _window(f)
            hid = np.maximum(win.reshape(n * t, -1) @ p[f"{name}_w"] + p[f"{name}_b"], 0.0)
            temporal.append((f.shape, win, hid))
            f = hid.reshape(n, t, -1)
        logits = (hid @ p["o_w"] + p["o_b"]).reshape(n, t, -1)
        if keep:
            cache.append((temporal, (h, c)))
        return logits, (cache if keep else None)

    @property
    def temporal_layers(self) -> tuple[str, ...]:
        """Names of the temporal (column window) layers, in order: ``("h",)`` or ``("h", "h2")``."""
        return ("h", "h2") if "h2_w" in self.params else ("h",)

    def backward(self, dlogits: np.ndarray, cache: list) -> dict[str, np.ndarray]:
        """Gradients of every parameter from the loss's gradient with respect to the logits."""
        p = self.params
        grads: dict[str, np.ndarray] = {}
        temporal, (h, c) = cache[-1]
        n, t, _ = dlogits.shape
        d = dlogits.reshape(n * t, -1)
        grads["o_w"] = temporal[-1][2].T @ d
        grads["o_b"] = d.sum(axis=0)
        dout = d @ p["o_w"].T
        for name, (fshape, win, hid) in reversed(list(zip(self.temporal_layers, temporal))):
            dh = dout * (hid > 0)
            grads[f"{name}_w"] = win.reshape(n * t, -1).T @ dh
            grads[f"{name}_b"] = dh.sum(axis=0)
            dout = _unwindow((dh @ p[f"{name}_w"].T).reshape(n, t, -1), fshape[2]).reshape(n * t, -1)
        da = dout.reshape(n, t, h, c).transpose(0, 2, 1, 3)
        for i in reversed(range(len(self.POOLS))):
            cols, r, pooled = cache[i]
            ph, pw = self.POOLS[i]
            dr = _unpool(r, pooled, da, ph, pw) * (r > 0)
            nn_, hh, ww, cout = dr.shape
            d2 = dr.reshape(-1, cout)
            grads[f"c{i}_w"] = cols.reshape(-1, cols.shape[-1]).T @ d2
            grads[f"c{i}_b"] = d2.sum(axis=0)
            if i > 0:
                dcols = (d2 @ p[f"c{i}_w"].T).reshape(nn_, hh, ww, -1)
                da = _col2im(dcols, cols.shape[-1] // 9)
        return grads

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        """Log-probabilities (N, T, 11) for inputs (N, HEIGHT, W)."""
        logits, _ = self.forward(x)
        return log_softmax(logits)


# --- CTC ---------------------------------------------------------------------------------------


def _extended(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Blank-interleaved label indices (N, 2S+1) and each one's length 2·len+1."""
    s = max((len(lab) for lab in labels), default=0)
    ext = np.full((len(labels), 2 * s + 1), BLANK, np.int64)
    for i, lab in enumerate(labels):
        if lab:
            ext[i, 1:2 * len(lab):2] = [CLASSES.index(ch) for ch in lab]
    return ext, np.array([2 * len(lab) + 1 for lab in labels])


def _skips(ext: np.ndarray) -> np.ndarray:
    """Bool, shaped as `ext` (extended labels along the last axis): may a path reach this slot
    from two slots back, skipping the blank between? Only onto a character unlike the one before.
    """
    skip = np.zeros(ext.shape, bool)
    skip[..., 2:] = (ext[..., 2:] != BLANK) & (ext[..., 2:] != ext[..., :-2])
    return skip


def _lse(*terms: np.ndarray) -> np.ndarray:
    top = np.maximum.reduce(terms)
    return top + np.log(sum(np.exp(term - top) for term in terms))


def _forward(lp: np.ndarray, ext: np.ndarray, lengths: np.ndarray):
    """The forward variables (N, T, L) in log space over the extended labels, and log P(label)."""
    n, t_max, l_max = lp.shape
    valid = np.arange(l_max)[None, :] < lengths[:, None]
    skip = _skips(ext)
    alpha = np.full((n, t_max, l_max), _NEG, np.float32)
    alpha[:, 0, 0] = lp[:, 0, 0]
    alpha[:, 0, 1:2] = np.where(lengths[:, None] > 1, lp[:, 0, 1:2], _NEG)
    neg1 = np.full((n, 1), _NEG, np.float32)
    neg2 = np.full((n, 2), _NEG, np.float32)
    for t in range(1, t_max):
        a = alpha[:, t - 1]
        a1 = np.concatenate([neg1, a], axis=1)[:, :l_max]
        a2 = np.where(skip, np.concatenate([neg2, a], axis=1)[:, :l_max], _NEG)
        alpha[:, t] = np.where(valid, _lse(a, a1, a2) + lp[:, t], _NEG)
    rows = np.arange(n)
    end = alpha[rows, t_max - 1, lengths - 1]
    end2 = np.where(lengths > 1, alpha[rows, t_max - 1, np.maximum(lengths - 2, 0)], _NEG)
    return alpha, _lse(end, end2), skip, valid


def _alpha_beta(lp: np.ndarray, ext: np.ndarray, lengths: np.ndarray):
    """Forward and backward variables (N, T, L) in log space over the extended labels, and log P(label)."""
    alpha, loglik, skip, valid = _forward(lp, ext, lengths)
    n, t_max, l_max = lp.shape
    neg1 = np.full((n, 1), _NEG, np.float32)
    neg2 = np.full((n, 2), _NEG, np.float32)
    beta = np.full((n, t_max, l_max), _NEG, np.float32)
    rows = np.arange(n)
    beta[rows, t_max - 1, lengths - 1] = lp[rows, t_max - 1, lengths - 1]
    has_two = lengths > 1
    beta[rows[has_two], t_max - 1, lengths[has_two] - 2] = lp[rows[has_two], t_max - 1, lengths[has_two] - 2]
    skip_next = np.zeros_like(valid)
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(t_max - 2, -1, -1):
        b = beta[:, t + 1]
        b1 = np.concatenate([b, neg1], axis=1)[:, 1:]
        b2 = np.where(skip_next, np.concatenate([b, neg2], axis=1)[:, 2:], _NEG)
        beta[:, t] = np.where(valid, _lse(b, b1, b2) + lp[:, t], _NEG)
    return alpha, beta, loglik


def ctc_loss(logits: np.ndarray, labels: list[str]) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of `labels` and its gradient with respect to `logits` (N, T, 11)."""
    logp = log_softmax(logits.astype(np.float32))
    ext, lengths = _extended(labels)
    n, t_max, _ = logp.shape
    lp = np.take_along_axis(logp, np.broadcast_to(ext[:, None, :], (n, t_max, ext.shape[1])), axis=2)
    alpha, beta, loglik = _alpha_beta(lp, ext, lengths)
    occupancy = np.exp(alpha + beta - lp - loglik[:, None, None])  # (N, T, L): posterior of each slot
    onehot = np.zeros((n, ext.shape[1], BLANK + 1), np.float32)
    np.put_along_axis(onehot, ext[:, :, None], 1.0, axis=2)
    onehot[np.arange(ext.shape[1])[None, :] >= lengths[:, None]] = 0.0
    grad = np.exp(logp) - occupancy @ onehot
    return float(-loglik.mean()), (grad / n).astype(np.float32)


def best_path(logp: np.ndarray) -> tuple[str, list[tuple[int, int]], list[float]]:
    """Greedy CTC decoding of one strip's (T, 11) log-probabilities.

    Returns the text, each character's column span ``(first, last)`` in output columns, and
    each character's highest probability over its span.
    """
    best = logp.argmax(axis=1)
    text, spans, probs = [], [], []
    prev = BLANK
    for t, k in enumerate(best.tolist()):
        if k != BLANK and k != prev:
            text.append(CLASSES[k])
            spans.append([t, t])
            probs.append(float(np.exp(logp[t, k])))
        elif k != BLANK:
            spans[-1][1] = t
            probs[-1] = max(probs[-1], float(np.exp(logp[t, k])))
        prev = k
    return "".join(text), [tuple(s) for s in spans], probs


def label_probability(logp: np.ndarray, text: str) -> float:
    """P(text | strip): the CTC probability of `text`, summed over every alignment."""
    return label_probabilities(logp, [text])[0]


def label_probabilities(logp: np.ndarray, texts: list[str]) -> list[float]:
    """P(text | strip) for each of `texts` under one strip's (T, 11) log-probabilities, in one pass."""
    ext, lengths = _extended(texts)
    lp = logp[:, ext].transpose(1, 0, 2)  # (len(texts), T, L)
    _, loglik, _, _ = _forward(lp.astype(np.float32), ext, lengths)
    return np.exp(loglik).tolist()


def _glyph_boxes(x: np.ndarray, spans: list[tuple[int, int]], shape: tuple[int, int]) -> list[tuple[int, ...]]:
    """A box in the original image's pixels for each character's span of output columns.

    CTC marks a character in one or two columns, not over its whole width: each box
    reaches halfway to its neighbours' centres (for the end ones, as far out as inside),
    and its rows are those where the scaled strip shows ink within those columns.
    """
    h, w = shape
    sx, sy = w / x.shape[1], h / HEIGHT
    centres = [(a + b + 1) / 2 * STRIDE for a, b in spans]
    gaps = [b - a for a, b in zip(centres, centres[1:])]
    half = (float(np.median(gaps)) if gaps else 2.0 * HEIGHT / 3) / 2
    bounds = [centres[0] - half, *((a + b) / 2 for a, b in zip(centres, centres[1:])), centres[-1] + half]
    boxes = []
    for left, right in zip(bounds, bounds[1:]):
        c0, c1 = max(0, int(left)), min(x.shape[1], int(math.ceil(right)))
        rows = np.flatnonzero(x[:, c0:max(c1, c0 + 1)].max(axis=1) > 0.5)
        r0, r1 = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, HEIGHT)
        x0, y0 = int(round(c0 * sx)), int(round(r0 * sy))
        x1, y1 = max(x0 + 1, min(w, int(round(c1 * sx)))), max(y0 + 1, min(h, int(round(r1 * sy))))
        boxes.append((x0, y0, x1 - x0, y1 - y0))
    return boxes


@dataclass(frozen=True)
class StripReading:
    """What the sequence network says about one strip.

    Attributes:
        reading: Its best-path reading (``engine="sequence"``; an empty one has confidence 0).
        p_empty: P(""), the probability that the strip holds no digit at all.
        p_rival: P(rival) for the rival text given to `read_strips` (another engine's reading
            of the strip), None when none was given.
        views: the best-path text of each view (the strip itself first, then ``VIEWS``) when
            the strip was read in its views; empty when it was read only as it is.
        wide: the best-path text of the view ``WIDE`` times wider and its probability there,
            when that view was read.
        widened: whether ``reading`` is that wide view's reading.
    """

    reading: Reading
    p_empty: float
    p_rival: float | None = None
    views: tuple[str, ...] = ()
    wide: tuple[str, float] | None = None
    widened: bool = False


def _align(logp: np.ndarray, text: str) -> tuple[list[tuple[int, int]], list[float]] | None:
    """The single likeliest CTC alignment (Viterbi) of `text` to one strip's (T, 11) log-probabilities.

    Returns each character's column span and its highest probability over that span, as
    ``best_path`` does for its own text, or None when `text` cannot be aligned at all.
    """
    ext, _ = _extended([text])
    ext = ext[0]
    t_max, l_max = len(logp), len(ext)
    lp = logp[:, ext].astype(np.float64)
    skip = _skips(ext)
    score = np.full((t_max, l_max), -np.inf)
    came = np.zeros((t_max, l_max), np.int64)  # 0: stayed, 1: from the slot before, 2: skipped a blank
    score[0, :2] = lp[0, :2]
    for t in range(1, t_max):
        options = np.full((3, l_max), -np.inf)
        options[0] = score[t - 1]
        options[1, 1:] = score[t - 1, :-1]
        options[2, 2:] = np.where(skip[2:], score[t - 1, :-2], -np.inf)
        came[t] = options.argmax(axis=0)
        score[t] = options.max(axis=0) + lp[t]
    ends = [l_max - 1] + ([l_max - 2] if l_max > 1 else [])
    slot = max(ends, key=lambda k: score[-1, k])
    if not np.isfinite(score[-1, slot]):
        return None
    path = [slot]
    for t in range(t_max - 1, 0, -1):
        slot -= int(came[t, slot])
        path.append(slot)
    path.reverse()
    spans: list[list[int]] = [[] for _ in text]
    for t, k in enumerate(path):
        if k % 2:
            spans[k // 2].append(t)
    probs = [float(np.exp(logp[cols, CLASSES.index(ch)].max())) for ch, cols in zip(text, spans)]
    return [(cols[0], cols[-1]) for cols in spans], probs


def _reading(x: np.ndarray, logps: list[np.ndarray], shape: tuple[int, int], rival: str | None = None) -> StripReading:
    """One strip's reading (a glyph per digit), P("") and P(rival), from the network's views of it.

    `logps` holds the (T, 11) log-probabilities of the strip itself (`x`), then those of its
    other views (``VIEWS``). Every view's best-path text is a candidate, and the one with the
    highest geometric mean of its probabilities over the views is read (the strip's own best
    path on a tie): the text the views agree on, which one view's whim cannot carry. The
    probabilities reported (the reading's confidence, P(""), P(rival)) are the medians over
    the views, on the scale of one view's: one view that misreads, or is surer than the rest,
    does not move them. The glyphs are placed by the text's likeliest alignment to the strip
    itself. With one view this is plain best-path decoding.
    """
    text, spans, probs = best_path(logps[0])
    texts = (text, *(best_path(lp)[0] for lp in logps[1:]))
    candidates = list(dict.fromkeys(texts))
    seen = texts if len(logps) > 1 else ()
    scored = [*candidates, ""] + ([] if rival is None else [rival])
    by_view = np.array([label_probabilities(lp, scored) for lp in logps])
    p = np.median(by_view, axis=0)
    agreed = p if len(logps) == 1 else np.exp(np.log(np.maximum(by_view, 1e-300)).mean(axis=0))
    best = int(np.argmax(agreed[:len(candidates)]))  # the first of equals: the strip's own reading
    p_text, p_empty = float(p[best]), float(p[len(candidates)])
    p_rival = float(p[-1]) if rival is not None else None
    if best:
        aligned = _align(logps[0], candidates[best])
        if aligned is not None:
            text, (spans, probs) = candidates[best], aligned
        else:  # the strip itself cannot hold that text: keep its own reading
            p_text = float(p[0])
    reading = Reading(text=text, confidence=p_text if text else 0.0,
                      glyphs=_glyphs(x, logps[0], text, spans, probs, shape), engine="sequence")
    return StripReading(reading, p_empty, p_rival, seen)


def _glyphs(x: np.ndarray, logp: np.ndarray, text: str, spans: list[tuple[int, int]], probs: list[float],
            shape: tuple[int, int]) -> tuple[Glyph, ...]:
    """A glyph per character of `text`, placed by its span of `x`'s output columns in an image of `shape`."""
    glyphs = []
    for ch, (a, b), prob, box in zip(text, spans, probs, _glyph_boxes(x, spans, shape) if text else ()):
        peak = a + int(logp[a:b + 1, CLASSES.index(ch)].argmax())
        q = np.exp(logp[peak, :BLANK])
        others = [k for k in np.argsort(-q).tolist() if CLASSES[k] != ch][:2]
        alternatives = tuple((CLASSES[k], float(q[k])) for k in others)
        glyphs.append(Glyph(char=ch, box=box, prob=prob, alternatives=alternatives))
    return tuple(glyphs)


def _widened(said: StripReading, x: np.ndarray, logp: np.ndarray, shape: tuple[int, int]) -> StripReading:
    """`said`, noting what the wide view (input `x`, log-probabilities `logp`) read, and
    reading that instead when it holds more digits and is likelier in its view than `said`
    is over the views. P("") and P(rival) stay the views' medians."""
    text, spans, probs = best_path(logp)
    p_text = label_probability(logp, text)
    said = replace(said, wide=(text, p_text))
    if len(text) <= len(said.reading.text) or p_text <= said.reading.confidence:
        return said
    glyphs = _glyphs(x, logp, text, spans, probs, shape)  # x spans the strip's width: boxes in its pixels
    return replace(said, reading=Reading(text=text, confidence=p_text, glyphs=glyphs, engine="sequence"), widened=True)


def view(gray: np.ndarray, stretch: float, slant: float) -> np.ndarray:
    """`gray` stretched in x by `stretch`, then sheared: the pixel at (x, y) moves by slant·(y - H/2).

    The canvas widens to hold the shear and is filled with the paper (the median gray).
    """
    h, w = gray.shape
    out = gray
    if stretch != 1.0:
        width = max(1, int(round(w * stretch)))
        out = cv2.resize(out, (width, h), interpolation=cv2.INTER_AREA if stretch < 1 else cv2.INTER_LINEAR)
    if slant:
        pad = int(math.ceil(abs(slant) * h / 2))
        matrix = np.float32([[1, slant, -slant * h / 2 + pad], [0, 1, 0]])
        out = cv2.warpAffine(out, matrix, (out.shape[1] + 2 * pad, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=float(np.median(gray)))
    return out


def _log_probs(net: SeqNet, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Each input's (T, 11) log-probabilities; inputs of the same width share a pass."""
    out: list[np.ndarray | None] = [None] * len(inputs)
    by_width: dict[int, list[int]] = {}
    for i, x in enumerate(inputs):
        by_width.setdefault(x.shape[1], []).append(i)
    for idx in by_width.values():
        for row, i in zip(net.log_probs(np.stack([inputs[i] for i in idx])), idx):
            out[i] = row
    return out  # type: ignore[return-value]


def read_strips(net: SeqNet, grays: list[np.ndarray], light_inks: list[bool],
                rivals: list[str | None] | None = None, *,
                views: tuple[tuple[float, float], ...] = VIEWS) -> list[StripReading]:
    """Read uint8 gray strips (of known polarity), each seen as it is and in `views`.

    `views` are (stretch, slant) pairs (see ``view``); the readings of all of a strip's views
    are pooled (see ``_reading``), which evens out the network's whims about one exact
    scale and lean. `rivals`, one digit string (or None) per strip, are scored too:
    ``p_rival`` is how likely the network finds that text, however it reads the strip itself.
    A strip whose own reading has a probability of ``SURE_ALONE`` or more is not looked at
    again (most asked printed strips): its views would change little. A strip read in its
    views that holds digits, P("") under ``WIDE_NO_DIGIT``, is also read ``WIDE`` times wider
    (see ``_widened``): a letter's strokes, doubtful of digits, get no second chance at more.
    """
    rivals = rivals if rivals is not None else [None] * len(grays)
    if len(rivals) != len(grays):
        raise ValueError(f"read_strips needs one rival per strip ({len(grays)}), got {len(rivals)}")
    inputs = [strip_input(g, light_ink=li) for g, li in zip(grays, light_inks)]
    seen = [[lp] for lp in _log_probs(net, inputs)]
    out = [_reading(x, logps, g.shape, rival) for x, logps, g, rival in zip(inputs, seen, grays, rivals)]
    # How likely the strip's own reading is: its confidence, or P("") when it reads nothing.
    again = [i for i, said in enumerate(out)
             if (said.reading.confidence if said.reading.text else said.p_empty) < SURE_ALONE]
    for stretch, slant in views if again else ():
        others = _log_probs(net, [strip_input(view(grays[i], stretch, slant), light_ink=light_inks[i]) for i in again])
        for i, lp in zip(again, others):
            seen[i].append(lp)
    for i in again if views else ():
        out[i] = _reading(inputs[i], seen[i], grays[i].shape, rivals[i])
    wide = [i for i in again if out[i].reading.text and out[i].p_empty < WIDE_NO_DIGIT] if views else []
    wide_inputs = [strip_input(view(grays[i], WIDE, 0.0), light_ink=light_inks[i]) for i in wide]
    for i, x, lp in zip(wide, wide_inputs, _log_probs(net, wide_inputs)):
        out[i] = _widened(out[i], x, lp, grays[i].shape)
    return out


# --- files -------------------------------------------------------------------------------------

_SHAPES = ("c0_w", "c0_b", "c1_w", "c1_b", "c2_w", "c2_b", "h_w", "h_b", "o_w", "o_b")
_SECOND = ("h2_w", "h2_b")  # the optional second temporal layer


def save(path: str | Path, net: SeqNet) -> Path:
    """Write `net` to `path` (``.npz``, no pickle) atomically."""
    path = Path(path)
    meta = {**net.meta, "format": FORMAT, "format_version": FORMAT_VERSION, "height": HEIGHT,
            "stride": STRIDE, "classes": CLASSES}
    arrays = {k: net.params[k].astype(np.float32) for k in (*_SHAPES, *_SECOND) if k in net.params}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return write_npz(path, arrays)


def load(path: str | Path) -> SeqNet:
    """Read a sequence model, checking every array's shape against the others.

    Raises:
        ModelError: missing file, not an npz, pickled content, missing or mismatched arrays,
            non-finite weights, or a file of another kind or version.
    """
    path = Path(path)
    arrays = read_npz(path, "sequence model file")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, ValueError) as e:
        raise ModelError(f"{path}: not a sequence model of this tool (no readable 'meta')") from e
    if meta.get("format") != FORMAT:
        raise ModelError(f"{path}: not a sequence model (format {meta.get('format')!r})")
    if int(meta.get("format_version", -1)) > FORMAT_VERSION:
        raise ModelError(f"{path}: sequence model format {meta.get('format_version')} is newer than this tool's")
    if meta.get("height") != HEIGHT or meta.get("stride") != STRIDE or meta.get("classes") != CLASSES:
        raise ModelError(f"{path}: sequence model was made for another input (height, stride or classes differ)")
    missing = [k for k in _SHAPES if k not in arrays]
    if missing:
        raise ModelError(f"{path}: sequence model lacks {', '.join(missing)}")
    if any(k in arrays for k in _SECOND) and not all(k in arrays for k in _SECOND):
        raise ModelError(f"{path}: sequence model has half of its second temporal layer")
    names = [k for k in (*_SHAPES, *_SECOND) if k in arrays]
    p = {k: arrays[k].astype(np.float32) for k in names}
    if any(p[k].ndim != (2 if k.endswith("_w") else 1) for k in names):
        raise ModelError(f"{path}: sequence model arrays have mismatched shapes")
    expected_in = [9, 9 * p["c0_w"].shape[-1], 9 * p["c1_w"].shape[-1]]
    ok = all(p[f"c{i}_w"].shape[0] == expected_in[i] and p[f"c{i}_b"].shape == (p[f"c{i}_w"].shape[1],)
             for i in range(3))
    ok = ok and p["h_w"].shape[0] == 3 * (HEIGHT // 8) * p["c2_w"].shape[1] and p["h_b"].shape == (p["h_w"].shape[1],)
    hidden = p["h_w"].shape[1]
    if "h2_w" in p:
        ok = ok and p["h2_w"].shape == (3 * hidden, hidden) and p["h2_b"].shape == (hidden,)
    ok = ok and p["o_w"].shape == (hidden, BLANK + 1) and p["o_b"].shape == (BLANK + 1,)
    if not ok:
        raise ModelError(f"{path}: sequence model arrays have mismatched shapes")
    if not all(np.isfinite(v).all() for v in p.values()):
        raise ModelError(f"{path}: sequence model holds non-finite weights")
    return SeqNet(p, meta)
