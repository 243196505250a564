"""Stored summaries: the sums a campaign report needs, kept in tables derived from the gifts and
the rates (models `Summary*`), so that a report reads sums, not every gift.

How they stay exact. `summary_state` says what they include: every donation up to an id and
every rate up to an id, under the ledger's rule settings. Donations and rates only ever grow
(append-only: a reversal or a corrected rate is a new row, with a larger id; their writers hold
the chains until they commit, so rows are committed in the order of their ids), so what they
lack is exactly the rows past those ids. `bring_up_to_date` adds it, in a write transaction of its
own before a report: gifts reversed since are taken out with the very values they came in
with (the factors those were computed with are kept in `summary_factor`), dates whose rate in
force changed are taken out at their old factors and put back at the new, and new gifts come
in. Every value is a gift's per-gift conversion rounded once, by the same SQL the report
computes with (`summary_parts.Converted`), and every sum is of integers, so nothing drifts.

A report uses them only when they include exactly what its own snapshot holds
(`stored_gathered`); otherwise (a rate still missing, a ledger it may not write, a write
committed in between) it computes from the gifts as it always did. The ledger's record never
depends on them: `check` compares them with the gifts, and emptying them costs only the next
report the time to rebuild them."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import try_hold_chains
from fundledger.adapters.db.engine import sorting_in_threads, transaction
from fundledger.adapters.db.maintenance import (
    empty_tables,
    tidy_after_bulk_load,
    wait_for_locks_at_most,
)
from fundledger.adapters.db.models import (
    Donation,
    ExchangeRate,
    SummaryCell,
    SummaryDonor,
    SummaryFactor,
    SummaryGift,
    SummaryState,
)
from fundledger.adapters.db.queries import counted_donations_in, merges_in_force
from fundledger.adapters.db.scratch import temporary_table
from fundledger.adapters.db.upsert import upsert_into
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import divide_round_half_up
from fundledger.domain.rates import ConversionFactors
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, GiftKey, group_factors
from fundledger.services.summary_delta import apply_few, few_gift_values, few_new_gifts, valued
from fundledger.services.summary_parts import (
    ALL,
    CELL_KEYS,
    CELL_SUMS,
    DONOR_KEYS,
    DONOR_SUMS,
    NO_METHOD,
    AnyFactor,
    Converted,
    DonorTally,
    ExactSums,
    Factor,
    Gathered,
    Marginals,
    RatesUsed,
    Sums,
    factor_table,
    size_bounds,
    tally,
)

STATE_ID = 1
DERIVATION = 1  # see `_derivation`
LOCK_TIMEOUT_MS = 1_000  # PostgreSQL: the longest a refresh waits for a table lock
LIST_SEPARATOR = "\n"  # between the sources, or pairs, of summary_factor's rates
# New gifts of more dates and currencies than this read every stored factor at once.
FEW_FACTORS = 64
BULK_ROWS = 50_000  # rows added at once from which indexes are built after, not kept up
_DELTA = "fundledger_summary_delta"
_VALUES = "fundledger_summary_values"
_CELLS = cast(Table, SummaryCell.__table__)
_DONORS = cast(Table, SummaryDonor.__table__)
_GIFTS = cast(Table, SummaryGift.__table__)
_FACTORS = cast(Table, SummaryFactor.__table__)


def _derivation(context: CommandContext) -> str:
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


def _latest(session: Session) -> tuple[int, int]:
    """The largest donation id and rate id (0 when there are none)."""
    donation, rate = session.execute(
        select(
            select(func.coalesce(func.max(Donation.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(ExchangeRate.id), 0)).scalar_subquery(),
        )
    ).one()
    return int(donation), int(rate)


def refresh(
    engine: Engine,
    context_of: Callable[[Session], CommandContext],
    announce: Callable[[int], None] | None = None,
    *,
    check: Callable[[CommandContext], object] | None = None,
) -> bool:
    """Bring the stored summaries up to date in a transaction of their own; False when they
    cannot be (a gift without a rate in force, a ledger this process may not write): the
    report then computes from the gifts, and says what is wrong if anything is.
    `context_of(session)` gives the command's context under the ledger's settings;
    `announce(gifts)` is told first when many gifts are to be added (BULK_ROWS or more);
    `check(context)` runs before any work, and what it raises stops the caller (a report's
    bad --fixed-rate, refused before a long refresh rather than after it)."""
    try:
        # Never waiting for a writer: a report during a long import reads its snapshot, from
        # the stored summaries if they hold it, else from the gifts.
        with transaction(engine, write=True, wait=False) as session:
            context = context_of(session)
            if check is not None:
                try:
                    check(context)
                except FundledgerError as error:
                    raise _Refused(error) from error
            bulk = bring_up_to_date(session, context, announce=announce)
    except _Refused as refused:
        raise refused.error from None
    except (FundledgerError, DBAPIError, _WriterAtWork):
        # DBAPIError: the ledger may not be written here (a read-only file, a role without
        # the right), or a lock was not to be had in time (PostgreSQL's lock_timeout below).
        return False
    if bulk:
        tidy_summaries(engine)
    return True


def bring_up_to_date_within(
    session: Session, context: CommandContext, *, most_gifts: int | None = None
) -> bool:
    """Bring the stored summaries up to date inside the writer's own transaction, after its
    writes, behind a savepoint: one commit for a gift and its upkeep, where a transaction of
    their own (`refresh`) costs a second BEGIN, settings read, chain lock and commit (the web's
    gift form on PostgreSQL, 1M gifts). When they cannot be (a gift without a rate in force, a
    lock not had in time) only the savepoint is rolled back: the write stands, and the next
    report brings them up. `most_gifts`: nothing done when more gifts than that are to be
    added (the next report does it, saying so). True when many gifts were added:
    `tidy_summaries` after the commit then."""
    try:
        with session.begin_nested():
            return bring_up_to_date(session, context, most_gifts=most_gifts)
    except (FundledgerError, DBAPIError, _WriterAtWork, _TooMany):
        return False


def tidy_summaries(engine: Engine) -> None:
    """After many gifts added in a transaction (`bring_up_to_date_within` said True)."""
    tidy_after_bulk_load(engine, (_GIFTS, _DONORS, _CELLS))


def bring_up_to_date(
    session: Session,
    context: CommandContext,
    announce: Callable[[int], None] | None = None,
    *,
    most_gifts: int | None = None,
) -> bool:
    """Add to the stored summaries what the ledger holds beyond them (see the module). True
    when that was many gifts at once. More than `most_gifts` to add: _TooMany."""
    connection = session.connection()
    # Writers of gifts and rates hold the chains until they commit: holding them too, this
    # transaction sees no write half done and none commits under it.
    if not try_hold_chains(connection):
        raise _WriterAtWork
    # Emptying the summaries or dropping an index waits for every report reading them: not
    # for long, and never into a deadlock with one.
    wait_for_locks_at_most(connection, LOCK_TIMEOUT_MS)
    derived_under = _derivation(context)
    state = session.get(SummaryState, STATE_ID, with_for_update=True)
    if state is None:  # none yet, or someone deleted it: whatever sums are there are nobody's
        _empty(connection)
        state = SummaryState(id=STATE_ID, donation_id=0, rate_id=0, derived_under=derived_under)
        session.add(state)
    elif state.derived_under != derived_under:
        _empty(connection)
        state.donation_id, state.rate_id, state.derived_under = 0, 0, derived_under
    session.flush()
    latest_donation, latest_rate = _latest(session)
    if (state.donation_id, state.rate_id) == (latest_donation, latest_rate):
        return False
    if most_gifts is not None and latest_donation - state.donation_id > most_gifts:
        raise _TooMany
    if announce is not None and latest_donation - state.donation_id >= BULK_ROWS:
        announce(latest_donation - state.donation_id)
    store = _Store(session, context, size_bounds(context.settings.home_currency),
                   state.donation_id)  # fmt: skip
    # Sorting in threads shrinks SQLite's page cache, which empties it: worth it for many
    # gifts (or many dates valued again, revalue_changed_rates), not for a gift, a reversal
    # or a corrected rate of last week, whose report would then read every page again (the
    # report after a reversal, 1M gifts: 1.6x a warm one, now 1.1x).
    many = latest_donation - state.donation_id >= BULK_ROWS
    store.in_threads = many
    with sorting_in_threads(connection) if many else nullcontext():
        if latest_rate != state.rate_id or not store.add_plain_new_gifts(latest_donation):
            store.take_out_reversed(latest_donation)
            if latest_rate != state.rate_id:
                store.revalue_changed_rates(since_rate=state.rate_id)
            store.add_new_gifts(latest_donation)
            store.drop_empty_rows()
    state.donation_id, state.rate_id = latest_donation, latest_rate
    session.flush()
    return store.bulk


class _Refused(Exception):
    """A caller's check refused the work: its error is theirs, not a reason to fall back."""

    def __init__(self, error: FundledgerError) -> None:
        super().__init__(str(error))
        self.error = error


