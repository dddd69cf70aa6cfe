"""Tests for ocr.image: every source kind, every mode, and every bad input as one ImageError."""

from __future__ import annotations

import io
import os
import pathlib
import re
import struct
import threading
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from ocr import image
from ocr.errors import ImageError, OcrError
from tests.helpers import Decoded, encode, forbid_decoding, png_chunk




def _png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header claiming width × height 8-bit gray pixels, tiny data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def gray() -> np.ndarray:
    """uint8 (20, 30): white with a black bar on the left half's middle."""
    a = np.full((20, 30), 255, np.uint8)
    a[5:15, 3:12] = 0
    return a


# --- arrays ---------------------------------------------------------------------------


def test_uint8_gray_array_is_returned_without_copy(gray):
    out = image.load(gray)
    assert out is gray or np.shares_memory(out, gray)
    assert out.dtype == np.uint8 and out.flags.c_contiguous


def test_non_contiguous_array_becomes_contiguous(gray):
    out = image.load(gray[:, ::2])
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, gray[:, ::2])


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.array([[False, True]]), [[0, 255]]),
        (np.array([[0.0, 0.5, 1.0]]), [[0, 128, 255]]),
        (np.array([[-5.0, 100.4, 300.0]]), [[0, 100, 255]]),
        (np.array([[0, 257, 65535]], np.uint16), [[0, 1, 255]]),
        (np.array([[0, 200]], np.int64), [[0, 200]]),
        (np.array([[-3, 70000]], np.int32), [[0, 255]]),
        (np.array([[1, 2]], np.float16), [[1, 2]]),  # max > 1: taken as 0..255
    ],
)
def test_array_dtypes_map_onto_0_255(array, expected):
    np.testing.assert_array_equal(image.load(array), np.array(expected, np.uint8))


def test_rgb_array_gives_luma():
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0] = (255, 255, 255)
    rgb[1] = (255, 0, 0)
    out = image.load(rgb)
    assert out.shape == (2, 3)
    assert out[0].tolist() == [255, 255, 255]
    assert 70 <= out[1, 0] <= 80  # 0.299 × 255


def test_single_channel_array_is_squeezed(gray):
    np.testing.assert_array_equal(image.load(gray[:, :, None]), gray)


@pytest.mark.parametrize("ink", [255, 0])
def test_rgba_glyph_on_transparent_stays_visible(ink):
    rgba = np.zeros((20, 20, 4), np.uint8)  # fully transparent everywhere …
    rgba[5:15, 8:12] = (ink, ink, ink, 255)  # … but an opaque bar
    out = image.load(rgba)
    bar, background = int(out[10, 10]), int(out[0, 0])
    assert abs(bar - background) == 255


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(5, np.uint8),
        np.zeros((2, 2, 2, 2), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((0, 5), np.uint8),
        np.zeros((5, 0, 3), np.uint8),
        np.zeros((3, 3), np.complex64),
        np.full((3, 3), None, object),
        np.array([[0.0, np.nan]]),
        np.array([[0.0, np.inf]]),
        np.array([["a", "b"]]),
    ],
    ids=["1d", "4d", "2ch", "empty-h", "empty-w", "complex", "object", "nan", "inf", "str"],
)
def test_bad_arrays_raise_image_error_naming_the_source(bad):
    with pytest.raises(ImageError, match=r"^<array>: "):
        image.load(bad)
    with pytest.raises(ImageError, match=r"^strip\.npy: "):
        image.load(bad, name="strip.npy")


def test_array_above_max_pixels_is_refused(gray):
    with pytest.raises(ImageError, match="limit"):
        image.load(gray, max_pixels=100)


_DTYPES = st.one_of(
    hnp.scalar_dtypes(),
    st.sampled_from([np.dtype(object), np.dtype("U3"), np.dtype("complex128")]),
)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(dtype=_DTYPES, shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
def test_any_array_gives_gray_uint8_or_image_error(array):
    try:
        out = image.load(array)
    except OcrError as e:
        assert isinstance(e, ImageError) and str(e).startswith("<array>: ")
        assert "\n" not in str(e)
    else:
        assert out.dtype == np.uint8 and out.ndim == 2 and out.flags.c_contiguous
        assert out.shape == array.shape[:2]


# --- encoded files ---------------------------------------------------------------------


def test_png_bytes_path_pathlib_and_pil_agree(tmp_path, gray):
    data = encode(Image.fromarray(gray), "PNG")
    path = tmp_path / "strip.png"
    path.write_bytes(data)
    for source in (data, bytearray(data), memoryview(data), str(path), path, Image.fromarray(gray)):
        np.testing.assert_array_equal(image.load(source), gray)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "GIF", "WEBP"])
def test_lossless_formats_round_trip(fmt, gray):
    params = {"lossless": True} if fmt == "WEBP" else {}
    np.testing.assert_array_equal(image.load(encode(Image.fromarray(gray), fmt, **params)), gray)


def test_jpeg_is_close(gray):
    out = image.load(encode(Image.fromarray(gray), "JPEG", quality=95))
    assert np.abs(out.astype(int) - gray).mean() < 4


def test_sixteen_bit_png_is_scaled_by_257():
    a = np.array([[0, 257 * 100, 65535]], np.uint16)
    out = image.load(encode(Image.fromarray(a), "PNG"))
    assert out.tolist() == [[0, 100, 255]]


def test_float_tiff_outside_0_255_is_stretched():
    f = np.array([[-1000.0, 0.0, 1000.0]], np.float32)
    out = image.load(encode(Image.fromarray(f, mode="F"), "TIFF"))
    assert out.tolist() == [[0, 128, 255]]


