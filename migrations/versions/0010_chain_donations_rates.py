"""The hash chain (adapters/db/chain.py) on donations and exchange rates: a chain_hash column,
filled in for the rows already there.

The rows are append-only: their UPDATE triggers are dropped for the fill and made again, in
this one transaction.

Revision ID: 0010_chain_donations_rates
Revises: 0009_chain_hash
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import GENESIS, HASH_COLUMN, canonical, link
from fundledger.adapters.db.models import Donation, ExchangeRate

revision: str = "0010_chain_donations_rates"
down_revision: str | None = "0009_chain_hash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table's columns as the chain encodes them (all but id and the hash, in table order).
CHAINED = {
    Donation.__table__: (
        "campaign_id", "donor_id", "donation_date", "amount_minor", "currency", "method",
        "reference", "anonymous", "note", "reverses_id", "recorded_at", "recorded_by",
    ),
    ExchangeRate.__table__: (
        "rate_date", "base", "quote", "rate", "source", "recorded_at", "recorded_by",
    ),
}  # fmt: skip
UPDATE_BATCH = 10_000


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table, names in CHAINED.items():
        op.add_column(table.name, sa.Column(HASH_COLUMN, sa.String(64), nullable=True))
        _drop_update_trigger(table.name, sqlite)
        fill = sa.update(table).where(table.c.id == sa.bindparam("row_id"))
        fill = fill.values({HASH_COLUMN: sa.bindparam("hash")})
        rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in names))
                            .order_by(table.c.id)).all()  # fmt: skip
        previous = GENESIS
        hashes = []
        for row_id, *values in rows:
            previous = link(previous, canonical(values))
            hashes.append({"row_id": row_id, "hash": previous})
            if len(hashes) == UPDATE_BATCH:
                bind.execute(fill, hashes)
                hashes = []
        if hashes:
            bind.execute(fill, hashes)
        _make_update_trigger(table.name, sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in CHAINED:
        _drop_update_trigger(table.name, sqlite)
        op.drop_column(table.name, HASH_COLUMN)  # SQLite 3.35+ drops a column in place
        _make_update_trigger(table.name, sqlite)


def _drop_update_trigger(table: str, sqlite: bool) -> None:
    if sqlite:
        op.execute(f"DROP TRIGGER {table}_append_only_update")
    else:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")


def _make_update_trigger(table: str, sqlite: bool) -> None:
    """As 0001 made it."""
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
