"""Font discovery: the fonts the generator can draw digits with, found without a network.

Three sources come with a plain ``pip install``: matplotlib's bundled TTFs, the PyPI font
packages (``font_*/files/*.ttf|*.otf`` on ``sys.path``) and OpenCV's Hershey stroke fonts.
System font folders and user folders are optional extras. Every outline font is validated
once (all ten digits render as non-empty, mutually different bitmaps), so symbol, icon and
broken fonts never reach the renderer.

>>> fonts = discover()
>>> train, held_out = split_held_out(fonts)
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageFont

from ocr.errors import InputError

__all__ = [
    "Font",
    "HELD_OUT_FAMILIES",
    "bundled_fonts",
    "system_fonts",
    "fonts_in",
    "discover",
    "split_held_out",
    "load_font",
    "is_usable",
]

HELD_OUT_FAMILIES: tuple[str, ...] = ("Roboto", "Source Serif Pro", "Hanken Grotesk")
"""Families the shipped model never trains on; accuracy on them measures generalization."""

FONT_SUFFIXES = (".ttf", ".otf")

# matplotlib fonts without normal digits: size variants of STIX symbols, TeX math
# extension/symbol fonts, cmmi10 (old-style figures) and the last-resort glyph font.
_SKIPPED_STEMS = re.compile(r"^(STIXSiz.*|cmex10|cmsy10|cmmi10|LastResort.*)$", re.IGNORECASE)

_FAMILY_ALIASES = {
    "STIXGeneral": "STIX",
    "STIXNonUnicode": "STIX",
    "DejaVu Sans Display": "DejaVu Sans",
    "DejaVu Serif Display": "DejaVu Serif",
}

# Weight and style words that some fonts put into their family name ("Lato Light").
_STYLE_WORDS = re.compile(
    r"(\s+(Thin|Hairline|ExtraLight|UltraLight|Light|Book|Regular|Medium|SemiBold|DemiBold|"
    r"Bold|ExtraBold|UltraBold|Black|Heavy|Italic|Oblique|It))+$",
    re.IGNORECASE,
)

_HERSHEY_FACES = (
    ("Simplex", cv2.FONT_HERSHEY_SIMPLEX),
    ("Plain", cv2.FONT_HERSHEY_PLAIN),
    ("Duplex", cv2.FONT_HERSHEY_DUPLEX),
    ("Complex", cv2.FONT_HERSHEY_COMPLEX),
    ("Triplex", cv2.FONT_HERSHEY_TRIPLEX),
    ("Complex Small", cv2.FONT_HERSHEY_COMPLEX_SMALL),
)


@dataclass(frozen=True)
class Font:
    """One typeface the renderer can use.

    Attributes:
        name: Unique human name, e.g. ``"Roboto Bold Italic"`` or ``"Hershey Simplex"``.
        family: Family shared by all weights and styles, e.g. ``"Roboto"``; used for hold-outs.
        source: One of ``"matplotlib"``, ``"pypi"``, ``"hershey"``, ``"system"``, ``"user"``.
        path: Path of the TTF/OTF file, or None for a Hershey font.
        hershey: OpenCV font face (possibly or-ed with ``cv2.FONT_ITALIC``), or None.
        footless: Draw the "1" without its foot (the bar it stands on), as Helvetica and
            Roboto do; a variant of a font whose "1" has one (``synth.render.footless_variants``).
        long_flag: Draw the "1" with a longer flag (``synth.render.long_flag_variants``).
    """

    name: str
    family: str
    source: str
    path: str | None = None
    hershey: int | None = None
    footless: bool = False
    long_flag: bool = False


@functools.lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Load the outline font at `path` at a pixel `size` (cached per (path, size))."""
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=None)
def is_usable(path: str) -> bool:
    """Whether the font at `path` draws ``0``-``9`` as non-empty, mutually different glyphs.

    Unreadable files, icon fonts and fonts that map digits to ``.notdef`` return False;
    the answer is cached per path.
    """
    try:
        font = load_font(path, 32)
        bitmaps = []
        for digit in "0123456789":
            mask = font.getmask(digit, mode="L")
            width, height = mask.size
            if width == 0 or height == 0:
                return False
            bitmap = np.asarray(mask, dtype=np.uint8).reshape(height, width)
            if int(bitmap.max()) < 128:
                return False
            bitmaps.append(bitmap)
    except Exception:  # any FreeType or file error means "not usable", never a crash
        return False
    keys = {(b.shape, b.tobytes()) for b in bitmaps}
    return len(keys) == len(bitmaps)


def _family_of(raw_family: str, stem: str) -> str:
    """Normalise a font's family name so all weights and styles share one string."""
    if re.fullmatch(r"cm[a-z]{1,3}\d+", stem):
        return "Computer Modern"
    family = _FAMILY_ALIASES.get(raw_family, raw_family)
    family = _STYLE_WORDS.sub("", family).strip()
    return _FAMILY_ALIASES.get(family, family) or stem


