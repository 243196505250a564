"""The data of a campaign summary, read from the stored summaries (`summary_store`) or computed by
SQL aggregates over the gifts, and handed over as plain values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from typing import NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Engine, and_, case, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import sorting_in_threads
from fundledger.adapters.db.models import Campaign, Donation
from fundledger.adapters.db.queries import counted_donations_in, current_donors, merges_in_force
from fundledger.adapters.db.snapshots import export_snapshot, on_snapshot, shares_snapshots
from fundledger.domain.methods import BY_CODE, grouping_key
from fundledger.domain.money import EXACT, Money, divide_round_half_up
from fundledger.domain.period import Period
from fundledger.domain.rates import ConversionFactors, FixedRate, in_minor_units
from fundledger.domain.rates import convert_minor as convert_minor_python
from fundledger.services.campaign_totals import CampaignTotal, campaign_totals, in_period
from fundledger.services.campaign_totals import goal_progress as _progress
from fundledger.services.campaigns import (
    CampaignInfo,
    campaign_info,
    campaign_names,
    get_campaign,
)
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.summary_parts import (
    SIZE_BOUNDS,
    Cell,
    Converted,
    DonorTally,
    ExactSums,
    Gathered,
    Marginals,
    RatesUsed,
    Sums,
    factor_table,
    rates_of_cells,
    size_bounds,
    tally,
)
from fundledger.services.summary_read import stored_gathered

K = TypeVar("K")
T = TypeVar("T")
PER_GIFT_METHOD = (
    "sum of per-gift conversions, each rounded half-up once from the original amount "
    "at the rate in force on the gift's date"
)

EXACT_METHOD = (
    "every gift valued exactly at the rate in force on its date, the sum rounded half-up once "
    "(as plain-text accounting tools total)"
)


ALL_CAMPAIGNS = "All campaigns"  # the name of the summary of all campaigns together


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
class ExactTotal:
    """The totals with every gift valued exactly and only the sum rounded (EXACT_METHOD): what
    a spreadsheet or ledger-cli computes from the same gifts and rates. The summary's own
    totals add up its rounded lines, so the two may differ by a few minor units."""

    home: Money
    reporting: Money
    method: str = EXACT_METHOD


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
    exact: ExactTotal
    by_week: tuple[DayLine, ...] = ()
    by_method: tuple[MethodLine, ...] = ()
    sizes: tuple[SizeBand, ...] = ()
    top_donors: tuple[DonorLine, ...] = ()
    average_gift: Money | None = None  # in the home currency, rounded half-up once
    median_gift: Money | None = None  # likewise; of an even count, the mean of the middle two
    goal_progress: Decimal | None = None  # raised / goal, when the goal is in a currency we total
    method: str = PER_GIFT_METHOD
    # Every figure is of the gifts dated within it (None: of every gift).
    period: Period | None = None
    # The summary of all campaigns: each campaign's line (of the period, if any).
    by_campaign: tuple[CampaignTotal, ...] = ()

    @property
    def first_gift(self) -> date | None:
        return self.by_day[0].date if self.by_day else None

    @property
    def last_gift(self) -> date | None:
        return self.by_day[-1].date if self.by_day else None

    @property
    def by_month(self) -> tuple[DayLine, ...]:
        """The days summed by calendar month, each dated its first day. The days already sum
        the gifts' rounded values, so the months do too and add up to the totals, whichever
        way the days were read (stored summaries or the gifts)."""
        months: dict[date, list[DayLine]] = defaultdict(list)
        for line in self.by_day:
            months[line.date.replace(day=1)].append(line)
        # Decimal sums (exact), one Money a month: a Money per day added would cost a check each.
        home, reporting = (Money.zero(code) for code in (self.home_currency,
                                                         self.reporting_currency))  # fmt: skip

        def total(amounts: Iterator[Decimal], start: Money) -> Money:
            return Money(reduce(EXACT.add, amounts, start.amount), start.currency)

        return tuple(
            DayLine(
                month,
                sum(line.count for line in lines),
                total((line.home.amount for line in lines), home),
                total((line.reporting.amount for line in lines), reporting),
            )
            for month, lines in sorted(months.items())
        )


def campaign_summary(
    session: Session,
    context: CommandContext,
    slug: str | None,
    fixed_rate: FixedRate | None = None,
    *,
    stored: bool = True,
    period: Period | None = None,
) -> CampaignSummary:
    """Everything a summary of campaign `slug` (None: of all campaigns together) shows.

    From the stored summaries (`summary_store`) when they hold exactly the ledger this
    transaction sees (and `stored`); else from a few SQL aggregates over the gifts: sums
    grouped by (day, currency, method, size band) give every breakdown and total; sums grouped
    by donor give the donor count and the honour roll; the gifts of one size band, grouped by
    value, give the median. No Python loop runs over the gifts themselves either way.

    `period`: every figure of the gifts dated within it, computed from the gifts (the stored
    donor sums and gift values are not kept by date); no goal progress then (the goal is for
    the whole campaign)."""
    home = context.settings.home_currency
    reporting = context.settings.reporting_currency
    bounds = size_bounds(home)
    campaign = get_campaign(session, slug) if slug is not None else None
    info = (
        campaign_info(campaign, names=campaign_names(session, [campaign.id]).get(campaign.id))
        if campaign is not None
        else _all_campaigns(session)
    )
    campaign_id = campaign.id if campaign is not None else None
    use_stored = stored and period is None
    gathered = stored_gathered(session, context, campaign_id, bounds) if use_stored else None
    if gathered is None:
        gathered = _gather_grouped(session, context, campaign_id, bounds, period)
    rates, sums, donors, median, exact = gathered
    donation_count = sums.gifts
    money = _Lines(home, reporting)
    by_currency = tuple(
        CurrencyLine(currency, line.gifts, Money.from_minor(sums.amounts[currency], currency),
                     line.home, line.reporting)
        for currency, line in sorted(money.lines(sums.by_currency).items())
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
    by_band = money.lines(sums.by_band)
    lows = [0, *SIZE_BOUNDS]
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, line in sums.by_day.items():
        week = weeks[_week_of(day)]
        for index, value in enumerate(line):
            week[index] += value
    return CampaignSummary(
        campaign=info,
        home_currency=home,
        reporting_currency=reporting,
        donation_count=donation_count,
        donor_count=donors.named,
        anonymous_count=sums.anonymous,
        total_home=total_home,
        total_reporting=total_reporting,
        headline=headline,
        by_currency=by_currency,
        by_day=tuple(DayLine(day, *line) for day, line in sorted(money.lines(sums.by_day).items())),
        rates=rates,
        exact=ExactTotal(
            Money.from_minor(exact.home, home), Money.from_minor(exact.reporting, reporting)
        ),
        by_week=tuple(
            DayLine(week, *line)
            for week, line in sorted(
                money.lines({week: Sums(*values) for week, values in weeks.items()}).items()
            )
        ),
        by_method=tuple(
            MethodLine(method, *line)
            for method, line in sorted(
                money.lines(_by_method(sums.by_method)).items(),
                key=lambda item: (-item[1].home.amount, item[0] or ""),
            )
        ),
        sizes=tuple(
            SizeBand(
                Money(Decimal(low), home),
                Money(Decimal(high), home) if high is not None else None,
                *by_band.get(index, money.empty()),
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
        goal_progress=_progress(info.goal, total_home, total_reporting) if period is None else None,
        period=period,
        by_campaign=_by_campaign(session, context, period) if campaign is None else (),
    )


def _by_campaign(
    session: Session, context: CommandContext, period: Period | None
) -> tuple[CampaignTotal, ...]:
    """Each campaign's line in the summary of all: in a period, those with gifts in it."""
    return tuple(line for line in campaign_totals(session, context, period)
                 if line.gifts or period is None)  # fmt: skip


