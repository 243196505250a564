"""Annual statements: every counted gift of the donor's year (anonymous ones too, merged
donors' too), each with its receipt number and values, adding up to the totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.rates import Rate
from fundledger.services.donations import reverse_donation
from fundledger.services.donors import merge_donors
from fundledger.services.rate_import import add_rate
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from fundledger.services.statements import DonorStatement, donor_statement, donor_statements
from tests.ledger_helpers import campaign, gift, rates, run


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2024-12-30 USD ILS 3.65", "2025-07-03 USD ILS 3.376")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    return ledger_engine


def statement(engine: Engine, donor_id: int, year: int = 2025) -> DonorStatement:
    return run(engine, lambda s, c: donor_statement(s, c, donor_id, year, "en"))


def test_a_statement_lists_the_years_gifts_with_their_receipts_and_adds_up(ledger: Engine) -> None:
    gift(ledger, "2024-12-31 50.00 ILS", donor="Dana Levi")  # donor 1, the year before
    first = gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    gift(ledger, "2025-07-04 250.00 ILS", donor="Dana Levi", anonymous=True)
    bounced = gift(ledger, "2025-07-05 70.00 ILS", donor="Dana Levi")
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=bounced.id, reason="bounced"))
    other = gift(ledger, "2025-07-05 30.00 ILS", donor="Dana Levy")  # donor 2
    august = IssueOptions("en", date(2025, 8, 1))
    receipt = run(ledger, lambda s, c: issue_receipt(s, c, first.id, august))
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same"))
    found = statement(ledger, 1)
    assert [(line.date, line.amount, line.home, line.reporting, line.receipt, line.anonymous)
            for line in found.lines] == [
        (date(2025, 7, 3), Money("100.00", "USD"), Money("337.60", "ILS"),
         Money("100.00", "USD"), receipt.number, False),
        (date(2025, 7, 4), Money("250.00", "ILS"), Money("250.00", "ILS"),
         Money("74.05", "USD"), None, True),
        (date(2025, 7, 5), Money("30.00", "ILS"), Money("30.00", "ILS"),
         Money("8.89", "USD"), None, False),
    ]  # fmt: skip
    assert (found.total_home, found.total_reporting) == (Money("617.60", "ILS"),
                                                         Money("182.94", "USD"))  # fmt: skip
    assert sum((line.home for line in found.lines), Money.zero("ILS")) == found.total_home
    assert other.id == found.lines[2].donation_id
    assert [line.amount for line in statement(ledger, 1, 2024).lines] == [Money("50.00", "ILS")]
    everyone = run(ledger, lambda s, c: donor_statements(s, c, 2025, "en"))
    assert [(one.donor_id, one.lines) for one in everyone] == [(1, found.lines)]
    with pytest.raises(FundledgerError, match="donor #2 is merged into #1: their gifts are on"):
        statement(ledger, 2)


def test_a_year_without_gifts_and_a_donor_that_does_not_exist(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")
    empty = statement(ledger, 1, 2023)
    assert (empty.lines, empty.total_home) == ((), Money.zero("ILS"))
    with pytest.raises(FundledgerError, match="no donor #7"):
        statement(ledger, 7)


def test_a_receipted_gift_keeps_its_receipts_value_after_a_rate_correction(
    ledger: Engine,
) -> None:
    donation = gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    august = IssueOptions("en", date(2025, 8, 1))
    run(ledger, lambda s, c: issue_receipt(s, c, donation.id, august))
    corrected = Rate(date(2025, 7, 3), "USD", "ILS", Decimal("3.4"), "BOI")
    run(ledger, lambda s, c: add_rate(s, c, corrected, supersede=True))
    line = statement(ledger, 1).lines[0]
    assert line.home == Money("337.60", "ILS")  # as the receipt says, not 340.00
