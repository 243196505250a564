"""Flowables that draw text in visual order, so Hebrew and Arabic read right to left, and the
tables and bars built from them, mirrored for RTL documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from reportlab.platypus import Flowable, FrameBreak, KeepTogether, Table, TableStyle

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

    def least_width(self) -> float:
        """The narrowest this text can be set without breaking inside a word (lines break at
        ASCII spaces only, so a date or an amount joined by no-break spaces is one word); a
        one-line text (a figure) is never broken at all."""
        if self.text_style.one_line:
            return self.natural_width()
        words = self.text.replace("\n", " ").split(" ")
        return max((self._measure(visual_line(word, self.rtl)) for word in words), default=0.0)

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


EMPTY_CELLS = frozenset({"", "–"})  # a column holding only these says nothing: it is left out
KEPT_ROWS = 3  # a table never splits with fewer body rows than this on either side of a break
MIN_TEXT_COLUMN = 40  # points: a text column squeezed by a long word keeps at least this
SHORT_TABLE = 0.4  # a table no taller than this share of a page moves to the next one whole


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

    Each column is as wide as its content needs (`_column_widths`); a column whose cells are
    all empty or "–" is left out. Split over pages, the table repeats its header and never
    leaves fewer than `KEPT_ROWS` rows (with the total) on either side of the break."""
    if rows:
        kept = [
            column
            for column in range(len(header))
            if any(row[column].strip() not in EMPTY_CELLS for row in rows)
            or (total is not None and total[column].strip() not in EMPTY_CELLS)
        ]
        if len(kept) < len(header):
            header = [header[column] for column in kept]
            rows = [[row[column] for column in kept] for row in rows]
            numeric = [numeric[column] for column in kept]
            total = [total[column] for column in kept] if total is not None else None

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
        # No page holds the header with one lonely row, nor one row and the total: the first
        # and the last KEPT_ROWS rows go with the header and the total.
        ("NOSPLIT", (0, 0), (-1, min(KEPT_ROWS, len(data) - 1))),
        ("NOSPLIT", (0, max(len(data) - KEPT_ROWS - (1 if total is not None else 0), 1)),
         (-1, -1)),
    ]  # fmt: skip
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
    """Column widths from the content, as a browser lays out an automatic table: each column
    gets at least its widest unbreakable word or figure; when every cell fits on one line the
    text columns take the slack; otherwise the text columns share what is left in proportion
    to how much more they would need to set every cell on one line. A figure (a numeric
    column) is never broken: its column is as wide as the widest."""
    padding = 2 * style.TABLE_PADDING + 1
    columns = range(len(rows[0]))
    natural = [max(row[column].natural_width() for row in rows) + padding for column in columns]
    least = [
        natural[column] if numeric[column]
        else max(row[column].least_width() for row in rows) + padding
        for column in columns
    ]  # fmt: skip
    if sum(natural) <= width:
        widening = [column for column in columns if not numeric[column]] or list(columns)
        weight = sum(natural[column] for column in widening)
        return [
            found + (width - sum(natural)) * found / weight if column in widening else found
            for column, found in enumerate(natural)
        ]
    if sum(least) <= width:
        wanted = [more - fewest for more, fewest in zip(natural, least, strict=True)]
        room = width - sum(least)
        return [
            fewest + room * want / sum(wanted) for fewest, want in zip(least, wanted, strict=True)
        ]
    # Not even the words fit (a name of 200 letters without a space): the figures keep their
    # widths if they can and the text columns share the rest, their words cut; else all
    # shrink alike, the figures set smaller, rather than the table running off the page.
    figures = sum(found for found, is_number in zip(natural, numeric, strict=True) if is_number)
    words = sum(fewest for fewest, is_number in zip(least, numeric, strict=True) if not is_number)
    if figures + MIN_TEXT_COLUMN * numeric.count(False) <= width and words:
        share = (width - figures) / words
        return [
            found if is_number else fewest * share
            for found, fewest, is_number in zip(natural, least, numeric, strict=True)
        ]
    return [fewest * width / sum(least) for fewest in least]


class Section(KeepTogether):
    """A heading kept with the table under it. A short table (at most `SHORT_TABLE` of a page)
    moves to the next page whole when it does not fit; a longer one starts on this page if its
    heading, header and first rows fit here, and runs on over the pages after."""

    def __init__(self, lines: Sequence[Flowable], table: Table, frame_height: float) -> None:
        super().__init__([*lines, table])
        self.lines = list(lines)
        self.table = table
        self.frame_height = frame_height

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803 (ReportLab's names)
        # The frame has taken the first line's space before from `aH` already.
        lines = sum(line.wrap(aW, aH)[1] + line.getSpaceBefore() + line.getSpaceAfter()
                    for line in self.lines) - self.lines[0].getSpaceBefore()  # fmt: skip
        table_height = self.table.wrap(aW, self.frame_height)[1]
        # The row heights are known once the table is wrapped (ReportLab keeps them private).
        rows: list[float] = cast(Any, self.table)._rowHeights
        whole = lines + table_height
        needed = whole if whole <= SHORT_TABLE * self.frame_height else (
            lines + sum(rows[: KEPT_ROWS + 1]))  # fmt: skip
        frame = getattr(self, "_frame", None)
        at_top = bool(getattr(frame, "_atTop", False))
        if needed <= aH or at_top:
            return [*self.lines, self.table]
        return [FrameBreak(), *self.lines, self.table]


class AtFoot(Flowable):
    """Flowables set at the foot of the page, with the space left above them: the part of a
    receipt the donor cuts off. Left out when the page has no room for them, so the page
    stays one page."""

    def __init__(self, flowables: Sequence[Flowable]) -> None:
        super().__init__()
        self.flowables = list(flowables)
        self.heights: list[float] = []
        self.needed = 0.0
        self.fits = True

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.heights = [flowable.wrap(available_width, available_height)[1]
                        for flowable in self.flowables]  # fmt: skip
        needed = sum(self.heights) + sum(
            flowable.getSpaceBefore() + flowable.getSpaceAfter() for flowable in self.flowables
        )
        self.fits = needed <= available_height
        self.width = available_width
        self.height = available_height if self.fits else 0
        self.needed = needed
        return self.width, self.height

    def draw(self) -> None:
        if not self.fits:
            return
        top = self.needed
        for flowable, height in zip(self.flowables, self.heights, strict=True):
            top -= flowable.getSpaceBefore() + height
            flowable.drawOn(self.canv, 0, top)
            top -= flowable.getSpaceAfter()


class CutLine(Flowable):
    """A dashed line across the page with scissors at its start edge: cut here."""

    def __init__(self, rtl: bool) -> None:
        super().__init__()
        register_fonts()
        self.rtl = rtl

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = available_width, style.CUT_LINE_HEIGHT
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        middle = self.height / 2
        size = style.CUT_LINE_HEIGHT
        scissors = "\u2704"  # WHITE SCISSORS: DejaVu Sans draws it
        room = text_width(scissors, style.FOOTER.font, size) + 4
        canvas.saveState()
        canvas.setStrokeColor(style.MUTED)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 2.5)
        start, end = (0.0, self.width - room) if self.rtl else (room, self.width)
        canvas.line(start, middle, end, middle)
        canvas.setFillColor(style.MUTED)
        canvas.setFont(style.FOOTER.font, size)
        if self.rtl:
            # Pointing along the line, toward the start of the cut on the left.
            canvas.drawRightString(self.width, middle - size * 0.35, scissors)
        else:
            canvas.drawString(0, middle - size * 0.35, scissors)
        canvas.restoreState()
