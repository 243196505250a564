"""`fundledger check` finds what raw SQL did behind the ledger's back and names the rows:
a dropped trigger, a reversal that no longer negates its gift, a receipt deleted from its
series, a counter stepped without a receipt, a reversed gift whose credit receipt is gone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.donation_csv import DonationFile
from fundledger.services.donation_import import import_donations
from fundledger.services.donations import reverse_donation
from fundledger.services.integrity import CheckResult, check_ledger
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from tests.concurrency import at_once
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run

AUGUST = IssueOptions("en", date(2025, 8, 1))


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    for amount in ("100.00 USD", "50.00 ILS", "20.00 ILS"):
        donation = gift(ledger_engine, f"2025-07-03 {amount}", donor="Dana Levi")
        run(ledger_engine, lambda s, c, d=donation.id: issue_receipt(s, c, d, AUGUST))
    run(ledger_engine, lambda s, c: reverse_donation(s, c, donation_id=1, reason="bounced"))
    return ledger_engine


def results(engine: Engine) -> dict[str, CheckResult]:
    return {result.name: result for result in run(engine, check_ledger)}


def problems(engine: Engine) -> dict[str, list[str]]:
    return {name: result.problems for name, result in results(engine).items() if result.problems}


def raw(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def drop_guards(engine: Engine, *tables: str) -> None:
    """What someone with the database's own client could do first."""
    for table in tables:
        if engine.dialect.name == "sqlite":
            raw(engine, f"DROP TRIGGER {table}_append_only_update",
                f"DROP TRIGGER {table}_append_only_delete")  # fmt: skip
        else:
            raw(engine, f"DROP TRIGGER {table}_append_only ON {table}")


def test_a_ledger_kept_by_the_rules_passes_every_check(ledger: Engine) -> None:
    gift(ledger, "2025-09-20 5.00 USD", donor="Noa Cohen")  # no rate yet: noted, not wrong
    found = results(ledger)
    assert list(found) == ["schema", "triggers", "reversals", "corrections", "donors",
                           "receipts", "chain", "rates", "summaries"]  # fmt: skip
    assert all(result.passed for result in found.values())
    assert found["receipts"].notes == ["4 receipts in 2 series"]
    assert found["rates"].notes[0].startswith("waiting for a rate: 1 USD gift of 2025-09-20")


def test_many_days_waiting_for_a_rate_are_summed_up_after_the_first_ten(ledger: Engine) -> None:
    for day in range(1, 15):
        gift(ledger, f"2025-10-{day:02d} 5.00 USD", donor="Noa Cohen")
    notes = results(ledger)["rates"].notes
    assert [note.split(" USD gift of ")[1][:10] for note in notes[:10]] == [
        f"2025-10-{day:02d}" for day in range(1, 11)]  # fmt: skip
    assert notes[10] == ("waiting for a rate: 4 more gifts on 4 more days, up to 2025-10-14 "
                         "(`fundledger rates gaps` lists them all)")  # fmt: skip


def test_a_changed_reversal_is_named_and_so_is_the_missing_trigger(ledger: Engine) -> None:
    drop_guards(ledger, "donation")
    raw(ledger, "UPDATE donation SET amount_minor = -9000 WHERE id = 4")
    found = problems(ledger)
    assert found["reversals"] == ["donation #4 does not negate #1 exactly (amount, currency, "
                                  "date and campaign must match, the amount negated)"]  # fmt: skip
    assert any("trigger donation_append_only" in problem for problem in found["triggers"])


def test_a_deleted_receipt_is_a_gap_in_its_series(ledger: Engine) -> None:
    drop_guards(ledger, "receipt")
    if ledger.dialect.name == "sqlite":
        raw(ledger, "DROP TRIGGER receipt_insert_only_new")
    raw(ledger, "DELETE FROM receipt WHERE series = 'R' AND year = 2025 AND number = 2")
    assert "receipt R-2025-00002 is missing: the series R-2025 has a gap" in problems(ledger)[
        "receipts"]  # fmt: skip