def _by_method(sums: Mapping[str | None, Sums]) -> dict[str | None, Sums]:
    """The sums of each payment method, however its gifts stored it: "bank" and "Bank
    Transfer" recorded before the codes are `bank_transfer` gifts too. A known method is
    named by its code; one not known by its most frequent spelling ("Venmo", "venmo")."""
    groups: dict[str | None, list[tuple[str | None, Sums]]] = defaultdict(list)
    for method, line in sums.items():
        groups[grouping_key(method)].append((method, line))
    merged: dict[str | None, Sums] = {}
    for key, members in groups.items():
        if key is None or key in BY_CODE:
            label = key
        else:
            label = max(members, key=lambda member: (member[1].gifts, member[0] or ""))[0]
        merged[label] = Sums(*(sum(values) for values in zip(*(line for _, line in members),
                                                             strict=True)))  # fmt: skip
    return merged


def _all_campaigns(session: Session) -> CampaignInfo:
    """The ledger's campaigns as one: from the first start to the last end, without a goal
    (goals may be in other currencies, and a campaign without one has none to add)."""
    first, last = session.execute(select(func.min(Campaign.start_date), func.max(
        Campaign.end_date))).one()  # fmt: skip
    return CampaignInfo(id=0, slug="", name=ALL_CAMPAIGNS, goal=None, start=first, end=last,
                        partner=None)  # fmt: skip


