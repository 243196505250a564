"""`fundledger check`: everything about a ledger that could be wrong, each problem named with
the row it concerns. Read-only: it reports, never repairs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import HASH_COLUMN, canonical, chained_columns, verify
from fundledger.adapters.db.migrate import current_revision, head_revision
from fundledger.adapters.db.models import (
    APPEND_ONLY_TABLES,
    CHAINED_MODELS,
    AuditEvent,
    Donation,
    Donor,
    DonorMerge,
    Receipt,
    ReceiptCounter,
)
from fundledger.adapters.db.queries import counted_donations
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CHAIN_HEADS, CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.receipts import ReceiptDocument, ReceiptNumber
from fundledger.services.summary_store import verify as verify_stored

MOST_PROBLEMS_LISTED = 50  # per check: the rest are counted
MOST_GAPS_LISTED = 10  # days and currencies waiting for a rate, named one by one
CHAIN_CHUNK_ROWS = 20_000


@dataclass
class CheckResult:
    """One check: what it looked at, and each problem found (a row, and what is wrong)."""

    name: str
    description: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong
    more: int = 0  # problems found beyond those listed

    @property
    def passed(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MOST_PROBLEMS_LISTED:
            self.problems.append(text)
        else:
            self.more += 1


def check_ledger(session: Session, context: CommandContext) -> list[CheckResult]:
    """Every check, in order; the later ones only when the schema is this program's."""
    schema = _schema(session.connection())
    if not schema.passed:
        return [schema]
    return [
        schema,
        _triggers(session.connection()),
        _reversals(session),
        _donors(session),
        _receipts(session),
        _chains(session),
        _rates(session, context),
        _summaries(session, context),
    ]


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


def expected_triggers(dialect: str) -> set[str]:
    """The triggers that keep the ledger append-only and receipt numbers in order."""
    if dialect == "sqlite":
        return {
            *(f"{table}_append_only_{action}" for table in APPEND_ONLY_TABLES
              for action in ("update", "delete")),
            "receipt_counter_step_only", "receipt_counter_kept", "receipt_insert_only_new",
            "receipt_counter_starts_at_zero", "receipt_counter_kept_on_insert",
        }  # fmt: skip
    return {
        *(f"{table}_append_only{suffix}" for table in APPEND_ONLY_TABLES
          for suffix in ("", "_truncate")),
        "receipt_counter_step_only", "receipt_counter_kept", "receipt_counter_starts_at_zero",
    }  # fmt: skip


def _triggers(connection: Connection) -> CheckResult:
    result = CheckResult("triggers", "the triggers that refuse changes and deletions are there")
    dialect = connection.dialect.name
    listed = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if dialect == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    )
    found = set(connection.scalars(text(listed)))
    for missing in sorted(expected_triggers(dialect) - found):
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


def _donors(session: Session) -> CheckResult:
    result = CheckResult("donors", "every donor a gift or a merge names exists")
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
    result.notes.append(f"{len(receipts)} receipt(s) in {len(series)} series")
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
                         "(no row changed, removed or moved)")  # fmt: skip
    anchors = _anchors(session)
    checked = 0
    for model in CHAINED_MODELS:
        table = cast(Table, model.__table__)
        names = chained_columns(table)
        seen = _Seen(anchors.get(table.name, {}))
        # Streamed: a million gifts are checked in flat memory.
        rows = session.execute(
            select(table.c.id, table.c[HASH_COLUMN], *(table.c[name] for name in names))
            .order_by(table.c.id).execution_options(yield_per=CHAIN_CHUNK_ROWS)
        )  # fmt: skip
        for row_id, problem in verify(seen.encoded(rows)):
            result.problem(f"{table.name} #{row_id} {problem}")
        for head, event_id in sorted(seen.expected.items(), key=lambda item: item[1]):
            if head not in seen.found:
                result.problem(
                    f"audit event #{event_id} names the {table.name} row with hash "
                    f"{head[:12]}... as the last its change wrote, and no row has that hash any "
                    "more: it was removed (with any rows after it) or its hash was rewritten"
                )
        checked += seen.rows
    result.notes.append(f"{checked} chained row(s) checked")
    last = session.execute(
        select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is not None:
        result.notes.append(
            f"the ledger's last audit event is #{last[0]}, chain hash {last[1]}: keep it outside "
            "the ledger to prove later that nothing was cut from its end"
        )
    return result


def _anchors(session: Session) -> dict[str, dict[str, int]]:
    """The chain heads the audit events name, by table: {hash: the audit event naming it}."""
    anchors: dict[str, dict[str, int]] = defaultdict(dict)
    for event_id, details in session.execute(
        select(AuditEvent.id, AuditEvent.details).where(
            AuditEvent.details.like(f'%"{CHAIN_HEADS}"%')
        )
    ):
        try:
            heads = json.loads(details).get(CHAIN_HEADS, {})
        except (ValueError, AttributeError):
            continue  # the audit event's own chain names it if it was changed
        for table, head in heads.items():
            anchors[table][head] = event_id
    return anchors


@dataclass
class _Seen:
    """What one pass over a chained table saw: its rows, and which of the heads the audit
    events name (`expected`: {hash: audit event id}) are among them."""

    expected: dict[str, int]
    found: set[str] = field(default_factory=set)
    rows: int = 0

    def encoded(self, rows: Iterable[Any]) -> Iterator[tuple[int, str | None, str]]:
        """(id, stored hash, canonical encoding) of each (id, hash, fields...) row."""
        for row in rows:
            self.rows += 1
            if row[1] in self.expected:
                self.found.add(row[1])
            yield row[0], row[1], canonical(row[2:])


def _rates(session: Session, context: CommandContext) -> CheckResult:
    result = CheckResult("rates", "every gift has a rate in force for its date")
    try:
        gaps = gift_factors(session, context, counted_donations()).gaps
    except FundledgerError as error:  # a rate that blows a gift past what the ledger holds
        result.problem(str(error))
        return result
    for gap in gaps[:MOST_GAPS_LISTED]:
        result.notes.append(f"waiting for a rate: {gap.gifts} {gap.currency} gift(s) of "
                            f"{gap.on.isoformat()} ({gap.reason})")  # fmt: skip
    if rest := gaps[MOST_GAPS_LISTED:]:
        result.notes.append(
            f"waiting for a rate: {sum(gap.gifts for gap in rest)} more gift(s) on "
            f"{len({gap.on for gap in rest})} more day(s), up to {max(gap.on for gap in rest)} "
            "(`fundledger rates gaps` lists them all)"
        )
    counted = session.scalar(select(func.count()).select_from(Donation).where(counted_donations()))
    result.notes.append(f"{counted or 0} gift(s) counted")
    return result
