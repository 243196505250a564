"""Alembic environment for fundledger.

`fundledger init` hands in an open connection (config.attributes["connection"]) so the
migration runs inside its transaction; pytest-alembic hands in an engine; the `alembic` command
line builds its own engine from the FUNDLEDGER_DB URL.
"""

from __future__ import annotations

import os

from alembic import context
from alembic.operations import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from fundledger.adapters.db.engine import DEFAULT_DATABASE_URL, make_engine
from fundledger.adapters.db.models import Base

config = context.config
target_metadata = Base.metadata


def _skip_empty_autogenerate(
    context_: MigrationContext, _revision: object, directives: list[MigrationScript]
) -> None:
    script = directives[0]
    if config.cmd_opts is not None and getattr(config.cmd_opts, "autogenerate", False):
        upgrade = script.upgrade_ops
        if upgrade is not None and upgrade.is_empty():
            directives[:] = []
            print("No schema change detected; no revision written.")


def _run(connection: Connection) -> None:
    dialect = connection.dialect.name

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        process_revision_directives=_skip_empty_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    handed_in = config.attributes.get("connection")
    if isinstance(handed_in, Connection):
        _run(handed_in)
        return
    if isinstance(handed_in, Engine):  # pytest-alembic hands in its engine
        with handed_in.begin() as connection:
            _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "FUNDLEDGER_DB", DEFAULT_DATABASE_URL
    )
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("fundledger migrations run online only: pass a database URL")
run_migrations_online()
