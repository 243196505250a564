"""Reports of a period and the accountant's export (issue #22 items 10 and 11): every figure of
the gifts dated within the period, the export's values adding up to the report's totals to the
agora, months adding up to the year, and each campaign's totals the same whether read from the
stored summaries or summed from the gifts; on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from fundledger.domain.errors import FundledgerError, RateNotInForce
from fundledger.domain.money import Money
from fundledger.domain.period import Period
from fundledger.services.campaign_totals import campaign_totals
from fundledger.services.donations import correct_donation, reverse_donation
from fundledger.services.period_export import export_period
from fundledger.services.reports import campaign_summary
from fundledger.services.summary_store import refresh
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run, summary

JULY = Period(date(2025, 7, 1), date(2025, 7, 31))
AUGUST = Period(date(2025, 8, 1), date(2025, 8, 31))
SUMMER = Period(date(2025, 7, 1), date(2025, 8, 31))


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    """Two campaigns over July and August, in ILS, USD and EUR (amounts whose conversions
    round), one gift reversed, one given anonymously."""
    engine = ledger_engine
    campaign(engine, "a")
    campaign(engine, "b")
    rates(engine, "2025-07-01 USD ILS 3.3761", "2025-07-01 EUR ILS 3.9377",
          "2025-07-15 USD ILS 3.3517", "2025-07-15 EUR ILS 3.9104",
          "2025-07-29 USD ILS 3.3602", "2025-07-29 EUR ILS 3.9225",
          "2025-08-01 USD ILS 3.4123", "2025-08-01 EUR ILS 3.9611")  # fmt: skip
    lines = [
        ("a", "2025-07-01 33.33 USD", "Dana Levi"), ("b", "2025-07-02 101.01 EUR", "Rami"),
        ("a", "2025-07-03 250.00 ILS", None), ("b", "2025-07-16 17.77 USD", "Dana Levi"),
        ("a", "2025-07-31 99.99 EUR", "Noa"), ("b", "2025-08-01 0.07 USD", "Rami"),
        ("a", "2025-08-02 1234.56 ILS", "Noa"), ("b", "2025-08-05 45.45 EUR", None),
    ]  # fmt: skip
    for slug, line, donor in lines:
        gift(engine, line, slug=slug, donor=donor)
    run(engine, lambda s, c: reverse_donation(s, c, donation_id=4, reason="bounced"))
    return engine


def period_summary(engine: Engine, slug: str | None, period: Period):  # type: ignore[no-untyped-def]
    return run(engine, lambda s, c: campaign_summary(s, c, slug, period=period))


def test_the_export_adds_up_to_the_period_report_to_the_agora(ledger: Engine) -> None:
    for slug in (None, "a", "b"):
        for period in (JULY, AUGUST, SUMMER):
            report = period_summary(ledger, slug, period)
            export = run(ledger, lambda s, c, slug=slug, period=period: export_period(
                s, c, period, slug))  # fmt: skip
            assert export.total_home == report.total_home, (slug, period)
            assert export.total_reporting == report.total_reporting, (slug, period)
            assert export.counted == report.donation_count
            assert report.period == period
            assert all(period.start <= line.date <= period.end for line in export.gifts)


def test_a_period_counts_only_its_gifts_and_the_months_add_up(ledger: Engine) -> None:
    whole = summary(ledger, None)
    july, august = (period_summary(ledger, None, period) for period in (JULY, AUGUST))
    assert july.donation_count == 4  # #4 is reversed: out, with its reversal
    assert august.donation_count == 3
    assert july.total_home + august.total_home == whole.total_home
    assert july.total_reporting + august.total_reporting == whole.total_reporting
    assert [line.date for line in july.by_day] == [date(2025, 7, d) for d in (1, 2, 3, 31)]
    assert july.goal_progress is None
    # 33.33 USD at 3.3761 = 112.525413 -> 112.53; 101.01 EUR at 3.9377 = 397.747077 -> 397.75;
    # 250.00; 99.99 EUR at 3.9225 (of 07-29, in force on 07-31) = 392.210775 -> 392.21.
    assert july.total_home == Money.parse("1152.49", "ILS")
    assert sum((line.home for line in july.by_campaign), Money.zero("ILS")) == july.total_home
    assert [(line.campaign.slug, line.gifts) for line in july.by_campaign] == [("a", 3), ("b", 1)]


def test_the_export_lists_reversals_with_their_links_and_rates(ledger: Engine) -> None:
    export = run(ledger, lambda s, c: export_period(s, c, JULY))
    by_id = {line.id: line for line in export.gifts}
    reversed_gift, reversal = by_id[4], by_id[9]
    assert (reversed_gift.reversed_by, reversal.reverses) == (9, 4)
    assert reversal.home == -reversed_gift.home
    assert reversal.reporting == -reversed_gift.reporting
    assert reversal.date == reversed_gift.date == date(2025, 7, 16)
    assert reversed_gift.rate_dates == (date(2025, 7, 15),)
    assert "USD/ILS = 3.3517" in reversed_gift.rates
    assert by_id[2].rate_dates == (date(2025, 7, 1),)  # EUR/ILS and USD/ILS of that date
    assert "EUR/ILS = 3.9377" in by_id[2].rates
    assert [line.id for line in export.gifts] == [1, 2, 3, 4, 9, 5]


def test_each_campaigns_totals_are_the_same_stored_or_from_the_gifts(ledger: Engine) -> None:
    from_gifts = run(ledger, campaign_totals)
    assert refresh(ledger, lambda _session: CONTEXT)
    stored = run(ledger, campaign_totals)
    assert stored == from_gifts
    whole = summary(ledger, None)
    assert sum((line.home for line in stored if line.home), Money.zero("ILS")) == whole.total_home
    assert sum(line.gifts for line in stored) == whole.donation_count
    assert [line.campaign.slug for line in whole.by_campaign] == [line.campaign.slug
                                                                  for line in stored]  # fmt: skip
    for period in (JULY, AUGUST):
        stored_period = run(ledger, lambda s, c, period=period: campaign_totals(s, c, period))
        assert stored_period == from_gifts_of(ledger, period)


def from_gifts_of(engine: Engine, period: Period) -> list:  # type: ignore[type-arg]
    """campaign_totals of a period computed from the gifts (stored summaries emptied)."""
    from sqlalchemy import delete

    from fundledger.adapters.db.models import SummaryState

    with engine.begin() as connection:
        connection.execute(delete(SummaryState))
    return run(engine, lambda s, c: campaign_totals(s, c, period))


def test_a_gift_without_a_rate_shows_no_total_and_stops_the_export(ledger: Engine) -> None:
    gift(ledger, "2025-09-30 10.00 GBP", slug="b")
    lines = {line.campaign.slug: line for line in run(ledger, campaign_totals)}
    assert (lines["b"].home, lines["b"].unvalued, lines["b"].gifts) == (None, 1, 4)
    assert lines["a"].home is not None
    with pytest.raises(RateNotInForce):
        run(ledger, lambda s, c: export_period(s, c, Period(date(2025, 9, 1),
                                                            date(2025, 9, 30))))  # fmt: skip


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(FundledgerError, match="swap --from and --to"):
        Period(date(2025, 7, 2), date(2025, 7, 1))


def test_the_export_gives_a_corrected_gift_its_reference_and_link(ledger: Engine) -> None:
    gift(ledger, "2025-07-20 500.00 ILS", slug="a", donor="Noa", reference="IG-50230")
    run(ledger, lambda s, c: correct_donation(s, c, donation_id=10, amount="50.00",
                                              reason="typed a zero too many"))  # fmt: skip
    export = run(ledger, lambda s, c: export_period(s, c, JULY, "a"))
    by_id = {line.id: line for line in export.gifts}
    original, reversal, corrected = by_id[10], by_id[11], by_id[12]
    assert (original.reference, original.reversed_by, original.corrects) == ("IG-50230", 11, None)
    assert (reversal.reverses, corrected.reference, corrected.corrects) == (10, "IG-50230", 10)
    assert corrected.home == Money.parse("50.00", "ILS")
    report = period_summary(ledger, "a", JULY)
    assert export.total_home == report.total_home
