"""Digit-strip OCR: read printed digit strings with OpenCV segmentation and a NumPy network.

>>> import ocr                                  # doctest: +SKIP
>>> reading = ocr.read("captcha.png")           # doctest: +SKIP
>>> reading.text, round(reading.confidence, 3)  # doctest: +SKIP
('40172', 0.998)

The public API is ``read``, ``read_many``, ``Reader``, ``Reading`` and ``Glyph``; they are imported on first
use so that ``import ocr`` (and the ``ocr`` command's start-up) stays fast.
"""

__version__ = "0.1.0"
__all__ = ["read", "read_many", "Reader", "Reading", "Glyph", "__version__"]


def __getattr__(name: str):
    if name in ("read", "Reader"):
        from ocr import reader

        return getattr(reader, name)
    if name == "read_many":
        from ocr import batch

        return batch.read_many
    if name in ("Reading", "Glyph"):
        from ocr import decode

        return getattr(decode, name)
    raise AttributeError(f"module 'ocr' has no attribute {name!r}")
