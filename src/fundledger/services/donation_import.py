"""Importing a donation file: all of it or nothing, every problem reported at once.

Rows are read and checked in chunks (memory stays flat for a million rows) inside one
transaction. While no problem has been found, each checked chunk is written; once one is found,
writing stops, checking goes on to the end so every bad line is reported, and the transaction
is rolled back. Donations are written with the database's fastest bulk path (executemany on
SQLite, COPY on PostgreSQL): never the ORM, which is ten times slower for this.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Connection, Index, String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Campaign, Donation, Donor
from fundledger.adapters.donation_csv import DonationFile, DonationRow, RowProblem
from fundledger.domain.donors import email_key, loose_name, name_key
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit

T = TypeVar("T")
CHUNK_ROWS = 10_000
DONATION_COLUMNS = (
    "campaign_id", "donor_id", "donation_date", "amount_minor", "currency", "method",
    "reference", "anonymous", "note", "reverses_id", "recorded_at", "recorded_by",
)  # fmt: skip

POSTGRESQL_COPY = f"COPY donation ({', '.join(DONATION_COLUMNS)}) FROM STDIN"


class DonationImportRefused(FundledgerError):
    """The file has problems; nothing was written. `problems` lists every one."""

    def __init__(self, name: str, problems: list[str], total: int) -> None:
        super().__init__(f"{name}: {total} problem(s); nothing imported")
        self.problems = problems
        self.total = total


@dataclass
class ImportSummary:
    name: str
    rows: int = 0
    imported: int = 0
    present: int = 0
    new_donors: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    totals_minor: Counter[str] = field(default_factory=Counter)
    possible_duplicates: list[tuple[str, ...]] = field(default_factory=list)

    def totals(self) -> list[tuple[Money, int]]:
        return [
            (Money.from_minor(minor, currency), self.counts[currency])
            for currency, minor in sorted(self.totals_minor.items())
        ]


def _chunks(items: Iterable[DonationRow | RowProblem]) -> Iterator[list[DonationRow | RowProblem]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        yield chunk


class _DonorDirectory:
    """Donor ids by matching key, loaded from the ledger as needed and grown by the import."""

    def __init__(self, session: Session, context: CommandContext) -> None:
        self.session = session
        self.context = context
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.created: list[int] = []

    def resolve(self, rows: list[DonationRow]) -> list[int | None]:
        """The donor id of each row (None for a gift without donor), creating new donors."""
        # Rows hold stripped e-mails and normalised names, so their keys need only casefold.
        email_keys = [row.email.casefold() if row.email else None for row in rows]
        name_keys = [row.donor.casefold() if row.donor and not row.email else None for row in rows]
        self._load(
            {key for key in email_keys if key} - self.by_email.keys(),
            {key for key in name_keys if key} - self.by_name.keys(),
        )
        new: dict[tuple[str, str], DonationRow] = {}
        for row, by_email, by_name in zip(rows, email_keys, name_keys, strict=True):
            if by_email is not None and by_email not in self.by_email:
                new.setdefault(("email", by_email), row)
            elif by_name is not None and by_name not in self.by_name:
                new.setdefault(("name", by_name), row)
        if new:
            self._create(new)
        emails, names = self.by_email, self.by_name
        return [
            emails[by_email] if by_email else names[by_name] if by_name else None
            for by_email, by_name in zip(email_keys, name_keys, strict=True)
        ]

    def _load(self, emails: set[str], names: set[str]) -> None:
        for batch in _batches(sorted(emails)):
            for key, donor_id in self._ids_by(Donor.email_key, batch):
                self.by_email[key] = donor_id
        for batch in _batches(sorted(names)):
            # Only donors known by name alone; the oldest of a name wins, so it comes last.
            for key, donor_id in self._ids_by(Donor.name_key, batch, without_email=True):
                self.by_name[key] = donor_id

    def _ids_by(
        self, column: Any, keys: list[str], *, without_email: bool = False
    ) -> Iterable[tuple[str, int]]:
        """(key, donor id) pairs for these keys. On SQLite the query goes straight to the
        driver: compiling a 5,000-value IN list costs three times the query itself."""
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            condition = " AND email_key IS NULL" if without_email else ""
            found: list[tuple[str, int]] = (
                _driver(connection)
                .execute(
                    f"SELECT {column.key}, id FROM donor "  # noqa: S608 (a column name of ours)
                    f"WHERE {column.key} IN ({_placeholders(keys)}){condition} ORDER BY id DESC",
                    keys,
                )
                .fetchall()
            )
            return found
        query = select(column, Donor.id).where(_one_of(self.session, column, keys))
        if without_email:
            query = query.where(Donor.email_key.is_(None))
        return [(key, donor_id) for key, donor_id in self.session.execute(query.order_by(
            Donor.id.desc()))]  # fmt: skip

    def _create(self, new: dict[tuple[str, str], DonationRow]) -> None:
        created_at = now()
        values = [
            {
                "name": row.donor or row.email or "",
                "email": row.email,
                "email_key": email_key(row.email) if row.email else None,
                "name_key": name_key(row.donor or row.email or ""),
                "loose_key": loose_name(row.donor or row.email or ""),
                "created_at": created_at,
            }
            for row in new.values()
        ]
        # Plain executemany, then read the ids back by key: RETURNING with many rows is
        # quadratic in SQLAlchemy's SQLite path.
        self.session.execute(insert(Donor.metadata.tables[Donor.__tablename__]), values)
        before = len(self.by_email) + len(self.by_name)
        self._load(
            {key for kind, key in new if kind == "email"},
            {key for kind, key in new if kind == "name"},
        )
        assert len(self.by_email) + len(self.by_name) == before + len(new)
        self.created.extend(
            (self.by_email if kind == "email" else self.by_name)[key] for kind, key in new
        )


def _driver(connection: Connection) -> Any:
    """The DB-API connection under SQLAlchemy's, for the bulk paths that bypass it."""
    raw = connection.connection.driver_connection
    assert raw is not None
    return raw