def test_a_counter_stepped_without_a_receipt_is_a_gap(ledger: Engine) -> None:
    raw(ledger, "UPDATE receipt_counter SET last_number = last_number + 1 WHERE year = 2025")
    assert problems(ledger)["receipts"] == [
        "receipt R-2025-00004 is missing: the series R-2025 has a gap"]  # fmt: skip


def test_a_reversed_gift_whose_credit_receipt_is_gone_is_named(ledger: Engine) -> None:
    drop_guards(ledger, "receipt")
    raw(ledger, "DELETE FROM receipt WHERE kind = 'credit'")
    found = problems(ledger)["receipts"]
    assert "receipt R-2025-00001 is for donation #1, which was reversed without a credit " \
           "receipt" in found  # fmt: skip
    assert any("has a gap" in problem for problem in found)  # the credit's number is missing


def test_a_ledger_of_an_older_schema_is_only_said_to_be_so(ledger: Engine) -> None:
    raw(ledger, "UPDATE alembic_version SET version_num = '0005_setting'")
    found = results(ledger)
    assert list(found) == ["schema"]
    assert found["schema"].problems[0].startswith("schema at revision 0005_setting, expected")


def test_an_audit_event_changed_removed_or_moved_breaks_the_chain(ledger: Engine) -> None:
    drop_guards(ledger, "audit_event")
    raw(ledger, "UPDATE audit_event SET actor = 'someone else' WHERE id = 3")
    assert problems(ledger)["chain"] == [
        "audit_event #3 does not fit the chain: it was changed, or the row before it was "
        "removed or moved"]  # fmt: skip
    raw(ledger, "DELETE FROM audit_event WHERE id = 3")  # now gone altogether
    assert problems(ledger)["chain"] == [
        # #3 recorded the setting: without it, no audit event records writing the setting.
        "setting #1 was added without an audit event: no audit event names any setting row as "
        "written; a command records one with every row it writes",
        "audit_event #3 is missing, most likely removed: #4 no longer fits the chain after #2 "
        "(or #4 itself was changed)"]  # fmt: skip
    raw(ledger, "UPDATE audit_event SET chain_hash = (SELECT chain_hash FROM audit_event "
                "WHERE id = 6) WHERE id = 5")  # a hash copied over another  # fmt: skip
    named = {problem.split(" does")[0] for problem in problems(ledger)["chain"]}
    assert {"audit_event #5", "audit_event #6"} <= named


def test_a_receipt_rewritten_behind_the_ledgers_back_is_named(ledger: Engine) -> None:
    drop_guards(ledger, "receipt")
    raw(ledger, "UPDATE receipt SET content = replace(content, '100.00', '10.00') WHERE id = 1")
    assert problems(ledger)["chain"] == [
        "receipt #1 does not fit the chain: it was changed, or the row before it was removed "
        "or moved"]  # fmt: skip


CHAIN_BROKEN = ("does not fit the chain: it was changed, or the row before it was removed or "
                "moved")  # fmt: skip


def test_one_amount_changed_with_raw_sql_is_named_by_its_row(ledger: Engine) -> None:
    drop_guards(ledger, "donation")
    raw(ledger, "UPDATE donation SET amount_minor = 5001 WHERE id = 2")
    assert problems(ledger)["chain"] == [f"donation #2 {CHAIN_BROKEN}"]


def test_a_deleted_gift_is_named_by_the_gap_it_leaves(ledger: Engine) -> None:
    for amount in ("7.00 ILS", "8.00 ILS", "9.00 ILS"):
        gift(ledger, f"2025-07-04 {amount}", donor="Noa Cohen")  # #5, #6, #7: no receipts
    drop_guards(ledger, "donation")
    raw(ledger, "DELETE FROM donation WHERE id = 6")
    found = problems(ledger)["chain"]
    assert found[0] == ("donation #6 is missing, most likely removed: #7 no longer fits the "
                        "chain after #5 (or #7 itself was changed)")  # fmt: skip
    assert found[1].startswith("audit event #")  # the one that recorded gift #6
    assert found[1].endswith("no row has that hash any more: it was removed (with any rows after "
                             "it) or its hash was rewritten")  # fmt: skip
    assert len(found) == 2


