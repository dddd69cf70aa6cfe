"""Debug overlays: what the reader saw, cut and decided, drawn on one RGB picture.

Three bands, top to bottom: the image with each segment's box and its reading (green for a
digit, red for a refused glyph, grey for a segment dropped as noise); the ink mask the
segmenter worked on, with the segments found before any cut (blue) and, inside those wide
enough to hold touching digits, the candidate cut columns the decoder tried (yellow ticks),
under the pieces it chose (the green, red and grey boxes); and each glyph as the network
received it, with its two best classes. When the sequence network was asked (``--engine``),
the header gives both readings, which was kept, and the probabilities the sequence network
gave "no digit" and the glyph path's digits (the figures its rules compare), and the
sequence network's digits are drawn in magenta over the image, each where it placed them.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr import normalize, segment
from ocr import sequence as sequence_io
from ocr.reader import Trace, _digits

__all__ = ["debug_overlay", "header_lines"]

GREEN, RED, GREY, WHITE = (40, 170, 40), (220, 40, 40), (150, 150, 150), (255, 255, 255)
BLUE, YELLOW, MAGENTA = (70, 110, 255), (255, 215, 0), (200, 0, 200)


def _label(canvas: np.ndarray, text: str, org: tuple[int, int], colour, scale: float = 0.45) -> None:
    cv2.putText(canvas, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def header_lines(trace: Trace) -> list[str]:
    """The overlay's header: the reading, and when the sequence network was asked, both
    readings, which was kept, and the network's odds for "no digit" and the glyph digits."""
    lines = [f"read: {trace.reading.text or '(empty)'}  confidence {trace.reading.confidence:.3f}"]
    if trace.sequence is None:
        return lines
    glyph_reading = trace.glyph_reading or trace.reading
    used = "sequence" if trace.glyph_reading is not None else "glyphs"
    if used == "sequence" and trace.sequence.text and not trace.reading.text:
        used = "neither (they contradict each other)"  # refused, though the network read digits
    lines.append(f"glyphs: {glyph_reading.text or '(empty)'} {glyph_reading.confidence:.3f}   "
                 f"sequence: {trace.sequence.text or '(empty)'} {trace.sequence.confidence:.3f}   kept: {used}")
    if trace.p_empty is not None:  # what the sequence network thinks of the alternatives
        said = "sequence network" + (f" (medians of {len(trace.sequence_views)} views)" if trace.sequence_views else "")
        said += f": P(no digit) {trace.p_empty:.3f}"
        if trace.p_glyphs is not None:
            said += f"   P(glyphs' {_digits(glyph_reading.text)}) {trace.p_glyphs:.3g}"
        lines.append(said)
    if trace.sequence_views:  # each view's own reading, from which the pooled one was chosen
        names = ["as is", *(_view_name(v) for v in sequence_io.VIEWS)]
        lines.append("views: " + "   ".join(f"{name} {text or '(empty)'}"
                                             for name, text in zip(names, trace.sequence_views)))
    if trace.sequence_wide is not None:  # the wide view, read when the views found digits
        text, p_text, taken = trace.sequence_wide
        lines.append(f"{sequence_io.WIDE:g}x wider: {text or '(empty)'} {p_text:.3f}"
                     + ("   taken: more digits, likelier" if taken else "")
                     + ("   agrees with the views: read at this probability" if trace.sequence_agreed else ""))
    return lines


def _view_name(view: tuple[float, float]) -> str:
    stretch, slant = view
    if slant:
        return f"leaning {'right' if slant < 0 else 'left'}"
    return "narrower" if stretch < 1 else "wider"


