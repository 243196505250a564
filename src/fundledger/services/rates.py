"""Exchange rates in the ledger, as read: the rate book of a period, the rate in force for two
currencies as typed, and the stored rows listed with what superseded them. Recording rates, with
the checks that keep one from contradicting or dwarfing another, is `rate_import`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import ExchangeRate
from fundledger.domain.money import currency_in_use
from fundledger.domain.rate_checks import current_rows
from fundledger.domain.rates import Rate, RateBook, RateInForce
from fundledger.services.context import CommandContext

# How far back an error looks for "the latest rate known" when none is in force.
LOOKBACK = timedelta(days=366)

# rate_date, source, and the pair's two currencies in order: a pair written either way round.
DayKey = tuple[date, str, str, str]


def day_key(rate_date: date, base: str, quote: str, source: str) -> DayKey:
    return (rate_date, source, min(base, quote), max(base, quote))


class StoredValue(NamedTuple):
    """A stored rate as read for a check: lighter than a `Rate`, which validates."""

    rate_date: date
    base: str
    quote: str
    value: Decimal
    source: str
    sequence: int


def load_rate_book(
    session: Session,
    context: CommandContext,
    first: date,
    last: date,
    currencies: Collection[str] | None = None,
) -> RateBook:
    """Every rate that could be in force between `first` and `last`, as a RateBook; with
    `currencies`, only those that can serve a pair of them: a pair is found directly,
    inverted, or crossed through a third currency linked to both (the ECB's EUR/GBP serves
    no pair of EUR, ILS and USD, since GBP is linked to EUR alone).

    Also the last rate of each series in the year before that window: out of force, but it
    lets an error name the latest rate known."""
    settings = context.settings
    margin = timedelta(days=settings.max_rate_age_days)
    earliest = max(date.min + margin, first) - margin
    lookback = max(date.min + LOOKBACK, earliest) - LOOKBACK
    serving: list[ColumnElement[bool]] = []
    if currencies is not None:
        # Which pairs can serve is decided on the pairs alone, before any rate is read: the
        # rows of the others (the ECB's thirty-odd currencies) are never fetched.
        wanted = sorted(currencies)
        pairs = session.execute(
            select(ExchangeRate.base, ExchangeRate.quote)
            .where(
                ExchangeRate.rate_date.between(lookback, last),
                or_(ExchangeRate.base.in_(wanted), ExchangeRate.quote.in_(wanted)),
            )
            .distinct()
        ).all()
        useful = _serving_pairs([(base, quote) for base, quote in pairs], set(currencies))
        serving = [tuple_(ExchangeRate.base, ExchangeRate.quote).in_(useful)]
    last_before = (
        select(
            ExchangeRate.base,
            ExchangeRate.quote,
            ExchangeRate.source,
            func.max(ExchangeRate.rate_date).label("rate_date"),
        )
        .where(ExchangeRate.rate_date >= lookback, ExchangeRate.rate_date < earliest, *serving)
        .group_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.source)
        .subquery()
    )
    columns = (
        ExchangeRate.rate_date,
        ExchangeRate.base,
        ExchangeRate.quote,
        ExchangeRate.rate,
        ExchangeRate.source,
        ExchangeRate.id,
    )
    # Two plain reads rather than one with OR EXISTS: PostgreSQL tested every row of the
    # look-back year against the subquery (0.2 s for a year of ECB rates).
    in_window = select(*columns).where(ExchangeRate.rate_date.between(earliest, last), *serving)
    just_before = select(*columns).join(
        last_before,
        and_(
            last_before.c.base == ExchangeRate.base,
            last_before.c.quote == ExchangeRate.quote,
            last_before.c.source == ExchangeRate.source,
            last_before.c.rate_date == ExchangeRate.rate_date,
        ),
    )
    rows = session.execute(union_all(in_window, just_before))
    return RateBook(
        (Rate(*row) for row in rows),
        max_age_days=settings.max_rate_age_days,
        source_priority=settings.rate_source_priority,
        known_since=lookback,
    )


def _serving_pairs(pairs: list[tuple[str, str]], currencies: set[str]) -> list[tuple[str, str]]:
    """The (base, quote) pairs between two of `currencies`, or between one of them and a
    third currency that is linked to at least two of them (a possible cross)."""
    links: dict[str, set[str]] = defaultdict(set)
    for base, quote in pairs:
        if base not in currencies:
            links[base].add(quote)
        elif quote not in currencies:
            links[quote].add(base)
    return [
        (base, quote)
        for base, quote in pairs
        if (base in currencies and quote in currencies)
        or len(links[base if base not in currencies else quote]) >= 2
    ]


def rate_in_force(
    session: Session, context: CommandContext, on: date, base: str, quote: str
) -> RateInForce:
    """The rate in force for two currencies as typed (NIS is ILS; DEM is refused, naming EUR)."""
    base, quote = currency_in_use(base), currency_in_use(quote)
    return load_rate_book(session, context, on, on, {base, quote}).in_force(base, quote, on)


@dataclass(frozen=True, slots=True)
class StoredRate:
    id: int
    rate: Rate
    recorded_at: datetime
    recorded_by: str
    superseded: bool


def list_rates(
    session: Session,
    *,
    base: str | None = None,
    quote: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[StoredRate]:
    """Stored rate rows, oldest date first, each marked if a later row superseded it: a newer
    row of its date, pair and source, or a newer contradicting one of the inverse pair."""
    query = select(ExchangeRate).order_by(
        ExchangeRate.rate_date, ExchangeRate.base, ExchangeRate.quote, ExchangeRate.id
    )
    # Rows of the inverse pair are read too: they can supersede the rows listed.
    for code in (base, quote):
        if code is not None:
            query = query.where(or_(ExchangeRate.base == code, ExchangeRate.quote == code))
    if first is not None:
        query = query.where(ExchangeRate.rate_date >= first)
    if last is not None:
        query = query.where(ExchangeRate.rate_date <= last)
    stored = session.scalars(query).all()
    groups: dict[DayKey, list[StoredValue]] = defaultdict(list)
    for row in stored:
        groups[day_key(row.rate_date, row.base, row.quote, row.source)].append(
            StoredValue(row.rate_date, row.base, row.quote, row.rate, row.source, row.id)
        )
    in_force = {item.sequence for group in groups.values() for item in current_rows(group)}
    return [
        StoredRate(
            id=row.id,
            rate=Rate(row.rate_date, row.base, row.quote, row.rate, row.source, row.id),
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            superseded=row.id not in in_force,
        )
        for row in stored
        if (base is None or row.base == base) and (quote is None or row.quote == quote)
    ]
