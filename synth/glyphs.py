"""Training glyphs: what the reader will see, labelled.

Three sources, all cut by the reader's own stages (``binarize.ink_mask`` and
``segment.glyph_boxes``) so that the network trains on exactly what it reads (the polarity
decided by the glyph vote alone, ``vote_only``, as when the shipped networks were trained):

- strips of every style but "classic" (its font is held out; its layout is kept), segmented; a segment that covers one true glyph is that digit,
  one that spans two glyphs, a fragment of one, or noise is "not a digit"; a segment of
  touching glyphs is also cut between them, as the decoder would, each piece its digit,
  and a few pieces of a wide segment holding no digit are "not a digit" too;
- single digits with heavy augmentation (size, stroke, shear, rotation, elastic
  distortion, blur, noise), half of them procedural design variants from
  ``synth.strokes``, so that unseen fonts are still in reach;
- "not a digit" shapes: letters and punctuation, two digits fused into one blob, parts
  of digits, scribbles and blobs.

Beside the training set: ``focused_harvest`` drills chosen digits for fine-tuning, and
``handwriting`` makes pen-stroke digits for ten-class networks (``ocr train --source
handwriting``).

Each sample is an ink crop (uint8, ink 255); ``vectors`` normalizes crops to 28×28 or 8×8
rows. Item ``i`` of each source uses its own ``default_rng([seed, source, i])``, so the set
is the same for a seed however it is split across processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ocr import binarize, image, normalize, segment
from synth import augment, strokes
from synth.fonts import Font, load_font
from synth.render import render_classic, render_strip
from synth.styles import make_sample, pick_font

__all__ = ["REJECT", "TRAIN_STYLES", "harvest", "harvest_items", "focused_harvest", "handwriting", "vectors", "strip_glyphs"]

REJECT = 10  # class index of "not a digit"
Crop = np.ndarray  # uint8 (h, w) ink crop, ink 255
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwxy"  # letters that do not pass for digits
PUNCT = "-+.,:;/#()*=%&@!<>[]"
_STRIPS, _SINGLES, _REJECTS, _FOCUS_STRIPS, _FOCUS_SINGLES, _HANDWRITING = 0, 1, 2, 3, 4, 5
STROKE_SHARE = 0.5  # share of single glyphs drawn by the procedural stroke generator


def _largest_box(ink: np.ndarray) -> segment.Box | None:
    boxes = segment.glyph_boxes(ink)
    return max(boxes, key=lambda b: b[2] * b[3]) if boxes else None


def _crop(ink: np.ndarray, box: segment.Box) -> Crop:
    x, y, w, h = box
    return np.ascontiguousarray(ink[y : y + h, x : x + w])


def strip_glyphs(gray: np.ndarray, text: str, true_boxes: Sequence[segment.Box]) -> list[tuple[Crop, int]]:
    """Segment a labelled strip as the reader would and label each segment.

    A segment whose x-extent covers ≥ 70% of exactly one true glyph (and < 25% of any other)
    and is at least 60% of its height is that digit; a segment over two glyphs, a short
    fragment, or one over none (noise) is ``REJECT``; anything in between is skipped.
    """
    found = segment.find_glyphs(binarize.ink_mask(gray, vote_only=True))
    ink = found.ink
    if found.slant:
        true_boxes = [segment.shear_box(b, found.slant, found.height) for b in true_boxes]
    out = []
    for box in found.boxes:
        x, y, w, h = box
        cover = []
        for tx, ty, tw, th in true_boxes:
            overlap = min(x + w, tx + tw) - max(x, tx)
            cover.append(max(0, overlap) / max(1, tw))
        cover_arr = np.array(cover)
        full = np.flatnonzero(cover_arr >= 0.7)
        if len(full) == 1 and (np.delete(cover_arr, full[0]) < 0.25).all():
            j = int(full[0])
            if h >= 0.6 * true_boxes[j][3] and w <= 1.6 * max(true_boxes[j][2], 0.25 * true_boxes[j][3]):
                out.append((_crop(ink, box), int(text[j])))
            elif h < 0.45 * true_boxes[j][3]:
                out.append((_crop(ink, box), REJECT))
        elif len(full) >= 2 or (cover_arr.max(initial=0) == 0 and w * h >= 12):
            out.append((_crop(ink, box), REJECT))
            if len(full) >= 2 and (np.diff(full) == 1).all():
                out.extend(_cut_pieces(ink, box, text, true_boxes, [int(j) for j in full]))
            elif len(full) == 0 and w >= segment.CUTTABLE * h:
                out.extend((_crop(ink, piece), REJECT) for piece in _junk_pieces(ink, box))
    return out


def _junk_pieces(ink: np.ndarray, box: segment.Box, n: int = 4) -> list[segment.Box]:
    """Up to ``n`` pieces of a segment that holds no digit, cut where the decoder would cut.

    A letter such as "W" or a tangle of captcha lines, cut into strokes, must not read as
    digits: these pieces, about half as wide as high, teach the network that.
    """
    x, _, w, h = box
    points = [x, *segment.cut_points(ink, box), x + w]
    out = []
    for i, left in enumerate(points):
        right = next((p for p in points[i + 1 :] if p - left >= 0.5 * h), None)
        piece = segment.sub_box(ink, box, left, right) if right is not None else None
        if piece is not None and piece[3] >= 0.5 * h:
            out.append(piece)
    return out[:: max(1, len(out) // n)][:n]


def _cut_pieces(ink: np.ndarray, box: segment.Box, text: str, true_boxes: Sequence[segment.Box],
                glyphs: list[int]) -> list[tuple[Crop, int]]:
    """The digits of a segment of touching glyphs, cut as the reader would cut them.

    Between neighbouring glyphs the cut is the reader's cut point (``segment.cut_points``)
    nearest to the true boundary (the middle of the gap, or of the overlap); each piece is
    labelled with its glyph. The network thus learns the pieces it will judge when it
    decodes touching digits.
    """
    x, _, w, h = box
    candidates = segment.cut_points(ink, box)
    cuts = [x]
    for a, b in zip(glyphs, glyphs[1:]):
        right_of_a, left_of_b = true_boxes[a][0] + true_boxes[a][2], true_boxes[b][0]
        boundary = (right_of_a + left_of_b) / 2
        near = min(candidates, key=lambda c: abs(c - boundary), default=None)
        cuts.append(near if near is not None and abs(near - boundary) <= 0.1 * h else int(round(boundary)))
    cuts.append(x + w)
    out = []
    for j, x0, x1 in zip(glyphs, cuts, cuts[1:]):
        piece = segment.sub_box(ink, box, x0, x1) if x1 - x0 >= 2 else None
        if piece is not None and piece[3] >= 0.6 * true_boxes[j][3]:
            out.append((_crop(ink, piece), int(text[j])))
    return out


# The strip styles trained on. "classic" is left out because its fixed font (Roboto) is
# held out; the classic layout is trained with the training fonts instead (`_classic_layout`).
TRAIN_STYLES = ("plain", "noisy", "captcha", "plate", "field", "touching", "classic-layout")
# The training strips also hold images with no digit at all, whose every segment is "not a digit".
STRIP_STYLES = (*TRAIN_STYLES, "nodigit")


def _classic_layout(rng: np.random.Generator, fonts: Sequence[Font],
                    text: str | None = None) -> tuple[np.ndarray, str, tuple]:
    """The seed captcha's layout (100×24, white on black, "0 1 2 3 4") in a training font.

    Five random digits unless ``text`` is given; a font whose digits overflow the strip is
    swapped for another (up to eight tries).
    """
    outline = [f for f in fonts if f.path is not None] or list(fonts)
    fixed = text
    for _ in range(8):
        font = pick_font(rng, outline)
        text = fixed or "".join(str(d) for d in rng.integers(0, 10, 5))
        gray, boxes = render_classic(text, font=font)
        x, _, w, _ = boxes[-1]
        if x + w < gray.shape[1] - 1 and all(b[2] > 1 for b in boxes):
            return gray, text, boxes
    return gray, text, boxes


def _strip_item(args: tuple[int, int, Sequence[Font]]) -> list[tuple[Crop, int]]:
    seed, i, fonts = args
    rng = np.random.default_rng([seed, _STRIPS, i])
    style = STRIP_STYLES[int(rng.integers(len(STRIP_STYLES)))]
    if style == "classic-layout":
        gray, text, boxes = _classic_layout(rng, fonts)
    else:
        sample = make_sample(style, rng, fonts)
        gray, text, boxes = image.load(sample.image), sample.text, sample.boxes
    return strip_glyphs(gray, text, boxes)


def _elastic(coverage: np.ndarray, rng: np.random.Generator, *, alpha: float, sigma: float) -> np.ndarray:
    """Elastic distortion (Simard et al., 2003): a smooth random displacement field."""
    h, w = coverage.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(coverage, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def _to_gray(coverage: np.ndarray, rng: np.random.Generator, *, degrade: bool) -> np.ndarray:
    """Coverage → a uint8 print in random ink/paper grays, maybe blurred, noisy or JPEG'd."""
    paper = rng.uniform(170, 255)
    ink = rng.uniform(0, paper - 110)
    if rng.random() < 0.3:  # light on dark
        paper, ink = 255 - paper, 255 - ink
    gray = np.clip(paper + (ink - paper) * coverage, 0, 255).astype(np.uint8)
    if degrade:
        gray = np.pad(gray, 3, mode="edge")
        nothing: tuple = ()
        if rng.random() < 0.4:
            gray, _ = augment.blur(gray, nothing, rng)
        if rng.random() < 0.4:
            gray, _ = augment.gaussian_noise(gray, nothing, rng)
        if rng.random() < 0.3:
            gray, _ = augment.jpeg(gray, nothing, rng)
    return gray


