"""The people who sign in to the web interface: app_user (models.AppUser), chained
(adapters/db/chain.py) and append-only like donors and campaigns; the latest revision of a
name (case-insensitive) is in force.

The table starts empty, so no row needs a hash filled in or an audit event to cover it; its
triggers are named as the other tables' are, so `fundledger check` finds them. A downgrade is
refused while the table holds rows: dropping it would silently lose every user and the history
of their roles.

Revision ID: 0018_app_user
Revises: 0017_donation_date_index
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import HASH_COLUMN
from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0018_app_user"
down_revision: str | None = "0017_donation_date_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "app_user"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", Identifier, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("password_revision", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(create_constraint=True, name="disabled"), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.CheckConstraint(
            "role IN ('viewer', 'treasurer', 'admin')", name=op.f("ck_app_user_known_role")
        ),
        sa.CheckConstraint(
            "revision >= 1 AND password_revision BETWEEN 1 AND revision",
            name=op.f("ck_app_user_revisions_in_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("name_key", "revision", name=op.f("uq_app_user_name_key_revision")),
    )
    _make_triggers(TABLE, op.get_bind().dialect.name == "sqlite")


def downgrade() -> None:
    bind = op.get_bind()
    users = bind.scalar(sa.text(f"SELECT count(*) FROM {TABLE}"))  # noqa: S608 (a constant)
    if users:
        raise RuntimeError(
            f"cannot downgrade below {revision}: {TABLE} holds {users} row(s), the web "
            "interface's users and the history of their roles, and dropping the table would "
            "silently lose them"
        )
    _drop_triggers(TABLE, bind.dialect.name == "sqlite")
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
