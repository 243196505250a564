"""What every PDF layout builds its pages from: flowables bound to one reader (language and
direction), at the full width between the margins."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, Image, Table, TableStyle

from fundledger.adapters.images import Logo
from fundledger.domain.methods import known_method
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.document import build_pdf
from fundledger.reports.pdf.flowables import BidiParagraph, Section, data_table, mirrored
from fundledger.reports.pdf.fonts import drawable

CONTENT_WIDTH = style.PAGE_SIZE[0] - 2 * style.MARGIN_X
CONTENT_HEIGHT = style.PAGE_SIZE[1] - style.MARGIN_TOP - style.MARGIN_BOTTOM


class Page:
    """Flowable builders bound to one reader (language and direction)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.rtl = reader.rtl
        self.paragraphs: list[BidiParagraph] = []

    def text(self, text: str, text_style: style.TextStyle) -> BidiParagraph:
        paragraph = BidiParagraph(text, text_style, self.rtl)
        self.paragraphs.append(paragraph)
        return paragraph

    def undrawable(self) -> set[str]:
        """Characters of the laid-out text that the font lacks (drawn as U+FFFD)."""
        return set().union(*(paragraph.undrawable for paragraph in self.paragraphs))

    def heading(self, text: str) -> BidiParagraph:
        return self.text(text, style.HEADING)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        numeric: Sequence[bool],
        total: Sequence[str] | None = None,
    ) -> Table:
        """A full-width table of this page's text, mirrored for RTL readers."""
        return data_table(header, rows, CONTENT_WIDTH, self.text, self.rtl, numeric=numeric,
                          total=total)  # fmt: skip

    def section(self, lines: Sequence[Flowable], table: Table) -> Section:
        """`lines` (a heading, a note) kept on the page of the table's start: a short table
        moves whole, a long one starts where its first rows fit."""
        return Section(lines, table, CONTENT_HEIGHT)

    def with_logo(self, lines: list[Flowable], logo: Logo | None) -> list[Flowable]:
        """A heading's lines with the organisation's logo at the other end of the line."""
        if logo is None:
            return lines
        scale = min(style.LOGO_HEIGHT / logo.height, style.LOGO_WIDTH / logo.width)
        width, height = logo.width * scale, logo.height * scale
        image = Image(io.BytesIO(logo.data), width=width, height=height)
        gap = 12
        return [self.row([lines, image], [CONTENT_WIDTH - width - gap, width + gap],
                         align="LEFT" if self.rtl else "RIGHT")]  # fmt: skip

    def row(
        self, cells: Sequence[object], widths: Sequence[float], align: str | None = None
    ) -> Table:
        """Cells side by side, in reading order (the first on the right in RTL), without
        padding: the margins stay the edges of the text."""
        table = Table([mirrored(cells, self.rtl)], colWidths=mirrored(widths, self.rtl))
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]
        if align is not None:
            commands.append(("ALIGN", (0, 0), (-1, -1), align))
        table.setStyle(TableStyle(commands))
        return table

    def side_by_side(self, columns: Sequence[Sequence[Flowable]], gap: float = 14) -> Table:
        width = (CONTENT_WIDTH - gap * (len(columns) - 1)) / len(columns)
        cells: list[object] = []
        widths: list[float] = []
        for index, column in enumerate(columns):
            if index:
                cells.append("")
                widths.append(gap)
            cells.append(list(column))
            widths.append(width)
        return self.row(cells, widths)

    def build(
        self, story: Sequence[Flowable], output: Path, *, title: str, footer: str
    ) -> set[str]:
        """Writes the PDF of `story`, numbered "Page X of Y" in the reader's language; returns
        the characters no embedded font could draw (shown as U+FFFD), for the caller to
        report, so a name in an unsupported script never vanishes silently."""
        reader = self.reader
        drawn_footer, footer_missing = drawable(footer, style.FOOTER.font)
        build_pdf(
            story,
            output,
            title=title,
            language=reader.language,
            footer=drawn_footer,
            page_label=lambda number, pages: reader._("Page {page} of {pages}").format(
                page=reader.number(number), pages=reader.number(pages)
            ),
            rtl=reader.rtl,
        )
        return self.undrawable() | footer_missing


def source_name(source: str, reader: Reader) -> str:
    names = {
        "BOI": reader._("the Bank of Israel"),
        "ECB": reader._("the European Central Bank"),
        "manual": reader._("the treasurer (entered by hand)"),
    }
    return names.get(source, source)


def rate_age(days: int, reader: Reader) -> str:
    """How old a rate may be, as a phrase that agrees with its number ("1 day", "7 days";
    in Hebrew "יומיים" for two), for the notes that explain the conversion."""
    return reader.npgettext("age of a rate", "{count} day", "{count} days", days).format(
        count=reader.number(days)
    )


def method_name(method: str | None, reader: Reader) -> str:
    """A payment method in the reader's language: a known one (by its code, or as stored
    before the codes: "bank", "Credit Card") by its name there; any other as recorded."""
    if method is None:
        return reader._("Not recorded")
    known = known_method(method)
    return known.name(reader.language) if known is not None else method
