"""Donors and campaigns join the hash chain (adapters/db/chain.py) and become append-only, like
gifts; a donor's details change by a donor_revision row (chained, append-only); and one audit
event covers every row written before audit events named the chain heads they wrote.

- donor and campaign get a chain_hash column, filled in for the rows already there in id
  order, then triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), named as
  the other tables' are.
- donor_revision: a donor's details as they stand from a moment on (models.DonorRevision).
- The rows chained by 0009 and 0010, and those chained here, were written before any audit
  event named them, and `fundledger check` names every row past the last chain head an audit
  event names. So, on a ledger that holds rows, one audit event (action "ledger.chain_cover",
  actor "migration") names the current head of every chain: an upgraded ledger passes `check`,
  and every row written from now on must be covered by an audit event of its own. An empty
  ledger gets no such event. A downgrade leaves the event: the audit trail is append-only. A
downgrade is refused while donor_revision holds rows: dropping it would revert donors' details.

Revision ID: 0013_chain_donors_campaigns
Revises: 0012_drop_report_index
Create Date: 2026-11-27
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from fundledger.adapters.db.chain import GENESIS, HASH_COLUMN, canonical, extend, link
from fundledger.adapters.db.models import AuditEvent, Campaign, Donor
from fundledger.adapters.db.types import Identifier, UTCDateTime

revision: str = "0013_chain_donors_campaigns"
down_revision: str | None = "0012_drop_report_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table's columns as the chain encodes them (all but id and the hash, in table order).
CHAINED = {
    Campaign.__table__: (
        "slug", "name", "goal_minor", "goal_currency", "start_date", "end_date", "partner",
        "created_at",
    ),
    Donor.__table__: (
        "name", "email", "email_key", "name_key", "loose_key", "tax_id", "created_at",
    ),
}  # fmt: skip
# The chains an audit event names the heads of: all but the audit trail itself.
COVERED = (
    "donation", "exchange_rate", "donor_merge", "setting", "receipt", "campaign", "donor",
    "donor_revision",
)  # fmt: skip
NEW_APPEND_ONLY = ("campaign", "donor", "donor_revision")
AUDIT_COLUMNS = (
    "occurred_at", "actor", "command", "action", "entity", "entity_id", "details", "reason",
)  # fmt: skip
UPDATE_BATCH = 10_000


def upgrade() -> None:
    bind = op.get_bind()
    for table, names in CHAINED.items():
        op.add_column(table.name, sa.Column(HASH_COLUMN, sa.String(64), nullable=True))
        _fill(bind, table, names)
    op.create_table(
        "donor_revision",
        sa.Column("id", Identifier, nullable=False),
        sa.Column("donor_id", Identifier, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("tax_id", sa.String(9), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(HASH_COLUMN, sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donor.id"], name=op.f("fk_donor_revision_donor_id_donor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_revision")),
    )
    op.create_index("ix_donor_revision_donor_id_id", "donor_revision", ["donor_id", "id"])
    sqlite = bind.dialect.name == "sqlite"
    for name in NEW_APPEND_ONLY:
        _make_triggers(name, sqlite)
    _cover_the_chains(bind)


def downgrade() -> None:
    bind = op.get_bind()
    revisions = bind.scalar(sa.text("SELECT count(*) FROM donor_revision"))
    if revisions:
        raise RuntimeError(
            f"cannot downgrade below {revision}: donor_revision holds {revisions} row(s), the "
            "changes recorded to donors' details since this revision, and dropping the table "
            "would silently revert every donor to the details first recorded"
        )
    sqlite = bind.dialect.name == "sqlite"
    for name in NEW_APPEND_ONLY:
        _drop_triggers(name, sqlite)
    op.drop_index("ix_donor_revision_donor_id_id", table_name="donor_revision")
    op.drop_table("donor_revision")
    for table in CHAINED:
        op.drop_column(table.name, HASH_COLUMN)  # SQLite 3.35+ drops a column in place


def _fill(bind: sa.Connection, table: sa.Table, names: tuple[str, ...]) -> None:
    """Each row's chain hash, in id order (no trigger guards these tables yet)."""
    fill = sa.update(table).where(table.c.id == sa.bindparam("row_id"))
    fill = fill.values({HASH_COLUMN: sa.bindparam("hash")})
    rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in names))
                        .order_by(table.c.id)).all()  # fmt: skip
    previous = GENESIS
    hashes = []
    for row_id, *values in rows:
        previous = link(previous, canonical(values))
        hashes.append({"row_id": row_id, "hash": previous})
        if len(hashes) == UPDATE_BATCH:
            bind.execute(fill, hashes)
            hashes = []
    if hashes:
        bind.execute(fill, hashes)


def _cover_the_chains(bind: sa.Connection) -> None:
    """One audit event naming the last row of every chain that has rows, as record_audit names
    the rows a change wrote (services.context.CHAIN_HEADS), chained like any audit event."""
    heads: dict[str, str] = {}
    last_rows: dict[str, int] = {}
    for name in COVERED:
        table = sa.table(name, sa.column("id"), sa.column(HASH_COLUMN))
        last = bind.execute(sa.select(table.c.id, table.c[HASH_COLUMN])
                            .order_by(table.c.id.desc()).limit(1)).first()  # fmt: skip
        if last is not None:
            last_rows[name], heads[name] = last[0], last[1]
    if not heads:
        return
    details = {
        "chain_heads": heads,
        "last_rows": last_rows,
        "note": "the rows up to these were written before audit events named the rows they "
        "wrote; each is covered from here on",
    }
    values = {
        "occurred_at": datetime.now(UTC),
        "actor": "migration",
        "command": f"migration {revision}",
        "action": "ledger.chain_cover",
        "entity": None,
        "entity_id": None,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
        "reason": "donors and campaigns joined the hash chain",
    }
    audit = AuditEvent.__table__
    (chain_hash,) = extend(bind, audit, [canonical(values[name] for name in AUDIT_COLUMNS)])
    bind.execute(sa.insert(audit).values({**values, HASH_COLUMN: chain_hash}))


def _make_triggers(table: str, sqlite: bool) -> None:
    """As 0001 made them for the first append-only tables."""
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
