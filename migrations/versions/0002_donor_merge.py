"""Donor merges: recorded, reversible, append-only.

Revision ID: 0002_donor_merge
Revises: 0001_ledger
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0002_donor_merge"
down_revision: str | None = "0001_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "donor_merge",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("merged_donor_id", Identifier, nullable=False),
        sa.Column("into_donor_id", Identifier, nullable=True),
        sa.Column("undoes_id", Identifier, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "merged_donor_id <> into_donor_id", name=op.f("ck_donor_merge_two_donors")
        ),
        sa.CheckConstraint(
            "(undoes_id IS NULL) = (into_donor_id IS NOT NULL)",
            name=op.f("ck_donor_merge_merge_or_undo"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_donor_id"], ["donor.id"], name=op.f("fk_donor_merge_merged_donor_id_donor")
        ),
        sa.ForeignKeyConstraint(
            ["into_donor_id"], ["donor.id"], name=op.f("fk_donor_merge_into_donor_id_donor")
        ),
        sa.ForeignKeyConstraint(
            ["undoes_id"], ["donor_merge.id"], name=op.f("fk_donor_merge_undoes_id_donor_merge")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_merge")),
        sa.UniqueConstraint("undoes_id", name=op.f("uq_donor_merge_undoes_id")),
    )
    op.create_index(op.f("ix_donor_merge_merged_donor_id"), "donor_merge", ["merged_donor_id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER donor_merge_append_only_{action.lower()} "
                f"BEFORE {action} ON donor_merge BEGIN "
                f"SELECT RAISE(ABORT, 'donor_merge is append-only: {action} is not allowed; "
                f"record a reversal or a new entry instead'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER donor_merge_append_only BEFORE UPDATE OR DELETE ON donor_merge "
            "FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER donor_merge_append_only_truncate BEFORE TRUNCATE ON donor_merge "
            "FOR EACH STATEMENT EXECUTE FUNCTION fundledger_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER donor_merge_append_only_update")
        op.execute("DROP TRIGGER donor_merge_append_only_delete")
    else:
        op.execute("DROP TRIGGER donor_merge_append_only ON donor_merge")
        op.execute("DROP TRIGGER donor_merge_append_only_truncate ON donor_merge")
    op.drop_index(op.f("ix_donor_merge_merged_donor_id"), table_name="donor_merge")
    op.drop_table("donor_merge")
