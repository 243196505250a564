"""Recording exchange rates: the rows of a published file, or one rate a treasurer types.

Apart from the rate book (`services.rates`), which only reads rates: recording has a lifecycle of
its own. The rows are made unique, checked on entry, sorted against the stored rows (new, already
present, or contradicting one), checked against their neighbours in the file and in the ledger for
a slip, and only then written, hashed into the chain and audited, one import at a time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, Row, and_, func, insert, select, tuple_, union_all
from sqlalchemy.orm import Session

from fundledger.adapters.db.chain import with_chain_hashes
from fundledger.adapters.db.locks import hold_until_commit
from fundledger.adapters.db.models import ExchangeRate
from fundledger.adapters.rate_files.common import RateRow
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import past_date_problem
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import currency_in_use
from fundledger.domain.rate_checks import (
    current_rows,
    implausibly_apart,
    inverses_agree,
    times_apart,
)
from fundledger.domain.rates import Rate, format_rate
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.rates import DayKey, StoredValue
from fundledger.services.validation import bounded_text

MANUAL_SOURCE = "manual"
INSERT_BATCH = 5_000

RateKey = tuple[date, str, str, str]  # rate_date, base, quote, source
# Rates further apart than this say nothing about a typo: over years, a currency in high
# inflation can move five-fold without any slip.
NEAREST_WITHIN = timedelta(days=366)
# More pairs or sources than this are not listed in a query's IN (databases limit the number
# of parameters); the query reads by date alone and Python filters.
LISTED_AT_MOST = 200


def rate_key(rate: Rate) -> RateKey:
    return (rate.rate_date, rate.base, rate.quote, rate.source)


def describe_rate(rate: Rate | StoredValue) -> str:
    return (
        f"{rate.rate_date.isoformat()} 1 {rate.base} = {format_rate(rate.value)} {rate.quote} "
        f"({rate.source})"
    )


@dataclass(frozen=True, slots=True)
class Correction:
    """A rate recorded over a stored one it contradicts: the same pair's value, or its
    inverse pair's (`previous_pair`) for the same date and source."""

    rate: Rate
    previous: Decimal
    previous_pair: str = ""

    def describe_previous(self) -> str:
        if self.previous_pair and self.previous_pair != self.rate.pair:
            return f"{self.previous_pair} {format_rate(self.previous)}"
        return format_rate(self.previous)