def _single_item(args: tuple[int, int, Sequence[Font]]) -> list[tuple[Crop, int]]:
    seed, i, fonts = args
    rng = np.random.default_rng([seed, _SINGLES, i])
    return _single_glyph(int(rng.integers(0, 10)), rng, fonts)


def _single_glyph(digit: int, rng: np.random.Generator, fonts: Sequence[Font]) -> list[tuple[Crop, int]]:
    """One heavily augmented ``digit``: a font's or a procedural design variant's."""
    size = int(rng.integers(12, 56))
    if rng.random() < STROKE_SHARE:
        # A procedural design variant (open 4, foot-less 1, crossed 7, ...) no font may have.
        coverage = np.pad(strokes.render_digit(digit, rng, size=size), 3)
    else:
        font = fonts[int(rng.integers(len(fonts)))]
        coverage = render_strip(
            str(digit), font, size=size, rng=rng,
            stroke=int(rng.choice([-1, 0, 0, 0, 1, 1, 2])) if size >= 20 else int(rng.choice([0, 0, 1])),
            shear=float(rng.uniform(-0.25, 0.3)), rotate=float(rng.uniform(0, 8)), jitter=0.05,
            margin=6,
        ).ink
    if rng.random() < 0.5:
        coverage = _elastic(coverage, rng, alpha=size * rng.uniform(0.02, 0.06), sigma=size * 0.12)
    if rng.random() < 0.3:  # squeeze or stretch
        h, w = coverage.shape
        coverage = cv2.resize(coverage, (max(1, int(w * rng.uniform(0.7, 1.35))), h))
    ink = binarize.ink_mask(_to_gray(coverage, rng, degrade=rng.random() < 0.6), vote_only=True)
    box = _largest_box(ink)
    return [(_crop(ink, box), digit)] if box is not None else []


