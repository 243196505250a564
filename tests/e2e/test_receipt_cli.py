"""`fundledger receipt` as a treasurer runs it: receipts written as PDFs whose text carries the
number, the amounts and the Section 46 approval; reprints marked COPY and otherwise the same;
a credit receipt when a receipted gift is reversed; nothing issued when anything fails."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of
from tests.unit.test_images import picture

SETTINGS = {
    "organisation.name.en": "Peace Coalition",
    "organisation.name.he": "קואליציית שלום",
    "organisation.name.ar": "ائتلاف السلام",
    "organisation.section46.approval": "4512",
    "organisation.section46.valid_until": "2026-12-31",
    "organisation.registration": "580123456",
    "organisation.contact": "+972-4-000-0000",
}


@pytest.fixture
def database_kind() -> str:
    # Commands and files: numbering under concurrency is tested on both databases elsewhere.
    return "sqlite"


@pytest.fixture
def receipting(ledger: Shell) -> Shell:
    setup = replace(ledger, in_process=True)  # the setting up in this process (conftest.py)
    for key, value in SETTINGS.items():
        setup.run("settings", "set", key, value)
    for amount, currency, donor in (("100", "USD", "Dana Levi"), ("250", "ILS", "שירה כהן"),
                                    ("180", "ILS", "سمير حداد")):  # fmt: skip
        setup.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                   "--amount", amount, "--currency", currency, "--donor", donor,
                   "--method", "card")  # fmt: skip
    return ledger


def receipts(shell: Shell) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(
        shell.run("receipt", "list", "--format", "json").stdout
    )
    return listed


def test_a_receipt_in_each_language_says_what_was_given_and_under_which_approval(
    receipting: Shell,
) -> None:
    for donation, locale in (("1", "en"), ("2", "he"), ("3", "ar")):
        result = receipting.run("receipt", "issue", donation, "--locale", locale,
                                "--date", "2025-08-01")  # fmt: skip
        number = f"R-2025-0000{donation}"
        assert result.stdout.startswith(f"Issued receipt {number} for donation #{donation}: ")
    folder = receipting.folder / "reports" / "receipts"
    english = text_of(folder / "R-2025-00001.pdf")
    for expected in ("Donation receipt", "R-2025-00001", "Dana Levi", "$100.00", "₪337.60",
                     "1 USD = 3.3760 ILS", "approval no. 4512", "Section 46", "580123456",
                     "+972-4-000-0000", "Original"):  # fmt: skip
        assert expected in english, expected
    hebrew = text_of(folder / "R-2025-00002.pdf")
    for expected in ("R-2025-00002", "4512", "250.00", "קבלה על תרומה"):
        assert expected in hebrew, expected
    assert "כהן" in hebrew  # pdftotext gives RTL words in visual order: one word at a time
    arabic = text_of(folder / "R-2025-00003.pdf")
    for expected in ("R-2025-00003", "4512", "180.00"):
        assert expected in arabic, expected


def test_a_reprint_is_the_same_document_marked_copy(receipting: Shell) -> None:
    receipting.run("receipt", "issue", "1", "--date", "2025-08-01")
    receipting.run("settings", "set", "organisation.name.en", "Renamed Since")
    result = receipting.run("receipt", "reprint", "r-2025-1")
    assert result.stdout == ("Wrote reports/receipts/R-2025-00001-copy.pdf (a copy of receipt "
                             "R-2025-00001).\n")  # fmt: skip
    folder = receipting.folder / "reports" / "receipts"
    original = text_of(folder / "R-2025-00001.pdf")
    copy = text_of(folder / "R-2025-00001-copy.pdf")
    assert "Original" in original
    # Word for word (pdftotext's spacing follows the mark's width) but for the mark, which the
    # donor's stub repeats; the name as issued.
    assert " ".join(copy.split()).replace("Donation receipt · Copy", "Donation receipt") == (
        " ".join(original.replace("Original", "Copy").split()))  # fmt: skip
    receipting.run("receipt", "reprint", "R-2025-00001", "-o", "again.pdf")
    first = (folder / "R-2025-00001-copy.pdf").read_bytes()
    assert (receipting.folder / "again.pdf").read_bytes() == first


def test_a_batch_receipts_the_campaign_and_reversing_issues_a_credit_receipt(
    receipting: Shell,
) -> None:
    receipting.run("donation", "add", "dont-look-away", "--date", "2025-07-04", "--amount", "5")
    result = receipting.run("receipt", "issue", "--campaign", "dont-look-away",
                            "--all-unreceipted", "--date", "2025-08-01")  # fmt: skip
    assert result.stdout == ("Issued 3 receipts, R-2025-00001 to R-2025-00003, into "
                             "reports/receipts/: 3 in en.\n")  # fmt: skip
    assert "1 gift has no donor recorded and gets no receipt." in result.stderr
    again = receipting.run("receipt", "issue", "--campaign", "dont-look-away",
                           "--all-unreceipted")  # fmt: skip
    assert again.stdout == "Every gift already has its receipt: none issued.\n"
    reversed_ = receipting.run("donation", "reverse", "1", "--reason", "charge-back")
    credit = next(row for row in receipts(receipting) if row["kind"] == "credit")
    assert f"Issued credit receipt {credit['number']}, cancelling receipt R-2025-00001" in (
        reversed_.stdout)  # fmt: skip
    assert (credit["amount"], credit["home"], credit["cancels"]) == ("-100.00", "-337.60",
                                                                     "R-2025-00001")  # fmt: skip
    text = text_of(receipting.folder / "reports" / "receipts" / f"{credit['number']}.pdf")
    assert "Credit receipt" in text
    assert "cancels receipt R-2025-00001" in text


def test_a_receipt_that_cannot_be_written_is_not_issued(receipting: Shell) -> None:
    (receipting.folder / "blocked").write_text("a file where a folder should be")
    message = receipting.fails("receipt", "issue", "1", "-o", "blocked/receipt.pdf")
    assert message.startswith("Error: cannot write blocked/receipt.pdf")
    assert receipts(receipting) == []
    assert receipting.run("receipt", "issue", "1").stdout.startswith("Issued receipt R-")


def test_receipt_errors_are_one_line(receipting: Shell) -> None:
    usage = receipting.run("receipt", "issue", expect=2).stderr
    assert "give DONATION_ID, or --campaign SLUG --all-unreceipted" in usage
    usage = receipting.run("receipt", "issue", "1", "--campaign", "dont-look-away", expect=2)
    assert "give either DONATION_ID, or --campaign SLUG --all-unreceipted" in usage.stderr
    assert (
        receipting.fails("receipt", "reprint", "R-2025-00009") == "Error: no receipt R-2025-00009"
    )
    assert receipting.fails("receipt", "reprint", "2025-9") == (
        "Error: '2025-9' is not a receipt number: write it as printed, e.g. R-2025-00001"
    )
    assert receipting.fails("receipt", "issue", "9") == "Error: no donation #9"
    assert Path(receipting.folder / "reports").exists() is False


def test_an_annual_statement_for_one_donor_or_for_all(receipting: Shell) -> None:
    receipting.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                   "40", "--donor", "Dana Levi")  # fmt: skip
    receipting.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                   "15", "--donor", "Noa Cohen", "--email", "noa@example.org")  # fmt: skip
    receipting.run("receipt", "issue", "1", "--date", "2025-08-01")
    result = receipting.run("statement", "1", "--year", "2025")
    assert result.stdout == ("Wrote reports/statements/2025/donor-1-en.pdf: 2 gifts in 2025, "
                             "377.60 ILS = 111.85 USD.\n")  # fmt: skip
    text = text_of(receipting.folder / "reports" / "statements" / "2025" / "donor-1-en.pdf")
    for expected in ("Your gifts in 2025", "Dana Levi", "R-2025-00001", "₪377.60", "$111.85"):
        assert expected in text, expected
    by_email = receipting.run("statement", "NOA@example.org", "--year", "2025", "-o", "noa.pdf")
    assert by_email.stdout.startswith("Wrote noa.pdf: 1 gift in 2025, 15.00 ILS")
    # An e-mail given since by `donor edit` finds its donor too.
    noa = next(each["id"] for each in json.loads(receipting.run("donor", "list", "--format",
               "json").stdout) if each["email"] == "noa@example.org")  # fmt: skip
    receipting.run("donor", "edit", str(noa), "--email", "noa@example.net", "--reason", "moved")
    moved = receipting.run("statement", "noa@example.net", "--year", "2025", "-o", "noa2.pdf")
    assert moved.stdout.startswith("Wrote noa2.pdf: 1 gift in 2025, 15.00 ILS")
    everyone = receipting.run("statement", "--all", "--year", "2025", "--locale", "he")
    assert everyone.stdout == ("Wrote 4 statements for 2025 into reports/statements/2025/: "
                               "4 in he.\n")  # fmt: skip
    assert "2025" in text_of(receipting.folder / "reports" / "statements" / "2025" /
                             "donor-3-he.pdf")  # fmt: skip
    assert receipting.fails("statement", "Dana", "--year", "2025") == (
        "Error: 'Dana' is neither a donor number nor an e-mail address: `fundledger donor "
        "list` shows them")  # fmt: skip
    assert "give either DONOR, or --all" in receipting.run(
        "statement", "1", "--all", "--year", "2025", expect=2).stderr  # fmt: skip


def test_the_donors_identity_number_and_the_tax_report_on_the_receipt(receipting: Shell) -> None:
    assert receipting.run("donor", "set-id", "1", "123456782").stdout == (
        "Donor #1: identity number 123456782.\n")  # fmt: skip
    receipting.run("receipt", "issue", "1", "--tax-report", "TR-77")
    text = text_of(next((receipting.folder / "reports" / "receipts").glob("*.pdf")))
    assert "Identity number 123456782" in text
    assert "Tax Authority report no." in text
    assert "TR-77" in text
    assert receipting.fails("donor", "set-id", "1", "123456789") == (
        "Error: '123456789' is not an Israeli identity number: nine digits whose last is the "
        "check digit")  # fmt: skip


def test_the_logo_heads_receipts_statements_and_reports(receipting: Shell) -> None:
    (receipting.folder / "logo.png").write_bytes(picture("PNG", (300, 90)))
    result = receipting.run("settings", "set", "organisation.logo", "logo.png")
    assert result.stdout.startswith("organisation.logo = PNG image, 300×90 px, 1 KiB, sha256 ")
    shown = json.loads(receipting.run("settings", "show", "--format", "json").stdout)
    logo = next(row for row in shown if row["key"] == "organisation.logo")
    assert logo["value"].startswith("PNG image, 300×90 px")
    receipting.run("receipt", "issue", "1")
    receipting.run("statement", "1", "--year", "2025", "-o", "statement.pdf")
    receipting.run("report", "campaign", "dont-look-away", "-o", "report.pdf")
    receipt = next((receipting.folder / "reports" / "receipts").glob("*.pdf"))
    for pdf in (receipt, receipting.folder / "statement.pdf", receipting.folder / "report.pdf"):
        assert len(PdfReader(pdf).pages[0].images) == 1, pdf
    assert receipting.fails("settings", "set", "organisation.logo", "nothing.png").startswith(
        "Error: cannot read nothing.png: no such file")  # fmt: skip