class _TooMany(Exception):
    """More gifts to add than the caller would wait for."""


class _WriterAtWork(Exception):
    """Another transaction holds the chains: the stored summaries wait for the next report."""


def _empty(connection: Connection) -> None:
    """Every stored sum gone, to be built again (as fast as the database empties tables)."""
    empty_tables(connection, [_GIFTS, _DONORS, _CELLS, _FACTORS])


_FACTOR_VALUES = (
    "home_numerator", "home_denominator", "reporting_numerator", "reporting_denominator",
    "rate_sources", "rate_pairs", "first_rate_date", "last_rate_date",
)  # fmt: skip


def _stored_factor(home_numerator: str, home_denominator: str, reporting_numerator: str,
                   reporting_denominator: str) -> Factor:  # fmt: skip
    """A factor from summary_factor's columns: exact fractions, in decimal text."""
    return Factor(Fraction(int(home_numerator), int(home_denominator)),
                  Fraction(int(reporting_numerator), int(reporting_denominator)))  # fmt: skip


def _factor_values(factor: ConversionFactors) -> dict[str, object]:
    """A factor and the rates behind it as summary_factor keeps them (_FACTOR_VALUES)."""
    rates = RatesUsed.of(factor.rates)
    return {
        "home_numerator": str(factor.to_home.numerator),
        "home_denominator": str(factor.to_home.denominator),
        "reporting_numerator": str(factor.to_reporting.numerator),
        "reporting_denominator": str(factor.to_reporting.denominator),
        "rate_sources": LIST_SEPARATOR.join(rates.sources),
        "rate_pairs": LIST_SEPARATOR.join(rates.pairs),
        "first_rate_date": rates.first_date,
        "last_rate_date": rates.last_date,
    }


