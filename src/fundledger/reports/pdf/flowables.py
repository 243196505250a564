"""Flowables that draw text in visual order, so Hebrew and Arabic read right to left, and the
tables and bars built from them, mirrored for RTL documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from reportlab.platypus import Flowable, Table, TableStyle

from fundledger.reports.pdf import style
from fundledger.reports.pdf.bidi import break_lines, visual_line
from fundledger.reports.pdf.fonts import drawable, register_fonts, text_width
from fundledger.reports.pdf.style import TextStyle


class BidiParagraph(Flowable):
    """A paragraph of plain text (never markup: a donor's name prints as written).

    Lines are broken in logical order and each is drawn in visual order, aligned to the start
    of the line in the document's direction (the right edge for Hebrew and Arabic)."""

    def __init__(self, text: str, text_style: TextStyle, rtl: bool) -> None:
        super().__init__()
        register_fonts()
        self.text = text
        self.text_style = text_style
        self.rtl = rtl
        self.lines: list[str] = []
        self.undrawable: set[str] = set()  # characters the font lacks, drawn as U+FFFD
        self.fitted: TextStyle | None = None  # the style as drawn (a one-line text may shrink)
        self.spaceBefore = text_style.space_before
        self.spaceAfter = text_style.space_after

    def _measure(self, text: str) -> float:
        return text_width(text, self.text_style.font, self.text_style.size)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        fitted = self.text_style
        if fitted.one_line:
            # A figure is never broken: a long one is set smaller (down to half size) instead.
            natural = self.natural_width()
            scale = max(min(1.0, available_width / natural) if natural else 1.0, 0.5)
            fitted = replace(fitted, size=fitted.size * scale, leading=fitted.leading * scale)
            logical = self.text.split("\n")
        else:
            logical = break_lines(self.text, available_width, self._measure, self.rtl)
        self.fitted = fitted
        self.lines = [self._drawable(visual_line(line, self.rtl)) for line in logical]
        self.width = available_width
        self.height = len(self.lines) * fitted.leading
        return self.width, self.height

    def _drawable(self, line: str) -> str:
        drawn, missing = drawable(line, self.text_style.font)
        self.undrawable |= missing
        return drawn

    def natural_width(self) -> float:
        """The width of the longest line when nothing is wrapped."""
        return max((self._measure(visual_line(line, self.rtl)) for line in self.text.split("\n")),
                   default=0.0)  # fmt: skip

    def draw(self) -> None:
        text_style = self.fitted or self.text_style
        canvas = self.canv
        canvas.setFont(text_style.font, text_style.size)
        canvas.setFillColor(text_style.color)
        # The baseline sits a descent above the bottom of each line's box.
        descent = (text_style.leading - text_style.size) / 2 + text_style.size * 0.22
        for number, line in enumerate(self.lines):
            y = self.height - (number + 1) * text_style.leading + descent
            edge = _edge(text_style.align, self.rtl)
            if edge == "left":
                canvas.drawString(0, y, line)
            elif edge == "right":
                canvas.drawRightString(self.width, y, line)
            else:
                canvas.drawCentredString(self.width / 2, y, line)


def _edge(align: str, rtl: bool) -> str:
    if align == "center":
        return "center"
    start = "right" if rtl else "left"
    end = "left" if rtl else "right"
    return start if align == "start" else end


class ProgressBar(Flowable):
    """A bar filled to `fraction` (capped at 1), filling from the start edge."""

    def __init__(self, fraction: float, rtl: bool, height: float = style.PROGRESS_HEIGHT) -> None:
        super().__init__()
        self.fraction = max(0.0, min(1.0, fraction))
        self.rtl = rtl
        self.bar_height = height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = self.bar_height
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        radius = self.height / 2
        canvas.setFillColor(style.ACCENT_LIGHT)
        canvas.roundRect(0, 0, self.width, self.height, radius, stroke=0, fill=1)
        filled = self.width * self.fraction
        if filled > 0:
            canvas.setFillColor(style.ACCENT)
            x = self.width - filled if self.rtl else 0
            canvas.roundRect(x, 0, filled, self.height, min(radius, filled / 2), stroke=0, fill=1)


def mirrored(row: Sequence[Any], rtl: bool) -> list[Any]:
    """A row (or column widths) in drawing order: the first column on the right in RTL."""
    return list(reversed(row)) if rtl else list(row)


Paragraphs = Callable[[str, TextStyle], BidiParagraph]


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: float,
    paragraph: Paragraphs,
    rtl: bool,
    *,
    numeric: Sequence[bool],
    total: Sequence[str] | None = None,
) -> Table:
    """A table of text cells with a header row, numbers aligned at the end, an optional
    total row, and its columns mirrored for RTL documents.

    A numeric column is as wide as its widest figure (an amount is never broken across
    lines); the text columns share what is left."""

    def cells(texts: Sequence[str], head: bool = False, bold: bool = False) -> list[Any]:
        made = []
        for text, is_number in zip(texts, numeric, strict=True):
            if head:
                chosen = style.CELL_HEAD_NUMBER if is_number else style.CELL_HEAD
            elif bold:
                chosen = style.CELL_TOTAL_NUMBER if is_number else style.CELL_TOTAL
            else:
                chosen = style.CELL_NUMBER if is_number else style.CELL
            made.append(paragraph(text, chosen))
        return made

    logical = [cells(header, head=True), *(cells(row) for row in rows)]
    if total is not None:
        logical.append(cells(total, bold=True))
    widths = _column_widths(logical, numeric, width)
    data = [mirrored(row, rtl) for row in logical]
    table = Table(data, colWidths=mirrored(widths, rtl), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), style.TABLE_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), style.TABLE_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, style.INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, style.RULE),
    ]
    if total is not None:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, style.INK))
    for row in range(1, len(data) - (1 if total is not None else 0)):
        if row % 2 == 0:
            commands.append(("BACKGROUND", (0, row), (-1, row), style.PANEL))
    table.setStyle(TableStyle(commands))
    return table


def _column_widths(
    rows: Sequence[Sequence[BidiParagraph]], numeric: Sequence[bool], width: float
) -> list[float]:
    padding = 2 * style.TABLE_PADDING
    widths: list[float | None] = []
    for column, is_number in enumerate(numeric):
        if is_number:
            widest = max(row[column].natural_width() for row in rows)
            widths.append(widest + padding + 1)
        else:
            widths.append(None)
    fixed = sum(found for found in widths if found is not None)
    flexible = [index for index, found in enumerate(widths) if found is None]
    if not flexible:
        # All numbers: spread the slack evenly so the table fills its width.
        slack = max(width - fixed, 0) / len(widths)
        return [found + slack for found in widths if found is not None]
    share = max(width - fixed, 0) / len(flexible)
    return [found if found is not None else share for found in widths]
