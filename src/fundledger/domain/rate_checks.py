"""Rates checked against one another: whether a rate and its inverse pair's can be one rate
rounded two ways, which of one day's rows of a pair are in force, and whether two rates of a pair
are too far apart to be anything but a slip.

Apart from `rates`, which chooses a rate and converts with it: these compare published values
with each other. The rate book, and the listing of stored rows, use `current_rows` to know
which rows are in force; an import uses them all to refuse a rate before it is stored. Exact:
the decimals a rate is published with are its only tolerance.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, TypeVar

from fundledger.domain.money import EXACT


class RateValue(Protocol):
    """What deciding between stored rows needs of a rate: its pair, value and order."""

    @property
    def base(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def sequence(self) -> int: ...


R = TypeVar("R", bound=RateValue)


def published_range(value: Decimal) -> tuple[Fraction, Fraction]:
    """The exact values that round to `value` at the decimals it is written with (3.376: from
    3.3755 to 3.3765). Stored rates drop trailing zeros, so a range is never narrower than
    the one the publisher meant."""
    exponent = value.as_tuple().exponent
    half = Fraction(1, 2) * Fraction(10) ** (exponent if isinstance(exponent, int) else 0)
    exact = Fraction(value)
    return exact - half, exact + half


def inverses_agree(rate: Decimal, inverse: Decimal) -> bool:
    """Whether `rate` (1 A = rate B) and `inverse` (1 B = inverse A) can be the same rate,
    each rounded to its own decimals: some exact rate rounds to both. USD/ILS 3.376 and
    ILS/USD 0.2962 agree (1 / 0.2962 = 3.37610, inside 3.3755-3.3765); 0.5 does not.

    Published decimals are the only tolerance: an inverse is never "close enough" beyond
    what rounding explains, or two rows of one day could value a gift two ways."""
    low, high = published_range(rate)
    inverse_low, inverse_high = published_range(inverse)
    # 1 / [inverse_low, inverse_high]; with a low end of zero or less, unbounded above.
    if high < 1 / inverse_high:
        return False
    return inverse_low <= 0 or low <= 1 / inverse_low


def current_rows(rows: Iterable[R]) -> list[R]:
    """Of the rows for one date, source and pair (written either way round), those in force:
    the newest of each direction, and of two directions that contradict each other only the
    newer: `rates add --supersede` can correct USD/ILS 3.376 by ILS/USD 0.2985, and then
    both directions must answer from the correction. Two that agree both stay."""
    newest: dict[tuple[str, str], R] = {}
    for row in rows:
        key = (row.base, row.quote)
        earlier = newest.get(key)
        if earlier is None or earlier.sequence < row.sequence:
            newest[key] = row
    kept = list(newest.values())
    if len(kept) == 2 and not inverses_agree(kept[0].value, kept[1].value):
        older, newer = sorted(kept, key=lambda row: row.sequence)
        if older.sequence != newer.sequence:  # equal: their order is unknown, keep both
            return [newer]
    return kept


# A rate this many times another of its pair, or less than its fifth, is a slip until the
# treasurer confirms it (33.76 typed for 3.376 is the most common one). No currency a gift
# is paid in moves that much between neighbouring rates, while a misplaced point moves 10×.
IMPLAUSIBLE_FACTOR = 5


def implausibly_apart(value: Decimal, other: Decimal, inverse: bool = False) -> bool:
    """Whether two rates of one pair are IMPLAUSIBLE_FACTOR or more apart; `other` is quoted
    for the inverse pair when `inverse`. Exact, and without a division: it runs once per row
    of a 200,000-rate import."""
    if inverse:
        product = EXACT.multiply(value, other)
        return product >= IMPLAUSIBLE_FACTOR or EXACT.multiply(product, IMPLAUSIBLE_FACTOR) <= 1
    return value >= EXACT.multiply(other, IMPLAUSIBLE_FACTOR) or other >= EXACT.multiply(
        value, IMPLAUSIBLE_FACTOR
    )


def times_apart(value: Decimal, other: Decimal, *, inverse: bool = False) -> str:
    """How many times the larger of two rates of one pair is the smaller, for a message
    ("10.0")."""
    ratio = Fraction(value) * Fraction(other) if inverse else Fraction(value) / Fraction(other)
    factor = max(ratio, 1 / ratio)
    exact = EXACT.divide(Decimal(factor.numerator), Decimal(factor.denominator))
    return format(exact.quantize(Decimal("0.1"), context=EXACT), "f")