def _draw_chars(text: str, font: Font, size: int) -> np.ndarray:
    """Coverage float32 of ``text`` drawn with an outline font, or a Hershey face."""
    if font.path is not None:
        pil_font = load_font(font.path, size)
        left, top, right, bottom = pil_font.getbbox(text)
        canvas = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(canvas).text((4 - left, 4 - top), text, font=pil_font, fill=255)
        return np.asarray(canvas, dtype=np.float32) / 255
    scale = size / 22.0
    (w, h), base = cv2.getTextSize(text, font.hershey, scale, max(1, size // 12))
    canvas = np.zeros((h + base + 8, w + 8), np.uint8)
    cv2.putText(canvas, text, (4, h + 4), font.hershey, scale, 255, max(1, size // 12), cv2.LINE_AA)
    return canvas.astype(np.float32) / 255


def _reject_item(args: tuple[int, int, Sequence[Font]]) -> list[tuple[Crop, int]]:
    seed, i, fonts = args
    rng = np.random.default_rng([seed, _REJECTS, i])
    font = fonts[int(rng.integers(len(fonts)))]
    size = int(rng.integers(14, 52))
    kind = rng.choice(["letter", "punct", "pair", "fragment", "blob"], p=[0.3, 0.1, 0.3, 0.15, 0.15])
    if kind == "letter":
        coverage = _draw_chars(str(rng.choice(list(LETTERS))), font, size)
    elif kind == "punct":
        coverage = _draw_chars(str(rng.choice(list(PUNCT))), font, size)
    elif kind == "pair":
        pair = "".join(str(d) for d in rng.integers(0, 10, 2))
        coverage = render_strip(pair, font, size=size, spacing=-float(rng.uniform(0.04, 0.2)),
                                rng=rng, stroke=int(rng.integers(0, 2)), margin=4).ink
    elif kind == "fragment":
        digit = str(int(rng.choice([0, 2, 3, 4, 5, 6, 8, 9])))
        full = render_strip(digit, font, size=size, margin=4).ink
        h, w = full.shape
        part = float(rng.uniform(0.3, 0.5))
        side = rng.integers(0, 3)
        if side == 0:
            coverage = full[: max(2, int(h * part)) + 4]
        elif side == 1:
            coverage = full[h - max(2, int(h * part)) - 4 :]
        else:
            coverage = full[:, : max(2, int(w * part)) + 4]
    else:
        coverage = _blob(rng, size)
    ink = binarize.ink_mask(_to_gray(np.pad(coverage, 4), rng, degrade=rng.random() < 0.5), vote_only=True)
    box = _largest_box(ink)
    if box is None:
        return []
    x, y, w, h = box
    if kind in ("fragment", "punct") and h > 2.5 * w:
        return []  # a thin vertical stub would teach that "1" is not a digit
    return [(_crop(ink, box), REJECT)]


def _blob(rng: np.random.Generator, size: int) -> np.ndarray:
    """A scribble, a filled ellipse, or a cluster of dots."""
    canvas = np.zeros((size + 8, int(size * rng.uniform(0.6, 1.6)) + 8), np.uint8)
    h, w = canvas.shape
    kind = rng.integers(0, 3)
    if kind == 0:
        points = np.stack([rng.integers(2, w - 2, 5), rng.integers(2, h - 2, 5)], axis=1)
        cv2.polylines(canvas, [points.astype(np.int32)], False, 255, max(1, size // 10))
    elif kind == 1:
        cv2.ellipse(canvas, (w // 2, h // 2), (max(2, w // 3), max(2, h // 4)),
                    float(rng.uniform(0, 180)), 0, 360, 255, -1)
    else:
        for _ in range(int(rng.integers(3, 9))):
            cv2.circle(canvas, (int(rng.integers(2, w - 2)), int(rng.integers(2, h - 2))),
                       int(rng.integers(1, max(2, size // 8))), 255, -1)
    return canvas.astype(np.float32) / 255


def harvest(
    fonts: Sequence[Font],
    *,
    n_strips: int,
    n_singles: int,
    n_rejects: int,
    seed: int = 0,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Crop], np.ndarray]:
    """Make the labelled glyph crops of all three sources.

    Returns:
        (crops, labels): ink crops uint8 (h, w), labels int64 (n,) with ``REJECT`` = 10.
    """
    return harvest_items(fonts, strips=range(n_strips), singles=range(n_singles),
                         rejects=range(n_rejects), seed=seed, jobs=jobs, progress=progress)


def harvest_items(
    fonts: Sequence[Font],
    *,
    strips: Sequence[int],
    singles: Sequence[int],
    rejects: Sequence[int],
    seed: int = 0,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Crop], np.ndarray]:
    """The items of ``harvest`` with the given indices, exactly as ``harvest`` makes them.

    Every item draws from its own seeded generator, so any subset of a training set can be
    made again without the rest: fine-tuning replays a sample of a model's original data.
    """
    work = [(_strip_item, (seed, int(i), fonts)) for i in strips]
    work += [(_single_item, (seed, int(i), fonts)) for i in singles]
    work += [(_reject_item, (seed, int(i), fonts)) for i in rejects]
    return _harvest_work(work, jobs=jobs, progress=progress)


def _handwriting_item(args: tuple[int, int]) -> list[tuple[Crop, int]]:
    seed, i = args
    rng = np.random.default_rng([seed, _HANDWRITING, i])
    digit = int(rng.integers(0, 10))
    size = int(rng.integers(16, 48))
    coverage = np.pad(strokes.render_digit(digit, rng, size=size), 3)
    coverage = _elastic(coverage, rng, alpha=size * rng.uniform(0.03, 0.08), sigma=size * 0.12)
    ink = binarize.ink_mask(_to_gray(coverage, rng, degrade=False), vote_only=True)
    box = _largest_box(ink)
    return [(_crop(ink, box), digit)] if box is not None else []


def handwriting(
    items: Sequence[int],
    *,
    seed: int = 0,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Crop], np.ndarray]:
    """Handwriting-like digits: procedural pen strokes (``synth.strokes``), elastically warped.

    No font is involved: every digit is a stroke skeleton with a random design variant,
    drawn with an even pen and bent by a smooth random displacement field (Simard et al.,
    2003), which is what makes it look written rather than typeset. Item ``i`` draws from
    its own seeded generator. Ten classes; no "not a digit" samples.

    Returns:
        (crops, labels) as ``harvest``, labels 0..9.
    """
    return _harvest_work([(_handwriting_item, (seed, int(i))) for i in items], jobs=jobs, progress=progress)


def _focus_text(rng: np.random.Generator, focus: Sequence[int], share: float, n: int) -> str:
    """``n`` digits, each from ``focus`` with probability ``share``, else any digit."""
    picks = np.where(rng.random(n) < share, rng.choice(np.asarray(focus), n), rng.integers(0, 10, n))
    return "".join(str(int(d)) for d in picks)


def _focus_strip_item(args) -> list[tuple[Crop, int]]:
    seed, i, fonts, focus, style, share = args
    rng = np.random.default_rng([seed, _FOCUS_STRIPS, i])
    if style == "mixed":
        style = TRAIN_STYLES[int(rng.integers(len(TRAIN_STYLES)))]
    if style in ("classic", "classic-layout"):
        gray, text, boxes = _classic_layout(rng, fonts, _focus_text(rng, focus, share, 5))
    else:
        text = _focus_text(rng, focus, share, int(rng.integers(4, 9)))
        sample = make_sample(style, rng, fonts, text=text)
        gray, text, boxes = image.load(sample.image), sample.text, sample.boxes
    return strip_glyphs(gray, text, boxes)


def _focus_single_item(args) -> list[tuple[Crop, int]]:
    seed, i, fonts, focus = args
    rng = np.random.default_rng([seed, _FOCUS_SINGLES, i])
    return _single_glyph(int(rng.choice(np.asarray(focus))), rng, fonts)


def focused_harvest(
    fonts: Sequence[Font],
    *,
    focus: Sequence[int],
    style: str = "mixed",
    n_strips: int,
    n_singles: int,
    share: float = 0.6,
    seed: int = 0,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Crop], np.ndarray]:
    """Glyphs that drill the ``focus`` digits, for fine-tuning a confusion away.

    Strips of ``style`` ("classic" is its layout in ``fonts``; "mixed" draws from
    ``TRAIN_STYLES``) whose digits come from ``focus`` with probability ``share``, cut by
    the reader's segmentation like the training strips, plus ``n_singles`` augmented single
    glyphs of the focus digits. The other digits and the "not a digit" segments that the
    strips yield stay in, so the fine-tune still sees what those look like.

    Returns:
        (crops, labels) as ``harvest``.
    """
    if not focus or any(not 0 <= int(d) <= 9 for d in focus):
        raise ValueError(f"focus must list digits 0..9, got {list(focus)}")
    if style not in (*TRAIN_STYLES, "classic", "mixed"):
        raise ValueError(f"unknown style {style!r}")
    focus = tuple(int(d) for d in focus)
    work = [(_focus_strip_item, (seed, i, fonts, focus, style, share)) for i in range(n_strips)]
    work += [(_focus_single_item, (seed, i, fonts, focus)) for i in range(n_singles)]
    return _harvest_work(work, jobs=jobs, progress=progress)


def _harvest_work(work, *, jobs: int, progress) -> tuple[list[Crop], np.ndarray]:
    """Run ``(function, args)`` items, serially or in processes, keeping their order."""
    jobs = jobs or os.cpu_count() or 1
    crops: list[Crop] = []
    labels: list[int] = []
    if jobs == 1:
        results = (fn(args) for fn, args in work)
        for items in results:
            _collect(items, crops, labels, progress)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for items in pool.map(_run, work, chunksize=64):
                _collect(items, crops, labels, progress)
    return crops, np.asarray(labels, dtype=np.int64)


def _run(job):
    fn, args = job
    return fn(args)


def _collect(items, crops, labels, progress) -> None:
    for crop, label in items:
        crops.append(crop)
        labels.append(label)
    if progress is not None:
        progress(1)


def vectors(crops: Sequence[Crop], *, size: int) -> np.ndarray:
    """Normalize crops into network rows: float32 (n, size*size) (28: 0..1, 8: 0..16)."""
    out = np.empty((len(crops), size * size), dtype=np.float32)
    for k, crop in enumerate(crops):
        out[k] = normalize.glyph_batch(crop, [(0, 0, crop.shape[1], crop.shape[0])], size=size)[0]
    return out
