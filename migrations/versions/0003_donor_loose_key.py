"""Donors get a loose key (name without case, spaces, punctuation or diacritics), indexed, so
likely duplicates are found by the database instead of by reading every donor.

Revision ID: 0003_donor_loose_key
Revises: 0002_donor_merge
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.domain.donors import loose_name

revision: str = "0003_donor_loose_key"
down_revision: str | None = "0002_donor_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("donor", sa.Column("loose_key", sa.String(200), nullable=True))
    connection = op.get_bind()
    donor = sa.table("donor", sa.column("id"), sa.column("name"), sa.column("loose_key"))
    for donor_id, name in connection.execute(sa.select(donor.c.id, donor.c.name)).all():
        connection.execute(
            donor.update().where(donor.c.id == donor_id).values(loose_key=loose_name(name))
        )
    with op.batch_alter_table("donor") as batch:
        batch.alter_column("loose_key", existing_type=sa.String(200), nullable=False)
        batch.create_index(batch.f("ix_donor_loose_key"), ["loose_key"])


def downgrade() -> None:
    with op.batch_alter_table("donor") as batch:
        batch.drop_index(batch.f("ix_donor_loose_key"))
        batch.drop_column("loose_key")
