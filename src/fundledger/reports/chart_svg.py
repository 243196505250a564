"""The campaign's chart as SVG for the web: the PDF's chart (reports/pdf/chart.py, the same
ReportLab Drawing, made by the same code) written out as SVG elements.

Not through reportlab.graphics.renderSVG: it places every label at an x computed from the
width of the font ReportLab measured it in, so a browser drawing another font, or joining
Arabic letters that ReportLab measured apart, puts labels off their marks; and it writes a
DOCTYPE, a clip path and a flipped coordinate system. Here each label keeps its anchor
(`text-anchor`) and the browser lays it out. The labels are in logical order: a browser
applies the bidi algorithm and joins Arabic itself (the PDF's labels come shaped and in visual
order, since ReportLab does neither). In Hebrew and Arabic each label is `direction="rtl"`,
which is also why its anchor is mirrored: in SVG `start` means the start of the reading
direction, where ReportLab's `start` always means the left.

Safe to inline in a page or to serve as image/svg+xml: no script, no event attribute, no link
or external reference, every text escaped by the XML writer."""

from __future__ import annotations

from xml.etree import ElementTree

from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, Shape, String
from reportlab.lib.colors import Color

from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import campaign_chart, chart_title
from fundledger.services.reports import CampaignSummary

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# The web serves DejaVu Sans (the PDFs' font: Latin, Hebrew, Arabic and ₪); the others are
# what a browser has when the chart is opened on its own, as an image.
FONT_FAMILY = '"DejaVu Sans", "Noto Sans", "Noto Sans Hebrew", "Noto Sans Arabic", sans-serif'
# In user units; the SVG scales to its box (viewBox), its 7-unit labels with it: 480 keeps
# them about 10 px in a 700 px column; a phone's 360 px screen reads best drawn 360 wide
# (more room for the labels than a 480 chart scaled down), e.g. as a <picture> source.
WIDTH = 480.0

_MIRRORED = {"start": "end", "end": "start", "middle": "middle"}


def campaign_chart_svg(summary: CampaignSummary, locale: str, width: float = WIDTH) -> str:
    """The chart of `summary` in `locale` (en, he, ar), as an SVG document (text)."""
    reader = Reader.for_locale(locale)
    drawing = campaign_chart(summary, reader, width, drawn=_logical)
    return drawing_svg(drawing, title=chart_title(summary, reader), language=locale,
                       rtl=reader.rtl)  # fmt: skip


def _logical(text: str, _rtl: bool) -> str:
    return text


def drawing_svg(drawing: Drawing, *, title: str, language: str, rtl: bool) -> str:
    """A Drawing of lines, polylines, rectangles and strings as an SVG document."""
    width, height = float(drawing.width), float(drawing.height)
    root = ElementTree.Element("svg", {
        "xmlns": SVG_NAMESPACE, "viewBox": f"0 0 {_n(width)} {_n(height)}",
        "width": _n(width), "height": _n(height), "role": "img", "lang": language,
        "font-family": FONT_FAMILY,
    })  # fmt: skip
    ElementTree.SubElement(root, "title").text = title
    for shape in drawing.contents:
        _add(root, shape, height, rtl)
    return ElementTree.tostring(root, encoding="unicode")


def _add(parent: ElementTree.Element, shape: Shape, height: float, rtl: bool) -> None:
    """`shape` as an SVG element of `parent`; y turned from ReportLab's (up from the bottom)
    to SVG's (down from the top)."""
    if isinstance(shape, Group):
        group = ElementTree.SubElement(parent, "g")
        for child in shape.contents:
            _add(group, child, height, rtl)
    elif isinstance(shape, Rect):
        top = max(shape.y, shape.y + shape.height)
        ElementTree.SubElement(parent, "rect", {
            "x": _n(shape.x), "y": _n(height - top), "width": _n(abs(shape.width)),
            "height": _n(abs(shape.height)), **_paint(shape),
        })  # fmt: skip
    elif isinstance(shape, Line):
        ElementTree.SubElement(parent, "line", {
            "x1": _n(shape.x1), "y1": _n(height - shape.y1), "x2": _n(shape.x2),
            "y2": _n(height - shape.y2), **_paint(shape),
        })  # fmt: skip
    elif isinstance(shape, PolyLine):
        points = shape.points
        pairs = (f"{_n(points[i])},{_n(height - points[i + 1])}" for i in range(0, len(points), 2))
        ElementTree.SubElement(parent, "polyline", {
            "points": " ".join(pairs), "fill": "none", **_paint(shape),
        })  # fmt: skip
    elif isinstance(shape, String):
        anchor = str(shape.textAnchor)
        attributes = {
            "x": _n(shape.x), "y": _n(height - shape.y), "font-size": _n(shape.fontSize),
            "fill": _color(shape.fillColor),
            "text-anchor": _MIRRORED[anchor] if rtl else anchor,
        }  # fmt: skip
        if rtl:
            attributes["direction"] = "rtl"
        ElementTree.SubElement(parent, "text", attributes).text = shape.text
    else:  # a shape this writer does not know would be lost without a word
        raise TypeError(f"cannot write a {type(shape).__name__} as SVG")


def _paint(shape: Shape) -> dict[str, str]:
    paint = {}
    fill = getattr(shape, "fillColor", None)
    if fill is not None and not isinstance(shape, (Line, PolyLine)):
        paint["fill"] = _color(fill)
    stroke = getattr(shape, "strokeColor", None)
    if stroke is not None:
        paint["stroke"] = _color(stroke)
        paint["stroke-width"] = _n(getattr(shape, "strokeWidth", 1))
    return paint


def _color(color: Color | None) -> str:
    if color is None:
        return "none"
    return "#" + str(color.hexval())[2:].rjust(6, "0")


def _n(value: float) -> str:
    """A coordinate with two decimals at most (a hundredth of a point is below any pixel)."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")
