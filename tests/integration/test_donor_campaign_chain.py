"""Donors and campaigns are kept as gifts are: chained by hash, refused UPDATE and DELETE by
the database, and changed only by new rows (a donor's details by a revision), which every
reader of a donor's details follows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from fundledger.adapters.db import migrate
from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.models import AuditEvent, Donor, DonorRevision
from fundledger.adapters.donation_csv import DonationFile
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.donation_import import import_donations
from fundledger.services.donors import list_donors, set_tax_id
from fundledger.services.integrity import CheckResult, check_ledger
from fundledger.services.receipts import IssueOptions, ReceiptDocument, issue_receipt
from fundledger.services.settings import set_setting
from fundledger.services.statements import donor_statement
from tests.ledger_helpers import campaign, gift, rates, run, summary

AUGUST = IssueOptions("en", date(2025, 8, 1))


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    gift(ledger_engine, "2025-07-03 100.00 USD", donor="Dana Levi")  # donor 1
    gift(ledger_engine, "2025-07-03 50.00 ILS", donor="Noa Cohen")  # donor 2
    run(ledger_engine, lambda s, c: set_tax_id(s, c, donor_id=2, tax_id="123456782"))
    return ledger_engine


def results(engine: Engine) -> dict[str, CheckResult]:
    return {result.name: result for result in run(engine, check_ledger)}


def raw(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def drop_guards(engine: Engine, table: str) -> None:
    if engine.dialect.name == "sqlite":
        raw(engine, f"DROP TRIGGER {table}_append_only_update",
            f"DROP TRIGGER {table}_append_only_delete")  # fmt: skip
    else:
        raw(engine, f"DROP TRIGGER {table}_append_only ON {table}")


def receipt_for(engine: Engine, donation_id: int) -> ReceiptDocument:
    return run(engine, lambda s, c: issue_receipt(s, c, donation_id, AUGUST))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE donor SET name = 'Someone Else' WHERE id = 1",
        "UPDATE donor SET tax_id = '123456782' WHERE id = 1",
        "DELETE FROM donor WHERE id = 1",
        "UPDATE campaign SET goal_minor = 1, goal_currency = 'ILS' WHERE id = 1",
        "UPDATE campaign SET name = 'Other' WHERE id = 1",
        "DELETE FROM campaign",
        "UPDATE donor_revision SET tax_id = NULL",
        "DELETE FROM donor_revision",
    ],
)
def test_raw_sql_cannot_change_or_remove_donors_or_campaigns(
    ledger: Engine, statement: str
) -> None:
    with pytest.raises(DatabaseError, match="append-only"), ledger.begin() as connection:
        connection.execute(text(statement))
    assert all(result.passed for result in results(ledger).values())


def test_a_donor_or_campaign_changed_with_the_triggers_dropped_is_named(ledger: Engine) -> None:
    drop_guards(ledger, "donor")
    raw(ledger, "UPDATE donor SET name = 'Someone Else' WHERE id = 1")
    broken = ("does not fit the chain: it was changed, or the row before it was removed or "
              "moved")  # fmt: skip
    assert results(ledger)["chain"].problems == [f"donor #1 {broken}"]
    drop_guards(ledger, "campaign")
    raw(ledger, "UPDATE campaign SET goal_minor = 1, goal_currency = 'ILS' WHERE id = 1")
    assert results(ledger)["chain"].problems == [f"campaign #1 {broken}", f"donor #1 {broken}"]
    raw(ledger, "UPDATE donor SET tax_id = '123456782' WHERE id = 2")
    assert f"donor #2 {broken}" in results(ledger)["chain"].problems


def test_a_donor_removed_with_the_triggers_dropped_is_named(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 5.00 ILS", donor="Ali Nasser")  # donor 3, donation 3
    gift(ledger, "2025-07-03 6.00 ILS", donor="Ruth Katz")  # donor 4
    drop_guards(ledger, "donation")
    drop_guards(ledger, "donor")
    raw(ledger, "DELETE FROM donation WHERE id = 3", "DELETE FROM donor WHERE id = 3")
    assert ("donor #3 is missing, most likely removed: #4 no longer fits the chain after #2 (or "
            "#4 itself was changed)") in results(ledger)["chain"].problems  # fmt: skip


def test_set_id_records_a_revision_and_every_reader_follows_it(ledger: Engine) -> None:
    first = receipt_for(ledger, 2)
    assert first.donor_tax_id == "123456782"
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=2, tax_id="000000018", reason="typo"))
    later = gift(ledger, "2025-07-03 20.00 ILS", donor="Noa Cohen")
    assert receipt_for(ledger, later.id).donor_tax_id == "000000018"
    assert run(ledger, lambda s, _: s.get(Donor, 2)).tax_id is None  # the row is as recorded
    with ledger.connect() as connection:
        revisions = connection.execute(
            select(DonorRevision.donor_id, DonorRevision.name, DonorRevision.tax_id,
                   DonorRevision.reason).order_by(DonorRevision.id)).all()  # fmt: skip
        details, reason = connection.execute(
            select(AuditEvent.details, AuditEvent.reason).where(
                AuditEvent.action == "donor.tax_id").order_by(AuditEvent.id.desc())
        ).first() or ("", None)  # fmt: skip
    assert revisions == [(2, "Noa Cohen", "123456782", None), (2, "Noa Cohen", "000000018", "typo")]
    recorded = json.loads(details)
    assert (recorded["before"], recorded["after"], recorded["revision"], reason) == (
        "*****6782", "*****0018", 2, "typo")  # fmt: skip
    assert "donor_revision" in recorded["chain_heads"]  # the revision is covered by its event
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=2, tax_id=None))
    cleared = gift(ledger, "2025-07-04 20.00 ILS", donor="Noa Cohen")
    assert receipt_for(ledger, cleared.id).donor_tax_id is None  # cleared stays cleared
    assert all(result.passed for result in results(ledger).values())


def rename(engine: Engine, donor_id: int, name: str) -> None:
    """A revision of a donor's name, as `donor edit` (not yet written) will record it."""

    def work(session: Session, context: CommandContext) -> None:
        session.add(DonorRevision(donor_id=donor_id, name=name, email=None, tax_id=None,
                                  address=None, phone=None, language=None, reason="married",
                                  recorded_at=now(), recorded_by=context.actor))  # fmt: skip
        session.flush()
        record_audit(session, context, "donor.edit", entity="donor", entity_id=donor_id)

    run(engine, work)


