"""Donations, rates, audit events, donor merges, settings, receipts, campaigns, donors, donor
revisions, campaign names, corrections, import profiles, users, Tax Authority numbers and
deliveries cannot be changed or removed, even by raw SQL."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import APPEND_ONLY_TABLES, Delivery, TaxReport
from fundledger.adapters.import_profiles import ImportProfile
from fundledger.domain.access import Actor, Role
from fundledger.services.campaigns import set_campaign_name
from fundledger.services.context import CommandContext
from fundledger.services.donations import correct_donation
from fundledger.services.donors import merge_donors, set_tax_id
from fundledger.services.import_profiles import save_profile
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from fundledger.services.users import add_user
from tests.ledger_helpers import campaign, gift, rates, run
from tests.system_tools import require_tool


@pytest.fixture
def filled(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    gift(ledger_engine, "2025-07-03 100.00 USD", donor="Dana Levi")
    gift(ledger_engine, "2025-07-03 50.00 ILS", donor="Dana  Levy")
    run(ledger_engine, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same"))
    run(ledger_engine, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id="123456782"))
    run(ledger_engine, lambda s, c: set_setting(s, c, "report.locale", "he"))
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    run(ledger_engine, lambda s, c: issue_receipt(s, c, 1, IssueOptions("en")))
    run(ledger_engine, lambda s, c: set_campaign_name(s, c, "dont-look-away", "he", "אל תסיטו"))
    run(ledger_engine, lambda s, c: correct_donation(s, c, donation_id=2, amount="60",
                                                     reason="typo"))  # fmt: skip
    bank = ImportProfile("bank", mapping={"value date": "date"}, date_format="DMY")
    run(ledger_engine, lambda s, c: save_profile(s, c, bank))
    admin = Actor("tester", Role.ADMIN)
    run(ledger_engine, lambda s, c: add_user(s, c, admin, "dana", "admin", "a long passphrase"))
    run(ledger_engine, _reported_and_sent)
    return ledger_engine


def _reported_and_sent(session: Session, context: CommandContext) -> None:
    """A Tax Authority number and a delivery, written as rows: the services that write them
    are tested with their own commands."""
    at = datetime(2025, 7, 4, tzinfo=UTC)
    session.add(TaxReport(donation_id=1, number="TA-1", recorded_at=at, recorded_by="tester"))
    session.add(Delivery(document="receipt", receipt_id=1, donor_id=1, locale="en",
                         recipient="dana@example.org", outcome="sent", answer="250 OK",
                         attempted_at=at, attempted_by="tester"))  # fmt: skip


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET id = id", "DELETE FROM {table}", "DELETE FROM {table} WHERE id = 1"],
)
def test_raw_update_and_delete_fail(filled: Engine, table: str, statement: str) -> None:
    before = count(filled, table)
    assert before > 0
    with pytest.raises(DatabaseError, match="append-only"), filled.begin() as connection:
        connection.execute(text(statement.format(table=table)))
    assert count(filled, table) == before


def test_emptying_a_table_fails(filled: Engine) -> None:
    """PostgreSQL's TRUNCATE skips row triggers, so it has a trigger of its own; SQLite's
    truncate optimisation of DELETE is off on tables with triggers."""
    statement = (
        "TRUNCATE {table} CASCADE"
        if filled.dialect.name == "postgresql"
        else ("DELETE FROM {table}")
    )
    for table in APPEND_ONLY_TABLES:
        with pytest.raises(DatabaseError, match="append-only"), filled.begin() as connection:
            connection.execute(text(statement.format(table=table)))
        assert count(filled, table) > 0


def test_the_database_own_client_cannot_delete_donations(filled: Engine, ledger_url: str) -> None:
    """What a treasurer might type: `sqlite3 fundledger.db "delete from donation"`, or psql."""
    url = make_url(ledger_url)
    if filled.dialect.name == "sqlite":
        assert url.database
        with (
            sqlite3.connect(url.database) as raw,
            pytest.raises(sqlite3.IntegrityError, match="append-only"),
        ):
            raw.execute("delete from donation")
        command = ["sqlite3", url.database, "delete from donation"]
    else:
        plain_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        command = ["psql", plain_url, "-c", "delete from donation"]
    command[0] = require_tool(command[0])
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "append-only" in result.stderr
    assert count(filled, "donation") == 4
