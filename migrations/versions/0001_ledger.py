"""The ledger: campaigns, donors, donations, exchange rates, audit events; append-only triggers.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.types import ExactDecimal, Identifier, UTCDateTime

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("donation", "exchange_rate", "audit_event")


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("goal_minor", sa.BigInteger(), nullable=True),
        sa.Column("goal_currency", sa.String(3), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("partner", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(goal_minor IS NULL) = (goal_currency IS NULL)",
            name=op.f("ck_campaign_goal_has_currency"),
        ),
        sa.CheckConstraint(
            "goal_minor IS NULL OR goal_minor > 0", name=op.f("ck_campaign_goal_positive")
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date",
            name=op.f("ck_campaign_dates_in_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaign_slug")),
    )
    op.create_table(
        "donor",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("email_key", sa.String(254), nullable=True),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor")),
        sa.UniqueConstraint("email_key", name=op.f("uq_donor_email_key")),
    )
    op.create_index(op.f("ix_donor_name_key"), "donor", ["name_key"])
    op.create_table(
        "donation",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("campaign_id", Identifier, nullable=False),
        sa.Column("donor_id", Identifier, nullable=True),
        sa.Column("donation_date", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column(
            "anonymous",
            sa.Boolean(create_constraint=True, name="anonymous"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reverses_id", Identifier, nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_minor > 0)"
            " OR (reverses_id IS NOT NULL AND amount_minor < 0)",
            name=op.f("ck_donation_sign_matches_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_donation_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donor.id"], name=op.f("fk_donation_donor_id_donor")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["donation.id"], name=op.f("fk_donation_reverses_id_donation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation")),
        sa.UniqueConstraint("reference", name=op.f("uq_donation_reference")),
    )
    op.create_index(op.f("ix_donation_donor_id"), "donation", ["donor_id"])
    op.create_index("ix_donation_campaign_date", "donation", ["campaign_id", "donation_date"])
    op.create_index(
        "uq_donation_reverses_id",
        "donation",
        ["reverses_id"],
        unique=True,
        sqlite_where=sa.text("reverses_id IS NOT NULL"),
        postgresql_where=sa.text("reverses_id IS NOT NULL"),
    )
    op.create_table(
        "exchange_rate",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("base", sa.String(3), nullable=False),
        sa.Column("quote", sa.String(3), nullable=False),
        sa.Column("rate", ExactDecimal(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.CheckConstraint("base <> quote", name=op.f("ck_exchange_rate_two_currencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
    )
    op.create_index("ix_exchange_rate_pair_date", "exchange_rate", ["base", "quote", "rate_date"])
    op.create_index("ix_exchange_rate_date", "exchange_rate", ["rate_date"])
    op.create_table(
        "audit_event",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("command", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=True),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_table("audit_event")
    op.drop_index("ix_exchange_rate_date", table_name="exchange_rate")
    op.drop_index("ix_exchange_rate_pair_date", table_name="exchange_rate")
    op.drop_table("exchange_rate")
    op.drop_index("uq_donation_reverses_id", table_name="donation")
    op.drop_index("ix_donation_campaign_date", table_name="donation")
    op.drop_index(op.f("ix_donation_donor_id"), table_name="donation")
    op.drop_table("donation")
    op.drop_index(op.f("ix_donor_name_key"), table_name="donor")
    op.drop_table("donor")
    op.drop_table("campaign")


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{action.lower()} "
                    f"BEFORE {action} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, '{table} is append-only: {action} is not allowed; "
                    f"record a reversal or a new entry instead'); END"
                )
        return
    op.execute(
        """
        CREATE FUNCTION fundledger_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % is not allowed; record a reversal or a new '
                'entry instead', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION fundledger_refuse_change()"
        )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_append_only_{action}")
        return
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER {table}_append_only_truncate ON {table}")
    op.execute("DROP FUNCTION fundledger_refuse_change()")
