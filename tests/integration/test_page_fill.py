"""Every kind of document, in every language, fills its pages: no page but the last is less
than 15% full (a table that just overflows moves whole, or leaves at least three rows with its
total). Fill is read from the PDF as drawn: the lowest mark above the footer, over the height
between the margins. Also: columns sized to their content, and the chart's bars inside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Line, Rect

from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.chart import ChartText, Period, Point, money_over_time
from fundledger.reports.pdf.page import CONTENT_WIDTH
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from tests import layout_samples as samples
from tests.pdf_helpers import page_fills, pdf_text

LEAST_FILL = 0.15
OPTIONS = ReportOptions(7, "Standing Together")
Write = Callable[[Reader, Path], object]
DOCUMENTS: dict[str, Write] = {
    "campaign of a few days": lambda reader, path: write_campaign_pdf(
        samples.campaign_summary(4, currencies=2, methods=3), reader, path, OPTIONS),
    "campaign of a month": lambda reader, path: write_campaign_pdf(
        samples.campaign_summary(30, currencies=6), reader, path, OPTIONS),
    "campaign of a year": lambda reader, path: write_campaign_pdf(
        samples.campaign_summary(365, currencies=4), reader, path, OPTIONS),
    "all campaigns": lambda reader, path: write_campaign_pdf(
        samples.campaign_summary(200, currencies=10, methods=7, all_campaigns=True), reader,
        path, OPTIONS),
    "receipt": lambda reader, path: write_receipt_pdf(samples.receipt(reader.language), path),
    "receipt reprinted": lambda reader, path: write_receipt_pdf(
        samples.receipt(reader.language), path, copy=True),
    "credit receipt": lambda reader, path: write_receipt_pdf(
        samples.receipt(reader.language, credit=True), path),
    "short statement": lambda reader, path: write_statement_pdf(
        samples.statement(4), reader, path),
    "long statement": lambda reader, path: write_statement_pdf(
        samples.statement(120), reader, path),
}  # fmt: skip


def assert_filled(path: Path) -> list[float]:
    fills = page_fills(path)
    assert len(fills) == len(PdfReader(path).pages)
    for number, fill in enumerate(fills[:-1], start=1):
        assert fill >= LEAST_FILL, f"page {number} of {len(fills)} is {fill:.0%} full: {fills}"
    assert fills[-1] > 0.03  # the last page holds something too
    return fills


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_no_page_but_the_last_is_under_15_percent_full(
    tmp_path: Path, kind: str, locale: str
) -> None:
    path = tmp_path / "document.pdf"
    DOCUMENTS[kind](Reader(locale), path)
    fills = assert_filled(path)
    if "receipt" in kind:
        # One page, filled to the foot: the donor's stub sits above the footer.
        assert len(fills) == 1
        assert fills[0] > 0.95


@pytest.mark.parametrize("currencies", range(1, 11))
def test_a_currency_table_that_just_overflows_page_one_leaves_no_page_almost_empty(
    tmp_path: Path, currencies: int
) -> None:
    """The case of the issue: one more currency pushed a row and the total onto page 2,
    which then held nothing else. Each count of currencies, methods and days moves the break."""
    for methods in (3, 7):
        for locale in ("en", "ar"):
            path = tmp_path / f"{currencies}-{methods}-{locale}.pdf"
            summary = samples.campaign_summary(30, currencies=currencies, methods=methods)
            write_campaign_pdf(summary, Reader(locale), path, OPTIONS)
            assert_filled(path)


@pytest.mark.parametrize("gifts", [30, 34, 38, 42, 46, 50, 90])
def test_statements_of_every_length_fill_their_pages(tmp_path: Path, gifts: int) -> None:
    for locale in ("he", "ar"):
        path = tmp_path / f"{gifts}-{locale}.pdf"
        write_statement_pdf(samples.statement(gifts), Reader(locale), path)
        assert_filled(path)


def test_a_table_is_never_split_with_one_row_and_its_total(tmp_path: Path) -> None:
    """A statement long enough to run over: the page with the total holds at least three
    gift rows above it."""
    for gifts in range(36, 44):
        path = tmp_path / f"{gifts}.pdf"
        write_statement_pdf(samples.statement(gifts), Reader("en"), path)
        pages = pdf_text(path).split("\f")
        last = next(page for page in reversed(pages) if f"{gifts} gifts" in page)
        rows = [line for line in last.splitlines() if " 2025 " in line and "₪" in line]
        assert len(rows) >= 3, (gifts, last)


def test_columns_fit_their_content_and_an_empty_column_is_left_out(tmp_path: Path) -> None:
    """In Arabic the statement's dates and campaign names once wrapped on every row and a
    column of dashes took room: it ran 9 pages against Hebrew's 5."""
    unreceipted = samples.statement(120, receipts=False)
    pages = {}
    for locale in ("he", "ar"):
        path = tmp_path / f"{locale}.pdf"
        write_statement_pdf(unreceipted, Reader(locale), path)
        pages[locale] = len(PdfReader(path).pages)
    assert pages["ar"] <= pages["he"] + 1 <= 5, pages
    write_statement_pdf(unreceipted, Reader("en"), tmp_path / "en.pdf")
    text = pdf_text(tmp_path / "en.pdf")
    assert "Receipt" not in text  # no gift has one: the column is left out
    # Every gift on one line: its date whole, its campaign unbroken, its amounts beside them.
    for line in unreceipted.lines:
        if not line.campaign.isascii():  # pdftotext reorders right-to-left words
            continue
        day = Reader("en").date(line.date).replace("\xa0", " ")
        found = [row for row in text.splitlines() if row.strip().startswith(day)]
        assert any(line.campaign in row for row in found), (day, line.campaign)
    receipted = samples.statement(4)
    write_statement_pdf(receipted, Reader("en"), tmp_path / "receipts.pdf")
    assert "DLA-2025-00001" in pdf_text(tmp_path / "receipts.pdf")