@dataclass(frozen=True, slots=True)
class RateImport:
    """What an import did: rows new to the ledger, rows it already had, corrections, and the
    rates of currencies no longer in use that the file held and were skipped."""

    origin: str
    new: int
    present: int
    corrections: tuple[Correction, ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        text = f"{self.origin}: {self.new} new, {self.present} already present"
        if self.corrections:
            text += f", {len(self.corrections)} superseded"
        if self.skipped:
            codes = ", ".join(code for code, _ in self.skipped)
            count = sum(number for _, number in self.skipped)
            text += f", {count} skipped (currencies no longer in use: {codes})"
        return text


def _where(row: RateRow) -> str:
    return f"line {row.line}: " if row.line else ""


def _more(problems: Collection[object]) -> str:
    return f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""


def _unique_rows(rows: Iterable[RateRow], origin: str) -> dict[RateKey, RateRow]:
    """The file's rows by key; the same rate twice is one. Two values for one key are an
    error, and so is a rate its inverse pair contradicts on the same date and source."""
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
    pairs = {(base, quote) for _, base, quote, _ in unique}
    both_ways = {(base, quote) for base, quote in pairs if base < quote and (quote, base) in pairs}
    for (day, base, quote, source), row in unique.items():
        if (base, quote) not in both_ways:
            continue
        inverse = unique.get((day, quote, base, source))
        if inverse is not None and not inverses_agree(row.rate.value, inverse.rate.value):
            first, second = sorted((row, inverse), key=lambda item: item.line)
            raise FundledgerError(
                f"{origin}: line {second.line} gives {describe_rate(second.rate)} but line "
                f"{first.line} gives its inverse pair {first.rate.pair} "
                f"{format_rate(first.rate.value)} for the same date and source, and the two "
                "do not agree; nothing imported"
            )
    return unique


def _check_entry(unique: dict[RateKey, RateRow], origin: str) -> None:
    """What every rate entering the ledger is, whatever brought it (the file readers check
    the same, naming the column): dated on a day that has happened, since 1900; in currencies
    in use today; from a source the ledger can hold."""
    for key in (min(unique), max(unique)):  # keys start with the date
        problem = past_date_problem(key[0], "rate")
        if problem:
            raise FundledgerError(f"{origin}: {_where(unique[key])}{problem}")
    for traits in dict.fromkeys(key[1:] for key in unique):
        base, quote, source = traits
        try:
            currency_in_use(base)
            currency_in_use(quote)
            bounded_text("the rate's source", source, ExchangeRate.source)
        except FundledgerError as error:
            first = next(row for key, row in unique.items() if key[1:] == traits)
            raise FundledgerError(f"{origin}: {_where(first)}{error}") from None


STORED_COLUMNS = (
    ExchangeRate.rate_date,
    ExchangeRate.base,
    ExchangeRate.quote,
    ExchangeRate.rate.label("value"),
    ExchangeRate.source,
    ExchangeRate.id.label("sequence"),
)


def _stored(values: Row[date, str, str, Decimal, str, int]) -> StoredValue:
    """A row read with STORED_COLUMNS, used as it is: it has StoredValue's fields, in order
    and by name, and a re-imported ECB history reads 200,000 of them."""
    return cast(StoredValue, values)


def _stored_newest(session: Session, keys: Collection[RateKey]) -> dict[RateKey, StoredValue]:
    """The newest stored row of each date, pair and source among those dates and sources."""
    if not keys:
        return {}
    days = [key[0] for key in keys]
    sources = sorted({key[3] for key in keys})
    query = (
        select(*STORED_COLUMNS)
        .where(ExchangeRate.rate_date.between(min(days), max(days)))
        .order_by(ExchangeRate.id)
    )
    if len(sources) <= LISTED_AT_MOST:
        query = query.where(ExchangeRate.source.in_(sources))
    # The later row overwriting, each used as it is (it has StoredValue's fields, by name and
    # in order): a re-imported ECB history reads 200,000 here.
    newest = {(row[0], row[1], row[2], row[4]): row for row in session.execute(query)}
    return cast(dict[RateKey, StoredValue], newest)


# An arbitrary constant naming fundledger's rate-import lock among PostgreSQL advisory locks.
RATE_WRITERS_LOCK = 0x46_4C_52_41  # "FLRA"


def _serialize_rate_writers(session: Session) -> None:
    """One rate import at a time: the check for stored values and the insert that follows must
    not interleave with another treasurer's, or both would add the same rates. SQLite writers
    already hold the database's write lock (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock
    until the end of the transaction."""
    hold_until_commit(session, RATE_WRITERS_LOCK)


@dataclass(slots=True)
class _Sorted:
    """A file's rows sorted against the ledger: new, already present, contradicting one."""

    new: list[RateRow]
    present: int
    contradictions: list[tuple[RateRow, StoredValue]]


def _sort_against_ledger(session: Session, unique: dict[RateKey, RateRow]) -> _Sorted:
    stored = _stored_newest(session, unique)
    stored_pairs = {(key[1], key[2]) for key in stored}
    result = _Sorted([], 0, [])
    for key, row in unique.items():
        day, base, quote, source = key
        same = stored.get(key)
        inverse = stored.get((day, quote, base, source)) if (quote, base) in stored_pairs else None
        if same is not None and inverse is not None and len(current_rows((same, inverse))) == 1:
            # A correction through the inverse pair: only the newer of the two is in force.
            same, inverse = (same, None) if same.sequence > inverse.sequence else (None, inverse)
        if same is not None:
            if same.value == row.rate.value:
                result.present += 1
            else:
                result.contradictions.append((row, same))
        elif inverse is None or inverses_agree(row.rate.value, inverse.value):
            result.new.append(row)  # new, or the same rate written the other way round
        else:
            result.contradictions.append((row, inverse))
    return result


def _contradiction(origin: str, contradictions: list[tuple[RateRow, StoredValue]]) -> str:
    row, stored = contradictions[0]
    if stored.base == row.rate.base:
        previous = format_rate(stored.value)
    else:
        inverse = 1 / Fraction(stored.value)
        previous = (
            f"{stored.base}/{stored.quote} {format_rate(stored.value)} of the same date and "
            f"source (1 {row.rate.base} = {format_rate(inverse)} {row.rate.quote})"
        )
    return (
        f"{origin}: {_where(row)}{describe_rate(row.rate)} contradicts the stored {previous}"
        f"{_more(contradictions)}; nothing imported. If the new value is a correction, run "
        "again with --supersede"
    )


def import_rates(
    session: Session,
    context: CommandContext,
    rows: Iterable[RateRow],
    *,
    origin: str,
    supersede: bool = False,
    confirm: bool = False,
    skipped: Mapping[str, int] | None = None,
    action: str = "rates.import",
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> RateImport:
    """Append the rates of a file (or one typed rate) in the caller's transaction.

    Rates already stored add nothing, so importing a file twice is harmless. A rate that
    contradicts a stored one (same date, pair and source, other value; or its inverse pair's
    value, when the two cannot be one rate rounded two ways) is refused with both values
    named, unless `supersede`: then it is appended as a correction, with an audit event. A
    rate five times or a fifth of its neighbours' is refused unless `confirm`
    (`check_plausible`). `skipped`: rates the file held in currencies no longer in use.
    `progress` is told each time a number of rows has been checked or written. `actor`: the
    signed-in user a web request acts for, who needs the treasurer role (None: the terminal).
    """
    if actor is not None:
        require(actor, Role.TREASURER, "record exchange rates")
    _serialize_rate_writers(session)
    unique = _unique_rows(rows, origin)
    if not unique:
        raise FundledgerError(f"{origin}: no rates found in it; nothing imported")
    _check_entry(unique, origin)
    found = _sort_against_ledger(session, unique)
    if found.contradictions and not supersede:
        raise FundledgerError(_contradiction(origin, found.contradictions))
    if progress is not None:
        progress(found.present)  # nothing left to do for rates already stored
    written = found.new + [row for row, _ in found.contradictions]
    if not confirm:
        _check_plausible(session, unique, written, origin)
    recorded_at = now()
    table = ExchangeRate.metadata.tables[ExchangeRate.__tablename__]
    connection = session.connection()
    new = found.new
    for batch_start in range(0, len(new), INSERT_BATCH):
        batch = new[batch_start : batch_start + INSERT_BATCH]
        # Core, not ORM, bulk insert: a full ECB history is 200,000+ rows.
        session.execute(insert(table), with_chain_hashes(connection, table, [
            _row_values(row.rate, recorded_at, context) for row in batch]))  # fmt: skip
        if progress is not None:
            progress(len(batch))
    corrections = []
    for row, previous in found.contradictions:
        (values,) = with_chain_hashes(connection, table, [
            _row_values(row.rate, recorded_at, context)])  # fmt: skip
        correction_id = session.scalar(
            insert(ExchangeRate).values(values).returning(ExchangeRate.id)
        )
        previous_pair = f"{previous.base}/{previous.quote}"
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
                "previous": str(previous.value),
                **({"previous_pair": previous_pair} if previous_pair != row.rate.pair else {}),
                "origin": origin,
            },
        )
        corrections.append(Correction(row.rate, previous.value, previous_pair))
    left_out = tuple(sorted((code, count) for code, count in (skipped or {}).items() if count))
    result = RateImport(origin, len(new), found.present, tuple(corrections), left_out)
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
                **({"skipped": dict(left_out)} if left_out else {}),
                **({"confirmed": True} if confirm else {}),
            },
        )
    return result


