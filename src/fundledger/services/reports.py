"""The data of a campaign summary, computed by SQL aggregates and handed over as plain values."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import make_engine, sorting_in_threads, transaction
from fundledger.adapters.db.models import REPORT_INDEX, Campaign, Donation, Donor, DonorMerge
from fundledger.adapters.db.queries import counted_donations, merges_in_force
from fundledger.adapters.db.sql_money import (
    direct_factor_columns,
    lowest_amount_reaching,
    report_factor_table,
    sqlite_convert_positive,
)
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import (
    MAX_AMOUNT_MINOR,
    Money,
    divide_round_half_up,
)
from fundledger.domain.rates import (
    ConversionFactors,
    FixedRate,
    in_minor_units,
)
from fundledger.domain.rates import (
    convert_minor as convert_minor_python,
)
from fundledger.services.campaigns import CampaignInfo, campaign_info, get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, gift_factors, group_factors
from fundledger.services.summary_parts import (
    SIZE_BOUNDS,
    TOP_DONORS,
    Cell,
    Converted,
    DonorSum,
    DonorTally,
    Gathered,
    Marginals,
    RatesUsed,
    Sums,
    band_counts,
    factor_table,
    locate,
    middle_offsets,
    rates_of_cells,
    size_bounds,
)
from fundledger.services.summary_store import stored_gathered

K = TypeVar("K")
T = TypeVar("T")
PER_GIFT_METHOD = (
    "sum of per-gift conversions, each rounded half-up once from the original amount "
    "at the rate in force on the gift's date"
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


def campaign_summary(
    session: Session,
    context: CommandContext,
    slug: str | None,
    fixed_rate: FixedRate | None = None,
    *,
    stored: bool = True,
) -> CampaignSummary:
    """Everything a summary of campaign `slug` (None: of all campaigns together) shows.

    From the stored summaries (`summary_store`) when they hold exactly the ledger this
    transaction sees (and `stored`); else from a few SQL aggregates over the gifts: sums
    grouped by (day, currency, method, size band) give every breakdown and total; sums grouped
    by donor give the donor count and the honour roll; the gifts of one size band, grouped by
    value, give the median. No Python loop runs over the gifts themselves either way."""
    home = context.settings.home_currency
    reporting = context.settings.reporting_currency
    bounds = size_bounds(home)
    campaign = get_campaign(session, slug) if slug is not None else None
    info = campaign_info(campaign) if campaign is not None else _all_campaigns(session)
    campaign_id = campaign.id if campaign is not None else None
    gathered = stored_gathered(session, context, campaign_id, bounds) if stored else None
    if gathered is not None:
        pass
    elif campaign_id is not None and session.get_bind().dialect.name == "sqlite":
        gathered = _IndexReader(session, context, campaign_id, bounds).gather()
    else:
        gathered = _gather_grouped(session, context, campaign_id, bounds)
    rates, sums, donors, median = gathered
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
        by_week=tuple(
            DayLine(week, *line)
            for week, line in sorted(
                money.lines({week: Sums(*values) for week, values in weeks.items()}).items()
            )
        ),
        by_method=tuple(
            MethodLine(method, *line)
            for method, line in sorted(
                money.lines(sums.by_method).items(),
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
        goal_progress=_progress(info.goal, total_home, total_reporting),
    )


def _all_campaigns(session: Session) -> CampaignInfo:
    """The ledger's campaigns as one: from the first start to the last end, without a goal
    (goals may be in other currencies, and a campaign without one has none to add)."""
    first, last = session.execute(select(func.min(Campaign.start_date), func.max(
        Campaign.end_date))).one()  # fmt: skip
    return CampaignInfo(id=0, slug="", name=ALL_CAMPAIGNS, goal=None, start=first, end=last,
                        partner=None)  # fmt: skip


def _has_reversals(session: Session, campaign_id: int | None) -> bool:
    return bool(
        session.scalar(
            select(Donation.id)
            .where(
                Donation.reverses_id.is_not(None),
                # From the index of reversals alone, not every gift of the campaign.
                Donation.campaign_id + 0 == campaign_id if campaign_id is not None else true(),
            )
            .limit(1)
        )
    )


def _gather_grouped(
    session: Session, context: CommandContext, campaign_id: int | None, bounds: list[int]
) -> Gathered:
    """PostgreSQL (and all campaigns together on SQLite): one pass grouped by (day,
    currency, method, size band) gives every breakdown and total (hash aggregation, no sort,
    on PostgreSQL); one grouped by donor gives the donor count and the honour roll; one or two
    sorted within a size band give the median. On PostgreSQL the donor pass runs at the same
    time on a second connection reading the same snapshot."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    # A campaign without reversals needs no test for them on every gift (a million index
    # probes per pass on PostgreSQL). The whole ledger is read straight through, not in the
    # order of an index (`scan`).
    counted = (
        counted_donations(campaign_id, scan=campaign_id is None)
        if _has_reversals(session, campaign_id)
        else Donation.campaign_id == campaign_id
        if campaign_id is not None
        else true()
    )
    factors = gift_factors(session, context, counted).require_complete()
    donors_later = (
        _donors_on_snapshot_later(session, factors, counted, bounds) if postgresql else None
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
        count = sum(cell.gifts for cell in cells)
        median = _median(session, converted, cells, count)
        donors = donors_later.result() if donors_later else _donor_totals(session, converted)
    return Gathered(rates_of_cells(factors, cells), Marginals.of_cells(cells), donors, median)


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


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
    imports the first one's snapshot (pg_export_snapshot, SET TRANSACTION SNAPSHOT), so both
    read exactly the same ledger, whatever is committed in between."""
    snapshot = str(session.scalar(text("SELECT pg_export_snapshot()")))
    if not _SNAPSHOT_ID.fullmatch(snapshot):  # it goes into SQL as a literal
        raise RuntimeError(f"unexpected snapshot id from PostgreSQL: {snapshot!r}")
    url = session.connection().engine.url.render_as_string(hide_password=False)
    return _in_background(_donors_on_snapshot, url, snapshot, factors, counted, bounds)


def _donors_on_snapshot(
    url: str,
    snapshot: str,
    factors: dict[tuple[date, str], ConversionFactors],
    counted: ColumnElement[bool],
    bounds: list[int],
) -> DonorTally:
    engine = make_engine(url)
    try:
        with transaction(engine) as session:  # REPEATABLE READ, as the first one
            session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            with factor_table(session, factors, bounds) as factor:
                return _donor_totals(session, Converted(factor, counted, bounds))
    finally:
        engine.dispose()


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
    # One pass over the gifts: the count of all donors rides along with the first ten rows.
    top = session.execute(
        select(per_donor, func.count().over().label("donors"))
        .order_by(per_donor.c.home.desc(), per_donor.c.donor)
        .limit(TOP_DONORS)
    ).all()
    count = top[0].donors if top else 0
    return DonorTally(int(count), [DonorSum(*(int(value) for value in row[:4])) for row in top])


def _honour_roll(
    session: Session, donors: DonorTally, home: str, reporting: str
) -> tuple[DonorLine, ...]:
    names = dict(
        session.execute(
            select(Donor.id, Donor.name).where(Donor.id.in_([line.donor for line in donors.top]))
        ).all()
    )
    return tuple(
        DonorLine(names[line.donor], line.gifts, Money.from_minor(line.home, home),
                  Money.from_minor(line.reporting, reporting))
        for line in donors.top
    )  # fmt: skip


def _median(session: Session, converted: Converted, cells: list[Cell], count: int) -> int | None:
    """The median gift in home minor units: the size bands say which band holds the middle
    gift(s), and only that band's gifts are sorted."""
    if not count:
        return None
    middle: list[int] = []
    for band, offsets in sorted(middle_offsets(band_counts(cells), count).items()):
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


def _fold_merges(connection: Connection, table: Table) -> None:
    """In a keyed table of per-donor sums, each merged donor's sums added to the donor it was
    merged into, and its own row removed (merges are one level deep: `merge_donors`)."""
    merges = merges_in_force()
    if connection.execute(select(merges.c.id).limit(1)).first() is None:
        return
    # A SELECT from the table being inserted into is read in full before the first insert.
    fold = sqlite_insert(table).from_select(
        ["donor_id", "gifts", "home", "reporting"],
        select(merges.c.into_donor_id, table.c.gifts, table.c.home, table.c.reporting).join(
            merges, merges.c.merged_donor_id == table.c.donor_id
        ),
    )
    connection.execute(
        fold.on_conflict_do_update(
            index_elements=[table.c.donor_id],
            set_={
                name: table.c[name] + fold.excluded[name] for name in ("gifts", "home", "reporting")
            },
        )
    )
    connection.execute(table.delete().where(table.c.donor_id.in_(select(merges.c.merged_donor_id))))


# SQLite: a campaign read from the report index. The index holds every column a report needs,
# ordered (campaign, method, date, currency, amount), so the gifts of one method, day and
# currency, and within them of one size band, are each one stretch of it. The queries loop
# over small temporary tables (methods, factors per date and currency, bands) and read each
# stretch in turn: the factor of a gift comes from the outer loop, not from a lookup per gift,
# and the groups come out in order, so SQLite neither sorts a million rows nor reads the table.
# CROSS JOIN fixes that loop order (SQLite never reorders it) and INDEXED BY the index.

_FACTOR = "fundledger_report_factor"
_METHOD = "fundledger_report_method"
_BAND = "fundledger_report_band"
_DONOR = "fundledger_report_donor"
_DONATION = f"donation AS d INDEXED BY {REPORT_INDEX}"
_HOME = sqlite_convert_positive("d.amount_minor", "f", "home")
_REPORTING = sqlite_convert_positive("d.amount_minor", "f", "reporting")
# The gifts of one method, date and currency: m, f in the outer loops, d the index.
_STRETCH = (
    "d.campaign_id = :campaign AND d.method IS m.method AND d.donation_date = f.day "
    "AND d.currency = f.currency"
)
# Thresholds t_0 (1) ... t_{bands}, the last above any amount the ledger holds.
_NO_AMOUNT_ABOVE = MAX_AMOUNT_MINOR + 1


class _IndexReader:
    """The summary's data from the report index (SQLite)."""

    def __init__(
        self, session: Session, context: CommandContext, campaign_id: int, bounds: list[int]
    ) -> None:
        self.session = session
        self.context = context
        self.campaign_id = campaign_id
        self.bounds = bounds
        self.bands = len(bounds) + 1
        self.params = {"campaign": campaign_id}
        # A campaign without reversals needs no test for them on every gift.
        self.counted = (
            " AND d.reverses_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM donation AS r WHERE r.reverses_id = d.id)"
            if _has_reversals(session, campaign_id)
            else ""
        )

    def _rows(self, sql: str, **params: object) -> list[Any]:
        return list(self.session.execute(text(sql), {**self.params, **params}).all())

    def gather(self) -> Gathered:
        methods = self._methods()
        # The largest amount of each (date, currency), reversals included (as magnitudes):
        # what the conversion must provably fit.
        largest: dict[tuple[date, str], int] = defaultdict(int)
        for method in methods:
            for day, currency, amount in self._runs(method):
                largest[(day, currency)] = max(largest[(day, currency)], abs(amount))
        factors = self._factors(largest)
        keys = sorted(key for key in factors if key in largest)
        rows = [self.factor_row(index, key, factors[key], largest[key])
                for index, key in enumerate(keys)]  # fmt: skip
        uses = [
            _FactorUse(index, (to_home.numerator, to_home.denominator),
                       self._thresholds(to_home), convert_minor_python(largest[key], to_home))
            for index, key in enumerate(keys)
            for to_home in (factors[key].to_home,)
        ]  # fmt: skip
        donors_later = _donors_elsewhere_later(self, rows, methods)
        with self._tables(self.session.connection(), rows, methods):
            cells = self._cells(keys, methods)
            median = self._median(cells, uses)
            donors = donors_later.result() if donors_later else None
            if donors is None:
                donors = self._donors(self.session.connection())
        return Gathered(rates_of_cells(factors, cells), Marginals.of_cells(cells), donors, median)

    def _methods(self) -> list[str | None]:
        """The campaign's payment methods, from a few index seeks (a "loose index scan")."""
        found = [
            method
            for (method,) in self._rows(
                "WITH RECURSIVE m(method) AS ("  # noqa: S608 (constant SQL; values are bound)
                f" SELECT (SELECT min(method) FROM {_DONATION} WHERE d.campaign_id = :campaign)"
                " UNION ALL"
                f" SELECT (SELECT min(d.method) FROM {_DONATION}"
                "  WHERE d.campaign_id = :campaign AND d.method > m.method)"
                " FROM m WHERE m.method IS NOT NULL"
                ") SELECT method FROM m WHERE method IS NOT NULL"
            )
        ]
        unrecorded = self._rows(
            f"SELECT EXISTS (SELECT 1 FROM {_DONATION} "  # noqa: S608 (constant SQL; values are bound)
            "WHERE d.campaign_id = :campaign AND d.method IS NULL)"
        )
        return ([None] if unrecorded[0][0] else []) + found

    def _runs(self, method: str | None) -> list[tuple[date, str, int]]:
        """(date, currency, largest amount) of the gifts of one method, from one index seek
        per date and currency: walking the index backwards, the first entry of each is its
        largest amount."""
        latest = (
            "SELECT d.id FROM {donation} WHERE d.campaign_id = :campaign AND d.method IS :method"
            " AND {where} ORDER BY d.donation_date DESC, d.currency DESC, d.amount_minor DESC"
            " LIMIT 1"
        )
        # The next (date, currency) down: the same date and a smaller currency, else an
        # earlier date. (SQLite would serve a row-value comparison by the date alone, then
        # walk back through every gift of the current date and currency.)
        same_day = latest.format(
            donation=_DONATION,
            where="d.donation_date = p.donation_date AND d.currency < p.currency",
        )
        earlier = latest.format(donation=_DONATION, where="d.donation_date < p.donation_date")
        rows = self._rows(
            "WITH RECURSIVE run(id) AS ("  # noqa: S608 (constant SQL; values are bound)
            f" SELECT ({latest.format(donation=_DONATION, where='1')})"
            " UNION ALL"
            f" SELECT coalesce(({same_day}), ({earlier}))"
            " FROM run JOIN donation AS p ON p.id = run.id"
            ") SELECT p.donation_date, p.currency, p.amount_minor"
            " FROM run JOIN donation AS p ON p.id = run.id",
            method=method,
        )
        return [(date.fromisoformat(day), currency, int(amount)) for day, currency, amount in rows]

    def _factors(
        self, largest: dict[tuple[date, str], int]
    ) -> dict[tuple[date, str], ConversionFactors]:
        groups = [GiftGroup(day, currency, 0, amount)
                  for (day, currency), amount in sorted(largest.items())]  # fmt: skip
        try:
            found = group_factors(self.session, self.context, groups)
            if not found.gaps:
                return found.factors
        except FundledgerError:
            pass
        # A gap, or a gift too large to convert: these dates count reversed gifts too, so
        # ask again about the counted gifts alone, which either clears them or says why not.
        counted = counted_donations(self.campaign_id, scan=True)
        return gift_factors(self.session, self.context, counted).require_complete()

    def _thresholds(self, to_home: Fraction) -> list[int]:
        """The amounts where the size bands begin, and one past any amount the ledger holds."""
        found = [1, *(lowest_amount_reaching(bound, to_home.numerator, to_home.denominator)
                      for bound in self.bounds)]  # fmt: skip
        return [*(min(threshold, _NO_AMOUNT_ABOVE) for threshold in found), _NO_AMOUNT_ABOVE]

    def factor_row(
        self, index: int, key: tuple[date, str], factor: ConversionFactors, largest: int
    ) -> dict[str, object]:
        row: dict[str, object] = {"id": index, "day": key[0], "currency": key[1]}
        for position, threshold in enumerate(self._thresholds(factor.to_home)):
            row[f"t_{position}"] = threshold
        for name, fraction in (("home", factor.to_home), ("reporting", factor.to_reporting)):
            row |= direct_factor_columns(name, fraction.numerator, fraction.denominator, largest)
        return row

    @contextmanager
    def _tables(
        self, connection: Connection, rows: list[dict[str, object]], methods: list[str | None]
    ) -> Iterator[None]:
        factor = report_factor_table(self.bands + 1)
        method = Table(_METHOD, MetaData(), Column("id", Integer, primary_key=True,
                       autoincrement=False), Column("method", String(32)),
                       prefixes=["TEMPORARY"])  # fmt: skip
        band = Table(_BAND, MetaData(), Column("id", Integer, primary_key=True,
                     autoincrement=False), prefixes=["TEMPORARY"])  # fmt: skip
        tables = (factor, method, band)
        for table in tables:
            table.create(connection)
        try:
            if rows:
                connection.execute(insert(factor), rows)
            if methods:
                listed = [{"id": index, "method": value} for index, value in enumerate(methods)]
                connection.execute(insert(method), listed)
            connection.execute(insert(band), [{"id": index} for index in range(self.bands)])
            yield
        finally:
            for table in tables:
                table.drop(connection)

    def _band_limits(self) -> tuple[str, str]:
        """SQL for the amounts where band b.id begins and ends, for factor f."""
        low = " ".join(f"WHEN {index} THEN f.t_{index}" for index in range(self.bands))
        high = " ".join(f"WHEN {index} THEN f.t_{index + 1}" for index in range(self.bands))
        return f"(CASE b.id {low} END)", f"(CASE b.id {high} END)"

    def _cells(self, keys: list[tuple[date, str]], methods: list[str | None]) -> list[Cell]:
        low, high = self._band_limits()
        rows = self._rows(
            "SELECT m.id, f.id, b.id, count(*), sum(d.amount_minor),"  # noqa: S608 (constant SQL; values are bound)
            f" sum({_HOME}), sum({_REPORTING}), sum(d.anonymous)"
            f" FROM {_METHOD} AS m CROSS JOIN {_FACTOR} AS f CROSS JOIN {_BAND} AS b"
            f" CROSS JOIN {_DONATION}"
            f" WHERE {_STRETCH} AND d.amount_minor >= {low} AND d.amount_minor < {high}"
            f"{self.counted}"
            " GROUP BY m.id, f.id, b.id"
        )
        return [
            Cell(keys[key][0], keys[key][1], methods[method], band, int(gifts), int(amount),
                  int(home), int(reporting), int(anonymous))
            for method, key, band, gifts, amount, home, reporting, anonymous in rows
        ]  # fmt: skip

    def _donor_sql(self) -> str:
        return (
            f"INSERT INTO {_DONOR} (donor_id, gifts, home, reporting)"  # noqa: S608 (constant SQL; values are bound)
            f" SELECT d.donor_id, 1, {_HOME}, {_REPORTING}"
            f" FROM {_METHOD} AS m CROSS JOIN {_FACTOR} AS f CROSS JOIN {_DONATION}"
            f" WHERE {_STRETCH} AND d.amount_minor >= f.t_0 AND d.anonymous = 0"
            f" AND d.donor_id IS NOT NULL{self.counted}"
            # Summed in a keyed table, not by GROUP BY: cheaper than sorting every gift.
            " ON CONFLICT (donor_id) DO UPDATE SET gifts = gifts + 1,"
            " home = home + excluded.home, reporting = reporting + excluded.reporting"
        )

    def _donors(self, connection: Connection) -> DonorTally:
        """How many donors gave by name, and the largest of them, merges applied."""
        table = Table(_DONOR, MetaData(), Column("donor_id", Integer, primary_key=True,
                      autoincrement=False), Column("gifts", BigInteger),
                      Column("home", BigInteger), Column("reporting", BigInteger),
                      prefixes=["TEMPORARY"])  # fmt: skip
        table.create(connection)
        try:
            connection.execute(text(self._donor_sql()), self.params)
            _fold_merges(connection, table)
            count, inexact = connection.execute(
                select(func.count(), func.coalesce(func.sum(
                    (func.typeof(table.c.home) != "integer")
                    | (func.typeof(table.c.reporting) != "integer")), 0))
            ).one()  # fmt: skip
            if inexact:
                # SQLite's + turns an overflowing integer into a float, where sum() would fail.
                raise FundledgerError("a donor's total is larger than the database can add up")
            top = connection.execute(
                select(table).order_by(table.c.home.desc(), table.c.donor_id).limit(TOP_DONORS)
            ).all()
        finally:
            table.drop(connection)
        return DonorTally(int(count), [DonorSum(*row) for row in top])

    def _median(self, cells: list[Cell], factors: list[_FactorUse]) -> int | None:
        """The median gift in home minor units. The size bands say which band holds the
        middle gift(s); counting that band's gifts in MEDIAN_PARTS equal parts of its values
        (index seeks, no conversion, no sort) says which part; only that part's gifts are
        converted, grouped by value and counted."""
        count = sum(cell.gifts for cell in cells)
        if not count:
            return None
        middle: list[int] = []
        lows = [0, *self.bounds]
        for band, offsets in sorted(middle_offsets(band_counts(cells), count).items()):
            high = (
                self.bounds[band]
                if band < len(self.bounds)
                else max(factor.largest_home for factor in factors) + 1
            )
            with self._parts(band, lows[band], high, factors) as parts:
                found = dict(self._rows(parts.count_sql))  # an empty part has no row
                counts = [int(found.get(part, 0)) for part in range(MEDIAN_PARTS)]
                for part, inner in locate(offsets, counts).items():
                    values = self._rows(parts.values_sql(part), first=inner[0],
                                               many=len(inner))  # fmt: skip
                    middle.extend(
                        next(int(home) for home, below in values if below > offset)
                        for offset in inner
                    )
        return divide_round_half_up(sum(middle), len(middle))

    @contextmanager
    def _parts(self, band: int, low: int, high: int, factors: list[_FactorUse]) -> Iterator[_Parts]:
        """Band `band` (home values from `low` up to `high`) cut in MEDIAN_PARTS parts of
        equal width, as amounts of each factor's currency where each part begins."""
        width = -(-(high - low) // MEDIAN_PARTS)
        connection = self.session.connection()
        split = Table(
            _SPLIT, MetaData(), Column("id", Integer, primary_key=True, autoincrement=False),
            *(Column(f"s_{index}", BigInteger, nullable=False)
              for index in range(MEDIAN_PARTS + 1)),
            prefixes=["TEMPORARY"],
        )  # fmt: skip
        part = Table(_PART, MetaData(), Column("id", Integer, primary_key=True,
                     autoincrement=False), prefixes=["TEMPORARY"])  # fmt: skip
        rows = []
        for factor in factors:
            first, last = factor.thresholds[band], factor.thresholds[band + 1]
            row: dict[str, object] = {"id": factor.row_id}
            for index in range(MEDIAN_PARTS + 1):
                reaching = lowest_amount_reaching(low + index * width, *factor.home)
                row[f"s_{index}"] = min(max(reaching, first), last)
            row["s_0"], row[f"s_{MEDIAN_PARTS}"] = first, last
            rows.append(row)
        for table in (split, part):
            table.create(connection)
        try:
            connection.execute(insert(split), rows)
            connection.execute(insert(part), [{"id": index} for index in range(MEDIAN_PARTS)])
            yield _Parts(self.counted)
        finally:
            for table in (split, part):
                table.drop(connection)


class _FactorUse(NamedTuple):
    """A factor of the report's temporary table: its row id, home fraction, size-band
    thresholds and the home value of its largest gift."""

    row_id: int
    home: tuple[int, int]
    thresholds: list[int]
    largest_home: int


MEDIAN_PARTS = 8
_SPLIT = "fundledger_report_split"
_PART = "fundledger_report_part"


class _Parts:
    """SQL over the parts of one band (tables `_SPLIT` and `_PART` of `_IndexReader._parts`)."""

    def __init__(self, counted: str) -> None:
        self.counted = counted
        starts = " ".join(f"WHEN {index} THEN s.s_{index}" for index in range(MEDIAN_PARTS))
        ends = " ".join(f"WHEN {index} THEN s.s_{index + 1}" for index in range(MEDIAN_PARTS))
        # Parts outermost: the counts come out in part order, without a sort.
        self.count_sql = (
            "SELECT p.id, count(*)"  # noqa: S608 (constant SQL; values are bound)
            f" FROM {_PART} AS p CROSS JOIN {_FACTOR} AS f CROSS JOIN {_SPLIT} AS s"
            f" CROSS JOIN {_METHOD} AS m CROSS JOIN {_DONATION}"
            f" WHERE s.id = f.id AND {_STRETCH} AND d.amount_minor >= (CASE p.id {starts} END)"
            f" AND d.amount_minor < (CASE p.id {ends} END){counted} GROUP BY p.id"
        )

    def values_sql(self, part: int) -> str:
        """The distinct home values of one part, each with how many gifts of the part are
        at or below it; from the first above `:first`, `:many` of them."""
        return (
            f"WITH v(home, gifts) AS (SELECT {_HOME}, count(*)"  # noqa: S608 (constant SQL)
            f" FROM {_FACTOR} AS f CROSS JOIN {_SPLIT} AS s CROSS JOIN {_METHOD} AS m"
            f" CROSS JOIN {_DONATION} WHERE s.id = f.id AND {_STRETCH}"
            f" AND d.amount_minor >= s.s_{part} AND d.amount_minor < s.s_{part + 1}"
            f"{self.counted} GROUP BY 1)"
            " SELECT home, below FROM (SELECT home, sum(gifts) OVER (ORDER BY home) AS below"
            " FROM v) WHERE below > :first ORDER BY home LIMIT :many"
        )


def _donors_elsewhere_later(
    reader: _IndexReader, rows: list[dict[str, object]], methods: list[str | None]
) -> Future[DonorTally | None] | None:
    """The donor sums of a large report on a second connection, in a thread, while the first
    connection sums the cells and finds the median: SQLite runs one statement on one core,
    and Python's sqlite3 lets go of the interpreter while a statement runs. None when there
    is no second connection to be had (an in-memory database) or nothing to sum.

    Both connections must read the same ledger. Each SQLite connection reads its own
    snapshot, taken at its first read, so a gift committed in between would be seen by one
    and not the other. The tables read here only ever grow (triggers refuse UPDATE and
    DELETE; SQLite numbers a new row past the largest id, and one writer commits at a time),
    so two snapshots with the same largest donation id and donor merge id hold the same rows.
    When they differ, the future's result is None and the first connection makes the sums."""
    url = reader.session.connection().engine.url
    if url.database in (None, "", ":memory:") or not rows:
        return None
    marker = _snapshot(reader.session.connection())
    address = url.render_as_string(hide_password=False)
    return _in_background(_donors_elsewhere, reader, address, rows, methods, marker)


def _donors_elsewhere(
    reader: _IndexReader,
    url: str,
    rows: list[dict[str, object]],
    methods: list[str | None],
    marker: tuple[int | None, int | None],
) -> DonorTally | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if _snapshot(connection) != marker:
                return None
            with reader._tables(connection, rows, methods):
                return reader._donors(connection)
    finally:
        engine.dispose()


def _snapshot(connection: Connection) -> tuple[int | None, int | None]:
    """The largest donation id and donor merge id this connection sees."""
    row = connection.execute(
        select(
            select(func.max(Donation.id)).scalar_subquery(),
            select(func.max(DonorMerge.id)).scalar_subquery(),
        )
    ).one()
    return row[0], row[1]
