"""The money value type and the one rounding rule."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from fundledger.domain.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency
from fundledger.domain.money import (
    EXACT,
    MAX_AMOUNT_MINOR,
    Money,
    divide_round_half_up,
    format_money,
    minor_unit_digits,
    round_half_up,
)
from fundledger.domain.text import counted

CURRENCIES = sorted(list_currencies())
minor_units = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from(CURRENCIES)


@st.composite
def money(draw: st.DrawFn, currency: str | None = None) -> Money:
    code = currency or draw(currencies)
    return Money.from_minor(draw(minor_units), code)


@given(st.floats(allow_nan=True, allow_infinity=True), currencies)
def test_a_float_is_never_accepted(value: float, currency: str) -> None:
    with pytest.raises(TypeError, match="float"):
        Money(value, currency)  # type: ignore[arg-type]


@given(money(), st.floats())
def test_a_float_factor_is_never_accepted(amount: Money, factor: float) -> None:
    with pytest.raises(TypeError):
        _ = amount * factor  # type: ignore[operator]


@given(st.data(), currencies)
def test_adding_then_subtracting_gives_back_the_same_amount(data: st.DataObject, code: str) -> None:
    a = data.draw(money(code))
    b = data.draw(money(code))
    assert a + b - b == a


@given(money(), money())
def test_mixing_currencies_raises(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b).currency == a.currency
        return
    with pytest.raises(CurrencyMismatch):
        _ = a + b
    with pytest.raises(CurrencyMismatch):
        _ = a < b


@pytest.mark.parametrize("currency", CURRENCIES)
def test_minor_unit_round_trip_is_exact_for_every_currency_babel_knows(currency: str) -> None:
    digits = minor_unit_digits(currency)
    for minor in (0, 1, -1, 5, 99, 12_345, -987_654_321, MAX_AMOUNT_MINOR - 7):
        money_value = Money.from_minor(minor, currency)
        assert money_value.to_minor() == minor
        assert Money(Decimal(str(money_value.amount)), currency).to_minor() == minor
        assert money_value.amount == Decimal(minor) / Decimal(10) ** digits


@given(currencies, minor_units)
def test_round_trip_through_decimal_text(currency: str, minor: int) -> None:
    value = Money.from_minor(minor, currency)
    assert Money.parse(format(value.amount, "f"), currency) == value


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_rounding_is_half_up_away_from_zero(agorot_times_ten: int) -> None:
    """Exact amounts with one digit past the minor unit round on the digit 5 away from zero."""
    amount = Decimal(agorot_times_ten).scaleb(-3)
    rounded = round_half_up(amount, "ILS")
    last_digit = abs(agorot_times_ten) % 10
    magnitude = abs(agorot_times_ten) // 10 + (1 if last_digit >= 5 else 0)
    expected = Decimal(magnitude if agorot_times_ten >= 0 else -magnitude).scaleb(-2)
    assert rounded == expected


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6), currencies)
def test_rounding_happens_once(amount: Decimal, currency: str) -> None:
    once = round_half_up(amount, currency)
    assert round_half_up(once, currency) == once
    assert Money(amount, currency).rounded().amount == once


@given(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=-(10**20), max_value=10**20).filter(bool),
)
def test_integer_rule_is_half_up_on_the_exact_ratio(numerator: int, denominator: int) -> None:
    exact = Fraction(numerator, denominator)
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    assert divide_round_half_up(numerator, denominator) == (magnitude if exact >= 0 else -magnitude)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["3.376", "0.2911"]))
def test_integer_rule_agrees_with_the_decimal_rule(agorot: int, rate: str) -> None:
    numerator, denominator = Fraction(Decimal(rate)).as_integer_ratio()
    product = EXACT.multiply(Decimal(agorot).scaleb(-2), Decimal(rate))
    assert Decimal(divide_round_half_up(agorot * numerator, denominator)).scaleb(-2) == (
        round_half_up(product, "USD")
    )


def test_ties_are_not_lost_to_a_stored_inverse() -> None:
    """ILS 2.11 at USD/ILS 3.376 is exactly $0.625: a tie, which rounds up to $0.63."""
    assert divide_round_half_up(211 * 1000, 3376) == 63
    # What dividing by the rate must never become: a 28-digit inverse, multiplied exactly.
    inverse = Decimal(1) / Decimal("3.376")
    assert round_half_up(EXACT.multiply(Decimal("2.11"), inverse), "USD") == Decimal("0.62")
    assert divide_round_half_up(-211 * 1000, 3376) == -63


def test_typed_amounts_must_fit_the_minor_unit() -> None:
    assert Money.parse("1,250.50", "ils") == Money(Decimal("1250.50"), "ILS")
    with pytest.raises(InvalidAmount, match="more than 2 decimal places"):
        Money.parse("10.005", "ILS")
    with pytest.raises(InvalidAmount, match="more than 0 decimal places"):
        Money.parse("10.5", "JPY")
    with pytest.raises(InvalidAmount, match="not a decimal number"):
        Money.parse("1e3", "ILS")
    with pytest.raises(UnknownCurrency, match="NIS"):
        Money.parse("10", "NIS")


@pytest.mark.parametrize("text", ["12,50", "1.2,3", ",5", "1,25.00", "1_000", "1e3", "", "-"])
def test_a_comma_is_only_ever_a_thousands_separator(text: str) -> None:
    with pytest.raises(InvalidAmount, match="is not a decimal number"):
        Money.parse(text, "ILS")


def test_amounts_beyond_what_the_ledger_stores_are_refused() -> None:
    assert Money.parse("10,000,000,000,000.00", "ILS").to_minor() == MAX_AMOUNT_MINOR
    with pytest.raises(InvalidAmount, match="larger than the ledger accepts"):
        Money.parse("10000000000000.01", "ILS")
    with pytest.raises(InvalidAmount, match="too long"):
        Money.parse("1" + "0" * 60, "ILS")
    with pytest.raises(InvalidAmount, match="larger than the ledger accepts"):
        Money.from_minor(-(MAX_AMOUNT_MINOR + 1), "ILS").to_minor()


def test_display_uses_the_minor_unit() -> None:
    assert str(Money(Decimal("800000"), "ILS")) == "800000.00 ILS"
    assert str(Money.from_minor(1234, "BHD")) == "1.234 BHD"


@pytest.mark.parametrize(
    ("money", "shown"),
    [
        (Money(Decimal("1800"), "ILS"), "1,800.00 ILS"),
        (Money(Decimal("92036"), "ILS"), "92,036.00 ILS"),
        (Money(Decimal("-99.99"), "USD"), "-99.99 USD"),
        (Money(Decimal("0"), "ILS"), "0.00 ILS"),
        (Money(Decimal("1800"), "JPY"), "1,800 JPY"),
        (Money.from_minor(1234567, "BHD"), "1,234.567 BHD"),
        (Money.parse("10,000,000,000,000.00", "ILS"), "10,000,000,000,000.00 ILS"),
        # An exact value (a gift converted before rounding) is shown whole, never rounded.
        (Money(Decimal("0.3351"), "ILS"), "0.3351 ILS"),
    ],
)
def test_people_read_one_money_format(money: Money, shown: str) -> None:
    assert format_money(money) == shown
    # The plain form stays what audit events have always stored.
    if money.is_whole_minor_units():
        assert str(money) == shown.replace(",", "")


@pytest.mark.parametrize(
    ("count", "noun", "plural", "said"),
    [
        (0, "gift", None, "0 gifts"), (1, "gift", None, "1 gift"), (2, "gift", None, "2 gifts"),
        (1520, "gift", None, "1,520 gifts"), (1, "series", "series", "1 series"),
        (2, "series", "series", "2 series"), (1, "USD gift", None, "1 USD gift"),
    ],
)  # fmt: skip
def test_counts_in_the_command_line_agree_with_their_noun(
    count: int, noun: str, plural: str | None, said: str
) -> None:
    assert counted(count, noun, plural) == said
