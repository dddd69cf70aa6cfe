"""Any image source → C-contiguous uint8 (H, W) gray, or one clear `ImageError`.

This is the pipeline's edge: it accepts a file path, encoded file bytes, a NumPy array or a
PIL image, checks sizes before decoding (a tiny file may declare billions of pixels), turns
every decoder failure into one `ImageError` that names the source, and reduces every mode
(bilevel, palette, 16-bit, float, alpha, CMYK …) to 8-bit gray. Stages after this trust
their input.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import stat
import re
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps

from ocr import png
from ocr.errors import ImageError

__all__ = ["load"]

log = logging.getLogger(__name__)

_HINT_FORMATS = "give a PNG, JPEG, BMP, TIFF, GIF or WebP file"
MAX_PIXELS = 40_000_000  # default limit on width × height, checked before decoding
MAX_BYTES = 50 * 2**20  # default limit on the size of an image file


def load(
    source: str | os.PathLike | bytes | bytearray | memoryview | np.ndarray | Image.Image,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> np.ndarray:
    """Load an image from a path, encoded bytes, an array or a PIL image as 8-bit gray.

    Args:
        source: a file path (str or os.PathLike); the content of an image file (bytes,
            bytearray, memoryview); a NumPy array, 2-D (H, W) of any real dtype or 3-D
            (H, W, 1|3|4) in RGB/RGBA order; or a ``PIL.Image.Image``.
        name: what error messages call the source; defaults to the path, ``"<bytes>"``,
            ``"<array>"`` or ``"<PIL image>"``.
        max_pixels: refuse images whose width × height exceeds this, before decoding.
        max_bytes: refuse files or byte strings longer than this.

    Returns:
        uint8 array of shape (H, W), C-contiguous, 0 = black, 255 = white. A uint8 (H, W)
        contiguous input array is returned as is (not copied).

    Raises:
        ImageError: the source is missing, unreadable, empty, too large, not an image,
            truncated or corrupt, or an array of unusable shape or dtype. The one-line
            message starts with `name`.

    >>> load(np.zeros((24, 100), dtype=bool)).dtype
    dtype('uint8')
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, _one_line(name or "<array>"), max_pixels)
    if isinstance(source, Image.Image):
        name = _one_line(name or "<PIL image>")
        _check_pixels(source.size, name, max_pixels)
        return _from_pil(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = _one_line(name or "<bytes>")
        data = bytes(source)
        if len(data) > max_bytes:
            raise ImageError(f"{name}: {len(data)} bytes is more than the limit of {max_bytes} bytes "
                             "(raise it with --max-bytes, or max_bytes= in Python)")
    elif isinstance(source, (str, os.PathLike)):
        path = os.fsdecode(source)
        name = _one_line(name or path)
        data = _read_file(path, name, max_bytes)
    else:
        name = _one_line(name or f"<{type(source).__name__}>")
        raise ImageError(
            f"{name}: cannot load a {type(source).__name__}; "
            "give a file path, image file bytes, a NumPy array or a PIL image"
        )
    if not data:
        raise ImageError(f"{name}: empty file (0 bytes)")
    return _decode(data, name, max_pixels)


# Opened without blocking, so that a named pipe with no writer cannot hang the open (it is
# refused right after as not a regular file); binary on Windows; not inherited by children.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_file(path: str, name: str, max_bytes: int) -> bytes:
    """Read a whole regular file of at most `max_bytes`, translating each OS failure into an ImageError.

    One descriptor, one ``fstat`` and a read of the file's size (plus one byte to see its
    end): a sixth of the cost of ``stat`` then ``open`` through Python's buffered file,
    which counts in a batch of small strips.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(info.st_mode):  # a pipe or a device would block or never end
                raise ImageError(f"{name}: not a regular file (a pipe, socket or device)")
            if info.st_size > max_bytes:
                raise ImageError(_too_many_bytes(name, info.st_size, max_bytes))
            return _read_to_end(fd, info.st_size, name, max_bytes)
        finally:
            os.close(fd)
    except FileNotFoundError as e:
        raise ImageError(f"{name}: no such file; check the path") from e
    except IsADirectoryError as e:
        raise ImageError(f"{name}: is a directory, not an image file") from e
    except PermissionError as e:
        raise ImageError(f"{name}: permission denied; check the file's permissions") from e
    except OSError as e:
        if e.errno == errno.ENXIO:  # opening a socket, or a device with nothing behind it
            raise ImageError(f"{name}: not a regular file (a pipe, socket or device)") from e
        raise ImageError(f"{name}: cannot read the file ({e.strerror or e})") from e


def _read_to_end(fd: int, size: int, name: str, max_bytes: int) -> bytes:
    """The bytes of an open file of `size` bytes, read until its end; refused past `max_bytes`
    (a file that grew since it was measured)."""
    parts = []
    total = 0
    want = size + 1  # a byte more than the size: an unchanged file is read whole at once
    while part := os.read(fd, want):
        parts.append(part)
        total += len(part)
        if total > max_bytes:
            raise ImageError(_too_many_bytes(name, total, max_bytes))
        want = max(size + 1 - total, 1 << 16)
    return b"".join(parts)  # one part (the usual case) is returned as it is, not copied


def _too_many_bytes(name: str, n_bytes: int, max_bytes: int) -> str:
    return (f"{name}: file is {n_bytes} bytes, more than the limit of {max_bytes} bytes "
            "(raise it with --max-bytes, or max_bytes= in Python)")


def _one_line(name: str) -> str:
    """`name` fit for a one-line message: control characters escaped (a file may be called
    "a\\nb.png"), and bytes that were not UTF-8 in the file name shown as ``\\xNN``."""
    if name.isprintable():
        return name
    out = []
    for c in name:
        if "\udc80" <= c <= "\udcff":  # os.fsdecode's stand-in for an undecodable byte
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(repr(c)[1:-1])  # "\\n", "\\t", "\\x1b", "\\u2028" …
    return "".join(out)


def _check_pixels(size: tuple[int, int], name: str, max_pixels: int) -> None:
    """Refuse an image whose declared width × height is above `max_pixels`."""
    width, height = size
    if width * height > max_pixels:
        raise ImageError(
            f"{name}: image declares {width}×{height} = {width * height} pixels, "
            f"more than the limit of {max_pixels}; shrink it or raise the limit with --max-pixels "
            "(max_pixels= in Python)"
        )


def _decode(data: bytes, name: str, max_pixels: int) -> np.ndarray:
    """Decode encoded image bytes, checking the declared size before the pixels.

    Plain PNG files go through ``png.decode`` (the same pixels, in about half the time);
    everything else, and every broken file, through Pillow.
    """
    if data.startswith(png.SIGNATURE):
        pixels = png.decode(data, max_pixels=max_pixels)
        if pixels is not None:
            return _from_png(pixels, name)
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own pixel limit; `max_pixels` is checked right after
            # opening instead, so that --max-pixels decides (and the message names it). Its
            # other warnings (corrupt EXIF, odd TIFF tags) are noise beside the one answer
            # this function gives: an image, or an ImageError.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                _check_pixels(im.size, name, max_pixels)
                if getattr(im, "is_animated", False):  # GIF, TIFF, WebP … (n_frames would scan them all)
                    log.info("%s: holds several frames or pages; reading the first", name)
                im.seek(0)
                im.load()
                return _from_pil(im, name)
    except ImageError:
        raise
    except Image.DecompressionBombError as e:
        # Pillow refuses above twice its limit, inside Image.open, before `max_pixels` is seen.
        raise ImageError(_bomb_message(str(e), name, max_pixels)) from e
    except Image.UnidentifiedImageError as e:
        raise ImageError(f"{name}: not a recognised image file; {_HINT_FORMATS}") from e
    except MemoryError as e:
        raise ImageError(f"{name}: not enough memory to decode the image") from e
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError,
        # ValueError, EOFError, struct.error, IndexError, zlib.error … on malformed data.
        raise ImageError(f"{name}: truncated or corrupt image data ({type(e).__name__}: {e})") from e


def _bomb_message(pillow_message: str, name: str, max_pixels: int) -> str:
    """The refusal of an image Pillow would not open, in the words of `_check_pixels`."""
    found = re.search(r"\((\d+) pixels\)", pillow_message)
    declared = f"{int(found.group(1))} pixels" if found else "more pixels than Pillow opens"
    hard_limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
    if max_pixels < hard_limit:
        return (f"{name}: image declares {declared}, more than the limit of {max_pixels}; shrink it "
                "or raise the limit with --max-pixels (max_pixels= in Python)")
    return f"{name}: image declares {declared}, more than the limit of {hard_limit} that Pillow decodes; shrink it"


def _from_pil(im: Image.Image, name: str) -> np.ndarray:
    """Reduce a PIL image of any mode to uint8 (H, W) gray, EXIF orientation applied."""
    try:
        im = ImageOps.exif_transpose(im) or im
    except Exception:  # noqa: BLE001 - a broken EXIF block must not cost the pixels
        pass
    mode = im.mode
    if mode == "L":
        gray = np.asarray(im)
    elif mode == "1":
        gray = np.asarray(im.convert("L"))
    elif mode.startswith("I;16"):
        gray = _scale_sixteen_bit(np.asarray(im))
    elif mode in ("I", "F"):
        gray = _scale_by_range(np.asarray(im))
    elif mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
        gray = _from_array(np.asarray(im.convert("RGBA")), name, max_pixels=None)
    elif mode in ("RGB", "P", "CMYK", "YCbCr"):
        gray = np.asarray(im.convert("L"))
    else:  # LAB, HSV and other rare modes: through RGB
        try:
            gray = np.asarray(im.convert("RGB").convert("L"))
        except ValueError as e:
            raise ImageError(f"{name}: unsupported image mode {mode!r}; {_HINT_FORMATS}") from e
    return np.ascontiguousarray(gray, dtype=np.uint8)


def _from_png(pixels: np.ndarray, name: str) -> np.ndarray:
    """uint8 gray, RGB or RGBA pixels of a PNG → uint8 (H, W) gray, as ``_from_pil`` makes it."""
    if pixels.ndim == 2:
        return pixels
    if pixels.shape[2] == 3:
        return _pillow_luma(pixels)
    return _from_array(pixels, name, max_pixels=None)


def _pillow_luma(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) RGB → (H, W) gray exactly as Pillow's ``convert("L")``: ITU-R 601 weights
    in 16-bit fixed point, rounded (OpenCV's 14-bit weights differ by one on some colours)."""
    r, g, b = (rgb[:, :, i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def _from_array(a: np.ndarray, name: str, max_pixels: int | None) -> np.ndarray:
    """Validate an array and reduce it to uint8 (H, W) gray; see `load` for the rules."""
    if a.ndim not in (2, 3):
        raise ImageError(f"{name}: expected an (H, W) or (H, W, C) array, got shape {a.shape}")
    if a.ndim == 3 and a.shape[2] not in (1, 3, 4):
        raise ImageError(
            f"{name}: expected 1, 3 (RGB) or 4 (RGBA) channels, got shape {a.shape}"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError(f"{name}: empty image, shape {a.shape}")
    if max_pixels is not None and a.shape[0] * a.shape[1] > max_pixels:
        raise ImageError(
            f"{name}: array has {a.shape[0] * a.shape[1]} pixels, more than the limit of {max_pixels}"
        )
    if a.dtype.kind not in "biuf":  # bool, signed, unsigned, float (not m = timedelta)
        raise ImageError(f"{name}: unsupported array dtype {a.dtype}; give real numbers (uint8 ideally)")
    if a.ndim == 2 and a.dtype == np.uint8:
        return np.ascontiguousarray(a)  # the common case: nothing to do
    a = _to_uint8(a, name)
    if a.ndim == 2:
        return np.ascontiguousarray(a)
    if a.shape[2] == 1:
        return np.ascontiguousarray(a[:, :, 0])
    if a.shape[2] == 3:
        return _rgb_to_gray(a)
    return _composite(_rgb_to_gray(a[:, :, :3]), a[:, :, 3])


def _to_uint8(a: np.ndarray, name: str) -> np.ndarray:
    """Map bool / integer / float values of any range onto uint8 0..255."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if a.dtype.kind in "iu":
        hi = int(a.max())
        if hi > 65535:
            a = a.astype(np.float64) * (255.0 / hi)
        elif hi > 255:
            a = a.astype(np.float64) / 257.0
        else:
            return np.clip(a, 0, 255).astype(np.uint8)
        return np.rint(np.clip(a, 0.0, 255.0)).astype(np.uint8)
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ImageError(f"{name}: array contains NaN or infinite values")
    if a.max() <= 1.0:
        a = a * 255.0
    return np.rint(np.clip(a, 0.0, 255.0)).astype(np.uint8)


def _scale_sixteen_bit(a: np.ndarray) -> np.ndarray:
    """16-bit values 0..65535 → 8-bit 0..255 (65535 / 257 = 255 exactly)."""
    return np.rint(a.astype(np.float32) / 257.0).astype(np.uint8)


def _scale_by_range(a: np.ndarray) -> np.ndarray:
    """32-bit integer or float pixels: kept if already in 0..255, else stretched min..max → 0..255."""
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0.0 and hi <= 255.0:
        return np.rint(a).astype(np.uint8)
    span = hi - lo
    if span == 0.0:
        return np.zeros(a.shape, dtype=np.uint8)
    return np.rint((a - lo) * (255.0 / span)).astype(np.uint8)


def _rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) RGB → uint8 (H, W) luma (ITU-R 601, as Pillow's "L")."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Blend uint8 gray over a background that contrasts with its opaque pixels.

    White ink on a transparent background must stay visible, so the background is black
    when the (mostly) opaque pixels are mostly light, white otherwise.
    """
    opaque = alpha >= 128
    light_ink = opaque.any() and float(gray[opaque].mean()) > 127.5
    background = 0.0 if light_ink else 255.0
    weight = alpha.astype(np.float32) / 255.0
    out = gray.astype(np.float32) * weight + background * (1.0 - weight)
    return np.ascontiguousarray(np.rint(out).astype(np.uint8))
