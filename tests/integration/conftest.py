"""Fixtures shared by the integration tests."""

from __future__ import annotations

from typing import Any

import pytest
from reportlab.pdfbase.ttfonts import TTFont


@pytest.fixture
def drawn_strings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (font, text) ReportLab is asked to draw with an embedded font."""
    drawn: list[tuple[str, str]] = []
    original = TTFont.splitString

    def spy(self: TTFont, text: str, doc: Any, encoding: str = "utf-8") -> Any:
        drawn.append((self.fontName, text))
        return original(self, text, doc, encoding)

    monkeypatch.setattr(TTFont, "splitString", spy)
    return drawn
