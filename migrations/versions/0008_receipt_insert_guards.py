"""Receipts on SQLite: INSERT OR REPLACE cannot rewrite a receipt or restart a counter.

SQLite's REPLACE deletes the row it conflicts with without firing DELETE triggers, so the
append-only triggers of 0006 did not see it. A receipt that conflicts with one already issued
is refused; a counter row that exists already is left alone (as ON CONFLICT DO NOTHING does).
On both databases a new counter starts at zero. PostgreSQL has no REPLACE: its UPDATE triggers
cover ON CONFLICT DO UPDATE.

Revision ID: 0008_receipt_insert_guards
Revises: 0007_donor_tax_id
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_receipt_insert_guards"
down_revision: str | None = "0007_donor_tax_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(
            """
            CREATE FUNCTION fundledger_counter_starts_at_zero() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.last_number <> 0 THEN
                    RAISE EXCEPTION 'a receipt counter starts at zero'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER receipt_counter_starts_at_zero BEFORE INSERT ON receipt_counter "
            "FOR EACH ROW EXECUTE FUNCTION fundledger_counter_starts_at_zero()"
        )
        return
    op.execute(
        "CREATE TRIGGER receipt_insert_only_new BEFORE INSERT ON receipt "
        "WHEN EXISTS (SELECT 1 FROM receipt WHERE id = NEW.id "
        "OR donation_id = NEW.donation_id OR credits_id = NEW.credits_id "
        "OR (series = NEW.series AND year = NEW.year AND number = NEW.number)) "
        "BEGIN SELECT RAISE(ABORT, 'receipt is append-only: a receipt with this id, "
        "donation or number was issued already'); END"
    )
    op.execute(
        "CREATE TRIGGER receipt_counter_starts_at_zero BEFORE INSERT ON receipt_counter "
        "WHEN NEW.last_number IS NOT 0 "
        "BEGIN SELECT RAISE(ABORT, 'a receipt counter starts at zero'); END"
    )
    op.execute(
        "CREATE TRIGGER receipt_counter_kept_on_insert BEFORE INSERT ON receipt_counter "
        "WHEN EXISTS (SELECT 1 FROM receipt_counter "
        "WHERE series = NEW.series AND year = NEW.year) "
        "BEGIN SELECT RAISE(IGNORE); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER receipt_counter_starts_at_zero ON receipt_counter")
        op.execute("DROP FUNCTION fundledger_counter_starts_at_zero()")
        return
    for trigger in ("receipt_insert_only_new", "receipt_counter_starts_at_zero",
                    "receipt_counter_kept_on_insert"):  # fmt: skip
        op.execute(f"DROP TRIGGER {trigger}")
