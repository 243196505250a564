"""The rules that keep a rate from contradicting another (issue #20, "Trust at the edges"): an
inverse agrees only within what its published decimals explain; of two that contradict, the
newer is in force; a rate five times its neighbour is a slip until confirmed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from fundledger.domain.errors import InvalidRate
from fundledger.domain.rate_checks import (
    current_rows,
    implausibly_apart,
    inverses_agree,
    times_apart,
)
from fundledger.domain.rates import Rate, RateBook, rate_from_text

THURSDAY = date(2025, 7, 3)


@pytest.mark.parametrize(
    ("rate", "inverse", "agree"),
    [
        ("3.376", "0.2962", True),  # 1 / 0.2962 = 3.37610: rounds to 3.376
        ("3.376", "0.2962085308", True),  # the exact inverse to 10 decimals
        ("3.376", "0.3", False),  # 1 / 0.3 = 3.333: reports would divide by 3.376
        ("3.376", "0.2965", False),  # 1 / 0.2965 = 3.37268: not 3.376 rounded
        ("3.376", "0.5", False),
        ("3.376", "1", False),
        ("146.5", "0.006826", True),  # USD/JPY: 0.0068259 -> 0.006826, 146.4987 -> 146.5
        ("0.0234", "43", False),  # 1 / 43 = 0.02326: not 0.0234, though 1 / 0.0234 -> 43
        ("0.0234", "42.7350", True),  # stored as 42.735: 1 / 42.735 = 0.023400
        ("0.0234", "40", False),
        ("1", "1", True),
    ],
)
def test_an_inverse_agrees_only_within_its_published_decimals(
    rate: str, inverse: str, agree: bool
) -> None:
    assert inverses_agree(Decimal(rate), Decimal(inverse)) is agree
    assert inverses_agree(Decimal(inverse), Decimal(rate)) is agree


def rate(line: str, sequence: int) -> Rate:
    day, base, quote, value, source = line.split()
    return Rate(date.fromisoformat(day), base, quote, Decimal(value), source, sequence)


def test_of_two_directions_that_contradict_only_the_newer_is_in_force() -> None:
    usd_ils = rate("2025-07-03 USD ILS 3.376 manual", 1)
    correction = rate("2025-07-03 ILS USD 0.5 manual", 2)
    assert current_rows([usd_ils, correction]) == [correction]
    book = RateBook([usd_ils, correction])
    in_force = book.in_force("USD", "ILS", THURSDAY)
    assert (in_force.method, in_force.factor) == ("inverse", Fraction(2))
    assert book.in_force("ILS", "USD", THURSDAY).factor == Fraction("0.5")
    # The other way round: the direct rate typed after the inverse is the one in force.
    book = RateBook(
        [rate("2025-07-03 ILS USD 0.5 manual", 1), rate("2025-07-03 USD ILS 3.376 manual", 2)]
    )
    assert book.in_force("ILS", "USD", THURSDAY).factor == 1 / Fraction("3.376")


def test_two_directions_that_agree_both_stay_and_the_direct_one_answers() -> None:
    rows = [rate("2025-07-03 USD ILS 3.376 manual", 1), rate("2025-07-03 ILS USD 0.2962 manual", 2)]
    assert current_rows(rows) == rows
    book = RateBook(rows)
    assert book.in_force("USD", "ILS", THURSDAY).factor == Fraction("3.376")
    assert book.in_force("ILS", "USD", THURSDAY).factor == Fraction("0.2962")


def test_rows_of_unknown_order_are_both_kept() -> None:
    rows = [rate("2025-07-03 USD ILS 3.376 BOI", 0), rate("2025-07-03 ILS USD 0.5 BOI", 0)]
    assert current_rows(rows) == rows


def test_another_sources_inverse_supersedes_nothing() -> None:
    book = RateBook(
        [rate("2025-07-03 USD ILS 3.376 BOI", 1), rate("2025-07-03 ILS USD 0.5 manual", 2)]
    )
    assert book.in_force("USD", "ILS", THURSDAY).legs[0].source == "BOI"  # direct first
    assert book.in_force("ILS", "USD", THURSDAY).legs[0].source == "manual"


@pytest.mark.parametrize(
    ("value", "other", "inverse", "apart", "times"),
    [
        ("33.76", "3.376", False, True, "10.0"),
        ("3.376", "33.76", False, True, "10.0"),
        ("16.88", "3.376", False, True, "5.0"),  # exactly five times
        ("16.87", "3.376", False, False, "5.0"),
        ("3.376", "0.2962", True, False, "1.0"),
        ("33.76", "0.2962", True, True, "10.0"),
        ("0.3376", "0.2962", True, True, "10.0"),
    ],
)
def test_a_rate_five_times_its_neighbour_is_implausible(
    value: str, other: str, inverse: bool, apart: bool, times: str
) -> None:
    assert implausibly_apart(Decimal(value), Decimal(other), inverse) is apart
    assert times_apart(Decimal(value), Decimal(other), inverse=inverse) == times


def test_a_rate_too_long_to_be_one_is_not_quoted_back_whole() -> None:
    with pytest.raises(InvalidRate) as refused:
        rate_from_text("1" * 5000)
    assert str(refused.value) == (
        "rate '11111111111111111111'… (5000 characters) is too long to be a rate"
    )
