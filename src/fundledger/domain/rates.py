"""Exchange rates: which rate is in force on a date, and how a donation is converted.

This is where a rate is chosen (shared/design.md §1). Rates are kept exactly as published and
combined as exact fractions; nothing here rounds except `convert_minor`, through the one rounding
rule of `money.divide_round_half_up`. How rates are checked against one another is
`rate_checks`.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from fundledger.domain.errors import InvalidAmount, InvalidRate, RateNotInForce
from fundledger.domain.money import (
    EXACT,
    check_currency,
    decimal_from_text,
    divide_round_half_up,
    minor_unit_digits,
    to_decimal,
)
from fundledger.domain.rate_checks import current_rows
from fundledger.domain.settings import LedgerSettings

DEFAULTS = LedgerSettings()
MAX_RATE_DECIMALS = 10
MAX_RATE_INTEGER_DIGITS = 10

Method = Literal["identity", "direct", "inverse", "cross"]
_METHOD_PREFERENCE: dict[Method, int] = {"identity": 0, "direct": 0, "inverse": 1, "cross": 2}


def parse_rate(value: str | Decimal) -> Decimal:
    """A published rate: positive, exact, at most 10 decimal places. Trailing zeros dropped."""
    try:
        rate = decimal_from_text(value) if isinstance(value, str) else to_decimal(value)
    except InvalidAmount as error:
        raise InvalidRate(
            f"rate {value!r} is not a decimal number (write it like 3.376)"
        ) from error
    if rate <= 0:
        raise InvalidRate(f"rate {value} must be greater than zero")
    if rate >= Decimal(10) ** MAX_RATE_INTEGER_DIGITS:
        raise InvalidRate(f"rate {value} is implausibly large")
    rate = plain_decimal(rate)
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_RATE_DECIMALS:
        raise InvalidRate(f"rate {value} has more than {MAX_RATE_DECIMALS} decimal places")
    return rate


# Longer than any rate the ledger stores (10 integer digits, a point, 10 decimals) with room
# for zeros a spreadsheet pads; longer text is not quoted back whole in an error.
_LONGEST_RATE_TEXT = 40


def rate_from_text(text: str) -> Decimal:
    """A rate as written in a file or typed; `Rate` checks it when it is built."""
    cleaned = text.strip()
    if len(cleaned) > _LONGEST_RATE_TEXT:
        raise InvalidRate(
            f"rate {cleaned[:20]!r}… ({len(cleaned)} characters) is too long to be a rate"
        )
    try:
        return decimal_from_text(cleaned)
    except InvalidAmount as error:
        raise InvalidRate(f"rate {text!r} is not a decimal number (write it like 3.376)") from error


def plain_decimal(value: Decimal) -> Decimal:
    """The value without trailing fractional zeros and never in exponent notation."""
    normalized = value.normalize(EXACT)
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        normalized = normalized.quantize(Decimal(1))
    return normalized


def format_rate(value: Decimal | Fraction) -> str:
    """A rate for people: at least 4 decimals; a derived rate rounded to 4 (small ones to 4
    significant digits), for display only: conversions use the exact fraction."""
    if isinstance(value, Fraction):
        exact = EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
        places = max(4, 3 - exact.adjusted())
        value = exact.quantize(Decimal(1).scaleb(-places), context=EXACT)
    text = format(plain_decimal(value), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(4, '0')}"


# Sources the ledger knows by name, written one way whatever the case typed ("ecb", "Boi").
KNOWN_SOURCES = {name.casefold(): name for name in ("BOI", "ECB", "manual")}


def canonical_source(name: str) -> str:
    stripped = name.strip()
    return KNOWN_SOURCES.get(stripped.casefold(), stripped)


@dataclass(frozen=True, slots=True)
class Rate:
    """One published rate: on `rate_date`, 1 `base` = `value` `quote`, according to `source`.

    `sequence` orders rows for the same date, pair and source: the later row supersedes.
    """

    rate_date: date
    base: str
    quote: str
    value: Decimal
    source: str
    sequence: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", check_currency(self.base))
        object.__setattr__(self, "quote", check_currency(self.quote))
        object.__setattr__(self, "value", parse_rate(self.value))
        object.__setattr__(self, "source", canonical_source(self.source))
        if not self.source:
            raise InvalidRate("a rate needs its source: BOI, ECB, manual, ...")
        if self.base == self.quote:
            raise InvalidRate(
                f"a rate needs two different currencies, not {self.base}/{self.quote}"
            )

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True, slots=True)
class RateInForce:
    """The answer to "what is 1 base in quote on this date", with how it was found."""

    base: str
    quote: str
    on: date
    factor: Fraction
    method: Method
    legs: tuple[Rate, ...]
    via: str | None = None

    @property
    def rate_date(self) -> date | None:
        return self.legs[0].rate_date if self.legs else None

    @property
    def source(self) -> str | None:
        return self.legs[0].source if self.legs else None

    def display_value(self) -> str:
        if self.method == "direct":
            return format_rate(self.legs[0].value)
        return format_rate(self.factor)

    def explain(self) -> str:
        """e.g. `2025-07-05 USD/ILS = 3.3505 (ECB 2025-07-04, cross via EUR: EUR/ILS 3.9425 /
        EUR/USD 1.1767)`: the value, its source and date, and how it was derived."""
        head = f"{self.on.isoformat()} {self.base}/{self.quote} = {self.display_value()}"
        if self.method == "identity":
            return f"{head} (same currency)"
        origin = f"{self.source} {self.rate_date.isoformat() if self.rate_date else ''}"
        if self.method == "direct":
            return f"{head} ({origin})"
        if self.method == "inverse":
            leg = self.legs[0]
            return f"{head} ({origin}, inverse of {leg.pair} {format_rate(leg.value)})"
        multiplied = [
            leg
            for leg, start in zip(self.legs, (self.base, self.via), strict=True)
            if leg.base == start
        ]
        divided = [leg for leg in self.legs if leg not in multiplied]
        formula = " × ".join(f"{leg.pair} {format_rate(leg.value)}" for leg in multiplied) or "1"
        for leg in divided:
            formula += f" / {leg.pair} {format_rate(leg.value)}"
        return f"{head} ({origin}, cross via {self.via}: {formula})"


class RateBook:
    """The rates known to the ledger, indexed for "rate in force on date D" questions."""

    def __init__(
        self,
        rates: Iterable[Rate],
        *,
        max_age_days: int = DEFAULTS.max_rate_age_days,
        source_priority: Sequence[str] = DEFAULTS.rate_source_priority,
        known_since: date | None = None,
    ) -> None:
        """`known_since`: the book holds no rates before this date (its caller looked no
        further back), which an error then says."""
        self.max_age_days = max_age_days
        self.known_since = known_since
        self._source_rank = {source: rank for rank, source in enumerate(source_priority)}
        latest: dict[tuple[str, str, str, date], Rate] = {}
        for rate in rates:
            key = (rate.base, rate.quote, rate.source, rate.rate_date)
            if key not in latest or latest[key].sequence < rate.sequence:
                latest[key] = rate
        _drop_contradicted_inverses(latest)
        # (base, quote, source) -> dates ascending, and the rate on each of them.
        by_series: dict[tuple[str, str, str], dict[date, Rate]] = defaultdict(dict)
        for (base, quote, source, rate_date), rate in latest.items():
            by_series[(base, quote, source)][rate_date] = rate
        self._series = dict(by_series)
        self._dates = {key: sorted(days) for key, days in by_series.items()}
        self._sources = sorted({key[2] for key in self._series})
        self._leg_days_cache: dict[tuple[str, str, str], tuple[list[date], set[date]]] = {}
        self._neighbours: dict[str, set[str]] = defaultdict(set)
        for base, quote, _source in self._series:
            self._neighbours[base].add(quote)
            self._neighbours[quote].add(base)

    def pairs(self) -> set[tuple[str, str]]:
        """The (base, quote) pairs the book holds rates for."""
        return {(base, quote) for base, quote, _source in self._series}

    def _source_order(self, source: str) -> tuple[int, str]:
        return (self._source_rank.get(source, len(self._source_rank)), source)

    def _latest_on_or_before(self, key: tuple[str, str, str], on: date) -> Rate | None:
        days = self._dates.get(key)
        if not days:
            return None
        index = bisect.bisect_right(days, on)
        return self._series[key][days[index - 1]] if index else None

    def _leg(self, start: str, end: str, source: str, day: date) -> Rate | None:
        """A rate published on exactly `day` linking start and end, in either direction."""
        direct = self._series.get((start, end, source), {}).get(day)
        return direct if direct else self._series.get((end, start, source), {}).get(day)

    def _leg_days(self, start: str, end: str, source: str) -> tuple[list[date], set[date]]:
        """Dates on which `source` published a rate linking start and end, either direction."""
        key = (min(start, end), max(start, end), source)
        cached = self._leg_days_cache.get(key)
        if cached is None:
            days = set(self._dates.get((start, end, source), ()))
            days.update(self._dates.get((end, start, source), ()))
            cached = self._leg_days_cache[key] = (sorted(days), days)
        return cached

    def _latest_common_day(
        self, first: tuple[list[date], set[date]], second: tuple[list[date], set[date]], on: date
    ) -> date | None:
        """The latest date on or before `on` on which both legs were published."""
        (walk, _), (_, other) = (
            (first, second)
            if len(first[0]) <= len(second[0])
            else (
                second,
                first,
            )
        )
        for index in range(bisect.bisect_right(walk, on) - 1, -1, -1):
            if walk[index] in other:
                return walk[index]
        return None

    def _candidates(self, base: str, quote: str, on: date) -> list[RateInForce]:
        candidates: list[RateInForce] = []
        vias = sorted(self._neighbours[base] & self._neighbours[quote])
        for source in self._sources:
            direct = self._latest_on_or_before((base, quote, source), on)
            if direct:
                candidates.append(
                    RateInForce(base, quote, on, Fraction(direct.value), "direct", (direct,))
                )
            inverse = self._latest_on_or_before((quote, base, source), on)
            if inverse:
                candidates.append(
                    RateInForce(base, quote, on, 1 / Fraction(inverse.value), "inverse", (inverse,))
                )
            for via in vias:
                day = self._latest_common_day(
                    self._leg_days(base, via, source), self._leg_days(via, quote, source), on
                )
                if day is None:
                    continue
                first = self._leg(base, via, source, day)
                second = self._leg(via, quote, source, day)
                assert first is not None  # both legs were published on `day`
                assert second is not None
                factor = _leg_factor(first, base) * _leg_factor(second, via)
                candidates.append(
                    RateInForce(base, quote, on, factor, "cross", (first, second), via)
                )
        return candidates

    def in_force(self, base: str, quote: str, on: date) -> RateInForce:
        """The rate in force: latest date first, then direct, inverse, cross, then source."""
        base, quote = check_currency(base), check_currency(quote)
        if base == quote:
            return RateInForce(base, quote, on, Fraction(1), "identity", ())
        candidates = self._candidates(base, quote, on)
        if not candidates:
            since = f" (none since {self.known_since.isoformat()})" if self.known_since else ""
            raise RateNotInForce(
                f"no {base}/{quote} rate on or before {on.isoformat()}{since}: add one with "
                f"`fundledger rates add {on.isoformat()} {base} {quote} RATE`",
                pair=f"{base}/{quote}",
                on=on,
            )
        best = min(
            candidates,
            key=lambda c: (
                -(c.rate_date or on).toordinal(),
                _METHOD_PREFERENCE[c.method],
                self._source_order(c.source or ""),
                c.via or "",
            ),
        )
        assert best.rate_date is not None
        age = (on - best.rate_date).days
        if age > self.max_age_days:
            raise RateNotInForce(
                f"no {base}/{quote} rate in force on {on.isoformat()}: the latest known is "
                f"{best.rate_date.isoformat()} ({best.display_value()}, {best.source}), "
                f"{age} days earlier, beyond the {self.max_age_days}-day limit; "
                f"add or import the rates for that date",
                pair=f"{base}/{quote}",
                on=on,
                latest=best.rate_date,
            )
        return best


def _drop_contradicted_inverses(latest: dict[tuple[str, str, str, date], Rate]) -> None:
    """Where one source gives a pair both ways round on one day and the two contradict, only
    the newer is in force (`current_rows`); rows that agree both stay."""
    for (base, quote, source, day), rate in list(latest.items()):
        inverse = latest.get((quote, base, source, day))
        if inverse is None or base > quote:  # each pair once
            continue
        kept = current_rows((rate, inverse))
        if len(kept) == 1:
            older = inverse if kept[0] is rate else rate
            del latest[(older.base, older.quote, source, day)]


def _leg_factor(rate: Rate, start: str) -> Fraction:
    """1 `start` expressed in the leg's other currency."""
    value = Fraction(rate.value)
    return value if rate.base == start else 1 / value


