"""How the PDFs look: page geometry, type sizes, colours. Layout code takes every measure from
here, so a designer changes the look in one place."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from fundledger.reports.pdf.fonts import BOLD, REGULAR

PAGE_SIZE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 20 * mm
FOOTER_Y = 10 * mm

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#D5DBE1")
ACCENT = colors.HexColor("#0B6E4F")  # the raised money: bars, the headline, the progress bar
ACCENT_LIGHT = colors.HexColor("#CFE8DD")
SECOND = colors.HexColor("#C8553D")  # the cumulative line
PANEL = colors.HexColor("#F3F5F7")
WHITE = colors.white


@dataclass(frozen=True, slots=True)
class TextStyle:
    font: str = REGULAR
    size: float = 9.5
    leading: float = 13
    color: colors.Color = INK
    align: str = "start"  # start | end | center: start is the right edge in RTL text
    space_before: float = 0
    space_after: float = 0
    one_line: bool = False  # never wrapped: set smaller when it does not fit (figures)


SMALL = TextStyle(size=8, leading=10.5, color=MUTED)
EYEBROW = TextStyle(font=BOLD, size=8.5, leading=11, color=ACCENT)
TITLE = TextStyle(font=BOLD, size=24, leading=29, space_after=2)
SUBTITLE = TextStyle(size=10.5, leading=14, color=MUTED, space_after=10)
HEADING = TextStyle(font=BOLD, size=12.5, leading=16, space_before=14, space_after=6)
HEADLINE = TextStyle(font=BOLD, size=30, leading=36, color=ACCENT, one_line=True)
HEADLINE_FIXED = TextStyle(font=BOLD, size=15, leading=19, color=INK, space_before=6,
                           one_line=True)  # fmt: skip
FIGURE_LABEL = TextStyle(size=8, leading=10, color=MUTED, align="center")
FIGURE_LABEL_START = TextStyle(size=8.5, leading=11, color=MUTED)
HEADLINE_SECOND = TextStyle(font=BOLD, size=20, leading=26, color=INK, one_line=True)
FIGURE_VALUE = TextStyle(font=BOLD, size=13, leading=16, align="center", one_line=True)
CELL = TextStyle(size=8.8, leading=11.5)
CELL_NUMBER = TextStyle(size=8.8, leading=11.5, align="end")
CELL_HEAD = TextStyle(font=BOLD, size=8, leading=10.5, color=MUTED)
CELL_HEAD_NUMBER = TextStyle(font=BOLD, size=8, leading=10.5, color=MUTED, align="end")
CELL_TOTAL = TextStyle(font=BOLD, size=8.8, leading=11.5)
CELL_TOTAL_NUMBER = TextStyle(font=BOLD, size=8.8, leading=11.5, align="end")
NOTE = TextStyle(size=8.8, leading=12.5, space_after=5)
FOOTER = TextStyle(size=7.5, leading=9, color=MUTED)
LOGO_HEIGHT = 42  # points: the logo beside an organisation's name, at most this tall
LOGO_WIDTH = 150  # and this wide
RECEIPT_ORGANISATION = TextStyle(font=BOLD, size=14, leading=18, space_after=2)
RECEIPT_MARK = TextStyle(font=BOLD, size=11, leading=14, color=SECOND, align="center")
RECEIPT_DONOR = TextStyle(font=BOLD, size=16, leading=20)
RECEIPT_AMOUNT = TextStyle(font=BOLD, size=12, leading=15, one_line=True)
THANKS = TextStyle(font=BOLD, size=12.5, leading=16, color=ACCENT, space_after=3)
STUB_LABEL = TextStyle(size=7.5, leading=10, color=MUTED)
STUB_VALUE = TextStyle(font=BOLD, size=9, leading=12)
STUB_AMOUNT = TextStyle(font=BOLD, size=11, leading=14, one_line=True)
CUT_LINE_HEIGHT = 10

CHART_HEIGHT = 150
CHART_LABEL_SIZE = 7
PROGRESS_HEIGHT = 7
TABLE_PADDING = 4
