"""The data of a campaign summary, computed by SQL aggregates and handed over as plain values."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Table, and_, case, func, insert, literal, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Donor
from fundledger.adapters.db.queries import counted_donations, merges_in_force
from fundledger.adapters.db.sql_money import (
    conversion_factor_table,
    convert_minor_fast,
    fits_fast_path,
    lowest_amount_reaching,
)
from fundledger.domain.money import Money, divide_round_half_up, minor_unit_digits
from fundledger.domain.rates import (
    ConversionFactors,
    FixedRate,
    RateInForce,
    in_minor_units,
)
from fundledger.domain.rates import (
    convert_minor as convert_minor_python,
)
from fundledger.services.campaigns import CampaignInfo, campaign_info, get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors

K = TypeVar("K")
PER_GIFT_METHOD = (
    "sum of per-gift conversions, each rounded half-up once from the original amount "
    "at the rate in force on the gift's date"
)


SIZE_BOUNDS = (100, 250, 500, 1_000, 5_000, 10_000)  # gift sizes, in whole home-currency units
TOP_DONORS = 10


@dataclass(frozen=True, slots=True)
class CurrencyLine:
    currency: str
    count: int
    amount: Money
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class DayLine:
    date: date  # a day, or the Sunday that starts a week (the Israeli week)
    count: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class MethodLine:
    method: str | None  # None: not recorded
    count: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class SizeBand:
    """Gifts whose home-currency value is at least `low` and below `high` (None: no limit)."""

    low: Money
    high: Money | None
    count: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class DonorLine:
    """A donor of the honour roll: only gifts given by name count, and only they are shown."""

    name: str
    count: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class Headline:
    """The total restated at one fixed rate: round(total_home × rate), rounded once."""

    rate: FixedRate
    total_reporting: Money


@dataclass(frozen=True, slots=True)
class RatesUsed:
    sources: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    pairs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign: CampaignInfo
    home_currency: str
    reporting_currency: str
    donation_count: int
    donor_count: int
    anonymous_count: int
    total_home: Money
    total_reporting: Money
    headline: Headline | None
    by_currency: tuple[CurrencyLine, ...]
    by_day: tuple[DayLine, ...]
    rates: RatesUsed
    by_week: tuple[DayLine, ...] = ()
    by_method: tuple[MethodLine, ...] = ()
    sizes: tuple[SizeBand, ...] = ()
    top_donors: tuple[DonorLine, ...] = ()
    average_gift: Money | None = None  # in the home currency, rounded half-up once
    median_gift: Money | None = None  # likewise; of an even count, the mean of the middle two
    goal_progress: Decimal | None = None  # raised / goal, when the goal is in a currency we total
    method: str = PER_GIFT_METHOD

    @property
    def first_gift(self) -> date | None:
        return self.by_day[0].date if self.by_day else None

    @property
    def last_gift(self) -> date | None:
        return self.by_day[-1].date if self.by_day else None


@contextmanager
def _factor_table(
    session: Session, factors: dict[tuple[date, str], ConversionFactors], bounds: list[int]
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
    day: date, currency: str, factor: ConversionFactors, bounds: list[int]
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


def _rates_used(factors: dict[tuple[date, str], ConversionFactors]) -> RatesUsed:
    in_force: list[RateInForce] = [rate for factor in factors.values() for rate in factor.rates]
    legs = [leg for rate in in_force for leg in rate.legs]
    return RatesUsed(
        sources=tuple(sorted({leg.source for leg in legs})),
        first_date=min((leg.rate_date for leg in legs), default=None),
        last_date=max((leg.rate_date for leg in legs), default=None),
        pairs=tuple(sorted({f"{rate.base}/{rate.quote}" for rate in in_force})),
    )


class _Converted:
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


def campaign_summary(
    session: Session,
    context: CommandContext,
    slug: str,
    fixed_rate: FixedRate | None = None,
) -> CampaignSummary:
    """Everything a campaign summary shows, from a few SQL aggregates over its gifts: one pass
    grouped by (day, currency, method, size band) gives every breakdown and total; one grouped
    by donor gives the donor count and the honour roll; one or two sorted within a size band
    give the median. No Python loop runs over the gifts themselves."""
    home = context.settings.home_currency
    reporting = context.settings.reporting_currency
    campaign = get_campaign(session, slug)
    counted = counted_donations(campaign.id, scan=session.get_bind().dialect.name == "sqlite")
    factors = gift_factors(session, context, counted).require_complete()
    bounds = [bound * 10 ** minor_unit_digits(home) for bound in SIZE_BOUNDS]
    with _factor_table(session, factors, bounds) as factor:
        converted = _Converted(factor, counted, bounds)
        cube = session.execute(
            converted.gifts.add_columns(
                Donation.donation_date, Donation.currency, Donation.method, converted.band,
                func.count(), func.sum(Donation.amount_minor), func.sum(converted.home),
                func.sum(converted.reporting),
                func.sum(case((Donation.anonymous.is_(True), 1), else_=0)),
            ).group_by(Donation.donation_date, Donation.currency, Donation.method, converted.band)
        ).all()  # fmt: skip
        cells = [_Cell(*row) for row in cube]
        donors = _donor_totals(session, converted)
        donation_count = sum(int(cell.gifts) for cell in cells)
        median = _median(session, converted, cells, donation_count)
    totals = _Totals(home, reporting)
    by_day = totals.group(cells, lambda cell: cell.day)
    amounts: Counter[str] = Counter()
    for cell in cells:
        amounts[cell.currency] += int(cell.amount)
    by_currency = tuple(
        CurrencyLine(currency, line.gifts, Money.from_minor(amounts[currency], currency),
                     line.home, line.reporting)
        for currency, line in sorted(totals.group(cells, lambda cell: cell.currency).items())
    )  # fmt: skip
    total_home = sum((line.home for line in by_currency), Money.zero(home))
    total_reporting = sum((line.reporting for line in by_currency), Money.zero(reporting))
    headline = None
    if fixed_rate is not None:
        headline_minor = convert_minor_python(
            total_home.to_minor(),
            in_minor_units(fixed_rate.factor(home, reporting), home, reporting),
        )
        headline = Headline(fixed_rate, Money.from_minor(headline_minor, reporting))
    by_band = totals.group(cells, lambda cell: cell.band)
    lows = [0, *SIZE_BOUNDS]
    info = campaign_info(campaign)
    return CampaignSummary(
        campaign=info,
        home_currency=home,
        reporting_currency=reporting,
        donation_count=donation_count,
        donor_count=len(donors),
        anonymous_count=sum(int(cell.anonymous) for cell in cells),
        total_home=total_home,
        total_reporting=total_reporting,
        headline=headline,
        by_currency=by_currency,
        by_day=tuple(DayLine(day, *line) for day, line in sorted(by_day.items())),
        rates=_rates_used(factors),
        by_week=tuple(
            DayLine(week, *line)
            for week, line in sorted(totals.group(cells, lambda cell: _week_of(cell.day)).items())
        ),
        by_method=tuple(
            MethodLine(method, *line)
            for method, line in sorted(
                totals.group(cells, lambda cell: cell.method).items(),
                key=lambda item: (-item[1].home.amount, item[0] or ""),
            )
        ),
        sizes=tuple(
            SizeBand(
                Money(Decimal(low), home),
                Money(Decimal(high), home) if high is not None else None,
                *by_band.get(index, totals.empty()),
            )
            for index, (low, high) in enumerate(zip(lows, [*SIZE_BOUNDS, None], strict=True))
        ),
        top_donors=_honour_roll(session, donors, home, reporting),
        average_gift=(
            Money.from_minor(divide_round_half_up(total_home.to_minor(), donation_count), home)
            if donation_count
            else None
        ),
        median_gift=Money.from_minor(median, home) if median is not None else None,
        goal_progress=_progress(info.goal, total_home, total_reporting),
    )


class _Cell(NamedTuple):
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


class _Line(NamedTuple):
    gifts: int
    home: Money
    reporting: Money


class _Totals:
    """Sums of cells grouped by a key, as money of the home and reporting currencies."""

    def __init__(self, home: str, reporting: str) -> None:
        self.home = home
        self.reporting = reporting

    def empty(self) -> _Line:
        return _Line(0, Money.zero(self.home), Money.zero(self.reporting))

    def group(self, cells: list[_Cell], key: Callable[[_Cell], K]) -> dict[K, _Line]:
        sums: dict[K, list[int]] = defaultdict(lambda: [0, 0, 0])
        for cell in cells:  # cells: one per (day, currency, method, band), not per gift
            found = sums[key(cell)]
            found[0] += int(cell.gifts)
            found[1] += int(cell.home)
            found[2] += int(cell.reporting)
        return {
            group: _Line(count, Money.from_minor(home, self.home),
                         Money.from_minor(reporting, self.reporting))
            for group, (count, home, reporting) in sums.items()
        }  # fmt: skip


def _week_of(day: date) -> date:
    """The Sunday that starts the day's week (the Israeli week)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _donor_totals(session: Session, converted: _Converted) -> list[tuple[int, int, int, int]]:
    """(donor, gifts, home, reporting) of each donor, over gifts given by name; a merged
    donor counts as the donor it was merged into."""
    merges = merges_in_force()
    donor = func.coalesce(merges.c.into_donor_id, Donation.donor_id)
    rows = session.execute(
        converted.gifts.add_columns(
            donor, func.count(), func.sum(converted.home), func.sum(converted.reporting)
        )
        .outerjoin(merges, merges.c.merged_donor_id == Donation.donor_id)
        .where(Donation.anonymous.is_(False), Donation.donor_id.is_not(None))
        .group_by(donor)
    ).all()
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]


