"""Receipts: numbered per series and year without gaps; append-only; the counter only steps up.

Revision ID: 0006_receipt
Revises: 0005_setting
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0006_receipt"
down_revision: str | None = "0005_setting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER_STEP_ONLY = "receipt_counter only steps up by one, in the transaction that issues a receipt"


def upgrade() -> None:
    op.create_table(
        "receipt_counter",
        sa.Column("series", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_number >= 0", name=op.f("ck_receipt_counter_not_negative")),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_receipt_counter")),
    )
    op.create_table(
        "receipt",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("series", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("donation_id", Identifier, nullable=False),
        sa.Column("credits_id", Identifier, nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_receipt_number_positive")),
        sa.CheckConstraint("kind IN ('donation', 'credit')", name=op.f("ck_receipt_kind_known")),
        sa.CheckConstraint(
            "(kind = 'credit') = (credits_id IS NOT NULL)", name=op.f("ck_receipt_credit_refers")
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donation.id"], name=op.f("fk_receipt_donation_id_donation")
        ),
        sa.ForeignKeyConstraint(
            ["credits_id"], ["receipt.id"], name=op.f("fk_receipt_credits_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("series", "year", "number", name="uq_receipt_series_year_number"),
        sa.UniqueConstraint("donation_id", name=op.f("uq_receipt_donation_id")),
        sa.UniqueConstraint("credits_id", name=op.f("uq_receipt_credits_id")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER receipt_append_only_{action.lower()} "
                f"BEFORE {action} ON receipt BEGIN "
                f"SELECT RAISE(ABORT, 'receipt is append-only: {action} is not allowed; "
                f"record a reversal or a new entry instead'); END"
            )
        op.execute(
            "CREATE TRIGGER receipt_counter_step_only BEFORE UPDATE ON receipt_counter "
            "WHEN NEW.series IS NOT OLD.series OR NEW.year IS NOT OLD.year "
            "OR NEW.last_number IS NOT OLD.last_number + 1 "
            f"BEGIN SELECT RAISE(ABORT, '{COUNTER_STEP_ONLY}'); END"
        )
        op.execute(
            "CREATE TRIGGER receipt_counter_kept BEFORE DELETE ON receipt_counter "
            f"BEGIN SELECT RAISE(ABORT, '{COUNTER_STEP_ONLY}'); END"
        )
        return
    op.execute(
        "CREATE TRIGGER receipt_append_only BEFORE UPDATE OR DELETE ON receipt "
        "FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER receipt_append_only_truncate BEFORE TRUNCATE ON receipt "
        "FOR EACH STATEMENT EXECUTE FUNCTION fundledger_refuse_change()"
    )
    op.execute(
        f"""
        CREATE FUNCTION fundledger_counter_step_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION '{COUNTER_STEP_ONLY}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF NEW.series IS DISTINCT FROM OLD.series OR NEW.year IS DISTINCT FROM OLD.year
                    OR NEW.last_number IS DISTINCT FROM OLD.last_number + 1 THEN
                RAISE EXCEPTION '{COUNTER_STEP_ONLY}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER receipt_counter_step_only BEFORE UPDATE OR DELETE ON receipt_counter "
        "FOR EACH ROW EXECUTE FUNCTION fundledger_counter_step_only()"
    )
    op.execute(
        "CREATE TRIGGER receipt_counter_kept BEFORE TRUNCATE ON receipt_counter "
        "FOR EACH STATEMENT EXECUTE FUNCTION fundledger_counter_step_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("receipt_append_only_update", "receipt_append_only_delete",
                        "receipt_counter_step_only", "receipt_counter_kept"):  # fmt: skip
            op.execute(f"DROP TRIGGER {trigger}")
    else:
        op.execute("DROP TRIGGER receipt_append_only ON receipt")
        op.execute("DROP TRIGGER receipt_append_only_truncate ON receipt")
        op.execute("DROP TRIGGER receipt_counter_step_only ON receipt_counter")
        op.execute("DROP TRIGGER receipt_counter_kept ON receipt_counter")
        op.execute("DROP FUNCTION fundledger_counter_step_only()")
    op.drop_table("receipt")
    op.drop_table("receipt_counter")
