"""INSERT ... ON CONFLICT, which SQLAlchemy spells per database."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import is_postgresql

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

Upsert: TypeAlias = "postgresql.Insert | sqlite.Insert"


def upsert_into(bind: Connection | Session, table: Table | type[object]) -> Upsert:
    """An INSERT into `table` (a table or a model) that takes `on_conflict_do_nothing` and
    `on_conflict_do_update`, in the dialect of `bind`. Each dialect's package is imported
    here, when its ledger is written, not with the module: a SQLite ledger's command never
    loads PostgreSQL's (with its drivers, 25 ms of start-up)."""
    if is_postgresql(bind):
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