class _Tables(NamedTuple):
    """Where a `_Store` writes: the stored summaries, or scratch copies that `check` fills."""

    cells: Table
    donors: Table
    gifts: Table


class _Store:
    """The steps of one `bring_up_to_date`, on gifts up to `included` (what the summaries
    hold) and beyond it."""

    def __init__(self, session: Session, context: CommandContext, bounds: list[int],
                 included: int, tables: _Tables | None = None) -> None:  # fmt: skip
        self.session = session
        self.tables = tables or _Tables(_CELLS, _DONORS, _GIFTS)
        self.scratch = tables is not None  # then summary_factor is left as it is
        self.found: dict[GiftKey, ConversionFactors] = {}  # the factors of the gifts added
        self.context = context
        self.bounds = bounds
        self.included = included
        # summary_factor's rows, by date and currency, read as the steps need them: those of
        # the dates of new and reversed gifts, those from a changed rate's date on (a gift
        # recorded on a ledger of 2,190 factors: 100 ms less than reading every one).
        self._stored: dict[GiftKey, tuple[int, Factor]] = {}
        self._all_stored = self.scratch  # a scratch store starts from no factors
        self._days_read: set[date] = set()
        self._read_since: date | None = None  # every date from this one on is read
        # the largest gift of a date, where new gifts raise it
        self.largest: dict[GiftKey, int] = {}
        # Whose rows gifts were taken out of, and so may have emptied (drop_empty_rows).
        self.emptied_cells = self.emptied_donors = False
        # SQLite sorting in threads (`sorting_in_threads`) for the whole upkeep already.
        self.in_threads = False
        self.bulk = False  # whether indexes were built again after many rows

    @cached_property
    def counted(self) -> ColumnElement[bool]:
        """Gifts that count (asked of the ledger when first needed)."""
        return counted_donations_in(self.session)

    @property
    def stored(self) -> dict[GiftKey, tuple[int, Factor]]:
        """Every stored factor, with the largest gift of its date and currency."""
        if not self._all_stored:
            self._stored = self._stored_factors()
            self._all_stored = True
        return self._stored

    def stored_of(self, keys: Collection[GiftKey]) -> dict[GiftKey, tuple[int, Factor]]:
        """The stored factors of these dates and currencies (those there are)."""
        if not self._all_stored:
            if len(keys) > FEW_FACTORS:
                return self.stored
            days = {day for day, _ in keys if not self._was_read(day)}
            if days:  # read once: the new gifts' step, then the storing of their factors
                self._stored.update(self._stored_factors(SummaryFactor.day.in_(days)))
                self._days_read |= days
        return {key: self._stored[key] for key in keys if key in self._stored}

    def stored_since(self, first: date) -> dict[GiftKey, tuple[int, Factor]]:
        """The stored factors of `first` and every later date."""
        # Only a read of every date from `first` on will do: a date read alone (a reversed
        # gift's) says nothing of the dates after it.
        if not self._all_stored and (self._read_since is None or first < self._read_since):
            self._stored.update(self._stored_factors(SummaryFactor.day >= first))
            self._read_since = first
        return {key: stored for key, stored in self._stored.items() if key[0] >= first}

    def _was_read(self, day: date) -> bool:
        return (self._all_stored or day in self._days_read
                or (self._read_since is not None and day >= self._read_since))  # fmt: skip

    def _stored_factors(self, *where: ColumnElement[bool]) -> dict[GiftKey, tuple[int, Factor]]:
        columns = (
            SummaryFactor.day,
            SummaryFactor.currency,
            SummaryFactor.largest_minor,
            SummaryFactor.home_numerator,
            SummaryFactor.home_denominator,
            SummaryFactor.reporting_numerator,
            SummaryFactor.reporting_denominator,
        )
        return {
            (day, currency): (largest, _stored_factor(*fraction))
            for day, currency, largest, *fraction in self.session.execute(
                select(*columns).where(*where))
        }  # fmt: skip

    def take_out_reversed(self, latest: int) -> None:
        """Gifts included before and reversed since: out, at the factors they came in with."""
        reversal = aliased(Donation)
        newly_reversed = and_(
            Donation.id <= self.included,
            Donation.id.in_(select(reversal.reverses_id).where(
                reversal.id > self.included, reversal.id <= latest,
                reversal.reverses_id.is_not(None))),
        )  # fmt: skip
        keys = [
            (day, currency)
            for day, currency in self.session.execute(
                select(Donation.donation_date, Donation.currency).where(newly_reversed).distinct()
            )
        ]
        if not keys:
            return
        factors = {key: factor for key, (_, factor) in self.stored_of(keys).items()}
        self._apply(factors, newly_reversed, -1)

    def revalue_changed_rates(self, since_rate: int) -> None:
        """Dates whose factor the rates past `since_rate` change: out at the old factor, in at
        the new. A date whose rate in force changed but not its factor (the same value
        published again, or by another source) only has its rates noted anew. A rate can only
        be in force from its own date on, so earlier dates are not looked at."""
        first = self.session.scalar(
            select(func.min(ExchangeRate.rate_date)).where(ExchangeRate.id > since_rate)
        )
        affected = self.stored_since(first) if first is not None else {}
        if not affected:
            return
        groups = [GiftGroup(day, currency, 0, largest)
                  for (day, currency), (largest, _) in sorted(affected.items())]  # fmt: skip
        found = group_factors(self.session, self.context, groups)
        if found.gaps:  # a rate never stops being in force; this would be a change of rules
            raise FundledgerError("a date of the stored summaries lost its rate")
        old: dict[GiftKey, AnyFactor] = {}
        new: dict[GiftKey, AnyFactor] = {}
        for key, (_, before) in affected.items():
            after = found.factors[key]
            if (after.to_home, after.to_reporting) != tuple(before):
                old[key], new[key] = before, after
        if new:
            included = and_(Donation.id <= self.included, self.counted)
            if len(new) <= FEW_FACTORS:
                # Their dates said in the condition too: else SQLite (no statistics) reads
                # every gift to find theirs (1M gifts, a rate of a week ago: 0.6 s, now 10 ms).
                days = [day for day, _ in new]
                included = and_(included, Donation.donation_date.between(min(days), max(days)))
            donors_emptied = self.emptied_donors
            # Sorting in threads empties SQLite's page cache (see bring_up_to_date): worth it
            # for the gifts of many dates, not for a week's, whose report would then read
            # every page again.
            threads = not self.in_threads and len(new) > FEW_FACTORS
            with sorting_in_threads(self.session.connection()) if threads else nullcontext():
                self._apply(old, included, -1)
                self._apply(new, included, +1)
            # Each gift out and in again: no donor's count changes (only a gift's band, and
            # so its cell, can), so no donor row was emptied: not a scan of them all for it.
            self.emptied_donors = donors_emptied
        self._store_factors(found.factors)

    def add_new_gifts(self, latest: int) -> None:
        new_gifts = and_(Donation.id > self.included, Donation.id <= latest, self.counted)
        groups = self.session.execute(
            select(Donation.donation_date, Donation.currency, func.count(),
                   func.max(Donation.amount_minor))
            .where(new_gifts)
            .group_by(Donation.donation_date, Donation.currency)
            .order_by(Donation.donation_date, Donation.currency)
        ).all()  # fmt: skip
        if not groups:
            return
        found = group_factors(
            self.session, self.context,
            [GiftGroup(day, currency, int(count), int(largest))
             for day, currency, count, largest in groups],
        ).require_complete()  # fmt: skip
        self._apply(found, new_gifts, +1)
        self.found.update(found)
        self._note_largest({(day, currency): int(largest) for day, currency, _, largest in groups})
        self._store_factors(found)

    def add_plain_new_gifts(self, latest: int) -> bool:
        """The gifts past the summaries up to `latest`, when none is a reversal and they are
        few (summary_delta.FEW_GIFTS): read once and valued in Python, where the general
        steps read them four times (the web's gift form: three statements fewer). False, and
        nothing done, otherwise. None of them is reversed either: only a later gift, one of
        them, could reverse one."""
        if self.scratch:  # `check` builds its sums the general way
            return False
        new = few_new_gifts(self.session, self.included, latest)
        if new is None or new.reversal:
            return False
        groups: dict[GiftKey, tuple[int, int]] = {}  # gifts, the largest
        for row in new.rows:
            key, amount = (row[3], row[4]), int(row[7])
            gifts, largest = groups.get(key, (0, amount))
            groups[key] = (gifts + 1, max(largest, amount))
        found = group_factors(
            self.session, self.context,
            [GiftGroup(day, currency, gifts, largest)
             for (day, currency), (gifts, largest) in sorted(groups.items())],
        ).require_complete()  # fmt: skip
        apply_few(self.session.connection(), *self.tables, valued(new.rows, found, self.bounds),
                  +1)  # fmt: skip
        self.found.update(found)
        self._note_largest({key: largest for key, (_, largest) in groups.items()})
        self._store_factors(found)
        return True

    def _note_largest(self, largest: Mapping[GiftKey, int]) -> None:
        """The largest gift of each date and currency, new gifts' and stored, for
        summary_factor (the 64-bit fast path's bound)."""
        stored = self.stored_of(list(largest))
        for key, amount in largest.items():
            before = stored.get(key)
            self.largest[key] = max(amount, before[0] if before else 0)

    def _store_factors(self, factors: Mapping[GiftKey, ConversionFactors]) -> None:
        """The factors of these dates and currencies, with the rates behind them."""
        if self.scratch:
            return
        stored = self.stored_of(list(factors))
        rows = [
            {"day": day, "currency": currency,
             "largest_minor": self.largest.get((day, currency),
                                               stored.get((day, currency), (0,))[0]),
             **_factor_values(factor)}
            for (day, currency), factor in factors.items()
        ]  # fmt: skip
        if not rows:
            return
        table = _FACTORS
        statement = upsert_into(self.session.connection(), table)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.day, table.c.currency],
                set_={name: statement.excluded[name] for name in rows[0] if name not in (
                    "day", "currency")},
            ),
            rows,
        )  # fmt: skip

    def _apply(self, factors: Mapping[GiftKey, AnyFactor], gifts: ColumnElement[bool], sign: int
               ) -> None:  # fmt: skip
        """Add (sign 1) or take out (sign -1) the `gifts` valued at `factors` (only gifts of
        the dates and currencies there). A few gifts are valued and summed in Python
        (summary_delta). Else each gift is converted once, into a temporary table of values,
        which the three sums then read: converting in each of them, and grouping rows that
        carry the factors along, cost more (1M gifts, SQLite: 6.7 s, now 5.4 s)."""
        if not self.scratch:  # `check` builds its sums the general way, to compare with these
            few = few_gift_values(self.session, factors, gifts, self.bounds)
            if few is not None:
                apply_few(self.session.connection(), *self.tables, few, sign)
                return
        connection = self.session.connection()
        values = _values_table()
        with factor_table(self.session, factors, self.bounds) as factor:
            converted = Converted(factor, gifts, self.bounds)
            values.create(connection)
            try:
                connection.execute(insert(values).from_select(
                    [column.name for column in values.c],
                    converted.gifts.add_columns(
                        Donation.id, Donation.campaign_id, Donation.donor_id,
                        Donation.donation_date, Donation.currency,
                        func.coalesce(Donation.method, NO_METHOD),
                        case((Donation.anonymous.is_(True), 1), else_=0), converted.band,
                        Donation.amount_minor, converted.home, converted.reporting,
                    ),
                ))  # fmt: skip
                self._apply_values(values, sign)
            finally:
                values.drop(connection)

    def _apply_values(self, values: Table, sign: int) -> None:
        connection = self.session.connection()
        value = values.c
        if sign > 0:
            with self._bulk(self.tables.gifts, values):
                connection.execute(self.tables.gifts.insert().from_select(
                    ["donation_id", "campaign_id", "home_minor"],
                    select(value.id, value.campaign_id, value.home_minor)))  # fmt: skip
        else:
            self.emptied_cells = self.emptied_donors = True
            table = self.tables.gifts
            connection.execute(delete(table).where(table.c.donation_id.in_(select(value.id))))
        keys = (value.campaign_id, value.day, value.currency, value.method, value.band)
        cells = select(
            *keys, func.count() * sign, func.sum(value.anonymous) * sign,
            func.sum(value.amount_minor) * sign, func.sum(value.home_minor) * sign,
            func.sum(value.reporting_minor) * sign,
        ).group_by(*keys)  # fmt: skip
        _add_with_all(connection, self.tables.cells, cells, CELL_KEYS, CELL_SUMS)
        per_donor = (
            select(value.campaign_id, value.donor_id, func.count() * sign,
                   func.sum(value.home_minor) * sign, func.sum(value.reporting_minor) * sign)
            .where(value.anonymous == 0, value.donor_id.is_not(None))
            .group_by(value.campaign_id, value.donor_id)
        )  # fmt: skip
        _add_with_all(connection, self.tables.donors, per_donor, DONOR_KEYS, DONOR_SUMS)

    @contextmanager
    def _bulk(self, table: Table, values: Table) -> Iterator[None]:
        """Many rows at once (the first report after a large import): the table's indexes
        are dropped and built again after, as the import does with the donations' (1M gifts'
        values: 5.7 s inserted under their indexes, 1.5 s so)."""
        many = self.session.scalar(select(func.count()).select_from(values)) or 0
        indexes = list(table.indexes) if many >= BULK_ROWS else []
        self.bulk = self.bulk or bool(indexes)
        connection = self.session.connection()
        for index in indexes:
            index.drop(connection)
        yield
        for index in indexes:
            index.create(connection)

    def drop_empty_rows(self) -> None:
        for table, emptied in ((self.tables.cells, self.emptied_cells),
                               (self.tables.donors, self.emptied_donors)):  # fmt: skip
            if emptied:
                self.session.execute(delete(table).where(table.c.gifts == 0))


