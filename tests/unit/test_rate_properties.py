"""Properties of the rate in force over random rate tables (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundledger.domain import rates as rates_module
from fundledger.domain.errors import RateNotInForce
from fundledger.domain.rates import Rate, RateBook, convert_minor, convert_total_minor

START = date(2025, 1, 1)
CURRENCIES = ["USD", "ILS", "EUR"]
SOURCES = ["BOI", "ECB", "manual"]

rates = st.decimals(min_value=Decimal("0.0500"), max_value=Decimal("20"), places=4).filter(
    lambda value: value > 0
)


@st.composite
def rate_rows(draw: st.DrawFn) -> Rate:
    base, quote = draw(st.permutations(CURRENCIES))[:2]
    return Rate(
        START + timedelta(days=draw(st.integers(0, 60))),
        base,
        quote,
        draw(rates),
        draw(st.sampled_from(SOURCES)),
        draw(st.integers(0, 10_000)),
    )


@settings(max_examples=300)
@given(
    st.lists(rate_rows(), max_size=40),
    st.integers(0, 75),
    st.sampled_from([(b, q) for b in CURRENCIES for q in CURRENCIES if b != q]),
    st.integers(1, 10),
)
def test_the_rate_in_force_is_never_later_nor_older_than_the_limit(
    table: list[Rate], day: int, pair: tuple[str, str], max_age: int
) -> None:
    on = START + timedelta(days=day)
    book = RateBook(table, max_age_days=max_age)
    base, quote = pair
    try:
        found = book.in_force(base, quote, on)
    except RateNotInForce:
        # Refused only when no direct or inverse rate for the pair lies within the limit.
        assert not any(
            {row.base, row.quote} == {base, quote} and 0 <= (on - row.rate_date).days <= max_age
            for row in table
        )
        return
    assert found.rate_date is not None
    assert found.rate_date <= on
    assert (on - found.rate_date).days <= max_age
    assert all(leg.rate_date == found.rate_date for leg in found.legs)
    assert len({leg.source for leg in found.legs}) == 1
    # Latest date first: nothing usable for the pair is more recent than the answer.
    assert not any(
        {row.base, row.quote} == {base, quote} and found.rate_date < row.rate_date <= on
        for row in table
    )


@given(
    st.decimals(min_value=Decimal(1), max_value=Decimal(10), places=4),
    st.integers(1, 10**12),
)
def test_an_inverse_of_an_inverse_converts_back_within_one_minor_unit(
    value: Decimal, cents: int
) -> None:
    published = RateBook([Rate(START, "USD", "ILS", value, "BOI")])
    inverse = published.in_force("ILS", "USD", START)
    assert inverse.method == "inverse"
    assert 1 / inverse.factor == Fraction(value)  # exact: no stored reciprocal
    agorot = convert_minor(cents, published.in_force("USD", "ILS", START).factor)
    assert abs(convert_minor(agorot, inverse.factor) - cents) <= 1


@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**9),
            st.decimals(min_value=Decimal("0.0500"), max_value=Decimal(20), places=4),
        ),
        max_size=30,
    )
)
def test_the_exact_total_is_the_sum_of_exact_values_rounded_once(
    gifts: list[tuple[int, Decimal]],
) -> None:
    converted = [(amount, 1 / Fraction(rate)) for amount, rate in gifts]
    exact = sum((amount * factor for amount, factor in converted), Fraction(0))
    total = convert_total_minor(converted)
    assert total - Fraction(1, 2) <= exact < total + Fraction(1, 2)
    # Against the sum of per-gift roundings: each of those is off by at most half a unit.
    per_gift = sum(convert_minor(amount, factor) for amount, factor in converted)
    assert abs(per_gift - total) <= len(gifts) // 2 + 1


factors = st.fractions(min_value=Fraction(-50), max_value=Fraction(50), max_denominator=10**7)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(-(10**12), 10**12), factors), max_size=60))
def test_the_bracketed_exact_total_is_the_fractions_added_up(
    terms: list[tuple[int, Fraction]],
) -> None:
    """convert_total_minor brackets the sum in integers first; it must answer exactly as the
    fractions added up do, reversals (negative amounts) and negative totals included."""
    assert convert_total_minor(terms) == rates_module.exact_total_minor(terms)


HALF_BELOW = Fraction(2**65 - 1, 2**66)  # half a minor unit less 2**-66: nearer than the bracket


def test_a_total_at_a_rounding_boundary_is_added_up_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exact_sums: list[int] = []
    exact = rates_module.exact_total_minor

    def counted(terms: list[tuple[int, Fraction]]) -> int:
        exact_sums.append(1)
        return exact(terms)

    monkeypatch.setattr(rates_module, "exact_total_minor", counted)
    # Half a unit exactly rounds away from zero, decided by the bracket alone.
    assert convert_total_minor([(1, Fraction(1, 2))]) == 1
    assert convert_total_minor([(-1, Fraction(1, 2))]) == -1
    assert convert_total_minor([(100, 1 / Fraction("3.376"))] * 3) == 89
    assert exact_sums == []
    # A hair below a half (closer than 2**-64 per term): the bracket cannot tell, the
    # fractions can.
    assert convert_total_minor([(1, HALF_BELOW)]) == 0
    assert convert_total_minor([(-1, HALF_BELOW)]) == 0
    assert convert_total_minor([(3, HALF_BELOW), (-1, Fraction(1))]) == 0  # 1.5 - 3·2**-66 - 1
    assert len(exact_sums) == 3