def _gather_grouped(
    session: Session,
    context: CommandContext,
    campaign_id: int | None,
    bounds: list[int],
    period: Period | None = None,
) -> Gathered:
    """The summary's data computed from the gifts (when the stored summaries do not hold
    this transaction's ledger): one pass grouped by (day, currency, method, size band) gives
    every breakdown and total; one grouped by donor gives the donor count and the honour roll;
    one or two sorted within a size band give the median. On PostgreSQL the donor pass runs at
    the same time on a second connection reading the same snapshot."""
    # The whole ledger is read straight through, not in the order of an index (`scan`).
    counted = counted_donations_in(session, campaign_id, scan=campaign_id is None)
    if period is not None:
        counted = and_(counted, in_period(Donation.donation_date, period))
    factors = gift_factors(session, context, counted).require_complete()
    donors_later = (
        _donors_on_snapshot_later(session, factors, counted, bounds)
        if shares_snapshots(session)
        else None
    )
    with (
        factor_table(session, factors, bounds) as factor,
        sorting_in_threads(session.connection()),
    ):
        converted = Converted(factor, counted, bounds)
        cube = session.execute(
            converted.gifts.add_columns(
                Donation.donation_date, Donation.currency, Donation.method, converted.band,
                func.count(), func.sum(Donation.amount_minor), func.sum(converted.home),
                func.sum(converted.reporting),
                func.sum(case((Donation.anonymous.is_(True), 1), else_=0)),
            ).group_by(Donation.donation_date, Donation.currency, Donation.method, converted.band)
        ).all()  # fmt: skip
        cells = [
            Cell(day, currency, method, int(band), *(int(value) for value in sums))
            for day, currency, method, band, *sums in cube
        ]
        sums = Marginals.of_cells(cells)
        median = _median(session, converted, sums)
        donors = donors_later.result() if donors_later else _donor_totals(session, converted)
    exact = ExactSums.of((cell.amount, factors[cell.day, cell.currency]) for cell in cells)
    return Gathered(rates_of_cells(factors, cells), sums, donors, median, exact)


def _in_background(function: Callable[..., T], *args: object) -> Future[T]:
    """`function(*args)` in a thread of its own, running while the caller goes on."""
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(function, *args)
    executor.shutdown(wait=False)  # the thread ends with its one task
    return future


def _donors_on_snapshot_later(
    session: Session,
    factors: dict[tuple[date, str], ConversionFactors],
    counted: ColumnElement[bool],
    bounds: list[int],
) -> Future[DonorTally]:
    """PostgreSQL: the donor sums on a second connection, in a thread, while the first sums
    the cells and finds the median (each statement runs on one core). The second transaction
    reads the first one's snapshot (adapters/db/snapshots.py), so both read exactly the same
    ledger, whatever is committed in between."""
    snapshot = export_snapshot(session)
    engine = session.connection().engine
    return _in_background(_donors_on_snapshot, engine, snapshot, factors, counted, bounds)


def _donors_on_snapshot(
    engine: Engine,
    snapshot: str,
    factors: dict[tuple[date, str], ConversionFactors],
    counted: ColumnElement[bool],
    bounds: list[int],
) -> DonorTally:
    with on_snapshot(engine, snapshot) as session, factor_table(session, factors, bounds) as factor:
        return _donor_totals(session, Converted(factor, counted, bounds))


class _Line(NamedTuple):
    gifts: int
    home: Money
    reporting: Money


class _Lines:
    """Sums as money of the home and reporting currencies."""

    def __init__(self, home: str, reporting: str) -> None:
        self.home = home
        self.reporting = reporting

    def empty(self) -> _Line:
        return _Line(0, Money.zero(self.home), Money.zero(self.reporting))

    def lines(self, sums: Mapping[K, Sums]) -> dict[K, _Line]:
        return {
            key: _Line(line.gifts, Money.from_minor(line.home, self.home),
                       Money.from_minor(line.reporting, self.reporting))
            for key, line in sums.items()
        }  # fmt: skip


def _week_of(day: date) -> date:
    """The Sunday that starts the day's week (the Israeli week)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _donor_totals(session: Session, converted: Converted) -> DonorTally:
    """How many donors gave by name, and the largest of them; a merged donor counts as the
    donor it was merged into."""
    merges = merges_in_force()
    donor = func.coalesce(merges.c.into_donor_id, Donation.donor_id)
    per_donor = (
        converted.gifts.add_columns(
            donor.label("donor"), func.count().label("gifts"),
            func.sum(converted.home).label("home"),
            func.sum(converted.reporting).label("reporting"),
        )
        .outerjoin(merges, merges.c.merged_donor_id == Donation.donor_id)
        .where(Donation.anonymous.is_(False), Donation.donor_id.is_not(None))
        .group_by(donor)
        .subquery()
    )  # fmt: skip
    return tally(session, per_donor)


def _honour_roll(
    session: Session, donors: DonorTally, home: str, reporting: str
) -> tuple[DonorLine, ...]:
    current = current_donors()  # a donor's name as it stands, not as first recorded
    names = dict(
        session.execute(
            select(current.c.id, current.c.name).where(
                current.c.id.in_([line.donor for line in donors.top])
            )
        ).all()
    )
    return tuple(
        DonorLine(names[line.donor], line.gifts, Money.from_minor(line.home, home),
                  Money.from_minor(line.reporting, reporting))
        for line in donors.top
    )  # fmt: skip


def _median(session: Session, converted: Converted, sums: Marginals) -> int | None:
    """The median gift in home minor units: the size bands say which band holds the middle
    gift(s), and only that band's gifts are sorted."""
    if not sums.gifts:
        return None
    middle: list[int] = []
    for band, offsets in sorted(sums.middle_offsets().items()):
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