def _values_table() -> Table:
    """Gifts with their home and reporting values, for one step of a `_Store`."""
    return temporary_table(
        _VALUES,
        Column("id", BigInteger), Column("campaign_id", BigInteger),
        Column("donor_id", BigInteger), Column("day", Date), Column("currency", String(3)),
        Column("method", String(32)), Column("anonymous", Integer), Column("band", Integer),
        *(Column(name, BigInteger) for name in ("amount_minor", "home_minor", "reporting_minor")),
    )  # fmt: skip


def _add_with_all(connection: Connection, table: Table, rows: Any, keys: list[str],
                  sums: list[str]) -> None:  # fmt: skip
    """Add the grouped `rows` (keys, campaign first, then sums) to `table`'s rows of the
    same keys, and their totals over all campaigns to the rows of campaign ALL. The rows are
    grouped once, into a temporary table, which is then grouped again without the campaign:
    a few thousand rows where the gifts were a million."""
    delta = temporary_table(_DELTA, *(Column(name, table.c[name].type) for name in [
        *keys, *sums]))  # fmt: skip
    delta.create(connection)
    try:
        connection.execute(insert(delta).from_select([*keys, *sums], rows))
        _add_into(connection, table, select(*delta.c).where(true()), keys, sums)
        others = [delta.c[key] for key in keys[1:]]
        totals = (
            select(literal(ALL), *others, *(func.sum(delta.c[name]) for name in sums))
            .where(true())
            .group_by(*others)
        )
        _add_into(connection, table, totals, keys, sums)
    finally:
        delta.drop(connection)


