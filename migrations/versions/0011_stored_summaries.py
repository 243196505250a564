"""Stored summaries: tables derived from the gifts and rates (fundledger.services.summary_store)
that a report reads instead of every gift. Created empty: the first report fills them.

Revision ID: 0011_stored_summaries
Revises: 0010_chain_donations_rates
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_stored_summaries"
down_revision: str | None = "0010_chain_donations_rates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDENTIFIER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "summary_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("donation_id", sa.BigInteger(), nullable=False),
        sa.Column("rate_id", sa.BigInteger(), nullable=False),
        sa.Column("derived_under", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_summary_state"),
    )
    op.create_table(
        "summary_factor",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("largest_minor", sa.BigInteger(), nullable=False),
        *(sa.Column(f"{name}_{part}", sa.Text(), nullable=False)
          for name in ("home", "reporting") for part in ("numerator", "denominator")),
        sa.Column("rate_sources", sa.Text(), nullable=False),
        sa.Column("rate_pairs", sa.Text(), nullable=False),
        sa.Column("first_rate_date", sa.Date(), nullable=True),
        sa.Column("last_rate_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("day", "currency", name="pk_summary_factor"),
    )  # fmt: skip
    op.create_table(
        "summary_cell",
        sa.Column("campaign_id", IDENTIFIER, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "gifts", "anonymous", "amount_minor", "home_minor", "reporting_minor")),
        sa.PrimaryKeyConstraint("campaign_id", "day", "currency", "method", "band",
                                name="pk_summary_cell"),
    )  # fmt: skip
    op.create_table(
        "summary_donor",
        sa.Column("campaign_id", IDENTIFIER, nullable=False),
        sa.Column("donor_id", IDENTIFIER, nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("gifts", "home_minor", "reporting_minor")),
        sa.PrimaryKeyConstraint("campaign_id", "donor_id", name="pk_summary_donor"),
    )  # fmt: skip
    op.create_table(
        "summary_gift",
        sa.Column("donation_id", IDENTIFIER, autoincrement=False, nullable=False),
        sa.Column("campaign_id", IDENTIFIER, nullable=False),
        sa.Column("home_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("donation_id", name="pk_summary_gift"),
    )
    op.create_index("ix_summary_gift_campaign_home", "summary_gift", ["campaign_id", "home_minor"])
    op.create_index("ix_summary_gift_home", "summary_gift", ["home_minor"])


def downgrade() -> None:
    for table in ("summary_gift", "summary_donor", "summary_cell", "summary_factor",
                  "summary_state"):  # fmt: skip
        op.drop_table(table)
