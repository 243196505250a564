"""A campaign of more than about twelve weeks is tabled by month: each month sums the gifts'
rounded values, so the months add up to the totals, and they come out the same whether the
summary is read from the stored summaries or computed from the gifts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from fundledger.domain.money import Money
from fundledger.domain.rates import Rate, RateBook, conversion_factors, convert_minor
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.services.reports import campaign_summary
from fundledger.services.summary_parts import size_bounds
from fundledger.services.summary_read import stored_gathered
from fundledger.services.summary_store import refresh
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run
from tests.pdf_helpers import pdf_text

START = date(2025, 1, 9)
# Amounts whose conversions round: 33.33 USD at 3.3761 is 112.525... ILS.
GIFTS = [("33.33", "USD"), ("100.01", "ILS"), ("17.77", "USD"), ("250.00", "ILS")]


def test_months_sum_the_rounded_gifts_the_same_way_both_ways(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    book = []
    expected: dict[date, list[int]] = {}
    for number in range(40):  # a gift every 11 days: from January 2025 to March 2026
        day = START + timedelta(days=11 * number)
        value = Decimal("3.3761") + Decimal(number) / 1000
        rates(ledger_engine, f"{day} USD ILS {value}")
        book.append(Rate(day, "USD", "ILS", value, "manual"))
        amount, currency = GIFTS[number % len(GIFTS)]
        gift(ledger_engine, f"{day} {amount} {currency}", donor=f"Donor {number % 7}")
        factors = conversion_factors(RateBook(book), currency, day, "ILS", "USD")
        minor = Money.parse(amount, currency).to_minor()
        month = expected.setdefault(day.replace(day=1), [0, 0, 0])
        month[0] += 1
        month[1] += convert_minor(minor, factors.to_home)
        month[2] += convert_minor(minor, factors.to_reporting)
    assert refresh(ledger_engine, lambda _session: CONTEXT)

    def both(session, context):  # type: ignore[no-untyped-def]
        assert stored_gathered(session, context, 1, size_bounds("ILS")) is not None
        return (campaign_summary(session, context, "dont-look-away"),
                campaign_summary(session, context, "dont-look-away", stored=False))  # fmt: skip

    stored, computed = run(ledger_engine, both)
    assert stored.by_day == computed.by_day
    assert stored.by_month == computed.by_month
    months = stored.by_month
    found = [(line.date, line.count, line.home.to_minor(), line.reporting.to_minor())
             for line in months]  # fmt: skip
    assert found == [(month, *sums) for month, sums in sorted(expected.items())]
    assert len(months) == 15
    assert sum(line.count for line in months) == stored.donation_count == 40
    assert sum((line.home for line in months), Money.zero("ILS")) == stored.total_home
    assert sum((line.reporting for line in months), Money.zero("USD")) == stored.total_reporting

    path = tmp_path / "months.pdf"
    write_campaign_pdf(stored, Reader("en"), path, ReportOptions(7))
    detail = "\n".join(pdf_text(path).split("\f")[1:])
    assert "By month" in detail
    assert "Week of" not in detail
    reader = Reader("en")
    for line in months:
        row = next(text for text in detail.splitlines() if reader.month(line.date).replace(
            "\u00a0", " ") in text)  # fmt: skip
        assert row.split()[2:] == [reader.number(line.count), reader.money(line.home),
                                   reader.money(line.reporting)]  # fmt: skip
    total = next(text for text in detail.splitlines() if text.split()[:1] == ["Total"])
    assert total.split()[1:] == [reader.number(40), reader.money(stored.total_home),
                                 reader.money(stored.total_reporting)]  # fmt: skip
