"""`fundledger check`: everything about a ledger that could be wrong, each problem named with
the row it concerns. It reports, never repairs: the one row it writes is the note of its own
outcome (check_run), which the web's dashboard shows, outside the chains and the audit trail.

The hash chains prove that no row was changed, removed or moved; the audit trail proves that
every row was written by a command that said so (each chained row lies in the range of rows
some audit event names as its change's: after the chain's head before the change, up to the
head after it); and the last audit event's own chain hash, noted outside the ledger
(the anchor), proves later that the trail up to it is still there: `check --anchor HASH`."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import GENESIS, HASH_COLUMN, canonical, chained_columns, verify
from fundledger.adapters.db.migrate import current_revision, head_revision
from fundledger.adapters.db.models import (
    CHAINED_MODELS,
    AuditEvent,
    CheckRun,
    Donation,
    DonationCorrection,
    Donor,
    DonorMerge,
    DonorRevision,
    Receipt,
    ReceiptCounter,
)
from fundledger.adapters.db.queries import counted_donations
from fundledger.adapters.db.triggers import expected_triggers, triggers_in_force
from fundledger.domain.errors import FundledgerError
from fundledger.domain.text import counted
from fundledger.services.context import CHAIN_FROM, CHAIN_HEADS, CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.receipts import ReceiptDocument, ReceiptNumber
from fundledger.services.summary_store import verify as verify_stored

MOST_PROBLEMS_LISTED = 50  # per check: the rest are counted
MOST_GAPS_LISTED = 10  # days and currencies waiting for a rate, named one by one
MOST_ROWS_NAMED = 10  # rows no audit event covers, named by id in one problem
MOST_EVENTS_LISTED = 10  # audit events written since an anchor, listed one by one
CHAIN_CHUNK_ROWS = 20_000
ANCHOR_DIGITS = 64
_HEX = frozenset("0123456789abcdef")


@dataclass
class CheckResult:
    """One check: what it looked at, and each problem found (a row, and what is wrong)."""

    name: str
    description: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong
    more: int = 0  # problems found beyond those listed
    data: dict[str, Any] | None = None  # what a script may want besides the text

    @property
    def passed(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MOST_PROBLEMS_LISTED:
            self.problems.append(text)
        else:
            self.more += 1


def check_ledger(
    session: Session, context: CommandContext, anchor: str | None = None
) -> list[CheckResult]:
    """Every check, in order; the later ones only when the schema is this program's. With
    `anchor` (an audit event's chain hash noted earlier, as `anchor_problem` accepts it), also
    whether the audit trail still holds that event at its place, and what was added since."""
    schema = _schema(session.connection())
    if not schema.passed:
        return [schema]
    results = [
        schema,
        _triggers(session.connection()),
        _reversals(session),
        _corrections(session),
        _donors(session),
        _receipts(session),
        _chains(session),
        *([_anchor(session, anchor)] if anchor is not None else []),
        _rates(session, context),
        _summaries(session, context),
    ]
    _note_run(session, context, results)
    return results


def _note_run(session: Session, context: CommandContext, results: list[CheckResult]) -> None:
    """Note this run's outcome (check_run) for the pages that show the ledger's health. In a
    savepoint: a check made by a user who may only read (an auditor), or while a writer holds
    a SQLite ledger, still reports everything; only the note is missing then."""
    failed = [result for result in results if not result.passed]
    try:
        with session.begin_nested():
            session.add(CheckRun(
                checked_at=datetime.now(UTC), checked_by=context.actor,
                passed=not failed, failed=" ".join(result.name for result in failed),
                problems=sum(len(result.problems) + result.more for result in failed),
                last_event_id=session.scalar(select(func.max(AuditEvent.id))),
            ))  # fmt: skip
    except DBAPIError:
        pass  # the savepoint rolled back; the check's own results stand


def anchor_problem(text: str) -> str | None:
    """Why `text` is not an anchor (the chain hash of an audit event, in full), or None."""
    digits = text.strip().lower()
    if not digits or not set(digits) <= _HEX:
        return (f"{text!r} is not a chain hash: an anchor is {ANCHOR_DIGITS} hexadecimal "
                "digits (0-9, a-f), as `fundledger check` prints it")  # fmt: skip
    if len(digits) != ANCHOR_DIGITS:
        return (f"{text!r} has {len(digits)} digits: give all {ANCHOR_DIGITS} of the anchor, as "
                "`fundledger check` printed it (a shorter prefix proves too little)")  # fmt: skip
    return None


def _summaries(session: Session, context: CommandContext) -> CheckResult:
    result = CheckResult("summaries", "the stored summaries reports read agree with the gifts "
                         "and rates (they are derived: a report can build them again)")  # fmt: skip
    try:
        verdict = verify_stored(session, context)
    except FundledgerError as error:  # a gift without a rate: the rates check names it
        result.notes.append(f"not compared: {error}")
        return result
    for problem in verdict.problems:
        result.problem(problem)
    result.notes.extend(verdict.notes)
    return result


def _schema(connection: Connection) -> CheckResult:
    result = CheckResult("schema", "the ledger's schema is the one this fundledger expects")
    current, head = current_revision(connection), head_revision()
    if current != head:
        result.problem(f"schema at revision {current}, expected {head}: run `fundledger init`")
    return result


def _triggers(connection: Connection) -> CheckResult:
    result = CheckResult("triggers", "the triggers that refuse changes and deletions are there")
    for missing in sorted(expected_triggers(connection) - triggers_in_force(connection)):
        result.problem(f"trigger {missing} is missing (or disabled): the rows it guards could "
                       "have been changed")  # fmt: skip
    return result


def _reversals(session: Session) -> CheckResult:
    result = CheckResult("reversals", "every reversal negates its gift exactly, once")
    original = aliased(Donation)
    rows = session.execute(
        select(Donation.id, Donation.amount_minor, Donation.currency, Donation.donation_date,
               Donation.campaign_id, original.id, original.amount_minor, original.currency,
               original.donation_date, original.campaign_id, original.reverses_id)
        .outerjoin(original, original.id == Donation.reverses_id)
        .where(Donation.reverses_id.is_not(None))
        .order_by(Donation.id)
    ).all()  # fmt: skip
    seen: dict[int, int] = {}
    for (rid, amount, currency, day, campaign, oid, o_amount, o_currency, o_day, o_campaign,
         o_reverses) in rows:  # fmt: skip
        if oid is None:
            result.problem(f"donation #{rid} reverses a donation that does not exist")
            continue
        if o_reverses is not None:
            result.problem(f"donation #{rid} reverses #{oid}, which is itself a reversal")
        if (amount, currency, day, campaign) != (-o_amount, o_currency, o_day, o_campaign):
            result.problem(f"donation #{rid} does not negate #{oid} exactly (amount, currency, "
                           "date and campaign must match, the amount negated)")  # fmt: skip
        if oid in seen:
            result.problem(f"donation #{oid} is reversed twice: by #{seen[oid]} and #{rid}")
        seen[oid] = rid
    return result


def _corrections(session: Session) -> CheckResult:
    """A correction keeps the reference of the gift it corrects: what the import finds a
    platform's gift by. (That the gift corrected was reversed, once, the database refuses
    otherwise: migrations 0016.)"""
    result = CheckResult("corrections", "every corrected gift keeps the reference of the gift "
                         "it corrects")  # fmt: skip
    corrected = aliased(DonationCorrection)
    rows = session.execute(
        select(DonationCorrection.donation_id, DonationCorrection.corrects_id,
               DonationCorrection.reference, Donation.reference, corrected.reference)
        .join(Donation, Donation.id == DonationCorrection.corrects_id)
        .outerjoin(corrected, corrected.donation_id == DonationCorrection.corrects_id)
        .order_by(DonationCorrection.id)
    ).all()  # fmt: skip
    for donation_id, corrects_id, reference, own, inherited in rows:
        if reference != (own if own is not None else inherited):
            result.problem(f"donation #{donation_id} corrects #{corrects_id} under reference "
                           f"{reference!r}, not #{corrects_id}'s {own or inherited!r}")  # fmt: skip
    return result


def _donors(session: Session) -> CheckResult:
    result = CheckResult("donors", "every donor a gift, a merge or a revision names exists")
    donor_ids = select(Donor.id)
    for donation_id, donor_id in session.execute(
        select(Donation.id, Donation.donor_id).where(
            Donation.donor_id.is_not(None), Donation.donor_id.not_in(donor_ids)
        )
    ):
        result.problem(f"donation #{donation_id} names donor #{donor_id}, who does not exist")
    for merge_id, merged, into in session.execute(
        select(DonorMerge.id, DonorMerge.merged_donor_id, DonorMerge.into_donor_id).where(
            DonorMerge.merged_donor_id.not_in(donor_ids)
            | DonorMerge.into_donor_id.not_in(donor_ids)
        )
    ):
        result.problem(f"donor merge #{merge_id} names a donor that does not exist "
                       f"(#{merged} into #{into})")  # fmt: skip
    for revision_id, donor_id in session.execute(
        select(DonorRevision.id, DonorRevision.donor_id).where(
            DonorRevision.donor_id.not_in(donor_ids)
        )
    ):
        result.problem(f"donor revision #{revision_id} names donor #{donor_id}, who does not "
                       "exist")  # fmt: skip
    return result


def _receipts(session: Session) -> CheckResult:
    result = CheckResult(
        "receipts",
        "each receipt series runs 1, 2, 3 ... without a gap or a duplicate; every receipted "
        "gift that was reversed has its credit receipt",
    )
    receipts = session.execute(
        select(Receipt.id, Receipt.series, Receipt.year, Receipt.number, Receipt.kind,
               Receipt.donation_id, Receipt.credits_id, Receipt.content, Donation.reverses_id)
        .outerjoin(Donation, Donation.id == Receipt.donation_id)
        .order_by(Receipt.series, Receipt.year, Receipt.number)
    ).all()  # fmt: skip
    reversed_ids = set(
        session.scalars(select(Donation.reverses_id).where(Donation.reverses_id.is_not(None)))
    )
    counters = {
        (series, year): last
        for series, year, last in session.execute(
            select(ReceiptCounter.series, ReceiptCounter.year, ReceiptCounter.last_number)
        )
    }
    _receipt_links(result, receipts, reversed_ids)
    _receipt_series(result, [(row.series, row.year, row.number) for row in receipts], counters)
    series = {(row.series, row.year) for row in receipts}
    in_series = counted(len(series), "series", "series")
    result.notes.append(f"{counted(len(receipts), 'receipt')} in {in_series}")
    return result


def _receipt_links(
    result: CheckResult, receipts: Sequence[Any], reversed_ids: set[int | None]
) -> None:
    """Receipts for gifts, credit receipts for reversals, each credit cancelling its receipt."""
    by_id = {row.id: row for row in receipts}
    credited = {row.credits_id for row in receipts if row.credits_id is not None}
    for row in receipts:
        number = ReceiptNumber(row.series, row.year, row.number)
        if row.kind == "donation":
            if row.reverses_id is not None:
                result.problem(f"receipt {number} is for donation #{row.donation_id}, a reversal")
            elif row.donation_id in reversed_ids and row.id not in credited:
                result.problem(f"receipt {number} is for donation #{row.donation_id}, which "
                               "was reversed without a credit receipt")  # fmt: skip
            continue
        cancelled = by_id.get(row.credits_id)
        if row.reverses_id is None:
            result.problem(f"credit receipt {number} is for donation #{row.donation_id}, "
                           "which is not a reversal")  # fmt: skip
        elif cancelled is None or cancelled.donation_id != row.reverses_id:
            result.problem(f"credit receipt {number} does not cancel the receipt of the gift "
                           "its reversal reverses")  # fmt: skip
        elif not _nets_to_zero(row.content, cancelled.content):
            other = ReceiptNumber(cancelled.series, cancelled.year, cancelled.number)
            result.problem(f"credit receipt {number} does not cancel receipt {other} to the "
                           "agora")  # fmt: skip


def _receipt_series(
    result: CheckResult, issued: list[tuple[str, int, int]], counters: dict[tuple[str, int], int]
) -> None:
    """Each series 1 ... n with no gap and no duplicate, its counter at n."""
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for series, year, number in issued:
        numbers[(series, year)].append(number)
    for key in sorted(set(numbers) | set(counters)):
        series, year = key
        taken = numbers.get(key, [])
        seen: set[int] = set()
        for number in taken:
            if number in seen:
                result.problem(f"receipt {ReceiptNumber(series, year, number)} was issued twice")
            seen.add(number)
        last = counters.get(key, 0)
        for missing in sorted(set(range(1, max([last, *taken]) + 1)) - seen):
            result.problem(f"receipt {ReceiptNumber(series, year, missing)} is missing: the "
                           f"series {series}-{year:04d} has a gap")  # fmt: skip
        if taken and max(taken) > last:
            result.problem(f"the counter of series {series}-{year:04d} stands at {last}, behind "
                           f"receipt {ReceiptNumber(series, year, max(taken))}")  # fmt: skip


def _nets_to_zero(credit: str, cancelled: str) -> bool:
    one, other = ReceiptDocument.from_json(credit), ReceiptDocument.from_json(cancelled)
    return one.amount == -other.amount and one.home == -other.home


def _chains(session: Session) -> CheckResult:
    result = CheckResult("chain", "every chained row still fits the hash chain of its table "
                         "(no row changed, removed or moved) and an audit event records "
                         "writing it")  # fmt: skip
    anchors = _anchors(session)
    checked = 0
    for model in CHAINED_MODELS:
        table = cast(Table, model.__table__)
        names = chained_columns(table)
        seen = _Seen(anchors.get(table.name, []))
        # Streamed: a million gifts are checked in flat memory.
        rows = session.execute(
            select(table.c.id, table.c[HASH_COLUMN], *(table.c[name] for name in names))
            .order_by(table.c.id).execution_options(yield_per=CHAIN_CHUNK_ROWS)
        )  # fmt: skip
        for _row_id, problem in verify(table.name, seen.encoded(rows)):
            result.problem(problem)
        for head, event_id in sorted(seen.expected.items(), key=lambda item: item[1]):
            if head not in seen.marks:
                result.problem(
                    f"audit event #{event_id} names the {table.name} row with hash "
                    f"{head[:12]}... as the last its change wrote, and no row has that hash any "
                    "more: it was removed (with any rows after it) or its hash was rewritten"
                )
        # The audit trail's own end is what the anchor, kept outside the ledger, covers.
        if table.name != AuditEvent.__tablename__ and (gaps := seen.gaps()):
            result.problem(_uncovered_problem(session, table, gaps))
        checked += seen.rows
    result.notes.append(f"{counted(checked, 'chained row')} checked")
    last = session.execute(
        select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is not None:
        result.notes.append(
            f"the ledger's last audit event is #{last[0]}, chain hash {last[1]}: note it outside "
            "the ledger (the anchor); `fundledger check --anchor` with it proves later that the "
            "trail up to it is intact, and shows what was added since"
        )
        result.data = {"anchor": {"audit_event": last[0], "chain_hash": last[1]}}
    return result


@dataclass(frozen=True)
class _Cover:
    """What one audit event says its change wrote to one chain: the rows after the row whose
    hash is `start` (None: an event written before events named it, which covers the chain
    from its start) up to and including the row whose hash is `head`."""

    event_id: int
    start: str | None
    head: str


def _anchors(session: Session) -> dict[str, list[_Cover]]:
    """What the audit events say their changes wrote, by table."""
    anchors: dict[str, list[_Cover]] = defaultdict(list)
    for event_id, details in session.execute(
        select(AuditEvent.id, AuditEvent.details)
        .where(AuditEvent.details.like(f'%"{CHAIN_HEADS}"%')).order_by(AuditEvent.id)
    ):  # fmt: skip
        try:
            recorded = json.loads(details)
            heads, starts = recorded.get(CHAIN_HEADS, {}), recorded.get(CHAIN_FROM)
            for table, head in heads.items():
                start = None if starts is None else starts.get(table)
                anchors[table].append(_Cover(event_id, start, head))
        except (ValueError, AttributeError):
            continue  # the audit event's own chain names it if it was changed
    return anchors


@dataclass(frozen=True)
class _Gap:
    """Rows no audit event covers: `count` rows with ids after `after_id` (0: from the start)
    up to `to_id` (None: to the end), the last covered row before them written by the change
    audit event `event_id` recorded (None: no row before them is covered)."""

    after_id: int
    to_id: int | None
    count: int
    event_id: int | None


@dataclass
class _Seen:
    """What one pass over a chained table saw: its rows, and where among them (position in id
    order and id) are the rows whose hashes the audit events name (`marks`), from which the
    rows no audit event covers follow (`gaps`)."""

    covers: list[_Cover]
    expected: dict[str, int] = field(init=False)  # {head hash: an audit event naming it}
    wanted: set[str] = field(init=False)
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # hash: (position, id)
    rows: int = 0

    def __post_init__(self) -> None:
        self.expected = {cover.head: cover.event_id for cover in self.covers}
        self.wanted = {*self.expected, *(cover.start for cover in self.covers if cover.start)}
        self.wanted.discard(GENESIS)

    def encoded(self, rows: Iterable[Any]) -> Iterator[tuple[int, str | None, str]]:
        """(id, stored hash, canonical encoding) of each (id, hash, fields...) row."""
        wanted, marks = self.wanted, self.marks
        for row in rows:
            self.rows += 1
            if row[1] in wanted and row[1] not in marks:
                marks[row[1]] = (self.rows, row[0])
            yield row[0], row[1], canonical(row[2:])

    def gaps(self) -> list[_Gap]:
        """The runs of rows outside every audit event's range, in id order (after the pass)."""
        ranges = []  # (first position after, last position, its id, audit event)
        for cover in self.covers:
            if cover.head not in self.marks:
                continue  # named as removed
            if cover.start is None or cover.start == GENESIS:
                after, after_id = 0, 0
            elif cover.start in self.marks:
                after, after_id = self.marks[cover.start]
            else:  # its start was removed (verify names the break): its head row at least
                after, after_id = self.marks[cover.head][0] - 1, self.marks[cover.head][1] - 1
            last, last_id = self.marks[cover.head]
            if last > after:
                ranges.append((after, after_id, last, last_id, cover.event_id))
        found: list[_Gap] = []
        covered, covered_id, event_id = 0, 0, None  # position and id of the last covered row
        for after, after_id, last, last_id, event in sorted(ranges):
            if after > covered:
                found.append(_Gap(covered_id, after_id, after - covered, event_id))
            if last >= covered:  # of the events naming the same head, the last
                covered, covered_id, event_id = last, last_id, event
        if self.rows > covered:
            found.append(_Gap(covered_id, None, self.rows - covered, event_id))
        return found


