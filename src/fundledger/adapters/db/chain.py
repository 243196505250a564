"""The hash chain that makes the ledger tamper-evident.

Each row of a chained table carries `chain_hash` = SHA-256 of the previous row's hash (by id;
64 zeros before the first) and a canonical encoding of the row's own fields: a JSON array of
every column but `id` and `chain_hash`, in table order, dates ISO, decimals exact. A row
changed or removed behind the ledger's back no longer fits the chain, even when the triggers
were dropped to do it; `fundledger check` recomputes it.

The hash is computed as the row is inserted (a mapper event), while the transaction holds the
chains: PostgreSQL takes one transaction lock for all of them (one per table could deadlock: a
receipt writes its row then its audit event, a reversal its audit event then its credit
receipt), so two treasurers never extend a chain from the same row; a SQLite writer holds the
whole file already. This encoding is part of every ledger written: it must never change."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, select, text
from sqlalchemy.orm import Mapper

GENESIS = "0" * 64
HASH_COLUMN = "chain_hash"


def canonical(values: Iterable[Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value

    return json.dumps([plain(value) for value in values], ensure_ascii=False,
                      separators=(",", ":"))  # fmt: skip


def link(previous: str, values: Iterable[Any]) -> str:
    return hashlib.sha256(f"{previous}\n{canonical(values)}".encode()).hexdigest()


def chained_columns(table: Table) -> list[str]:
    return [column.name for column in table.columns if column.name not in ("id", HASH_COLUMN)]


def verify(rows: Iterable[tuple[int, str | None, list[Any]]]) -> Iterator[tuple[int, str]]:
    """(id, what is wrong) for each row, in id order, that does not fit its chain: its own
    fields changed, or the row before it removed or moved. Each row is checked against the
    hash stored before it, so one tampered row is named once, not with every row after it."""
    previous = GENESIS
    for row_id, stored, values in rows:
        if stored is None:
            yield row_id, "has no chain hash"
        elif link(previous, values) != stored:
            yield row_id, ("does not fit the chain: it was changed, or the row before it was "
                           "removed or moved")  # fmt: skip
        previous = stored or previous


CHAIN_LOCK = zlib.crc32(b"fundledger chains") & 0x7FFFFFFF  # pg_advisory_xact_lock key
# In the connection's info, for the transaction under way (cleared as each one begins).
_HEADS = "fundledger_chain_heads"
_HELD = "fundledger_chains_held"


def hold_chains(connection: Connection) -> None:
    """Hold the chains until the transaction ends (PostgreSQL; a SQLite writer holds the file).
    A transaction that will also lock a receipt counter takes this first, so that every
    transaction takes the two in the same order and none waits on another that waits on it."""
    if connection.dialect.name == "postgresql" and not connection.info.get(_HELD):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
        connection.info[_HELD] = True


def _chain_head(connection: Connection, table: Table) -> str:
    """The last hash of `table`'s chain, with the chains held until the transaction ends."""
    heads: dict[str, str] = connection.info.setdefault(_HEADS, {})
    if table.name not in heads:
        hold_chains(connection)
        last = connection.execute(
            select(table.c[HASH_COLUMN]).order_by(table.c.id.desc()).limit(1)
        ).scalar()
        heads[table.name] = last or GENESIS
    return heads[table.name]


def chain_rows_of(model: type[Any]) -> None:
    """Give every row `model` inserts its chain hash."""
    table: Table = model.__table__
    names = chained_columns(table)

    @event.listens_for(model, "before_insert")
    def before_insert(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        previous = _chain_head(connection, table)
        value = link(previous, [getattr(target, name) for name in names])
        setattr(target, HASH_COLUMN, value)
        connection.info[_HEADS][table.name] = value


@event.listens_for(Engine, "begin")
def _forget_heads(connection: Connection) -> None:
    """Each transaction reads its chains' heads afresh (and takes their locks)."""
    connection.info.pop(_HEADS, None)
    connection.info.pop(_HELD, None)
