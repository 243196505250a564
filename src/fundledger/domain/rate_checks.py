"""Rates checked against one another: whether a rate and its inverse pair's each give the other
when inverted and rounded, which of one day's rows of a pair are in force, and whether two
rates of a pair are too far apart to be anything but a slip.

Apart from `rates`, which chooses a rate and converts with it: these compare published values
with each other. The rate book, and the listing of stored rows, use `current_rows` to know
which rows are in force; an import uses them all to refuse a rate before it is stored. Exact:
the decimals a rate is published with are its only tolerance.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
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


def _decimals(value: Decimal) -> int:
    """How many decimals `value` is written with (3.376: 3; 43: 0)."""
    exponent = value.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def _inverted_to(value: Decimal, decimals: int) -> Decimal:
    """1 / value, rounded half up to `decimals`. EXACT keeps 60 digits, far more than a tie
    between two rates of at most a few dozen digits needs, so only the quantize rounds."""
    inverse = EXACT.divide(Decimal(1), value)
    return inverse.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=EXACT)


def inverses_agree(rate: Decimal, inverse: Decimal) -> bool:
    """Whether `rate` (1 A = rate B) and `inverse` (1 B = inverse A) agree: EACH, inverted and
    rounded half up to the decimals the OTHER is written with, gives the other exactly.
    USD/ILS 3.376 and ILS/USD 0.2962 agree (1 / 3.376 = 0.29621 -> 0.2962, and
    1 / 0.2962 = 3.37610 -> 3.376), as does the exact inverse to 10 decimals, and USD/JPY
    146.5 with JPY/USD 0.006826; 0.3 does not (1 / 0.3 = 3.333), nor does 0.5.

    Both directions, because a looser rule ("some exact rate rounds to both") accepts a less
    precise inverse: 0.3 with one decimal allows anything from 2.86 to 4.0, yet `rates show`
    would print 0.3000 while reports divide by 3.376. Published decimals are the only
    tolerance: an inverse is never "close enough" beyond what rounding explains, or two rows
    of one day could value a gift two ways."""
    if rate <= 0 or inverse <= 0:
        return False
    return (
        _inverted_to(rate, _decimals(inverse)) == inverse
        and _inverted_to(inverse, _decimals(rate)) == rate
    )


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
