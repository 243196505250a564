"""The bulk paths past the ORM that a file import writes and looks up with (design.md §12:
dialect branches and COPY live in adapters/db): the DB-API connection under SQLAlchemy's,
`IN` lists as each database takes them best, and the donation writer (executemany on SQLite,
COPY on PostgreSQL). Moved here from services/donation_import.py, which decides what to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from itertools import repeat
from typing import Any

from sqlalchemy import ColumnElement, Connection, Index, String, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint, ForeignKeyConstraint

from fundledger.adapters.db.chain import chained_columns, extend_with
from fundledger.adapters.db.engine import foreign_keys_checked, sorting_in_threads
from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.references import SHOWN, absent_parents, foreign_key_columns
from fundledger.adapters.donation_csv import BATCH_ROWS, DonationBatch
from fundledger.domain.canonical import donation_links

DONATION_COLUMNS = (
    "campaign_id", "donor_id", "donation_date", "amount_minor", "currency", "method",
    "reference", "anonymous", "note", "reverses_id", "recorded_at", "recorded_by",
)  # fmt: skip

POSTGRESQL_COPY = f"COPY donation ({', '.join(DONATION_COLUMNS)}, chain_hash) FROM STDIN"


def raw_connection(connection: Connection) -> Any:
    """The DB-API connection under SQLAlchemy's, for the bulk paths that bypass it."""
    raw = connection.connection.driver_connection
    assert raw is not None
    return raw