def _check_plausible(
    session: Session, unique: dict[RateKey, RateRow], written: list[RateRow], origin: str
) -> None:
    """Refuse a rate to be written that is IMPLAUSIBLE_FACTOR times (or a fraction) of its
    neighbour in the file, or of the nearest stored rate of its pair; the error names both,
    and the treasurer confirms a real jump with --confirm."""
    if not written:
        return
    # One problem a line (a slip can jump from its neighbour in the file and from the stored
    # rate alike), the first in the file named.
    problems: dict[int, str] = {}
    for line, message in _file_jumps(unique, written) + _stored_jumps(session, written):
        problems.setdefault(line, message)
    if problems:
        message = problems[min(problems)]
        raise FundledgerError(
            f"{origin}: {message}{_more(problems)}; nothing imported. If it is right, run "
            "again with --confirm"
        )


def _pair_of(rate: Rate | StoredValue) -> tuple[str, str]:
    return (min(rate.base, rate.quote), max(rate.base, rate.quote))


def _by_date_and_line(row: RateRow) -> tuple[date, int]:
    return (row.rate.rate_date, row.line)


def _file_jumps(unique: dict[RateKey, RateRow], written: list[RateRow]) -> list[tuple[int, str]]:
    """Rows implausibly apart from their neighbour of one pair (by date) in the file, one of
    the two to be written: (line, message) for each. The row named is the odd one: apart
    from both its neighbours (a slip between two good days), or the first of the pair when
    the second agrees with its own next; when nothing tells the two apart, the later."""
    everything = len(written) == len(unique)
    to_write = set() if everything else {rate_key(row.rate) for row in written}
    by_pair: dict[tuple[str, str], list[RateRow]] = {}
    for (_, base, quote, _), row in unique.items():
        pair = (base, quote) if base < quote else (quote, base)
        found = by_pair.get(pair)
        if found is None:
            by_pair[pair] = [row]
        else:
            found.append(row)
    problems = []
    for rows in by_pair.values():
        # Published files come in date order (the ECB's newest first): sorting is one pass.
        rows.sort(key=_by_date_and_line)
        jumps = {
            index
            for index, (earlier, later) in enumerate(pairwise(rows))
            if implausibly_apart(
                later.rate.value, earlier.rate.value, earlier.rate.base != later.rate.base
            )
        }
        for index in sorted(jumps):
            if index - 1 in jumps:
                continue  # rows[index] is apart from both sides: named as the later's
            earlier, later = rows[index], rows[index + 1]
            # The first row of the pair, when the later agrees with its own next, is the slip.
            first_is_odd = index == 0 and index + 1 not in jumps and len(rows) > 2
            blamed, other = (earlier, later) if first_is_odd else (later, earlier)
            if not everything and not ({rate_key(blamed.rate), rate_key(other.rate)} & to_write):
                continue
            inverse = blamed.rate.base != other.rate.base
            problems.append((blamed.line, (
                f"line {blamed.line}: {describe_rate(blamed.rate)} differs by a factor of "
                f"{times_apart(blamed.rate.value, other.rate.value, inverse=inverse)} from line "
                f"{other.line}: {describe_rate(other.rate)}, its neighbour of that pair in the "
                "file"
            )))  # fmt: skip
    return problems


