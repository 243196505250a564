"""Receipts that reach donors and the Tax Authority: tax_report (models.TaxReport), the numbers
the "Israel Donations" system returned for gifts and cancellations reported to it, and delivery
(models.Delivery), each attempt to send a receipt or a statement by e-mail and what the mail
server answered. Both are chained (adapters/db/chain.py) and append-only.

Both tables start empty, so no row needs a hash filled in or an audit event to cover it. A
downgrade is refused while either holds rows: dropping them would lose which gifts were
reported and which documents reached their donors.

Revision ID: 0020_tax_report_delivery
Revises: 0019_check_run
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import HASH_COLUMN
from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0020_tax_report_delivery"
down_revision: str | None = "0019_check_run"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("tax_report", "delivery")


def upgrade() -> None:
    op.create_table(
        "tax_report",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("donation_id", Identifier, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donation.id"], name=op.f("fk_tax_report_donation_id_donation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_report")),
    )
    op.create_index("ix_tax_report_donation_id_id", "tax_report", ["donation_id", "id"])
    # Whether a number is in force for another gift already: asked of each row `tax import`
    # records, so found by its number, not by reading the whole table.
    op.create_index("ix_tax_report_number", "tax_report", ["number"])
    op.create_table(
        "delivery",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("document", sa.String(16), nullable=False),
        sa.Column("receipt_id", Identifier, nullable=True),
        sa.Column("donor_id", Identifier, nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("attachment_sha256", sa.String(64), nullable=True),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("attempted_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.CheckConstraint(
            "document IN ('receipt', 'statement')", name=op.f("ck_delivery_document_known")
        ),
        sa.CheckConstraint(
            "outcome IN ('sending', 'sent', 'failed')", name=op.f("ck_delivery_outcome_known")
        ),
        sa.CheckConstraint(
            "(document = 'receipt') = (receipt_id IS NOT NULL)",
            name=op.f("ck_delivery_receipt_named"),
        ),
        sa.CheckConstraint(
            "(document = 'statement') = (year IS NOT NULL)", name=op.f("ck_delivery_year_named")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_delivery_receipt_id_receipt")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donor.id"], name=op.f("fk_delivery_donor_id_donor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    op.create_index("ix_delivery_receipt_id", "delivery", ["receipt_id"])
    op.create_index("ix_delivery_donor_id_year", "delivery", ["donor_id", "year"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        _make_triggers(table, sqlite)


def downgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        rows = bind.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (constants)
        if rows:
            raise RuntimeError(
                f"cannot downgrade below {revision}: {table} holds {rows} row(s), the record "
                "of what was reported to the Tax Authority and sent to donors, and dropping "
                "it would silently lose them"
            )
    sqlite = bind.dialect.name == "sqlite"
    for table in TABLES:
        _drop_triggers(table, sqlite)
    op.drop_index("ix_delivery_donor_id_year", table_name="delivery")
    op.drop_index("ix_delivery_receipt_id", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_tax_report_number", table_name="tax_report")
    op.drop_index("ix_tax_report_donation_id_id", table_name="tax_report")
    op.drop_table("tax_report")


def _make_triggers(table: str, sqlite: bool) -> None:
    """As 0001, 0013 and 0018 made them for the other append-only tables."""
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only_{action.lower()} "
                f"BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: {action} is not allowed; "
                f"record a reversal or a new entry instead'); END"
            )
        return
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION fundledger_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION fundledger_refuse_change()"
    )


def _drop_triggers(table: str, sqlite: bool) -> None:
    if sqlite:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_append_only_{action}")
        return
    op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute(f"DROP TRIGGER {table}_append_only_truncate ON {table}")
