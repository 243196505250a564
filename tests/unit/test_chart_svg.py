"""The chart as SVG (reports/chart_svg.py): well-formed, safe to inline or serve, its labels in
logical order for the browser to lay out, anchored on the side the PDF anchors them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from fundledger.reports.chart_svg import FONT_FAMILY, SVG_NAMESPACE, drawing_svg
from fundledger.reports.pdf.chart import ChartText, Point, money_over_time

NS = f"{{{SVG_NAMESPACE}}}"
HOSTILE = 'Given <script>alert(1)</script> & "co"'
POINTS = [Point(date(2025, 7, 1) + timedelta(days=day), Decimal(1000 * (day % 4 + 1)))
          for day in range(12)]  # fmt: skip


def chart(bars: str, line: str, rtl: bool, language: str) -> ElementTree.Element:
    text = ChartText(bars, line, lambda value: f"{value:,}", lambda day: f"{day.day}/7", rtl)
    drawing = money_over_time(POINTS, 500, text, "day", drawn=lambda label, _rtl: label)
    return ElementTree.fromstring(  # noqa: S314 (our own output)
        drawing_svg(drawing, title=line, language=language, rtl=rtl)
    )


def texts(root: ElementTree.Element) -> list[ElementTree.Element]:
    return list(root.iter(f"{NS}text"))


def test_the_svg_is_well_formed_and_holds_nothing_that_runs_or_fetches() -> None:
    root = chart(HOSTILE, "Total raised so far", False, "en")
    assert root.tag == f"{NS}svg"
    assert (root.get("viewBox"), root.get("role"), root.get("lang")) == ("0 0 500 150", "img",
                                                                          "en")  # fmt: skip
    tags = {element.tag.removeprefix(NS) for element in root.iter()}
    assert tags <= {"svg", "title", "rect", "line", "polyline", "text", "g"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on")
            assert "href" not in name.lower()
            assert "url(" not in value
            assert "javascript:" not in value.lower()
    # The label is text, printed literally, never markup.
    assert HOSTILE in [element.text for element in texts(root)]
    assert root.get("font-family") == FONT_FAMILY


def test_every_figure_is_drawn_inside_the_picture() -> None:
    root = chart("Given per day", "Total raised so far", False, "en")
    bars = list(root.iter(f"{NS}rect"))
    assert len(bars) == len(POINTS) + 1  # a bar a day and the legend's swatch
    for bar in bars:
        y, height = float(bar.get("y", "nan")), float(bar.get("height", "nan"))
        assert y >= 0
        assert y + height <= 150
    # The tallest day (4,000) reaches higher (a smaller y) than the shortest (1,000).
    day_bars = sorted(bars[:-1], key=lambda bar: float(bar.get("x", "0")))
    heights = [float(bar.get("height", "0")) for bar in day_bars if bar.get("fill") != "none"]
    assert heights[3] == pytest.approx(4 * heights[0])
    labels = [element.text for element in texts(root)]
    assert {"1/7", "Given per day", "Total raised so far"} <= set(labels)


@pytest.mark.parametrize(
    ("language", "bars", "line"),
    [("he", "נתרם בכל יום", "סך הכול עד כה"), ("ar", "التبرعات في كل يوم", "المجموع حتى الآن")],
)
def test_right_to_left_labels_stay_in_logical_order_for_the_browser(
    language: str, bars: str, line: str
) -> None:
    root = chart(bars, line, True, language)
    labels = texts(root)
    # As written (not reversed, Arabic not turned into presentation forms): the browser
    # orders and joins them itself.
    assert {bars, line} <= {element.text for element in labels}
    for element in labels:
        assert element.get("direction") == "rtl"
        assert not any("\ufb50" <= character <= "\ufeff" for character in element.text or "")
    # The daily scale sits left of the plot, each figure ending at its edge: ReportLab's
    # "end" (the right), which in a right-to-left SVG text is its "start".
    zero_labels = [element for element in labels if element.text == "0"]
    assert sorted(element.get("text-anchor") for element in zero_labels) == ["end", "start"]
    left = min(zero_labels, key=lambda element: float(element.get("x", "0")))
    assert left.get("text-anchor") == "start"
    # The legend starts from the right: its first label lies right of its second.
    legend = {element.text: float(element.get("x", "0")) for element in labels}
    assert legend[bars] > legend[line]
