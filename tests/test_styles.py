"""Style presets: every style renders, boxes match text, style-specific looks hold."""

import csv
import json

import cv2
import numpy as np
import pytest

from synth import styles
from synth.dataset import read_labels, write_dataset
from synth.fonts import bundled_fonts
from synth.render import render_strip
from synth.styles import DIGIT_STYLES, STYLES, Sample, make_sample, pick_font


@pytest.fixture(scope="module")
def fonts():
    return bundled_fonts()


def _inside(sample):
    h, w = sample.image.shape[:2]
    return all(0 <= x and 0 <= y and x + bw <= w and y + bh <= h for x, y, bw, bh in sample.boxes)


@pytest.mark.parametrize("style", DIGIT_STYLES + ("mixed",))
def test_every_style_makes_valid_samples(style, fonts, rng):
    for _ in range(8):
        sample = make_sample(style, rng, fonts, length=(3, 6))
        assert isinstance(sample, Sample) and sample.image.dtype == np.uint8
        assert sample.image.ndim == 2 or sample.image.shape[2] == 3
        assert sample.text.isdigit() and len(sample.boxes) == len(sample.text)
        assert sample.style in DIGIT_STYLES and sample.font
        assert _inside(sample)
        if sample.style != "classic":
            assert 3 <= len(sample.text) <= 6
        xs = [x for x, _, _, _ in sample.boxes]
        assert xs == sorted(xs)


def test_unknown_style_lists_the_valid_ones(fonts, rng):
    with pytest.raises(ValueError, match="plain.*classic"):
        make_sample("fancy", rng, fonts)


def test_style_kinds_and_sizes(fonts, rng):
    assert make_sample("captcha", rng, fonts).image.ndim == 3
    assert make_sample("plate", rng, fonts).image.ndim == 3
    assert make_sample("field", rng, fonts).image.ndim == 2
    classic = make_sample("classic", rng, fonts, length=(8, 8), height=40)
    assert classic.image.shape == (24, 100) and len(classic.text) == 5


def test_height_sets_the_digit_height(fonts, rng):
    for style in ("plain", "field", "plate"):
        sample = make_sample(style, rng, fonts, height=30)
        assert 24 <= max(h for _, _, _, h in sample.boxes) <= 36


def test_plain_shows_both_polarities_and_good_contrast(fonts, rng):
    light_on_dark = 0
    for _ in range(50):
        image = make_sample("plain", rng, fonts).image
        background = np.median(np.concatenate([image[0], image[-1]]))
        light_on_dark += background < 128
        assert image.max() - image.min() >= 100
    assert 3 <= light_on_dark <= 25


