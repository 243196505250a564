"""The chart of money raised over time: a bar per day (or per week or month, for long
campaigns) and a line of the running total, each on its own scale. Time runs left to right in
every language, as in the Bank of Israel's Hebrew charts; the labels follow the reader's
language."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib.colors import Color

from fundledger.reports.pdf import style
from fundledger.reports.pdf.bidi import visual_line
from fundledger.reports.pdf.fonts import REGULAR, text_width

Period = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class Point:
    day: date  # the first day of its period
    amount: Decimal


def period_end(day: date, period: Period) -> date:
    """The day after the period that starts on `day`."""
    if period == "day":
        return day + timedelta(days=1)
    if period == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True, slots=True)
class ChartText:
    bars_label: str
    line_label: str
    axis_label: Callable[[Decimal], str]  # a figure of an axis: "250K"
    date_label: Callable[[date], str]
    rtl: bool


def _nice_step(top: Decimal, ticks: int) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` gridlines."""
    raw = top / ticks if top > 0 else Decimal(1)
    power = Decimal(10) ** (raw.adjusted())
    for multiple in (1, 2, Decimal("2.5"), 5, 10):
        if raw <= power * multiple:
            return power * multiple
    return power * 10


Anchor = Literal["start", "middle", "end"]
TICKS = 4  # gridlines above zero; each scale's step is at least a quarter of its top
DATE_LABELS = 6
LEGEND_HEIGHT = 14
MAX_BAR_WIDTH = 28  # a campaign of a few days gets bars, not blocks


# How a label's text is drawn: for ReportLab's canvas in visual order, shaped (the default);
# for SVG in logical order, which the browser shapes and orders itself (reports/chart_svg.py).
Drawn = Callable[[str, bool], str]


def _label(drawing: Drawing, x: float, y: float, text: str, anchor: Anchor, rtl: bool,
           color: Color = style.MUTED, drawn: Drawn = visual_line) -> None:  # fmt: skip
    label = String(x, y, drawn(text, rtl), fontName=REGULAR,
                   fontSize=style.CHART_LABEL_SIZE, fillColor=color, textAnchor=anchor)  # fmt: skip
    drawing.add(label)


def _filled(rect: Rect, color: Color) -> Rect:
    rect.fillColor = color
    rect.strokeColor = None
    return rect


@dataclass(frozen=True, slots=True)
class _Plot:
    """Where the plotting area sits in the drawing and how days map onto it: from the start
    of the first period to the end of the last, so the last bar ends inside the gridlines and
    never runs over the labels of the right-hand scale."""

    x0: float
    x1: float
    y0: float
    y1: float
    first: date
    days: int  # from the start of the first period to the end of the last
    period: Period

    def x_at(self, day: date) -> float:
        return self.x0 + (self.x1 - self.x0) * (day - self.first).days / self.days

    def x_of(self, day: date) -> float:
        """The middle of the period that starts on `day`."""
        return (self.x_at(day) + self.x_at(period_end(day, self.period))) / 2

    def width_of(self, day: date) -> float:
        return self.x_at(period_end(day, self.period)) - self.x_at(day)

    def y_of(self, value: Decimal, ceiling: Decimal) -> float:
        return self.y0 + float(value / ceiling) * (self.y1 - self.y0)


