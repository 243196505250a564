"""The triggers that keep the ledger append-only and receipt numbers in order, as each database
names them (the migrations create them), and those a database has in force."""

from __future__ import annotations

from sqlalchemy import Connection, text

from fundledger.adapters.db.engine import is_sqlite
from fundledger.adapters.db.models import APPEND_ONLY_TABLES


def expected_triggers(connection: Connection) -> set[str]:
    """The triggers the migrations install in the database of `connection`."""
    if is_sqlite(connection):
        return {
            *(f"{table}_append_only_{action}" for table in APPEND_ONLY_TABLES
              for action in ("update", "delete")),
            "receipt_counter_step_only", "receipt_counter_kept", "receipt_insert_only_new",
            "receipt_counter_starts_at_zero", "receipt_counter_kept_on_insert",
            "donation_correction_guard",
        }  # fmt: skip
    return {
        *(f"{table}_append_only{suffix}" for table in APPEND_ONLY_TABLES
          for suffix in ("", "_truncate")),
        "receipt_counter_step_only", "receipt_counter_kept", "receipt_counter_starts_at_zero",
        "donation_correction_guard",
    }  # fmt: skip


def triggers_in_force(connection: Connection) -> set[str]:
    """The names of the triggers the database has and fires (PostgreSQL: enabled ones)."""
    listed = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if is_sqlite(connection)
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    )
    return set(connection.scalars(text(listed)))