def _placeholders(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def _batches(items: list[T], size: int = 5_000) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_donations(
    session: Session,
    context: CommandContext,
    campaign_slug: str,
    source: DonationFile,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every row of `source` into the campaign, or raise DonationImportRefused."""
    campaign = get_campaign(session, campaign_slug)
    summary = ImportSummary(source.name)
    donors = _DonorDirectory(session, context)
    problems: list[RowProblem] = []
    problem_count = 0
    recorded_at = now()
    writer = _DonationWriter(session.connection(), campaign.id, recorded_at, context.actor)
    # A ledger without donations can hold none of the file's references: no need to look.
    ledger_was_empty = session.scalar(select(Donation.id).limit(1)) is None
    for chunk in _chunks(source.rows()):
        rows = [item for item in chunk if type(item) is DonationRow]
        found = [item for item in chunk if type(item) is RowProblem]
        summary.rows += len(chunk)
        fresh, clashes = (rows, []) if ledger_was_empty else _split_known(session, campaign, rows)
        found.extend(clashes)
        summary.present += len(rows) - len(fresh) - len(clashes)
        if found:
            problem_count += len(found)
            problems.extend(found)
        if problem_count == 0 and fresh:
            writer.write(fresh, donors.resolve(fresh))
            summary.imported += len(fresh)
            for row in fresh:
                currency = row.currency
                summary.counts[currency] += 1
                summary.totals_minor[currency] += row.amount_minor
        if progress is not None:
            progress(chunk[-1].line)
    if problem_count:  # the transaction is rolled back: dropped indexes come back with it
        shown = [problem.describe(source.name) for problem in sorted(problems, key=_by_line)]
        raise DonationImportRefused(source.name, shown, problem_count)
    writer.finish()
    summary.new_donors = len(donors.created)
    summary.possible_duplicates = _possible_duplicates(session, donors.created)
    if summary.imported:
        record_audit(
            session,
            context,
            "donations.import",
            entity="campaign",
            entity_id=campaign.id,
            details={
                "file": source.name,
                "sha256": source.sha256,
                "rows": summary.rows,
                "imported": summary.imported,
                "already_present": summary.present,
                "new_donors": summary.new_donors,
                "totals": {str(money.currency): str(money) for money, _ in summary.totals()},
            },
        )
    return summary


def _sql_text(value: str) -> str:
    """A SQL string literal: quotes doubled, as the SQL standard and SQLite define it."""
    return "'" + value.replace("'", "''") + "'"


def _by_line(problem: RowProblem) -> int:
    return problem.line


def _one_of(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of
    thousands (a re-import of a million rows: 30 s with IN, far less with ANY)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


class StoredGift(NamedTuple):
    reference: str
    id: int
    donation_date: date
    amount_minor: int
    currency: str
    anonymous: bool
    method: str | None
    note: str | None
    slug: str
    email_key: str | None
    name_key: str | None


_STORED_GIFT_COLUMNS = (
    "d.reference, d.id, d.donation_date, d.amount_minor, d.currency, d.anonymous, d.method, "
    "d.note, c.slug, o.email_key, o.name_key"
)


def _stored_gifts(session: Session, references: list[str]) -> Iterable[StoredGift]:
    """The stored gifts with these references, with their campaign and donor keys. On SQLite
    straight through the driver, as for donors (this query runs once per chunk)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        cursor = _driver(connection).execute(
            f"SELECT {_STORED_GIFT_COLUMNS} FROM donation d "  # noqa: S608 (constant columns)
            "JOIN campaign c ON c.id = d.campaign_id LEFT JOIN donor o ON o.id = d.donor_id "
            f"WHERE d.reference IN ({_placeholders(references)})",
            references,
        )
        return [
            StoredGift._make(
                (*found[:2], date.fromisoformat(found[2]), *found[3:5], bool(found[5]), *found[6:])
            )
            for found in cursor.fetchall()
        ]
    return [
        StoredGift._make(found)
        for found in session.execute(
            select(
                Donation.reference, Donation.id, Donation.donation_date, Donation.amount_minor,
                Donation.currency, Donation.anonymous, Donation.method, Donation.note,
                Campaign.slug, Donor.email_key, Donor.name_key,
            )
            .join(Campaign, Campaign.id == Donation.campaign_id)
            .outerjoin(Donor, Donor.id == Donation.donor_id)
            .where(_one_of(session, Donation.reference, references))
        )
    ]  # fmt: skip


def _split_known(
    session: Session, campaign: Campaign, rows: list[DonationRow]
) -> tuple[list[DonationRow], list[RowProblem]]:
    """Rows whose reference the ledger lacks; the same gift stored already is skipped, a
    different gift under the same reference is a problem naming both."""
    stored: dict[str, StoredGift] = {}
    for batch in _batches([row.reference for row in rows], size=CHUNK_ROWS):
        for found in _stored_gifts(session, batch):
            stored[found.reference] = found
    fresh: list[DonationRow] = []
    clashes: list[RowProblem] = []
    for row in rows:
        known = stored.get(row.reference)
        if known is None:
            fresh.append(row)
            continue
        donor_matches = (
            known.email_key == row.email.casefold()
            if row.email
            else (known.name_key == row.donor.casefold() if row.donor else known.name_key is None)
        )
        if (known.slug, known.donation_date, known.amount_minor, known.currency,
                known.anonymous, known.method, known.note) != (
                campaign.slug, row.day, row.amount_minor, row.currency, row.anonymous,
                row.method, row.note) or not donor_matches:  # fmt: skip
            before = Money.from_minor(known.amount_minor, known.currency)
            here = Money.from_minor(row.amount_minor, row.currency)
            clashes.append(
                RowProblem(
                    row.line,
                    "reference",
                    f"{row.reference!r} is already donation #{known.id} ({before} on "
                    f"{known.donation_date} in {known.slug}); this line differs ({here} on "
                    f"{row.day} in {campaign.slug}, donor, method, note or anonymity)",
                )
            )
    return fresh, clashes


class _DonationWriter:
    """Appends donations with the database's bulk path, bypassing the ORM.

    On SQLite a large import drops the donation table's secondary indexes and builds them
    again at the end, inside the same transaction: sorting a million keys once is several
    times faster than a million random index insertions. A small import keeps them."""

    def __init__(
        self, connection: Connection, campaign_id: int, recorded_at: datetime, actor: str
    ) -> None:
        self.connection = connection
        self.campaign_id = campaign_id
        self.actor = actor
        self.table = Donation.metadata.tables[Donation.__tablename__]
        processor = self.table.c.recorded_at.type.bind_processor(connection.dialect)
        self.recorded_at = processor(recorded_at) if processor else recorded_at
        self.sqlite = connection.dialect.name == "sqlite"
        # What every row of this import shares is written into the statement once, as SQL
        # literals (a number, and text with its quotes doubled), so each row binds 8 values.
        self.sqlite_insert = (
            "INSERT INTO donation (donor_id, donation_date, amount_minor, currency, method, "  # noqa: S608
            "reference, anonymous, note, campaign_id, reverses_id, recorded_at, recorded_by) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, {int(campaign_id)}, NULL, "
            f"{_sql_text(str(self.recorded_at))}, {_sql_text(actor)})"
        )
        self.dropped_indexes: list[Index] = []

    def write(self, rows: list[DonationRow], donor_ids: list[int | None]) -> None:
        campaign_id, recorded_at, actor = self.campaign_id, self.recorded_at, self.actor
        if self.sqlite:
            if len(rows) >= CHUNK_ROWS and not self.dropped_indexes:
                self._drop_secondary_indexes()
            # Straight to the driver: SQLAlchemy's own executemany costs as much again. SQLite
            # stores a DATE as its ISO text, as SQLAlchemy's Date type writes it.
            _driver(self.connection).executemany(
                self.sqlite_insert,
                [
                    (donor_id, row.day.isoformat(), row.amount_minor, row.currency, row.method,
                     row.reference, row.anonymous, row.note)
                    for row, donor_id in zip(rows, donor_ids, strict=True)
                ],
            )  # fmt: skip
            return
        with _driver(self.connection).cursor() as cursor, cursor.copy(POSTGRESQL_COPY) as copy:
            for row, donor_id in zip(rows, donor_ids, strict=True):
                copy.write_row(
                    (campaign_id, donor_id, row.day, row.amount_minor, row.currency, row.method,
                     row.reference, row.anonymous, row.note, None, recorded_at, actor)
                )  # fmt: skip

    def _drop_secondary_indexes(self) -> None:
        self.dropped_indexes = [index for index in self.table.indexes if not index.unique]
        for index in self.dropped_indexes:
            index.drop(self.connection)

    def finish(self) -> None:
        for index in self.dropped_indexes:
            index.create(self.connection)
        self.dropped_indexes = []


def _possible_duplicates(session: Session, created: list[int]) -> list[tuple[str, ...]]:
    """Groups of donors, one of them new, whose names match loosely: listed, never merged."""
    groups: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    for batch in _batches(created):
        new_keys = select(Donor.loose_key).where(Donor.id.in_(batch))
        for donor_id, key, name, email in session.execute(
            select(Donor.id, Donor.loose_key, Donor.name, Donor.email)
            .where(Donor.loose_key.in_(new_keys))
            .order_by(Donor.id)
        ):
            if (donor_id, name, email) not in groups[key]:
                groups[key].append((donor_id, name, email))
    return sorted(
        tuple(f"{name} <{email}>" if email else name for _, name, email in members)
        for members in groups.values()
        if len(members) > 1
    )
