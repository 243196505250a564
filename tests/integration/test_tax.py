"""The Tax Authority's "Israel Donations" workflow (services/tax.py): which gifts and
cancellations need reporting, recording the numbers returned (one, or a file of them), the
receipts that carry them, and the tax.require_report_number setting, on SQLite and
PostgreSQL. After each kind of write the ledger passes `fundledger check`."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select

from fundledger.adapters.db.models import AuditEvent, Donation, TaxReport
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.donations import correct_donation, reverse_donation
from fundledger.services.donors import set_tax_id
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import (
    IssueOptions,
    ReceiptDocument,
    credit_receipt_of,
    issue_each,
    issue_receipt,
    plan_unreceipted,
)
from fundledger.services.settings import set_setting
from fundledger.services.tax import (
    Pending,
    TaxImportRefused,
    import_numbers,
    pending,
    pending_counts,
    record,
)
from tests.ledger_helpers import campaign, gift, rates, run

JANUARY = IssueOptions(locale="en", issued_on=date(2026, 1, 20))
VALID_ID = "000000018"  # check digit right


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2026-01-05 USD ILS 3.2 BOI")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.registration", "580123456")):  # fmt: skip
        setting(ledger_engine, key, value)
    return ledger_engine


def setting(engine: Engine, key: str, value: str | None) -> None:
    run(engine, lambda s, c: set_setting(s, c, key, value))


def listed(engine: Engine) -> Pending:
    return run(engine, pending)


def kinds(engine: Engine) -> list[tuple[str, int]]:
    return [(row.kind, row.donation_id) for row in listed(engine).rows]


def donor_of(engine: Engine, donation_id: int) -> int:
    return run(engine, lambda s, c: s.get(Donation, donation_id).donor_id)  # type: ignore[union-attr]


def give_id(engine: Engine, donor_id: int, number: str = VALID_ID) -> None:
    run(engine, lambda s, c: set_tax_id(s, c, donor_id=donor_id, tax_id=number))


def tax_record(engine: Engine, named: str | int, number: str, **options: object) -> str:
    return run(engine, lambda s, c: record(s, c, str(named), number, **options)).line()  # type: ignore[arg-type]


def issue(engine: Engine, donation_id: int, options: IssueOptions = JANUARY) -> ReceiptDocument:
    return run(engine, lambda s, c: issue_receipt(s, c, donation_id, options))


def checked(engine: Engine) -> None:
    failed = [result for result in run(engine, check_ledger) if result.problems]
    assert failed == []


def test_without_a_section_46_approval_nothing_is_reported_and_why(ledger: Engine) -> None:
    gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    setting(ledger, "organisation.section46.approval", None)
    found = listed(ledger)
    assert (found.applies, found.rows) == (False, ())
    assert found.why_not is not None
    assert "organisation.section46.approval" in found.why_not
    assert run(ledger, lambda s, c: pending_counts(s)) is None


def test_a_gift_is_listed_with_every_field_a_report_needs(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi", reference="PP-1")
    sami = gift(ledger, "2026-01-05 100.00 USD", donor="Sami Haddad")
    give_id(ledger, donor_of(ledger, dana.id))
    receipt = issue(ledger, sami.id)
    found = listed(ledger)
    assert (found.registration, found.approval, found.report_from) == (
        "580123456", "4512", date(2026, 1, 1))  # fmt: skip
    first, second = found.rows
    assert (first.kind, first.donation_id, first.cancels, first.date) == (
        "gift", dana.id, None, date(2026, 1, 5))  # fmt: skip
    assert (first.amount, first.home, first.donor, first.donor_tax_id) == (
        Money("250.00", "ILS"), Money("250.00", "ILS"), "Dana Levi", VALID_ID)  # fmt: skip
    assert (first.reference, first.receipt, first.problems) == ("PP-1", None, ())
    # Valued as its receipt states it: 100 USD at 3.2.
    assert (second.home, second.receipt) == (Money("320.00", "ILS"), str(receipt.number))
    assert second.donor_tax_id is None
    sami_donor = donor_of(ledger, sami.id)
    assert second.problems == (
        f"the donor has no Israeli ID number; fix: fundledger donor set-id {sami_donor} NUMBER",
    )


def test_a_gift_with_no_rate_yet_is_listed_saying_so(ledger: Engine) -> None:
    euro = gift(ledger, "2026-01-06 40.00 EUR", donor="Lea")
    give_id(ledger, donor_of(ledger, euro.id))
    (row,) = listed(ledger).rows
    assert row.home is None
    assert row.problems == ("no EUR/ILS rate in force on 2026-01-06; fix: fundledger rates add "
                            "2026-01-06 EUR ILS RATE",)  # fmt: skip


def test_what_is_left_out_before_any_report(ledger: Engine) -> None:
    early = gift(ledger, "2025-12-31 50.00 ILS", donor="Before the law")
    gift(ledger, "2026-01-05 70.00 ILS")  # no donor
    reversed_early = gift(ledger, "2026-01-05 30.00 ILS", donor="Changed their mind")
    kept = gift(ledger, "2026-01-05 90.00 ILS", donor="Kept")
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=reversed_early.id,
                                              reason="bounced"))  # fmt: skip
    # Reversed before it was reported: neither it nor its reversal is listed.
    assert kinds(ledger) == [("gift", kept.id)]
    setting(ledger, "tax.report_from", "2025-12-01")
    assert kinds(ledger) == [("gift", early.id), ("gift", kept.id)]
    counts = run(ledger, lambda s, c: pending_counts(s))
    assert counts is not None
    assert (counts.gifts, counts.cancellations) == (2, 0)


def test_a_gift_reversed_after_it_was_reported_needs_its_cancellation_reported(
    ledger: Engine,
) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    give_id(ledger, donor_of(ledger, dana.id))
    assert (
        tax_record(ledger, dana.id, "770001") == f"gift #{dana.id}: report number 770001 recorded"
    )
    first = issue(ledger, dana.id)
    assert first.tax_report == "770001"  # carried without any option
    assert kinds(ledger) == []
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=dana.id,
                                                         reason="refunded"))  # fmt: skip
    credit = run(ledger, lambda s, c: credit_receipt_of(s, reversal.id))
    assert credit is not None
    assert credit.credits_tax_report == "770001"
    (row,) = listed(ledger).rows
    assert (row.kind, row.donation_id, row.cancels) == ("cancellation", reversal.id, dana.id)
    assert (row.amount, row.home) == (Money("-250.00", "ILS"), Money("-250.00", "ILS"))
    assert (row.receipt, row.cancelled_receipt, row.cancelled_report) == (
        str(credit.number), str(first.number), "770001")  # fmt: skip
    # The credit receipt's number names the cancellation.
    assert tax_record(ledger, str(credit.number), "770002").startswith(
        f"cancellation #{reversal.id}: report number 770002")  # fmt: skip
    assert kinds(ledger) == []
    checked(ledger)


def test_a_corrected_gift_lists_the_cancellation_and_the_new_gift(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi", reference="PP-9")
    give_id(ledger, donor_of(ledger, dana.id))
    tax_record(ledger, "PP-9", "880001")
    fixed = run(ledger, lambda s, c: correct_donation(s, c, donation_id=dana.id,
                                                      reason="typo", amount="260"))  # fmt: skip
    assert kinds(ledger) == [("cancellation", fixed.reversal.id), ("gift", fixed.corrected.id)]
    # The reference names the correction in force now.
    assert tax_record(ledger, "PP-9", "880002") == (
        f"gift #{fixed.corrected.id}: report number 880002 recorded")  # fmt: skip
    assert kinds(ledger) == [("cancellation", fixed.reversal.id)]


def test_record_same_number_replace_and_refusals(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    sami = gift(ledger, "2026-01-05 90.00 ILS", donor="Sami")
    anonymous = gift(ledger, "2026-01-05 10.00 ILS")
    tax_record(ledger, f"#{dana.id}", "123")
    assert tax_record(ledger, dana.id, " 123 ") == (
        f"gift #{dana.id} already has report number 123: nothing recorded")  # fmt: skip
    with pytest.raises(FundledgerError, match="--replace --reason"):
        tax_record(ledger, dana.id, "124")
    with pytest.raises(FundledgerError, match="needs a reason"):
        tax_record(ledger, dana.id, "124", replace=True)
    with pytest.raises(FundledgerError, match=f"in force for donation #{dana.id}"):
        tax_record(ledger, sami.id, "123")
    with pytest.raises(FundledgerError, match="not a report number"):
        tax_record(ledger, sami.id, "12 3")
    with pytest.raises(FundledgerError, match="no donor recorded"):
        tax_record(ledger, anonymous.id, "555")
    with pytest.raises(FundledgerError, match="no gift has"):
        tax_record(ledger, "NOPE-1", "555")
    assert tax_record(ledger, dana.id, "124", replace=True, reason="typed wrong") == (
        f"gift #{dana.id}: report number 124 recorded, replacing 123")  # fmt: skip
    tax_record(ledger, sami.id, "123")  # no longer in force for Dana: free again
    rows = run(ledger, lambda s, c: [(r.donation_id, r.number, r.reason) for r in s.scalars(
        select(TaxReport).order_by(TaxReport.id))])  # fmt: skip
    assert rows == [(dana.id, "123", None), (dana.id, "124", "typed wrong"),
                    (sami.id, "123", None)]  # fmt: skip
    events = run(ledger, lambda s, c: list(s.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "tax.record"))))  # fmt: skip
    assert len(events) == 3
    checked(ledger)


def test_a_number_is_found_by_its_index_not_by_reading_every_number(ledger: Engine) -> None:
    # Each row of `tax import` asks whether its number is in force for another gift.
    indexes = {index["name"]: index["column_names"] for index in inspect(ledger).get_indexes(
        "tax_report")}  # fmt: skip
    assert indexes["ix_tax_report_number"] == ["number"]
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    sami = gift(ledger, "2026-01-05 90.00 ILS", donor="Sami")
    lea = gift(ledger, "2026-01-05 60.00 ILS", donor="Lea")
    tax_record(ledger, dana.id, "300")
    tax_record(ledger, dana.id, "301", replace=True, reason="typo")
    tax_record(ledger, sami.id, "300")  # replaced for Dana: free again
    with pytest.raises(FundledgerError, match=f"300 is in force for donation #{sami.id}"):
        tax_record(ledger, lea.id, "300")  # two rows of that number: Sami's is in force
    with pytest.raises(FundledgerError, match=f"301 is in force for donation #{dana.id}"):
        tax_record(ledger, lea.id, "301")


def test_a_cancellation_of_a_gift_never_reported_cannot_have_a_number(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=dana.id,
                                                         reason="bounced"))  # fmt: skip
    with pytest.raises(FundledgerError, match="never reported"):
        tax_record(ledger, reversal.id, "99")


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_file_of_numbers_all_or_nothing_and_again(ledger: Engine, tmp_path: Path) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi", reference="PP-1")
    sami = gift(ledger, "2026-01-05 90.00 ILS", donor="Sami")
    lea = gift(ledger, "2026-01-05 60.00 ILS", donor="Lea")
    for each in (dana, sami, lea):
        give_id(ledger, donor_of(ledger, each.id))
    lea_receipt = issue(ledger, lea.id)
    bad = write(tmp_path / "bad.csv", f"gift,reference,receipt,number\n{dana.id},,,501\n"
                f"999,,,502\n,,,503\n{sami.id},,,501\n,,{lea_receipt.number},\n")  # fmt: skip
    with pytest.raises(TaxImportRefused) as refused:
        run(ledger, lambda s, c: import_numbers(s, c, bad))
    assert refused.value.problems == [
        "bad.csv, line 3: no donation #999",
        "bad.csv, line 4: no gift named; fill in its gift id, reference or receipt number",
        f"bad.csv, line 5: report number 501 is in force for donation #{dana.id} already: check "
        "it against the Authority's answer (a typo?)",
        "bad.csv, line 6: no number; fill in the number the Tax Authority returned, or remove "
        "the line",
    ]
    assert kinds(ledger) == [("gift", dana.id), ("gift", sami.id), ("gift", lea.id)]  # nothing
    good = write(tmp_path / "good.csv", "\ufeffReference,Gift,Receipt,Number\r\n"
                 f"PP-1,,,501\r\n,{sami.id},,502\r\n,,{lea_receipt.number},503\r\n")  # fmt: skip
    done = run(ledger, lambda s, c: import_numbers(s, c, good))
    assert (done.rows, done.recorded, done.unchanged) == (3, 3, 0)
    assert kinds(ledger) == []
    again = run(ledger, lambda s, c: import_numbers(s, c, good))
    assert (again.recorded, again.unchanged) == (0, 3)
    details = run(ledger, lambda s, c: [json.loads(d) for d in s.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "tax.import"))])  # fmt: skip
    assert len(details) == 1  # one event for the file; none for the import that added nothing
    assert details[0]["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert (details[0]["recorded"], details[0]["file"]) == (3, "good.csv")
    checked(ledger)


def test_a_file_without_the_columns_is_refused(ledger: Engine, tmp_path: Path) -> None:
    with pytest.raises(FundledgerError, match="needs a `number` column"):
        run(ledger, lambda s, c: import_numbers(s, c, write(tmp_path / "x.csv", "id,num\n1,2\n")))


def test_receipt_issue_with_tax_report_records_the_number(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    issued = issue(ledger, dana.id, IssueOptions("en", date(2026, 1, 20), tax_report="4400"))
    assert issued.tax_report == "4400"
    assert kinds(ledger) == []
    sami = gift(ledger, "2026-01-05 90.00 ILS", donor="Sami")
    with pytest.raises(FundledgerError, match="in force for donation"):  # nothing issued
        issue(ledger, sami.id, IssueOptions("en", date(2026, 1, 20), tax_report="4400"))
    assert kinds(ledger) == [("gift", sami.id)]
    checked(ledger)


def test_the_require_setting_refuses_one_and_skips_in_a_batch(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    sami = gift(ledger, "2026-01-06 90.00 ILS", donor="Sami")
    lea = gift(ledger, "2026-01-07 60.00 ILS", donor="Lea")
    setting(ledger, "tax.require_report_number", "on")
    with pytest.raises(
        FundledgerError, match=f"fix: fundledger donor set-id {donor_of(ledger, dana.id)} "
    ):
        issue(ledger, dana.id)
    give_id(ledger, donor_of(ledger, dana.id))
    with pytest.raises(FundledgerError, match=f"fix: fundledger tax record {dana.id} NUMBER"):
        issue(ledger, dana.id)
    for each in (sami, lea):
        give_id(ledger, donor_of(ledger, each.id))
    tax_record(ledger, dana.id, "1001")
    tax_record(ledger, lea.id, "1003")
    plan = run(ledger, lambda s, c: plan_unreceipted(s, c, "dont-look-away", JANUARY))
    batch = issue_each(lambda work: run(ledger, work), plan, JANUARY)
    assert [(doc.donation_id, doc.tax_report) for doc in batch.issued] == [
        (dana.id, "1001"), (lea.id, "1003")]  # fmt: skip
    (skipped,) = batch.skipped
    assert skipped.donation_id == sami.id
    assert skipped.fix == f"fundledger tax record {sami.id} NUMBER (or fundledger tax import FILE)"
    # Without the approval the setting holds nothing back.
    setting(ledger, "organisation.section46.approval", None)
    assert issue(ledger, sami.id).tax_report is None
    checked(ledger)


def test_a_gift_before_report_from_is_receipted_without_a_number_or_an_id(
    ledger: Engine,
) -> None:
    december = gift(ledger, "2025-12-28 250.00 ILS", donor="Dana Levi")
    january = gift(ledger, "2026-01-05 90.00 ILS", donor="Sami")
    setting(ledger, "tax.require_report_number", "on")
    assert kinds(ledger) == [("gift", january.id)]  # never to report, never a number
    receipt = issue(ledger, december.id)  # receipted in January 2026, the setting on
    assert (receipt.donation_id, receipt.tax_report, receipt.donor_tax_id) == (
        december.id, None, None)  # fmt: skip
    with pytest.raises(FundledgerError, match="fix: fundledger donor set-id"):
        issue(ledger, january.id)
    # The boundary is the setting's: moved back, the December gift would have needed one.
    setting(ledger, "tax.report_from", "2025-12-01")
    later = gift(ledger, "2025-12-29 40.00 ILS", donor="Lea")
    with pytest.raises(FundledgerError, match="fix: fundledger donor set-id"):
        issue(ledger, later.id)
    checked(ledger)


def test_a_credit_receipt_is_never_held_back(ledger: Engine) -> None:
    dana = gift(ledger, "2026-01-05 250.00 ILS", donor="Dana Levi")
    give_id(ledger, donor_of(ledger, dana.id))
    tax_record(ledger, dana.id, "2001")
    issue(ledger, dana.id)
    setting(ledger, "tax.require_report_number", "on")
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=dana.id,
                                                         reason="refunded"))  # fmt: skip
    credit = run(ledger, lambda s, c: credit_receipt_of(s, reversal.id))
    assert credit is not None
    assert credit.kind == "credit"
    assert credit.tax_report is None