def _honour_roll(
    session: Session, donors: list[tuple[int, int, int, int]], home: str, reporting: str
) -> tuple[DonorLine, ...]:
    top = heapq.nsmallest(TOP_DONORS, donors, key=lambda donor: (-donor[2], donor[0]))
    names = dict(
        session.execute(
            select(Donor.id, Donor.name).where(Donor.id.in_([donor[0] for donor in top]))
        ).all()
    )
    return tuple(
        DonorLine(names[donor_id], count, Money.from_minor(home_minor, home),
                  Money.from_minor(reporting_minor, reporting))
        for donor_id, count, home_minor, reporting_minor in top
    )  # fmt: skip


def _median(session: Session, converted: _Converted, cells: list[_Cell], count: int) -> int | None:
    """The median gift in home minor units: the size bands say which band holds the middle
    gift(s), and only that band's gifts are sorted."""
    if not count:
        return None
    per_band: Counter[int] = Counter()
    for cell in cells:
        per_band[cell.band] += int(cell.gifts)
    wanted: dict[int, list[int]] = defaultdict(list)  # band -> offsets within it
    for position in sorted({(count - 1) // 2, count // 2}):
        before = 0
        for band in sorted(per_band):
            if position < before + per_band[band]:
                wanted[band].append(position - before)
                break
            before += per_band[band]
    middle: list[int] = []
    for band, offsets in sorted(wanted.items()):
        middle.extend(
            int(value)
            for value in session.scalars(
                converted.gifts.add_columns(converted.home)
                .where(converted.band == band)
                .order_by(converted.home)
                .offset(offsets[0])
                .limit(len(offsets))
            )
        )
    return divide_round_half_up(sum(middle), len(middle))


def _progress(goal: Money | None, total_home: Money, total_reporting: Money) -> Decimal | None:
    """Raised as a fraction of the goal (0.8125), when the goal is in a currency we total."""
    if goal is None or not goal.amount:
        return None
    for total in (total_home, total_reporting):
        if total.currency == goal.currency:
            return (total.amount / goal.amount).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return None
