"""Right-to-left text as drawn: the tricky cases of shared/design.md §3.

Strings are compared in visual order, the order in which glyphs are drawn from left to right:
"(Thank you) הדות" is what a reader sees as "תודה (Thank you)" in a Hebrew document."""

from __future__ import annotations

import unicodedata

import pytest

from fundledger.reports.pdf.bidi import (
    BIDI_CONTROLS,
    break_lines,
    embedding_levels,
    isolate_ltr,
    shaped,
    visual_line,
)


@pytest.mark.parametrize(
    ("logical", "rtl", "drawn"),
    [
        # Brackets around Latin text take the direction of the Hebrew before them: mirrored.
        ("תודה (Thank you)", True, "(Thank you) הדות"),
        ("החזר (refund) 2024", True, "2024 (refund) רזחה"),
        ("abc (שלום) def", False, "abc (םולש) def"),
        ("abc (שלום) def", True, "def (םולש) abc"),
        ("[x] שלום", True, "םולש [x]"),
        # An amount isolated as one left-to-right unit reads as written...
        ("סך " + isolate_ltr("-250.00 ₪") + " נתרם", True, "םרתנ -250.00 ₪ ךס"),
        # ...and without the isolate the algorithm moves the sign: why amounts are isolated.
        ("-250.00 ₪", True, "₪ 250.00-"),
        ("Total: ₪800,000.00", False, "Total: ₪800,000.00"),
        ("Shira כהן", True, "ןהכ Shira"),
        ("", True, ""),
    ],
)
def test_lines_are_drawn_in_visual_order(logical: str, rtl: bool, drawn: str) -> None:
    assert visual_line(logical, rtl) == drawn


def test_markup_in_a_name_is_text() -> None:
    assert visual_line("Ali <b>Bold</b> & Co", rtl=True) == "Ali <b>Bold</b> & Co"


def test_bidi_controls_never_reach_the_font() -> None:
    text = "\u200f800,000.00\xa0\u200f₪ \u2067שלום\u2069 \u202bx\u202c \ufeff"
    drawn = visual_line(text, rtl=True)
    assert not set(drawn) & BIDI_CONTROLS
    # Babel's own marks put ₪ to the left of the number: hence `Reader.money` removes them and
    # isolates the amount instead (tests/unit/test_i18n.py).
    assert drawn == " x םולש ₪\xa0800,000.00"


def test_arabic_is_joined_and_reads_right_to_left() -> None:
    drawn = visual_line("شكرا لكم", rtl=True)
    # Every Arabic letter is in a contextual presentation form, none in its isolated base form.
    assert all(not "\u0600" <= character <= "\u06ff" for character in drawn)
    assert unicodedata.normalize("NFKC", drawn) == "مكل اركش"
    assert shaped("plain text") == "plain text"


def test_levels_are_read_per_character_not_per_byte() -> None:
    # Hebrew letters take two bytes in UTF-8 and ₪ three; the levels must still line up.
    assert embedding_levels("a\u05d0₪b", rtl=False) == [0, 1, 0, 0]
    assert embedding_levels("תודה (Thank you)", rtl=True) == [1] * 6 + [2] * 9 + [1]


def _width(text: str) -> float:
    return float(len(text))


def test_a_wrapped_hebrew_paragraph_keeps_its_lines_in_reading_order() -> None:
    text = "אחת שתיים שלוש ארבע חמש שש שבע"
    lines = break_lines(text, 12, _width, rtl=True)
    assert lines == ["אחת שתיים", "שלוש ארבע", "חמש שש שבע"]
    # Each line is reordered on its own: the first words of the paragraph are on line one,
    # at its right end.
    assert [visual_line(line, rtl=True) for line in lines] == [
        "םייתש תחא",
        "עברא שולש",
        "עבש שש שמח",
    ]


def test_a_line_never_breaks_inside_an_amount() -> None:
    amount = "800,000.00\xa0₪"
    lines = break_lines(f"גויסו {amount} עד היום", 14, _width, rtl=True)
    assert any(amount in line for line in lines)
    assert all(len(line) <= 14 for line in lines)


def test_a_word_wider_than_the_line_is_cut_between_characters() -> None:
    assert break_lines("donor-with-a-very-long-address@example.org", 10, _width, rtl=False) == [
        "donor-with",
        "-a-very-lo",
        "ng-address",
        "@example.o",
        "rg",
    ]


def test_newlines_start_new_lines() -> None:
    assert break_lines("one\ntwo three", 100, _width, rtl=False) == ["one", "two three"]