@dataclass(frozen=True, slots=True)
class ConversionFactors:
    """Exact factors from minor units of `currency` to minor units of home and reporting."""

    currency: str
    on: date
    to_home: Fraction
    to_reporting: Fraction
    rates: tuple[RateInForce, ...]


def conversion_factors(
    book: RateBook, currency: str, on: date, home: str, reporting: str
) -> ConversionFactors:
    """The rules of shared/design.md §1, "Converting a donation", as exact fractions."""
    currency = check_currency(currency)
    rates: list[RateInForce] = []
    reporting_in_home = book.in_force(reporting, home, on)
    if currency == home:
        to_home = Fraction(1)
        to_reporting = 1 / reporting_in_home.factor
        rates.append(reporting_in_home)
    elif currency == reporting:
        to_home = reporting_in_home.factor
        to_reporting = Fraction(1)
        rates.append(reporting_in_home)
    else:
        currency_in_home = book.in_force(currency, home, on)
        to_home = currency_in_home.factor
        to_reporting = currency_in_home.factor / reporting_in_home.factor
        rates.extend((currency_in_home, reporting_in_home))
    return ConversionFactors(
        currency=currency,
        on=on,
        to_home=in_minor_units(to_home, currency, home),
        to_reporting=in_minor_units(to_reporting, currency, reporting),
        rates=tuple(rate for rate in rates if rate.method != "identity"),
    )


