"""Creating and upgrading a ledger's schema."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import for_writing
from fundledger.adapters.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    known_revisions,
)
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext, record_audit


@dataclass(frozen=True, slots=True)
class SchemaChange:
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def initialize_ledger(engine: Engine, context: CommandContext) -> SchemaChange:
    """Run the migrations to head and record it, all in one transaction. Idempotent."""
    from alembic import command  # only init runs Alembic (see adapters/db/migrate.py)

    with for_writing(engine).begin() as connection:
        before = current_revision(connection)
        _refuse_unknown_revision(before)
        command.upgrade(alembic_config(connection), "head")
        after = current_revision(connection)
        change = SchemaChange(before, after)
        if change.changed:
            with Session(bind=connection) as session:
                record_audit(
                    session,
                    context,
                    "schema.upgrade",
                    details={"from": before, "to": after},
                )
                session.flush()
    return change


def _refuse_unknown_revision(revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise FundledgerError(
            f"this ledger's schema ({revision}) was made by a newer fundledger than this one: "
            "upgrade fundledger before using it"
        )


def require_ledger(connection: Connection) -> None:
    """Refuse a database that holds no fundledger ledger at all (whatever its schema)."""
    if not inspect(connection).has_table("alembic_version"):
        raise FundledgerError("this database has no fundledger ledger yet: run `fundledger init`")


def schema_is_current(connection: Connection) -> bool:
    """Whether the ledger's schema is the one this program writes (`check` reports an older
    one instead of refusing it)."""
    return current_revision(connection) == head_revision()


def require_current_schema(connection: Connection) -> None:
    """Refuse to work on a ledger whose schema is missing or older than this program."""
    head = head_revision()
    current = current_revision(connection)
    if current is None:  # no ledger, or one whose schema was never made: which is it
        require_ledger(connection)
    _refuse_unknown_revision(current)
    if current != head:
        raise FundledgerError(
            f"this ledger's schema is at revision {current}, this fundledger needs {head}: "
            "run `fundledger init` to upgrade it"
        )
