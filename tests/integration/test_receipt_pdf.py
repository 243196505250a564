"""The receipt PDF, read back: every character drawn has a glyph, in each language; names are
printed literally; the same receipt gives the same bytes; a copy differs only by its mark."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.services.receipts import (
    Organisation,
    ReceiptDocument,
    ReceiptNumber,
    ReceiptRate,
)
from tests.pdf_helpers import missing_glyphs, pdf_text

ORGANISATION = Organisation(
    name="עומדים ביחד – Standing Together", address="רחוב הדוגמה 12, חיפה",
    contact="+972-4-000-0000", registration="580123456", approval="4512/2024",
    approval_valid_until=date(2026, 12, 31),
)  # fmt: skip


def receipt(locale: str, **changes: object) -> ReceiptDocument:
    document = ReceiptDocument(
        number=ReceiptNumber("DLA", 2025, 17), kind="donation", issued_on=date(2025, 8, 1),
        locale=locale, organisation=ORGANISATION, donor="Ali <b>Bold</b> & Co (علي)",
        donor_email="ali@example.org", donor_tax_id="123456782", donation_id=42,
        gift_date=date(2025, 7, 3),
        amount=Money("1234.50", "EUR"), home=Money("4922.63", "ILS"),
        rate=ReceiptRate("EUR", "ILS", "3.9876", date(2025, 7, 3), "BOI", "direct", None),
        method="bank transfer", reference="TX-2025/07 (a)", tax_report="TR-77/2025",
    )  # fmt: skip
    return replace(document, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ["donation", "credit"])
def test_every_character_drawn_has_a_glyph_in_its_font(
    tmp_path: Path, locale: str, kind: str, drawn_strings: list[tuple[str, str]]
) -> None:
    changes = {"kind": kind, "credits": ReceiptNumber("DLA", 2025, 3),
               "credits_issued_on": date(2025, 7, 20)} if kind == "credit" else {}  # fmt: skip
    undrawable = write_receipt_pdf(receipt(locale, **changes), tmp_path / "r.pdf")
    assert undrawable == set()
    assert len(drawn_strings) > 20
    assert missing_glyphs(drawn_strings) == set()
    reader = PdfReader(tmp_path / "r.pdf")
    assert len(reader.pages) == 1


def test_names_print_literally_and_the_same_receipt_gives_the_same_bytes(tmp_path: Path) -> None:
    write_receipt_pdf(receipt("en"), tmp_path / "a.pdf")
    write_receipt_pdf(receipt("en"), tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    text = pdf_text(tmp_path / "a.pdf")
    assert "Ali <b>Bold</b> & Co" in text
    for expected in ("DLA-2025-00017", "€1,234.50", "₪4,922.63", "1 EUR = 3.9876 ILS",
                     "the Bank of Israel", "approval no. 4512/2024", "TX-2025/07 (a)"):  # fmt: skip
        assert expected in text, expected
    write_receipt_pdf(receipt("en"), tmp_path / "copy.pdf", copy=True)
    # Word for word the same but for the mark, which the donor's stub repeats (pdftotext's
    # spacing follows the mark's width).
    copied = " ".join(pdf_text(tmp_path / "copy.pdf").split())
    assert copied.count("Copy") == 2
    assert copied.replace("Donation receipt · Copy", "Donation receipt") == " ".join(
        text.replace("Original", "Copy").split())  # fmt: skip


def test_without_a_section_46_approval_the_receipt_claims_none(tmp_path: Path) -> None:
    plain = Organisation("Peace Coalition", None, None, None, None, None)
    write_receipt_pdf(receipt("en", organisation=plain, rate=None,
                              amount=Money("50.00", "ILS"), home=Money("50.00", "ILS")),
                      tmp_path / "plain.pdf")  # fmt: skip
    text = pdf_text(tmp_path / "plain.pdf")
    assert "Section 46" not in text
    assert "Exchange rate" not in text
    assert "₪50.00" in text


def test_a_crossed_rate_says_through_which_currency(tmp_path: Path) -> None:
    crossed = ReceiptRate("USD", "ILS", "3.5066", date(2025, 5, 30), "ECB", "cross", "EUR")
    write_receipt_pdf(receipt("en", rate=crossed), tmp_path / "crossed.pdf")
    text = " ".join(pdf_text(tmp_path / "crossed.pdf").split())
    # The value wraps beside its label, which pdftotext reads in between.
    assert "1 USD = 3.5066 ILS, crossed through EUR from the rates published by the" in text
    assert "European Central Bank for May 30, 2025" in text
