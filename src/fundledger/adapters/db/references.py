"""Foreign keys checked after the rows are written, for a transaction that writes without
them (`engine.for_bulk_loading`; PostgreSQL's bulk load drops the donation table's keys too).

The check must refuse what the keys would have refused. A bulk writer knows every parent id
it handed the database (`absent_parents`: a few thousand distinct ids, looked up once, where
the keys looked up two per row); rows written any other way in the same transaction are
checked from the table itself, those past the ids it held when the transaction began
(`last_ids`, `rows_without_parents`). Parents are never deleted (the ledger's triggers), so a
parent found at the end was there when its rows were written."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Column, Connection, Table, func, select

from fundledger.adapters.db.models import Base

LOOKUP_IDS = 5_000  # ids in one IN list
SHOWN = 5  # rows without a parent named in a refusal, per key


def foreign_key_columns(table: Table) -> list[tuple[Column[int], Column[int]]]:
    """(column, the parent's column it refers to) for each single-column foreign key."""
    return [
        (next(iter(key.columns)), next(iter(key.elements)).column)
        for key in sorted(table.foreign_key_constraints, key=lambda key: str(key.name))
        if len(key.columns) == 1
    ]


def referencing_tables() -> list[Table]:
    """The ledger's tables with foreign keys."""
    return [table for table in Base.metadata.sorted_tables if table.foreign_key_constraints]


def last_ids(connection: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """The largest id of each of `tables` now (0 for an empty one)."""
    return {
        table.name: int(connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
        for table in tables
    }


def absent_parents(connection: Connection, parent: Column[int], ids: Collection[int]) -> list[int]:
    """Those of `ids` that no row of `parent`'s table holds, in order."""
    wanted = sorted(ids)
    found: set[int] = set()
    for start in range(0, len(wanted), LOOKUP_IDS):
        chunk = wanted[start : start + LOOKUP_IDS]
        found.update(connection.scalars(select(parent).where(parent.in_(chunk))))
    return [each for each in wanted if each not in found]


def rows_without_parents(connection: Connection, table: Table, after_id: int) -> list[str]:
    """The rows of `table` past `after_id` that refer to a row no table holds, described
    ("donor_revision #7: donor_id 12 (no such donor)"), at most SHOWN per key."""
    problems: list[str] = []
    for column, parent in foreign_key_columns(table):
        missing = (
            select(table.c.id, column)
            .where(table.c.id > after_id, column.is_not(None), column.not_in(select(parent)))
            .order_by(table.c.id)
            .limit(SHOWN)
        )
        problems.extend(
            f"{table.name} #{row_id}: {column.name} {value} (no such {parent.table.name})"
            for row_id, value in connection.execute(missing)
        )
    return problems