def placeholders(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def one_of(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of
    thousands (a re-import of a million rows: 30 s with IN, far less with ANY)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def _sql_text(value: str) -> str:
    """A SQL string literal: quotes doubled, as the SQL standard and SQLite define it."""
    return "'" + value.replace("'", "''") + "'"


class DonationWriter:
    """Appends donations with the database's bulk path, bypassing the ORM.

    A large import drops the donation table's secondary indexes and builds them again at the
    end, inside the same transaction: sorting a million keys once is several times faster
    than a million random index insertions. On PostgreSQL it drops the foreign keys too and
    adds them back at the end, which checks every row in one join instead of two look-ups
    per row (PostgreSQL's advice for bulk loads: a million rows took 23 s, now 10 s). The
    transaction holds the table alone meanwhile; if it fails, all of it comes back as it was.
    A small import keeps everything in place. In a SQLite transaction without foreign keys
    (engine.for_bulk_loading) and on PostgreSQL, the parents the rows name are looked up
    once each at the end (`unreferenced`), where the keys looked up two per row."""

    def __init__(self, connection: Connection, recorded_at: datetime, actor: str) -> None:
        self.connection = connection
        self.actor = actor
        self.table = Donation.metadata.tables[Donation.__tablename__]
        processor = self.table.c.recorded_at.type.bind_processor(connection.dialect)
        self.recorded_at = processor(recorded_at) if processor else recorded_at
        self.moment = recorded_at
        self.sqlite = connection.dialect.name == "sqlite"
        # What every row of this import shares is written into the statement once, as SQL
        # literals (text with its quotes doubled), so each row binds at most 10 values.
        self.sqlite_shared = f"NULL, {_sql_text(str(self.recorded_at))}, {_sql_text(actor)}"
        if chained_columns(self.table) != list(DONATION_COLUMNS):
            raise AssertionError("the donation table's columns changed: update DONATION_COLUMNS "
                                 "and fundledger.domain.canonical.donation_links")  # fmt: skip
        self.dropped_indexes: list[Index] = []
        self.dropped_keys: list[ForeignKeyConstraint] = []
        # Without foreign keys (a bulk load's SQLite transaction, or PostgreSQL's keys dropped
        # below), the parents the rows refer to, checked once at the end (`unreferenced`).
        self.keys_unchecked = not foreign_keys_checked(connection)
        self.parent_ids: dict[str, set[int | None]] = {"campaign_id": set(), "donor_id": set()}

    def write(
        self, batch: DonationBatch, donor_ids: list[int | None], campaign_ids: list[int]
    ) -> None:
        recorded_at, actor = self.recorded_at, self.actor
        if len(batch) >= BATCH_ROWS and not self.dropped_indexes:
            self._drop_secondary_indexes()
        if self.keys_unchecked or self.dropped_keys:
            self.parent_ids["campaign_id"].update(campaign_ids)
            self.parent_ids["donor_id"].update(donor_ids)
        # The rows take their ids in the order given, which is the chain's order.
        hashes = extend_with(self.connection, self.table, partial(
            donation_links, campaign_ids=campaign_ids, donor_ids=donor_ids,
            fields=batch.chain_fields, recorded_at=self.moment, recorded_by=actor))  # fmt: skip
        if self.sqlite:
            self._write_sqlite(batch, donor_ids, campaign_ids, hashes)
            return
        # COPY's text format, a batch at a time: joined in C, three times faster than handing
        # psycopg a row at a time.
        rows = zip(
            map(str, campaign_ids),
            ["\\N" if donor_id is None else str(donor_id) for donor_id in donor_ids],
            batch.day_texts,
            map(str, batch.amounts_minor),
            batch.currencies,
            _copy_text(batch.methods),
            _copy_text(batch.references),
            ["t" if anonymous else "f" for anonymous in batch.anonymous],
            _copy_text(batch.notes),
            repeat("\\N"),
            repeat(_copy_text([recorded_at.isoformat()])[0]),
            repeat(_copy_text([actor])[0]),
            hashes,
            strict=False,  # the repeated constants never end
        )
        with (
            raw_connection(self.connection).cursor() as cursor,
            cursor.copy(POSTGRESQL_COPY) as copy,
        ):
            copy.write("\n".join(map("\t".join, rows)) + "\n")

    def _write_sqlite(
        self,
        batch: DonationBatch,
        donor_ids: list[int | None],
        campaign_ids: list[int],
        hashes: list[str],
    ) -> None:
        """Straight to the driver: SQLAlchemy's own executemany costs as much again. SQLite
        stores a DATE as its ISO text, as SQLAlchemy's Date type writes it.

        The driver binds an int or a str at once, but sends every other value (None, a bool)
        through its adapter registry first, about 0.3-0.5 us each: a million gifts with no
        method or note, each with its anonymity flag, lost a second there. So the flags go
        as the integers SQLite stores for them anyway (0, 1), and a batch without any method
        (or note) writes NULL in the statement instead of binding one per row."""
        names = ["campaign_id", "donor_id", "donation_date", "amount_minor", "currency",
                 "reference", "anonymous", "chain_hash"]  # fmt: skip
        columns: list[Sequence[object]] = [
            campaign_ids, donor_ids, batch.day_texts, batch.amounts_minor, batch.currencies,
            batch.references, list(map(int, batch.anonymous)), hashes,
        ]  # fmt: skip
        constants = ["reverses_id", "recorded_at", "recorded_by"]
        for name, values in (("method", batch.methods), ("note", batch.notes)):
            if values.count(None) == len(values):
                constants.insert(0, name)
            else:
                names.append(name)
                columns.append(values)
        literals = ", ".join(["NULL"] * (len(constants) - 3) + [self.sqlite_shared])
        raw_connection(self.connection).executemany(
            f"INSERT INTO donation ({', '.join(names + constants)}) "  # noqa: S608 (names and literals of ours)
            f"VALUES ({placeholders(names)}, {literals})",
            zip(*columns, strict=True),
        )

    def _drop_secondary_indexes(self) -> None:
        self.dropped_indexes = [index for index in self.table.indexes if not index.unique]
        for index in self.dropped_indexes:
            index.drop(self.connection)
        if not self.sqlite:
            self.dropped_keys = sorted(self.table.foreign_key_constraints, key=_constraint_name)
            for key in self.dropped_keys:
                self.connection.execute(DropConstraint(key))

    def unreferenced(self) -> list[str]:
        """What the rows written without foreign keys refer to that the ledger lacks, each
        with the reference of a gift that does: what the keys would have refused. Before
        `finish`, which adds PostgreSQL's keys back (it would refuse them too, less clearly)."""
        problems = []
        for column, parent in foreign_key_columns(self.table):
            ids = {each for each in self.parent_ids.get(column.name, ()) if each is not None}
            for missing in absent_parents(self.connection, parent, ids)[:SHOWN]:
                reference = self.connection.scalar(
                    select(self.table.c.reference).where(column == missing).limit(1)
                )
                problems.append(
                    f"reference {reference!r}: its {parent.table.name} (#{missing}) is not in "
                    "the ledger"
                )
        return problems

    def finish(self) -> None:
        if self.dropped_indexes:
            with sorting_in_threads(self.connection):
                for index in self.dropped_indexes:
                    index.create(self.connection)
        for key in self.dropped_keys:
            self.connection.execute(AddConstraint(key))
        if self.dropped_indexes and not self.sqlite:
            # PostgreSQL's bulk-load advice: fresh statistics, or the next report is planned
            # blind until autovacuum comes by (a 1M-gift report took 7.8 s instead of 4.7 s).
            # Part of the import's transaction, like the rows it describes.
            self.connection.execute(text("ANALYZE donation, donor"))
        self.dropped_indexes = []
        self.dropped_keys = []


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(values: Sequence[str | None]) -> list[str]:
    """Text as COPY's text format writes it: backslash escapes, and \\N for NULL."""
    return ["\\N" if value is None else value.translate(_COPY_ESCAPES) for value in values]


def _constraint_name(constraint: ForeignKeyConstraint) -> str:
    return str(constraint.name)