def test_gifts_cut_from_the_end_of_the_chain_are_missed_by_their_audit_event(
    ledger: Engine,
) -> None:
    for amount in ("7.00 ILS", "8.00 ILS"):
        gift(ledger, f"2025-07-04 {amount}", donor="Noa Cohen")  # #5, #6
    drop_guards(ledger, "donation")
    raw(ledger, "DELETE FROM donation WHERE id >= 5")  # the chain itself still holds
    found = problems(ledger)["chain"]
    assert len(found) == 2
    assert all(" names the donation row with hash " in problem for problem in found)
    notes = results(ledger)["chain"].notes
    assert notes[1].startswith("the ledger's last audit event is #")


def test_two_rows_whose_hashes_were_swapped_are_both_named(ledger: Engine) -> None:
    drop_guards(ledger, "donation")
    with ledger.connect() as connection:
        second, third = connection.scalars(
            text("SELECT chain_hash FROM donation WHERE id IN (2, 3) ORDER BY id")
        ).all()
    raw(ledger, f"UPDATE donation SET chain_hash = '{third}' WHERE id = 2",
        f"UPDATE donation SET chain_hash = '{second}' WHERE id = 3")  # fmt: skip
    named = [problem.split(" does")[0] for problem in problems(ledger)["chain"]]
    assert named == ["donation #2", "donation #3", "donation #4"]


def test_a_rate_changed_with_raw_sql_is_named_by_its_row(ledger: Engine) -> None:
    drop_guards(ledger, "exchange_rate")
    raw(ledger, "UPDATE exchange_rate SET rate = '3.377' WHERE id = 1")
    assert problems(ledger)["chain"] == [f"exchange_rate #1 {CHAIN_BROKEN}"]


def _set_settings(url: str, worker: int) -> None:
    engine = make_engine(url)
    for number in range(15):  # one transaction each, as `settings set` runs
        with transaction(engine, write=True) as session:
            set_setting(session, CONTEXT, "organisation.contact", f"worker {worker}, {number}")
    engine.dispose()


def test_writers_at_once_extend_each_chain_in_one_line(ledger: Engine, ledger_url: str) -> None:
    """Six processes append settings and audit events at once: with no other lock between
    them, only the chain's own lock keeps two from linking to the same row."""
    at_once(_set_settings, [(ledger_url, worker) for worker in range(6)])
    assert problems(ledger).get("chain") is None
    assert results(ledger)["chain"].notes[0].endswith(" chained rows checked")


def _record_gifts(url: str, worker: int, folder: Path) -> None:
    """Gifts one at a time (the ORM's inserts) or a file at a time (the import's bulk path)."""
    engine = make_engine(url)
    for number in range(8):
        if worker % 2:
            gift(engine, f"2025-07-05 {worker}.{number:02d} ILS", donor=f"Donor {worker}")
            continue
        path = folder / f"gifts-{worker}-{number}.csv"
        path.write_text("date,amount,currency,donor,reference\n" + "".join(
            f"2025-07-05,{row + 1},ILS,Donor {row},W{worker}-{number}-{row}\n"
            for row in range(25)), encoding="utf-8")  # fmt: skip
        run(engine, lambda s, c, path=path: import_donations(
            s, c, "dont-look-away", DonationFile(path, home_currency="ILS")))  # fmt: skip
    engine.dispose()


def test_gifts_recorded_and_imported_at_once_extend_the_chain_in_one_line(
    ledger: Engine, ledger_url: str, tmp_path: Path
) -> None:
    at_once(_record_gifts, [(ledger_url, worker, tmp_path) for worker in range(4)])
    assert problems(ledger).get("chain") is None
    with ledger.connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM donation"))
    assert count == 4 + 2 * 8 + 2 * 8 * 25