def _add_into(connection: Connection, table: Table, rows: Any, keys: list[str], sums: list[str]
              ) -> None:  # fmt: skip
    """INSERT `rows` (keys, then sums; one per key) into `table`, adding the sums to a row
    already there. (The SELECT has a WHERE: SQLite would read ON CONFLICT as a join's ON.)"""
    statement = upsert_into(connection, table).from_select([*keys, *sums], rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: table.c[name] + statement.excluded[name] for name in sums},
        )
    )


def holds_ledger(session: Session, context: CommandContext) -> bool:
    """Whether the stored summaries hold exactly what this transaction sees."""
    state = session.get(SummaryState, STATE_ID)
    return (state is not None and state.derived_under == _derivation(context)
            and (state.donation_id, state.rate_id) == _latest(session))  # fmt: skip


def stored_gathered(session: Session, context: CommandContext, campaign_id: int | None,
                    bounds: list[int]) -> Gathered | None:  # fmt: skip
    """The summary's data from the stored summaries, or None when they do not hold exactly
    what this transaction sees."""
    if not holds_ledger(session, context):
        return None
    campaign = campaign_id if campaign_id is not None else ALL
    sums = _marginals(session.connection(), campaign)
    return Gathered(_rates(session, campaign), sums, _donors(session, campaign),
                    _median(session, campaign_id, sums, bounds),
                    _exact(session.connection(), campaign))  # fmt: skip


