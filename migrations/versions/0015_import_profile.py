"""Saved import profiles: import_profile (models.ImportProfile), chained (adapters/db/chain.py)
and append-only like the other tables; the latest row of a name is in force.

The table starts empty, so no row needs a hash filled in or an audit event to cover it; its
triggers are named as the other tables' are, so `fundledger check` finds them. A downgrade is
refused while the table holds rows: dropping it would silently lose the saved profiles.

Revision ID: 0015_import_profile
Revises: 0014_campaign_name
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import HASH_COLUMN
from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0015_import_profile"
down_revision: str | None = "0014_campaign_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "import_profile"
INDEX = "ix_import_profile_name_id"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", Identifier, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_profile")),
    )
    op.create_index(INDEX, TABLE, ["name", "id"])
    _make_triggers(TABLE, op.get_bind().dialect.name == "sqlite")


def downgrade() -> None:
    bind = op.get_bind()
    names = bind.scalar(sa.text(f"SELECT count(*) FROM {TABLE}"))  # noqa: S608 (a constant)
    if names:
        raise RuntimeError(
            f"cannot downgrade below {revision}: {TABLE} holds {names} row(s), the saved import "
            "profiles, and dropping the table would silently lose them"
        )
    _drop_triggers(TABLE, bind.dialect.name == "sqlite")
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
