"""INSERT ... ON CONFLICT, which SQLAlchemy spells per database."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import is_postgresql

Upsert = postgresql.Insert | sqlite.Insert


def upsert_into(bind: Connection | Session, table: Table | type[object]) -> Upsert:
    """An INSERT into `table` (a table or a model) that takes `on_conflict_do_nothing` and
    `on_conflict_do_update`, in the dialect of `bind`."""
    if is_postgresql(bind):
        return postgresql.insert(table)
    return sqlite.insert(table)
