"""The runs of `fundledger check` (models.CheckRun): when, by whom, and the outcome, so that
a page can state the ledger's health without running a check of every row. A note about the
ledger, not part of its record: neither chained nor append-only, and it starts empty.

Revision ID: 0019_check_run
Revises: 0018_app_user
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0019_check_run"
down_revision: str | None = "0018_app_user"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "check_run"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", Identifier, nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("checked_by", sa.String(100), nullable=False),
        sa.Column("passed", sa.Boolean(create_constraint=True, name="passed"), nullable=False),
        sa.Column("failed", sa.Text(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_run")),
    )
    op.create_index(op.f("ix_check_run_checked_at"), TABLE, ["checked_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_check_run_checked_at"), table_name=TABLE)
    op.drop_table(TABLE)
