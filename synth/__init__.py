"""Synthetic digit strips with exact labels and per-digit boxes, from fonts a pip install brings.

fonts → render (ink + boxes) → styles (image of a preset look) → dataset (folders, sheets).
"""

from synth.dataset import contact_sheet, iter_samples, read_labels, write_dataset
from synth.fonts import HELD_OUT_FAMILIES, Font, bundled_fonts, discover, split_held_out
from synth.render import Strip, render_classic, render_strip
from synth.styles import STYLES, Sample, make_sample

__all__ = [
    "Font",
    "HELD_OUT_FAMILIES",
    "bundled_fonts",
    "discover",
    "split_held_out",
    "Strip",
    "render_strip",
    "render_classic",
    "Sample",
    "STYLES",
    "make_sample",
    "iter_samples",
    "write_dataset",
    "read_labels",
    "contact_sheet",
]
