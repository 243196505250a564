"""An index that holds every column a campaign report reads, ordered by campaign, method, date,
currency and amount: SQLite sums a million gifts from it without sorting them or reading the
table (see `fundledger.services.reports`). On SQLite only.

Revision ID: 0004_donation_report_index
Revises: 0003_donor_loose_key
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_donation_report_index"
down_revision: str | None = "0003_donor_loose_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "campaign_id",
    "method",
    "donation_date",
    "currency",
    "amount_minor",
    "anonymous",
    "donor_id",
    "reverses_id",
]


def upgrade() -> None:
    # SQLite only (see the model): PostgreSQL groups by hashing and has no use for it.
    if op.get_context().dialect.name == "sqlite":
        op.create_index("ix_donation_report", "donation", COLUMNS)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.drop_index("ix_donation_report", table_name="donation")
