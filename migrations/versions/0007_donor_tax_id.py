"""Donors: the identity number their receipts state.

Revision ID: 0007_donor_tax_id
Revises: 0006_receipt
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_donor_tax_id"
down_revision: str | None = "0006_receipt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("donor") as batch:
        batch.add_column(sa.Column("tax_id", sa.String(9), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("donor") as batch:
        batch.drop_column("tax_id")
