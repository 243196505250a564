"""A gift corrected: donation_correction (models.DonationCorrection), chained
(adapters/db/chain.py) and append-only. `fundledger donation correct` reverses a gift and
records it again as it should have been; this row links the two and keeps the reference.

A table of its own, not a column of donation: donation is chained, and a column added to it
would change the encoding of every row hashed before it. donation.reference stays unique
(among gifts as first recorded); the corrected gift's reference lives here. What the
database guarantees, as the unique reference did: a gift is corrected at most once
(`corrects_id` unique), a correction is one gift (`donation_id` unique), and only a gift
already reversed can be corrected (a trigger), so of a chain of corrections at most one gift
is not reversed: one live gift per reference. On SQLite a further trigger refuses the INSERT
OR REPLACE that would overwrite a link (REPLACE deletes without firing DELETE triggers).

The table starts empty: no row needs a hash or an audit event. A downgrade is refused while
it holds rows: dropping it would turn every correction into a gift with no reference.

Revision ID: 0016_donation_correction
Revises: 0015_import_profile
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import HASH_COLUMN
from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0016_donation_correction"
down_revision: str | None = "0015_import_profile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "donation_correction"
INDEX = "ix_donation_correction_reference"
REFUSAL = "only a reversed gift can be corrected, once, by a gift that is no reversal"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", Identifier, nullable=False),
        sa.Column("donation_id", Identifier, nullable=False),
        sa.Column("corrects_id", Identifier, nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["donation.id"],
            name=op.f("fk_donation_correction_donation_id_donation"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["donation.id"],
            name=op.f("fk_donation_correction_corrects_id_donation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation_correction")),
        sa.UniqueConstraint("donation_id", name=op.f("uq_donation_correction_donation_id")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_donation_correction_corrects_id")),
    )
    op.create_index(INDEX, TABLE, ["reference"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    _make_triggers(TABLE, sqlite)
    # The gift corrected is reversed; the correction is a gift (not a reversal) without a
    # reference of its own (it has this row's).
    wrong = (
        "NOT EXISTS (SELECT 1 FROM donation WHERE reverses_id = NEW.corrects_id) "
        "OR NOT EXISTS (SELECT 1 FROM donation WHERE id = NEW.donation_id "
        "AND reverses_id IS NULL AND reference IS NULL)"
    )
    if sqlite:
        op.execute(
            f"CREATE TRIGGER {TABLE}_guard BEFORE INSERT ON {TABLE} "  # noqa: S608 (constants)
            f"WHEN {wrong} OR EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id "
            "OR donation_id = NEW.donation_id OR corrects_id = NEW.corrects_id) "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE}: {REFUSAL}'); END"
        )
        return
    op.execute(
        f"""
        CREATE FUNCTION fundledger_correction_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF {wrong} THEN
                RAISE EXCEPTION '{TABLE}: {REFUSAL}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_guard BEFORE INSERT ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION fundledger_correction_guard()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.scalar(sa.text(f"SELECT count(*) FROM {TABLE}"))  # noqa: S608 (a constant)
    if rows:
        raise RuntimeError(
            f"cannot downgrade below {revision}: {TABLE} holds {rows} row(s), the gifts "
            "corrected, and dropping the table would leave each correction without its "
            "reference or the gift it corrects"
        )
    sqlite = bind.dialect.name == "sqlite"
    _drop_triggers(TABLE, sqlite)
    if sqlite:
        op.execute(f"DROP TRIGGER {TABLE}_guard")
    else:
        op.execute(f"DROP TRIGGER {TABLE}_guard ON {TABLE}")
        op.execute("DROP FUNCTION fundledger_correction_guard()")
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_table(TABLE)


def _make_triggers(table: str, sqlite: bool) -> None:
    """As 0001, 0013 and 0014 made them for the other append-only tables."""
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
