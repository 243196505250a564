"""What every PDF layout builds its pages from: flowables bound to one reader (language and
direction), at the full width between the margins."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.platypus import Flowable, Image, Table, TableStyle

from fundledger.adapters.images import Logo
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.flowables import BidiParagraph, data_table, mirrored

CONTENT_WIDTH = style.PAGE_SIZE[0] - 2 * style.MARGIN_X


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

    def with_logo(self, lines: list[Flowable], logo: Logo | None) -> list[Flowable]:
        """A heading's lines with the organisation's logo at the other end of the line."""
        if logo is None:
            return lines
        scale = min(style.LOGO_HEIGHT / logo.height, style.LOGO_WIDTH / logo.width)
        width, height = logo.width * scale, logo.height * scale
        image = Image(io.BytesIO(logo.data), width=width, height=height)
        gap = 12
        widths = [CONTENT_WIDTH - width - gap, width + gap]
        table = Table([mirrored([lines, image], self.rtl)], colWidths=mirrored(widths, self.rtl))
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "LEFT" if self.rtl else "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]))  # fmt: skip
        return [table]

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
        table = Table([mirrored(cells, self.rtl)], colWidths=mirrored(widths, self.rtl))
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 0),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
        return table


def source_name(source: str, reader: Reader) -> str:
    names = {
        "BOI": reader._("the Bank of Israel"),
        "ECB": reader._("the European Central Bank"),
        "manual": reader._("the treasurer (entered by hand)"),
    }
    return names.get(source, source)


def method_name(method: str | None, reader: Reader) -> str:
    """A payment method in the reader's language, when it is one we know."""
    if method is None:
        return reader._("Not recorded")
    known = {
        "card": reader.pgettext("payment method", "card"),
        "bank": reader.pgettext("payment method", "bank transfer"),
        "cash": reader.pgettext("payment method", "cash"),
        "cheque": reader.pgettext("payment method", "cheque"),
        "check": reader.pgettext("payment method", "cheque"),
        "paypal": reader.pgettext("payment method", "PayPal"),
        "bit": reader.pgettext("payment method", "Bit"),
    }
    return known.get(method.strip().lower(), method)