def _outline_font(path: Path, source: str) -> Font | None:
    """Describe the font file at `path`, or None if it is skipped or unusable."""
    if _SKIPPED_STEMS.match(path.stem) or not is_usable(str(path)):
        return None
    raw_family, style = load_font(str(path), 32).getname()
    raw_family = raw_family or path.stem
    family = _family_of(raw_family, path.stem)
    style = (style or "Regular").strip()
    name = raw_family if style in ("Regular", "Book", "Roman") else f"{raw_family} {style}"
    return Font(name=name, family=family, source=source, path=str(path))


def _preference(path: Path) -> tuple[bool, bool, str]:
    """Sort key preferring static TTFs over variable fonts and OTF duplicates."""
    return ("variable" in path.stem.lower(), path.suffix.lower() != ".ttf", str(path))


def _fonts_from_files(paths: Iterable[Path], source: str) -> list[Font]:
    """Validated fonts for `paths`, one per name, sorted by (family, name)."""
    by_name: dict[str, Font] = {}
    for path in sorted(set(paths), key=_preference):
        font = _outline_font(path, source)
        if font is not None and font.name not in by_name:
            by_name[font.name] = font
    return sorted(by_name.values(), key=lambda f: (f.family, f.name))


def _font_files(directory: Path, *, recursive: bool) -> list[Path]:
    """TTF/OTF files in `directory` (and below it if `recursive`)."""
    pattern = "**/*" if recursive else "*"
    return [p for p in directory.glob(pattern) if p.suffix.lower() in FONT_SUFFIXES and p.is_file()]


def _matplotlib_fonts() -> list[Font]:
    import matplotlib

    directory = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return _fonts_from_files(_font_files(directory, recursive=False), "matplotlib")


def _pypi_fonts() -> list[Font]:
    paths = []
    for entry in dict.fromkeys(sys.path):
        root = Path(entry or ".")
        if root.is_dir():
            paths += [p for p in root.glob("font_*/files/*") if p.suffix.lower() in FONT_SUFFIXES]
    return _fonts_from_files((p.resolve() for p in paths), "pypi")


def _hershey_fonts() -> list[Font]:
    fonts = []
    for label, face in _HERSHEY_FACES:
        fonts.append(Font(name=f"Hershey {label}", family="Hershey", source="hershey", hershey=face))
        fonts.append(
            Font(
                name=f"Hershey {label} Italic",
                family="Hershey",
                source="hershey",
                hershey=face | cv2.FONT_ITALIC,
            )
        )
    return sorted(fonts, key=lambda f: f.name)


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[Font, ...]:
    fonts = _matplotlib_fonts() + _pypi_fonts() + _hershey_fonts()
    return tuple(sorted(fonts, key=lambda f: (f.family, f.name)))


def bundled_fonts() -> list[Font]:
    """Fonts a plain pip install brings: matplotlib TTFs, PyPI font packages, Hershey.

    Returns:
        Validated fonts sorted by (family, name); the same list on every machine with
        the same package versions.
    """
    return list(_bundled())


def _system_font_dirs() -> list[Path]:
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".fonts",
        home / ".local/share/fonts",
        Path("/System/Library/Fonts"),
        Path("/Library/Fonts"),
        home / "Library/Fonts",
    ]
    windir = os.environ.get("WINDIR")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    return [d for d in dirs if d.is_dir()]


def system_fonts() -> list[Font]:
    """Validated fonts in the usual system font folders that exist (source ``"system"``)."""
    paths = [p for d in _system_font_dirs() for p in _font_files(d, recursive=True)]
    return _fonts_from_files(paths, "system")


def fonts_in(directory: str | Path) -> list[Font]:
    """Validated fonts in `directory` and its subfolders (source ``"user"``).

    Raises:
        InputError: `directory` does not exist or holds no usable font.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(f"font folder not found: {folder}")
    fonts = _fonts_from_files(_font_files(folder, recursive=True), "user")
    if not fonts:
        raise InputError(f"no usable TTF/OTF font (with all ten digits) in {folder}")
    return fonts


def discover(*, system: bool = False, dirs: Sequence[str | Path] = ()) -> list[Font]:
    """Bundled fonts, plus system fonts if `system`, plus the fonts in each of `dirs`.

    A font whose name is already present is skipped, so the first source wins.

    Raises:
        InputError: one of `dirs` is missing or holds no usable font.
    """
    fonts = bundled_fonts()
    extra = system_fonts() if system else []
    for directory in dirs:
        extra += fonts_in(directory)
    names = {f.name for f in fonts}
    for font in extra:
        if font.name not in names:
            names.add(font.name)
            fonts.append(font)
    return fonts


def split_held_out(
    fonts: Sequence[Font], held_out: Sequence[str] = HELD_OUT_FAMILIES
) -> tuple[list[Font], list[Font]]:
    """Split `fonts` into (train, held_out) by family name."""
    names = set(held_out)
    train = [f for f in fonts if f.family not in names]
    test = [f for f in fonts if f.family in names]
    return train, test