def _marginals(connection: Connection, campaign: int) -> Marginals:
    """The campaign's sums by day, currency, method and band, grouped in SQL from its cells
    (Core rows: a few hundred, where the cells are thousands)."""
    cell = _CELLS.c
    of_campaign = cell.campaign_id == campaign
    totals = (func.sum(cell.gifts), func.sum(cell.home_minor), func.sum(cell.reporting_minor))
    by_day = {day: Sums(int(gifts), int(home), int(reporting)) for day, gifts, home, reporting
              in connection.execute(select(cell.day, *totals).where(of_campaign)
                                    .group_by(cell.day))}  # fmt: skip
    # Currency, method and band at once (a few dozen rows), added up apart below: one pass
    # over the cells where a pass for each took 27 ms of the largest campaign's 30,000.
    lines: tuple[dict[Any, list[int]], ...] = ({}, {}, {})  # by currency, method, band
    amounts: dict[str, int] = {}
    anonymous = 0
    for currency, method, band, *values, amount, unnamed in connection.execute(
        select(cell.currency, cell.method, cell.band, *totals, func.sum(cell.amount_minor),
               func.sum(cell.anonymous))
        .where(of_campaign)
        .group_by(cell.currency, cell.method, cell.band)
    ):  # fmt: skip
        for sums, key in zip(lines, (currency, method, int(band)), strict=True):
            line = sums.setdefault(key, [0, 0, 0])
            for index, value in enumerate(values):
                line[index] += int(value)
        amounts[currency] = amounts.get(currency, 0) + int(amount)
        anonymous += int(unnamed)
    by_currency, by_method, by_band = ({key: Sums(*sums[key]) for key in sorted(sums)}
                                       for sums in lines)  # fmt: skip
    return Marginals(by_day=by_day, by_currency=by_currency,
                     amounts={currency: amounts[currency] for currency in sorted(amounts)},
                     by_method={None if key == NO_METHOD else key: line
                                for key, line in by_method.items()},
                     by_band=by_band, anonymous=anonymous)  # fmt: skip


