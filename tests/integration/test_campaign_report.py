"""Campaign totals, computed by SQL on SQLite and PostgreSQL, gift by gift at dated rates."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import BigInteger, Engine, func, literal, select

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.models import AuditEvent, Donation
from fundledger.adapters.db.sql_money import convert_minor as convert_minor_sql
from fundledger.adapters.db.sql_money import (
    convert_minor_fast,
    fits_fast_path,
    lowest_amount_reaching,
)
from fundledger.domain.errors import FundledgerError, RateNotInForce
from fundledger.domain.money import Money, divide_round_half_up
from fundledger.domain.rates import FixedRate, Rate, RateBook, conversion_factors, convert_minor
from fundledger.services import reports
from fundledger.services.campaigns import add_campaign
from fundledger.services.donations import reverse_donation
from fundledger.services.reports import campaign_summary
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run, summary


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376", "2025-07-04 USD ILS 3.351")
    return ledger_engine


def test_a_usd_gift_and_an_ils_gift_on_the_same_day(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    gift(ledger, "2025-07-03 150.00 ILS")
    report = summary(ledger)
    (usd_line,) = (line for line in report.by_currency if line.currency == "USD")
    (ils_line,) = (line for line in report.by_currency if line.currency == "ILS")
    assert (usd_line.home, usd_line.reporting) == (Money("337.60", "ILS"), Money("100.00", "USD"))
    assert (ils_line.home, ils_line.reporting) == (Money("150.00", "ILS"), Money("44.43", "USD"))
    assert report.total_home == Money("487.60", "ILS")
    assert report.total_reporting == Money("144.43", "USD")
    assert (report.donation_count, report.donor_count, report.anonymous_count) == (2, 1, 1)


def test_the_exact_total_stands_beside_the_sum_of_rounded_gifts(ledger: Engine) -> None:
    for _ in range(3):  # NIS 1.00 / 3.376 = 29.62085... cents each: 30 rounded, 88.86 exactly
        gift(ledger, "2025-07-03 1.00 ILS")
    gift(ledger, "2025-07-04 0.10 USD")  # NIS 0.3351 exactly: 34 agorot rounded
    report = summary(ledger)
    assert (report.total_home, report.total_reporting) == (Money("3.34", "ILS"),
                                                           Money("1.00", "USD"))  # fmt: skip
    assert (report.exact.home, report.exact.reporting) == (Money("3.34", "ILS"),
                                                           Money("0.99", "USD"))  # fmt: skip


def test_a_saturday_gift_uses_fridays_rate(ledger: Engine) -> None:
    gift(ledger, "2025-07-05 100.00 USD")
    report = summary(ledger)
    assert report.total_home == Money("335.10", "ILS")
    assert (report.rates.first_date, report.rates.last_date) == (date(2025, 7, 4), date(2025, 7, 4))


def test_a_gift_eight_days_after_the_last_rate_is_recorded_but_refused_in_the_report(
    ledger: Engine,
) -> None:
    gift(ledger, "2025-07-12 250.00 ILS")
    with pytest.raises(RateNotInForce) as refused:
        summary(ledger)
    assert str(refused.value).startswith(
        "no USD/ILS rate in force on 2025-07-12: the latest known is 2025-07-04"
    )
    with ledger.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Donation)) == 1


def test_a_reversed_gift_leaves_both_totals_exactly_as_before(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 150.00 ILS")
    gift(ledger, "2025-07-04 100.00 USD")
    before = summary(ledger)
    mistaken = gift(ledger, "2025-07-03 2.11 ILS", donor="Typo")  # a half-cent tie in USD
    assert summary(ledger).total_reporting != before.total_reporting
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=mistaken.id, reason="typo"))
    after = summary(ledger)
    assert (after.total_home, after.total_reporting) == (before.total_home, before.total_reporting)
    assert (after.donation_count, after.donor_count) == (before.donation_count, before.donor_count)
    assert after.by_day == before.by_day


def test_reversing_twice_or_reversing_a_reversal_fails(ledger: Engine) -> None:
    original = gift(ledger, "2025-07-03 150.00 ILS")
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=original.id, reason="x"))
    assert reversal.amount == Money("-150.00", "ILS")
    with pytest.raises(FundledgerError, match=f"already reversed by #{reversal.id}"):
        run(ledger, lambda s, c: reverse_donation(s, c, donation_id=original.id, reason="again"))
    with pytest.raises(FundledgerError, match="is itself the reversal"):
        run(ledger, lambda s, c: reverse_donation(s, c, donation_id=reversal.id, reason="undo"))
    with pytest.raises(FundledgerError, match="no donation #999"):
        run(ledger, lambda s, c: reverse_donation(s, c, donation_id=999, reason="?"))


def test_every_write_leaves_an_audit_event(ledger: Engine) -> None:
    with ledger.connect() as connection:
        before = connection.scalar(select(func.count()).select_from(AuditEvent))
    gift(ledger, "2025-07-03 150.00 ILS", donor="Sami Haddad")  # a new donor and a gift
    with ledger.connect() as connection:
        actions = connection.scalars(
            select(AuditEvent.action).order_by(AuditEvent.id).offset(before)
        ).all()
    assert actions == ["donor.add", "donation.add"]


def test_fixed_headline_rate(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 800000.00 ILS")
    headline = FixedRate.parse("1 ILS = 0.2911 USD", "ILS", "USD")
    report = run(ledger, lambda s, c: campaign_summary(s, c, "dont-look-away", headline))
    assert report.total_home == Money("800000.00", "ILS")
    assert report.headline is not None
    assert report.headline.total_reporting == Money("232880.00", "USD")
    assert report.total_reporting == Money("236966.82", "USD")  # 800,000 / 3.376 per gift


def test_sql_rounding_is_the_python_rule_on_ties_signs_and_huge_values(
    ledger_engine: Engine,
) -> None:
    cases = [
        (211, 1000, 3376),  # 0.625 cents: a tie, away from zero
        (-211, 1000, 3376),
        (15000, 1000, 3376),
        (5, 1, 10),
        (-5, 1, 10),
        (9_000_000_000_000_000, 10**20 + 3, 10**19 + 7),  # far past 64 bits
        (1, 0, 1),
    ]
    with ledger_engine.connect() as connection:
        for amount, numerator, denominator in cases:
            computed = connection.scalar(
                select(convert_minor_sql(amount, str(numerator), str(denominator)))
            )
            assert int(computed) == divide_round_half_up(amount * numerator, denominator)


def test_the_fast_integer_path_and_the_exact_path_agree(ledger_engine: Engine) -> None:
    cases = [
        (211, 1000, 3376), (-211, 1000, 3376), (15000, 3376, 1000), (5, 1, 10), (-5, 1, 10),
        (10**15, 7577, 2000), (10**15 - 1, 10389, 10000), (1, 0, 1), (999_999, 1, 999_999),
        (9_000_000_000_000_000, 10**20 + 3, 10**19 + 7),
    ]  # fmt: skip
    with ledger_engine.connect() as connection:
        for amount, numerator, denominator in cases:
            expected = divide_round_half_up(amount * numerator, denominator)
            fast = fits_fast_path(numerator, denominator)
            assert fast == (numerator < 10**18), (numerator, denominator)
            for whole in ((numerator, denominator) if fast else (None, None), (None, None)):
                computed = connection.scalar(select(convert_minor_fast(
                    literal(amount, BigInteger), literal(whole[0], BigInteger),
                    literal(whole[1], BigInteger), str(numerator), str(denominator),
                )))  # fmt: skip
                assert int(computed) == expected, (amount, numerator, denominator, whole)


def test_size_band_thresholds_are_exact() -> None:
    for numerator, denominator in ((1, 1), (3376, 1000), (1000, 3376), (7577, 2000), (3, 7)):
        for bound in (1, 10_000, 25_000, 1_000_000):
            lowest = lowest_amount_reaching(bound, numerator, denominator)
            assert divide_round_half_up(lowest * numerator, denominator) >= bound
            assert divide_round_half_up((lowest - 1) * numerator, denominator) < bound


def test_sql_totals_equal_the_sum_of_gifts_converted_one_by_one(ledger_engine: Engine) -> None:
    """200 gifts in three currencies over a month of business-day rates, ties included."""
    randomizer = random.Random(20250703)
    campaign(ledger_engine)
    start = date(2025, 6, 1)
    rate_lines, book_rates = [], []
    for offset in range(40):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        usd = Decimal(randomizer.randint(33000, 38000)) / 10000
        eur = Decimal(randomizer.randint(38000, 42000)) / 10000
        for base, value in (("USD", usd), ("EUR", eur)):
            rate_lines.append(f"{day} {base} ILS {value} BOI")
            book_rates.append(Rate(day, base, "ILS", value, "BOI"))
    rates(ledger_engine, *rate_lines)
    book = RateBook(book_rates)
    home_values: list[int] = []
    expected_reporting = 0
    exact_home, exact_reporting = Fraction(0), Fraction(0)
    for _ in range(201):
        day = start + timedelta(days=randomizer.randint(3, 39))
        currency = randomizer.choice(["ILS", "ILS", "USD", "EUR"])
        minor = randomizer.choice([211 * randomizer.randint(1, 999), randomizer.randint(1, 10**7)])
        gift(ledger_engine, f"{day} {Money.from_minor(minor, currency).amount} {currency}")
        factors = conversion_factors(book, currency, day, "ILS", "USD")
        home_values.append(convert_minor(minor, factors.to_home))
        expected_reporting += convert_minor(minor, factors.to_reporting)
        exact_home += minor * factors.to_home
        exact_reporting += minor * factors.to_reporting
    report = summary(ledger_engine)
    assert report.total_home.to_minor() == sum(home_values)
    assert report.total_reporting.to_minor() == expected_reporting
    assert report.exact.home.to_minor() == int(exact_home + Fraction(1, 2))  # half up, > 0
    assert report.exact.reporting.to_minor() == int(exact_reporting + Fraction(1, 2))
    assert report.exact.reporting.to_minor() != expected_reporting  # rounding once differs
    assert report.donation_count == 201
    for lines in (report.by_day, report.by_week, report.by_method, report.sizes):
        assert sum(line.home.to_minor() for line in lines) == sum(home_values)
        assert sum(line.reporting.to_minor() for line in lines) == expected_reporting
        assert sum(line.count for line in lines) == 201
    assert all(week.date.weekday() == 6 for week in report.by_week)  # weeks start on Sunday
    assert report.median_gift == Money.from_minor(sorted(home_values)[100], "ILS")
    assert report.average_gift == Money.from_minor(divide_round_half_up(sum(home_values), 201),
                                                   "ILS")  # fmt: skip
    for band in report.sizes:  # each band holds exactly the gifts whose ILS value is in it
        high = band.high.to_minor() if band.high else 10**18
        inside = [value for value in home_values if band.low.to_minor() <= value < high]
        assert (band.count, band.home.to_minor()) == (len(inside), sum(inside))


def test_honour_roll_and_progress_never_reveal_an_anonymous_gift(ledger: Engine) -> None:
    run(
        ledger,
        lambda s, c: add_campaign(s, c, slug="goal", name="Goal", goal=Money("1000.00", "ILS")),
    )
    gift(ledger, "2025-07-03 100.00 ILS", slug="goal", donor="Dana Levi")
    gift(ledger, "2025-07-03 300.00 ILS", slug="goal", donor="Dana Levi")
    gift(ledger, "2025-07-03 5000.00 ILS", slug="goal", donor="Dana Levi", anonymous=True)
    gift(ledger, "2025-07-04 250.00 ILS", slug="goal", donor="Sami Haddad")
    gift(ledger, "2025-07-04 90.00 ILS", slug="goal")  # no donor: anonymous
    report = summary(ledger, "goal")
    assert [(line.name, line.count, line.home) for line in report.top_donors] == [
        ("Dana Levi", 2, Money("400.00", "ILS")),  # her anonymous 5,000 is not hers here
        ("Sami Haddad", 1, Money("250.00", "ILS")),
    ]
    assert (report.donor_count, report.anonymous_count) == (2, 2)
    assert report.goal_progress == Decimal("5.7400")  # 5,740 of 1,000
    assert report.median_gift == Money("250.00", "ILS")


def test_gaps_are_reported_earliest_first_with_how_many_more(ledger: Engine) -> None:
    gift(ledger, "2025-07-20 5.00 ILS")
    gift(ledger, "2025-07-12 5.00 USD")
    gift(ledger, "2025-07-03 5.00 ILS")
    with pytest.raises(RateNotInForce) as refused:
        summary(ledger)
    message = str(refused.value)
    assert message.startswith("no USD/ILS rate in force on 2025-07-12")
    assert message.endswith("(and 1 more: see `fundledger rates gaps`)")


def test_an_absurd_rate_is_refused_before_the_database_overflows(ledger_engine: Engine) -> None:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 0.0000000001")
    gift(ledger_engine, "2025-07-03 1000000.00 ILS")
    with pytest.raises(FundledgerError, match="converts to more than the ledger can hold"):
        summary(ledger_engine)


def test_a_date_whose_only_gift_was_reversed_needs_no_rate(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 150.00 ILS")
    mistaken = gift(ledger, "2025-07-20 80.00 USD")  # no rate in force on 2025-07-20
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=mistaken.id, reason="test"))
    report = summary(ledger)
    assert (report.donation_count, report.total_home) == (1, Money("150.00", "ILS"))
    assert report.rates.last_date == date(2025, 7, 3)


def test_a_gift_committed_during_a_report_is_in_none_of_its_parts(ledger: Engine) -> None:
    """A gift committed after the report's snapshot must be missing from every part of the
    report alike: on PostgreSQL the donor sums run on a second connection, which imports the
    first one's snapshot."""
    gift(ledger, "2025-07-03 100.00 ILS", donor="Dana Levi")
    with transaction(ledger) as session:
        assert session.scalar(select(func.count()).select_from(Donation)) == 1  # the snapshot
        gift(ledger, "2025-07-03 900.00 ILS", donor="Omar Haddad")  # committed meanwhile
        report = campaign_summary(session, CONTEXT, "dont-look-away")
    assert (report.donation_count, report.total_home) == (1, Money("100.00", "ILS"))
    assert [(line.name, line.home) for line in report.top_donors] == [
        ("Dana Levi", Money("100.00", "ILS"))
    ]
    assert report.donor_count == 1
    assert summary(ledger).donor_count == 2