def _stored_jumps(session: Session, written: list[RateRow]) -> list[tuple[int, str]]:
    """Rows to be written that are implausibly apart from the nearest stored rate of their
    pair (either way round, within NEAREST_WITHIN, not the row it supersedes)."""
    references = _stored_neighbours(session, written)
    if not references:
        return []
    problems = []
    for row in written:
        found = references.get(_pair_of(row.rate))
        nearest = _nearest(found, row.rate) if found else None
        if nearest is None:
            continue
        inverse = nearest.base != row.rate.base
        if implausibly_apart(row.rate.value, nearest.value, inverse=inverse):
            problems.append((row.line, (
                f"{_where(row)}{describe_rate(row.rate)} differs by a factor of "
                f"{times_apart(row.rate.value, nearest.value, inverse=inverse)} from "
                f"{describe_rate(nearest)}, the nearest stored rate of that pair"
            )))  # fmt: skip
    return problems


class _References(NamedTuple):
    days: list[date]
    rates: list[StoredValue]


def _nearest(references: _References, rate: Rate) -> StoredValue | None:
    """The stored rate nearest `rate` by date (the earlier of two as near), other than the
    one it would supersede (same date and source)."""
    stored = references.rates
    position = bisect.bisect_left(references.days, rate.rate_date)
    before = stored[position - 1] if position else None
    while (
        position < len(stored)
        and stored[position].rate_date == rate.rate_date
        and stored[position].source == rate.source
    ):
        position += 1
    after = stored[position] if position < len(stored) else None
    if before is None or (
        after is not None and after.rate_date - rate.rate_date < rate.rate_date - before.rate_date
    ):
        before = after
    if before is None or abs(before.rate_date - rate.rate_date) > NEAREST_WITHIN:
        return None
    return before


