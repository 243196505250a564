"""Receipts: one per gift, numbered per series and year with no gap and no duplicate (even
with eight treasurers at once), their content fixed when issued, and a credit receipt that
cancels a receipted gift when it is reversed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.db.models import AuditEvent, Receipt
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.services.batches import GiftRefused
from fundledger.services.context import CommandContext
from fundledger.services.donations import reverse_donation
from fundledger.services.donors import merge_donors, set_tax_id
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import (
    BatchStopped,
    IssueOptions,
    ReceiptDocument,
    ReceiptNumber,
    credit_receipt_of,
    find_receipt,
    issue_each,
    issue_receipt,
    issue_unreceipted,
    logos_of,
    plan_unreceipted,
)
from fundledger.services.settings import set_setting
from fundledger.services.statements import statements_of_year
from tests.concurrency import at_once
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run
from tests.unit.test_images import picture

T = TypeVar("T")
AUGUST = date(2025, 8, 1)
ON_AUGUST = IssueOptions(locale="en", issued_on=AUGUST)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376 BOI")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.section46.valid_until", "2026-12-31"),
                       ("organisation.registration", "580123456")):  # fmt: skip
        run(ledger_engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    return ledger_engine


def issue(engine: Engine, donation_id: int, options: IssueOptions = ON_AUGUST) -> ReceiptDocument:
    return run(engine, lambda s, c: issue_receipt(s, c, donation_id, options))


def test_a_receipt_holds_the_gift_its_home_value_and_the_rate_that_gave_it(
    ledger: Engine,
) -> None:
    usd = gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi", reference="PP-1")
    ils = gift(ledger, "2025-07-05 250.00 ILS", donor="Sami Haddad", anonymous=True)
    first, second = issue(ledger, usd.id), issue(ledger, ils.id)
    assert (str(first.number), str(second.number)) == ("R-2025-00001", "R-2025-00002")
    assert (first.donor, first.amount, first.home) == (
        "Dana Levi", Money("100.00", "USD"), Money("337.60", "ILS"))  # fmt: skip
    assert first.rate is not None
    assert (first.rate.value, first.rate.date, first.rate.source) == (
        "3.3760", date(2025, 7, 3), "BOI")  # fmt: skip
    assert (first.organisation.approval, first.organisation.registration) == ("4512", "580123456")
    # An anonymous gift is anonymous in public reports; its donor still gets the receipt.
    assert (second.donor, second.home, second.rate) == ("Sami Haddad", Money("250.00", "ILS"),
                                                        None)  # fmt: skip
    assert run(ledger, lambda s, _: find_receipt(s, first.number)) == first
    with ledger.connect() as connection:
        actions = connection.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "receipt")
        ).all()
    assert actions == ["receipt.donation", "receipt.donation"]


def test_a_gift_in_shekels_needs_no_rate_at_all(ledger: Engine) -> None:
    """No USD rate is in force in September: a report would refuse, a receipt need not."""
    late = gift(ledger, "2025-09-10 80.00 ILS", donor="Noa Cohen")
    receipt = issue(ledger, late.id, IssueOptions("en", date(2025, 9, 10)))
    assert (receipt.home, receipt.rate) == (Money("80.00", "ILS"), None)


def test_the_settings_at_issue_stay_with_the_receipt(ledger: Engine) -> None:
    first = issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    run(ledger, lambda s, c: set_setting(s, c, "organisation.name.en", "New Name"))
    run(ledger, lambda s, c: set_setting(s, c, "receipt.prefix", "DLA"))
    again = run(ledger, lambda s, _: find_receipt(s, first.number))
    assert again.organisation.name == "Peace Coalition"
    second = issue(ledger, gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levi").id)
    assert (str(second.number), second.organisation.name) == ("DLA-2025-00001", "New Name")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("reversal", r"is the reversal of #1: it gets a credit receipt"),
        ("reversed", r"donation #1 was reversed by #2: a reversed gift gets no receipt"),
        ("twice", r"donation #1 already has receipt R-2025-00001: print it again with "
                  r"`fundledger receipt reprint R-2025-00001`"),
        ("no donor", r"donation #1 has no donor recorded, and a receipt names its donor"),
        ("missing", r"no donation #9"),
        ("future", r"a receipt cannot be dated after today"),
        ("before the gift", r"donation #1 is dated 2025-07-03, after the receipt date 2025-07-02"),
        ("expired", r"the Section 46 approval 4512 was valid until 2025-07-31"),
        ("no name", r"a receipt or statement in en names the organisation: set its name first "
                    r"with `fundledger settings set organisation.name.en NAME`"),
    ],
)  # fmt: skip
def test_what_cannot_have_a_receipt_is_refused_and_takes_no_number(
    ledger: Engine, setup: str, message: str
) -> None:
    donation_id = gift(ledger, "2025-07-03 100.00 USD",
                       donor=None if setup == "no donor" else "Dana Levi").id  # fmt: skip
    options = ON_AUGUST
    if setup in ("reversal", "reversed"):
        reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=donation_id,
                                                             reason="bounced"))  # fmt: skip
        donation_id = reversal.id if setup == "reversal" else donation_id
    if setup == "twice":
        issue(ledger, donation_id)
    if setup == "missing":
        donation_id = 9
    if setup == "future":
        options = IssueOptions("en", today_in_israel() + timedelta(days=1))
    if setup == "before the gift":
        options = IssueOptions("en", date(2025, 7, 2))
    if setup == "expired":
        run(ledger, lambda s, c: set_setting(s, c, "organisation.section46.valid_until",
                                             "2025-07-31"))  # fmt: skip
    if setup == "no name":
        run(ledger, lambda s, c: set_setting(s, c, "organisation.name.en", None))
    with pytest.raises(FundledgerError, match=message):
        issue(ledger, donation_id, options)
    if setup in ("expired", "no name"):  # put right, so the next receipt can be issued
        for key, value in (("organisation.section46.valid_until", "2026-12-31"),
                           ("organisation.name.en", "Peace Coalition")):  # fmt: skip
            run(ledger, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    numbers_taken = 1 if setup == "twice" else 0
    with ledger.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM receipt")) == numbers_taken
    other = gift(ledger, "2025-07-04 5.00 ILS", donor="Noa Cohen")
    assert issue(ledger, other.id).number.number == numbers_taken + 1  # no gap


def test_receipt_dates_follow_their_numbers(ledger: Engine) -> None:
    issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    second = gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levi")
    with pytest.raises(FundledgerError, match="already dated up to 2025-08-01: a receipt dated "
                                              "2025-07-31 would break the order"):  # fmt: skip
        issue(ledger, second.id, IssueOptions("en", date(2025, 7, 31)))
    # Refused before a number is taken: even a caller that commits anyway leaves no gap.
    with transaction(ledger, write=True) as session, pytest.raises(FundledgerError):
        issue_receipt(session, CONTEXT, second.id, IssueOptions("en", date(2025, 7, 31)))
    assert issue(ledger, second.id, IssueOptions("en", date(2025, 8, 2))).number.number == 2


def test_a_failed_transaction_gives_its_number_back(ledger: Engine) -> None:
    first = gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")

    class Interrupted(Exception):
        pass

    taken: list[int] = []

    def issue_then_fail() -> None:
        with transaction(ledger, write=True) as session:
            taken.append(issue_receipt(session, CONTEXT, first.id, ON_AUGUST).number.number)
            raise Interrupted  # say, the PDF could not be written

    with pytest.raises(Interrupted):
        issue_then_fail()
    assert taken == [1]
    assert issue(ledger, first.id).number.number == 1


def test_a_reversed_receipted_gift_gets_a_credit_receipt_that_nets_to_zero(
    ledger: Engine,
) -> None:
    donation = gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    original = issue(ledger, donation.id)
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=donation.id,
                                                         reason="card charged back"))  # fmt: skip
    credit = run(ledger, lambda s, _: credit_receipt_of(s, reversal.id))
    assert credit is not None
    assert (credit.kind, credit.credits, credit.credits_issued_on) == (
        "credit", original.number, AUGUST)  # fmt: skip
    assert credit.number == ReceiptNumber("R", today_in_israel().year, 1)  # issued today
    assert original.amount + credit.amount == Money.zero("USD")
    assert original.home + credit.home == Money.zero("ILS")
    assert credit.rate == original.rate
    # A gift without a receipt is reversed without a credit receipt.
    plain = gift(ledger, "2025-07-03 10.00 ILS", donor="Noa Cohen")
    undone = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=plain.id, reason="x"))
    assert run(ledger, lambda s, _: credit_receipt_of(s, undone.id)) is None


def test_a_batch_receipts_every_named_gift_without_one_in_date_order(ledger: Engine) -> None:
    later = gift(ledger, "2025-07-05 30.00 ILS", donor="Dana Levi")
    earlier = gift(ledger, "2025-07-03 20.00 USD", donor="Sami Haddad")
    gift(ledger, "2025-07-04 5.00 ILS")  # no donor: no receipt
    reversed_gift = gift(ledger, "2025-07-04 7.00 ILS", donor="Noa Cohen")
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=reversed_gift.id, reason="x"))
    done = issue(ledger, gift(ledger, "2025-07-03 9.00 ILS", donor="Noa Cohen").id)
    ticks: list[int] = []
    receipts, without_donor = run(ledger, lambda s, c: issue_unreceipted(
        s, c, "dont-look-away", ON_AUGUST, ticks.append))  # fmt: skip
    assert [(r.donation_id, r.number.number) for r in receipts] == [(earlier.id, 2),
                                                                     (later.id, 3)]  # fmt: skip
    assert (without_donor, len(ticks), done.number.number) == (1, 2, 1)
    again, _ = run(ledger, lambda s, c: issue_unreceipted(s, c, "dont-look-away", ON_AUGUST))
    assert again == []


def test_each_receipt_of_a_batch_in_its_own_transaction_skips_only_what_cannot_be_issued(
    ledger: Engine, ledger_url: str
) -> None:
    first = gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levi")
    euros = gift(ledger, "2025-07-04 10.00 EUR", donor="Sami Haddad")  # no EUR rate
    refused = gift(ledger, "2025-07-05 30.00 ILS", donor="Noa Cohen")  # its delivery fails
    last = gift(ledger, "2025-07-06 40.00 ILS", donor="Shira Cohen")
    gift(ledger, "2025-07-06 5.00 ILS")  # no donor: counted apart, not a fault
    engine = make_engine(ledger_url)

    def each(work: Callable[[Session, CommandContext], T]) -> T:
        with transaction(engine, write=True) as session:
            return work(session, CONTEXT)

    def deliver(_: Session, document: ReceiptDocument) -> None:
        if document.donation_id == refused.id:
            raise GiftRefused("the name cannot be drawn", "write it with letters the font has")

    plan = each(lambda s, c: plan_unreceipted(s, c, "dont-look-away", ON_AUGUST))
    assert [one.donation_id for one in plan.gifts] == [first.id, euros.id, refused.id, last.id]
    assert plan.gifts[1].donor == "Sami Haddad"
    ticks: list[int] = []
    batch = issue_each(each, plan, ON_AUGUST, deliver, ticks.append)
    engine.dispose()
    # Numbers 1 and 2: the two skipped gifts' transactions gave theirs back.
    assert [(r.donation_id, str(r.number)) for r in batch.issued] == [
        (first.id, "R-2025-00001"), (last.id, "R-2025-00002")]  # fmt: skip
    assert [(s.donation_id, s.date, s.donor, s.fix) for s in batch.skipped] == [
        (euros.id, date(2025, 7, 4), "Sami Haddad", "fundledger rates add 2025-07-04 EUR ILS RATE"),
        (refused.id, date(2025, 7, 5), "Noa Cohen", "write it with letters the font has"),
    ]  # fmt: skip
    assert batch.skipped[0].problem == "no EUR/ILS rate in force on 2025-07-04"
    assert batch.skipped[1].problem == "the name cannot be drawn"
    assert (batch.without_donor, len(ticks)) == (1, 4)
    with ledger.connect() as connection:
        assert connection.execute(text("SELECT last_number FROM receipt_counter")).scalar_one() == 2
        actions = connection.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "receipt.donation")).all()  # fmt: skip
    assert len(actions) == 2  # one audit event per receipt, in its own transaction
    chain = next(result for result in run(ledger, check_ledger) if result.name == "chain")
    assert chain.problems == []


def test_an_error_not_of_the_gift_stops_the_batch_naming_the_receipts_issued(
    ledger: Engine, ledger_url: str
) -> None:
    gifts = [gift(ledger, f"2025-07-0{day} 20.00 ILS", donor=f"Donor {day}") for day in (3, 4, 5)]
    engine = make_engine(ledger_url)

    def each(work: Callable[[Session, CommandContext], T]) -> T:
        with transaction(engine, write=True) as session:
            return work(session, CONTEXT)

    def deliver(_: Session, document: ReceiptDocument) -> None:
        if document.donation_id == gifts[1].id:
            raise FundledgerError("cannot write r.pdf: No space left on device")

    plan = each(lambda s, c: plan_unreceipted(s, c, "dont-look-away", ON_AUGUST))
    with pytest.raises(BatchStopped, match="No space left on device") as stopped:
        issue_each(each, plan, ON_AUGUST, deliver)
    engine.dispose()
    assert [str(document.number) for document in stopped.value.issued] == ["R-2025-00001"]
    with ledger.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM receipt")).scalar_one() == 1


def test_statements_of_a_year_hold_back_only_the_donors_whose_gifts_lack_a_rate(
    ledger: Engine,
) -> None:
    gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levi")
    gift(ledger, "2025-07-04 10.00 EUR", donor="Sami Haddad")
    gift(ledger, "2025-07-04 15.00 ILS", donor="Sami Haddad")
    batch = run(ledger, lambda s, c: statements_of_year(s, c, 2025, "en"))
    assert [statement.donor for statement in batch.statements] == ["Dana Levi"]
    assert batch.held_back == (2,)
    assert [(s.donation_id, s.donor, s.fix) for s in batch.skipped] == [
        (2, "Sami Haddad", "fundledger rates add 2025-07-04 EUR ILS RATE")]  # fmt: skip
    rates(ledger, "2025-07-04 EUR ILS 3.9425 ECB")
    batch = run(ledger, lambda s, c: statements_of_year(s, c, 2025, "en"))
    assert ([statement.donor for statement in batch.statements], batch.skipped) == (
        ["Dana Levi", "Sami Haddad"], ())  # fmt: skip
    assert str(batch.statements[1].total_home) == "54.43 ILS"


def test_the_counter_only_steps_up_and_receipts_are_never_changed(ledger: Engine) -> None:
    issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    for statement in (
        "UPDATE receipt_counter SET last_number = last_number + 2",
        "UPDATE receipt_counter SET last_number = 0",
        "DELETE FROM receipt_counter",
        "UPDATE receipt SET number = 7",
        "DELETE FROM receipt",
    ):
        with pytest.raises(DatabaseError, match=r"only steps up|append-only"), ledger.begin() as c:
            c.execute(text(statement))
    with ledger.connect() as connection:
        assert connection.execute(text("SELECT last_number FROM receipt_counter")).scalar_one() == 1


def _issue_all(url: str, donation_ids: list[int]) -> None:
    engine = make_engine(url)
    for donation_id in donation_ids:  # one transaction each, as `receipt issue ID` runs
        with transaction(engine, write=True) as session:
            issue_receipt(session, CONTEXT, donation_id, ON_AUGUST)
    engine.dispose()


def test_eight_treasurers_issuing_at_once_leave_no_gap_and_no_duplicate(
    ledger: Engine, ledger_url: str
) -> None:
    ids = [gift(ledger, f"2025-07-03 {1 + n}.00 ILS", donor=f"Donor {n}").id for n in range(400)]
    spans = at_once(_issue_all, [(ledger_url, ids[n::8]) for n in range(8)])
    with ledger.connect() as connection:
        rows = connection.execute(select(Receipt.number, Receipt.donation_id)).all()
    assert sorted(number for number, _ in rows) == list(range(1, 401))
    assert sorted(donation for _, donation in rows) == sorted(ids)
    # They did run at once: every one began before any had finished.
    began, ended = zip(*spans, strict=True)
    assert max(began) < min(ended)
    # And each table's hash chain is one line, not forked by writers at once.
    chain = next(result for result in run(ledger, check_ledger) if result.name == "chain")
    assert chain.problems == []


def test_a_receipt_states_the_donors_identity_number_and_the_tax_report(ledger: Engine) -> None:
    donation = gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id="12345678-2"))
    options = IssueOptions("en", AUGUST, tax_report="TR-77/2025")
    receipt = issue(ledger, donation.id, options)
    assert (receipt.donor_tax_id, receipt.tax_report) == ("123456782", "TR-77/2025")
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id=None))
    assert run(ledger, lambda s, _: find_receipt(s, receipt.number)).donor_tax_id == "123456782"
    with pytest.raises(FundledgerError, match="'123456789' is not an Israeli identity number"):
        run(ledger, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id="123456789"))
    gift(ledger, "2025-07-03 20.00 ILS", donor="Noa Cohen")
    with pytest.raises(FundledgerError, match="a Tax Authority report number belongs to one"):
        run(ledger, lambda s, c: issue_unreceipted(s, c, "dont-look-away", options))
    with ledger.connect() as connection:
        actions = connection.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "donor.tax_id")).all()  # fmt: skip
    assert actions == ["donor.tax_id", "donor.tax_id"]


def test_a_receipt_issued_before_a_field_existed_still_reads(ledger: Engine) -> None:
    receipt = issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    older = json.loads(receipt.to_json())
    del older["donor_tax_id"], older["tax_report"]
    assert ReceiptDocument.from_json(json.dumps(older)) == receipt


def test_a_receipt_keeps_the_logo_it_was_issued_with(ledger: Engine, tmp_path: Path) -> None:
    first_logo, second_logo = tmp_path / "first.png", tmp_path / "second.png"
    first_logo.write_bytes(picture("PNG", (200, 100)))
    second_logo.write_bytes(picture("PNG", (100, 100)))
    run(ledger, lambda s, c: set_setting(s, c, "organisation.logo", str(first_logo)))
    receipt = issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    run(ledger, lambda s, c: set_setting(s, c, "organisation.logo", str(second_logo)))
    run(ledger, lambda s, c: set_setting(s, c, "organisation.logo", None))
    logos = run(ledger, lambda s, _: logos_of(s, [receipt]))
    assert receipt.logo is not None
    assert (logos[receipt.logo].width, logos[receipt.logo].height) == (200, 100)
    write_receipt_pdf(receipt, tmp_path / "r.pdf", logo=logos[receipt.logo])
    assert sum(len(page.images) for page in PdfReader(tmp_path / "r.pdf").pages) == 1
    with pytest.raises(ValueError, match="was issued with another logo"):
        write_receipt_pdf(receipt, tmp_path / "r.pdf", logo=None)


def test_a_gift_reversed_while_its_receipt_is_issued_gets_its_credit_receipt(
    ledger: Engine,
) -> None:
    """One treasurer issues the receipt of gift #1 and has not committed yet; another reverses
    #1 meanwhile. The reversal waits for the receipt, then cancels it with a credit receipt
    (without the lock each would miss the other's row on PostgreSQL: a reversed gift with a
    live receipt)."""
    donation = gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    reversed_ = threading.Event()
    outcome: list[object] = []

    def reverse() -> None:
        try:
            outcome.append(run(ledger, lambda s, c: reverse_donation(
                s, c, donation_id=donation.id, reason="charge-back")))  # fmt: skip
        except Exception as error:
            outcome.append(error)
        reversed_.set()

    with transaction(ledger, write=True) as session:
        issue_receipt(session, CONTEXT, donation.id, ON_AUGUST)
        reverser = threading.Thread(target=reverse)
        reverser.start()
        assert not reversed_.wait(1.5)  # it waits for this transaction
    reverser.join(timeout=30)
    assert reversed_.is_set()
    entry = outcome[0]
    assert not isinstance(entry, Exception), entry
    credit = run(ledger, lambda s, _: credit_receipt_of(s, entry.id))  # type: ignore[attr-defined]
    assert credit is not None
    assert credit.credits == ReceiptNumber("R", 2025, 1)


def test_raw_sql_cannot_replace_a_receipt_or_restart_a_counter(ledger: Engine) -> None:
    receipt = issue(ledger, gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi").id)
    if ledger.dialect.name == "sqlite":  # REPLACE deletes without firing DELETE triggers
        with pytest.raises(DatabaseError, match="append-only"), ledger.begin() as connection:
            connection.execute(text(
                "INSERT OR REPLACE INTO receipt (id, series, year, number, kind, donation_id,"
                " issued_on, locale, content, issued_at, issued_by) SELECT id, series, year,"
                " number, kind, donation_id, issued_on, locale, '{}', issued_at, issued_by"
                " FROM receipt"))  # fmt: skip
        with ledger.begin() as connection:  # left alone, as ON CONFLICT DO NOTHING
            connection.execute(text("INSERT OR REPLACE INTO receipt_counter (series, year, "
                                    "last_number) VALUES ('R', 2025, 0)"))  # fmt: skip
    with pytest.raises(DatabaseError, match="starts at zero"), ledger.begin() as connection:
        connection.execute(text("INSERT INTO receipt_counter (series, year, last_number) "
                                "VALUES ('X', 2025, 5)"))  # fmt: skip
    with ledger.connect() as connection:
        assert connection.scalar(text("SELECT last_number FROM receipt_counter")) == 1
    assert run(ledger, lambda s, _: find_receipt(s, receipt.number)) == receipt


def test_a_merged_donors_gift_is_receipted_to_the_donor_it_was_merged_into(
    ledger: Engine,
) -> None:
    gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")  # donor 1
    typo = gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levy")  # donor 2
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=1, tax_id="123456782"))
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="typo"))
    receipt = issue(ledger, typo.id)
    assert (receipt.donor, receipt.donor_tax_id) == ("Dana Levi", "123456782")
    with ledger.connect() as connection:
        details = connection.scalar(select(AuditEvent.details).where(
            AuditEvent.action == "donor.tax_id"))  # fmt: skip
    recorded = json.loads(details)
    assert (recorded["before"], recorded["after"]) == (None, "*****6782")


def test_a_reversal_never_waits_on_a_display_setting(ledger: Engine) -> None:
    donation = gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")
    original = issue(ledger, donation.id)
    run(ledger, lambda s, c: set_setting(s, c, "organisation.name.en", None))
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=donation.id,
                                                         reason="bounced"))  # fmt: skip
    credit = run(ledger, lambda s, _: credit_receipt_of(s, reversal.id))
    assert credit is not None
    assert credit.organisation.name == original.organisation.name == "Peace Coalition"