def test_all_campaigns_together_add_up_and_count_each_donor_once(ledger: Engine) -> None:
    summer = {"start": date(2025, 5, 1), "end": date(2025, 9, 30)}
    run(ledger, lambda s, c: add_campaign(s, c, slug="summer", name="Summer", **summer))
    gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    gift(ledger, "2025-07-03 150.00 ILS", donor="Noa Cohen")
    gift(ledger, "2025-07-04 40.00 USD", donor="Dana Levi", slug="summer")
    gift(ledger, "2025-07-04 900.00 ILS", slug="summer")  # anonymous
    bounced = gift(ledger, "2025-07-04 5000.00 ILS", donor="Rami Haddad", slug="summer")
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=bounced.id, reason="bounced"))
    one, other = summary(ledger), summary(ledger, "summer")
    together = summary(ledger, None)
    assert (together.campaign.slug, together.campaign.name, together.campaign.goal) == (
        "", reports.ALL_CAMPAIGNS, None)  # fmt: skip
    assert (together.campaign.start, together.campaign.end) == (date(2025, 5, 1),
                                                                date(2025, 9, 30))  # fmt: skip
    assert together.total_home == one.total_home + other.total_home
    assert together.total_reporting == one.total_reporting + other.total_reporting
    assert (together.donation_count, together.anonymous_count, together.donor_count) == (4, 1, 2)
    assert together.median_gift == Money("243.80", "ILS")  # 134.04, 150 | 337.60, 900 ILS
    assert [line.name for line in together.top_donors] == ["Dana Levi", "Noa Cohen"]
