"""Which rate is in force on a date, and how a gift is converted (shared/design.md §1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from fundledger.domain.errors import InvalidRate, RateNotInForce
from fundledger.domain.rates import (
    FixedRate,
    Rate,
    RateBook,
    conversion_factors,
    convert_minor,
    convert_total_minor,
    in_minor_units,
    parse_rate,
)

THURSDAY = date(2025, 7, 3)
FRIDAY = date(2025, 7, 4)
SATURDAY = date(2025, 7, 5)


def book(*lines: str, max_age_days: int = 7) -> RateBook:
    """Rates written as ledger text: `2025-07-03 USD ILS 3.376 manual`."""
    rates = []
    for sequence, line in enumerate(lines):
        day, base, quote, value, source = line.split()
        rates.append(Rate(date.fromisoformat(day), base, quote, Decimal(value), source, sequence))
    return RateBook(rates, max_age_days=max_age_days)


def convert(rates: RateBook, minor: int, currency: str, on: date) -> tuple[int, int]:
    factors = conversion_factors(rates, currency, on, "ILS", "USD")
    return convert_minor(minor, factors.to_home), convert_minor(minor, factors.to_reporting)


def test_a_usd_gift_counts_at_the_rate_of_its_day() -> None:
    rates = book("2025-07-03 USD ILS 3.376 BOI")
    assert convert(rates, 100_00, "USD", THURSDAY) == (337_60, 100_00)


def test_an_ils_gift_is_divided_by_the_published_rate() -> None:
    rates = book("2025-07-03 USD ILS 3.376 BOI")
    assert convert(rates, 150_00, "ILS", THURSDAY) == (150_00, 44_43)


def test_a_saturday_gift_uses_fridays_rate() -> None:
    rates = book("2025-07-03 USD ILS 3.376 BOI", "2025-07-04 USD ILS 3.351 BOI")
    in_force = rates.in_force("USD", "ILS", SATURDAY)
    assert (in_force.rate_date, in_force.factor) == (FRIDAY, Fraction("3.351"))
    assert convert(rates, 100_00, "USD", SATURDAY) == (335_10, 100_00)


def test_a_later_rate_is_never_used() -> None:
    rates = book("2025-07-04 USD ILS 3.351 BOI")
    with pytest.raises(RateNotInForce, match=r"no USD/ILS rate on or before 2025-07-03"):
        rates.in_force("USD", "ILS", THURSDAY)


def test_a_gift_eight_days_after_the_last_rate_is_refused_naming_pair_and_dates() -> None:
    rates = book("2025-07-03 USD ILS 3.376 BOI")
    assert rates.in_force("USD", "ILS", date(2025, 7, 10)).rate_date == THURSDAY  # 7 days: fine
    with pytest.raises(RateNotInForce) as refused:
        convert(rates, 100_00, "ILS", date(2025, 7, 11))
    message = str(refused.value)
    assert "USD/ILS" in message
    assert "2025-07-11" in message
    assert "2025-07-03" in message
    assert "8 days" in message


def test_the_age_limit_is_a_setting() -> None:
    rates = book("2025-07-03 USD ILS 3.376 BOI", max_age_days=3)
    with pytest.raises(RateNotInForce, match="4 days earlier, beyond the 3-day limit"):
        rates.in_force("USD", "ILS", date(2025, 7, 7))


def test_an_inverse_is_found_and_divided_not_multiplied() -> None:
    rates = book("2025-07-03 ILS USD 0.2962 ECB")
    in_force = rates.in_force("USD", "ILS", THURSDAY)
    assert in_force.method == "inverse"
    assert in_force.factor == 1 / Fraction("0.2962")
    assert convert(rates, 100_00, "ILS", THURSDAY) == (100_00, 29_62)


def test_cross_rate_through_eur_on_the_same_date_and_source() -> None:
    rates = book("2025-07-04 EUR ILS 3.9876 ECB", "2025-07-04 EUR USD 1.1780 ECB")
    in_force = rates.in_force("USD", "ILS", SATURDAY)
    assert in_force.method == "cross"
    assert in_force.factor == Fraction("3.9876") / Fraction("1.1780")
    assert in_force.explain() == (
        "2025-07-05 USD/ILS = 3.3851 "
        "(ECB 2025-07-04, cross via EUR: EUR/ILS 3.9876 / EUR/USD 1.1780)"
    )


def test_cross_legs_must_share_date_and_source() -> None:
    rates = book("2025-07-04 EUR ILS 3.9876 ECB", "2025-07-03 EUR USD 1.1780 ECB")
    with pytest.raises(RateNotInForce):
        rates.in_force("USD", "ILS", SATURDAY)
    rates = book("2025-07-04 EUR ILS 3.9876 ECB", "2025-07-04 EUR USD 1.1780 manual")
    with pytest.raises(RateNotInForce):
        rates.in_force("USD", "ILS", SATURDAY)


def test_latest_date_wins_then_direct_over_inverse_over_cross_then_source() -> None:
    rates = book(
        "2025-07-03 USD ILS 3.376 BOI",
        "2025-07-04 EUR ILS 3.9876 ECB",
        "2025-07-04 EUR USD 1.1780 ECB",
    )
    assert rates.in_force("USD", "ILS", SATURDAY).method == "cross"  # later date first
    rates = book(
        "2025-07-04 ILS USD 0.2962 ECB",
        "2025-07-04 USD ILS 3.351 manual",
        "2025-07-04 EUR ILS 3.9876 ECB",
        "2025-07-04 EUR USD 1.1780 ECB",
    )
    assert rates.in_force("USD", "ILS", SATURDAY).method == "direct"
    rates = book("2025-07-04 USD ILS 3.351 manual", "2025-07-04 USD ILS 3.352 BOI")
    assert rates.in_force("USD", "ILS", SATURDAY).source == "BOI"


def test_a_correction_supersedes_the_earlier_row_for_the_same_day() -> None:
    rates = book("2025-07-03 USD ILS 3.367 manual", "2025-07-03 USD ILS 3.376 manual")
    assert rates.in_force("USD", "ILS", THURSDAY).factor == Fraction("3.376")


def test_a_eur_gift_converts_through_ils() -> None:
    rates = book("2025-07-03 EUR ILS 3.9876 BOI", "2025-07-03 USD ILS 3.376 BOI")
    ils, usd = convert(rates, 50_00, "EUR", THURSDAY)
    assert ils == 199_38  # 50 × 3.9876 = 199.38
    assert usd == 59_06  # 50 × 3.9876 / 3.376 = 59.057...


def test_minor_units_differ_between_currencies() -> None:
    rates = book("2025-07-03 JPY ILS 0.0234 BOI", "2025-07-03 USD ILS 3.376 BOI")
    ils, usd = convert(rates, 10_000, "JPY", THURSDAY)  # ¥10,000
    assert ils == 234_00
    assert usd == 69_31  # 234 / 3.376 = 69.312...


def test_the_exact_total_is_rounded_once_where_each_gift_rounds_on_its_own() -> None:
    # Three gifts of NIS 1.00 at 1 USD = 3.376 ILS: each is 29.62085... cents, 30 cents
    # rounded; together 88.86 cents exactly, 89 cents rounded once.
    to_usd = 1 / Fraction("3.376")
    gifts = [(100, to_usd)] * 3
    assert sum(convert_minor(amount, factor) for amount, factor in gifts) == 90
    assert convert_total_minor(gifts) == 89
    # A half cent exactly rounds up, as every other rounding of the ledger does.
    assert convert_total_minor([(1, Fraction(1, 4)), (1, Fraction(1, 4))]) == 1
    assert convert_total_minor([]) == 0


def test_fixed_headline_rate_in_either_direction() -> None:
    rate = FixedRate.parse("1 ILS = 0.2911 USD", "ILS", "USD")
    assert convert_minor(800_000_00, in_minor_units(rate.factor("ILS", "USD"), "ILS", "USD")) == (
        232_880_00
    )
    inverse = FixedRate.parse("1 usd = 3.5 nis", "ILS", "USD")
    assert str(inverse) == "1 USD = 3.5 ILS"
    assert convert_minor(350_00, inverse.factor("ILS", "USD")) == 100_00
    with pytest.raises(InvalidRate, match="must link ILS and USD"):
        FixedRate.parse("1 EUR = 1.17 USD", "ILS", "USD")
    with pytest.raises(InvalidRate, match="not of the form"):
        FixedRate.parse("0.2911", "ILS", "USD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.376", "3.376"), ("3.3760000000", "3.376"), ("100", "100"), ("0.0000000001", "1E-10")],
)
def test_rates_are_kept_exactly_as_published(text: str, expected: str) -> None:
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["0", "-3.376", "3.37600000001", "abc", "1e3"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(InvalidRate):
        parse_rate(text)
