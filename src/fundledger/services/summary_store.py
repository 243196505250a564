"""Stored summaries: the sums a campaign report needs, kept in tables derived from the gifts and
the rates (models `Summary*`), so that a report reads sums, not every gift.

How they stay exact. `summary_state` says what they include: every donation up to an id and
every rate up to an id, under the ledger's rule settings. Donations and rates only ever grow
(append-only: a reversal or a corrected rate is a new row, with a larger id; their writers hold
the chains until they commit, so rows are committed in the order of their ids), so what they
lack is exactly the rows past those ids. `bring_up_to_date` adds it: in the transaction of the
write that made it (`bring_up_to_date_within`: a gift or a rate, from the web's forms and the
commands that write a few), else in a transaction of its own before a report (`refresh`: after
an import, say). Gifts reversed since are taken out with the very values they came in
with (the factors those were computed with are kept in `summary_factor`), dates whose rate in
force changed are taken out at their old factors and put back at the new, and new gifts come
in. Every value is a gift's per-gift conversion rounded once, by the same SQL the report
computes with (`summary_parts.Converted`), and every sum is of integers, so nothing drifts.

A report uses them only when they include exactly what its own snapshot holds
(summary_read.py); otherwise (a rate still missing, a ledger it may not write, a write
committed in between) it computes from the gifts as it always did. The ledger's record never
depends on them: `check` compares them with the gifts, and emptying them costs only the next
report the time to rebuild them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

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
    event,
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
    SummaryFactor,
    SummaryState,
)
from fundledger.adapters.db.queries import counted_donations_in
from fundledger.adapters.db.scratch import temporary_table
from fundledger.adapters.db.upsert import upsert_into
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import ConversionFactors
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, GiftKey, group_factors
from fundledger.services.summary_delta import apply_few, few_gift_values, few_new_gifts, valued
from fundledger.services.summary_parts import (
    ALL,
    CELL_KEYS,
    CELL_SUMS,
    CELLS,
    DONOR_KEYS,
    DONOR_SUMS,
    DONORS,
    FACTORS,
    GIFTS,
    LIST_SEPARATOR,
    NO_METHOD,
    STATE_ID,
    AnyFactor,
    Converted,
    Factor,
    RatesUsed,
    derivation,
    factor_table,
    latest_ids,
    size_bounds,
    stored_factor,
)

LOCK_TIMEOUT_MS = 1_000  # PostgreSQL: the longest a refresh waits for a table lock
# New gifts of more dates and currencies than this read every stored factor at once.
FEW_FACTORS = 64
BULK_ROWS = 50_000  # rows added at once from which indexes are built after, not kept up
_DELTA = "fundledger_summary_delta"
_VALUES = "fundledger_summary_values"


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
    added (the next report does it, saying so). True when many gifts were added: the
    tables are then tidied once the transaction commits (`tidy_summaries`), as `refresh`
    tidies them after its own."""
    try:
        with session.begin_nested():
            many = bring_up_to_date(session, context, most_gifts=most_gifts)
    except (FundledgerError, DBAPIError, _WriterAtWork, _TooMany):
        return False
    if many:
        engine = session.get_bind().engine
        event.listen(session, "after_commit", lambda _: tidy_summaries(engine), once=True)
    return many


def tidy_summaries(engine: Engine) -> None:
    """After many gifts added: PostgreSQL's statistics and visibility map, outside any
    transaction (adapters/db/maintenance.py)."""
    tidy_after_bulk_load(engine, (GIFTS, DONORS, CELLS))


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
    derived_under = derivation(context)
    state = session.get(SummaryState, STATE_ID, with_for_update=True)
    if state is None:  # none yet, or someone deleted it: whatever sums are there are nobody's
        _empty(connection)
        state = SummaryState(id=STATE_ID, donation_id=0, rate_id=0, derived_under=derived_under)
        session.add(state)
    elif state.derived_under != derived_under:
        _empty(connection)
        state.donation_id, state.rate_id, state.derived_under = 0, 0, derived_under
    session.flush()
    latest_donation, latest_rate = latest_ids(session)
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
    empty_tables(connection, [GIFTS, DONORS, CELLS, FACTORS])


_FACTOR_VALUES = (
    "home_numerator", "home_denominator", "reporting_numerator", "reporting_denominator",
    "rate_sources", "rate_pairs", "first_rate_date", "last_rate_date",
)  # fmt: skip


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
        self.tables = tables or _Tables(CELLS, DONORS, GIFTS)
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
            (day, currency): (largest, stored_factor(*fraction))
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
        table = FACTORS
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
    if state.derived_under != derivation(context):
        return Verdict([], ["the stored summaries were derived under other settings or by "
                            "another version: the next report builds them again"])  # fmt: skip
    latest_donation, latest_rate = latest_ids(session)
    if (state.donation_id, state.rate_id) != (latest_donation, latest_rate):
        return Verdict([], [f"the stored summaries include donations up to #{state.donation_id}"
                            f" and rates up to #{state.rate_id}: the next report adds the rest; "
                            "check compares them once they hold everything"])  # fmt: skip
    connection = session.connection()
    scratch = _Tables(*(_scratch(table) for table in (CELLS, DONORS, GIFTS)))
    for table in scratch:
        table.create(connection)
    try:
        bounds = size_bounds(context.settings.home_currency)
        store = _Store(session, context, bounds, 0, scratch)
        with sorting_in_threads(connection):
            store.add_new_gifts(latest_donation)
        problems = [*_factor_differences(session, store.found),
                    *(difference for stored, expected in zip((CELLS, DONORS, GIFTS), scratch,
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