def debug_overlay(trace: Trace, *, classes: tuple[str, ...], input_size: int = 28,
                  band_height: int = 96) -> np.ndarray:
    """Render a ``Trace`` as a uint8 RGB (H, W, 3) picture that explains the reading."""
    gray, ink = trace.gray, trace.ink
    if trace.slant:  # the reader worked on the strip sheared upright: show it so
        gray = segment.shear(gray, trace.slant)
    scale = band_height / max(1, gray.shape[0])
    width = max(1, int(round(gray.shape[1] * scale)))
    height = trace.gray.shape[0]
    kept = {segment.unshear_box(box, trace.slant, height): box for box in trace.boxes}
    glyph_reading = trace.glyph_reading or trace.reading  # the glyph path's own reading
    kept = {kept[g.box]: g for g in glyph_reading.glyphs if g.box in kept}
    top = cv2.cvtColor(cv2.resize(gray, (width, band_height), interpolation=cv2.INTER_NEAREST),
                       cv2.COLOR_GRAY2RGB)
    label_band = 32  # labels alternate between two rows so that neighbours never overlap
    top = np.vstack([np.full((label_band, width, 3), 255, np.uint8), top])
    mask = cv2.cvtColor(cv2.resize(ink, (width, band_height), interpolation=cv2.INTER_NEAREST),
                        cv2.COLOR_GRAY2RGB)
    for box in trace.segments:
        x, y, w, h = (int(round(v * scale)) for v in box)
        cv2.rectangle(mask, (x - 1, y - 1), (x + w, y + h), BLUE, 1)
        if box[2] >= segment.CUTTABLE * box[3]:
            for cut in segment.cut_points(trace.ink, box):
                cx = int(round(cut * scale))
                cv2.line(mask, (cx, max(0, y - 4)), (cx, y + 3), YELLOW, 1)
                cv2.line(mask, (cx, y + h - 4), (cx, min(band_height - 1, y + h + 3)), YELLOW, 1)
    for k, box in enumerate(trace.boxes):
        x, y, w, h = (int(round(v * scale)) for v in box)
        glyph = kept.get(tuple(box))
        colour = GREY if glyph is None else (RED if glyph.char == "?" else GREEN)
        cv2.rectangle(top, (x, y + label_band), (x + w - 1, y + h - 1 + label_band), colour, 1)
        cv2.rectangle(mask, (x, y), (x + w - 1, y + h - 1), colour, 1)
        if glyph is not None:
            _label(top, f"{glyph.char} {glyph.prob:.2f}", (x, 13 + 15 * (k % 2)), colour, 0.4)
    if trace.glyph_reading is not None:  # the sequence network's reading was kept: show where it read
        for g in trace.reading.glyphs:
            box = segment.shear_box(g.box, trace.slant, height) if trace.slant else g.box
            x, y, w, h = (int(round(v * scale)) for v in box)
            cv2.rectangle(top, (x, y + label_band), (x + w - 1, y + h - 1 + label_band), MAGENTA, 1)
            _label(top, g.char, (x + 2, y + label_band + 12), MAGENTA, 0.45)
    cell = 56
    strip = np.full((cell + 34, max(width, cell * max(1, len(trace.boxes))), 3), 255, np.uint8)
    reject_name = "?"
    for k, (box, row) in enumerate(zip(trace.boxes, trace.proba)):
        seen = normalize.glyph_batch(ink, [box], size=input_size)[0].reshape(input_size, input_size)
        seen = (seen / seen.max() * 255 if seen.max() > 0 else seen).astype(np.uint8)
        tile = cv2.resize(seen, (cell - 4, cell - 4), interpolation=cv2.INTER_NEAREST)
        strip[2:cell - 2, k * cell + 2:(k + 1) * cell - 2] = tile[..., None]
        best = np.argsort(-row)[:2]
        for line, c in enumerate(best):
            name = reject_name if classes[c] == "reject" else classes[c]
            _label(strip, f"{name} {row[c]:.2f}", (k * cell + 2, cell + 12 + 14 * line), (0, 0, 0), 0.38)
    lines = header_lines(trace)
    text_width = max(cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)[0][0] for line in lines) + 8
    full_width = max(top.shape[1], strip.shape[1], text_width)

    def pad(band: np.ndarray) -> np.ndarray:
        return np.pad(band, ((0, 4), (0, full_width - band.shape[1]), (0, 0)), constant_values=255)

    header = np.full((4 + 18 * len(lines), full_width, 3), 255, np.uint8)
    for k, line in enumerate(lines):
        _label(header, line, (4, 15 + 18 * k), (0, 0, 0))
    return np.vstack([header, pad(top), pad(mask), pad(strip)])