def test_plate_has_border_and_margin(fonts, rng):
    for _ in range(10):
        sample = make_sample("plate", rng, fonts)
        gray = sample.image.mean(axis=2)
        size = max(h for _, _, _, h in sample.boxes)
        top = min(y for _, y, _, _ in sample.boxes)
        left = min(x for x, _, _, _ in sample.boxes)
        # the column left of the first digit: plate, then a dark border, then the surround
        row = gray[sample.boxes[0][1] + sample.boxes[0][3] // 2, :left][::-1]
        dark = np.flatnonzero(row < 80)
        assert dark.size and dark[0] >= 0.3 * size - 1
        col = gray[:top, sample.boxes[0][0] + sample.boxes[0][2] // 2][::-1]
        assert np.flatnonzero(col < 80)[0] >= 0.3 * size - 1


def test_field_line_keeps_three_pixels_from_digits(fonts, rng):
    for _ in range(10):
        sample = make_sample("field", rng, fonts)
        bottom = max(y + h for _, y, _, h in sample.boxes)
        x, _, w, _ = sample.boxes[0]
        below = sample.image[bottom : bottom + 3, x : x + w]
        # No rule within 3 px under the digits: a rule darkens a whole row, while a digit's
        # own anti-aliased fringe (coverage < 0.5, outside its box) darkens a few pixels.
        assert (below < 150).mean(axis=1).max() < 0.5


def test_pick_font_is_uniform_over_families(fonts):
    rng = np.random.default_rng(0)
    families = sorted({f.family for f in fonts})
    counts = {f: 0 for f in families}
    for _ in range(3000):
        counts[pick_font(rng, fonts).family] += 1
    expected = 3000 / len(families)
    assert all(0.6 * expected < c < 1.4 * expected for c in counts.values())


def _same(a, b):
    return np.array_equal(a.image, b.image) and (a.text, a.boxes, a.font) == (b.text, b.boxes, b.font)


@pytest.mark.parametrize("style", ["touching", "nodigit", "captcha", "field"])
def test_new_and_changed_styles_are_deterministic_for_a_seed(style, fonts):
    for seed in range(4):
        a = make_sample(style, np.random.default_rng(seed), fonts)
        b = make_sample(style, np.random.default_rng(seed), fonts)
        assert _same(a, b)
    assert not _same(make_sample(style, np.random.default_rng(0), fonts),
                     make_sample(style, np.random.default_rng(1), fonts))


def test_mixed_draws_digit_styles_only(fonts):
    drawn = {make_sample("mixed", np.random.default_rng(seed), fonts).style for seed in range(80)}
    assert "nodigit" not in drawn and "nodigit" not in DIGIT_STYLES
    assert drawn == set(DIGIT_STYLES)  # touching included
    assert set(STYLES) == set(DIGIT_STYLES) | {"nodigit"}


def _components_per_digit(sample):
    """How many digits share an ink component with a neighbour: (n_joined, n_digits)."""
    gray = sample.image
    background = np.median(np.concatenate([gray[0], gray[-1]]))
    ink = (np.abs(gray.astype(float) - background) > 60).astype(np.uint8)
    _, labels = cv2.connectedComponents(ink, connectivity=8)
    owners = []
    for x, y, w, h in sample.boxes:
        inside = labels[y : y + h, x : x + w]
        owners.append(np.bincount(inside[inside > 0]).argmax())
    return sum(owners.count(o) for o in set(owners) if owners.count(o) > 1), len(owners)


def test_touching_digits_overlap_and_join_but_stay_in_order(fonts):
    strips_with_join = 0
    for seed in range(20):
        sample = make_sample("touching", np.random.default_rng(seed), fonts, length=(4, 8))
        assert _inside(sample) and len(sample.boxes) == len(sample.text)
        pairs = list(zip(sample.boxes, sample.boxes[1:]))
        # the boxes of some neighbours overlap or meet, but a box never hides more than 35%
        # (+1 px of rounding) of the narrower neighbour, and the order stays left to right
        assert any(b[0] <= a[0] + a[2] for a, b in pairs)
        for a, b in pairs:
            assert a[0] < b[0]
            assert a[0] + a[2] - b[0] <= 0.35 * min(a[2], b[2]) + 1
        joined, n = _components_per_digit(sample)
        strips_with_join += joined >= 2
    assert strips_with_join >= 15  # connected components hold 2+ digits in most strips


def test_nodigit_has_no_text_no_boxes_and_varied_images(fonts):
    kinds = set()
    for seed in range(40):
        sample = make_sample("nodigit", np.random.default_rng(seed), fonts, length=(7, 7))
        assert sample.text == "" and sample.boxes == () and sample.style == "nodigit"
        assert sample.image.dtype == np.uint8 and min(sample.image.shape[:2]) >= 16
        kinds.add((sample.image.ndim, bool(sample.font)))
    assert kinds == {(2, False), (2, True), (3, False), (3, True)}  # gray and colour, with and without text
    assert make_sample("nodigit", np.random.default_rng(0), fonts, text="").text == ""
    with pytest.raises(ValueError, match="no digits"):
        make_sample("nodigit", np.random.default_rng(0), fonts, text="12")
    with pytest.raises(ValueError, match="digits"):
        make_sample("plain", np.random.default_rng(0), fonts, text="")


def test_nodigit_words_hold_no_digit_lookalikes():
    lookalikes = set("0123456789OoDQIlijZzSsbGBgq|!?%")
    rng = np.random.default_rng(0)
    words = [styles._random_words(rng) for _ in range(200)] + list(styles._WORDS)
    assert all(not lookalikes & set(word) and word.strip() for word in words)


def test_nodigit_rows_round_trip_through_a_dataset(tmp_path, fonts):
    out = write_dataset(tmp_path, n=3, style="nodigit", seed=0, fonts=fonts)
    assert read_labels(out) == [(f"{i:06d}.png", "") for i in range(3)]
    with open(out / "labels.csv", newline="") as handle:
        assert list(csv.reader(handle))[1] == ["000000.png", ""]
    records = [json.loads(line) for line in (out / "boxes.jsonl").read_text().splitlines()]
    assert [(r["text"], r["boxes"], r["style"]) for r in records] == [("", [], "nodigit")] * 3


def test_field_labels_are_drawn_but_not_read(fonts):
    labelled = 0
    for seed in range(30):
        sample = make_sample("field", np.random.default_rng(seed), fonts, text="4711")
        assert sample.text == "4711" and len(sample.boxes) == 4 and _inside(sample)
        x, y, _, h = sample.boxes[0]
        # left of the first digit a field has at most a rule (<= 2 px) and a stray edge pixel;
        # a printed label ("No.", "Ref:", ...) adds several dark columns that no box holds
        dark_columns = (sample.image[y : y + h, :x] < 128).any(axis=0).sum()
        labelled += dark_columns > 4
    assert 4 <= labelled <= 24  # about 40% carry a label


def test_comb_cells_keep_their_rules_off_the_digits(fonts):
    font = next(f for f in fonts if f.name == "DejaVu Sans")
    strip = render_strip("40718", font, size=20, spacing=1.0, margin=0)
    crops, local = styles._glyph_columns(strip)
    blanks = [np.zeros_like(c) for c in crops]
    for seed in range(4):
        look = dict(gap=3, line=2, fill=255, ink=0, rule=180)
        image, boxes = styles._comb(crops, local, np.random.default_rng(seed), **look)
        empty, _ = styles._comb(blanks, (), np.random.default_rng(seed), **look)
        rules = empty != 255  # the same cells without digits: only the rules are drawn
        assert rules.any() and np.array_equal(image[rules], empty[rules])
        assert len(boxes) == 5 and [b[0] for b in boxes] == sorted(b[0] for b in boxes)
        for x, y, w, h in boxes:
            assert not rules[y - 2 : y + h + 2, x - 2 : x + w + 2].any()  # >= 2 px of clear cell
        # one cell per digit: the dark pixels (coverage >= 0.5) all lie in the boxes
        dark = image < 128
        inside = np.zeros_like(dark)
        for x, y, w, h in boxes:
            inside[y : y + h, x : x + w] = True
        assert dark[inside].sum() >= 0.99 * dark.sum()


@pytest.mark.parametrize("style", ["field", "touching", "captcha", "plate"])
def test_boxes_are_plain_ints_that_json_can_write(style, fonts):
    for seed in range(40):
        sample = make_sample(style, np.random.default_rng([2032, seed]), fonts)
        assert all(type(v) is int for box in sample.boxes for v in box)


@pytest.mark.parametrize("make", [lambda rng, fonts: styles.crowded_captcha(rng, fonts, length=(3, 6)),
                                  lambda rng, fonts: styles.warped_captcha(rng, fonts, length=(3, 6)),
                                  lambda rng, fonts: styles.warped_captcha(rng, fonts, length=(3, 6), strokes=1.0),
                                  lambda rng, fonts: styles.fitted_captcha(rng, fonts, length=(3, 6)),
                                  lambda rng, fonts: styles.stroke_strip(rng, length=(3, 6))],
                         ids=["crowded_captcha", "warped_captcha", "warped_stroke_digits", "fitted_captcha",
                              "stroke_strip"])
def test_sequence_training_extras_are_valid_and_seeded(make, fonts):
    for seed in range(6):
        a, b = make(np.random.default_rng(seed), fonts), make(np.random.default_rng(seed), fonts)
        assert np.array_equal(a.image, b.image) and a.text == b.text
        assert a.text.isdigit() and 3 <= len(a.text) <= 6 and len(a.boxes) == len(a.text)
        assert a.image.dtype == np.uint8 and _inside(a)
        gray = a.image if a.image.ndim == 2 else cv2.cvtColor(a.image, cv2.COLOR_RGB2GRAY)
        # the digits are drawn: every box holds contrast against the image's median paper
        paper = float(np.median(gray))
        assert all(np.abs(gray[y:y + h, x:x + w].astype(float) - paper).max() > 60 for x, y, w, h in a.boxes)


def test_warped_glyph_is_identity_without_distortion_and_varies_with_it(fonts):
    font = next(f for f in fonts if f.family == "DejaVu Sans")
    eight = styles._text_ink("8", font, size=40)
    rows, cols = np.nonzero(eight >= 0.5)
    tight = eight[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    same = styles._warped_glyph(eight, np.random.default_rng(0), rotate=0.0, squeeze=(1.0, 1.0), skew=0.0)
    assert same.shape == tight.shape and np.abs(same - tight).max() < 0.05
    shapes = {styles._warped_glyph(eight, np.random.default_rng(seed), rotate=25.0, squeeze=(0.7, 1.2),
                                   skew=0.08).shape for seed in range(12)}
    aspects = [w / h for h, w in shapes]
    assert len(shapes) >= 10 and max(aspects) / min(aspects) > 1.3  # each glyph distorted its own way


def test_warped_captchas_draw_stroke_digits_in_the_share_asked(fonts):
    def drawn(share):
        return [styles.warped_captcha(np.random.default_rng(seed), fonts, strokes=share).font == "strokes"
                for seed in range(20)]

    assert not any(drawn(0.0)) and all(drawn(1.0))
    assert 3 <= sum(drawn(0.5)) <= 17


def test_squeezed_warped_captchas_stay_wide_enough_for_the_sequence_network(fonts):
    from ocr import binarize, sequence

    for seed in range(60):
        sample = styles.warped_captcha(np.random.default_rng(seed), fonts, length=(8, 9), strokes=0.35)
        gray = sample.image if sample.image.ndim == 2 else cv2.cvtColor(sample.image, cv2.COLOR_RGB2GRAY)
        columns = sequence.strip_input(gray, light_ink=not binarize.is_dark_on_light(gray)).shape[1] // sequence.STRIDE
        assert columns >= 2 * len(sample.text), (seed, columns, sample.text)


def test_fitted_captchas_fill_a_canvas_of_fixed_shape_so_long_texts_come_out_narrow(fonts):
    from ocr import binarize, sequence

    aspects = {}
    for length in (3, 8):
        for seed in range(30):
            sample = styles.fitted_captcha(np.random.default_rng(seed), fonts, length=(length, length))
            h, w = sample.image.shape[:2]
            assert w / h <= 3.4 + 2 / h, (seed, w, h)  # squeezed into the canvas, never wider
            gray = cv2.cvtColor(sample.image, cv2.COLOR_RGB2GRAY)
            columns = sequence.strip_input(gray, light_ink=not binarize.is_dark_on_light(gray)).shape[1] // sequence.STRIDE
            assert columns >= 2 * len(sample.text), (seed, columns, sample.text)
            aspects.setdefault(length, []).append(np.median([bw / bh for _, _, bw, bh in sample.boxes]))
    assert np.median(aspects[8]) < 0.8 * np.median(aspects[3])  # eight digits share the canvas three fill