def money_over_time(
    points: Sequence[Point],
    width: float,
    text: ChartText,
    period: Period = "day",
    drawn: Drawn = visual_line,
) -> Drawing:
    """The chart, `width` wide. Labels are measured in their visual form whatever `drawn`
    makes of them: DejaVu's widths, the same in the PDF and in a browser given that font."""
    drawing = Drawing(width, style.CHART_HEIGHT)
    if not points:
        return drawing
    running = list(itertools.accumulate(point.amount for point in points))
    bar_step = _nice_step(max(point.amount for point in points), TICKS)
    line_step = _nice_step(running[-1], TICKS)
    size = style.CHART_LABEL_SIZE

    def room(step: Decimal) -> float:
        return max(text_width(visual_line(text.axis_label(step * TICKS), text.rtl), REGULAR,
                              size), 12) + 6  # fmt: skip

    plot = _Plot(
        x0=room(bar_step),
        x1=width - room(line_step),
        y0=size + 8,
        y1=style.CHART_HEIGHT - LEGEND_HEIGHT,
        first=points[0].day,
        days=(period_end(points[-1].day, period) - points[0].day).days,
        period=period,
    )
    _axes(drawing, plot, bar_step, line_step, text, drawn)
    # The narrowest period sets every bar's width (a February is as wide a bar as a March).
    bar_width = min(max(min(plot.width_of(point.day) for point in points) * 0.72, 0.6),
                    MAX_BAR_WIDTH)  # fmt: skip
    for point in points:
        bar = Rect(plot.x_of(point.day) - bar_width / 2, plot.y0, bar_width,
                   plot.y_of(point.amount, bar_step * TICKS) - plot.y0)  # fmt: skip
        drawing.add(_filled(bar, style.ACCENT))
    line: list[float] = []
    for point, value in zip(points, running, strict=True):
        line += [plot.x_of(point.day), plot.y_of(value, line_step * TICKS)]
    drawing.add(PolyLine(line, strokeColor=style.SECOND, strokeWidth=1.6))
    label_days = sorted(
        {points[round(index * (len(points) - 1) / (DATE_LABELS - 1))].day
         for index in range(DATE_LABELS)}
    )  # fmt: skip
    for day in label_days:
        _label(drawing, plot.x_of(day), 2, text.date_label(day), "middle", text.rtl,
               drawn=drawn)  # fmt: skip
    _legend(drawing, plot, text, drawn)
    return drawing


def _axes(drawing: Drawing, plot: _Plot, bar_step: Decimal, line_step: Decimal,
          text: ChartText, drawn: Drawn) -> None:  # fmt: skip
    """Gridlines, with the daily scale on the left and the running total's on the right."""
    size = style.CHART_LABEL_SIZE
    for tick in range(TICKS + 1):
        y = plot.y0 + (plot.y1 - plot.y0) * tick / TICKS
        drawing.add(Line(plot.x0, y, plot.x1, y, strokeColor=style.RULE, strokeWidth=0.4))
        _label(drawing, plot.x0 - 4, y - size / 3, text.axis_label(bar_step * tick), "end",
               text.rtl, style.ACCENT, drawn)  # fmt: skip
        _label(drawing, plot.x1 + 4, y - size / 3, text.axis_label(line_step * tick), "start",
               text.rtl, style.SECOND, drawn)  # fmt: skip


def _legend(drawing: Drawing, plot: _Plot, text: ChartText, drawn: Drawn) -> None:
    """The key, from the start edge of the reader's direction."""
    swatch = 8
    size = style.CHART_LABEL_SIZE + 0.5
    x = plot.x1 if text.rtl else plot.x0
    y = style.CHART_HEIGHT - swatch - 2
    for label, color, is_line in ((text.bars_label, style.ACCENT, False),
                                  (text.line_label, style.SECOND, True)):  # fmt: skip
        visual = visual_line(label, text.rtl)
        swatch_x = x - swatch if text.rtl else x
        if is_line:
            drawing.add(Line(swatch_x, y + swatch / 2, swatch_x + swatch, y + swatch / 2,
                             strokeColor=color, strokeWidth=1.6))  # fmt: skip
        else:
            drawing.add(_filled(Rect(swatch_x, y, swatch, swatch), color))
        text_x = swatch_x - 4 if text.rtl else swatch_x + swatch + 4
        anchor: Anchor = "end" if text.rtl else "start"
        drawing.add(String(text_x, y + 1, drawn(label, text.rtl), fontName=REGULAR, fontSize=size,
                           fillColor=style.INK, textAnchor=anchor))  # fmt: skip
        advance = swatch + 4 + text_width(visual, REGULAR, size) + 14
        x = x - advance if text.rtl else x + advance
