"""Every chained row is covered by a chain head some audit event names, and the last audit
event's hash, noted outside the ledger (the anchor), shows what was written after it.

An insider who appends a row with its correct chain hash (the encoding is public) and no audit
event is named by `check`; one who also appends an audit event naming it moves the anchor, and
`check --anchor` with the anchor noted before lists that event."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from alembic import command
from sqlalchemy import Engine, Table, insert, select, text

from fundledger.adapters.db import migrate
from fundledger.adapters.db.chain import GENESIS, canonical, chained_columns, link
from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.db.models import AuditEvent, Base, Donation, ExchangeRate, Setting
from fundledger.domain.money import Money
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.integrity import CheckResult, anchor_problem, check_ledger
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import current_settings, set_setting
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run, summary

AUGUST = IssueOptions("en", date(2025, 8, 1))
MOMENT = datetime(2025, 7, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    for amount in ("100.00 USD", "50.00 ILS"):
        donation = gift(ledger_engine, f"2025-07-03 {amount}", donor="Dana Levi")
        run(ledger_engine, lambda s, c, d=donation.id: issue_receipt(s, c, d, AUGUST))
    run(ledger_engine, lambda s, c: reverse_donation(s, c, donation_id=1, reason="bounced"))
    return ledger_engine


def results(engine: Engine, anchor: str | None = None) -> dict[str, CheckResult]:
    return {result.name: result for result in run(engine, lambda s, c: check_ledger(s, c, anchor))}


def chain_problems(engine: Engine) -> list[str]:
    return results(engine)["chain"].problems


def anchor_of(engine: Engine) -> str:
    """The anchor `check` prints: the chain hash of the last audit event."""
    data = results(engine)["chain"].data
    assert data is not None
    return str(data["anchor"]["chain_hash"])


def forge(engine: Engine, model: type[Base], values: dict[str, Any]) -> int:
    """What an insider with the database's own client and this program's source can do: append
    a row with its correct chain hash, without the program and so without an audit event."""
    table = cast(Table, model.__table__)
    with engine.begin() as connection:
        head = (
            connection.scalar(select(table.c.chain_hash).order_by(table.c.id.desc()).limit(1))
            or GENESIS
        )
        line = canonical(values[name] for name in chained_columns(table))
        return int(connection.execute(
            insert(table).values({**values, "chain_hash": link(head, line)}).returning(table.c.id)
        ).scalar_one())  # fmt: skip


def forged_gift(engine: Engine) -> int:
    return forge(engine, Donation, {
        "campaign_id": 1, "donor_id": None, "donation_date": date(2025, 7, 3),
        "amount_minor": 50_000_000, "currency": "ILS", "method": "bank", "reference": None,
        "anonymous": True, "note": None, "reverses_id": None, "recorded_at": MOMENT,
        "recorded_by": "tester",
    })  # fmt: skip


def forged_audit_event(engine: Engine, heads: dict[str, str]) -> int:
    return forge(engine, AuditEvent, {
        "occurred_at": MOMENT, "actor": "tester", "command": "fundledger donation add",
        "action": "donation.add", "entity": "donation", "entity_id": None,
        "details": json.dumps({"chain_heads": heads}, sort_keys=True), "reason": None,
    })  # fmt: skip


def last_hash(engine: Engine, table: str) -> str:
    with engine.connect() as connection:
        return str(connection.scalar(
            text(f"SELECT chain_hash FROM {table} ORDER BY id DESC LIMIT 1")))  # fmt: skip


def test_a_ledger_kept_by_the_rules_has_every_row_covered(ledger: Engine) -> None:
    found = results(ledger)
    assert all(result.passed for result in found.values()), found
    assert found["chain"].notes[1].startswith("the ledger's last audit event is #")


def test_a_forged_gift_with_its_correct_hash_is_named(ledger: Engine) -> None:
    anchor = anchor_of(ledger)
    forged = forged_gift(ledger)
    assert summary(ledger).total_home == Money("500050.00", "ILS")  # it counts, until found
    assert chain_problems(ledger) == [
        f"donation #{forged} was added without an audit event: the last donation row an audit "
        f"event names is #{forged - 1} (audit event #10); a command records one with every row "
        "it writes"]  # fmt: skip
    assert anchor_of(ledger) == anchor  # the forgery alone leaves the anchor where it was


def test_a_forged_row_stays_named_after_later_legitimate_writes(ledger: Engine) -> None:
    """A later command's audit event covers the rows its own transaction wrote, from the head
    it found, not every row before its head: the forged row stays named."""
    forged = forged_gift(ledger)
    later = gift(ledger, "2025-07-04 5.00 ILS", donor="Dana Levi")
    assert later.id == forged + 1
    expected = (
        f"donation #{forged} was added without an audit event: the last donation row an audit "
        f"event covers before #{forged} is #{forged - 1} (audit event #10); a command records "
        "one with every row it writes")  # fmt: skip
    assert chain_problems(ledger) == [expected]
    gift(ledger, "2025-07-05 6.00 ILS", donor="Dana Levi")
    assert chain_problems(ledger) == [expected]
    with ledger.connect() as connection:
        details = connection.scalar(text("SELECT details FROM audit_event ORDER BY id DESC "
                                         "LIMIT 1"))  # fmt: skip
    recorded = json.loads(details)
    assert recorded["chain_from"]["donation"] != recorded["chain_heads"]["donation"]
    assert set(recorded["chain_from"]) == set(recorded["chain_heads"])


def test_a_forged_rate_stays_named_after_a_later_rates_add(ledger: Engine) -> None:
    forged = forge(ledger, ExchangeRate, {
        "rate_date": date(2025, 7, 4), "base": "USD", "quote": "ILS", "rate": Decimal("10"),
        "source": "BOI", "recorded_at": MOMENT, "recorded_by": "tester",
    })  # fmt: skip
    rates(ledger, "2025-07-05 USD ILS 3.380")
    assert chain_problems(ledger) == [
        f"exchange_rate #{forged} was added without an audit event: the last exchange_rate row "
        f"an audit event covers before #{forged} is #1 (audit event #2); a command records one "
        "with every row it writes"]  # fmt: skip


def test_rows_forged_between_and_after_legitimate_writes_are_all_named(ledger: Engine) -> None:
    first = forged_gift(ledger)
    gift(ledger, "2025-07-04 5.00 ILS", donor="Dana Levi")
    last = forged_gift(ledger)
    (problem,) = chain_problems(ledger)
    assert problem.startswith(f"2 donation rows (#{first}, #{last}) were added without an "
                              f"audit event: the last donation row an audit event covers "
                              f"before #{first} is #{first - 1} (audit event #10)")  # fmt: skip


def test_an_audit_event_written_before_events_named_their_start_covers_all_before_its_head(
    ledger: Engine,
) -> None:
    """An event without `chain_from` (older, or the migration's) covers every row up to its
    head, as before; one written by hand to do so moves the anchor (see above)."""
    forged = forged_gift(ledger)
    gift(ledger, "2025-07-04 5.00 ILS", donor="Dana Levi")
    assert chain_problems(ledger)[0].startswith(f"donation #{forged} was added without")
    forged_audit_event(ledger, {"donation": last_hash(ledger, "donation")})
    assert chain_problems(ledger) == []


def test_a_forged_rate_that_reports_would_use_is_named(ledger: Engine) -> None:
    forged = forge(ledger, ExchangeRate, {
        "rate_date": date(2025, 7, 4), "base": "USD", "quote": "ILS", "rate": Decimal("10"),
        "source": "BOI", "recorded_at": MOMENT, "recorded_by": "tester",
    })  # fmt: skip
    gift(ledger, "2025-07-04 100.00 USD", donor="Noa Cohen")  # valued at the forged rate
    assert summary(ledger).total_home == Money("1050.00", "ILS")  # 50.00 ILS + 100 USD x 10
    assert chain_problems(ledger) == [
        f"exchange_rate #{forged} was added without an audit event: the last exchange_rate row "
        "an audit event names is #1 (audit event #2); a command records one with every row it "
        "writes"]  # fmt: skip


def test_a_forged_section_46_approval_is_named(ledger: Engine) -> None:
    forged = forge(ledger, Setting, {
        "key": "organisation.section46.approval", "value": "999999", "recorded_at": MOMENT,
        "recorded_by": "tester",
    })  # fmt: skip
    assert run(ledger, lambda s, _: current_settings(s))["organisation.section46.approval"] == (
        "999999")  # fmt: skip
    assert chain_problems(ledger) == [
        f"setting #{forged} was added without an audit event: the last setting row an audit "
        "event names is #1 (audit event #3); a command records one with every row it "
        "writes"]  # fmt: skip


def test_several_forged_rows_are_named_in_one_problem(ledger: Engine) -> None:
    forged = [forged_gift(ledger) for _ in range(12)]
    (problem,) = chain_problems(ledger)
    assert problem.startswith(
        f"12 donation rows ({', '.join(f'#{row}' for row in forged[:10])}, ...) were added "
        "without an audit event")  # fmt: skip


def test_a_forgery_with_its_own_audit_event_moves_the_anchor(ledger: Engine) -> None:
    noted = anchor_of(ledger)
    forged = forged_gift(ledger)
    event = forged_audit_event(ledger, {"donation": last_hash(ledger, "donation")})
    assert chain_problems(ledger) == []  # the trail now says the gift was recorded...
    assert anchor_of(ledger) != noted  # ...but its end is no longer the one noted
    found = results(ledger, noted)["anchor"]
    assert found.passed
    assert found.notes[1:] == [
        "1 audit event since (shown, not judged: see that each was yours):",
        f"  #{event} 2025-07-06T09:30:00+00:00 donation.add by tester"]  # fmt: skip
    assert found.data is not None
    assert (found.data["events_since"], found.data["since"]) == (1, [
        {"id": event, "occurred_at": "2025-07-06T09:30:00+00:00", "action": "donation.add",
         "actor": "tester"}])  # fmt: skip
    assert forged == 4


def test_the_anchor_holds_and_lists_what_was_written_since(ledger: Engine) -> None:
    noted = anchor_of(ledger)
    first, nothing_since = results(ledger, noted)["anchor"].notes
    assert first.startswith("audit event #10 (receipt.credit by tester, 20")
    assert first.endswith(") holds the anchor: nothing up to it was changed, removed or added")
    assert nothing_since == "no audit event since: nothing was written after it"
    for day in range(4, 18):
        gift(ledger, f"2025-07-{day:02d} 5.00 ILS", donor="Noa Cohen")
    found = results(ledger, noted)["anchor"]
    assert found.passed
    # One donor added with the first gift: 15 events, the first ten listed.
    assert found.notes[1] == "15 audit events since (shown, not judged: see that each was yours):"
    assert [note.split()[0] for note in found.notes[2:12]] == [f"#{n}" for n in range(11, 21)]
    assert found.notes[12] == "  ... and 5 more (`fundledger audit` lists them all)"
    assert all(result.passed for result in results(ledger, noted.upper()).values())


def test_an_anchor_no_audit_event_has_fails(ledger: Engine) -> None:
    noted = anchor_of(ledger)
    with ledger.begin() as connection:  # the trail cut at its end
        if ledger.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_event_append_only_delete"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
        connection.execute(text("DELETE FROM audit_event WHERE id = 10"))
    found = results(ledger, noted)
    assert found["anchor"].problems == [
        f"no audit event has the chain hash {noted}: the audit trail was rewritten or cut after "
        "that anchor was noted (or it is another ledger's)"]  # fmt: skip
    assert not found["chain"].passed  # the reversal its event recorded is no longer covered


def test_an_anchor_behind_a_rewritten_event_fails(ledger: Engine) -> None:
    noted = anchor_of(ledger)
    with ledger.begin() as connection:
        if ledger.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_event_append_only_update"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
        connection.execute(text("UPDATE audit_event SET actor = 'someone else' WHERE id = 4"))
    found = results(ledger, noted)["anchor"]
    assert found.problems == [
        "audit event #10 holds the anchor, but the trail up to it no longer verifies "
        "(audit_event #4 does not fit the chain: it was changed, or the row before it was "
        "removed or moved): the trail was rewritten"]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("ab" * 32, None),
        ("AB" * 32, None),
        ("ab" * 6, "'abababababab' has 12 digits: give all 64 of the anchor, as `fundledger "
                   "check` printed it (a shorter prefix proves too little)"),
        ("xy" * 32, f"{'xy' * 32!r} is not a chain hash: an anchor is 64 hexadecimal digits "
                    "(0-9, a-f), as `fundledger check` prints it"),
        ("", "'' is not a chain hash: an anchor is 64 hexadecimal digits (0-9, a-f), as "
             "`fundledger check` prints it"),
    ],
)  # fmt: skip
def test_an_anchor_is_64_hex_digits(given: str, problem: str | None) -> None:
    assert anchor_problem(given) == problem


def test_a_deleted_row_is_named_with_the_gap_it_leaves(ledger: Engine) -> None:
    for amount in ("7.00 ILS", "8.00 ILS", "9.00 ILS", "10.00 ILS"):
        gift(ledger, f"2025-07-04 {amount}", donor="Noa Cohen")  # #4 to #7
    with ledger.begin() as connection:
        if ledger.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER donation_append_only_delete"))
        else:
            connection.execute(text("DROP TRIGGER donation_append_only ON donation"))
        connection.execute(text("DELETE FROM donation WHERE id IN (5, 6)"))
    assert chain_problems(ledger)[0] == (
        "donation #5 to #6 are missing, most likely removed: #7 no longer fits the chain after "
        "#4 (or #7 itself was changed)")  # fmt: skip
    with ledger.begin() as connection:
        connection.execute(text("DELETE FROM donation WHERE id = 4"))
    assert chain_problems(ledger)[0].startswith("donation #4 to #6 are missing")


def test_a_gap_left_by_a_rolled_back_gift_is_no_problem(ledger: Engine) -> None:
    """A PostgreSQL insert rolled back still takes its id: the gap alone says nothing."""
    with transaction(ledger, write=True, commit=False) as session:  # rolled back at its end
        record_donation(session, CONTEXT, campaign_slug="dont-look-away", on=date(2025, 7, 4),
                        amount=Money("7.00", "ILS"), donor_name="Noa Cohen")  # fmt: skip
    later = gift(ledger, "2025-07-04 8.00 ILS", donor="Noa Cohen")
    assert later.id == (5 if ledger.dialect.name == "postgresql" else 4)
    assert all(result.passed for result in results(ledger).values())


def test_upgrading_a_ledger_covers_the_rows_written_before_audit_events_named_them(
    empty_database_url: str,
) -> None:
    """Rows chained by the migrations (0009, 0010, 0013) were written before audit events
    named chain heads: one audit event of the migration covers them."""
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0008_receipt_insert_guards")
        for statement in (
            "INSERT INTO campaign (slug, name, created_at) VALUES ('c', 'C', '2025-07-01 09:00')",
            "INSERT INTO donor (name, email, email_key, name_key, loose_key, created_at) VALUES "
            "('Dana Levi', NULL, NULL, 'dana levi', 'danalevi', '2025-07-03 10:00:00')",
            "INSERT INTO donation (campaign_id, donor_id, donation_date, amount_minor, currency, "
            "anonymous, recorded_at, recorded_by) VALUES (1, 1, '2025-07-03', 10000, 'ILS', "
            "false, '2025-07-03 10:00:00', 'tester')",
            "INSERT INTO setting (key, value, recorded_at, recorded_by) VALUES "
            "('organisation.name.en', 'Coalition', '2025-07-03 10:00:00', 'tester')",
            "INSERT INTO audit_event (occurred_at, actor, command, action, details) VALUES "
            "('2025-07-03 10:00:00', 'tester', 'x', 'donation.add', '{}')",
        ):
            connection.execute(text(statement))
        command.upgrade(migrate.alembic_config(connection), "head")
    found = results(engine)
    assert all(result.passed for result in found.values()), found
    with engine.connect() as connection:
        actor, action, details = connection.execute(
            text("SELECT actor, action, details FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
    assert (actor, action) == ("migration", "ledger.chain_cover")
    assert set(json.loads(details)["chain_heads"]) == {"campaign", "donor", "donation", "setting"}
    forged_gift(engine)  # and from now on, a row without an audit event is named
    assert results(engine)["chain"].problems[0].startswith("donation #2 was added without")
    engine.dispose()


def test_a_new_ledger_gets_no_covering_event(ledger_engine: Engine) -> None:
    with ledger_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_event")) == 0
