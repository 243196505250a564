"""The donor and gift look-ups and the donor writer of a file import, past the ORM where the
database allows it (design.md §12: dialect branches, COPY and raw driver SQL live in
adapters/db). services/donation_import.py decides what to look up and write; this module only
knows how each database does it fastest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fundledger.adapters.db.bulk import one_of, placeholders, raw_connection
from fundledger.adapters.db.engine import is_sqlite
from fundledger.adapters.db.models import Donor

# A new donor's stored values, in the table's order: name, email, email_key, name_key,
# loose_key (then its tax_id, None, and its created_at, given apart).
DonorValues = Sequence[Any]

_STORED_GIFT_COLUMNS = (
    "d.reference, d.id, d.donation_date, d.amount_minor, d.currency, d.anonymous, d.method, "
    "d.note, c.slug, o.email_key, o.name_key"
)


def donor_ids_by(
    session: Session, column: Any, keys: list[str], *, without_email: bool = False
) -> list[tuple[str, int]]:
    """(key, donor id) pairs of the donors whose `column` is one of `keys` (only those
    without an e-mail, if `without_email`), newest first. On SQLite the query goes straight
    to the driver: compiling a 5,000-value IN list costs three times the query itself."""
    connection = session.connection()
    if is_sqlite(connection):
        condition = " AND email_key IS NULL" if without_email else ""
        found: list[tuple[str, int]] = (
            raw_connection(connection)
            .execute(
                f"SELECT {column.key}, id FROM donor "  # noqa: S608 (a column name of ours)
                f"WHERE {column.key} IN ({placeholders(keys)}){condition} ORDER BY id DESC",
                keys,
            )
            .fetchall()
        )
        return found
    query = select(column, Donor.id).where(one_of(session, column, keys))
    if without_email:
        query = query.where(Donor.email_key.is_(None))
    return [(key, donor_id) for key, donor_id in session.execute(query.order_by(
        Donor.id.desc()))]  # fmt: skip


def insert_donors(
    session: Session,
    values: Sequence[DonorValues],
    hashes: Sequence[str],
    created_at: datetime,
) -> list[int]:
    """Write new donors with their chain hashes, bypassing the ORM; their ids, in order.
    The hashes were computed (and on PostgreSQL the chains held) before: the ids follow."""
    connection = session.connection()
    if is_sqlite(connection):
        # This transaction is the only writer (BEGIN IMMEDIATE): the next ids are ours to
        # give, and the driver inserts 50,000 donors in a blink.
        first_id = (session.scalar(select(func.max(Donor.id))) or 0) + 1
        processor = Donor.created_at.type.bind_processor(connection.dialect)
        stamp = processor(created_at) if processor else created_at
        new_ids = list(range(first_id, first_id + len(values)))
        raw_connection(connection).executemany(
            "INSERT INTO donor (id, name, email, email_key, name_key, loose_key, created_at, "
            "chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(donor_id, *value[:5], stamp, chain_hash)
             for donor_id, value, chain_hash in zip(new_ids, values, hashes, strict=True)],
        )  # fmt: skip
        return new_ids
    # PostgreSQL: the ids taken from the table's sequence at once, the rows copied in with
    # them. (An executemany, then the ids read back by key: a 1M-gift import's 50,000 donors
    # took 2.2 s so, 1.1 s now.)
    reserved = sorted(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence('donor', 'id')) "
             "FROM generate_series(1, :count)"),
        {"count": len(values)},
    ))  # fmt: skip
    copy_donors = (
        "COPY donor (id, name, email, email_key, name_key, loose_key, created_at, chain_hash) "
        "FROM STDIN"
    )
    with raw_connection(connection).cursor() as cursor, cursor.copy(copy_donors) as copy:
        for donor_id, value, chain_hash in zip(reserved, values, hashes, strict=True):
            copy.write_row((donor_id, *value[:5], created_at, chain_hash))
    return reserved


def stored_gift_rows(session: Session, references: list[str]) -> list[tuple[Any, ...]] | None:
    """The stored gifts with these references as (reference, id, date, amount_minor,
    currency, anonymous, method, note, campaign slug, donor email_key, donor name_key),
    straight through SQLite's driver (the import runs this once per chunk); None on
    PostgreSQL, where the caller's ORM query is as fast."""
    connection = session.connection()
    if not is_sqlite(connection):
        return None
    cursor = raw_connection(connection).execute(
        f"SELECT {_STORED_GIFT_COLUMNS} FROM donation d "  # noqa: S608 (constant columns)
        "JOIN campaign c ON c.id = d.campaign_id LEFT JOIN donor o ON o.id = d.donor_id "
        f"WHERE d.reference IN ({placeholders(references)})",
        references,
    )
    return [
        (*found[:2], date.fromisoformat(found[2]), *found[3:5], bool(found[5]), *found[6:])
        for found in cursor.fetchall()
    ]


def next_id(session: Session, table: str) -> int:
    """The id the next row of `table` would take, read without taking it (a check of an
    import names the ids its gifts and donors would take). On SQLite one past the largest
    (an INTEGER PRIMARY KEY without AUTOINCREMENT); on PostgreSQL the next value of the
    column's sequence, which a rolled-back transaction leaves advanced, so it can be past
    the largest id."""
    if is_sqlite(session.connection()):
        largest = session.scalar(text(f"SELECT max(id) FROM {table}"))  # noqa: S608 (ours)
        return int(largest or 0) + 1
    sequence = session.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"),
                              {"table": table})  # fmt: skip
    last, called = session.execute(
        text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 (PostgreSQL's name)
    ).one()
    return int(last) + 1 if called else int(last)