def _uncovered_problem(session: Session, table: Table, gaps: list[_Gap]) -> str:
    """The rows outside every audit event's range, as one problem: how many, the first few
    by id, and the last covered row before the first of them."""
    named: list[int] = []
    for gap in gaps:
        if len(named) >= MOST_ROWS_NAMED:
            break
        query = select(table.c.id).where(table.c.id > gap.after_id)
        if gap.to_id is not None:
            query = query.where(table.c.id <= gap.to_id)
        named.extend(session.scalars(
            query.order_by(table.c.id).limit(MOST_ROWS_NAMED - len(named))))  # fmt: skip
    count = sum(gap.count for gap in gaps)
    listed = ", ".join(f"#{row_id}" for row_id in named)
    more = ", ..." if count > len(named) else ""
    rows = f"{table.name} {listed}" if count == 1 else f"{count} {table.name} rows ({listed}{more})"
    verb = "was" if count == 1 else "were"
    first = gaps[0]
    if first.event_id is None:
        last = (f"no audit event names any {table.name} row as written" if first.to_id is None
                else f"no audit event covers a {table.name} row before #{named[0]}")  # fmt: skip
    elif first.to_id is None:
        last = (f"the last {table.name} row an audit event names is #{first.after_id} (audit "
                f"event #{first.event_id})")  # fmt: skip
    else:
        last = (f"the last {table.name} row an audit event covers before #{named[0]} is "
                f"#{first.after_id} (audit event #{first.event_id})")  # fmt: skip
    return (f"{rows} {verb} added without an audit event: {last}; a command records one with "
            "every row it writes")  # fmt: skip


