"""Reading PDFs back in tests: their text, and the characters they drew without a glyph."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pypdfium2

from fundledger.reports.pdf.fonts import covered
from tests.system_tools import require_tool


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The text of a PDF as pdftotext reads it (laid out as on the page, or with `layout`
    False in reading order), NFKC-normalised (Arabic presentation forms back to letters)."""
    # pdftotext, not PDFium: tests rely on its reading order of right-to-left runs and on its
    # layout mode (PDFium's text put 19 of the PDF tests wrong when measured).
    pdftotext = require_tool("pdftotext")
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
    Read from the pages as drawn (by PDFium), so charts and table shading count like text."""
    from fundledger.reports.pdf import style

    document = pypdfium2.PdfDocument(path)
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                  for page in document]  # fmt: skip
    finally:
        document.close()
    scale = dpi / 72
    top = style.MARGIN_TOP * scale
    bottom = (style.PAGE_SIZE[1] - style.MARGIN_BOTTOM) * scale
    fills = []
    for image in images:
        width, height = image.size
        pixels = image.tobytes()
        lowest = None
        for row in range(min(height, int(bottom) + 1) - 1, int(top) - 1, -1):
            line = pixels[row * width : (row + 1) * width]
            if min(line) < 235:  # anything darker than a near-white page
                lowest = row + 1
                break
        fills.append(0.0 if lowest is None else min((lowest - top) / (bottom - top), 1.0))
    return fills
