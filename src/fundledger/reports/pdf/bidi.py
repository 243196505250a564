"""Text in the order a PDF draws it: lines broken in logical order, then each line reordered.

ReportLab draws glyphs left to right as given. For Hebrew and Arabic (and any mixed line) the
string handed to it must already be in visual order, with Arabic letters in their joined forms
and mirrored brackets; shared/design.md §3 records why ReportLab's own RTL support is not used.

The order of work matters: a paragraph is broken into lines in *logical* order (reordering a
whole paragraph first would put its lines in reverse order), each word is measured in the form
it is drawn, and only then is each line reordered by the Unicode Bidirectional Algorithm
(python-bidi, which resolves bracket pairs and isolates) and mirrored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from bidi import get_display

from fundledger.reports.pdf.shaping import shape

# Explicit directional formatting characters: they steer the algorithm but fonts draw them as
# boxes or marks, so they are removed once a line is in visual order.
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
LEFT_TO_RIGHT_ISOLATE = "\u2066"
POP_DIRECTIONAL_ISOLATE = "\u2069"

# Bidi_Mirroring_Glyph pairs of the characters a report can contain (Unicode BidiMirroring.txt).
_MIRRORED = dict(zip("()[]{}<>«»‹›⁅⁆⁽⁾₍₎≤≥", ")(][}{><»«›‹⁆⁅⁾⁽₎₍≥≤", strict=True))

_LEVELS_BLOCK = re.compile(r"levels:\s*\[(.*?)\]\s*,\s*paragraphs", re.DOTALL)
_LEVEL = re.compile(r"Level\(\s*(\d+)\s*,?\s*\)")

Measure = Callable[[str], float]


def isolate_ltr(text: str) -> str:
    """Text kept as one left-to-right unit inside a right-to-left line ("-250.00 ₪", not
    "₪ 250.00-"): wrapped in a left-to-right isolate, which is removed again when drawn."""
    return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def shaped(text: str) -> str:
    """Arabic letters in the joined presentation forms both embedded fonts have; marks they
    cannot draw removed; other text unchanged (see reports/pdf/shaping.py)."""
    # Imported here: fonts.py imports this module for BIDI_CONTROLS.
    from fundledger.reports.pdf.fonts import shared_coverage

    return shape(text, shared_coverage())


def embedding_levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of each character of one line (rules up to I2 of UAX #9).

    python-bidi reorders but does not mirror, and it reports levels only in its debug text
    (per UTF-8 byte); the tests of this module pin that format on the cases that matter."""
    report = str(get_display(text, base_dir="R" if rtl else "L", debug=True))
    block = _LEVELS_BLOCK.search(report)
    if block is None:
        raise RuntimeError("python-bidi changed its debug output; see reports/pdf/bidi.py")
    per_byte = [int(level) for level in _LEVEL.findall(block.group(1))]
    levels = []
    offset = 0
    for character in text:
        levels.append(per_byte[offset])
        offset += len(character.encode("utf-8"))
    if offset != len(per_byte):
        raise RuntimeError("python-bidi returned levels that do not match the text")
    return levels


# Layout asks for the same lines again and again (a table is measured before it is drawn, and
# a batch of receipts repeats its labels): each line is worked out once.
@lru_cache(maxsize=16384)
def visual_line(text: str, rtl: bool) -> str:
    """One line in drawing order: shaped, reordered (UAX #9 L1-L4), controls removed."""
    text = shaped(text)
    if not text:
        return text
    if rtl or any(unicodedata.bidirectional(character) in ("R", "AL") for character in text):
        base = 1 if rtl else 0
        levels = embedding_levels(text, rtl)
        # L1: whitespace and isolates at the end of the line go back to the paragraph level.
        index = len(text)
        while index > 0 and (text[index - 1].isspace() or text[index - 1] in BIDI_CONTROLS):
            index -= 1
            levels[index] = base
        characters = list(text)
        # L4 before L2 (it only depends on the level of each character).
        for position, level in enumerate(levels):
            if level % 2:
                characters[position] = _MIRRORED.get(characters[position], characters[position])
        # No L3 (marks kept after their base): ReportLab draws a mark with no advance at the
        # pen, and DejaVu Sans draws its Hebrew and Arabic marks to the right of the pen (its
        # Latin ones to the left), for renderers without mark positioning that set a
        # right-to-left run leftwards. So a reversed mark, just before its base, lands on it;
        # kept after, it would land on the next letter. tests/unit/test_shaping.py pins this.
        order = list(range(len(characters)))
        # L2: from the highest level down to the lowest odd one, reverse every run at or above.
        highest = max(levels)
        lowest_odd = min(level for level in levels if level % 2) if any(
            level % 2 for level in levels) else highest + 1  # fmt: skip
        for level in range(highest, lowest_odd - 1, -1):
            start = None
            for position in range(len(order) + 1):
                inside = position < len(order) and levels[order[position]] >= level
                if inside and start is None:
                    start = position
                elif not inside and start is not None:
                    order[start:position] = reversed(order[start:position])
                    start = None
        text = "".join(characters[position] for position in order)
    return "".join(character for character in text if character not in BIDI_CONTROLS)


def break_lines(text: str, width: float, measure: Measure, rtl: bool) -> list[str]:
    """Lines of `text` (logical order) no wider than `width` once drawn.

    Lines break at ASCII spaces and newlines only: Babel's no-break spaces keep an amount and
    its currency sign together. A single word wider than a line is cut between characters."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        current: list[str] = []
        current_width = 0.0
        for whole_word in paragraph.split(" "):
            word = whole_word
            word_width = measure(visual_line(word, rtl))
            added = word_width + (space if current else 0.0)
            if current and current_width + added > width:
                lines.append(" ".join(current))
                current, current_width = [], 0.0
                added = word_width
            if not current and word_width > width:
                pieces = _cut_word(word, width, measure, rtl)
                lines.extend(pieces[:-1])
                word = pieces[-1]
                added = measure(visual_line(word, rtl))
            current.append(word)
            current_width += added
        lines.append(" ".join(current))
    return lines


def _cut_word(word: str, width: float, measure: Measure, rtl: bool) -> list[str]:
    pieces: list[str] = []
    start = 0
    for end in range(1, len(word) + 1):
        if end - start > 1 and measure(visual_line(word[start:end], rtl)) > width:
            pieces.append(word[start : end - 1])
            start = end - 1
    pieces.append(word[start:])
    return pieces
