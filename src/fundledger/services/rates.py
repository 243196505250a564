"""Exchange rates in the ledger: record them, and ask which one is in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import with_chain_hashes
from fundledger.adapters.db.models import ExchangeRate
from fundledger.adapters.rate_files.common import RateRow
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import Rate, RateBook, RateInForce, format_rate
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.validation import bounded_text

MANUAL_SOURCE = "manual"
INSERT_BATCH = 5_000
# How far back an error looks for "the latest rate known" when none is in force.
LOOKBACK = timedelta(days=366)

RateKey = tuple[date, str, str, str]  # rate_date, base, quote, source


def rate_key(rate: Rate) -> RateKey:
    return (rate.rate_date, rate.base, rate.quote, rate.source)


def describe_rate(rate: Rate) -> str:
    return (
        f"{rate.rate_date.isoformat()} 1 {rate.base} = {format_rate(rate.value)} {rate.quote} "
        f"({rate.source})"
    )


@dataclass(frozen=True, slots=True)
class Correction:
    rate: Rate
    previous: Decimal


@dataclass(frozen=True, slots=True)
class RateImport:
    """What an import did: rows new to the ledger, rows it already had, corrections."""

    origin: str
    new: int
    present: int
    corrections: tuple[Correction, ...] = ()

    def describe(self) -> str:
        text = f"{self.origin}: {self.new} new, {self.present} already present"
        if self.corrections:
            text += f", {len(self.corrections)} superseded"
        return text


def _unique_rows(rows: Iterable[RateRow], origin: str) -> dict[RateKey, RateRow]:
    """The file's rows by key; the same rate twice is one, two values for one key an error."""
    unique: dict[RateKey, RateRow] = {}
    for row in rows:
        key = rate_key(row.rate)
        earlier = unique.get(key)
        if earlier is None:
            unique[key] = row
        elif earlier.rate.value != row.rate.value:
            raise FundledgerError(
                f"{origin}: line {row.line} gives {describe_rate(row.rate)} but line "
                f"{earlier.line} gives {format_rate(earlier.rate.value)} for the same date, pair "
                "and source; nothing imported"
            )
    return unique


def _stored_values(session: Session, keys: Iterable[RateKey]) -> dict[RateKey, Decimal]:
    """The value in force for each key already in the ledger (the newest row wins)."""
    keys = list(keys)
    if not keys:
        return {}
    days = [key[0] for key in keys]
    sources = {key[3] for key in keys}
    stored: dict[RateKey, Decimal] = {}
    result = session.execute(
        select(
            ExchangeRate.rate_date,
            ExchangeRate.base,
            ExchangeRate.quote,
            ExchangeRate.source,
            ExchangeRate.rate,
        )
        .where(
            ExchangeRate.source.in_(sources),
            ExchangeRate.rate_date.between(min(days), max(days)),
        )
        .order_by(ExchangeRate.id)
    )
    for rate_date, base, quote, source, value in result:
        stored[(rate_date, base, quote, source)] = value
    return stored


# An arbitrary constant naming fundledger's rate-import lock among PostgreSQL advisory locks.
RATE_WRITERS_LOCK = 0x46_4C_52_41  # "FLRA"


