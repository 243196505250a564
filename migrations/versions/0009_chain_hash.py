"""The hash chain (adapters/db/chain.py) on donor merges, settings, receipts and audit events:
a chain_hash column, filled in for the rows already there.

The rows are append-only: their UPDATE triggers are dropped for the fill and made again, in
this one transaction.

Revision ID: 0009_chain_hash
Revises: 0008_receipt_insert_guards
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import GENESIS, HASH_COLUMN, canonical, chained_columns, link
from fundledger.adapters.db.models import AuditEvent, DonorMerge, Receipt, Setting

revision: str = "0009_chain_hash"
down_revision: str | None = "0008_receipt_insert_guards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (DonorMerge.__table__, Setting.__table__, Receipt.__table__, AuditEvent.__table__)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table in TABLES:
        op.add_column(table.name, sa.Column(HASH_COLUMN, sa.String(64), nullable=True))
        _drop_update_trigger(table.name, sqlite)
        names = chained_columns(table)
        previous = GENESIS
        rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in names))
                            .order_by(table.c.id)).all()  # fmt: skip
        for row_id, *values in rows:
            previous = link(previous, canonical(values))
            bind.execute(sa.update(table).where(table.c.id == row_id)
                         .values({HASH_COLUMN: previous}))  # fmt: skip
        _make_update_trigger(table.name, sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        _drop_update_trigger(table.name, sqlite)
        op.drop_column(table.name, HASH_COLUMN)  # SQLite 3.35+ drops a column in place
        _make_update_trigger(table.name, sqlite)


def _drop_update_trigger(table: str, sqlite: bool) -> None:
    if sqlite:
        op.execute(f"DROP TRIGGER {table}_append_only_update")
    else:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")


def _make_update_trigger(table: str, sqlite: bool) -> None:
    """As 0001, 0002, 0005 and 0006 made it."""
    if sqlite:
        op.execute(
            f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed; record a "
            "reversal or a new entry instead'); END"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
        )
