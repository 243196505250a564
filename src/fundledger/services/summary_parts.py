"""The parts of a campaign summary's data as the database gives them, whether computed from the
gifts (`fundledger.services.reports`) or read from the stored summaries
(`fundledger.services.summary_store`): the SQL of gifts joined to their conversion factors, and
the shapes the sums come back in."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Subquery, Table, and_, case, func, insert, literal, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    Donation,
    ExchangeRate,
    SummaryCell,
    SummaryDonor,
    SummaryFactor,
    SummaryGift,
)
from fundledger.adapters.db.sql_money import (
    conversion_factor_table,
    convert_minor_fast,
    fits_fast_path,
    lowest_amount_reaching,
)
from fundledger.domain.money import minor_unit_digits
from fundledger.domain.rates import ConversionFactors, RateInForce, convert_total_minor
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftKey

SIZE_BOUNDS = (100, 250, 500, 1_000, 5_000, 10_000)  # gift sizes, in whole home-currency units
TOP_DONORS = 10  # the honour roll's length
# The stored summaries' rows (models `Summary*`): their keys, their sums, and the campaign of
# the rows for all campaigns together.
ALL = 0
NO_METHOD = ""  # summary_cell's method for gifts whose method was not recorded
CELL_KEYS = ["campaign_id", "day", "currency", "method", "band"]
CELL_SUMS = ["gifts", "anonymous", "amount_minor", "home_minor", "reporting_minor"]
DONOR_KEYS = ["campaign_id", "donor_id"]
DONOR_SUMS = ["gifts", "home_minor", "reporting_minor"]


def size_bounds(home_currency: str) -> list[int]:
    """Where the size bands begin, in home-currency minor units."""
    return [bound * 10 ** minor_unit_digits(home_currency) for bound in SIZE_BOUNDS]


class Factor(NamedTuple):
    """A conversion factor without its rates: what the stored summaries keep."""

    to_home: Fraction
    to_reporting: Fraction


AnyFactor = ConversionFactors | Factor


@contextmanager
def factor_table(
    session: Session, factors: Mapping[GiftKey, AnyFactor], bounds: list[int]
) -> Iterator[Table]:
    table = conversion_factor_table(len(bounds))
    connection = session.connection()
    table.create(connection)
    if factors:
        connection.execute(insert(table), [_factor_row(*key, factor, bounds) for key, factor in
                                           factors.items()])  # fmt: skip
    try:
        yield table
    finally:
        table.drop(connection)


def _factor_row(
    day: date, currency: str, factor: AnyFactor, bounds: list[int]
) -> dict[str, object]:
    row: dict[str, object] = {"day": day, "currency": currency}
    to_home = factor.to_home
    for index, bound in enumerate(bounds):
        row[f"band_{index}"] = lowest_amount_reaching(bound, to_home.numerator, to_home.denominator)
    for name, fraction in (("home", factor.to_home), ("reporting", factor.to_reporting)):
        fast = fits_fast_path(fraction.numerator, fraction.denominator)
        row |= {
            f"{name}_numerator": str(fraction.numerator),
            f"{name}_denominator": str(fraction.denominator),
            f"{name}_numerator_int": fraction.numerator if fast else None,
            f"{name}_denominator_int": fraction.denominator if fast else None,
        }
    return row


class Converted:
    """SQL for the counted gifts of a campaign joined to their conversion factors."""

    def __init__(self, factor: Table, counted: ColumnElement[bool], bounds: list[int]) -> None:
        columns = factor.c
        self.home = convert_minor_fast(
            Donation.amount_minor, columns.home_numerator_int, columns.home_denominator_int,
            columns.home_numerator, columns.home_denominator,
        )  # fmt: skip
        self.reporting = convert_minor_fast(
            Donation.amount_minor, columns.reporting_numerator_int,
            columns.reporting_denominator_int, columns.reporting_numerator,
            columns.reporting_denominator,
        )  # fmt: skip
        # The band from amounts compared with precomputed thresholds: computing each gift's
        # home value once per bound costs several times the whole pass.
        self.band = sum(
            (case((Donation.amount_minor >= columns[f"band_{index}"], 1), else_=0)
             for index in range(len(bounds))),
            literal(0),
        )  # fmt: skip
        self.gifts = (
            select()
            .select_from(Donation)
            .join(factor, and_(columns.day == Donation.donation_date,
                               columns.currency == Donation.currency))
            .where(counted)
        )  # fmt: skip


class DonorSum(NamedTuple):
    """A donor's gifts given by name, merged donors counted as the one they were merged into."""

    donor: int
    gifts: int
    home: int
    reporting: int


