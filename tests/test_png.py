"""Tests for ocr.png: the plain-PNG fast path gives Pillow's pixels, or steps aside."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ocr import image, png
from ocr.errors import ImageError
from tests.helpers import png_chunk


def _encode(pixels: np.ndarray, filters: list[int], *, extra: bytes = b"") -> bytes:
    """A PNG of uint8 (H, W[, C]) pixels whose row y is filtered with ``filters[y]`` (0-4)."""
    h, w = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[channels]
    rows = pixels.reshape(h, w * channels).astype(np.int32)
    out = bytearray()
    for y, kind in enumerate(filters):
        row, above = rows[y], rows[y - 1] if y else np.zeros_like(rows[y])
        left = np.concatenate((np.zeros(channels, np.int32), row[:-channels]))
        upper_left = np.concatenate((np.zeros(channels, np.int32), above[:-channels]))
        if kind == 0:
            filtered = row
        elif kind == 1:
            filtered = row - left
        elif kind == 2:
            filtered = row - above
        elif kind == 3:
            filtered = row - (left + above) // 2
        else:  # Paeth
            p = left + above - upper_left
            pa, pb, pc = abs(p - left), abs(p - above), abs(p - upper_left)
            predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, upper_left))
            filtered = row - predictor
        out.append(kind)
        out += (filtered % 256).astype(np.uint8).tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (png.SIGNATURE + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(bytes(out))) + png_chunk(b"IEND", b""))


def _pillow(data: bytes) -> np.ndarray:
    """What the Pillow path of ``image.load`` gives for these bytes."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return image._from_pil(im, "test")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(5)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("filters", [
    [2, 1, 1, 2, 2, 0, 1, 2, 0],  # Up first (nothing above), runs of Up, all mixed
    [1] * 9,  # every row Sub (OpenCV's way): one running sum over the whole image
    [1, 1, 2, 1, 1, 1, 2, 2, 1],  # Sub and Up only, no None
])
def test_rows_filtered_none_sub_and_up_decode_to_pillows_pixels(rng, channels, filters):
    shape = (9, 7) if channels == 1 else (9, 7, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    data = _encode(pixels, filters)

    decoded = png.decode(data, max_pixels=10**6)

    np.testing.assert_array_equal(decoded, pixels)
    gray = image.load(data)
    np.testing.assert_array_equal(gray, _pillow(data))
    assert gray.shape == (9, 7) and gray.dtype == np.uint8 and gray.flags.c_contiguous


def test_what_opencv_writes_takes_the_fast_path(rng):
    pixels = rng.integers(0, 256, (24, 100, 3), dtype=np.uint8)
    for written in (pixels[:, :, 0], pixels):
        ok, encoded = cv2.imencode(".png", written)
        data = encoded.tobytes()
        assert ok and png.decode(data, max_pixels=10**6) is not None
        np.testing.assert_array_equal(image.load(data), _pillow(data))


@pytest.mark.parametrize("filter_type", [3, 4])
def test_average_and_paeth_rows_are_left_to_pillow(rng, filter_type):
    pixels = rng.integers(0, 256, (6, 5), dtype=np.uint8)
    data = _encode(pixels, [1, filter_type, 0, 0, 0, 0])

    assert png.decode(data, max_pixels=10**6) is None
    np.testing.assert_array_equal(image.load(data), pixels)  # Pillow decodes it


def test_a_text_chunk_is_left_to_pillow(rng):
    """Text chunks may hold EXIF orientation, which Pillow applies."""
    pixels = rng.integers(0, 256, (4, 4), dtype=np.uint8)
    data = _encode(pixels, [0] * 4, extra=png_chunk(b"tEXt", b"Comment\x00hello"))

    assert png.decode(data, max_pixels=10**6) is None
    np.testing.assert_array_equal(image.load(data), pixels)


def _corrupt_crc(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[-20] ^= 0x55  # inside the IDAT chunk's data
    return bytes(damaged)


@pytest.mark.parametrize("damage", [
    _corrupt_crc,
    lambda data: data[:40],  # cut inside IDAT
])
def test_damaged_files_are_left_to_pillow_and_fail_there_cleanly(rng, damage):
    data = damage(_encode(rng.integers(0, 256, (8, 8), dtype=np.uint8), [1] * 8))

    assert png.decode(data, max_pixels=10**6) is None
    with pytest.raises(ImageError, match="^bad.png: "):
        image.load(data, name="bad.png")


@pytest.mark.parametrize("damage", [
    lambda data: data + b"trailing bytes",
    lambda data: data[:-12],  # no IEND chunk
])
def test_files_with_a_wrong_end_are_left_to_pillow(rng, damage):
    pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    data = damage(_encode(pixels, [1] * 8))

    assert png.decode(data, max_pixels=10**6) is None
    np.testing.assert_array_equal(image.load(data), pixels)


def test_a_stream_of_the_wrong_length_is_left_to_pillow():
    ihdr = struct.pack(">IIBBBBB", 10, 10, 8, 0, 0, 0, 0)
    short = (png.SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 50))
             + png_chunk(b"IEND", b""))
    assert png.decode(short, max_pixels=10**6) is None
    with pytest.raises(ImageError, match="truncated or corrupt"):
        image.load(short, name="short.png")


def test_an_image_above_the_pixel_limit_is_not_inflated(rng):
    data = _encode(rng.integers(0, 256, (10, 10), dtype=np.uint8), [0] * 10)
    assert png.decode(data, max_pixels=99) is None
    with pytest.raises(ImageError, match="more than the limit of 99"):
        image.load(data, name="big.png", max_pixels=99)


def test_sixteen_bit_and_palette_files_are_left_to_pillow():
    for mode, array in (("I;16", np.full((4, 4), 40000, np.uint16)), ("P", np.zeros((4, 4), np.uint8))):
        buffer = io.BytesIO()
        Image.fromarray(array).convert(mode).save(buffer, format="PNG")
        assert png.decode(buffer.getvalue(), max_pixels=10**6) is None


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    channels=st.sampled_from([1, 3, 4]),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_any_plain_file_decodes_to_its_pixels_and_others_step_aside(shape, channels, seed, data):
    pixels = np.random.default_rng(seed).integers(0, 256, shape if channels == 1 else (*shape, channels), np.uint8)
    filters = data.draw(st.lists(st.integers(0, 4), min_size=shape[0], max_size=shape[0]))
    encoded = _encode(pixels, filters)

    decoded = png.decode(encoded, max_pixels=10**6)

    if max(filters) <= 2:
        np.testing.assert_array_equal(decoded, pixels)
    else:
        assert decoded is None
    np.testing.assert_array_equal(image.load(encoded), _pillow(encoded))
