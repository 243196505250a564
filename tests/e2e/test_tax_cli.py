"""`fundledger tax` as a treasurer runs it: gifts listed by `tax pending`, the Authority's
numbers imported, receipts then issued in bulk each with its number (the others skipped
while tax.require_report_number is on), one gift reversed and its cancellation listed, and
`fundledger check` passing after each kind of write."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of

SETTINGS = {
    "organisation.name.en": "Peace Coalition",
    "organisation.section46.approval": "4512",
    "organisation.registration": "580123456",
}
VALID_IDS = ("000000018", "000000026", "000000034")


@pytest.fixture
def month(ledger: Shell) -> Shell:
    setup = replace(ledger, in_process=True)
    for key, value in SETTINGS.items():
        setup.run("settings", "set", key, value)
    setup.run("rates", "add", "2026-01-05", "USD", "ILS", "3.2")
    for day, amount, currency, donor, reference in (
        ("2026-01-05", "250", "ILS", "Dana Levi", "PP-1"),
        ("2026-01-05", "100", "USD", "Sami Haddad", "PP-2"),
        ("2026-01-06", "180", "ILS", "שירה כהן", "PP-3"),
    ):
        setup.run("donation", "add", "dont-look-away", "--date", day, "--amount", amount,
                  "--currency", currency, "--donor", donor, "--reference", reference)  # fmt: skip
    setup.run("donation", "add", "dont-look-away", "--date", "2026-01-06", "--amount", "20")
    for donor, number in zip((1, 2, 3), VALID_IDS, strict=True):
        setup.run("donor", "set-id", str(donor), number)
    return ledger


def pending_json(shell: Shell) -> dict[str, object]:
    found: dict[str, object] = json.loads(shell.run("tax", "pending", "--format", "json").stdout)
    return found


def test_a_month_reported_imported_receipted_and_one_gift_cancelled(month: Shell) -> None:
    listed = pending_json(month)
    assert listed["organisation"] == {"registration": "580123456", "approval": "4512"}
    rows = listed["pending"]
    assert isinstance(rows, list)
    assert [(row["kind"], row["donation"], row["home_amount"]) for row in rows] == [
        ("gift", 1, "250.00"), ("gift", 2, "320.00"), ("gift", 3, "180.00")]  # fmt: skip
    assert [row["problems"] for row in rows] == [[], [], []]  # every ID given: nothing to mend
    assert (rows[1]["amount"], rows[1]["currency"], rows[1]["home_currency"]) == (
        "100.00", "USD", "ILS")  # fmt: skip
    assert (rows[2]["donor"], rows[2]["donor_tax_id"], rows[2]["cancels"]) == (
        "שירה כהן", "000000034", None)  # fmt: skip
    table = month.run("tax", "pending").stdout
    assert "3 gifts and 0 cancellations to report." in table
    assert "320.00 ILS" in table
    flat = list(csv.DictReader(io.StringIO(month.run("tax", "pending", "--format", "csv").stdout)))
    assert [row["donation"] for row in flat] == ["1", "2", "3"]
    assert flat[0]["approval"] == "4512"

    month.run("settings", "set", "tax.require_report_number", "on")
    (month.folder / "numbers.csv").write_text("reference,number\nPP-1,7001\nPP-3,7003\n")
    imported = month.run("tax", "import", "numbers.csv").stdout
    assert "numbers.csv: recorded 2 report numbers." in imported
    again = month.run("tax", "import", "numbers.csv").stdout
    assert "nothing recorded" in again
    month.run("check")

    batch = month.run("receipt", "issue", "--campaign", "dont-look-away", "--all-unreceipted",
                      expect=3)  # fmt: skip
    assert "Issued 2 receipts, R-2026-00001 to R-2026-00002" in batch.stdout
    assert "gift #2" in batch.stderr
    assert "fix: fundledger tax record 2 NUMBER" in batch.stderr
    first = month.folder / "reports" / "receipts" / "R-2026-00001.pdf"
    assert "7001" in text_of(first)
    month.run("check")

    assert (
        "gift #2: report number 7002 recorded" in month.run("tax", "record", "PP-2", "7002").stdout
    )
    month.run("receipt", "issue", "--campaign", "dont-look-away", "--all-unreceipted")
    assert "7002" in text_of(month.folder / "reports" / "receipts" / "R-2026-00003.pdf")
    assert pending_json(month)["pending"] == []

    month.run("donation", "reverse", "1", "--reason", "refunded")
    (row,) = pending_json(month)["pending"]  # type: ignore[misc]
    assert (row["kind"], row["cancels"], row["amount"], row["receipt"]) == (
        "cancellation", 1, "-250.00", "R-2026-00004")  # fmt: skip
    credit = text_of(month.folder / "reports" / "receipts" / "R-2026-00004.pdf")
    assert "7001" in credit  # the report number of the gift it cancels
    month.run("tax", "record", "R-2026-00004", "7004")
    assert "0 gifts and 0 cancellations to report." in month.run("tax", "pending").stdout
    month.run("check")


def test_errors_are_one_line_and_a_bad_file_lists_its_lines(month: Shell) -> None:
    quick = replace(month, in_process=True)
    assert quick.fails("tax", "record", "99", "1") == "Error: no donation #99"
    quick.run("tax", "record", "1", "5")
    assert "--replace --reason TEXT" in quick.fails("tax", "record", "1", "6")
    assert "replacing 5" in quick.run("tax", "record", "1", "6", "--replace", "--reason",
                                      "typo").stdout  # fmt: skip
    huge = "99999999999999999999"  # beyond the id column: an overflow, not a traceback
    assert quick.fails("tax", "record", huge, "1") == f"Error: no donation #{huge}"
    assert quick.fails("tax", "record", str(2**63), "1") == f"Error: no donation #{2**63}"
    assert quick.fails("tax", "record", str(2**63 - 1), "1") == f"Error: no donation #{2**63 - 1}"
    (month.folder / "bad.csv").write_text(f"gift,number\n2,6\n77,8\n{huge},9\n")
    refused = quick.run("tax", "import", "bad.csv", expect=1)
    assert refused.stderr.splitlines() == [
        "bad.csv, line 2: report number 6 is in force for donation #1 already: check it against "
        "the Authority's answer (a typo?)",
        "bad.csv, line 3: no donation #77",
        f"bad.csv, line 4: no donation #{huge}",
        "Error: bad.csv: 3 problems; nothing recorded",
    ]


def test_without_an_approval_nothing_is_to_report(ledger: Shell) -> None:
    said = ledger.run("tax", "pending").stdout
    assert said.startswith("Nothing to report: the organisation has no Section 46 approval")


def test_the_section_46_minimum_is_a_setting_of_each_year(ledger: Shell) -> None:
    quick = replace(ledger, in_process=True)
    shown = json.loads(quick.run("settings", "show", "--format", "json").stdout)
    keys = {row["key"]: row for row in shown}
    assert "(default 207)" in keys["tax.section46.minimum.2026"]["meaning"]
    quick.run("settings", "set", "tax.section46.minimum.2031", "230.50")
    shown = json.loads(quick.run("settings", "show", "--format", "json").stdout)
    assert {row["key"]: row["value"] for row in shown}["tax.section46.minimum.2031"] == "230.50"
    assert "not an amount in NIS" in quick.fails("settings", "set", "tax.section46.minimum.2031",
                                                 "1.234")  # fmt: skip
    quick.run("settings", "unset", "tax.section46.minimum.2031")
    assert quick.run("settings", "set", "tax.section46.minimum.YEAR", "1", expect=2).returncode