def _exact(connection: Connection, campaign: int) -> ExactSums:
    """The exact totals: the campaign's amounts per date and currency (from its cells), each
    at the factors kept for that date and currency."""
    cell, factor = _CELLS.c, _FACTORS.c
    fractions = (factor.home_numerator, factor.home_denominator, factor.reporting_numerator,
                 factor.reporting_denominator)  # fmt: skip
    # Grouped, then joined: each date's row joined once, not each of its cells (1M gifts,
    # the largest campaign's 30,000 cells: 13 ms, now 5).
    per_date = (
        select(cell.day, cell.currency, func.sum(cell.amount_minor).label("amount"))
        .where(cell.campaign_id == campaign)
        .group_by(cell.day, cell.currency)
        .subquery("per_date")
    )  # fmt: skip
    rows = connection.execute(
        select(per_date.c.amount, *fractions)
        .join_from(per_date, _FACTORS, and_(factor.day == per_date.c.day,
                                            factor.currency == per_date.c.currency))
    )  # fmt: skip
    return ExactSums.of((int(amount), _stored_factor(*fractions)) for amount, *fractions in rows)


def _rates(session: Session, campaign: int) -> RatesUsed:
    """The rates behind the counted gifts, as noted with the factors of their dates."""
    factor = _FACTORS.c
    used = exists().where(_CELLS.c.campaign_id == campaign, _CELLS.c.day == factor.day,
                          _CELLS.c.currency == factor.currency)  # fmt: skip
    connection = session.connection()
    first, last = connection.execute(
        select(func.min(factor.first_rate_date), func.max(factor.last_rate_date)).where(used)
    ).one()
    named = connection.execute(
        select(factor.rate_sources, factor.rate_pairs).where(used).distinct()
    ).all()
    return RatesUsed(
        sources=tuple(sorted({source for sources, _ in named
                              for source in sources.split(LIST_SEPARATOR) if source})),
        first_date=first,
        last_date=last,
        pairs=tuple(sorted({pair for _, pairs in named
                            for pair in pairs.split(LIST_SEPARATOR) if pair})),
    )  # fmt: skip


def _donors(session: Session, campaign: int) -> DonorTally:
    merges = merges_in_force()
    if session.scalar(select(exists(select(merges.c.id)))):
        donor: Any = func.coalesce(merges.c.into_donor_id, SummaryDonor.donor_id)
        per_donor = (
            select(donor.label("donor"), func.sum(SummaryDonor.gifts).label("gifts"),
                   func.sum(SummaryDonor.home_minor).label("home"),
                   func.sum(SummaryDonor.reporting_minor).label("reporting"))
            .outerjoin(merges, merges.c.merged_donor_id == SummaryDonor.donor_id)
            .where(SummaryDonor.campaign_id == campaign)
            .group_by(donor)
        )  # fmt: skip
        return tally(session, per_donor.subquery())
    # No merge: each donor's row holds their sums already, nothing to join or group, and their
    # count is the rows' (50k donors: 10 ms where the one query with its window took 33).
    of_campaign = SummaryDonor.campaign_id == campaign
    rows = select(
        SummaryDonor.donor_id.label("donor"), SummaryDonor.gifts.label("gifts"),
        SummaryDonor.home_minor.label("home"), SummaryDonor.reporting_minor.label("reporting"),
    ).where(of_campaign)  # fmt: skip
    count = session.scalar(select(func.count()).select_from(SummaryDonor).where(of_campaign))
    return tally(session, rows.subquery(), int(count or 0))


