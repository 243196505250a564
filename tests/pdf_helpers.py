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