def _stored_neighbours(
    session: Session, written: list[RateRow]
) -> dict[tuple[str, str], _References]:
    """The stored rates in force that can be nearest to a row of `written`, by pair: those
    between its first and last dates, and the last before and first after them (within
    NEAREST_WITHIN). One query, whatever the number of rows."""
    first = min(row.rate.rate_date for row in written)
    last = max(row.rate.rate_date for row in written)
    pairs = {_pair_of(row.rate) for row in written}
    directed = sorted(pairs | {(quote, base) for base, quote in pairs})
    by_pair: list[ColumnElement[bool]] = []
    if len(directed) <= LISTED_AT_MOST:
        by_pair = [tuple_(ExchangeRate.base, ExchangeRate.quote).in_(directed)]
    columns = STORED_COLUMNS
    earliest = max(date.min + NEAREST_WITHIN, first) - NEAREST_WITHIN
    latest = min(date.max - NEAREST_WITHIN, last) + NEAREST_WITHIN
    edges = []
    for bound, outside in (
        (func.max(ExchangeRate.rate_date), ExchangeRate.rate_date.between(earliest, first)),
        (func.min(ExchangeRate.rate_date), ExchangeRate.rate_date.between(last, latest)),
    ):
        edge = (
            select(ExchangeRate.base, ExchangeRate.quote, bound.label("rate_date"))
            .where(outside, ~ExchangeRate.rate_date.between(first, last), *by_pair)
            .group_by(ExchangeRate.base, ExchangeRate.quote)
            .subquery()
        )
        edges.append(
            select(*columns).join(
                edge,
                and_(
                    edge.c.base == ExchangeRate.base,
                    edge.c.quote == ExchangeRate.quote,
                    edge.c.rate_date == ExchangeRate.rate_date,
                ),
            )
        )
    inside = select(*columns).where(ExchangeRate.rate_date.between(first, last), *by_pair)
    # Plain loops over plain tuples: a file as long as the ledger's history reads all of it.
    groups: dict[DayKey, list[StoredValue]] = {}
    for values in session.execute(union_all(inside, *edges)).all():
        day, base, quote, _, source, _ = values
        key = (day, source, base, quote) if base < quote else (day, source, quote, base)
        if key[2:] not in pairs:
            continue
        group = groups.get(key)
        if group is None:
            groups[key] = [_stored(values)]
        else:
            group.append(_stored(values))
    by_reference: dict[tuple[str, str], list[StoredValue]] = defaultdict(list)
    for key, rows in groups.items():
        by_reference[key[2:]].extend(
            rows if len(rows) == 1 else current_rows(sorted(rows, key=lambda row: row.sequence))
        )
    references = {}
    for pair, rows in by_reference.items():
        # By date alone (a C key: there can be 100,000s); rows of one day, from several
        # sources, stay in the order the database gave: each is a fair neighbour.
        rows.sort(key=itemgetter(0))
        references[pair] = _References([row.rate_date for row in rows], rows)
    return references


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
    session: Session,
    context: CommandContext,
    rate: Rate,
    *,
    supersede: bool = False,
    confirm: bool = False,
    actor: Actor | None = None,
) -> RateImport:
    """One rate typed by a treasurer: an import of one row."""
    return import_rates(
        session,
        context,
        [RateRow(0, rate)],
        origin="rates add",
        supersede=supersede,
        confirm=confirm,
        action="rate.add",
        actor=actor,
    )
