"""Migrations: pytest-alembic's built-in checks on SQLite and PostgreSQL, plus `init`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from pytest_alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine, inspect, text

from fundledger.adapters.db import migrate
from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.migrate import head_revision, migrations_path
from fundledger.adapters.db.models import Base
from fundledger.services.context import CommandContext
from fundledger.services.schema import initialize_ledger

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


@pytest.fixture
def alembic_config() -> Config:
    return Config(config_options={"script_location": str(migrations_path())})


@pytest.fixture
def alembic_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def test_init_creates_every_table_and_is_idempotent(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    context = CommandContext(command="fundledger init", actor="test")
    first = initialize_ledger(engine, context)
    second = initialize_ledger(engine, context)
    assert (first.before, first.after) == (None, head_revision())
    assert not second.changed
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_upgrading_fills_the_loose_key_of_existing_donors(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0002_donor_merge")
        connection.execute(
            text(
                "INSERT INTO donor (name, email, email_key, name_key, created_at) "
                "VALUES ('Zoë  Cohen', NULL, NULL, 'zoë cohen', '2025-07-03 00:00:00')"
            )
        )
        command.upgrade(migrate.alembic_config(connection), "head")
        assert connection.execute(text("SELECT loose_key FROM donor")).scalar_one() == "zoecohen"
    engine.dispose()