def test_a_donors_new_name_is_what_every_document_shows(ledger: Engine) -> None:
    rename(ledger, 1, "Dana Levi-Cohen")
    assert [line.name for line in summary(ledger).top_donors] == ["Dana Levi-Cohen", "Noa Cohen"]
    statement = run(ledger, lambda s, c: donor_statement(s, c, 1, 2025, "en"))
    assert statement.donor == "Dana Levi-Cohen"
    assert [donor.name for donor in run(ledger, lambda s, _: list_donors(s))] == [
        "Dana Levi-Cohen", "Noa Cohen"]  # fmt: skip
    assert receipt_for(ledger, 1).donor == "Dana Levi-Cohen"
    assert all(result.passed for result in results(ledger).values())


def test_imported_donors_are_chained_on_the_bulk_path(ledger: Engine, tmp_path: Path) -> None:
    path = tmp_path / "gifts.csv"
    path.write_text("date,amount,currency,donor,email\n" + "".join(
        f"2025-07-03,{row + 1},ILS,Donor {row},{f'd{row}@example.org' if row % 2 else ''}\n"
        for row in range(40)) + "2025-07-03,5,ILS,Dana Levi,\n", encoding="utf-8")  # fmt: skip
    run(ledger, lambda s, c: import_donations(
        s, c, "dont-look-away", DonationFile(path, home_currency="ILS")))  # fmt: skip
    assert all(result.passed for result in results(ledger).values())
    with ledger.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM donor")) == 42
    gift(ledger, "2025-07-04 5.00 ILS", donor="Someone New")  # the ORM goes on after them
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=30, tax_id="123456782"))
    assert all(result.passed for result in results(ledger).values())
    drop_guards(ledger, "donor")
    raw(ledger, "UPDATE donor SET email = 'x@example.org' WHERE id = 4")
    assert results(ledger)["chain"].problems == [
        "donor #4 does not fit the chain: it was changed, or the row before it was removed or "
        "moved"]  # fmt: skip


def test_upgrading_chains_the_donors_and_campaigns_already_there(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0012_drop_report_index")
        connection.execute(text(
            "INSERT INTO campaign (slug, name, goal_minor, goal_currency, start_date, created_at) "
            "VALUES ('c', 'C', 80000000, 'ILS', '2025-06-20', '2025-07-01 09:00:00.123456'), "
            "('d', 'D', NULL, NULL, NULL, '2025-07-02 09:00:00')"))  # fmt: skip
        for number, name in enumerate(("Dana Levi", 'יעל "Yael" Friedman', "Zoë Cohen")):
            connection.execute(text(
                "INSERT INTO donor (name, email, email_key, name_key, loose_key, tax_id, "
                "created_at) VALUES (:name, :email, :email, :name, :name, :tax_id, "
                "'2025-07-03 10:00:00')"),
                {"name": name, "email": f"d{number}@example.org" if number else None,
                 "tax_id": "123456782" if number == 1 else None})  # fmt: skip
        command.upgrade(migrate.alembic_config(connection), "head")
        hashes = connection.scalars(text("SELECT chain_hash FROM donor UNION ALL "
                                         "SELECT chain_hash FROM campaign")).all()  # fmt: skip
    assert len(set(hashes)) == 5
    assert all(hashes)
    found = {result.name: result for result in run(engine, check_ledger)}
    assert all(result.passed for result in found.values()), found
    for table in ("donor", "campaign"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(f"UPDATE {table} SET chain_hash = NULL"))
    engine.dispose()
