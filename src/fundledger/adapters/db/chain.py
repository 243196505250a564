"""The hash chain that makes the ledger tamper-evident.

Each row of a chained table carries `chain_hash` = SHA-256 of the previous row's hash (by id;
64 zeros before the first) and a canonical encoding of the row's own fields: a JSON array of
every column but `id` and `chain_hash`, in table order, dates ISO, decimals exact. A row
changed or removed behind the ledger's back no longer fits the chain, even when the triggers
were dropped to do it; `fundledger check` recomputes it.

The hash is computed as the row is inserted (a mapper event; `extend` for the writers that
bypass the ORM), while the transaction holds the chains: PostgreSQL takes one transaction lock
for all of them (one per table could deadlock: a receipt writes its row then its audit event, a
reversal its audit event then its credit receipt), so two treasurers never extend a chain from
the same row; a SQLite writer holds the whole file already. Each audit event names the heads of
the chains its transaction extended and where it started extending each, the head before its
first row (services.context.record_audit), so rows cut from the end of a chain are missed, and
rows no audit event's range covers were written without one: `check` names both. What is left,
the end of the audit trail itself, is covered by its last hash noted outside the ledger
(`check --anchor`). The encoding is fundledger.domain.canonical's."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, select, text
from sqlalchemy.orm import Mapper

from fundledger.domain.canonical import GENESIS, canonical, link, links

__all__ = [
    "GENESIS", "HASH_COLUMN", "canonical", "chain_rows_of", "chained_columns", "extend",
    "extend_with", "extended_heads", "extended_starts", "hold_chains", "link", "verify",
    "with_chain_hashes",
]  # fmt: skip

HASH_COLUMN = "chain_hash"


def chained_columns(table: Table) -> list[str]:
    return [column.name for column in table.columns if column.name not in ("id", HASH_COLUMN)]


def verify(table: str, rows: Iterable[tuple[int, str | None, str]]) -> Iterator[tuple[int, str]]:
    """(id, what is wrong) for each row of `table`, given in id order with its stored hash and
    its canonical encoding, that does not fit its chain: its own fields changed, or the row
    before it removed or moved. Each row is checked against the hash stored before it, so one
    tampered row is named once, not with every row after it."""
    previous, previous_id = GENESIS, 0
    for row_id, stored, line in rows:
        if stored is None:
            yield row_id, f"{table} #{row_id} has no chain hash"
        elif link(previous, line) != stored:
            yield row_id, _misfit(table, row_id, previous_id)
        previous, previous_id = stored or previous, row_id


def _misfit(table: str, row_id: int, previous_id: int) -> str:
    """What a row that does not fit after the row `previous_id` (0: none) most likely means.
    Ids run on by one as rows are added; a gap before a row that no longer fits most likely
    held the rows removed. It is only likely: a PostgreSQL insert rolled back leaves a gap
    too, and then the row itself was changed."""
    if row_id <= previous_id + 1:
        return (f"{table} #{row_id} does not fit the chain: it was changed, or the row before it "
                "was removed or moved")  # fmt: skip
    first, last = previous_id + 1, row_id - 1
    missing = f"#{first} is" if first == last else f"#{first} to #{last} are"
    after = f"after #{previous_id}" if previous_id else "at its start"
    return (f"{table} {missing} missing, most likely removed: #{row_id} no longer fits the "
            f"chain {after} (or #{row_id} itself was changed)")  # fmt: skip


CHAIN_LOCK = zlib.crc32(b"fundledger chains") & 0x7FFFFFFF  # pg_advisory_xact_lock key
# In the connection's info, for the transaction under way (cleared as each one begins).
_HEADS = "fundledger_chain_heads"
_STARTS = "fundledger_chain_starts"  # each chain's head as the transaction first extended it
_HELD = "fundledger_chains_held"


def extended_heads(connection: Connection) -> dict[str, str]:
    """The last hash of each chain this transaction has extended so far, by table."""
    return dict(connection.info.get(_HEADS, {}))


def extended_starts(connection: Connection) -> dict[str, str]:
    """The hash of the row each chain this transaction has extended so far held last before
    the transaction's first row of it (GENESIS for a chain that was empty), by table: the
    transaction's rows of a chain are those after it, up to its `extended_heads` hash."""
    return dict(connection.info.get(_STARTS, {}))


def hold_chains(connection: Connection) -> None:
    """Hold the chains until the transaction ends (PostgreSQL; a SQLite writer holds the file).
    A transaction that will also lock a receipt counter takes this first, so that every
    transaction takes the two in the same order and none waits on another that waits on it."""
    if connection.dialect.name == "postgresql" and not connection.info.get(_HELD):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
        connection.info[_HELD] = True


def try_hold_chains(connection: Connection) -> bool:
    """Hold the chains as `hold_chains` does, if no other transaction holds them now; False
    (and nothing held) if one does."""
    if connection.dialect.name == "postgresql" and not connection.info.get(_HELD):
        held = connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                 {"key": CHAIN_LOCK})  # fmt: skip
        if not held:
            return False
        connection.info[_HELD] = True
    return True


def _chain_head(connection: Connection, table: Table) -> str:
    """The last hash of `table`'s chain, with the chains held until the transaction ends."""
    heads: dict[str, str] = connection.info.setdefault(_HEADS, {})
    if table.name not in heads:
        hold_chains(connection)
        last = connection.execute(
            select(table.c[HASH_COLUMN]).order_by(table.c.id.desc()).limit(1)
        ).scalar()
        heads[table.name] = last or GENESIS
        connection.info.setdefault(_STARTS, {})[table.name] = heads[table.name]
    return heads[table.name]


def chain_rows_of(model: type[Any]) -> None:
    """Give every row `model` inserts its chain hash."""
    table: Table = model.__table__
    names = chained_columns(table)

    @event.listens_for(model, "before_insert")
    def before_insert(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        (value,) = extend(connection, table, [canonical(getattr(target, name) for name in names)])
        setattr(target, HASH_COLUMN, value)


def with_chain_hashes(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`rows` (each a value for every chained column), about to be inserted in this order by
    a Core insert, each with its chain hash."""
    names = chained_columns(table)
    hashes = extend(connection, table, [canonical(row[name] for name in names) for row in rows])
    return [{**row, HASH_COLUMN: value} for row, value in zip(rows, hashes, strict=True)]


def extend(connection: Connection, table: Table, lines: Iterable[str]) -> list[str]:
    """The chain hashes of rows about to be appended to `table`, given their canonical
    encodings in the order they will be inserted (and so take their ids). For writers that
    bypass the ORM; the chains are held until the transaction ends."""
    return extend_with(connection, table, lambda previous: links(previous, lines))


def extend_with(
    connection: Connection, table: Table, chain_from: Callable[[str], list[str]]
) -> list[str]:
    """As `extend`, for a writer that links its rows itself: `chain_from(head)` gives the hashes
    of the rows to append after the row whose hash is `head`."""
    hashes = chain_from(_chain_head(connection, table))
    if hashes:
        connection.info[_HEADS][table.name] = hashes[-1]
    return hashes


@event.listens_for(Engine, "begin")
def _forget_heads(connection: Connection) -> None:
    """Each transaction reads its chains' heads afresh (and takes their locks)."""
    connection.info.pop(_HEADS, None)
    connection.info.pop(_STARTS, None)
    connection.info.pop(_HELD, None)
