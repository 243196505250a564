"""The money value type and the one rounding rule of the ledger.

Rounding rule (shared/design.md §1): ROUND_HALF_UP (ties away from zero) to the currency's minor
unit, once, from the original amount. `round_half_up` applies it to a Decimal and
`divide_round_half_up` to an exact ratio of integers, which is how the report queries and the
conversion of a donation apply it; both give the same result for the same exact value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import cache
from typing import Self

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies, list_currencies

from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency

# Enough digits that no amount or product of an amount and a rate is ever rounded by the
# context itself; rounding happens only where this module says so.
EXACT = Context(prec=60, rounding=ROUND_HALF_UP)

_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# "1,250.50": commas only as thousands separators, never as a decimal comma ("12,50").
_GROUPED_DECIMAL_TEXT = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_LONGEST_NUMERAL = 40

# No single amount exceeds this many minor units (10 trillion shekels): far beyond any gift,
# and small enough that thousands of them still sum inside a 64-bit BIGINT.
MAX_AMOUNT_MINOR = 10**15


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """Return the ISO 4217 code in upper case, or raise UnknownCurrency."""
    if not isinstance(code, str):
        raise TypeError(f"currency must be a str, not {type(code).__name__}")
    upper = code.strip().upper()
    if upper not in known_currencies():
        raise UnknownCurrency(f"unknown currency code {code!r}: use an ISO 4217 code such as ILS",
                              code=code)  # fmt: skip
    return upper


# What people write for a currency besides its ISO code (upper case).
CURRENCY_ALIASES = {"NIS": "ILS", "₪": "ILS", 'ש"ח': "ILS", "$": "USD", "€": "EUR", "£": "GBP"}
# Not a currency a gift is paid in, whatever ISO 4217 lists: tests, "no currency", metals.
_NOT_MONEY = {"XXX": "means \"no currency\"", "XTS": "is reserved for testing",
              "XAU": "is gold", "XAG": "is silver", "XPT": "is platinum", "XPD": "is palladium",
              "XDR": "is the IMF's unit of account", "XSU": "is a unit of account",
              "XUA": "is a unit of account", "XBA": "is a bond-market unit",
              "XBB": "is a bond-market unit", "XBC": "is a bond-market unit",
              "XBD": "is a bond-market unit"}  # fmt: skip


@cache
def active_currencies() -> frozenset[str]:
    """The codes that are legal tender somewhere today (Unicode CLDR's territory data, as
    Babel ships it): DEM, ILR and the like have been replaced."""
    today = today_in_israel()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


def _successor(code: str) -> str | None:
    """The code in use today where `code` was last legal tender (DEM: EUR, ILR: ILS)."""
    for territory, history in get_global("territory_currencies").items():
        if any(entry[0] == code for entry in history):
            current = get_territory_currencies(territory, today_in_israel(), tender=True)
            if current:
                return str(current[0])
    return None


def currency_in_use(text: str) -> str:
    """The ISO code of a currency in use today, from its code (any case), NIS or ₪; or
    UnknownCurrency naming the code to write instead."""
    cleaned = text.strip()
    code = CURRENCY_ALIASES.get(cleaned.upper(), cleaned.upper())
    if code in active_currencies():
        return code
    if code in _NOT_MONEY:
        raise UnknownCurrency(
            f"{cleaned!r} {_NOT_MONEY[code]}, not a currency gifts are paid in: write the "
            "currency of the payment, e.g. ILS, USD or EUR"
        )
    if code in known_currencies():
        successor = _successor(code)
        instead = f"use {successor}" if successor else "use the currency in use today"
        raise UnknownCurrency(f"{cleaned!r} is a currency no longer in use: {instead}")
    raise UnknownCurrency(
        f"unknown currency code {cleaned!r}: use an ISO 4217 code such as ILS, USD or EUR",
        code=cleaned,
    )


@cache
def minor_unit_digits(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (ILS 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(check_currency(currency)))


def decimal_from_text(text: str, *, thousands: bool = False) -> Decimal:
    """Parse a decimal numeral ("1250", "-3.376"; with `thousands`, also "1,250.50").

    No exponents, no decimal commas, no floats."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, not {type(text).__name__}")
    cleaned = text.strip()
    if len(cleaned) > _LONGEST_NUMERAL:
        raise InvalidAmount(f"{cleaned[:20]}… is too long to be an amount")
    if thousands and _GROUPED_DECIMAL_TEXT.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _DECIMAL_TEXT.fullmatch(cleaned):
        example = "1250.50 or 1,250.50" if thousands else "3.376"
        raise InvalidAmount(f"{text!r} is not a decimal number (write it like {example})")
    return Decimal(cleaned)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """The single door through which numbers become Decimals. Floats are refused."""
    if isinstance(value, bool | float):
        raise TypeError(f"refusing {type(value).__name__} {value!r}: money is never a float")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"{value} is not a finite amount")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return decimal_from_text(value)
    raise TypeError(f"cannot make an amount from {type(value).__name__}")


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """The ledger's one rounding rule: half up (away from zero) to the minor unit."""
    exponent = Decimal(1).scaleb(-minor_unit_digits(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP, context=EXACT)


def divide_round_half_up(numerator: int, denominator: int) -> int:
    """The same rule for an exact ratio of integers: numerator / denominator, ties away from 0."""
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Immutable; floats and currency mixing are refused."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def parse(cls, text: str, currency: str) -> Self:
        """An amount typed by a person: exact, with no more decimals than the minor unit."""
        amount = decimal_from_text(text, thousands=True)
        money = cls(amount, currency)
        money.check_size()
        if not money.is_whole_minor_units():
            digits = minor_unit_digits(money.currency)
            raise InvalidAmount(
                f"{text.strip()} {money.currency} has more than {digits} decimal places "
                f"(the smallest {money.currency} unit is {Decimal(1).scaleb(-digits)})"
            )
        return money

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Self:
        """From integer minor units (agorot, cents) as stored in the database."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
        return cls(Decimal(minor).scaleb(-minor_unit_digits(currency)), currency)

    def to_minor(self) -> int:
        """Integer minor units; the amount must already be a whole number of them."""
        self.check_size()
        scaled = self.amount.scaleb(minor_unit_digits(self.currency), context=EXACT)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(
                f"{self.amount} {self.currency} is not a whole number of minor units"
            )
        return int(scaled)

    def check_size(self) -> None:
        """Refuse an amount larger than any the ledger stores (MAX_AMOUNT_MINOR)."""
        digits = minor_unit_digits(self.currency)
        if abs(self.amount).scaleb(digits, context=EXACT) > MAX_AMOUNT_MINOR:
            limit = Decimal(MAX_AMOUNT_MINOR).scaleb(-digits)
            raise InvalidAmount(
                f"{self.amount} {self.currency} is larger than the ledger accepts "
                f"(at most {limit:,f} {self.currency})"
            )

    def is_whole_minor_units(self) -> bool:
        return round_half_up(self.amount, self.currency) == self.amount

    def rounded(self) -> Money:
        """This amount under the ledger's rounding rule. Call it once, on an exact amount."""
        return Money(round_half_up(self.amount, self.currency), self.currency)

    def quantized(self) -> Decimal:
        """The amount written with exactly the minor unit's digits ("800000.00")."""
        rounded = self.rounded()
        if rounded.amount != self.amount:
            raise InvalidAmount(f"{self.amount} {self.currency} must be rounded before display")
        return rounded.amount

    def __str__(self) -> str:
        """The plain form ("1800.00 ILS"), as audit events have always stored amounts; what a
        person reads goes through `format_money`."""
        return f"{self.quantized()} {self.currency}"

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(EXACT.add(self.amount, self._same_currency(other).amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(EXACT.subtract(self.amount, self._same_currency(other).amount), self.currency)

    def __neg__(self) -> Money:
        return Money(EXACT.minus(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(EXACT.multiply(self.amount, to_decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)


def format_money(money: Money) -> str:
    """An amount as the command line shows it to a person, in every table and message:
    "1,800.00 ILS", "-99.99 USD", "1,800 JPY".

    Grouped, because treasurers compare totals such as 92,036.00 at a glance; with exactly
    the minor unit's digits, as the ledger stores them; and the ISO code after the number,
    as amounts are typed (`--amount 1800 --currency ILS`): a code is unambiguous where "$"
    is not and needs no glyph a terminal may lack (₪), and being three letters it keeps the
    digits of a right-aligned column in line. One format in English only: scripts read
    --format json or csv, whose amounts stay plain decimals ("1800.00")."""
    amount = money.amount
    if money.is_whole_minor_units():
        digits = minor_unit_digits(money.currency)
        amount = amount.quantize(Decimal(1).scaleb(-digits), context=EXACT)
    # An amount with more digits than its currency has (an exact value, or a typing error
    # being reported) is shown whole, never silently rounded.
    return f"{amount:,f} {money.currency}"
