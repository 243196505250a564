"""Arabic shaping limited to the embedded fonts (reports/pdf/shaping.py): الله is never the
ligature U+FDF2 while the fonts lack it, lam-alef still ligates, letters without forms stay
drawable, marks the fonts lack are dropped, and a mark is drawn just before its base."""

from __future__ import annotations

import struct
import unicodedata

import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from fundledger.reports.pdf.bidi import shaped, visual_line
from fundledger.reports.pdf.fonts import BOLD, REGULAR, covered, font_path, shared_coverage
from fundledger.reports.pdf.shaping import enabled_ligatures, letter_forms, shape


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize("name", ["عبد الله", "عبدالله", "الله", "فتح الله", "نصر الله"])
def test_allah_is_four_joined_letters_while_the_fonts_lack_its_ligature(name: str) -> None:
    assert 0xFDF2 not in shared_coverage()
    drawn = shaped(name)
    assert "\ufdf2" not in drawn
    assert all(ord(character) in shared_coverage() for character in drawn)
    assert nfkc(drawn) == name
    # Alef isolated (or final), lam initial, lam medial, heh final.
    assert drawn.endswith("\ufe8d\ufedf\ufee0\ufeea") or drawn.endswith("\ufe8e\ufedf\ufee0\ufeea")


def test_a_font_with_the_allah_ligature_would_get_it() -> None:
    assert shape("عبد الله", shared_coverage() | {0xFDF2}).endswith("\ufdf2")


def test_lam_alef_still_ligates() -> None:
    assert enabled_ligatures(shared_coverage()) == [
        "ARABIC LIGATURE LAM WITH ALEF",
        "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA ABOVE",
        "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA BELOW",
        "ARABIC LIGATURE LAM WITH ALEF WITH MADDA ABOVE",
    ]
    assert shaped("لا لأ لإ لآ") == "\ufefb \ufef7 \ufef9 \ufef5"
    assert shaped("علاء") == "\ufecb\ufefc\ufe80"


def test_both_fonts_are_consulted() -> None:
    assert shared_coverage() == covered(REGULAR) & covered(BOLD)


def test_a_letter_whose_forms_a_font_lacks_is_drawn_unjoined() -> None:
    beh = "\u0628"
    # A font with beh's isolated and final forms only: it joins from the right, never onwards.
    coverage = frozenset({ord(beh), 0xFE8F, 0xFE90, *range(0xFEE1, 0xFEE5)})
    assert letter_forms(coverage)[beh] == ("\ufe8f", "", "", "\ufe90")
    assert shape("بم", coverage) == "\ufe8f\ufee1"  # beh isolated, meem isolated
    assert shape("مب", coverage) == "\ufee3\ufe90"  # meem initial, beh final


def test_letters_with_no_glyph_at_all_are_left_for_the_caller_to_report() -> None:
    # YEH BARREE and HEH GOAL (Urdu): DejaVu Sans has neither the letters nor their forms.
    drawn = shaped("عائشہ ے")
    assert "\u06c1" in drawn
    assert "\u06d2" in drawn
    assert 0x06D2 not in shared_coverage()


def test_harakat_and_niqqud_are_kept_and_undrawable_marks_dropped() -> None:
    assert nfkc(shaped("مُحَمَّد")) == nfkc("مُحَمَّد")
    assert nfkc(shaped("שָׁלוֹם")) == nfkc("שָׁלוֹם")
    # Quranic small high signs and Hebrew cantillation: no glyph, dropped, the letters stay.
    assert shaped("محمد\u06d6") == shaped("محمد")
    assert shaped("בְּרֵאשִׁ֖ית") == shaped("בְּרֵאשִׁית")


def test_pointed_hebrew_letters_are_drawn_precomposed() -> None:
    # Yod with hiriq, shin with dagesh and shin dot: the point sits on the letter.
    assert shaped("\u05d9\u05b4") == "\ufb1d"
    assert shaped("\u05e9\u05bc\u05c1\u05b8") == "\ufb2c\u05b8"
    assert shaped("בּ") == "\ufb31"


def test_tatweel_joins_its_neighbours() -> None:
    drawn = shaped("محمـــد")
    assert drawn == "\ufee3\ufea4\ufee4\u0640\u0640\u0640\ufeaa"


def test_zwnj_separates_and_is_kept() -> None:
    drawn = shaped("می\u200cخواهم")
    assert "\u200c" in drawn
    assert drawn.index("\u200c") == 2
    assert drawn[1] == "\ufbfd"  # farsi yeh final: it does not join across the ZWNJ
    assert all(ord(character) in shared_coverage() for character in drawn)


def test_a_mark_is_drawn_just_before_its_base_in_visual_order() -> None:
    # ReportLab draws a mark with no advance at the pen, and DejaVu Sans puts its Hebrew and
    # Arabic marks to the right of the pen: just before its base, it lands on the base.
    line = visual_line("עִם", rtl=True)
    assert line == "ם\u05b4ע"
    line = visual_line("بَ", rtl=False)
    assert line == "\u064e\ufe8f"


def _glyph_centres(name: str, characters: str) -> dict[str, float]:
    """The horizontal centre of each character's glyph outline, in font units."""
    font = TTFontFile(str(font_path(name)))
    data = font_path(name).read_bytes()
    loca, glyf = font.get_table_pos("loca")[0], font.get_table_pos("glyf")[0]
    long_offsets = struct.unpack(">h", font.get_table("head")[50:52])[0] == 1
    centres = {}
    for character in characters:
        glyph = font.charToGlyph[ord(character)]
        if long_offsets:
            start = struct.unpack(">I", data[loca + 4 * glyph : loca + 4 * glyph + 4])[0]
        else:
            start = 2 * struct.unpack(">H", data[loca + 2 * glyph : loca + 2 * glyph + 2])[0]
        x_min, _, x_max, _ = struct.unpack(">hhhh", data[glyf + start + 2 : glyf + start + 10])
        centres[character] = (x_min + x_max) / 2
    return centres


@pytest.mark.parametrize("name", [REGULAR, BOLD])
def test_the_fonts_draw_rtl_marks_right_of_the_pen_and_latin_marks_left(name: str) -> None:
    rtl_marks = "\u064b\u064e\u064f\u0650\u0651\u0652\u0670\u05b0\u05b4\u05b7\u05b8\u05bc"
    for mark, centre in _glyph_centres(name, rtl_marks).items():
        assert centre > 0, unicodedata.name(mark)
    for mark, centre in _glyph_centres(name, "\u0301\u0308").items():
        assert centre < 0, unicodedata.name(mark)