def in_minor_units(factor: Fraction, source: str, target: str) -> Fraction:
    """A factor between whole units restated between minor units (agorot to cents, yen to cents)."""
    return factor * Fraction(10) ** (minor_unit_digits(target) - minor_unit_digits(source))


def convert_minor(amount_minor: int, factor: Fraction) -> int:
    """Minor units converted by an exact factor and rounded once by the ledger's rule."""
    return divide_round_half_up(amount_minor * factor.numerator, factor.denominator)


# How finely convert_total_minor brackets each term's fractional part: 2**-64 of a minor unit.
_BRACKET_BITS = 64


def convert_total_minor(amounts: Iterable[tuple[int, Fraction]]) -> int:
    """Amounts in minor units, each converted exactly by its factor, summed exactly and the sum
    rounded once by the ledger's rule: the exact total, which the plain-text accounting tools
    print, where a report's total is the sum of per-gift roundings (`convert_minor`).

    Summing thousands of fractions of unlike denominators (a rate a day) makes integers
    thousands of digits long, so the sum is first bracketed in integers: each term's whole part
    exactly, its fractional part to within 2**-64 from below; the sum lies above the low end
    of the bracket by less than 2**-64 for each term not met exactly. The rule is monotone:
    when both ends of the bracket round alike, so does the sum. Only a sum that close to a
    rounding boundary (nearer to half a minor unit than the bracket is wide) is added up
    exactly after all."""
    terms = list(amounts)
    whole = fractions = inexact = 0
    for amount, factor in terms:
        quotient, remainder = divmod(amount * factor.numerator, factor.denominator)
        whole += quotient
        scaled, left = divmod(remainder << _BRACKET_BITS, factor.denominator)
        fractions += scaled
        inexact += left != 0
    low = (whole << _BRACKET_BITS) + fractions
    rounded = divide_round_half_up(low, 1 << _BRACKET_BITS)
    if rounded == divide_round_half_up(low + inexact, 1 << _BRACKET_BITS):
        return rounded
    return exact_total_minor(terms)