def test_bilevel_and_cmyk(gray):
    bilevel = Image.fromarray(gray).convert("1")
    np.testing.assert_array_equal(image.load(encode(bilevel, "PNG")), gray)
    cmyk = Image.fromarray(gray).convert("CMYK")
    assert np.abs(image.load(encode(cmyk, "TIFF")).astype(int) - gray).max() <= 2


def test_palette_gif_gives_gray(gray):
    rgb = np.stack([gray, np.zeros_like(gray), 255 - gray], axis=2)  # magenta on blue
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    out = image.load(encode(palette, "GIF"))
    expected = image.load(rgb)
    assert np.abs(out.astype(int) - expected).max() <= 2


def test_animated_gif_gives_first_frame(gray):
    frames = [Image.fromarray(gray), Image.fromarray(255 - gray)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    np.testing.assert_array_equal(image.load(data), gray)


def test_la_png_white_on_transparent_stays_visible():
    la = np.zeros((10, 10, 2), np.uint8)
    la[2:8, 4:6] = (255, 255)
    out = image.load(encode(Image.fromarray(la, mode="LA"), "PNG"))
    assert out[5, 5] == 255 and out[0, 0] == 0


def test_exif_orientation_is_applied(gray):
    im = Image.fromarray(gray)  # (20, 30): the dark bar is in the left part
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = image.load(encode(im, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.shape == (30, 20)
    np.testing.assert_allclose(out, np.rot90(gray, k=-1), atol=40)


# --- bad files: one ImageError each, naming the source ---------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(ImageError, match=r"nope\.png: no such file"):
        image.load(path)


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="is a directory"):
        image.load(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied(tmp_path, gray):
    path = tmp_path / "locked.png"
    path.write_bytes(encode(Image.fromarray(gray), "PNG"))
    path.chmod(0)
    with pytest.raises(ImageError, match="permission denied"):
        image.load(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    # Opening a pipe that nobody writes to blocks forever unless the reader refuses it first.
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    outcome = []

    def load():
        try:
            image.load(path)
        except ImageError as e:
            outcome.append(str(e))

    reader = threading.Thread(target=load, daemon=True)  # a blocked open must not hang the tests
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "opening the pipe blocked"
    assert outcome and re.match(r".*pipe\.png: not a regular file", outcome[0])


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_device_is_refused():
    with pytest.raises(ImageError, match=r"^/dev/zero: not a regular file"):
        image.load("/dev/zero")


def test_file_is_read_whole_and_refused_when_larger_than_the_limit(tmp_path, gray):
    data = encode(Image.fromarray(gray), "PNG")
    path = tmp_path / "strip.png"
    path.write_bytes(data)
    assert image._read_file(str(path), "strip.png", len(data)) == data
    with pytest.raises(ImageError, match=f"strip.png: file is {len(data)} bytes, more than the limit of {len(data) - 1}"):
        image._read_file(str(path), "strip.png", len(data) - 1)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(ImageError, match=r"^.*empty\.png: empty file \(0 bytes\)$"):
        image.load(path)
    with pytest.raises(ImageError, match=r"^<bytes>: empty"):
        image.load(b"")


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels\n")
    with pytest.raises(ImageError, match=r"notes\.png: not a recognised image file"):
        image.load(path)


def test_truncated_png(tmp_path, gray):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut\.png: truncated or corrupt") as info:
        image.load(path)
    assert info.value.__cause__ is not None


def test_file_above_max_bytes(tmp_path, gray):
    path = tmp_path / "big.png"
    path.write_bytes(encode(Image.fromarray(gray), "PNG"))
    with pytest.raises(ImageError, match="limit of 10 bytes"):
        image.load(path, max_bytes=10)
    with pytest.raises(ImageError, match="limit of 10 bytes"):
        image.load(path.read_bytes(), max_bytes=10)


def test_huge_declared_png_is_refused_before_decoding(monkeypatch):
    data = _png_declaring(50_000, 50_000)
    assert len(data) < 100
    forbid_decoding(monkeypatch)
    with pytest.raises(ImageError, match=r"^bomb\.png: image declares 2500000000 pixels, more than the limit"):
        image.load(data, name="bomb.png")


def test_forbid_decoding_does_catch_a_decode(monkeypatch):
    """The guard of the test above bites: an image under the limit is decoded, so it raises."""
    data = _png_declaring(50_000, 50_000)
    forbid_decoding(monkeypatch)
    with pytest.raises(Decoded):
        image.load(data, name="bomb.png", max_pixels=50_000 * 50_000)


def test_declared_pixels_above_max_pixels_are_refused(gray):
    with pytest.raises(ImageError, match=r"^<bytes>: image declares 30×20 = 600 pixels"):
        image.load(encode(Image.fromarray(gray), "PNG"), max_pixels=599)
    with pytest.raises(ImageError, match="600 pixels"):
        image.load(Image.fromarray(gray), max_pixels=599)


def test_unsupported_source_type():
    with pytest.raises(ImageError, match="cannot load a int"):
        image.load(42)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff"]))
def test_any_bytes_give_an_image_or_image_error(tail, head):
    try:
        out = image.load(head + tail)
    except OcrError as e:
        assert isinstance(e, ImageError) and str(e).startswith("<bytes>: ")
    else:
        assert out.dtype == np.uint8 and out.ndim == 2


def test_pathlike_subclass_accepted(tmp_path, gray):
    path = pathlib.PurePath(tmp_path / "x.bmp")
    Image.fromarray(gray).save(str(path))
    assert image.load(path).shape == gray.shape
