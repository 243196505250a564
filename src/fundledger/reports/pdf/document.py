"""The page around the content: margins, the footer with "page X of Y", document metadata, and a
build that never reads a URL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from fundledger.reports.pdf import style
from fundledger.reports.pdf.bidi import visual_line
from fundledger.reports.pdf.fonts import register_fonts, text_width

# No PDF build fetches anything: ReportLab's URL opener refuses every scheme and host (local
# files are opened by name, before any URL handling).
rl_config.trustedSchemes = []
rl_config.trustedHosts = []
# Streams compressed only, not also spelled out in ASCII85: a quarter smaller and quicker to
# write (a PDF is a binary file anyway).
rl_config.useA85 = 0

PageLabel = Callable[[int, int], str]  # (page, pages) -> "Page 1 of 2"


def _numbered_canvas(footer_left: str, page_label: PageLabel, rtl: bool) -> type[Canvas]:
    """A canvas that holds its pages back until the end, when the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            # ReportLab's own way to begin a fresh page without emitting the current one.
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = style.PAGE_SIZE
            footer = style.FOOTER
            self.saveState()
            self.setStrokeColor(style.RULE)
            self.setLineWidth(0.5)
            rule_y = style.FOOTER_Y + footer.leading
            self.line(style.MARGIN_X, rule_y, width - style.MARGIN_X, rule_y)
            self.setFont(footer.font, footer.size)
            self.setFillColor(footer.color)
            label = visual_line(page_label(self.getPageNumber(), total), rtl)
            room = width - 2 * style.MARGIN_X - text_width(label, footer.font, footer.size) - 24
            left_text = visual_line(_shortened(footer_left, room, footer.font, footer.size), rtl)
            start, end = (label, left_text) if rtl else (left_text, label)
            self.drawString(style.MARGIN_X, style.FOOTER_Y, start)
            self.drawRightString(width - style.MARGIN_X, style.FOOTER_Y, end)
            self.restoreState()

    return NumberedCanvas


def _shortened(text: str, width: float, font: str, size: float) -> str:
    """`text`, cut at its end with an ellipsis if it is wider than `width` once drawn."""
    if text_width(visual_line(text, rtl=False), font, size) <= width:
        return text
    words = text
    while words and text_width(visual_line(words + "…", rtl=False), font, size) > width:
        words = words[:-1]
    return words.rstrip() + "…"


def build_pdf(
    story: Sequence[Flowable],
    output: Path,
    *,
    title: str,
    language: str,
    footer: str,
    page_label: PageLabel,
    rtl: bool,
) -> None:
    """Lays out `story` on A4 pages and writes the PDF (fonts embedded, no creation date, so the
    same ledger gives the same file)."""
    register_fonts()
    document = BaseDocTemplate(
        str(output),
        pagesize=style.PAGE_SIZE,
        leftMargin=style.MARGIN_X,
        rightMargin=style.MARGIN_X,
        topMargin=style.MARGIN_TOP,
        bottomMargin=style.MARGIN_BOTTOM,
        title=title,
        author="fundledger",
        creator="fundledger",
        lang=language,
        direction="R2L" if rtl else "L2R",
        invariant=True,
    )
    # No frame padding: the margins are the edges of the text, for tables and paragraphs alike.
    frame = Frame(document.leftMargin, document.bottomMargin, document.width, document.height,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    document.build(list(story), canvasmaker=_numbered_canvas(footer, page_label, rtl))
