"""Locks that serialize one kind of writer with itself, whatever the database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import is_postgresql


def hold_until_commit(session: Session, key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock named `key`: PostgreSQL's
    advisory lock. A SQLite writer holds the whole database already (BEGIN IMMEDIATE), so
    there it is nothing."""
    if is_postgresql(session):
        session.execute(select(func.pg_advisory_xact_lock(key)))