def test_the_statement_names_the_amuta_number_as_receipts_do(tmp_path: Path) -> None:
    for locale in LOCALES:
        write_statement_pdf(samples.statement(3), Reader(locale), tmp_path / "s.pdf")
        assert "580123456" in pdf_text(tmp_path / "s.pdf")
    write_statement_pdf(replace(samples.statement(3), organisation=replace(
        samples.ORGANISATION, registration=None)), Reader("en"), tmp_path / "none.pdf")  # fmt: skip
    assert "amuta" not in pdf_text(tmp_path / "none.pdf")


def test_the_receipt_stub_repeats_the_key_facts(tmp_path: Path) -> None:
    write_receipt_pdf(samples.receipt("en"), tmp_path / "r.pdf")
    text = " ".join(pdf_text(tmp_path / "r.pdf").split())
    stub = text[text.index("cut along the line") :]
    for fact in ("Standing Together", "580123456", "4512/2024", "DLA-2025-00017",
                 "December 31, 2025", "Ali Haddad", "€1,234.50", "December 28, 2025",
                 "₪4,922.63"):  # fmt: skip
        assert fact in stub, fact
    assert "Thank you for your gift" in text
    credit = samples.receipt("en", credit=True)
    write_receipt_pdf(credit, tmp_path / "c.pdf")
    text = " ".join(pdf_text(tmp_path / "c.pdf").split())
    assert "Thank you" not in text  # a reversed gift is not thanked for
    assert "-€1,234.50" in text[text.index("cut along the line") :]


def test_an_old_receipt_without_the_later_keys_still_renders(tmp_path: Path) -> None:
    """A receipt stored before donor tax ids, Tax Authority numbers and logos: its JSON lacks
    those keys, and it prints with the same layout."""
    document = samples.receipt("he")
    stored = document.to_json()
    for key in ("donor_tax_id", "tax_report", "logo"):
        stored = stored.replace(f'"{key}":null,', "").replace(f',"{key}":null', "")
        assert f'"{key}"' not in stored or key == "donor_tax_id"
    old = type(document).from_json(stored.replace('"donor_tax_id":"123456782",', ""))
    assert old.donor_tax_id is None
    write_receipt_pdf(old, tmp_path / "old.pdf", copy=True)
    assert_filled(tmp_path / "old.pdf")
    assert "DLA-2025-00017" in pdf_text(tmp_path / "old.pdf")


@pytest.mark.parametrize("rtl", [False, True])
@pytest.mark.parametrize(("period", "count", "step"), [("day", 30, 1), ("week", 53, 7),
                                                       ("month", 14, 0)])  # fmt: skip
def test_no_bar_of_the_chart_covers_the_axis_labels(
    rtl: bool, period: Period, count: int, step: int
) -> None:
    first = date(2025, 1, 5)
    days = [first + timedelta(days=step * index) for index in range(count)]
    if period == "month":
        days = [date(2025 + (index // 12), index % 12 + 1, 1) for index in range(count)]
    points = [Point(day, Decimal(1000 + 137 * (index % 9))) for index, day in enumerate(days)]
    text = ChartText("bars", "line", lambda value: f"{value:,}", lambda day: day.isoformat(), rtl)
    drawing = money_over_time(points, CONTENT_WIDTH, text, period)
    shapes = drawing.contents
    bars = [
        shape
        for shape in shapes
        if isinstance(shape, Rect)
        and shape.fillColor == style.ACCENT
        and shape.y < style.CHART_HEIGHT / 2
    ]  # the legend's swatch is above
    grid = [shape for shape in shapes if isinstance(shape, Line)
            and shape.strokeColor == style.RULE]  # fmt: skip
    assert len(bars) == count
    left = min(line.x1 for line in grid)
    right = max(line.x2 for line in grid)
    assert min(bar.x for bar in bars) >= left
    assert max(bar.x + bar.width for bar in bars) <= right
