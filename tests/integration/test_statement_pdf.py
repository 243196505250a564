"""The annual statement PDF: every character drawn has a glyph in each language, and a long
year runs over pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.services.receipts import Organisation, ReceiptNumber
from fundledger.services.statements import DonorStatement, StatementLine
from tests.pdf_helpers import missing_glyphs, pdf_text


def statement(gifts: int) -> DonorStatement:
    lines = tuple(
        StatementLine(donation_id=number, date=date(2025, 1, 1) + timedelta(days=number),
                      campaign="אל תסיטו את המבט – Don't Look Away", amount=Money("100.00", "USD"),
                      home=Money("337.60", "ILS"), reporting=Money("100.00", "USD"),
                      receipt=ReceiptNumber("R", 2025, number) if number % 2 else None,
                      anonymous=number % 3 == 0)
        for number in range(gifts)
    )  # fmt: skip
    return DonorStatement(
        year=2025, organisation=Organisation("ائتلاف السلام", "حيفا", "+972-4-000-0000",
                                             "580123456", "4512", date(2026, 12, 31)),
        donor_id=7, donor="Rania خوري", donor_email="rania@example.org", lines=lines,
        total_home=Money("337.60", "ILS") * gifts, total_reporting=Money("100.00", "USD") * gifts,
        max_rate_age_days=7,
    )  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
def test_every_character_drawn_has_a_glyph_in_its_font(
    tmp_path: Path, locale: str, drawn_strings: list[tuple[str, str]]
) -> None:
    assert write_statement_pdf(statement(3), Reader(locale), tmp_path / "s.pdf") == set()
    assert missing_glyphs(drawn_strings) == set()
    assert len(drawn_strings) > 20


def test_a_long_year_runs_over_pages_with_the_totals_at_the_end(tmp_path: Path) -> None:
    write_statement_pdf(statement(80), Reader("en"), tmp_path / "long.pdf")
    assert len(PdfReader(tmp_path / "long.pdf").pages) >= 2
    text = pdf_text(tmp_path / "long.pdf")
    assert text.count("Receipt") >= 2  # the header row again on the next page
    assert "₪27,008.00" in text.split("\f")[-2]


def test_a_column_that_repeats_another_is_left_out(tmp_path: Path) -> None:
    given_in_dollars = statement(3)
    in_shekels = replace(given_in_dollars, lines=tuple(
        replace(line, amount=line.home) for line in given_in_dollars.lines))  # fmt: skip
    reported_in_shekels = replace(in_shekels, total_reporting=in_shekels.total_home, lines=tuple(
        replace(line, reporting=line.home) for line in in_shekels.lines))  # fmt: skip
    headers = []
    for number, each in enumerate((given_in_dollars, in_shekels, reported_in_shekels)):
        write_statement_pdf(each, Reader("en"), tmp_path / f"{number}.pdf")
        header = next(line for line in pdf_text(tmp_path / f"{number}.pdf").splitlines()
                      if "Campaign" in line)  # fmt: skip
        headers.append(header.split())
    assert headers[0] == ["Date", "Campaign", "Amount", "ILS", "USD", "Receipt"]
    assert headers[1] == ["Date", "Campaign", "ILS", "USD", "Receipt"]
    assert headers[2] == ["Date", "Campaign", "ILS", "Receipt"]
