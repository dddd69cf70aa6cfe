"""A fast decoder for the plainest PNG files, with zlib and NumPy; Pillow decodes the rest.

A batch of strips spends more time opening small PNG files through Pillow (plugin lookup,
EXIF, mode conversion) than inflating them. Most strips written by OpenCV, scanners' SDKs
or a script are 8-bit gray or colour, not interlaced, and carry no metadata that changes
their pixels; OpenCV filters every row with "Sub". Such a file is checked chunk by chunk
(every CRC, the inflated length) and its rows are unfiltered with NumPy. The pixels are
exactly those Pillow gives: the tests compare the two.

Anything else — another bit depth, a palette, interlacing, rows filtered "Average" or
"Paeth", a chunk outside ``_PLAIN_CHUNKS`` (text chunks may hold EXIF orientation),
a CRC that fails, a stream of the wrong length, bytes after the end — gets None, and the
caller hands the file to Pillow, which decodes it or explains what is wrong with it.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np

__all__ = ["SIGNATURE", "decode"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Chunks that do not change the pixels Pillow gives. Text chunks are not among them:
# Pillow reads EXIF orientation from a "Raw profile type exif" text.
_PLAIN_CHUNKS = frozenset({b"IHDR", b"IDAT", b"IEND", b"pHYs", b"tIME", b"gAMA", b"cHRM", b"sRGB", b"sBIT"})
_CHANNELS = {0: 1, 2: 3, 6: 4}  # colour type → samples per pixel: gray, RGB, RGBA
_NONE, _SUB, _UP = 0, 1, 2  # row filter types this decoder undoes


def decode(data: bytes, *, max_pixels: int) -> np.ndarray | None:
    """Decode a plain PNG file's pixels, or return None when Pillow should decode it.

    Args:
        data: the whole file.
        max_pixels: an image declaring more pixels than this is left to the caller's
            checks (None), before anything is inflated.

    Returns:
        uint8 (H, W) for gray, (H, W, 3) RGB or (H, W, 4) RGBA; None when the file is not
        a plain, intact, 8-bit, non-interlaced PNG with rows filtered None, Sub or Up.

    >>> decode(b"not a png", max_pixels=100) is None
    True
    """
    chunks = _chunks(data)
    if chunks is None or not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        return None
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = _CHANNELS.get(colour)
    if (channels is None or depth != 8 or compression or filtering or interlace
            or not 0 < width * height <= max_pixels):
        return None
    stride = 1 + width * channels
    expected = height * stride
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"), expected + 1)
    except zlib.error:
        return None
    if len(raw) != expected or not inflater.eof or inflater.unused_data:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride)
    pixels = _unfilter(rows[:, 0], rows[:, 1:], channels)
    if pixels is None:
        return None
    return pixels.reshape(height, width) if channels == 1 else pixels.reshape(height, width, channels)


def _chunks(data: bytes) -> list[tuple[bytes, memoryview]] | None:
    """The (type, body) of every chunk up to IEND, or None: bad signature or CRC, an unknown
    chunk, a chunk cut short, or bytes after IEND."""
    if not data.startswith(SIGNATURE):
        return None
    view = memoryview(data)
    chunks = []
    pos, end = len(SIGNATURE), len(data)
    while pos + 12 <= end:
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        stop = pos + 12 + length
        if kind not in _PLAIN_CHUNKS or stop > end:
            return None
        (crc,) = struct.unpack_from(">I", data, stop - 4)
        if zlib.crc32(view[pos + 4 : stop - 4]) != crc:
            return None
        chunks.append((kind, view[pos + 8 : stop - 4]))
        pos = stop
        if kind == b"IEND":
            return chunks if pos == end else None
    return None


def _running_sums(rows: np.ndarray, channels: int) -> np.ndarray:
    """Each uint8 (n, W·C) row's running sum along the row, per channel, modulo 256.

    OpenCV's integral image is several times faster than ``np.cumsum`` along rows; the
    difference of its consecutive rows is each row's running sum. Its int32 sums are exact
    up to ``_INTEGRAL_SAMPLES`` samples.
    """
    n = len(rows)
    if rows.size > _INTEGRAL_SAMPLES:
        return np.cumsum(rows.reshape(n, -1, channels), axis=1, dtype=np.uint8).reshape(n, -1)
    sums = cv2.integral(rows.reshape(n, -1, channels))  # int32 (n + 1, W + 1[, C])
    return (sums[1:, 1:] - sums[:-1, 1:]).astype(np.uint8).reshape(n, -1)


# 255 × this many samples still fits an int32.
_INTEGRAL_SAMPLES = (2**31 - 1) // 255


def _unfilter(filters: np.ndarray, filtered: np.ndarray, channels: int) -> np.ndarray | None:
    """Undo the None, Sub and Up row filters: ``filters`` (H,) each row's filter type,
    ``filtered`` uint8 (H, W·C) its bytes; a new (H, W·C) array, or None for other filters.

    Sub adds the byte one pixel to the left, Up the byte above (both modulo 256): a
    cumulative sum along the row for every Sub row at once, and down each run of Up rows.
    """
    highest = int(filters.max())
    if highest > _UP:
        return None
    if highest == _SUB == int(filters.min()):  # every row Sub, as OpenCV writes them: no rows to pick
        return _running_sums(np.ascontiguousarray(filtered), channels)
    out = filtered.copy()  # (H, W·C)
    sub = filters == _SUB
    if sub.any():
        out[sub] = _running_sums(out[sub], channels)
    up = np.flatnonzero(filters == _UP)
    if len(up):
        # Runs of consecutive Up rows: each row adds the finished row above it.
        breaks = np.flatnonzero(np.diff(up) > 1)
        starts = np.concatenate(([up[0]], up[breaks + 1]))
        stops = np.concatenate((up[breaks], [up[-1]])) + 1
        for start, stop in zip(starts.tolist(), stops.tolist()):
            run = np.cumsum(out[start:stop], axis=0, dtype=np.uint8)
            if start > 0:
                run += out[start - 1]
            out[start:stop] = run
    return out