def exact_total_minor(amounts: Iterable[tuple[int, Fraction]]) -> int:
    """`convert_total_minor` by adding the fractions themselves (per factor first, so that the
    sum has one term per rate): its answer near a rounding boundary, and its reference."""
    per_factor: defaultdict[Fraction, int] = defaultdict(int)
    for amount_minor, factor in amounts:
        per_factor[factor] += amount_minor
    total = sum((amount * factor for factor, amount in per_factor.items()), Fraction(0))
    return divide_round_half_up(total.numerator, total.denominator)


_FIXED_RATE = re.compile(
    r"\s*1\s+(?P<base>[A-Za-z]{3})\s*=\s*(?P<value>[0-9][0-9.]*)\s+(?P<quote>[A-Za-z]{3})\s*"
)
# What people write for the shekel, mapped to its ISO code.
CURRENCY_ALIASES = {"NIS": "ILS"}


@dataclass(frozen=True, slots=True)
class FixedRate:
    """A single headline rate for a whole report, such as "1 ILS = 0.2911 USD"."""

    base: str
    quote: str
    value: Decimal

    @classmethod
    def parse(cls, text: str, home: str, reporting: str) -> FixedRate:
        match = _FIXED_RATE.fullmatch(text)
        if not match:
            raise InvalidRate(
                f'fixed rate {text!r} is not of the form "1 {home} = 0.2911 {reporting}"'
            )
        base, quote = (
            CURRENCY_ALIASES.get(code.upper(), code.upper())
            for code in (match["base"], match["quote"])
        )
        if {base, quote} != {home, reporting}:
            raise InvalidRate(
                f"fixed rate {text!r} must link {home} and {reporting} (either direction)"
            )
        return cls(base, quote, parse_rate(match["value"]))

    def __str__(self) -> str:
        return f"1 {self.base} = {format(self.value, 'f')} {self.quote}"

    def factor(self, source: str, target: str) -> Fraction:
        """1 `source` in `target` by this rate, exactly."""
        value = Fraction(self.value)
        return value if (self.base, self.quote) == (source, target) else 1 / value
