"""Reading PDFs back in tests: their text, and the characters they drew without a glyph."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

from fundledger.reports.pdf.fonts import covered


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The text of a PDF as pdftotext reads it (laid out as on the page, or with `layout`
    False in reading order), NFKC-normalised (Arabic presentation forms back to letters)."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed by the tests"
    options = ["-layout"] if layout else []
    result = subprocess.run([pdftotext, *options, str(path), "-"], capture_output=True,
                            text=True, check=True)  # fmt: skip
    return unicodedata.normalize("NFKC", result.stdout)


def missing_glyphs(drawn_strings: list[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """(font, character, name) of every character drawn that its font has no glyph for."""
    return {
        (font, character, unicodedata.name(character, hex(ord(character))))
        for font, text in drawn_strings
        for character in text
        if ord(character) not in covered(font)
    }


def text_of(path: Path) -> str:
    """The text of a PDF in reading order."""
    return pdf_text(path, layout=False)


def page_fills(path: Path, *, dpi: int = 40) -> list[float]:
    """How full each page is, from 0 to 1: from the top margin down to the lowest mark drawn
    above the footer (text, a rule, a bar, a shaded row), over the height between the margins.
    Read from the pages as drawn (pdftoppm), so charts and table shading count like text."""
    from fundledger.reports.pdf import style

    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed by the tests"
    result = subprocess.run([pdftoppm, "-gray", "-r", str(dpi), str(path)], capture_output=True,
                            check=True)  # fmt: skip
    scale = dpi / 72
    top = style.MARGIN_TOP * scale
    bottom = (style.PAGE_SIZE[1] - style.MARGIN_BOTTOM) * scale
    fills = []
    for width, height, pixels in _pgm_pages(result.stdout):
        lowest = None
        for row in range(min(height, int(bottom) + 1) - 1, int(top) - 1, -1):
            line = pixels[row * width : (row + 1) * width]
            if min(line) < 235:  # anything darker than a near-white page
                lowest = row + 1
                break
        fills.append(0.0 if lowest is None else min((lowest - top) / (bottom - top), 1.0))
    return fills


def _pgm_pages(data: bytes) -> list[tuple[int, int, bytes]]:
    """The pages of pdftoppm's binary greyscale output (P5 images one after another)."""
    pages = []
    position = 0
    while position < len(data):
        fields: list[bytes] = []
        while len(fields) < 4:
            while data[position : position + 1].isspace():
                position += 1
            end = position
            while not data[end : end + 1].isspace():
                end += 1
            fields.append(data[position:end])
            position = end
        position += 1  # the single whitespace after the maximum value
        assert fields[0] == b"P5", fields[0]
        width, height = int(fields[1]), int(fields[2])
        pages.append((width, height, data[position : position + width * height]))
        position += width * height
    return pages