def _anchor(session: Session, anchor: str) -> CheckResult:
    """The audit event whose chain hash is `anchor` is still there and still fits the trail
    from its start, and the events written after it, listed (shown, not judged)."""
    anchor = anchor.strip().lower()
    result = CheckResult("anchor", f"the audit trail still holds, at its place, the audit event "
                         f"noted outside the ledger ({anchor[:12]}...)")  # fmt: skip
    data: dict[str, Any] = {"chain_hash": anchor, "audit_event": None, "events_since": None,
                            "since": []}  # fmt: skip
    result.data = data
    event = session.execute(
        select(AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.actor)
        .where(AuditEvent.chain_hash == anchor)
    ).first()  # fmt: skip
    if event is None:
        result.problem(f"no audit event has the chain hash {anchor}: the audit trail was "
                       "rewritten or cut after that anchor was noted (or it is another "
                       "ledger's)")  # fmt: skip
        return result
    data["audit_event"] = event.id
    table = cast(Table, AuditEvent.__table__)
    names = chained_columns(table)
    rows = session.execute(
        select(table.c.id, table.c[HASH_COLUMN], *(table.c[name] for name in names))
        .where(table.c.id <= event.id).order_by(table.c.id)
        .execution_options(yield_per=CHAIN_CHUNK_ROWS)
    )  # fmt: skip
    broken = next(verify(table.name, ((row[0], row[1], canonical(row[2:])) for row in rows)), None)
    if broken is not None:
        result.problem(f"audit event #{event.id} holds the anchor, but the trail up to it no "
                       f"longer verifies ({broken[1]}): the trail was rewritten")  # fmt: skip
        return result
    result.notes.append(f"audit event #{event.id} ({event.action} by {event.actor}, "
                        f"{_moment(event.occurred_at)}) holds the anchor: nothing up to it was "
                        "changed, removed or added")  # fmt: skip
    since = session.scalar(select(func.count()).where(AuditEvent.id > event.id)) or 0
    data["events_since"] = since
    listed = session.execute(
        select(AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.actor)
        .where(AuditEvent.id > event.id).order_by(AuditEvent.id).limit(MOST_EVENTS_LISTED)
    ).all()  # fmt: skip
    data["since"] = [{"id": row.id, "occurred_at": _moment(row.occurred_at),
                      "action": row.action, "actor": row.actor} for row in listed]  # fmt: skip
    if not since:
        result.notes.append("no audit event since: nothing was written after it")
        return result
    result.notes.append(f"{counted(since, 'audit event')} since (shown, not judged: see that "
                        "each was yours):")  # fmt: skip
    result.notes.extend(f"  #{row.id} {_moment(row.occurred_at)} {row.action} by {row.actor}"
                        for row in listed)  # fmt: skip
    if since > len(listed):
        result.notes.append(f"  ... and {since - len(listed)} more (`fundledger audit` lists "
                            "them all)")  # fmt: skip
    return result


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _rates(session: Session, context: CommandContext) -> CheckResult:
    result = CheckResult("rates", "every gift has a rate in force for its date")
    try:
        gaps = gift_factors(session, context, counted_donations()).gaps
    except FundledgerError as error:  # a rate that blows a gift past what the ledger holds
        result.problem(str(error))
        return result
    for gap in gaps[:MOST_GAPS_LISTED]:
        result.notes.append(f"waiting for a rate: {counted(gap.gifts, gap.currency + ' gift')} of "
                            f"{gap.on.isoformat()} ({gap.reason})")  # fmt: skip
    if rest := gaps[MOST_GAPS_LISTED:]:
        result.notes.append(
            f"waiting for a rate: {counted(sum(gap.gifts for gap in rest), 'more gift')} on "
            f"{counted(len({gap.on for gap in rest}), 'more day')}, up to "
            f"{max(gap.on for gap in rest)} "
            "(`fundledger rates gaps` lists them all)"
        )
    total = session.scalar(select(func.count()).select_from(Donation).where(counted_donations()))
    result.notes.append(f"{counted(total or 0, 'gift')} counted")
    return result
