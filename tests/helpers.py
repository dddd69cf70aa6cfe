"""Test helpers: strips rendered in the test, the shipped model paths."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from synth import fonts as font_lib
from synth.render import render_strip

ROOT = Path(__file__).resolve().parent.parent
MODEL28 = ROOT / "models" / "digits28.npz"
MODEL8 = ROOT / "models" / "digits8.npz"


def held_out_font(family: str = "Roboto", name_part: str = "Regular") -> font_lib.Font:
    candidates = [f for f in font_lib.bundled_fonts() if f.family == family]
    return next((f for f in candidates if name_part in f.name), candidates[0])


def print_strip(text: str, *, family: str = "Roboto", size: int = 28, dark_on_light: bool = True) -> np.ndarray:
    """A clean uint8 strip of `text` in a held-out font, with a white margin."""
    ink = render_strip(text, held_out_font(family), size=size, spacing=0.15, margin=8).ink
    gray = (255 * (1 - ink)).astype(np.uint8)
    return gray if dark_on_light else 255 - gray


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    """The bytes of `im` saved in format `fmt`."""
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_gray(width: int, height: int, *, value: int = 255, n_rows: int | None = None) -> bytes:
    """An 8-bit gray PNG of `height` rows of `value`, compressed row by row (never held whole).

    ``n_rows`` < height writes only that many rows: a tiny file declaring a huge image.
    """
    row = b"\x00" + bytes([value]) * width  # filter type 0, then the pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height if n_rows is None else n_rows))
    idat += packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


class Decoded(AssertionError):
    """Raised by `forbid_decoding` when pixels were about to be inflated or decoded."""


def forbid_decoding(monkeypatch) -> None:
    """Make inflating PNG data (``zlib.decompressobj``) or any Pillow decode raise `Decoded`.

    A refusal that holds under this patch was decided from the header alone: no pixel
    buffer was ever allocated, however large the image declares itself. Unlike a timing,
    this cannot flake on a loaded machine.
    """
    from PIL import ImageFile

    def decoded(*args, **kwargs):
        raise Decoded("pixels were decoded before the size was refused")

    monkeypatch.setattr(zlib, "decompressobj", decoded)
    monkeypatch.setattr(zlib, "decompress", decoded)
    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)
