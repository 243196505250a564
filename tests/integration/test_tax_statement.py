"""The yearly statement says whether the donor's total of the year reaches the Section 46
minimum of that year (tax.section46.minimum.YEAR, 207 NIS for 2026 by default), when the
organisation has a Section 46 approval; read back from the PDF in en, he and ar."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.services.settings import (
    RULE_KEYS,
    current_settings,
    ledger_settings,
    section46_minimum,
    set_setting,
)
from fundledger.services.statements import DonorStatement, donor_statement
from tests.ledger_helpers import campaign, gift, rates, run
from tests.pdf_helpers import text_of


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2026-01-05 USD ILS 3.2", "2026-03-05 USD ILS 3.1")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512")):  # fmt: skip
        setting(ledger_engine, key, value)
    gift(ledger_engine, "2026-01-05 150.00 ILS", donor="Dana Levi")
    gift(ledger_engine, "2026-03-05 40.00 ILS", donor="Dana Levi")
    return ledger_engine


def setting(engine: Engine, key: str, value: str | None) -> None:
    run(engine, lambda s, c: set_setting(s, c, key, value))


def statement(engine: Engine, year: int = 2026, locale: str = "en") -> DonorStatement:
    return run(engine, lambda s, c: donor_statement(s, c, 1, year, locale))


def test_the_minimum_of_the_year_and_whether_the_total_reaches_it(ledger: Engine) -> None:
    found = statement(ledger)
    assert (found.total_home, found.section46_minimum) == (
        Money("190.00", "ILS"), Money("207.00", "ILS"))  # fmt: skip
    assert found.reaches_minimum is False
    setting(ledger, "tax.section46.minimum.2026", "190")  # the Authority's update
    assert statement(ledger).reaches_minimum is True
    assert statement(ledger, 2027).section46_minimum is None  # none known: nothing said
    setting(ledger, "tax.section46.minimum.2027", "215.50")
    assert statement(ledger, 2027).section46_minimum == Money("215.50", "ILS")
    setting(ledger, "organisation.section46.approval", None)
    found = statement(ledger)
    assert (found.section46_minimum, found.reaches_minimum) == (None, None)


def plain(text: str) -> str:
    """Compared without spacing (the PDF's lines break where they do) or the bidi controls
    pdftotext puts around right-to-left runs."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in "".join(text.split()) if unicodedata.category(c) != "Cf")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_pdf_says_it_in_each_language(ledger: Engine, tmp_path: Path, locale: str) -> None:
    reader = Reader(locale)
    below = statement(ledger, locale=locale)
    write_statement_pdf(below, reader, tmp_path / "below.pdf")
    setting(ledger, "tax.section46.minimum.2026", "150")
    reached = statement(ledger, locale=locale)
    write_statement_pdf(reached, reader, tmp_path / "reached.pdf")
    below_text, reached_text = text_of(tmp_path / "below.pdf"), text_of(tmp_path / "reached.pdf")
    assert "207.00" in plain(below_text)
    assert "150.00" in reached_text
    if locale == "en":
        assert "below the Section 46 minimum of ₪207.00 for 2026" in " ".join(below_text.split())
        assert "they reach the Section 46 minimum of ₪150.00 for 2026" in " ".join(
            reached_text.split())  # fmt: skip
    # The words of each sentence, in its language, are on the page (and the other's are not).
    says_below = {"en": "below", "he": "פחות", "ar": "أقل"}[locale]
    says_reach = {"en": "theyreach", "he": "מגיע", "ar": "وهويبلغ"}[locale]
    assert says_below in plain(below_text)
    assert says_reach not in plain(below_text)
    assert says_reach in plain(reached_text)
    assert says_below not in plain(reached_text)


def test_no_approval_no_line(ledger: Engine, tmp_path: Path) -> None:
    setting(ledger, "organisation.section46.approval", None)
    write_statement_pdf(statement(ledger), Reader("en"), tmp_path / "s.pdf")
    assert "Section 46 minimum" not in text_of(tmp_path / "s.pdf")


def test_the_default_minimum_is_the_laws_for_2026_only() -> None:
    assert section46_minimum({}, 2026, "ILS") == Money("207", "ILS")
    assert section46_minimum({}, 2025, "ILS") is None
    assert section46_minimum({"tax.section46.minimum.2025": "200.00"}, 2025, "ILS") == Money(
        "200.00", "ILS")  # fmt: skip


def test_books_kept_in_another_currency_say_nothing_of_the_nis_minimum(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    # The minimum is a NIS amount: a total in euros cannot be held against it (it was read
    # as EUR 207.00 before).
    assert section46_minimum({}, 2026, "EUR") is None
    assert section46_minimum({"tax.section46.minimum.2026": "190"}, 2026, "USD") is None
    campaign(ledger_engine)
    for key, value in (("ledger.home_currency", "EUR"), ("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512")):  # fmt: skip
        setting(ledger_engine, key, value)
    rates(ledger_engine, "2026-01-05 EUR USD 1.1")
    gift(ledger_engine, "2026-01-05 250.00 EUR", donor="Dana Levi")
    found = run(ledger_engine, lambda s, c: donor_statement(s, replace(c, settings=ledger_settings(
        current_settings(s, RULE_KEYS))), 1, 2026, "en"))  # fmt: skip
    assert (found.total_home, found.section46_minimum, found.reaches_minimum) == (
        Money("250.00", "EUR"), None, None)  # fmt: skip
    write_statement_pdf(found, Reader("en"), tmp_path / "s.pdf")
    assert "Section 46 minimum" not in text_of(tmp_path / "s.pdf")
