"""Organisation settings: append-only key/value history.

Revision ID: 0005_setting
Revises: 0004_donation_report_index
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0005_setting"
down_revision: str | None = "0004_donation_report_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting")),
    )
    op.create_index("ix_setting_key_id", "setting", ["key", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER setting_append_only_{action.lower()} "
                f"BEFORE {action} ON setting BEGIN "
                f"SELECT RAISE(ABORT, 'setting is append-only: {action} is not allowed; "
                f"record a reversal or a new entry instead'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER setting_append_only BEFORE UPDATE OR DELETE ON setting "
            "FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER setting_append_only_truncate BEFORE TRUNCATE ON setting "
            "FOR EACH STATEMENT EXECUTE FUNCTION fundledger_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER setting_append_only_update")
        op.execute("DROP TRIGGER setting_append_only_delete")
    else:
        op.execute("DROP TRIGGER setting_append_only ON setting")
        op.execute("DROP TRIGGER setting_append_only_truncate ON setting")
    op.drop_index("ix_setting_key_id", table_name="setting")
    op.drop_table("setting")
