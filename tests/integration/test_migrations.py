"""Migrations: pytest-alembic's built-in checks on SQLite and PostgreSQL, plus `init`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pytest_alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from fundledger.adapters.db import migrate
from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.db.migrate import head_revision, migrations_path
from fundledger.adapters.db.models import Base
from fundledger.services.campaigns import set_campaign_name
from fundledger.services.context import CommandContext
from fundledger.services.donors import set_tax_id
from fundledger.services.integrity import check_ledger
from fundledger.services.schema import initialize_ledger
from tests.ledger_helpers import CONTEXT, campaign, gift, run

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


def test_the_schema_check_reads_revisions_as_alembic_does(empty_database_url: str) -> None:
    """Commands check the schema without importing Alembic (adapters/db/migrate.py); that
    reading must agree with Alembic's own, on the files and on a database."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert head_revision() == scripts.get_current_head()
    assert migrate.known_revisions() == {script.revision for script in scripts.walk_revisions()}
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            assert migrate.current_revision(connection) is None
        migrate.upgrade_to_head(engine)
        with engine.connect() as connection:
            alembic_reading = MigrationContext.configure(connection).get_current_revision()
            assert migrate.current_revision(connection) == alembic_reading == head_revision()
    finally:
        engine.dispose()


def test_upgrading_chains_the_rows_already_there(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0008_receipt_insert_guards")
        for number in range(3):
            connection.execute(
                text("INSERT INTO audit_event (occurred_at, actor, command, action, details) "
                     "VALUES (:at, 'tester', 'x', :action, '{}')"),
                {"at": f"2025-07-0{number + 1} 10:00:00", "action": f"test.{number}"},
            )  # fmt: skip
        command.upgrade(migrate.alembic_config(connection), "head")
    with transaction(engine) as session:
        chain = next(result for result in check_ledger(session, CONTEXT)
                     if result.name == "chain")  # fmt: skip
        hashes = session.scalars(text("SELECT chain_hash FROM audit_event ORDER BY id")).all()
    assert (chain.problems, len(set(hashes)), all(hashes)) == ([], 3, True)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET chain_hash = NULL"))  # triggers back
    engine.dispose()


def test_upgrading_chains_the_gifts_and_rates_already_there(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0009_chain_hash")
        connection.execute(
            text(
                "INSERT INTO campaign (slug, name, created_at) "
                "VALUES ('c', 'C', '2025-07-01 09:00')"
            )
        )
        for day, amount, note in (("03", 10000, None), ("04", 2550, 'a "quoted" note'),
                                  ("05", 700, "שלום")):  # fmt: skip
            connection.execute(
                text("INSERT INTO donation (campaign_id, donation_date, amount_minor, currency, "
                     "anonymous, note, recorded_at, recorded_by) VALUES (1, :day, :amount, "
                     "'ILS', false, :note, '2025-07-05 10:00:00', 'tester')"),
                {"day": f"2025-07-{day}", "amount": amount, "note": note},
            )  # fmt: skip
        connection.execute(text(
            "INSERT INTO exchange_rate (rate_date, base, quote, rate, source, recorded_at, "
            "recorded_by) VALUES ('2025-07-03', 'USD', 'ILS', '3.3760', 'BOI', "
            "'2025-07-05 10:00:00', 'tester')"))  # fmt: skip
        command.upgrade(migrate.alembic_config(connection), "head")
    with transaction(engine) as session:
        chain = next(result for result in check_ledger(session, CONTEXT)
                     if result.name == "chain")  # fmt: skip
        hashes = session.scalars(text("SELECT chain_hash FROM donation UNION ALL "
                                      "SELECT chain_hash FROM exchange_rate")).all()  # fmt: skip
    assert (chain.problems, len(set(hashes)), all(hashes)) == ([], 4, True)
    for table in ("donation", "exchange_rate"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(f"UPDATE {table} SET chain_hash = NULL"))  # triggers back
    engine.dispose()


def test_a_downgrade_that_would_drop_donor_revisions_is_refused(ledger_engine: Engine) -> None:
    """Dropping donor_revision would silently revert every donor's recorded changes."""
    campaign(ledger_engine)
    gift(ledger_engine, "2025-07-03 10.00 ILS", donor="Dana Levi")
    run(ledger_engine, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id="000000018"))
    with (
        pytest.raises(RuntimeError, match="donor_revision holds 1 row"),
        ledger_engine.begin() as connection,
    ):
        command.downgrade(migrate.alembic_config(connection), "0012_drop_report_index")
    with ledger_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM donor_revision")) == 1
        assert migrate.current_revision(connection) == head_revision()


def test_a_downgrade_that_would_drop_campaign_names_is_refused(ledger_engine: Engine) -> None:
    """Dropping campaign_name would silently lose the campaigns' names in other languages;
    an empty one goes, and comes back."""
    campaign(ledger_engine)
    with ledger_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0013_chain_donors_campaigns")
        assert "campaign_name" not in inspect(connection).get_table_names()
        command.upgrade(migrate.alembic_config(connection), "head")
    run(ledger_engine, lambda s, c: set_campaign_name(s, c, "dont-look-away", "ar", "لا تشيحوا"))
    with (
        pytest.raises(RuntimeError, match="campaign_name holds 1 row"),
        ledger_engine.begin() as connection,
    ):
        command.downgrade(migrate.alembic_config(connection), "0013_chain_donors_campaigns")
    with ledger_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM campaign_name")) == 1
        assert migrate.current_revision(connection) == head_revision()