def _serialize_rate_writers(session: Session) -> None:
    """One rate import at a time: the check for stored values and the insert that follows must
    not interleave with another treasurer's, or both would add the same rates. SQLite writers
    already hold the database's write lock (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock
    until the end of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(RATE_WRITERS_LOCK)))


def import_rates(
    session: Session,
    context: CommandContext,
    rows: Iterable[RateRow],
    *,
    origin: str,
    supersede: bool = False,
    action: str = "rates.import",
) -> RateImport:
    """Append the rates of a file (or one typed rate) in the caller's transaction.

    Rates already stored add nothing, so importing a file twice is harmless. A rate that
    contradicts a stored one (same date, pair and source, other value) is refused with both
    values named, unless `supersede`: then it is appended as a correction, with an audit event.
    """
    _serialize_rate_writers(session)
    unique = _unique_rows(rows, origin)
    if not unique:
        raise FundledgerError(f"{origin}: no rates found in it; nothing imported")
    for source in {row.rate.source for row in unique.values()}:
        bounded_text("the rate's source", source, ExchangeRate.source)
    stored = _stored_values(session, unique)
    new: list[RateRow] = []
    contradictions: list[tuple[RateRow, Decimal]] = []
    present = 0
    for key, row in unique.items():
        previous = stored.get(key)
        if previous is None:
            new.append(row)
        elif previous == row.rate.value:
            present += 1
        else:
            contradictions.append((row, previous))
    if contradictions and not supersede:
        row, previous = contradictions[0]
        where = f"line {row.line}: " if row.line else ""
        more = f" (and {len(contradictions) - 1} more)" if len(contradictions) > 1 else ""
        raise FundledgerError(
            f"{origin}: {where}{describe_rate(row.rate)} contradicts the stored "
            f"{format_rate(previous)}{more}; nothing imported. If the new value is a "
            "correction, run again with --supersede"
        )
    recorded_at = now()
    table = ExchangeRate.metadata.tables[ExchangeRate.__tablename__]
    connection = session.connection()
    for batch_start in range(0, len(new), INSERT_BATCH):
        batch = new[batch_start : batch_start + INSERT_BATCH]
        # Core, not ORM, bulk insert: a full ECB history is 200,000+ rows.
        session.execute(insert(table), with_chain_hashes(connection, table, [
            _row_values(row.rate, recorded_at, context) for row in batch]))  # fmt: skip
    corrections = []
    for row, previous in contradictions:
        (values,) = with_chain_hashes(connection, table, [
            _row_values(row.rate, recorded_at, context)])  # fmt: skip
        correction_id = session.scalar(
            insert(ExchangeRate).values(values).returning(ExchangeRate.id)
        )
        record_audit(
            session,
            context,
            "rate.supersede",
            entity="exchange_rate",
            entity_id=correction_id,
            details={
                "date": row.rate.rate_date,
                "pair": row.rate.pair,
                "source": row.rate.source,
                "rate": str(row.rate.value),
                "previous": str(previous),
                "origin": origin,
            },
        )
        corrections.append(Correction(row.rate, previous))
    result = RateImport(origin, len(new), present, tuple(corrections))
    if new or corrections:
        record_audit(
            session,
            context,
            action,
            entity="exchange_rate",
            details={
                "origin": origin,
                "new": result.new,
                "present": result.present,
                "superseded": len(corrections),
                "first_date": min(row.rate.rate_date for row in new) if new else None,
                "last_date": max(row.rate.rate_date for row in new) if new else None,
            },
        )
    return result


def _row_values(rate: Rate, recorded_at: datetime, context: CommandContext) -> dict[str, object]:
    return {
        "rate_date": rate.rate_date,
        "base": rate.base,
        "quote": rate.quote,
        "rate": rate.value,
        "source": rate.source,
        "recorded_at": recorded_at,
        "recorded_by": context.actor,
    }


def add_rate(
    session: Session, context: CommandContext, rate: Rate, *, supersede: bool = False
) -> RateImport:
    """One rate typed by a treasurer: an import of one row."""
    return import_rates(
        session,
        context,
        [RateRow(0, rate)],
        origin="rates add",
        supersede=supersede,
        action="rate.add",
    )


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
    """Stored rate rows, oldest date first, each marked if a later row superseded it."""
    newer = aliased(ExchangeRate)
    superseded = (
        exists()
        .where(
            newer.rate_date == ExchangeRate.rate_date,
            newer.base == ExchangeRate.base,
            newer.quote == ExchangeRate.quote,
            newer.source == ExchangeRate.source,
            newer.id > ExchangeRate.id,
        )
        .label("superseded")
    )
    query = select(ExchangeRate, superseded).order_by(
        ExchangeRate.rate_date, ExchangeRate.base, ExchangeRate.quote, ExchangeRate.id
    )
    if base is not None:
        query = query.where(ExchangeRate.base == base)
    if quote is not None:
        query = query.where(ExchangeRate.quote == quote)
    if first is not None:
        query = query.where(ExchangeRate.rate_date >= first)
    if last is not None:
        query = query.where(ExchangeRate.rate_date <= last)
    return [
        StoredRate(
            id=row.id,
            rate=Rate(row.rate_date, row.base, row.quote, row.rate, row.source, row.id),
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            superseded=bool(is_superseded),
        )
        for row, is_superseded in session.execute(query)
    ]