def _median(session: Session, campaign_id: int | None, sums: Marginals, bounds: list[int]
            ) -> int | None:  # fmt: skip
    """The middle gift(s) by home value: the size bands say which band holds them and where;
    an index seek to the band's lowest value and a walk along the band find them."""
    count = sums.gifts
    if not count:
        return None
    lows = [0, *bounds]
    middle: list[int] = []
    for band, offsets in sorted(sums.middle_offsets().items()):
        query = select(SummaryGift.home_minor).where(SummaryGift.home_minor >= lows[band])
        if campaign_id is not None:
            query = query.where(SummaryGift.campaign_id == campaign_id)
        middle.extend(
            int(value)
            for value in session.scalars(
                query.order_by(SummaryGift.home_minor).offset(offsets[0]).limit(len(offsets))
            )
        )
    return divide_round_half_up(sum(middle), len(middle))


class Verdict(NamedTuple):
    """What `verify` found: rows of the stored summaries that disagree with the gifts and
    rates (problems), and what is worth knowing (notes)."""

    problems: list[str]
    notes: list[str]


MOST_ROWS_NAMED = 20


def verify(session: Session, context: CommandContext) -> Verdict:
    """The stored summaries against the gifts and rates: built again from scratch into
    temporary tables, in this (read-only) transaction, and compared row by row."""
    state = session.get(SummaryState, STATE_ID)
    if state is None:
        return Verdict([], ["no stored summaries yet: the next report builds them"])
    if state.derived_under != _derivation(context):
        return Verdict([], ["the stored summaries were derived under other settings or by "
                            "another version: the next report builds them again"])  # fmt: skip
    latest_donation, latest_rate = _latest(session)
    if (state.donation_id, state.rate_id) != (latest_donation, latest_rate):
        return Verdict([], [f"the stored summaries include donations up to #{state.donation_id}"
                            f" and rates up to #{state.rate_id}: the next report adds the rest; "
                            "check compares them once they hold everything"])  # fmt: skip
    connection = session.connection()
    scratch = _Tables(*(_scratch(table) for table in (_CELLS, _DONORS, _GIFTS)))
    for table in scratch:
        table.create(connection)
    try:
        bounds = size_bounds(context.settings.home_currency)
        store = _Store(session, context, bounds, 0, scratch)
        with sorting_in_threads(connection):
            store.add_new_gifts(latest_donation)
        problems = [*_factor_differences(session, store.found),
                    *(difference for stored, expected in zip((_CELLS, _DONORS, _GIFTS), scratch,
                                                             strict=True)
                      for difference in _differences(connection, stored, expected))]  # fmt: skip
    finally:
        for table in scratch:
            table.drop(connection)
    return Verdict(problems, [])


def _scratch(table: Table) -> Table:
    return temporary_table(f"fundledger_expected_{table.name}",
                           *(Column(column.name, column.type, primary_key=column.primary_key)
                             for column in table.c))  # fmt: skip


def _differences(connection: Connection, stored: Table, expected: Table) -> Iterator[str]:
    """Each key whose row is not the same in both tables, named."""
    keys = [column.name for column in stored.primary_key.columns]
    found: set[tuple[Any, ...]] = set()
    for one, other in ((stored, expected), (expected, stored)):
        rows = connection.execute(
            select(*one.c).except_(select(*other.c)).limit(MOST_ROWS_NAMED)
        ).mappings()
        found.update(tuple(row[key] for key in keys) for row in rows)
    for key in sorted(found, key=str)[:MOST_ROWS_NAMED]:
        shown = ", ".join(f"{name} {value}" for name, value in zip(keys, key, strict=True))
        yield f"{stored.name} row ({shown}) does not agree with the gifts"


def _factor_differences(session: Session, expected: Mapping[GiftKey, ConversionFactors]
                        ) -> Iterator[str]:  # fmt: skip
    stored = set()
    for row in session.scalars(select(SummaryFactor)):
        stored.add((row.day, row.currency))
        factor = expected.get((row.day, row.currency))
        if factor is None:
            continue  # a date whose gifts were all reversed: its factor is not used
        if _factor_values(factor) != {name: getattr(row, name) for name in _FACTOR_VALUES}:
            yield (f"summary_factor row ({row.day.isoformat()}, {row.currency}) does not "
                   "agree with the rates in force")  # fmt: skip
    for day, currency in sorted(set(expected) - stored)[:MOST_ROWS_NAMED]:
        yield f"summary_factor has no row for {day.isoformat()}, {currency}, which has gifts"