class DonorTally(NamedTuple):
    """How many donors gave by name, and the TOP_DONORS largest of them by home value (ties
    by donor id)."""

    named: int
    top: list[DonorSum]


@dataclass(frozen=True, slots=True)
class RatesUsed:
    sources: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    pairs: tuple[str, ...]

    @classmethod
    def of(cls, in_force: Iterable[RateInForce]) -> RatesUsed:
        rates = list(in_force)
        legs = [leg for rate in rates for leg in rate.legs]
        return cls(
            sources=tuple(sorted({leg.source for leg in legs})),
            first_date=min((leg.rate_date for leg in legs), default=None),
            last_date=max((leg.rate_date for leg in legs), default=None),
            pairs=tuple(sorted({f"{rate.base}/{rate.quote}" for rate in rates})),
        )

    @classmethod
    def combined(cls, parts: Iterable[RatesUsed]) -> RatesUsed:
        found = list(parts)
        firsts = [part.first_date for part in found if part.first_date is not None]
        lasts = [part.last_date for part in found if part.last_date is not None]
        return cls(
            sources=tuple(sorted({source for part in found for source in part.sources})),
            first_date=min(firsts, default=None),
            last_date=max(lasts, default=None),
            pairs=tuple(sorted({pair for part in found for pair in part.pairs})),
        )


def rates_of_cells(factors: Mapping[GiftKey, ConversionFactors], cells: list[Cell]) -> RatesUsed:
    """The rates behind the counted gifts: a date whose gifts were all reversed used none."""
    keys = {(cell.day, cell.currency) for cell in cells}
    return RatesUsed.of(rate for key in keys for rate in factors[key].rates)


class Sums(NamedTuple):
    """Counted gifts: how many, and their home and reporting values (minor units)."""

    gifts: int
    home: int
    reporting: int


