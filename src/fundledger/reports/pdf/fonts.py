"""The fonts a PDF embeds. ReportLab has no glyph fallback (a missing glyph silently vanishes,
digits included), so one family must cover Latin, Hebrew, Arabic and every currency sign drawn:
DejaVu Sans does, and ships here with its licence (fonts/LICENSE)."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from fundledger.reports.pdf.bidi import BIDI_CONTROLS

REGULAR = "FundledgerSans"
BOLD = "FundledgerSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


def font_path(name: str) -> Path:
    return Path(str(files("fundledger.reports.pdf") / "fonts" / _FILES[name]))


@cache
def register_fonts() -> None:
    """Registers the family with ReportLab once per process."""
    for name in _FILES:
        pdfmetrics.registerFont(TTFont(name, str(font_path(name))))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR,
                                  boldItalic=BOLD)  # fmt: skip


@cache
def covered(name: str) -> frozenset[int]:
    """The code points font `name` has a glyph for."""
    register_fonts()
    font = pdfmetrics.getFont(name)
    if not isinstance(font, TTFont):
        raise TypeError(f"{name} is not an embedded TrueType font")
    return frozenset(font.face.charToGlyph)


@cache
def shared_coverage() -> frozenset[int]:
    """The code points both the regular and the bold font have: text is shaped once for
    either, so it only uses forms both can draw."""
    return covered(REGULAR) & covered(BOLD)


def text_width(text: str, name: str, size: float) -> float:
    register_fonts()
    return float(pdfmetrics.stringWidth(text, name, size))


REPLACEMENT = "\ufffd"


def drawable(text: str, name: str) -> tuple[str, set[str]]:
    """`text` with each character font `name` cannot draw replaced by U+FFFD (which it can),
    and the set of those characters: a glyph that would silently vanish becomes a visible
    mark, and the caller reports it. Bidi controls are never drawn (the line is reordered by
    them, then they are dropped), so they are not missing; nor are control characters (an
    escape code or a bell in a name recorded before they were refused): they are not
    letters, and a page shows nothing for them."""
    have = covered(name)
    unseen = {c for c in text if ord(c) not in have and unicodedata.category(c) == "Cc"}
    if unseen:
        text = "".join(character for character in text if character not in unseen)
    missing = {c for c in text if ord(c) not in have and c not in BIDI_CONTROLS}
    if not missing:
        return text, missing
    return "".join(
        REPLACEMENT if character in missing else character for character in text
    ), missing
