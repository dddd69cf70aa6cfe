"""Font discovery: bundled sources, family names, validation, hold-outs, user folders."""

import shutil

import pytest

from ocr.errors import InputError
from synth.fonts import (
    HELD_OUT_FAMILIES,
    Font,
    bundled_fonts,
    discover,
    fonts_in,
    is_usable,
    split_held_out,
)


@pytest.fixture(scope="module")
def fonts():
    return bundled_fonts()


def test_bundled_fonts_cover_held_out_and_training_families(fonts):
    families = {f.family for f in fonts}
    assert set(HELD_OUT_FAMILIES) <= families
    assert len(families - set(HELD_OUT_FAMILIES) - {"Hershey"}) >= 5
    assert {"DejaVu Sans", "STIX", "Computer Modern", "Lato", "Hershey"} <= families


def test_bundled_fonts_are_sorted_unique_and_from_known_sources(fonts):
    assert fonts == sorted(fonts, key=lambda f: (f.family, f.name))
    assert len({f.name for f in fonts}) == len(fonts)
    assert {f.source for f in fonts} == {"matplotlib", "pypi", "hershey"}
    for font in fonts:
        assert (font.path is None) == (font.hershey is not None)


def test_weights_share_one_family(fonts):
    roboto = [f for f in fonts if f.name.startswith("Roboto")]
    assert len(roboto) >= 6
    assert {f.family for f in roboto} == {"Roboto"}
    assert {f.family for f in fonts if f.name.startswith("STIXGeneral")} == {"STIX"}


def test_symbol_and_old_style_fonts_are_skipped(fonts):
    stems = {f.path.rsplit("/", 1)[-1] for f in fonts if f.path}
    assert not {"cmex10.ttf", "cmsy10.ttf", "cmmi10.ttf", "LastResortHE-Regular.ttf"} & stems
    assert not any(s.startswith("STIXSiz") for s in stems)


def test_hershey_faces_include_italics(fonts):
    hershey = [f for f in fonts if f.source == "hershey"]
    assert len(hershey) == 12
    assert sum("Italic" in f.name for f in hershey) == 6


def test_non_font_file_is_not_usable(tmp_path):
    junk = tmp_path / "broken.ttf"
    junk.write_bytes(b"not a font at all")
    assert not is_usable(str(junk))


def test_split_held_out_partitions_by_family(fonts):
    train, held = split_held_out(fonts)
    assert len(train) + len(held) == len(fonts)
    assert {f.family for f in held} == set(HELD_OUT_FAMILIES)
    assert not {f.family for f in train} & set(HELD_OUT_FAMILIES)


def test_fonts_in_reads_a_user_folder(tmp_path, fonts):
    source = next(f for f in fonts if f.name == "Lato")
    shutil.copy(source.path, tmp_path / "MyLato.ttf")
    (tmp_path / "notes.ttf").write_bytes(b"junk")
    found = fonts_in(tmp_path)
    assert [(f.name, f.family, f.source) for f in found] == [("Lato", "Lato", "user")]


def test_fonts_in_missing_or_empty_folder_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        fonts_in(tmp_path / "nope")
    with pytest.raises(InputError, match=str(tmp_path)):
        fonts_in(tmp_path)


def test_discover_adds_user_fonts_without_duplicates(tmp_path, fonts):
    lato = next(f for f in fonts if f.name == "Lato")
    shutil.copy(lato.path, tmp_path / "copy.ttf")
    assert discover(dirs=[tmp_path]) == fonts  # same name: the bundled one wins


def test_font_is_frozen():
    font = Font(name="x", family="x", source="user", path="/x.ttf")
    with pytest.raises(AttributeError):
        font.name = "y"