@dataclass(frozen=True, slots=True)
class Marginals:
    """The counted gifts' sums by day, by currency (with their amounts in that currency),
    by payment method (None: not recorded) and by size band; how many were anonymous."""

    by_day: dict[date, Sums]
    by_currency: dict[str, Sums]
    amounts: dict[str, int]
    by_method: dict[str | None, Sums]
    by_band: dict[int, Sums]
    anonymous: int

    @property
    def gifts(self) -> int:
        return sum(sums.gifts for sums in self.by_currency.values())

    def middle_offsets(self) -> dict[int, list[int]]:
        """Where the middle gift(s) sit: band -> offsets within the band, in the order of
        home values (the bands are in that order too)."""
        count = self.gifts
        counts = [self.by_band[band].gifts if band in self.by_band else 0
                  for band in range(max(self.by_band) + 1)]  # fmt: skip
        return locate(sorted({(count - 1) // 2, count // 2}), counts)

    @classmethod
    def of_cells(cls, cells: Iterable[Cell]) -> Marginals:
        groups: tuple[dict[Any, list[int]], ...] = tuple(defaultdict(lambda: [0, 0, 0])
                                                         for _ in range(4))  # fmt: skip
        by_day, by_currency, by_method, by_band = groups
        amounts: Counter[str] = Counter()
        anonymous = 0
        for cell in cells:  # cells: one per (day, currency, method, band), not per gift
            for found in (by_day[cell.day], by_currency[cell.currency],
                          by_method[cell.method], by_band[cell.band]):  # fmt: skip
                found[0] += cell.gifts
                found[1] += cell.home
                found[2] += cell.reporting
            amounts[cell.currency] += cell.amount
            anonymous += cell.anonymous
        day, currency, method, band = (
            {key: Sums(*values) for key, values in group.items()} for group in groups
        )
        return cls(day, currency, dict(amounts), method, band, anonymous)


def tally(session: Session, per_donor: Subquery, count: int | None = None) -> DonorTally:
    """The donor count and honour roll from sums per donor (columns donor, gifts, home,
    reporting), in one pass: the count of all donors rides along with the first rows, unless
    it is given (counted cheaper elsewhere: then the top rows alone are a bounded sort)."""
    order = (per_donor.c.home.desc(), per_donor.c.donor)
    if count is not None:
        top = session.execute(select(per_donor).order_by(*order).limit(TOP_DONORS)).all()
    else:
        top = session.execute(
            select(per_donor, func.count().over().label("donors"))
            .order_by(*order)
            .limit(TOP_DONORS)
        ).all()
        count = top[0].donors if top else 0
    return DonorTally(int(count), [DonorSum(*(int(value) for value in row[:4])) for row in top])


class ExactSums(NamedTuple):
    """The counted gifts valued exactly and summed, each total rounded once (minor units)."""

    home: int
    reporting: int

    @classmethod
    def of(cls, amounts: Iterable[tuple[int, AnyFactor]]) -> ExactSums:
        """From amounts in minor units, each with the factor of its date and currency."""
        pairs = list(amounts)
        return cls(convert_total_minor((amount, factor.to_home) for amount, factor in pairs),
                   convert_total_minor((amount, factor.to_reporting)
                                       for amount, factor in pairs))  # fmt: skip


class Gathered(NamedTuple):
    """What the summary needs from the database: the rates used, the sums, the donors who
    gave by name, the median gift in home minor units and the exact totals."""

    rates: RatesUsed
    sums: Marginals
    donors: DonorTally
    median: int | None
    exact: ExactSums


class Cell(NamedTuple):
    """One group of the summary's single pass over the gifts."""

    day: date
    currency: str
    method: str | None
    band: int
    gifts: int
    amount: int
    home: int
    reporting: int
    anonymous: int


def locate(offsets: list[int], counts: list[int]) -> dict[int, list[int]]:
    """Offsets into a sequence cut in parts of `counts` each: part -> offsets within it."""
    found: dict[int, list[int]] = defaultdict(list)
    for offset in offsets:
        before = 0
        for part, size in enumerate(counts):
            if offset < before + size:
                found[part].append(offset - before)
                break
            before += size
    return found


# What the stored summaries include (models.SummaryState, one row): the rule below, and
# every donation and rate up to an id (summary_store keeps them, summary_read reads them).
STATE_ID = 1
DERIVATION = 1  # see `derivation`
# The sum tables as Core tables (what the upkeep writes and the reports read).
CELLS = cast(Table, SummaryCell.__table__)
DONORS = cast(Table, SummaryDonor.__table__)
GIFTS = cast(Table, SummaryGift.__table__)
FACTORS = cast(Table, SummaryFactor.__table__)
LIST_SEPARATOR = "\n"  # between the sources, or pairs, of summary_factor's rates


def derivation(context: CommandContext) -> str:
    """Everything besides the gifts and rates that the stored values depend on: the rule
    settings, the size bands, and DERIVATION (raised when the way they are derived changes,
    so that a new fundledger builds them again rather than read what an older one made)."""
    settings = context.settings
    return json.dumps({
        "version": DERIVATION, "home": settings.home_currency,
        "reporting": settings.reporting_currency, "max_rate_age_days": settings.max_rate_age_days,
        "rate_source_priority": list(settings.rate_source_priority),
        "size_bounds": size_bounds(settings.home_currency),
    }, sort_keys=True)  # fmt: skip


def latest_ids(session: Session) -> tuple[int, int]:
    """The largest donation id and rate id (0 when there are none)."""
    donation, rate = session.execute(
        select(
            select(func.coalesce(func.max(Donation.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(ExchangeRate.id), 0)).scalar_subquery(),
        )
    ).one()
    return int(donation), int(rate)


def stored_factor(home_numerator: str, home_denominator: str, reporting_numerator: str,
                  reporting_denominator: str) -> Factor:  # fmt: skip
    """A factor from summary_factor's columns: exact fractions, in decimal text."""
    return Factor(Fraction(int(home_numerator), int(home_denominator)),
                  Fraction(int(reporting_numerator), int(reporting_denominator)))  # fmt: skip
